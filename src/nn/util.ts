/** Small helpers for the nn package. */
import { allocArray, type DType } from "../core/dtype.js";
import { numelOf } from "../core/shape.js";
import { markCreated } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";

/** A fresh zero-filled contiguous tensor (storage for a parameter to be initialised in place). */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  const data = allocArray(dtype, numelOf(shape));
  markCreated(data);
  return new Tensor([...shape], dtype, data);
}
