/** gather / scatterAdd along one dim (torch.gather semantics), with bounds checks. */
import type { TypedArray } from "../../core/dtype.js";
import { contiguousStrides, type Shape } from "../../core/shape.js";
import type { StridedArray } from "../backend.js";

function outOfBounds(op: string, v: number, dim: number, size: number): Error {
  return new Error(`${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

/** Walk every element of `index` with the matching offsets into `target` (dim replaced by the index value). */
function walk(
  op: string, index: StridedArray, dim: number, targetStrides: readonly number[], targetOffset: number, targetSize: number,
  visit: (pos: number, targetOff: number) => void,
): void {
  const shape = index.shape, r = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const idx = new Array<number>(r).fill(0);
  let io = index.offset, to = targetOffset;
  const id = index.data;
  for (let pos = 0; pos < n; pos++) {
    const v = id[io];
    if (v < 0 || v >= targetSize) throw outOfBounds(op, v, dim, targetSize);
    visit(pos, to + v * targetStrides[dim]);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      io += index.strides[d];
      if (d !== dim) to += targetStrides[d];
      if (idx[d] < shape[d]) break;
      io -= index.strides[d] * shape[d];
      if (d !== dim) to -= targetStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

export function gather(x: StridedArray, dim: number, index: StridedArray, out: TypedArray): void {
  const xd = x.data;
  walk("gather", index, dim, x.strides, x.offset, x.shape[dim], (pos, off) => { out[pos] = xd[off]; });
}

export function scatterAdd(src: StridedArray, dim: number, index: StridedArray, outShape: Shape, out: TypedArray): void {
  // src and index share a shape; read src in index order through its own strides
  const srcFlat = new (src.data.constructor as Float64ArrayConstructor)(index.shape.reduce((a, b) => a * b, 1));
  let p = 0;
  walkStrided(src, (off) => { srcFlat[p++] = src.data[off]; });
  walk("scatterAdd", index, dim, contiguousStrides(outShape), 0, outShape[dim], (pos, off) => { out[off] += srcFlat[pos]; });
}

function walkStrided(x: StridedArray, visit: (off: number) => void): void {
  const shape = x.shape, r = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(r).fill(0);
  let off = x.offset;
  for (let pos = 0; pos < n; pos++) {
    visit(off);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      off += x.strides[d];
      if (idx[d] < shape[d]) break;
      off -= x.strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}
