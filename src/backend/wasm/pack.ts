// Packing for the gemm: a block of a strided matrix X (an A block, or B^T) into the panels of P
// rows that the kernel reads, in wasm memory. X[p*P + r, k] goes to heap[dst + (p*kc + k)*P + r],
// and rows past n are zero. When X has a unit stride along k (rows) or along r (columns), the
// block is staged into wasm memory 64 KB or so at a time with memcpy and rearranged by the SIMD
// kernels of pack_kernels.ts, which read a mirrored X (resident.ts) in place instead; other
// strides take the element loop.

import { heapI32, heapKernels, roundUp } from "./heap.js";

/** Below this many elements the element loop beats staging and a wasm call. */
const SMALL_PACK = 512;
/** Lines shorter than this cost more to copy one by one (a memcpy call each) than to loop over. */
const SHORT_LINE = 64;
/** Floats staged at once: the staged block and what it packs into stay in L2. */
const STAGE = 16384;

/**
 * Staging floats a pack of n x kc panels of P rows needs, for the largest n (nMax) and kc
 * (kcMax) it will be called with: P whole rows, or one whole line of columns.
 */
export const stageFloatsFor = (nMax: number, kcMax: number): number => Math.max(STAGE, 8 * kcMax, roundUp(nMax, 8));


/**
 * Packs X[r, k] = x[off + r*rs + k*ks] (r < n, k < kc) into panels of P rows (4 or 8) at heap
 * element index dst, using `stageElements` elements of scratch at `stage` (stageFloatsFor) when a
 * stride is 1. h views the whole memory and x the matrix, both as int32 bits for float32, or both
 * as float64; `mirror` is the heap element index of x[0] when x is mirrored there, else -1.
 * Positions count elements. A double is two words to the column kernel, which moves words: a
 * line of n doubles is 2n words, a panel of P doubles 2P.
 */
export function packPanels(
  h: Int32Array | Float64Array, x: Int32Array | Float64Array, off: number, rs: number, ks: number, n: number, kc: number, P: number,
  dst: number, stage: number, stageElements: number, mirror = -1,
): void {
  // rows or lines copied one by one must be long enough to repay a memcpy call each; lines
  // lying close together are staged many at a time, gaps included
  const rows = ks === 1 && (rs === kc || kc >= SHORT_LINE);
  const columns = rs === 1 && (closeLines(ks, n, P) || n >= SHORT_LINE);
  const w = h.BYTES_PER_ELEMENT / 4; // words per element
  if (n * kc < SMALL_PACK) packLoop(h, x, off, rs, ks, n, kc, P, dst);
  else if (rows) packStagedRows(h, x, off, rs, n, kc, P, dst, stage, stageElements, mirror);
  else if (columns && mirror >= 0) packMirroredColumns(w * (mirror + off), w * ks, w * n, kc, w * P, w * dst);
  else if (columns) {
    const words = w === 1 ? (x as Int32Array) : new Int32Array(x.buffer, x.byteOffset, w * x.length);
    packStagedColumns(heapI32(), words, w * off, w * ks, w * n, kc, w * P, w * dst, w * stage, w * stageElements);
  } else packLoop(h, x, off, rs, ks, n, kc, P, dst);
}

/**
 * Rows of X are contiguous: stage whole panels of rows, then transpose them in 4 x 4 blocks (of
 * floats as int32 words, or 4 x 2 of doubles when h and x are float64 arrays). A mirrored X's
 * whole panels are transposed where they are; a last partial one is staged, to be padded with
 * zero rows. Positions count elements.
 */
function packStagedRows(
  h: Int32Array | Float64Array, x: Int32Array | Float64Array, off: number, rs: number, n: number, kc: number, P: number,
  dst: number, stage: number, stageElements: number, mirror: number,
): void {
  const bytes = h.BYTES_PER_ELEMENT, k = heapKernels(), packRows = bytes === 8 ? k.packRowsF64 : k.packRows;
  const group = Math.max(P, Math.floor(stageElements / kc / P) * P);
  for (let r0 = 0; r0 < n; r0 += group) {
    const rows = Math.min(group, n - r0);
    const padded = roundUp(rows, P);
    const from = off + r0 * rs;
    if (mirror >= 0 && rows === padded) {
      packRows((mirror + from) * bytes, rs * bytes, padded / 4, kc, (dst + r0 * kc) * bytes, kc * P * bytes, P >> 3, P * bytes);
      continue;
    }
    if (rs === kc) h.set(x.subarray(from, from + rows * kc), stage);
    else for (let r = 0; r < rows; r++) h.set(x.subarray(from + r * rs, from + r * rs + kc), stage + r * kc);
    h.fill(0, stage + rows * kc, stage + padded * kc);
    packRows(stage * bytes, kc * bytes, padded / 4, kc, (dst + r0 * kc) * bytes, kc * P * bytes, P >> 3, P * bytes);
  }
}

/** Lines (one k's values of every row) that far apart or less are staged together, gaps included. */
const closeLines = (ks: number, n: number, P: number): boolean => ks >= 0 && ks <= 2 * roundUp(n, P);

/**
 * Columns of X are contiguous: a staged line is one k's values of every row already. Close lines
 * are staged at their own stride (ks, even 0), others one by one; the kernel zeroes the rows
 * past n, whatever the stage holds there.
 */
function packStagedColumns(
  h: Int32Array, x: Int32Array, off: number, ks: number, n: number, kc: number, P: number,
  dst: number, stage: number, stageFloats: number,
): void {
  const width = roundUp(n, P);
  const close = closeLines(ks, n, P), ld = close ? ks : width;
  // the kernel reads `width` floats from each line's start
  const lines = ld === 0 ? kc : Math.max(1, Math.floor((stageFloats - width) / ld) + 1);
  for (let k0 = 0; k0 < kc; k0 += lines) {
    const count = Math.min(lines, kc - k0);
    const from = off + k0 * ks;
    if (close) h.set(x.subarray(from, from + (count - 1) * ks + n), stage);
    else for (let k = 0; k < count; k++) h.set(x.subarray(from + k * ks, from + k * ks + n), stage + k * width);
    heapKernels().packCols(stage * 4, ld * 4, count, width / 4, (dst + k0 * P) * 4, kc * P * 4, P >> 3, n);
  }
}

/**
 * Columns of X are contiguous and X is mirrored: its lines, ks apart, are already one k's values
 * of every row, as packStagedColumns stages them.
 */
function packMirroredColumns(at: number, ks: number, n: number, kc: number, P: number, dst: number): void {
  heapKernels().packCols(at * 4, ks * 4, kc, roundUp(n, P) / 4, dst * 4, kc * P * 4, P >> 3, n);
}

/** The element loop, for any strides; the full panels of the gemm's two widths are unrolled. */
function packLoop(
  h: Int32Array | Float64Array, x: Int32Array | Float64Array, off: number, rs: number, ks: number, n: number, kc: number, P: number, dst: number,
): void {
  let d = dst;
  for (let p = 0; p < n; p += P) {
    const rows = Math.min(P, n - p);
    let s = off + p * rs;
    if (rows === 8 && P === 8) {
      for (let k = 0; k < kc; k++, s += ks, d += 8) {
        h[d] = x[s]; h[d + 1] = x[s + rs]; h[d + 2] = x[s + 2 * rs]; h[d + 3] = x[s + 3 * rs];
        h[d + 4] = x[s + 4 * rs]; h[d + 5] = x[s + 5 * rs]; h[d + 6] = x[s + 6 * rs]; h[d + 7] = x[s + 7 * rs];
      }
    } else if (rows === 4 && P === 4) {
      for (let k = 0; k < kc; k++, s += ks, d += 4) {
        h[d] = x[s]; h[d + 1] = x[s + rs]; h[d + 2] = x[s + 2 * rs]; h[d + 3] = x[s + 3 * rs];
      }
    } else {
      for (let k = 0; k < kc; k++, s += ks, d += P) {
        for (let r = 0; r < rows; r++) h[d + r] = x[s + r * rs];
        for (let r = rows; r < P; r++) h[d + r] = 0;
      }
    }
  }
}
