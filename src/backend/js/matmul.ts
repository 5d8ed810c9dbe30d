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

/** Run a 2-D gemm for every batch position of a [..., M, K] @ b [..., K, N]. */
export function batchedMatmul(gemm: Gemm, a: StridedArray, b: StridedArray, out: TypedArray): void {
  const r = a.shape.length;
  const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[r - 1];
  const batch = a.shape.slice(0, r - 2);
  const aRs = a.strides[r - 2], aCs = a.strides[r - 1], bRs = b.strides[r - 2], bCs = b.strides[r - 1];
  if (batch.length === 0) {
    gemm(M, N, K, a.data, a.offset, aRs, aCs, b.data, b.offset, bRs, bCs, out, 0);
    return;
  }
  const outStrides = contiguousStrides(batch).map((s) => s * M * N);
  forEachRow(batch, [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2), outStrides], [a.offset, b.offset, 0], (offs, n, inner) => {
    for (let j = 0; j < n; j++) {
      gemm(M, N, K, a.data, offs[0] + j * inner[0], aRs, aCs, b.data, offs[1] + j * inner[1], bRs, bCs, out, offs[2] + j * inner[2]);
    }
  });
}
