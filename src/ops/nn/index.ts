/**
 * Functional NN ops (torch.nn.functional), PyTorch's semantics and defaults. Every op here is a
 * composite of ops and lax calls, so vmap, grad and jvp go through it with no rules of its own:
 * a convolution is the conv primitive (primitives/convolution.ts), a pool is pad + unfold + a reduction.
 */
export type { Reduction, Size2 } from "./common.js";
export { linear } from "./linear.js";
export { type ConvOptions, conv1d, conv2d } from "./conv.js";
export { type MaxPoolOptions, type AvgPoolOptions, maxPool2d, avgPool2d } from "./pool.js";
export { relu, gelu, type SoftmaxOptions, softmax, logSoftmax } from "./activation.js";
export { type NllLossOptions, type CrossEntropyOptions, nllLoss, crossEntropy, mseLoss } from "./loss.js";
export { type DropoutOptions, dropout } from "./dropout.js";
export { layerNorm, type BatchNormOptions, batchNorm } from "./norm.js";
export { embedding } from "./embedding.js";
