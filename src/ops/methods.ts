/**
 * Tensor methods: each is the function of the same name with the tensor as first argument,
 * attached to the prototype once (declaration merging gives them their types).
 */
import type { DType } from "../core/dtype.js";
import { normDim } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { stopGradient } from "./autograd_ops.js";
import { allclose, isclose, type CloseOptions } from "./compare.js";
import type { TensorLike } from "./convert.js";
import * as E from "./elementwise.js";
import * as I from "./indexing.js";
import * as L from "./linalg.js";
import * as R from "./reduce.js";
import type { VarianceOptions } from "./reduce.js";
import type { Dims } from "./reduce.js";
import * as S from "./shape.js";
import * as lax from "../primitives/lax.js";

declare module "../core/tensor.js" {
  interface Tensor {
    add(other: TensorLike): Tensor; sub(other: TensorLike): Tensor; mul(other: TensorLike): Tensor; div(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor; maximum(other: TensorLike): Tensor; minimum(other: TensorLike): Tensor;
    neg(): Tensor; abs(): Tensor; exp(): Tensor; log(): Tensor; log1p(): Tensor; sqrt(): Tensor; rsqrt(): Tensor;
    sin(): Tensor; cos(): Tensor; tan(): Tensor; tanh(): Tensor; sigmoid(): Tensor; relu(): Tensor; sign(): Tensor; square(): Tensor; erf(): Tensor;
    floor(): Tensor; ceil(): Tensor; round(): Tensor; trunc(): Tensor;
    gelu(opts?: { approximate?: "none" | "tanh" }): Tensor;
    clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor;
    /** x.where(cond, y): x where cond holds, else y (torch.Tensor.where). */
    where(cond: Tensor, other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor; ne(other: TensorLike): Tensor; lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor; gt(other: TensorLike): Tensor; ge(other: TensorLike): Tensor;
    sum(dim?: Dims, keepdim?: boolean): Tensor; mean(dim?: Dims, keepdim?: boolean): Tensor; prod(dim?: Dims, keepdim?: boolean): Tensor;
    max(dim?: Dims, keepdim?: boolean): Tensor; min(dim?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor; argmin(dim?: number | null, keepdim?: boolean): Tensor;
    logsumexp(dim?: Dims, keepdim?: boolean): Tensor;
    var(dim?: Dims, keepdim?: boolean, opts?: VarianceOptions): Tensor; std(dim?: Dims, keepdim?: boolean, opts?: VarianceOptions): Tensor;
    norm(p?: number | "fro", dim?: Dims, keepdim?: boolean): Tensor;
    matmul(other: Tensor): Tensor; dot(other: Tensor): Tensor; mv(v: Tensor): Tensor; mm(other: Tensor): Tensor; bmm(other: Tensor): Tensor; outer(other: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor; view(shape: readonly number[]): Tensor; flatten(startDim?: number, endDim?: number): Tensor;
    transpose(dim0: number, dim1: number): Tensor; permute(dims: readonly number[]): Tensor;
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor; squeeze(dim?: number | readonly number[]): Tensor;
    expand(shape: readonly number[]): Tensor; broadcastTo(shape: readonly number[]): Tensor;
    select(dim: number, index: number): Tensor; narrow(dim: number, start: number, length: number): Tensor;
    gather(dim: number, index: Tensor): Tensor; indexSelect(dim: number, index: Tensor): Tensor;
    unbind(dim?: number): Tensor[]; split(sizeOrSizes: number | readonly number[], dim?: number): Tensor[]; chunk(chunks: number, dim?: number): Tensor[];
    flip(dims: number | readonly number[]): Tensor;
    diag(offset?: number): Tensor; diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
    tril(diagonal?: number): Tensor; triu(diagonal?: number): Tensor;
    readonly T: Tensor; readonly mT: Tensor;
    /** Cast to a dtype. */
    to(dtype: DType): Tensor; float(): Tensor; double(): Tensor; int(): Tensor; bool(): Tensor;
    /** A tensor with the same values, cut from every gradient (tape and transforms). */
    detach(): Tensor;
    /** A copy with its own storage. */
    clone(): Tensor; contiguous(): Tensor;
    size(dim?: number): number | number[]; dim(): number;
    isclose(other: Tensor, opts?: CloseOptions): Tensor; allclose(other: Tensor, opts?: CloseOptions): boolean;
  }
}

type Fn = (x: Tensor, ...rest: any[]) => unknown;
const methods: Record<string, Fn> = {
  add: E.add, sub: E.sub, mul: E.mul, div: E.div, pow: E.pow, maximum: E.maximum, minimum: E.minimum,
  neg: E.neg, abs: E.abs, exp: E.exp, log: E.log, log1p: E.log1p, sqrt: E.sqrt, rsqrt: E.rsqrt,
  sin: E.sin, cos: E.cos, tan: E.tan, tanh: E.tanh, sigmoid: E.sigmoid, relu: E.relu, sign: E.sign, square: E.square, erf: E.erf,
  floor: E.floor, ceil: E.ceil, round: E.round, trunc: E.trunc,
  gelu: E.gelu, clamp: E.clamp, where: (x, cond: Tensor, other: TensorLike) => E.where(cond, x, other),
  eq: E.eq, ne: E.ne, lt: E.lt, le: E.le, gt: E.gt, ge: E.ge,
  sum: R.sum, mean: R.mean, prod: R.prod, max: R.max, min: R.min, argmax: R.argmax, argmin: R.argmin,
  logsumexp: R.logsumexp, var: R.variance, std: R.std, norm: R.norm,
  matmul: L.matmul, dot: L.dot, mv: L.mv, mm: L.mm, bmm: L.bmm, outer: L.outer,
  reshape: S.reshape, view: S.view, flatten: S.flatten, transpose: S.transpose, permute: S.permute, movedim: S.movedim,
  unsqueeze: S.unsqueeze, squeeze: S.squeeze, expand: S.expand, broadcastTo: S.broadcastTo, select: S.select, narrow: S.narrow,
  gather: I.gather, indexSelect: I.indexSelect, unbind: S.unbind, split: S.split, chunk: S.chunk, flip: S.flip,
  diag: I.diag, diagonal: I.diagonal, tril: I.tril, triu: I.triu,
  to: E.to, float: (x) => E.to(x, "float32"), double: (x) => E.to(x, "float64"), int: (x) => E.to(x, "int32"), bool: (x) => E.to(x, "bool"),
  detach,
  clone, contiguous: (x) => (x.storage && x.isContiguous() ? x : clone(x)),
  size: (x, dim?: number) => (dim === undefined ? [...x.shape] : x.shape[normDim(dim, x.ndim, "size")]),
  dim: (x) => x.ndim,
  isclose, allclose,
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, ...args: unknown[]) { return fn(this, ...args); },
    writable: true, configurable: true,
  });
}
Object.defineProperty(Tensor.prototype, "T", { get(this: Tensor) { return S.T(this); }, configurable: true });
Object.defineProperty(Tensor.prototype, "mT", { get(this: Tensor) { return S.mT(this); }, configurable: true });

/** A tensor sharing values with x but outside every graph. */
export function detach(x: Tensor): Tensor {
  return stopGradient(x);
}

/** A copy with its own contiguous storage (gradients flow through it); a zero-width pad copies exactly (-0 stays -0). */
export function clone(x: Tensor): Tensor {
  const none = x.shape.map(() => 0);
  return lax.pad(x, none, none, 0);
}
