/** Batched matrix multiply over strided operands; the 2-D kernel is cache-blocked i-k-j. */
import type { TypedArray } from "../../core/dtype.js";
import { contiguousStrides } from "../../core/shape.js";
import type { StridedArray } from "../backend.js";
import { forEachRow } from "./iterate.js";

export type Gemm = (
  M: number, N: number, K: number,
  a: TypedArray, aOff: number, aRs: number, aCs: number,
  b: TypedArray, bOff: number, bRs: number, bCs: number,
  c: TypedArray, cOff: number,
) => void;

const KC = 256;

/** Dot-product form for tiny outputs (vmap of dot, matrix-vector): no packing, no zero fill. */
function gemmSmall(M: number, N: number, K: number, a: TypedArray, aOff: number, aRs: number, aCs: number,
  b: TypedArray, bOff: number, bRs: number, bCs: number, c: TypedArray, cOff: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      let ai = aOff + i * aRs, bi = bOff + j * bCs;
      for (let k = 0; k < K; k++, ai += aCs, bi += bRs) acc += a[ai] * b[bi];
      c[cOff + i * N + j] = acc;
    }
  }
}

/** K = 1: an outer product, written straight into C (per-sample weight gradients are these). */
function outer(M: number, N: number, a: TypedArray, aOff: number, aRs: number, b: TypedArray, bOff: number, bCs: number, c: TypedArray, cOff: number): void {
  for (let i = 0; i < M; i++) {
    const ai = a[aOff + i * aRs], ci = cOff + i * N;
    let bj = bOff;
    for (let j = 0; j < N; j++, bj += bCs) c[ci + j] = ai * b[bj];
  }
}

/**
 * C[M,N] = A[M,K] @ B[K,N], C contiguous. B is packed when its rows are not contiguous; four
 * rows of C are updated per pass so each loaded row of B is used four times.
 */
export const gemmJs: Gemm = (M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff) => {
  if (M * N <= 16) return gemmSmall(M, N, K, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff);
  if (K === 1) return outer(M, N, a, aOff, aRs, b, bOff, bCs, c, cOff);
  c.fill(0, cOff, cOff + M * N);
  if (K === 0 || N === 0) return;
  let bp = b, bpOff = bOff, bpRs = bRs;
  if (bCs !== 1) {
    bp = new (b.constructor as Float64ArrayConstructor)(K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bp[k * N + j] = b[bOff + k * bRs + j * bCs];
    bpOff = 0;
    bpRs = N;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const c0 = cOff + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
      for (let k = k0; k < k1; k++) {
        const ak = aOff + k * aCs + i * aRs;
        const a0 = a[ak], a1 = a[ak + aRs], a2 = a[ak + 2 * aRs], a3 = a[ak + 3 * aRs];
        const bk = bpOff + k * bpRs;
        for (let j = 0; j < N; j++) {
          const bv = bp[bk + j];
          c[c0 + j] += a0 * bv;
          c[c1 + j] += a1 * bv;
          c[c2 + j] += a2 * bv;
          c[c3 + j] += a3 * bv;
        }
      }
    }
    for (; i < M; i++) {
      const ci = cOff + i * N;
      for (let k = k0; k < k1; k++) {
        const aik = a[aOff + i * aRs + k * aCs];
        const bk = bpOff + k * bpRs;
        for (let j = 0; j < N; j++) c[ci + j] += aik * bp[bk + j];
      }
    }
  }
};

/**
 * `count` products C_t = A_t @ B_t, A_t at aOff + t * aBs (B_t likewise) and C_t at
 * cOff + t * M * N: one row of a batch, so a backend can share work across it.
 */
export type BatchedGemm = (
  count: number, M: number, N: number, K: number,
  a: TypedArray, aOff: number, aBs: number, aRs: number, aCs: number,
  b: TypedArray, bOff: number, bBs: number, bRs: number, bCs: number,
  c: TypedArray, cOff: number,
) => void;

/** A batch row as a loop of single products. */
export const eachGemm = (gemm: Gemm): BatchedGemm => (count, M, N, K, a, aOff, aBs, aRs, aCs, b, bOff, bBs, bRs, bCs, c, cOff) => {
  for (let t = 0; t < count; t++) gemm(M, N, K, a, aOff + t * aBs, aRs, aCs, b, bOff + t * bBs, bRs, bCs, c, cOff + t * M * N);
};

/** a [..., M, K] @ b [..., K, N] into out, one batched gemm call per innermost row of the batch dims. */
export function batchedMatmul(gemm: BatchedGemm, a: StridedArray, b: StridedArray, out: TypedArray): void {
  const r = a.shape.length;
  const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[r - 1];
  const batch = a.shape.slice(0, r - 2);
  const aRs = a.strides[r - 2], aCs = a.strides[r - 1], bRs = b.strides[r - 2], bCs = b.strides[r - 1];
  if (batch.length === 0) {
    gemm(1, M, N, K, a.data, a.offset, 0, aRs, aCs, b.data, b.offset, 0, bRs, bCs, out, 0);
    return;
  }
  // out is contiguous, so its innermost batch stride is M * N, as the batched gemm assumes
  const outStrides = contiguousStrides(batch).map((s) => s * M * N);
  forEachRow(batch, [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2), outStrides], [a.offset, b.offset, 0], (offs, n, inner) =>
    gemm(n, M, N, K, a.data, offs[0], inner[0], aRs, aCs, b.data, offs[1], inner[1], bRs, bCs, out, offs[2]));
}
