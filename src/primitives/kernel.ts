/** Glue between concrete tensors and backend kernels. */
import type { StridedArray } from "../backend/backend.js";
import { allocArray, allocUnwritten, type DType, type TypedArray } from "../core/dtype.js";
import { numelOf, type Shape } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";

/** A concrete tensor as the backends see it (a tensor's own `data` is the users' door to its storage). */
export function strided(t: Tensor): StridedArray {
  return { data: t.storage!, shape: t.shape, strides: t.strides, offset: t.offset };
}

/** A fresh contiguous tensor, filled by `fill(out)`; out starts zeroed. */
export function produce(shape: Shape, dtype: DType, fill: (out: TypedArray) => void): Tensor {
  const data = allocArray(dtype, numelOf(shape));
  fill(data);
  return new Tensor(shape, dtype, data);
}

/** produce for a `write` that sets every element itself: out starts with arbitrary values. */
export function produceWritten(shape: Shape, dtype: DType, write: (out: TypedArray) => void): Tensor {
  const data = allocUnwritten(dtype, numelOf(shape));
  write(data);
  return new Tensor(shape, dtype, data);
}

/** A view sharing storage. */
export function view(t: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  return new Tensor(shape, t.dtype, t.storage, strides, offset);
}

/** A 0-d concrete tensor. */
export function scalar(value: number, dtype: DType): Tensor {
  const data = allocArray(dtype, 1);
  data[0] = value;
  return new Tensor([], dtype, data);
}

/** The n x n identity as a concrete tensor. */
export function eyeTensor(n: number, dtype: DType, m = n): Tensor {
  return produce([n, m], dtype, (out) => {
    for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1;
  });
}
