/** Shape and view ops: reshape, transpose, squeeze, expand, slicing, joining and splitting. */
import { promoteTypes } from "../core/dtype.js";
import { inferShape, normDim, normDims, sameShape, shapeStr, shown } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { checkTensor } from "./convert.js";

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, "reshape");
  if (!Array.isArray(shape)) throw new Error(`reshape: shape must be an array, got ${JSON.stringify(shape)}`);
  return lax.reshape(x, inferShape(shape, x.numel, "reshape", x.shape));
}

/** Like reshape; tfunc copies when a view is impossible instead of failing. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, "view");
  if (!Array.isArray(shape)) throw new Error(`view: shape must be an array, got ${JSON.stringify(shape)}`);
  return lax.reshape(x, inferShape(shape, x.numel, "view", x.shape));
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor(x, "flatten");
  if (x.ndim === 0) return lax.reshape(x, [1]);
  const s = normDim(startDim, x.ndim, "flatten"), e = normDim(endDim, x.ndim, "flatten");
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const mid = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return lax.reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor(x, "permute");
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new Error(`permute: expected ${x.ndim} dims for a tensor of shape ${shapeStr(x.shape)}, got ${JSON.stringify(dims)}`);
  }
  const perm = dims.map((d) => normDim(d, x.ndim, "permute"));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: dims ${JSON.stringify(dims)} repeat a dimension`);
  return lax.permute(x, perm);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor(x, "transpose");
  const a = normDim(dim0, x.ndim, "transpose"), b = normDim(dim1, x.ndim, "transpose");
  if (x.ndim === 0) return x;
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return lax.permute(x, perm);
}

/** Reverse all dims (x.T). */
export function T(x: Tensor): Tensor {
  return lax.permute(x, x.shape.map((_, i) => x.ndim - 1 - i));
}

/** Swap the last two dims (x.mT). */
export function mT(x: Tensor): Tensor {
  if (x.ndim < 2) throw new Error(`mT: expected a tensor with at least 2 dims, got shape ${shapeStr(x.shape)}`);
  return transpose(x, -2, -1);
}

export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  checkTensor(x, "movedim");
  const src = (typeof source === "number" ? [source] : [...source]).map((d) => normDim(d, x.ndim, "movedim"));
  const dst = (typeof destination === "number" ? [destination] : [...destination]).map((d) => normDim(d, x.ndim, "movedim"));
  if (src.length !== dst.length) throw new Error(`movedim: source and destination must have the same length, got ${src.length} and ${dst.length}`);
  if (new Set(src).size !== src.length) throw new Error(`movedim: source ${JSON.stringify(source)} repeats a dimension`);
  if (new Set(dst).size !== dst.length) throw new Error(`movedim: destination ${JSON.stringify(destination)} repeats a dimension`);
  const perm = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => { perm[dst[i]] = s; });
  const rest = x.shape.map((_, i) => i).filter((i) => !src.includes(i));
  for (let i = 0, r = 0; i < x.ndim; i++) if (perm[i] === -1) perm[i] = rest[r++];
  return lax.permute(x, perm);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor(x, "unsqueeze");
  const d = normDim(dim, x.ndim + 1, "unsqueeze");
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return lax.reshape(x, shape);
}

/** Remove size-1 dims (all, or the given ones; a given dim of another size is left alone). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor(x, "squeeze");
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normDims(dim, x.ndim, "squeeze");
  return lax.reshape(x, x.shape.filter((s, i) => !(s === 1 && dims.includes(i))));
}

/** Broadcast to a larger shape (-1 keeps a size); a view. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, "expand");
  if (!Array.isArray(shape) || shape.length < x.ndim) {
    throw new Error(`expand: the target shape ${JSON.stringify(shape)} must have at least as many dims as the input ${shapeStr(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((s, i) => {
    const cur = i >= lead ? x.shape[i - lead] : null;
    if (s === -1) {
      if (cur === null) throw new Error(`expand: -1 is not allowed for a new leading dim (dim ${i} of ${JSON.stringify(shape)})`);
      return cur;
    }
    if (!Number.isInteger(s) || s < 0) throw new Error(`expand: invalid size ${s} in ${JSON.stringify(shape)}`);
    if (cur !== null && cur !== 1 && cur !== s) {
      throw new Error(`expand: the size of dim ${i - lead} (${cur}) must match the target size ${s} or be 1 (input ${shapeStr(x.shape)}, target ${JSON.stringify(shape)})`);
    }
    return s;
  });
  return lax.expand(x, target);
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape);
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor(x, "narrow");
  const d = normDim(dim, x.ndim, "narrow");
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new Error(`narrow: start ${start} and length ${length} are out of range for dim ${d} of size ${size} (shape ${shapeStr(x.shape)})`);
  }
  return lax.slice(x, x.shape.map((_, i) => (i === d ? s : 0)), x.shape.map((n, i) => (i === d ? length : n)));
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor(x, "select");
  if (x.ndim === 0) throw new Error("select: cannot select from a 0-d tensor");
  const d = normDim(dim, x.ndim, "select");
  const size = x.shape[d];
  if (!Number.isInteger(index)) throw new Error(`select: index must be an integer, got ${shown(index)}`);
  if (index < -size || index >= size) {
    throw new Error(`select: index ${index} is out of range for dim ${d} of size ${size} (shape ${shapeStr(x.shape)})`);
  }
  const i = index < 0 ? index + size : index;
  return lax.reshape(narrow(x, d, i, 1), x.shape.filter((_, k) => k !== d));
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error("cat: expected a non-empty array of tensors");
  tensors.forEach((t, i) => checkTensor(t, "cat", `tensors[${i}]`));
  // PyTorch skips 1-d empty tensors in cat
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  if (parts.length === 0) return tensors[0];
  const ref = parts[0];
  if (ref.ndim === 0) throw new Error("cat: zero-dimensional tensors cannot be concatenated; use stack");
  const d = normDim(dim, ref.ndim, "cat");
  parts.forEach((t: Tensor) => {
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => k !== d && s !== ref.shape[k])) {
      throw new Error(`cat: sizes of tensors must match except in dim ${d}: tensors[0] has shape ${shapeStr(ref.shape)} but tensors[${tensors.indexOf(t)}] has shape ${shapeStr(t.shape)}`);
    }
  });
  const dtype = parts.reduce((acc, t) => promoteTypes(acc, t.dtype), parts[0].dtype);
  return lax.concat(parts.map((t) => lax.cast(t, dtype)), d);
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error("stack: expected a non-empty array of tensors");
  tensors.forEach((t, i) => {
    checkTensor(t, "stack", `tensors[${i}]`);
    if (!sameShape(t.shape, tensors[0].shape)) {
      throw new Error(`stack: expects each tensor to be equal size, but got ${shapeStr(tensors[0].shape)} at entry 0 and ${shapeStr(t.shape)} at entry ${i}`);
    }
  });
  const d = normDim(dim, tensors[0].ndim + 1, "stack");
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

export function unbind(x: Tensor, dim = 0): Tensor[] {
  checkTensor(x, "unbind");
  const d = normDim(dim, x.ndim, "unbind");
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/** Split into pieces of `size` (the last may be smaller) or of the given sizes. */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  checkTensor(x, "split");
  const d = normDim(dim, x.ndim, "split");
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes <= 0) throw new Error(`split: split size must be a positive integer, got ${sizeOrSizes}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - s));
    if (n === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new Error(`split: sizes ${JSON.stringify(sizes)} must be non-negative integers summing to ${n}, the size of dim ${d} (shape ${shapeStr(x.shape)})`);
    }
  }
  let start = 0;
  return sizes.map((s) => { const part = narrow(x, d, start, s); start += s; return part; });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor(x, "chunk");
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: number of chunks must be a positive integer, got ${chunks}`);
  const d = normDim(dim, x.ndim, "chunk");
  // an empty dim gives `chunks` empty pieces, as PyTorch's chunk does
  if (x.shape[d] === 0) return Array.from({ length: chunks }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(x.shape[d] / chunks), d);
}

export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkTensor(x, "flip");
  return lax.flip(x, normDims(dims, x.ndim, "flip"));
}

