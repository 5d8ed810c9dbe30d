/** Argument checking and small helpers shared by the functional NN ops. */
import { type DType, isFloat, promoteTypes } from "../../core/dtype.js";
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { checkTensor } from "../convert.js";
import { mean, sum } from "../reduce.js";

export type Reduction = "none" | "mean" | "sum";
export type Optional = Tensor | null | undefined;
/** A size given once for every spatial dim, or once per dim. */
export type Size2 = number | readonly number[];

/** Check that every given tensor (the input is required) is floating point; return the dtype they compute in. */
export function floatDType(op: string, named: [string, Optional][]): DType {
  let dtype: DType | null = null;
  for (const [what, t] of named) {
    if (t === null || t === undefined) {
      if (what === "input") throw new Error(`${op}: expected input to be a Tensor, got ${t}`);
      continue;
    }
    checkTensor(t, op, what);
    if (!isFloat(t.dtype)) throw new Error(`${op}: expected ${what} to be a floating point tensor, got dtype ${t.dtype} (shape ${shapeStr(t.shape)})`);
    dtype = dtype === null ? t.dtype : promoteTypes(dtype, t.dtype);
  }
  return dtype!;
}

export const castOpt = (t: Optional, dtype: DType): Tensor | null => (t === null || t === undefined ? null : lax.cast(t, dtype));

/** A number or an array of `n` numbers, each an integer >= min. */
export function sizes(value: unknown, n: number, what: string, op: string, min: number): number[] {
  const list = typeof value === "number" ? new Array<number>(n).fill(value) : value;
  if (!Array.isArray(list) || list.length !== n || list.some((v) => !Number.isInteger(v) || v < min)) {
    const kind = min > 0 ? "positive" : "non-negative";
    throw new Error(`${op}: ${what} must be a ${kind} integer or an array of ${n} of them, got ${JSON.stringify(value)}`);
  }
  return list as number[];
}

export function checkReduction(r: unknown, op: string): Reduction {
  if (r === "none" || r === "mean" || r === "sum") return r;
  throw new Error(`${op}: reduction must be "none", "mean" or "sum", got ${JSON.stringify(r)}`);
}

export function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  return reduction === "sum" ? sum(loss) : mean(loss);
}

/** Shape [1, C, 1, ...] of rank `ndim`, to broadcast a per-channel vector against [N, C, ...]. */
export function channelView(v: Tensor, ndim: number, dim = 1): Tensor {
  return lax.reshape(v, Array.from({ length: ndim }, (_, i) => (i === dim ? v.numel : 1)));
}
