/**
 * The wasm backend: WebAssembly SIMD kernels for float32 and float64. Matmul (and so conv2d, which
 * is im2col + matmul, or for float32 Winograd's algorithm for 3 x 3 filters: winograd.ts) runs the
 * packed gemm; elementwise ops (float64's transcendental ones but exp, log and sigmoid excepted), where, reductions, batched
 * dots, outer products (a broadcast multiply), im2col and col2im run kernels.ts; transposing
 * copies run transpose.ts. Other dtypes and ops, and shapes a SIMD kernel does not cover, run the
 * js backend's code on the same arrays.
 */
import type { TypedArray } from "../../core/dtype.js";
import type { Backend } from "../backend.js";
import { jsBackend } from "../js/index.js";
import { batchedMatmul, type BatchedGemm, eachGemm, gemmJs } from "../js/matmul.js";
import { gemmBatched } from "./gemm.js";
import { col2imFloat, im2colFloat } from "./conv.js";
import { binaryFloat, clampFloat, layerNormBackwardFloat, layerNormFloat, logSoftmaxGatherBackwardFloat, logSoftmaxGatherFloat, matmulFloat, reduceFloat, softmaxBackwardFloat, softmaxFloat, unaryFloat, whereFloat } from "./simd.js";
import { transposeCopy } from "./transpose.js";
import { winogradConvF32, winogradInputGradF32, winogradWeightGradF32 } from "./winograd.js";

export { wasmSimdAvailable } from "./features.js";

/** Tiny products cost less in plain JS than a wasm call with packing. */
const smallGemm = eachGemm(gemmJs);
const gemm: BatchedGemm = (count, M, N, K, ...rest) =>
  M * N <= 16 ? smallGemm(count, M, N, K, ...rest) : (gemmBatched as unknown as BatchedGemm)(count, M, N, K, ...rest);

/** All float32 or all float64: the packed gemm's operands. */
const sameFloats = (out: TypedArray, a: TypedArray, b: TypedArray): boolean =>
  (out instanceof Float32Array || out instanceof Float64Array) && a.constructor === out.constructor && b.constructor === out.constructor;

export const wasmBackend: Backend = {
  ...jsBackend,
  name: "wasm",
  copy: (src, dst) => transposeCopy(src, dst) || jsBackend.copy(src, dst),
  unary: (op, x, out) => unaryFloat(op, x, out) || jsBackend.unary(op, x, out),
  binary: (op, a, b, out) => binaryFloat(op, a, b, out) || jsBackend.binary(op, a, b, out),
  where: (c, a, b, out) => whereFloat(c, a, b, out) || jsBackend.where(c, a, b, out),
  clamp: (x, lo, hi, out) => clampFloat(x, lo, hi, out) || jsBackend.clamp(x, lo, hi, out),
  reduce: (op, x, nReduced, out) => reduceFloat(op, x, nReduced, out) || jsBackend.reduce(op, x, nReduced, out),
  softmax: (x, log, out) => softmaxFloat(x, log, out) || jsBackend.softmax(x, log, out),
  softmaxBackward: (g, y, log, out) => softmaxBackwardFloat(g, y, log, out) || jsBackend.softmaxBackward(g, y, log, out),
  logSoftmaxGather: (x, index, out) => logSoftmaxGatherFloat(x, index, out) || jsBackend.logSoftmaxGather(x, index, out),
  logSoftmaxGatherBackward: (g, x, index, out) => logSoftmaxGatherBackwardFloat(g, x, index, out) || jsBackend.logSoftmaxGatherBackward(g, x, index, out),
  layerNorm: (x, eps, out, w, b) => layerNormFloat(x, eps, out, w, b) || jsBackend.layerNorm(x, eps, out, w, b),
  layerNormBackward: (g, x, eps, out, w) => layerNormBackwardFloat(g, x, eps, out, w) || jsBackend.layerNormBackward(g, x, eps, out, w),
  im2col: (x, n, c, g, out) => im2colFloat(x, n, c, g, out) || jsBackend.im2col(x, n, c, g, out),
  col2im: (cols, n, c, g, out) => col2imFloat(cols, n, c, g, out) || jsBackend.col2im(cols, n, c, g, out),
  conv3x3: winogradConvF32,
  conv3x3InputGrad: winogradInputGradF32,
  conv3x3WeightGrad: winogradWeightGradF32,
  matmul: (a, b, out) => {
    if (matmulFloat(a, b, out)) return;
    if (sameFloats(out, a.data, b.data)) batchedMatmul(gemm, a, b, out);
    else jsBackend.matmul(a, b, out);
  },
};
