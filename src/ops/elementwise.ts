/** Elementwise ops: arithmetic, math functions, comparisons, where, clamp. */

import { checkDType, type DType, isFloat } from "../core/dtype.js";
import { broadcastShapes, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { constLike } from "../primitives/elementwise.js";
import * as lax from "../primitives/lax.js";
import { asTensor, checkTensor, prepareBinary, resultType, toFloat, type TensorLike } from "./convert.js";
import { checkOptions } from "../core/options.js";

const binary = (op: string, f: (a: Tensor, b: Tensor) => Tensor, float = false) =>
  (a: TensorLike, b: TensorLike): Tensor => f(...prepareBinary(a, b, op, float));

export const add = binary("add", lax.add);
export function sub(a: TensorLike, b: TensorLike): Tensor {
  if ([a, b].some((v) => typeof v === "boolean" || (typeof v === "object" && v?.dtype === "bool"))) {
    throw new Error("sub: subtraction with a bool operand is not supported (as in PyTorch); to invert a mask use where(mask, false, true), or cast to int32 first");
  }
  return lax.sub(...prepareBinary(a, b, "sub"));
}
export const mul = binary("mul", lax.mul);
/** True division: integers give float32, as in PyTorch. */
export const div = binary("div", lax.div, true);
export const maximum = binary("maximum", lax.maximum);
export const minimum = binary("minimum", lax.minimum);

export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === "number" && b < 0 && Number.isInteger(b) && typeof a === "object" && !isFloat(resultType(a, b))) {
    throw new Error(`pow: integers to negative integer powers are not allowed (exponent ${b}, base dtype ${a.dtype}); cast the base to a float dtype first`);
  }
  // a tensor to the power 2 is common enough to be a multiply
  if (typeof b === "number" && b === 2 && typeof a === "object") return square(a);
  return binary("pow", lax.pow)(a, b);
}

const compare = (op: string, f: (a: Tensor, b: Tensor) => Tensor) => (a: TensorLike, b: TensorLike): Tensor => f(...prepareBinary(a, b, op));
export const eq = compare("eq", lax.eq);
export const ne = compare("ne", lax.ne);
export const lt = compare("lt", lax.lt);
export const le = compare("le", lax.le);
export const gt = compare("gt", lax.gt);
export const ge = compare("ge", lax.ge);

const realUnary = (op: string, f: (x: Tensor) => Tensor) => (x: Tensor): Tensor => f(toFloat(checkTensor(x, op)));
export const exp = realUnary("exp", lax.exp);
export const log = realUnary("log", lax.log);
export const log1p = realUnary("log1p", lax.log1p);
export const sqrt = realUnary("sqrt", lax.sqrt);
export const sin = realUnary("sin", lax.sin);
export const cos = realUnary("cos", lax.cos);
export const tanh = realUnary("tanh", lax.tanh);
export const sigmoid = realUnary("sigmoid", lax.sigmoid);
export const erf = realUnary("erf", lax.erf);
export const rsqrt = (x: Tensor): Tensor => div(1, sqrt(x));
export const tan = (x: Tensor): Tensor => div(sin(x), cos(x));

const keepUnary = (op: string, f: (x: Tensor) => Tensor) => (x: Tensor): Tensor => f(checkTensor(x, op));
/** A unary op that keeps the dtype but, as PyTorch's, takes no bools. */
const numericUnary = (op: string, f: (x: Tensor) => Tensor) => keepUnary(op, (x) => {
  if (x.dtype === "bool") throw new Error(`${op}: not supported for a bool tensor (as in PyTorch); cast to int32 or float32 first`);
  return f(x);
});
export const neg = numericUnary("neg", lax.neg);
export const abs = numericUnary("abs", lax.abs);
export const sign = keepUnary("sign", lax.sign);
export const relu = numericUnary("relu", lax.relu);
/** x * x as one op, whose derivative 2x g takes one pass over g (mul(x, x) would take three); bools give int32. */
export const square = keepUnary("square", (x) => lax.square(x.dtype === "bool" ? lax.cast(x, "int32") : x));
// to integral values in the same dtype; gradients are zero, as PyTorch's
export const floor = numericUnary("floor", lax.floor);
export const ceil = numericUnary("ceil", lax.ceil);
/** To the nearest integer, halves to even (PyTorch's and NumPy's rule: round(2.5) is 2). */
export const round = numericUnary("round", lax.round);
/** Toward zero. */
export const trunc = numericUnary("trunc", lax.trunc);

/** gelu: exact x * Phi(x) by default (Phi the standard normal CDF), or the tanh approximation. */
export function gelu(x: Tensor, opts: { approximate?: "none" | "tanh" } = {}): Tensor {
  checkOptions("gelu", opts, { approximate: true });
  const a = opts.approximate ?? "none";
  if (a !== "none" && a !== "tanh") throw new Error(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(a)}`);
  // one primitive each, accurate in the left tail too (primitives/elementwise.ts)
  const f = toFloat(checkTensor(x, "gelu"));
  return a === "tanh" ? lax.geluTanh(f) : lax.gelu(f);
}

export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = checkTensor(cond, "where", "condition");
  if (c.dtype !== "bool") throw new Error(`where: condition must be a bool tensor, got ${c.dtype}`);
  const dtype = resultType(a, b);
  let x = asTensor(a, dtype, "where"), y = asTensor(b, dtype, "where");
  const shape = broadcastShapes(c.shape, broadcastShapes(x.shape, y.shape) ?? [-1]);
  if (!shape || shape.includes(-1)) {
    throw new Error(`where: shapes ${shapeStr(c.shape)} (condition), ${shapeStr(x.shape)} and ${shapeStr(y.shape)} cannot be broadcast together`);
  }
  [x, y] = [lax.expand(x, shape), lax.expand(y, shape)];
  return lax.where(lax.expand(c, shape), x, y);
}

export function clamp(x: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  let out = checkTensor(x, "clamp");
  if (min === undefined && max === undefined) throw new Error("clamp: at least one of min and max must be given");
  for (const [name, v] of [["min", min], ["max", max]] as const) {
    if (v !== undefined && v !== null && typeof v !== "number" && typeof v !== "boolean" && typeof v?.dtype !== "string") {
      throw new Error(`clamp: ${name} must be a Tensor or a number, got ${typeof v === "string" ? JSON.stringify(v) : typeof v}`);
    }
  }
  // one pass (lax.clamp), as PyTorch's clamp: a NaN element of a tensor bound gives NaN; a NaN
  // number bound is passed over (PyTorch compares with it, which is never true) but still promotes
  // as a float; a missing bound is the dtype's extreme, which no element is past
  let lo: Tensor | null = null, hi: Tensor | null = null;
  if (min !== undefined && min !== null) [out, lo] = prepareBinary(out, Number.isNaN(min) ? -Infinity : min, "clamp");
  if (max !== undefined && max !== null) [out, hi] = prepareBinary(out, Number.isNaN(max) ? Infinity : max, "clamp");
  // hi's promotion and broadcast may have changed x's dtype and shape since lo was prepared
  const bound = (b: Tensor | null, missing: number): Tensor =>
    lax.expand(b ? (b.dtype === out.dtype ? b : lax.cast(b, out.dtype)) : asTensor(missing, out.dtype, "clamp"), out.shape);
  const [low, high] = EXTREMES[out.dtype];
  return lax.clamp(out, bound(lo, low), bound(hi, high));
}

/** The lowest and highest value of each dtype: a missing bound of clamp. */
const EXTREMES: Record<DType, [number, number]> = {
  float32: [-Infinity, Infinity], float64: [-Infinity, Infinity], int32: [-(2 ** 31), 2 ** 31 - 1], bool: [0, 1],
};

/** Cast to another dtype (a no-op when it already has it). */
export function to(x: Tensor, dtype: Tensor["dtype"]): Tensor {
  return lax.cast(checkTensor(x, "to"), checkDType(dtype, "to"));
}

export function isFiniteTensor(x: Tensor): Tensor {
  const f = toFloat(x);
  return lax.eq(lax.sub(f, f), constLike(f, 0));
}

