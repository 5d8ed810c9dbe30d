/**
 * The kernel interface. A backend computes over typed arrays described by shape, strides and
 * offset; it knows nothing of tensors, tracing or autograd. `js` is the reference
 * implementation; `wasm` overrides the kernels it speeds up and inherits the rest.
 *
 * The `out` of copy (as dst), unary, binary, matmul and im2col starts with arbitrary values
 * (large outputs are not zeroed first): these kernels must write every element. The tests
 * poison such outputs to catch one that does not.
 */
import type { TypedArray } from "../core/dtype.js";
import type { Shape } from "../core/shape.js";

export interface StridedArray {
  readonly data: TypedArray;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

export type UnaryOp =
  | "neg" | "abs" | "sign" | "square" | "exp" | "log" | "log1p" | "sqrt" | "sin" | "cos" | "tanh" | "sigmoid" | "erf" | "relu" | "floor" | "ceil" | "round" | "trunc"
  /** x Phi(x) (exact GELU, Phi the standard normal CDF), its derivative Phi(x) + x phi(x), and the tanh form x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) */
  | "gelu" | "geluDerivative" | "geluTanh";
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "eq" | "ne" | "lt" | "le" | "gt" | "ge"
  /** a where b > 0, else 0: relu's derivative applied to a tangent or cotangent a, in one pass */
  | "reluBackward"
  /** a (1 - b^2) and a (b (1 - b)): tanh's and sigmoid's derivatives at output b applied to a, in one pass, each step rounded as the ops it fuses */
  | "tanhBackward" | "sigmoidBackward"
  /** a gelu'(b), gelu' = Phi + b phi rounded first: exact GELU's derivative at input b applied to a, in one pass */
  | "geluBackward";
export type ReduceOp = "sum" | "prod" | "max" | "min" | "argmax" | "argmin";

export interface ConvGeometry {
  kh: number; kw: number;
  sh: number; sw: number;
  ph: number; pw: number;
  dh: number; dw: number;
  /** input spatial size and output spatial size */
  h: number; w: number; oh: number; ow: number;
}

export interface Backend {
  readonly name: string;
  /** dst[...] = src[...] elementwise over equal shapes, converting element type by assignment. */
  copy(src: StridedArray, dst: StridedArray): void;
  unary(op: UnaryOp, x: StridedArray, out: TypedArray): void;
  /** a and b are already broadcast to the output shape (stride 0 on broadcast dims). */
  binary(op: BinaryOp, a: StridedArray, b: StridedArray, out: TypedArray): void;
  where(cond: StridedArray, a: StridedArray, b: StridedArray, out: TypedArray): void;
  /**
   * x, lo and hi already broadcast to the output shape: m = lo where x < lo, else x; then hi where
   * m > hi, else m; NaN where lo or hi is NaN (a NaN x stays). PyTorch's clamp, in one pass.
   */
  clamp(x: StridedArray, lo: StridedArray, hi: StridedArray, out: TypedArray): void;
  /** Reduce the last `nReduced` dims of x into out (contiguous, the leading dims). */
  reduce(op: ReduceOp, x: StridedArray, nReduced: number, out: TypedArray): void;
  /** softmax (log: logSoftmax) along x's last dim, of unit stride, into out (contiguous, x's shape). */
  softmax(x: StridedArray, log: boolean, out: TypedArray): void;
  /** Their vjp at output y for cotangent g, along the last dim (unit stride in both): y (g - sum(g y)), or g - e^y sum(g). */
  softmaxBackward(g: StridedArray, y: StridedArray, log: boolean, out: TypedArray): void;
  /**
   * logSoftmax along x's last dim (unit stride) picked at index (int32, x's leading shape with a
   * last dim of 1, every index in range) into out (contiguous, index's shape): crossEntropy's forward.
   */
  logSoftmaxGather(x: StridedArray, index: StridedArray, out: TypedArray): void;
  /** Its vjp for cotangents g (index's shape): g (onehot(index) - softmax(x)) along the last dim, into out (contiguous, x's shape). */
  logSoftmaxGatherBackward(g: StridedArray, x: StridedArray, index: StridedArray, out: TypedArray): void;
  /**
   * (x - mean) / sqrt(var + eps) along x's last dim (biased variance), of unit stride, into out
   * (contiguous); times w plus b when both are given (x's shape, last dims of unit stride).
   */
  layerNorm(x: StridedArray, eps: number, out: TypedArray, w?: StridedArray, b?: StridedArray): void;
  /**
   * Its vjp with respect to x for cotangent g (last dims of unit stride): r (g - mean(g) - y mean(g y)),
   * y the normalized x, r = 1 / sqrt(var + eps); of g w in place of g when w (x's shape) is given.
   */
  layerNormBackward(g: StridedArray, x: StridedArray, eps: number, out: TypedArray, w?: StridedArray): void;
  /** out[b] = a[b] @ b[b] for a [..., M, K], b [..., K, N] with equal leading dims; out contiguous. */
  matmul(a: StridedArray, b: StridedArray, out: TypedArray): void;
  /** x contiguous [N, C, H, W] -> out contiguous [N, C*kh*kw, oh*ow]. */
  im2col(x: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void;
  /** cols contiguous [N, C*kh*kw, oh*ow] -> out (zeroed) [N, C, H, W], summing overlaps. */
  col2im(cols: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void;
  /**
   * y contiguous [N, O, oh, ow] = conv(x contiguous [N, C, H, W], w [O, C / groups, 3, 3]) for 3 x 3
   * filters at stride 1 without dilation, by a faster algorithm than im2col where the backend has
   * one (every element of y written); false, with y untouched or zeroed, where it has none.
   */
  conv3x3(x: TypedArray, w: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, y: TypedArray): boolean;
  /** dx [N, C, H, W] = the gradient of conv3x3's y with respect to x for dy [N, O, oh, ow], likewise. */
  conv3x3InputGrad(dy: TypedArray, w: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, dx: TypedArray): boolean;
  /** dw [O, C / groups, 3, 3] = the gradient of conv3x3's y with respect to w for dy [N, O, oh, ow], likewise. */
  conv3x3WeightGrad(x: TypedArray, dy: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, dw: TypedArray): boolean;
  /** out (contiguous, index's shape)[i] = x[i with i[dim] = index[i]]. */
  gather(x: StridedArray, dim: number, index: StridedArray, out: TypedArray): void;
  /** out (contiguous, zeroed, shape outShape)[i with i[dim] = index[i]] += src[i]. */
  scatterAdd(src: StridedArray, dim: number, index: StridedArray, outShape: Shape, out: TypedArray): void;
}
