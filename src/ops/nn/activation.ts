/** Activations: softmax and logSoftmax, and relu and gelu re-exported from the elementwise ops. */
import { type DType, isFloat } from "../../core/dtype.js";
import { shapeStr, shown } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { checkTensor } from "../convert.js";
import { gelu, relu } from "../elementwise.js";
import { checkOptions } from "../../core/options.js";

export { relu, gelu };

export interface SoftmaxOptions { dtype?: DType }

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
 * e^(x - max) times the reciprocal of its sum along dim, as PyTorch computes it, in one kernel
 * pass per row (primitives/softmax.ts). A row whose max is not finite (+inf, all -inf, NaN)
 * comes out NaN, as PyTorch's softmax of [inf, 1, 0] does.
 */
export function softmax(x: Tensor, dim: number, opts: SoftmaxOptions = {}): Tensor {
  const [f, d] = softmaxInput("softmax", x, dim, opts);
  return lax.reshape(lax.softmax(f, d), x.shape);
}

/** (x - max) - log(sum(e^(x - max))) along dim: finite for large inputs, one kernel pass per row. */
export function logSoftmax(x: Tensor, dim: number, opts: SoftmaxOptions = {}): Tensor {
  const [f, d] = softmaxInput("logSoftmax", x, dim, opts);
  return lax.reshape(lax.logSoftmax(f, d), x.shape);
}
