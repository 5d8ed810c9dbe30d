/** gather / scatterAdd along one dim (torch.gather semantics), with bounds checks. */
import type { TypedArray } from "../../core/dtype.js";
import { contiguousStrides, type Shape } from "../../core/shape.js";
import type { StridedArray } from "../backend.js";
import { forEachRow } from "./iterate.js";

function outOfBounds(op: string, v: number, dim: number, size: number): Error {
  return new Error(`${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

/** `strides` with dim's entry zeroed: the target offset of an index position before its index value is added. */
const withoutDim = (strides: readonly number[], dim: number): number[] => strides.map((s, d) => (d === dim ? 0 : s));

export function gather(x: StridedArray, dim: number, index: StridedArray, out: TypedArray): void {
  const xd = x.data, id = index.data, size = x.shape[dim], step = x.strides[dim];
  const strides = [index.strides, withoutDim(x.strides, dim), contiguousStrides(index.shape)];
  forEachRow(index.shape, strides, [index.offset, x.offset, 0], ([io, xo, o], n, [is, xs]) => {
    for (let j = 0; j < n; j++, io += is, xo += xs) {
      const v = id[io];
      if (v < 0 || v >= size) throw outOfBounds("gather", v, dim, size);
      out[o + j] = xd[xo + v * step];
    }
  });
}

/** out (zeros of outShape) += src scattered along dim by index; src and index share a shape. */
export function scatterAdd(src: StridedArray, dim: number, index: StridedArray, outShape: Shape, out: TypedArray): void {
  const sd = src.data, id = index.data, size = outShape[dim];
  const outStrides = contiguousStrides(outShape), step = outStrides[dim];
  const strides = [index.strides, src.strides, withoutDim(outStrides, dim)];
  forEachRow(index.shape, strides, [index.offset, src.offset, 0], ([io, so, o], n, [is, ss, os]) => {
    for (let j = 0; j < n; j++, io += is, so += ss, o += os) {
      const v = id[io];
      if (v < 0 || v >= size) throw outOfBounds("scatterAdd", v, dim, size);
      out[o + v * step] += sd[so];
    }
  });
}
