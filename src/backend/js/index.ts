/** The reference backend: plain TypeScript over typed arrays. */
import type { Backend } from "../backend.js";
import { col2im, im2col } from "./conv.js";
import { binary, clamp, copy, unary, where } from "./elementwise.js";
import { gather, scatterAdd } from "./gather.js";
import { batchedMatmul, eachGemm, gemmJs } from "./matmul.js";
import { reduce } from "./reduce.js";
import { layerNorm, layerNormBackward, logSoftmaxGather, logSoftmaxGatherBackward, softmax, softmaxBackward } from "./rows.js";

export const jsBackend: Backend = {
  name: "js",
  copy, unary, binary, where, clamp, reduce, softmax, softmaxBackward, logSoftmaxGather, logSoftmaxGatherBackward, layerNorm, layerNormBackward,
  matmul: (a, b, out) => batchedMatmul(eachGemm(gemmJs), a, b, out),
  im2col, col2im, gather, scatterAdd,
  // im2col and matmul are the js backend's convolution, 3 x 3 or not
  conv3x3: () => false,
  conv3x3InputGrad: () => false,
  conv3x3WeightGrad: () => false,
};
