// Float32 and float64 GEMM on WebAssembly SIMD128, with the kernels assembled at run time. One
// driver serves both; a Precision (below) holds what differs: the element size, the micro-tile's
// width (8 floats or 4 doubles: two vectors either way) and the kernel.
//
// Structure (GotoBLAS/BLIS style):
//   for each block of MB rows of C
//     pack A[mb, K] into MR-tall row panels                 (pack.ts)
//       (once for a whole batch whose products share A; an A too large for
//       that is packed A[mc, kc] at a time, just before the kernel)
//     for each block of NC columns of C
//       for each block of KC of the shared dimension
//         pack B[kc, nc] into NR-wide column panels,
//           or just copy its rows if they are contiguous   (pack.ts, memcpy)
//         for each block of MC rows
//           wasm kernel: every MR x NR tile of C += panelA @ panelB, over the k
//           steps where panelA is not all zeros (zeroSpans, found once per packing)
//       copy the finished C block out of wasm memory
// Panels are padded to whole MR x NR tiles, so the kernel has no edge cases:
// the padding only feeds rows and columns of the C block that are never
// copied out. It is zero-filled anyway so stale memory (possibly denormals,
// which are slow) cannot slow the kernel down.

import { ModuleBuilder, ValType } from "./assembler.js";
import { wasmRelaxedSimdAvailable, wasmSimdAvailable } from "./features.js";
import { type FloatArray, heapF64, heapI32, heapKernels, heapMemory, int32Bits, markScratch, popScratch, pushScratch, roundUp } from "./heap.js";
import type { Kernels } from "./kernels.js";
import { packPanels, stageFloatsFor } from "./pack.js";
import { mirrorAddresses } from "./resident.js";
import { wasmSettings } from "./settings.js";

/**
 * Rows per micro-tile (each row is NV vector accumulators). 4 x 8 floats keeps the 8
 * accumulators, 2 B vectors and 4 A broadcasts in V8's 16 xmm registers;
 * 6 x 8, 5 x 8 and 4 x 12 spill and measured slower, with or without FMA.
 */
const MR = 4;
/** Vectors per row of a micro-tile: NR = NV * lanes columns, 8 floats or 4 doubles. */
const NV = 2;
/** Cache blocking: an A block (MC x KC) stays in L2, a B panel (KC x NR) in L1. */
const KC = 256;
const MC = 128;
const NC = 512;
/**
 * A block of B with unit column stride, at least ROWS_MIN_N columns and fewer than ROWS_MAX_KC
 * rows is copied row by row (a memcpy each, cheaper than packing) and the kernel reads its panels
 * in place with the row stride ldbFor(nc). Full-depth blocks (KC rows) are packed: the kernel
 * then reads each panel's steps from consecutive cache lines, which measured 5-10 % faster (512
 * and 1024 square, the ensemble's layers); at 128 rows and fewer the two are even or rows win.
 */
const ROWS_MIN_N = 64;
const ROWS_MAX_KC = 192;
/** Rows of C kept in wasm memory at once; bounds memory use for tall C. */
const MB = 1024;
/** Rows of C shorter than this are copied out by a loop rather than a memcpy call each. */
const SHORT_ROW = 32;
/** Below this many multiply-adds the plain JS loop beats packing + a wasm call. */
const SMALL = 256;

const { i32, v128 } = ValType;

/** What the driver needs to know of an element type; everything else is shared. */
interface Precision {
  readonly bytes: 4 | 8;
  /** Columns per micro-tile: NV vectors of 16 / bytes lanes. */
  readonly NR: number;
  /** The memory, and an operand, as words of one element each for copies (a float's int32 bits: NaN payloads survive). */
  heap(): Int32Array | Float64Array;
  words(x: FloatArray): Int32Array | Float64Array;
  /** The zeroSpans kernels for A's panels (MR elements wide) and B's (NR wide), and nonFinite's. */
  zeroSpansA(k: Kernels): Kernels["zeroSpans4"];
  zeroSpansB(k: Kernels): Kernels["zeroSpans4"];
  nonFinite(k: Kernels): Kernels["nonFinite"];
  kernel?: Kernel;
}

const F32: Precision = {
  bytes: 4, NR: 4 * NV,
  heap: heapI32, words: (x) => int32Bits(x as Float32Array),
  zeroSpansA: (k) => k.zeroSpans4, zeroSpansB: (k) => k.zeroSpans8, nonFinite: (k) => k.nonFinite,
};

const F64: Precision = {
  bytes: 8, NR: 2 * NV,
  heap: heapF64, words: (x) => x as Float64Array,
  zeroSpansA: (k) => k.zeroSpansF64, zeroSpansB: (k) => k.zeroSpansF64, nonFinite: (k) => k.nonFiniteF64,
};

const precisionOf = (x: FloatArray): Precision => (x instanceof Float64Array ? F64 : F32);

/**
 * kernel(aPack, bPack, c, mPanels, nPanels, kc, ldcBytes, bRowBytes, bPanelBytes, accumulate,
 * aPanelBytes): for each of nPanels B panels and mPanels A panels, computes the MR x NR
 * tile panelA @ panelB over kc steps and stores it into C (row stride
 * ldcBytes), adding to what is there when `accumulate` is nonzero. Row k of
 * B panel p is the NR elements at bPack + p * bPanelBytes + k * bRowBytes, so B
 * can be packed panels or plain rows; A panel i starts at aPack + i * aPanelBytes.
 */
function buildKernel(relaxedSimd: boolean, bytes: 4 | 8): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ relaxedSimd });
  const f = mod.func("kernel", [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [aPack, bPack, cPtr, mPanels, nPanels, kc, ldc, bRow, bPanel, accumulate, aStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const aPanel = f.local(i32), cTile = f.local(i32), cRow = f.local(i32);
  const a = f.local(i32), b = f.local(i32), jr = f.local(i32), ir = f.local(i32), k = f.local(i32);
  const acc = Array.from({ length: MR * NV }, () => f.local(v128));
  const bv = Array.from({ length: NV }, () => f.local(v128));
  const av = f.local(v128);
  const double = bytes === 8;
  const add = () => (double ? f.f64x2Add() : f.f32x4Add());

  // One k step: a rank-1 update of the tile by MR values of A and NR of B.
  const step = (): void => {
    for (let v = 0; v < NV; v++) f.get(b).v128Load(v * 16).set(bv[v]);
    for (let r = 0; r < MR; r++) {
      f.get(a);
      if (double) f.v128Load64Splat(r * 8);
      else f.v128Load32Splat(r * 4);
      f.set(av);
      for (let v = 0; v < NV; v++) {
        const t = acc[r * NV + v];
        f.get(av).get(bv[v]).mulAdd(double ? "f64x2" : "f32x4", () => f.get(t)).set(t);
      }
    }
  };
  const storeTile = (accumulated: boolean): void => {
    f.get(cTile).set(cRow);
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < NV; v++) {
        f.get(cRow);
        if (accumulated) {
          f.get(cRow).v128Load(v * 16).get(acc[r * NV + v]);
          add();
        } else f.get(acc[r * NV + v]);
        f.v128Store(v * 16);
      }
      f.get(cRow).get(ldc).i32Add().set(cRow);
    }
  };

  f.get(nPanels).set(jr);
  f.countdown(jr, () => {
    f.get(aPack).set(aPanel).get(cPtr).set(cTile).get(mPanels).set(ir);
    f.countdown(ir, () => {
      for (const t of acc) f.v128ConstZero().set(t);
      f.get(aPanel).set(a).get(bPack).set(b).get(kc).set(k);
      // Not unrolled by hand: V8 unrolls this small loop itself and then
      // allocates registers better than for a hand-unrolled body.
      f.countdown(k, () => {
        step();
        f.addTo(a, MR * bytes);
        f.get(b).get(bRow).i32Add().set(b);
      });
      f.get(accumulate).if();
      storeTile(true);
      f.else();
      storeTile(false);
      f.end();
      f.get(aPanel).get(aStride).i32Add().set(aPanel);
      // storeTile left cRow just below this tile, where the next one starts.
      f.get(cRow).set(cTile);
    });
    f.get(bPack).get(bPanel).i32Add().set(bPack);
    f.addTo(cPtr, NV * 16);
  });
  return mod.encode();
}

export type Kernel = (
  aPack: number, bPack: number, c: number, mPanels: number, nPanels: number,
  kc: number, ldcBytes: number, bRowBytes: number, bPanelBytes: number, accumulate: number,
  aPanelBytes: number,
) => void;

/** The float32 micro-kernel itself, for callers that lay out their own panels (winograd.ts). */
export function gemmKernel(): Kernel {
  return kernelOf(F32);
}

/** The kernel works in the scratch memory of heap.ts, shared with the other SIMD kernels. */
function kernelOf(P: Precision): Kernel {
  if (!P.kernel) {
    // Compiled synchronously, like the kernels of heap.ts (25 KB): current browsers allow that on
    // the main thread (scripts/test-browser.mjs runs it in Chromium), where Chrome once capped it at 4 KB.
    const module = new WebAssembly.Module(buildKernel(wasmRelaxedSimdAvailable(), P.bytes));
    const instance = new WebAssembly.Instance(module, { env: { memory: heapMemory() } });
    P.kernel = instance.exports.kernel as Kernel;
  }
  return P.kernel;
}

/**
 * Row stride (elements) for B copied as rows: an odd number of 64-byte cache
 * lines, so the kc rows of a panel spread over all L1 sets instead of
 * aliasing to a few, as a power-of-two stride would.
 */
const ldbFor = (nc: number, bytes: number): number => {
  const perLine = 64 / bytes;
  return ((roundUp(nc, perLine) / perLine) | 1) * perLine;
};

/**
 * C = A @ B with C written contiguous row-major [M, N] at c[cOff...],
 * A[i, k] = a[aOff + i * aRowStride + k * aColStride] and
 * B[k, j] = b[bOff + k * bRowStride + j * bColStride], all float32 or all float64. Any strides
 * work, including 0 (broadcast) and transposed views. c must not overlap a or b.
 */
export function gemm(
  M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOff: number,
): void {
  switch (route(M, N, K)) {
    case "empty":
      return;
    case "zero":
      c.fill(0, cOff, cOff + M * N);
      return;
    case "transposed":
      // A matrix-vector product: compute C^T = B^T A^T instead, which has the
      // same memory layout but wastes MR-1 padded rows instead of NR-1 columns.
      gemm(1, M, K, b, bOff, bColStride, bRowStride, a, aOff, aColStride, aRowStride, c, cOff);
      return;
    case "js":
      gemmJs(M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff);
      return;
    case "wasm": {
      const P = precisionOf(c);
      withScratch(P, M, N, K, (base) => packedGemm(P, M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, base, false))
        || gemmJs(M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff);
    }
  }
}

/**
 * Heap layout of a product (in elements from `base`): [A block (mb rows and all of K when
 * `aWhole`, else MC x KC) | B block (fits either layout) | C block | staging for packing |
 * zeroSpans's spans of the A and B panels, as int32 pairs], each 16-byte aligned. Its size is
 * bounded by MB, NC, KC, K and wasmSettings.gemmWholeA.
 */
function layout(P: Precision, M: number, N: number, K: number, base: number) {
  const { NR, bytes } = P;
  const ncMax = roundUp(Math.min(NC, N), NR);
  const mbMax = roundUp(Math.min(MB, M), MR);
  const aWhole = mbMax * K <= wasmSettings.gemmWholeA;
  const aPack = base / bytes;
  const bPack = aPack + (aWhole ? mbMax * K : roundUp(Math.min(MC, M), MR) * Math.min(KC, K));
  const cBuf = bPack + Math.min(KC, K) * ldbFor(Math.min(NC, N), bytes);
  const stage = cBuf + mbMax * ncMax;
  // a staged line of doubles is twice the words (float64 column packing stages words)
  const stageElements = stageFloatsFor(Math.max(mbMax, ncMax) * (bytes / 4), K);
  // the zero spans of every A panel (of the whole block per KC block of K, or of one A block), and of B's block
  const aScan = stage + stageElements, aScanPanels = aWhole ? mbMax / MR : MC / MR;
  const bScan = aScan + 2 * aScanPanels * Math.ceil(K / KC);
  return { aWhole, aPack, bPack, cBuf, stage, stageElements, aScan, aScanPanels, bScan, end: bScan + 2 * (NC / NR) };
}

/** Runs `body` with scratch space for an M x N x K product; false if the memory is full. */
function withScratch(P: Precision, M: number, N: number, K: number, body: (base: number) => void): boolean {
  const mark = markScratch();
  try {
    const base = pushScratch(layout(P, M, N, K, 0).end * P.bytes);
    if (base < 0) return false;
    body(base);
    return true;
  } finally {
    popScratch(mark);
  }
}

/** Which code computes an M x N x K product. */
function route(M: number, N: number, K: number): "empty" | "zero" | "transposed" | "js" | "wasm" {
  if (M === 0 || N === 0) return "empty";
  if (K === 0) return "zero";
  if (N === 1 && M > 1) return "transposed";
  return M * N * K < SMALL || !wasmSimdAvailable() ? "js" : "wasm";
}

/**
 * The packed wasm gemm in the scratch space at `base` (withScratch). With `aPacked`, A is
 * already there, packed whole by the previous call at the same base (the same A, M, N and K,
 * M <= MB so it was one block, and its layout's aWhole). With `cTransposed`, C^T is written
 * instead: [N, M] row-major at c[cOff...]. Positions are in elements of P.
 */
function packedGemm(
  P: Precision, M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOff: number, base: number, aPacked: boolean, cTransposed = false,
): void {
  const { NR, bytes } = P;
  const run = kernelOf(P);
  const { aWhole, aPack, bPack, cBuf, stage, stageElements, aScan, aScanPanels, bScan } = layout(P, M, N, K, base);
  const heap = P.heap(), spans = heapI32(), kernels = heapKernels();
  const aWords = P.words(a), bWords = P.words(b), cWords = P.words(c);
  // mirrored operands (created tensors: inputs, weights) are packed from their mirrors
  const [aMirror, bMirror] = mirrorAddresses([aPacked ? undefined : a, b]).map((addr) => (addr < 0 ? -1 : addr / bytes));
  const pack = (x: Int32Array | Float64Array, mirror: number, off: number, rs: number, ks: number, n: number, kc: number, width: number, dst: number) =>
    packPanels(heap, x, off, rs, ks, n, kc, width, dst, stage, stageElements, mirror);
  // zeroSpans writes int32 (lo, hi) pairs: its output is addressed in int32 words (spans)
  const aSpans = (aScan * bytes) / 4, bSpans = (bScan * bytes) / 4;
  const zeroSpans = (kernel: Kernels["zeroSpans4"], at: number, panelElements: number, panels: number, kc: number, stepElements: number, out: number) =>
    kernel(at * bytes, panelElements * bytes, panels, kc, stepElements * bytes, out * 4);
  const allFinite = (at: number, rows: number, cols: number, stride: number) =>
    P.nonFinite(kernels)(at * bytes, rows, (cols * bytes) / 16, stride * bytes) === 0;
  const bRowsOk = bColStride === 1 && N >= ROWS_MIN_N;

  for (let i0 = 0; i0 < M; i0 += MB) {
    const mb = Math.min(MB, M - i0);
    if (aWhole && !aPacked) {
      pack(aWords, aMirror, aOff + i0 * aRowStride, aRowStride, aColStride, mb, K, MR, aPack);
      wholeAFinite = undefined;
      for (let p0 = 0; p0 < K; p0 += KC) {
        zeroSpans(P.zeroSpansA(kernels), aPack + p0 * MR, K * MR, Math.ceil(mb / MR), Math.min(KC, K - p0), MR, aSpans + (p0 / KC) * 2 * aScanPanels);
      }
    }
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0);
      const ldc = roundUp(nc, NR), bPanels = ldc / NR;
      const ldb = ldbFor(nc, bytes);
      for (let p0 = 0; p0 < K; p0 += KC) {
        const kc = Math.min(KC, K - p0);
        const bAsRows = bRowsOk && kc < ROWS_MAX_KC;
        const bAt = bOff + p0 * bRowStride + j0 * bColStride;
        // B panel p starts bPanelElements after panel p - 1, and its row k bRowElements after row k - 1
        let bRowElements: number, bPanelElements: number;
        if (bAsRows) {
          copyRows(heap, bWords, bAt, bRowStride, kc, nc, roundUp(nc, NR), ldb, bPack);
          [bRowElements, bPanelElements] = [ldb, NR];
        } else {
          pack(bWords, bMirror, bAt, bColStride, bRowStride, nc, kc, NR, bPack);
          [bRowElements, bPanelElements] = [NR, kc * NR];
        }
        zeroSpans(P.zeroSpansB(kernels), bPack, bPanelElements, bPanels, kc, bRowElements, bSpans);
        bRuns.group(spans, bSpans, bPanels);
        // whether B's block is free of infinities and NaN, asked only when A has zeros to skip
        let bFinite: boolean | undefined;
        for (let i1 = 0; i1 < mb; i1 += MC) {
          const mc = Math.min(MC, mb - i1);
          const aPanels = Math.ceil(mc / MR);
          if (!aWhole) {
            pack(aWords, aMirror, aOff + (i0 + i1) * aRowStride + p0 * aColStride, aRowStride, aColStride, mc, kc, MR, aPack);
            zeroSpans(P.zeroSpansA(kernels), aPack, kc * MR, aPanels, kc, MR, aSpans);
          }
          // A panel i1 / MR of the whole block from column p0, or the block packed just now
          const [aAt, aPanelElements] = aWhole ? [aPack + (i1 / MR) * K * MR + p0 * MR, K * MR] : [aPack, kc * MR];
          aRuns.group(spans, aWhole ? aSpans + ((p0 / KC) * aScanPanels + i1 / MR) * 2 : aSpans, aPanels);
          // 0 * inf is NaN: one operand's zeros may be skipped only where the other is finite
          if (aRuns.skips(kc) && !(bFinite ??= bAsRows ? allFinite(bPack, kc, ldc, ldb) : allFinite(bPack, 1, ldc * kc, 0))) {
            aRuns.whole(aPanels, kc);
          }
          const aFinite = () => aWhole
            ? (wholeAFinite ??= allFinite(aPack, 1, Math.ceil(mb / MR) * K * MR, 0)) // once for a batch sharing A
            : allFinite(aPack, 1, aPanels * kc * MR, 0);
          const bUsed = bRuns.skips(kc) && aFinite() ? bRuns : wholeB.whole(bPanels, kc);
          for (let r = 0, aFirst = 0; r < aRuns.count; aFirst += aRuns.panels(r), r++) {
            for (let q = 0, bFirst = 0; q < bUsed.count; bFirst += bUsed.panels(q), q++) {
              // the steps where neither panel run is all zeros
              const lo = Math.max(aRuns.lo(r), bUsed.lo(q)), steps = Math.max(0, Math.min(aRuns.hi(r), bUsed.hi(q)) - lo);
              if (steps === 0 && p0 > 0) continue; // adds nothing to what is there
              const k0 = steps > 0 ? lo : 0;
              run(
                (aAt + aFirst * aPanelElements + k0 * MR) * bytes, (bPack + bFirst * bPanelElements + k0 * bRowElements) * bytes,
                (cBuf + (i1 + aFirst * MR) * ldc + bFirst * NR) * bytes, aRuns.panels(r), bUsed.panels(q), steps, ldc * bytes,
                bRowElements * bytes, bPanelElements * bytes, p0 > 0 ? 1 : 0, aPanelElements * bytes,
              );
            }
          }
        }
      }
      if (cTransposed) copyOutTransposed(heap, cBuf, ldc, cWords, cOff + j0 * M + i0, M, mb, nc);
      else copyOut(heap, cBuf, ldc, cWords, cOff + i0 * N + j0, N, mb, nc);
    }
  }
}

/**
 * The panels of a packed block grouped into runs of neighbours with the same span [lo, hi) of
 * steps outside which they are all zeros (zeroSpans finds the spans): the kernel skips the
 * steps outside. That is most of the work when an operand is an identity, diagonal,
 * triangular or one-hot matrix: the basis that jacrev, jacfwd and hessian push through a
 * function keeps that shape until it meets a matmul. A dense block is one run.
 */
class PanelRuns {
  /** (panels, lo, hi) per run */
  private readonly runs: Int32Array;
  count = 0;
  constructor(maxPanels: number) { this.runs = new Int32Array(3 * maxPanels); }
  panels(r: number): number { return this.runs[3 * r]; }
  lo(r: number): number { return this.runs[3 * r + 1]; }
  hi(r: number): number { return this.runs[3 * r + 2]; }

  /** Groups the spans of `panels` panels, int32 (lo, hi) pairs at heap index `at`. */
  group(h: Int32Array, at: number, panels: number): this {
    this.count = 0;
    for (let i = 0; i < panels; i++) {
      const lo = h[at + 2 * i], hi = h[at + 2 * i + 1], last = 3 * (this.count - 1);
      if (this.count > 0 && this.runs[last + 1] === lo && this.runs[last + 2] === hi) this.runs[last]++;
      else this.push(1, lo, hi);
    }
    return this;
  }

  /** One run of all `panels` over all kc steps: nothing skipped. */
  whole(panels: number, kc: number): this {
    this.count = 0;
    this.push(panels, 0, kc);
    return this;
  }

  /** Whether some panel has zero steps to skip. */
  skips(kc: number): boolean {
    return this.count > 1 || this.runs[1] > 0 || this.runs[2] < kc;
  }

  private push(panels: number, lo: number, hi: number): void {
    const at = 3 * this.count++;
    this.runs[at] = panels;
    this.runs[at + 1] = lo;
    this.runs[at + 2] = hi;
  }
}

const aRuns = new PanelRuns(MC / MR), bRuns = new PanelRuns(NC / Math.min(F32.NR, F64.NR)), wholeB = new PanelRuns(1);
/** Whether A packed whole is all finite; kept for the next products of a batch sharing A. */
let wholeAFinite: boolean | undefined;

/**
 * gemm over a batch: matrix t of A, B and C starts at aOff + t * aBatchStride,
 * bOff + t * bBatchStride and cOff + t * M * N. A batch stride of 0 broadcasts; a shared A
 * (the weights of a layer under vmap, a conv's filters) is packed once for the batch. A shared
 * B against row-major As is one product with the rows of all of them; otherwise it is packed
 * once when the products have few rows (the Hessian of a loss with respect to a weight
 * matrix): it is the shared A of the transposed products C_t^T = B^T A_t^T, whose results are
 * written back transposed. With many rows that copy-out would cost more than packing B each time.
 */
export function gemmBatched(
  batch: number, M: number, N: number, K: number,
  a: FloatArray, aOff: number, aBatchStride: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bBatchStride: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOff: number,
): void {
  // rows of A evenly spaced across the batch (or one row each) against a shared B: one product of batch * M rows
  if (bBatchStride === 0 && aBatchStride !== 0 && (M === 1 || aBatchStride === M * aRowStride)) {
    gemm(batch * M, N, K, a, aOff, aBatchStride / M, aColStride, b, bOff, bRowStride, bColStride, c, cOff);
    return;
  }
  const done = aBatchStride === 0
    ? sharedA(batch, M, N, K, a, aOff, aRowStride, aColStride, b, bOff, bBatchStride, bRowStride, bColStride, c, cOff, false)
    : bBatchStride === 0 && batch > 1 && TRANSPOSE_ROWS * M <= K &&
      sharedA(batch, N, M, K, b, bOff, bColStride, bRowStride, a, aOff, aBatchStride, aColStride, aRowStride, c, cOff, true);
  if (done) return;
  for (let t = 0; t < batch; t++) {
    gemm(M, N, K, a, aOff + t * aBatchStride, aRowStride, aColStride, b, bOff + t * bBatchStride, bRowStride, bColStride, c, cOff + t * M * N);
  }
}

/** A shared B is turned into a shared A when the products have at most K / TRANSPOSE_ROWS rows. */
const TRANSPOSE_ROWS = 4;

/** The batch of products A @ B_t with A packed once; false if A cannot be packed whole. */
function sharedA(
  batch: number, M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bBatchStride: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOff: number, cTransposed: boolean,
): boolean {
  const P = precisionOf(c);
  if (M > MB || route(M, N, K) !== "wasm" || !layout(P, M, N, K, 0).aWhole) return false;
  return withScratch(P, M, N, K, (base) => {
    for (let t = 0; t < batch; t++) {
      packedGemm(P, M, N, K, a, aOff, aRowStride, aColStride, b, bOff + t * bBatchStride, bRowStride, bColStride, c, cOff + t * M * N, base, t > 0, cTransposed);
    }
  });
}

type Words = Int32Array | Float64Array;

/** Copies the rows x cols block at h[src] (rows srcStride apart) to c[dst] (rows dstStride apart). */
function copyOut(h: Words, src: number, srcStride: number, c: Words, dst: number, dstStride: number, rows: number, cols: number): void {
  if (srcStride === cols && dstStride === cols) c.set(h.subarray(src, src + rows * cols), dst);
  else if (cols < SHORT_ROW) {
    for (let i = 0; i < rows; i++, src += srcStride, dst += dstStride) for (let j = 0; j < cols; j++) c[dst + j] = h[src + j];
  } else {
    for (let i = 0; i < rows; i++, src += srcStride, dst += dstStride) c.set(h.subarray(src, src + cols), dst);
  }
}

/** copyOut of the transposed block: h[src + i * srcStride + j] goes to c[dst + j * dstStride + i]. */
function copyOutTransposed(h: Words, src: number, srcStride: number, c: Words, dst: number, dstStride: number, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++, src += srcStride, dst++) {
    for (let j = 0, d = dst; j < cols; j++, d += dstStride) c[d] = h[src + j];
  }
}

/**
 * Copies rows [0, rows) of x (row r is the `cols` elements at off + r * rs) to
 * h[dst + r * ld], zero-filling each row up to `padded` (a whole number of NR).
 */
function copyRows(h: Words, x: Words, off: number, rs: number, rows: number, cols: number, padded: number, ld: number, dst: number): void {
  for (let r = 0, s = off, d = dst; r < rows; r++, s += rs, d += ld) {
    h.set(x.subarray(s, s + cols), d);
    if (padded > cols) h.fill(0, d + cols, d + padded);
  }
}

/** Row accumulator for gemmJs, reused across calls. */
let accRow = new Float64Array(64);

/**
 * Plain JS GEMM with float64 accumulation, for problems too small to repay
 * packing and for engines without wasm SIMD. Rows of C are built as sums of scaled rows of B, which keeps the
 * inner loop free of a serial dependency.
 */
function gemmJs(
  M: number, N: number, K: number,
  a: FloatArray, aOff: number, ars: number, acs: number,
  b: FloatArray, bOff: number, brs: number, bcs: number,
  c: FloatArray, cOff: number,
): void {
  if (accRow.length < N) accRow = new Float64Array(N);
  const acc = accRow;
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    for (let k = 0, ai = aOff + i * ars, bk = bOff; k < K; k++, ai += acs, bk += brs) {
      const aik = a[ai];
      for (let j = 0, bi = bk; j < N; j++, bi += bcs) acc[j] += aik * b[bi];
    }
    for (let j = 0, ci = cOff + i * N; j < N; j++) c[ci + j] = acc[j];
  }
}
