/** Reductions over a sorted list of axes. */
import type { ReduceOp } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { moveDim, physDim } from "./batching.js";
import { produce, strided, view } from "./kernel.js";
import * as lax from "./lax.js";
import { constLike } from "./elementwise.js";
import { sample } from "./samples.js";

export interface ReduceParams {
  /** sorted, unique, non-negative */
  axes: number[];
  keepdim: boolean;
}

export function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((s, i) => {
    if (!axes.includes(i)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Run a reduce kernel: reduced axes are moved last (a view) and reduced as one block. */
function runReduce(op: ReduceOp, x: Tensor, { axes, keepdim }: ReduceParams, dtype = x.dtype): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...kept, ...axes];
  const moved = view(x, order.map((i) => x.shape[i]), order.map((i) => x.strides[i]), x.offset);
  return produce(reducedShape(x.shape, axes, keepdim), dtype, (out) => backend().reduce(op, strided(moved), axes.length, out));
}

/** The cotangent or output of a reduction broadcast back to the input shape. */
export function expandReduced(y: Tensor, x: Tensor, { axes, keepdim }: ReduceParams): Tensor {
  const kept = keepdim ? y : lax.reshape(y, reducedShape(x.shape, axes, true));
  return lax.expand(kept, x.shape);
}

/** Batch rule for reductions: map logical axes past the batch dim, then track where it lands. */
function batchReduce(prim: Primitive<ReduceParams>) {
  return ([x]: Tensor[], [d]: (number | null)[], { axes, keepdim }: ReduceParams): [Tensor, number | null] => {
    const bd = d!;
    const phys = axes.map((a) => physDim(a, bd));
    const out = bind(prim, [x], { axes: phys, keepdim });
    return [out, keepdim ? bd : bd - phys.filter((a) => a < bd).length];
  };
}

const reduceSamples = (): { args: Tensor[]; params: ReduceParams }[] => [
  { args: [sample([3, 4])], params: { axes: [1], keepdim: false } },
  { args: [sample([2, 3, 4])], params: { axes: [0, 2], keepdim: true } },
  { args: [sample([2, 3])], params: { axes: [0, 1], keepdim: false } },
  { args: [sample([])], params: { axes: [], keepdim: false } },
];

export const sumP: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: "sum",
  impl: ([x], p) => runReduce("sum", x, p),
  jvp: (_x, [t], p) => (t ? lax.sum(t, p.axes, p.keepdim) : null),
  vjp: (g, [x], p) => [expandReduced(g, x, p)],
  batch: (a, d, p) => batchReduce(sumP)(a, d, p),
  samples: reduceSamples,
});

/**
 * Products of all the other elements along the last axis (the partials of prod), by halving as
 * JAX's prod jvp does: split the axis in two halves, get the partials within each half (one
 * recursive call over both halves at once), and multiply by the sibling half's product.
 * log2(n) levels of ops, no division, so zeros are exact and it differentiates again.
 */
function exclusiveProducts(x: Tensor): Tensor {
  const last = x.ndim - 1, n = x.shape[last];
  if (n <= 1) return constLike(x, 1);
  let m = 1;
  while (m < n) m *= 2;
  const lead = x.shape.slice(0, last);
  const padded = m === n ? x : lax.pad(x, x.shape.map(() => 0), x.shape.map((_, i) => (i === last ? m - n : 0)), 1);
  const halves = lax.reshape(padded, [...lead, 2, m / 2]);
  const sibling = lax.flip(lax.prod(halves, [last + 1], true), [last]);
  const parts = lax.reshape(lax.mul(exclusiveProducts(halves), lax.expand(sibling, halves.shape)), [...lead, m]);
  return m === n ? parts : lax.slice(parts, parts.shape.map(() => 0), [...lead, n]);
}

/** d prod / d x: each element's product of the others in its reduced group (exact at zeros). */
function prodPartials(x: Tensor, { axes }: ReduceParams): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const moved = lax.permute(x, perm);
  const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
  const parts = lax.reshape(exclusiveProducts(lax.reshape(moved, [...kept.map((i) => x.shape[i]), n])), moved.shape);
  const inv = new Array<number>(perm.length);
  perm.forEach((q, i) => { inv[q] = i; });
  return lax.permute(parts, inv);
}

export const prodP: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: "prod",
  impl: ([x], p) => runReduce("prod", x, p),
  jvp: ([x], [t], p) => (t ? lax.sum(lax.mul(t, prodPartials(x, p)), p.axes, p.keepdim) : null),
  vjp: (g, [x], p) => [lax.mul(expandReduced(g, x, p), prodPartials(x, p))],
  batch: (a, d, p) => batchReduce(prodP)(a, d, p),
  samples: () => {
    // groups with no zero, one zero and two zeros (rows of [3, 4], reduced along dim 1)
    const withZeros = sample([3, 4]);
    withZeros.storage!.set([0], 5);
    withZeros.storage!.set([0, 0], 9);
    return [...reduceSamples(), { args: [withZeros], params: { axes: [1], keepdim: false } }, { args: [withZeros], params: { axes: [0, 1], keepdim: true } }];
  },
});

/** amax/amin: the gradient is shared evenly between tied extremes, as PyTorch's amax does. */
function extremum(op: "max" | "min"): Primitive<ReduceParams> {
  const share = (x: Tensor, y: Tensor, p: ReduceParams): Tensor => {
    const mask = lax.cast(lax.eq(x, expandReduced(y, x, p)), x.dtype);
    return lax.div(mask, expandReduced(lax.sum(mask, p.axes, p.keepdim), x, p));
  };
  const prim: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
    name: op,
    impl: ([x], p) => runReduce(op, x, p),
    jvp: ([x], [t], p, y) => (t ? lax.sum(lax.mul(t, share(x, y, p)), p.axes, p.keepdim) : null),
    vjp: (g, [x], p, y) => [lax.mul(expandReduced(g, x, p), share(x, y, p))],
    batch: (a, d, p) => batchReduce(prim)(a, d, p),
    samples: reduceSamples,
  });
  return prim;
}
export const maxP = extremum("max");
export const minP = extremum("min");

export interface ArgParams {
  /** one axis, or null for the flattened tensor */
  axis: number | null;
  keepdim: boolean;
}

function argReduce(op: "argmax" | "argmin"): Primitive<ArgParams> {
  const prim: Primitive<ArgParams> = definePrimitive<ArgParams>({
    name: op,
    impl: ([x], { axis, keepdim }) => {
      const axes = axis === null ? x.shape.map((_, i) => i) : [axis];
      const out = runReduce(op, x, { axes, keepdim: axis === null ? false : keepdim }, "int32");
      return axis === null && keepdim ? lax.reshape(out, x.shape.map(() => 1)) : out;
    },
    jvp: "nonDifferentiable",
    vjp: "nonDifferentiable",
    batch: ([x], [d], { axis, keepdim }) => {
      if (axis !== null) {
        const phys = physDim(axis, d!);
        return [bind(prim, [x], { axis: phys, keepdim }), keepdim || phys > d! ? d : d! - 1];
      }
      // flatten each example, then reduce along the flattened axis
      const front = moveDim(x, d!, 0);
      const flat = lax.reshape(front, [front.shape[0], front.numel / Math.max(front.shape[0], 1) || 0]);
      const out = bind(prim, [flat], { axis: 1, keepdim: false });
      return [keepdim ? lax.reshape(out, [front.shape[0], ...x.shape.slice(1).map(() => 1)]) : out, 0];
    },
    samples: () => [
      { args: [sample([3, 4])], params: { axis: 1, keepdim: false } },
      { args: [sample([3, 4])], params: { axis: null, keepdim: false } },
      { args: [sample([2, 3, 4])], params: { axis: 0, keepdim: true } },
      { args: [sample([3, 4])], params: { axis: null, keepdim: true } },
    ],
  });
  return prim;
}
export const argmaxP = argReduce("argmax");
export const argminP = argReduce("argmin");
