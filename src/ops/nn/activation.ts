/** Activations: softmax and logSoftmax, and relu and gelu re-exported from the elementwise ops. */
import { type DType, isFloat } from "../../core/dtype.js";
import { shapeStr, shown } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { stopGradient } from "../autograd_ops.js";
import { checkTensor } from "../convert.js";
import { add, div, exp, gelu, log, mul, neg, relu } from "../elementwise.js";
import { sum } from "../reduce.js";
import { checkOptions } from "../../core/options.js";

export { relu, gelu };

export interface SoftmaxOptions { dtype?: DType }

/** x minus its max along d: exp of it cannot overflow. The max is a constant to every gradient. */
function shiftByMax(x: Tensor, d: number): Tensor {
  if (x.numel === 0) return x;
  // a row whose max is not finite (+inf, all -inf, NaN) becomes NaN - as in PyTorch, whose
  // softmax of [inf, 1, 0] is all NaN
  const m = stopGradient(lax.max(x, [d], true));
  return lax.sub(x, lax.expand(m, x.shape));
}

/** The float input of softmax-like ops with its dim normalised; a 0-d input is seen as [1]. */
function softmaxInput(op: string, x: Tensor, dim: number, opts: SoftmaxOptions): [Tensor, number] {
  checkTensor(x, op);
  checkOptions(op, opts, { dtype: true });
  if (dim === undefined || dim === null) throw new Error(`${op}: dim is required (softmax over which dimension?), got ${dim}`);
  const lo = -Math.max(x.ndim, 1), hi = Math.max(x.ndim, 1) - 1;
  if (!Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${shown(dim)}`);
  if (dim < lo || dim > hi) {
    throw new Error(`${op}: dim ${dim} is out of range for an input of shape ${shapeStr(x.shape)} (expected an integer in [${lo}, ${hi}])`);
  }
  const dtype = opts.dtype ?? (isFloat(x.dtype) ? x.dtype : "float32");
  if (!isFloat(dtype)) throw new Error(`${op}: dtype must be float32 or float64, got ${dtype}`);
  const f = lax.cast(x, dtype);
  return x.ndim === 0 ? [lax.reshape(f, [1]), 0] : [f, dim < 0 ? dim + x.ndim : dim];
}

/**
 * e^(x - max) times the reciprocal of its sum, as PyTorch computes it: the gradient then takes two
 * full-size products where a full-size quotient takes three.
 */
export function softmax(x: Tensor, dim: number, opts: SoftmaxOptions = {}): Tensor {
  const [f, d] = softmaxInput("softmax", x, dim, opts);
  const e = exp(shiftByMax(f, d));
  return lax.reshape(mul(e, div(1, sum(e, d, true))), x.shape);
}

/**
 * x - logsumexp(x) along dim, computed from the shifted values so it stays finite for large inputs.
 * Written as shifted + (-lse): the same values, and the gradient negates lse's small cotangent
 * rather than a full-size one (sub's would negate before the broadcast's sum).
 */
export function logSoftmax(x: Tensor, dim: number, opts: SoftmaxOptions = {}): Tensor {
  const [f, d] = softmaxInput("logSoftmax", x, dim, opts);
  const shifted = shiftByMax(f, d);
  return lax.reshape(add(shifted, neg(log(sum(exp(shifted), d, true)))), x.shape);
}
