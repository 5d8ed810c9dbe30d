/**
 * Primitives computed along one axis, a row at a time (softmax, logSoftmax, layerNorm, crossEntropy's
 * logSoftmaxGather, and their vjps): the axis is moved last, with unit stride (copied when it is not), and the backend's row
 * kernel writes the result, moved back (a view).
 */
import type { StridedArray } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import type { TypedArray } from "../core/dtype.js";
import { contiguousStrides } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { moveDim } from "./batching.js";
import { produceWritten, strided } from "./kernel.js";
import * as lax from "./lax.js";
import { sample } from "./samples.js";

export interface RowParams {
  /** non-negative */
  axis: number;
}

/** v summed along the axis and broadcast back. */
export const sumAlong = (v: Tensor, axis: number): Tensor => lax.expand(lax.sum(v, [axis], true), v.shape);

/** The rows of x along `axis` with unit stride: x itself, or a copy in that layout (moved back, a view). */
function unitRows(x: Tensor, axis: number): Tensor {
  const last = x.ndim - 1, moved = moveDim(x, axis, last);
  if (moved.strides[last] === 1 || moved.shape[last] <= 1) return x;
  const copy = produceWritten(moved.shape, moved.dtype, (out) => backend().copy(strided(moved), { data: out, shape: moved.shape, strides: contiguousStrides(moved.shape), offset: 0 }));
  return moveDim(copy, last, axis);
}

/**
 * Runs a row kernel on the operands' rows along `axis` (moved last, unit stride), the result, of
 * the shape of operand `like` and the first's dtype, moved back (a view).
 */
export function runRows(xs: Tensor[], axis: number, kernel: (rows: StridedArray[], out: TypedArray) => void, like = 0): Tensor {
  const last = xs[0].ndim - 1;
  const rows = xs.map((x) => moveDim(unitRows(x, axis), axis, last));
  return moveDim(produceWritten(rows[like].shape, rows[0].dtype, (out) => kernel(rows.map(strided), out)), last, axis);
}

/** Samples for the rule harness: rows along either axis of a matrix, a middle axis, a vector. */
export const rowSamples = (): { args: Tensor[]; params: RowParams }[] => [
  { args: [sample([3, 4])], params: { axis: 1 } },
  { args: [sample([3, 4])], params: { axis: 0 } },
  { args: [sample([2, 3, 4])], params: { axis: 1 } },
  { args: [sample([5])], params: { axis: 0 } },
];
