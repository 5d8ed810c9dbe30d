/**
 * crossEntropy's core as primitives: logSoftmax along one axis picked at one class index per row,
 * gather(logSoftmax(x, axis), axis, index), one float per row from a max pass and an exp-sum pass
 * over the row; and its vjp g (onehot(index) - softmax(x)), one kernel call that writes the
 * gradient. The composite wrote the full logSoftmax, and its vjp scattered g into zeros and ran
 * logSoftmax's vjp over that.
 */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { batchToFront } from "./batching.js";
import * as lax from "./lax.js";
import { type RowParams, runRows } from "./rows.js";
import { sample, sampleIndex } from "./samples.js";
import { softmaxBackwardP } from "./softmax.js";

/** Throws unless every index is a valid position along x's axis (a kernel would read past its row). */
function checkIndex(op: string, x: Tensor, index: Tensor, axis: number): void {
  const size = x.shape[axis];
  for (const v of index.toTypedArray()) {
    if (!(v >= 0 && v < size)) throw new Error(`${op}: index ${v} is out of bounds for dimension ${axis} with size ${size}`);
  }
}

/** v summed along the axis, which is kept (of size 1, as index's). */
const sumKept = (v: Tensor, axis: number): Tensor => lax.sum(v, [axis], true);

/**
 * B(g, x, index) = g (onehot(index) - softmax(x)) along the axis, g of index's shape: the vjp of
 * logSoftmaxGather, one kernel call per row (softmax found again, and scaled). Linear in g; in x it
 * is -g times softmax's Jacobian (symmetric), y (t - sum(t y)).
 */
export const logSoftmaxGatherBackwardP: Primitive<RowParams> = definePrimitive<RowParams>({
  name: "logSoftmaxGatherBackward",
  impl: ([g, x, index], { axis }) => {
    checkIndex("logSoftmaxGatherBackward", x, index, axis);
    return runRows([g, x, index], axis, ([gr, xr, ir], out) => backend().logSoftmaxGatherBackward(gr, xr, ir, out), 1);
  },
  jvp: ([g, x, index], [tg, tx], p) => {
    const viaG = tg && bind(logSoftmaxGatherBackwardP, [tg, x, index], p);
    if (!tx) return viaG;
    const y = lax.softmax(x, p.axis);
    const viaX = lax.neg(lax.mul(lax.expand(g, x.shape), bind(softmaxBackwardP, [tx, y], { axis: p.axis, log: false })));
    return lax.addTerms(viaG, viaX);
  },
  vjp: (u, [g, x, index], { axis }, _out, needed) => {
    const y = lax.softmax(x, axis);
    const toG = needed[0] ? lax.sub(lax.gather(u, axis, index), sumKept(lax.mul(u, y), axis)) : null;
    const toX = needed[1] ? lax.neg(bind(softmaxBackwardP, [lax.mul(lax.expand(g, x.shape), u), y], { axis, log: false })) : null;
    return [toG, toX, null];
  },
  batch: (args, dims, { axis }, ctx) => [bind(logSoftmaxGatherBackwardP, args.map((a, i) => batchToFront(a, dims[i], ctx.axisSize)), { axis: axis + 1 }), 0],
  samples: () => rowIndexSamples().map(({ args: [x, index], params }) => ({ args: [sample([...index.shape]), x, index], params })),
});

export const logSoftmaxGatherP: Primitive<RowParams> = definePrimitive<RowParams>({
  name: "logSoftmaxGather",
  impl: ([x, index], { axis }) => {
    checkIndex("logSoftmaxGather", x, index, axis);
    return runRows([x, index], axis, ([xr, ir], out) => backend().logSoftmaxGather(xr, ir, out), 1);
  },
  // d(x[t] - logsumexp x) = t[index] - sum(softmax(x) t)
  jvp: ([x, index], [t], { axis }) => t && lax.sub(lax.gather(t, axis, index), sumKept(lax.mul(lax.softmax(x, axis), t), axis)),
  vjp: (g, [x, index], p) => [bind(logSoftmaxGatherBackwardP, [g, x, index], p), null],
  batch: (args, dims, { axis }, ctx) => [bind(logSoftmaxGatherP, args.map((a, i) => batchToFront(a, dims[i], ctx.axisSize)), { axis: axis + 1 }), 0],
  samples: rowIndexSamples,
});

/** Samples: rows along either axis of a matrix, a middle axis, a vector; one index per row. */
function rowIndexSamples(): { args: Tensor[]; params: RowParams }[] {
  return [
    { args: [sample([3, 4]), sampleIndex([3, 1], 4)], params: { axis: 1 } },
    { args: [sample([3, 4]), sampleIndex([1, 4], 3)], params: { axis: 0 } },
    { args: [sample([2, 3, 4]), sampleIndex([2, 1, 4], 3)], params: { axis: 1 } },
    { args: [sample([5]), sampleIndex([1], 5)], params: { axis: 0 } },
  ];
}
