/**
 * Shape primitives. All but pad and concat are views that share storage; their rules are each
 * other's transposes (slice <-> pad, expand <-> sum, reshape/permute/flip are self-similar).
 */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import { contiguousStrides, numelOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { alignBatched, moveDim, physDim } from "./batching.js";
import { produce, produceWritten, strided, view } from "./kernel.js";
import * as lax from "./lax.js";
import { sample } from "./samples.js";

/** Strides that let `shape` view x's storage without a copy (PyTorch's rule), or null. */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.isContiguous() || x.numel === 0) return contiguousStrides(shape);
  // match groups of old dims to groups of new dims with equal element counts
  const oldShape = x.shape.filter((s) => s !== 1);
  const oldStrides = x.strides.filter((_, i) => x.shape[i] !== 1);
  const out = new Array<number>(shape.length).fill(0);
  let oi = 0, ni = 0;
  while (ni < shape.length || oi < oldShape.length) {
    if (ni < shape.length && shape[ni] === 1) { out[ni] = 1; ni++; continue; }
    if (oi >= oldShape.length || ni >= shape.length) return null;
    // collect one chunk of old dims that must be contiguous among themselves
    let oldN = oldShape[oi], newN = shape[ni];
    const oStart = oi, nStart = ni;
    oi++; ni++;
    while (oldN !== newN) {
      if (oldN < newN) { if (oi >= oldShape.length) return null; oldN *= oldShape[oi++]; }
      else { if (ni >= shape.length) return null; newN *= shape[ni++]; }
    }
    for (let k = oStart; k < oi - 1; k++) if (oldStrides[k] !== oldStrides[k + 1] * oldShape[k + 1]) return null;
    let s = oldStrides[oi - 1];
    for (let k = ni - 1; k >= nStart; k--) { out[k] = s; s *= shape[k]; }
  }
  return out;
}

/** Whether reshaping x to `shape` is free (a view). Tracers hide their layout: assume it is. */
export function reshapesAsView(x: Tensor, shape: readonly number[]): boolean {
  return x.storage === null || viewStrides(x, shape) !== null;
}

export const reshapeP: Primitive<{ shape: number[] }> = definePrimitive<{ shape: number[] }>({
  name: "reshape",
  impl: ([x], { shape }) => {
    const strides = viewStrides(x, shape);
    if (strides) return view(x, shape, strides, x.offset);
    return produceWritten(shape, x.dtype, (out) => backend().copy(strided(x), { data: out, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 }));
  },
  jvp: (_x, [t], { shape }) => (t ? lax.reshape(t, shape) : null),
  vjp: (g, [x]) => [lax.reshape(g, x.shape)],
  batch: ([x], [d], { shape }) => {
    const front = moveDim(x, d!, 0);
    return [bind(reshapeP, [front], { shape: [front.shape[0], ...shape] }), 0];
  },
  samples: () => [{ args: [sample([2, 3, 4])], params: { shape: [6, 4] } }, { args: [sample([6])], params: { shape: [2, 1, 3] } }],
});

export const permuteP: Primitive<{ perm: number[] }> = definePrimitive<{ perm: number[] }>({
  name: "permute",
  impl: ([x], { perm }) => view(x, perm.map((p) => x.shape[p]), perm.map((p) => x.strides[p]), x.offset),
  jvp: (_x, [t], { perm }) => (t ? lax.permute(t, perm) : null),
  vjp: (g, _x, { perm }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => { inv[p] = i; });
    return [lax.permute(g, inv)];
  },
  batch: ([x], [d], { perm }) => [bind(permuteP, [x], { perm: [d!, ...perm.map((p) => physDim(p, d!))] }), 0],
  samples: () => [{ args: [sample([2, 3, 4])], params: { perm: [2, 0, 1] } }, { args: [sample([2, 3])], params: { perm: [1, 0] } }],
});

/** Broadcast x to `shape` (right-aligned, as torch.expand): new and size-1 dims get stride 0. */
export const expandP: Primitive<{ shape: number[] }> = definePrimitive<{ shape: number[] }>({
  name: "expand",
  impl: ([x], { shape }) => {
    const lead = shape.length - x.ndim;
    const strides = shape.map((s, i) => (i < lead || (x.shape[i - lead] === 1 && s !== 1) ? 0 : x.strides[i - lead]));
    return view(x, shape, strides, x.offset);
  },
  jvp: (_x, [t], { shape }) => (t ? lax.expand(t, shape) : null),
  vjp: (g, [x], { shape }) => {
    const lead = shape.length - x.ndim;
    const axes = shape.map((_, i) => i).filter((i) => i < lead || (x.shape[i - lead] === 1 && shape[i] !== 1));
    return [lax.reshape(axes.length ? lax.sum(g, axes, false) : g, x.shape)];
  },
  batch: ([x], [d], { shape }) => {
    const front = moveDim(x, d!, 0);
    const lifted = lax.reshape(front, [front.shape[0], ...new Array(shape.length - (x.ndim - 1)).fill(1), ...front.shape.slice(1)]);
    return [bind(expandP, [lifted], { shape: [front.shape[0], ...shape] }), 0];
  },
  samples: () => [{ args: [sample([3, 1])], params: { shape: [2, 3, 4] } }, { args: [sample([])], params: { shape: [2, 3] } }],
});

export interface SliceParams { starts: number[]; sizes: number[] }

export const sliceP: Primitive<SliceParams> = definePrimitive<SliceParams>({
  name: "slice",
  impl: ([x], { starts, sizes }) => view(x, sizes, x.strides, x.offset + starts.reduce((acc, s, i) => acc + s * x.strides[i], 0)),
  jvp: (_x, [t], p) => (t ? lax.slice(t, p.starts, p.sizes) : null),
  vjp: (g, [x], { starts, sizes }) => [lax.pad(g, starts, x.shape.map((s, i) => s - starts[i] - sizes[i]), 0)],
  batch: ([x], [d], { starts, sizes }) => {
    const s = [...starts], z = [...sizes];
    s.splice(d!, 0, 0);
    z.splice(d!, 0, x.shape[d!]);
    return [bind(sliceP, [x], { starts: s, sizes: z }), d];
  },
  samples: () => [{ args: [sample([4, 5])], params: { starts: [1, 2], sizes: [2, 3] } }, { args: [sample([3, 4, 2])], params: { starts: [0, 1, 1], sizes: [3, 2, 1] } }],
});

export interface PadParams { lo: number[]; hi: number[]; value: number }

export const padP: Primitive<PadParams> = definePrimitive<PadParams>({
  name: "pad",
  impl: ([x], { lo, hi, value }) => {
    const shape = x.shape.map((s, i) => s + lo[i] + hi[i]);
    return produce(shape, x.dtype, (out) => {
      if (value !== 0) out.fill(value);
      const strides = contiguousStrides(shape);
      const offset = lo.reduce((acc, l, i) => acc + l * strides[i], 0);
      backend().copy(strided(x), { data: out, shape: x.shape, strides, offset });
    });
  },
  jvp: (_x, [t], { lo, hi }) => (t ? lax.pad(t, lo, hi, 0) : null),
  vjp: (g, [x], { lo }) => [lax.slice(g, lo, [...x.shape])],
  batch: ([x], [d], { lo, hi, value }) => {
    const l = [...lo], h = [...hi];
    l.splice(d!, 0, 0);
    h.splice(d!, 0, 0);
    return [bind(padP, [x], { lo: l, hi: h, value }), d];
  },
  samples: () => [
    { args: [sample([2, 3])], params: { lo: [1, 0], hi: [0, 2], value: 0 } },
    { args: [sample([2, 1, 3])], params: { lo: [0, 2, 1], hi: [1, 0, 1], value: 1.5 } },
  ],
});

export const flipP: Primitive<{ dims: number[] }> = definePrimitive<{ dims: number[] }>({
  name: "flip",
  impl: ([x], { dims }) => {
    let offset = x.offset;
    const strides = [...x.strides];
    for (const d of dims) {
      if (x.shape[d] === 0) continue;
      offset += (x.shape[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
    return view(x, x.shape, strides, offset);
  },
  jvp: (_x, [t], p) => (t ? lax.flip(t, p.dims) : null),
  vjp: (g, _x, p) => [lax.flip(g, p.dims)],
  batch: ([x], [d], { dims }) => [bind(flipP, [x], { dims: dims.map((a) => physDim(a, d!)) }), d],
  samples: () => [{ args: [sample([3, 4])], params: { dims: [0, 1] } }, { args: [sample([2, 3, 2])], params: { dims: [1] } }],
});

export const concatP: Primitive<{ axis: number }> = definePrimitive<{ axis: number }>({
  name: "concat",
  impl: (xs, { axis }) => {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((acc, x) => acc + x.shape[axis], 0);
    // the inputs tile the output: every element is written
    return produceWritten(shape, xs[0].dtype, (out) => {
      const strides = contiguousStrides(shape);
      let offset = 0;
      for (const x of xs) {
        if (numelOf(x.shape) > 0) backend().copy(strided(x), { data: out, shape: x.shape, strides, offset });
        offset += x.shape[axis] * strides[axis];
      }
    });
  },
  jvp: (xs, ts, p) => {
    if (ts.every((t) => t === null)) return null;
    return lax.concat(ts.map((t, i) => t ?? lax.zerosLike(xs[i])), p.axis);
  },
  vjp: (g, xs, { axis }, _y, needed) => {
    let start = 0;
    return xs.map((x, k) => {
      const starts = g.shape.map((_, i) => (i === axis ? start : 0));
      start += x.shape[axis];
      return needed[k] ? lax.slice(g, starts, [...x.shape]) : null;
    });
  },
  batch: (xs, dims, { axis }, ctx) => {
    const [aligned, d] = alignBatched(xs, dims, ctx.axisSize);
    return [bind(concatP, aligned, { axis: physDim(axis, d) }), d];
  },
  samples: () => [{ args: [sample([2, 3]), sample([1, 3]), sample([3, 3])], params: { axis: 0 } }, { args: [sample([2, 1]), sample([2, 3])], params: { axis: 1 } }],
});
