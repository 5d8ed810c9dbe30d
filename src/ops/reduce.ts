/** Reductions with PyTorch's (dim?, keepdim = false) convention. */
import { isFloat } from "../core/dtype.js";
import { normDim, normDims, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { checkTensor, toFloat } from "./convert.js";
import { abs, add, div, exp, isFiniteTensor, log, mul, ne, neg, pow, sqrt, sub, where } from "./elementwise.js";
import { stopGradient } from "./autograd_ops.js";
import { checkOptions } from "../core/options.js";

export type Dims = number | readonly number[] | null | undefined;

function countOf(x: Tensor, axes: number[]): number {
  return axes.reduce((n, a) => n * x.shape[a], 1);
}

/** sum of bool/int32 gives int32; floats keep their dtype. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor(x, "sum");
  const axes = normDims(dim, x.ndim, "sum");
  const t = isFloat(x.dtype) ? x : lax.cast(x, "int32");
  return lax.sum(t, axes, keepdim);
}

export function prod(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor(x, "prod");
  const axes = normDims(dim, x.ndim, "prod");
  return lax.prod(isFloat(x.dtype) ? x : lax.cast(x, "int32"), axes, keepdim);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor(x, "mean");
  if (!isFloat(x.dtype)) throw new Error(`mean: input dtype must be floating point, got ${x.dtype}; cast it first (x.to("float32"))`);
  const axes = normDims(dim, x.ndim, "mean");
  return div(lax.sum(x, axes, keepdim), countOf(x, axes));
}

function extremum(op: "max" | "min") {
  return (x: Tensor, dim?: Dims, keepdim = false): Tensor => {
    checkTensor(x, op);
    const axes = normDims(dim, x.ndim, op);
    if (axes.some((a) => x.shape[a] === 0) || (axes.length === 0 && x.numel === 0)) {
      throw new Error(`${op}: cannot reduce over a zero-size dimension of a tensor of shape ${shapeStr(x.shape)} (there is no identity for ${op})`);
    }
    return op === "max" ? lax.max(x, axes, keepdim) : lax.min(x, axes, keepdim);
  };
}
/** Values only, like torch.amax / torch.amin. */
export const max = extremum("max");
export const min = extremum("min");

function argExtremum(op: "argmax" | "argmin") {
  return (x: Tensor, dim?: number | null, keepdim = false): Tensor => {
    checkTensor(x, op);
    const d = dim === undefined || dim === null ? null : normDim(dim, x.ndim, op);
    // along a dim of size > 0, other empty dims just make an empty result (as PyTorch)
    if (d === null ? x.numel === 0 : x.shape[d] === 0) {
      throw new Error(`${op}: cannot take ${op} over ${d === null ? "an empty tensor" : `dim ${d} of size 0`} (shape ${shapeStr(x.shape)})`);
    }
    const axis = x.ndim === 0 ? null : d;
    return op === "argmax" ? lax.argmax(x, axis, keepdim) : lax.argmin(x, axis, keepdim);
  };
}
export const argmax = argExtremum("argmax");
export const argmin = argExtremum("argmin");

/** log(sum(exp(x))) computed stably by factoring out the max. */
export function logsumexp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor(x, "logsumexp");
  const f = toFloat(x);
  const axes = normDims(dim, f.ndim, "logsumexp");
  if (f.numel === 0) return log(sum(exp(f), axes, keepdim));
  // the shift is a constant: no gradient flows through it
  const m = stopGradient(lax.max(f, axes, true));
  const shift = where(isFiniteTensor(m), m, 0);
  const s = log(sum(exp(sub(f, shift)), axes, true));
  const out = add(s, shift);
  return keepdim ? out : lax.reshape(out, f.shape.filter((_, i) => !axes.includes(i)));
}

/** Variance with Bessel's correction by default (PyTorch's unbiased=True). */
export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 1 (Bessel's correction, the default) or 0 for the population variance. */
  correction?: number;
  /** PyTorch's older spelling: unbiased false is correction 0. */
  unbiased?: boolean;
}

export function variance(x: Tensor, dim?: Dims, keepdim = false, opts: VarianceOptions = {}): Tensor {
  checkTensor(x, "var");
  const correction = correctionOf("var", opts);
  const f = toFloat(x);
  const axes = normDims(dim, f.ndim, "var");
  const n = countOf(f, axes);
  // x + (-mean): as x - mean, with the mean's small cotangent negated rather than a full-size one
  const centered = add(f, neg(mean(f, axes, true)));
  return div(lax.sum(mul(centered, centered), axes, keepdim), Math.max(n - correction, 0));
}

function correctionOf(op: string, opts: VarianceOptions): number {
  const { correction, unbiased } = checkOptions(op, opts, { correction: true, unbiased: true });
  if (correction !== undefined && unbiased !== undefined) throw new Error(`${op}: give correction or unbiased, not both`);
  return correction ?? (unbiased === false ? 0 : 1);
}

export function std(x: Tensor, dim?: Dims, keepdim = false, opts: VarianceOptions = {}): Tensor {
  correctionOf("std", opts);
  return rootOfSum(variance(x, dim, keepdim, opts), sqrt);
}

/**
 * root(s) of a sum s >= 0 (a norm's, a variance), with the derivative at s = 0 taken as 0 rather
 * than inf * 0 = NaN: PyTorch's convention, so that a zero vector's norm and a constant's std have
 * gradient 0 instead of poisoning a whole batch of gradients with NaN.
 */
function rootOfSum(s: Tensor, root: (t: Tensor) => Tensor): Tensor {
  const nonzero = ne(s, 0);
  return where(nonzero, root(where(nonzero, s, 1)), 0);
}

/** Vector p-norm over dim (all elements by default). */
export function norm(x: Tensor, p: number | "fro" = 2, dim?: Dims, keepdim = false): Tensor {
  checkTensor(x, "norm");
  if (p !== "fro" && typeof p !== "number") throw new Error(`norm: p must be a number or "fro", got ${JSON.stringify(p)}`);
  const f = toFloat(x);
  const axes = normDims(dim, f.ndim, "norm");
  const q = p === "fro" ? 2 : p;
  if (q === Infinity) return lax.max(abs(f), axes, keepdim);
  if (q === -Infinity) return lax.min(abs(f), axes, keepdim);
  if (q === 1) return lax.sum(abs(f), axes, keepdim);
  if (q === 2) return rootOfSum(lax.sum(mul(f, f), axes, keepdim), sqrt);
  if (q === 0) return lax.sum(lax.cast(lax.ne(f, mul(f, 0)), f.dtype), axes, keepdim);
  return rootOfSum(lax.sum(pow(abs(f), q), axes, keepdim), (s) => pow(s, 1 / q));
}

