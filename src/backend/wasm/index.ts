/**
 * The wasm backend: the js backend with its float32 matmul (and so conv2d, which is im2col +
 * matmul) replaced by the WebAssembly SIMD kernel. Other dtypes and kernels use the js code.
 */
import type { Backend } from "../backend.js";
import { jsBackend } from "../js/index.js";
import { batchedMatmul, gemmJs, type Gemm } from "../js/matmul.js";
import { gemmF32 } from "./gemm.js";

export { wasmSimdAvailable } from "./gemm.js";

/** Tiny products (a dot product per batch element) cost less in plain JS than a wasm call with packing. */
const gemm: Gemm = (M, N, K, ...rest) =>
  M * N <= 16 ? gemmJs(M, N, K, ...rest) : (gemmF32 as unknown as Gemm)(M, N, K, ...rest);

export const wasmBackend: Backend = {
  ...jsBackend,
  name: "wasm",
  matmul: (a, b, out) =>
    out instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array
      ? batchedMatmul(gemm, a, b, out)
      : jsBackend.matmul(a, b, out),
};
