// The wasm backend's transposing copy (a source contiguous along another dim than the
// destination: what contiguous() makes of a transposed or permuted view). Bands of source rows
// are staged into the scratch memory, transposed in 4 x 4 blocks by the gemm's packRows kernel,
// and copied out a row segment at a time. Floats move as int32 bits, so NaN payloads survive.

import type { StridedArray } from "../backend.js";
import { transposePlanes } from "../js/elementwise.js";
import { heapI32, heapKernels, int32Bits, markScratch, popScratch, pushScratch, roundUp } from "./heap.js";
import { worthIt } from "./simd.js";

/**
 * Floats staged per band (and as many for its transpose): planes up to 4 MB go in one band, so
 * the output is copied out in whole rows; larger ones in bands of whole source rows.
 */
const BAND = 1 << 20;
/** The kernel transposes TILE x TILE blocks, which stay in L1 on both sides. */
const TILE = 64;
/** Planes narrower than this take the js tiles. */
const MIN_SIDE = 16;

/** Four-byte elements of one type on both sides (float32 or int32): as int32, or null. */
function bitsOf(x: StridedArray["data"]): Int32Array | null {
  if (x instanceof Int32Array) return x;
  return x instanceof Float32Array ? int32Bits(x) : null;
}

/** Copies src into dst when the copy is a transpose of 4-byte elements; false (nothing written) otherwise. */
export function transposeF32(src: StridedArray, dst: StridedArray): boolean {
  if (src.data.constructor !== dst.data.constructor || !worthIt(dst.data.length)) return false;
  const s = bitsOf(src.data), d = bitsOf(dst.data);
  const planes = s && d ? transposePlanes(src, dst, MIN_SIDE) : null;
  if (!s || !d || !planes) return false;
  // a plane is `rows` output rows; the source holds it as `cols` rows of `rows` elements, sCol apart
  const { rows, cols, sCol, dRow } = planes;
  const band = Math.min(cols, Math.max(4, Math.floor(BAND / rows / 4) * 4));
  const mark = markScratch();
  try {
    const stage = pushScratch(rows * roundUp(band, 4) * 4), out = pushScratch(rows * roundUp(band, 4) * 4);
    if (stage < 0 || out < 0) return false;
    const h = heapI32(), st = stage / 4, ot = out / 4;
    planes.forEach((sBase, dBase) => {
      for (let j0 = 0; j0 < cols; j0 += band) {
        const n = Math.min(band, cols - j0), padded = roundUp(n, 4);
        if (sCol === rows) h.set(s.subarray(sBase + j0 * rows, sBase + (j0 + n) * rows), st);
        else for (let j = 0; j < n; j++) h.set(s.subarray(sBase + (j0 + j) * sCol, sBase + (j0 + j) * sCol + rows), st + j * rows);
        h.fill(0, st + n * rows, st + padded * rows);
        // out[i][j] = stage[j][i], `padded` floats per output row: each group of 4 staged rows
        // becomes a column 4 wide, a tile at a time
        for (let j = 0; j < padded; j += TILE) {
          for (let i = 0; i < rows; i += TILE) {
            const groups = Math.min(TILE, padded - j) / 4, steps = Math.min(TILE, rows - i);
            heapKernels().packRows((st + j * rows + i) * 4, rows * 4, groups, steps, (ot + i * padded + j) * 4, 16, 0, padded * 4);
          }
        }
        if (n === cols && dRow === cols && padded === n) d.set(h.subarray(ot, ot + rows * n), dBase);
        else for (let i = 0; i < rows; i++) d.set(h.subarray(ot + i * padded, ot + i * padded + n), dBase + i * dRow + j0);
      }
    });
    return true;
  } finally {
    popScratch(mark);
  }
}
