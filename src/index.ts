/** tfunc: tensors and composable function transforms (torch.func) for TypeScript. */
import "./ops/methods.js";

export { Tensor } from "./core/tensor.js";
export type { DType } from "./core/dtype.js";
export type { TensorLike } from "./ops/convert.js";
export { tensor, zeros, ones, full, eye, arange, linspace, zerosLike, onesLike, randn, rand, randint, manualSeed } from "./ops/creation.js";
export type { CreateOptions } from "./ops/creation.js";
export {
  add, sub, mul, div, pow, neg, abs, exp, log, log1p, sqrt, rsqrt, sin, cos, tan, tanh, sigmoid, relu, gelu, sign, square, erf,
  floor, ceil, round, trunc, maximum, minimum, clamp, where, eq, ne, lt, le, gt, ge, to,
} from "./ops/elementwise.js";
export { sum, mean, prod, max, min, argmax, argmin, logsumexp, variance, variance as var, std, norm } from "./ops/reduce.js";
export { matmul, dot, mv, mm, bmm, outer } from "./ops/linalg.js";
export {
  reshape, view, flatten, transpose, permute, movedim, unsqueeze, squeeze, expand, broadcastTo, select, narrow,
  cat, stack, unbind, split, chunk, flip,
} from "./ops/shape.js";
export { gather, indexSelect, diag, diagonal, tril, triu } from "./ops/indexing.js";
export { allclose, isclose } from "./ops/compare.js";
export { detach, clone } from "./ops/methods.js";

export { vmap } from "./transforms/vmap.js";
export type { VmapOptions, InDims } from "./transforms/vmap.js";
export { grad, gradAndValue, vjp } from "./transforms/vjp.js";
export { jvp } from "./transforms/jvp.js";
export { jacrev, jacfwd, hessian } from "./transforms/jacobian.js";
export { linearize } from "./transforms/linearize.js";
export { setBackend, getBackend, backendNames } from "./backend/registry.js";
export * as autograd from "./autograd/index.js";
export { noGrad, enableGrad } from "./autograd/index.js";

export { einsum } from "./ops/einsum.js";
export * as F from "./ops/nn/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export { functionalCall, stackModuleState, replaceAllBatchNormModules_ } from "./transforms/functional.js";
