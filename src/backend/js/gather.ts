/** gather / scatterAdd along one dim (torch.gather semantics), with bounds checks. */
import type { TypedArray } from "../../core/dtype.js";
import { contiguousStrides, type Shape } from "../../core/shape.js";
import type { StridedArray } from "../backend.js";
import { SET_MIN } from "./elementwise.js";
import { forEachRow } from "./iterate.js";

function outOfBounds(op: string, v: number, dim: number, size: number): Error {
  return new Error(`${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

/** `strides` with dim's entry zeroed: the target offset of an index position before its index value is added. */
const withoutDim = (strides: readonly number[], dim: number): number[] => strides.map((s, d) => (d === dim ? 0 : s));

export function gather(x: StridedArray, dim: number, index: StridedArray, out: TypedArray): void {
  const xd = x.data, id = index.data, size = x.shape[dim], step = x.strides[dim];
  const strides = [index.strides, withoutDim(x.strides, dim), contiguousStrides(index.shape)];
  forEachRow(index.shape, strides, [index.offset, x.offset, 0], (offs, n, inner) => {
    const bad = gatherRow(out, offs[2], xd, offs[1], inner[1], step, id, offs[0], inner[0], n, size);
    if (bad >= 0) throw outOfBounds("gather", id[bad], dim, size);
  });
}

/** One row of gather, a plain function so its loop compiles on its own; returns the offset of an index out of bounds, or -1. */
function gatherRow(
  out: TypedArray, o: number, xd: TypedArray, xo: number, xs: number, step: number,
  id: TypedArray, io: number, is: number, n: number, size: number,
): number {
  if (is === 0 && xs === 1 && n >= SET_MIN) {
    // one index for a contiguous row (indexSelect, embedding): a row copy
    const v = id[io];
    if (v < 0 || v >= size) return io;
    out.set(xd.subarray(xo + v * step, xo + v * step + n) as never, o);
    return -1;
  }
  for (let j = 0; j < n; j++, io += is, xo += xs) {
    const v = id[io];
    if (v < 0 || v >= size) return io;
    out[o + j] = xd[xo + v * step];
  }
  return -1;
}

/** out (zeros of outShape) += src scattered along dim by index; src and index share a shape. */
export function scatterAdd(src: StridedArray, dim: number, index: StridedArray, outShape: Shape, out: TypedArray): void {
  const sd = src.data, id = index.data, size = outShape[dim];
  const outStrides = contiguousStrides(outShape), step = outStrides[dim];
  const strides = [index.strides, src.strides, withoutDim(outStrides, dim)];
  forEachRow(index.shape, strides, [index.offset, src.offset, 0], (offs, n, inner) => {
    const bad = scatterAddRow(out, offs[2], inner[2], step, sd, offs[1], inner[1], id, offs[0], inner[0], n, size);
    if (bad >= 0) throw outOfBounds("scatterAdd", id[bad], dim, size);
  });
}

/** One row of scatterAdd, as gatherRow. */
function scatterAddRow(
  out: TypedArray, o: number, os: number, step: number, sd: TypedArray, so: number, ss: number,
  id: TypedArray, io: number, is: number, n: number, size: number,
): number {
  if (is === 0) {
    // one index for the row (embedding's gradient): checked once, then a plain row add
    const v = id[io];
    if (v < 0 || v >= size) return io;
    for (let j = 0, p = o + v * step; j < n; j++, so += ss, p += os) out[p] += sd[so];
    return -1;
  }
  for (let j = 0; j < n; j++, io += is, so += ss, o += os) {
    const v = id[io];
    if (v < 0 || v >= size) return io;
    out[o + v * step] += sd[so];
  }
  return -1;
}
