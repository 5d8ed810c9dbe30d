/** Deterministic float64 sample inputs for the generic rule-checking harness. */
import type { DType } from "../core/dtype.js";
import { allocArray } from "../core/dtype.js";
import { numelOf } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";

let state = 12345;
function next(): number {
  // xorshift32: only needs to be deterministic and spread out
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}

export function sample(shape: number[], low = -2, high = 2, dtype: DType = "float64"): Tensor {
  const data = allocArray(dtype, numelOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * next();
  return new Tensor(shape, dtype, data);
}

/** Integer indices in [0, high). */
export function sampleIndex(shape: number[], high: number): Tensor {
  const data = new Int32Array(numelOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * high);
  return new Tensor(shape, "int32", data);
}
