/**
 * crossEntropy's core as primitives: logSoftmax along one axis picked at one class index per row,
 * gather(logSoftmax(x, axis), axis, index), one float per row from a max pass and an exp-sum pass
 * over the row; and its vjp g (onehot(index) - softmax(x)), one pass that writes the gradient,
 * given the rows' logsumexps (which the forward's output gives back). The composite wrote the
 * full logSoftmax, and its vjp scattered g into zeros and ran logSoftmax's vjp over that.
 */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { batchToFront } from "./batching.js";
import * as lax from "./lax.js";
import { type RowParams, runRows } from "./rows.js";
import { sample, sampleIndex } from "./samples.js";

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
 * B(g, x, lse, index) = g (onehot(index) - exp(x - lse)) along the axis, g and lse (the rows'
 * logsumexps) of index's shape: the vjp of logSoftmaxGather, one pass over each row with no max or
 * sum to find. Linear in g; its other derivatives are elementwise, with e = exp(x - lse):
 * -g e tx and g e tlse.
 */
export const logSoftmaxGatherBackwardP: Primitive<RowParams> = definePrimitive<RowParams>({
  name: "logSoftmaxGatherBackward",
  impl: ([g, x, lse, index], { axis }) => {
    checkIndex("logSoftmaxGatherBackward", x, index, axis);
    return runRows([g, x, lse, index], axis, ([gr, xr, lr, ir], out) => backend().logSoftmaxGatherBackward(gr, xr, lr, ir, out), 1);
  },
  jvp: ([g, x, lse, index], [tg, tx, tl], p) => {
    const viaG = tg && bind(logSoftmaxGatherBackwardP, [tg, x, lse, index], p);
    if (!tx && !tl) return viaG;
    // g e (tlse - tx)
    const ge = lax.mul(lax.expand(g, x.shape), expShifted(x, lse));
    const dt = tx && tl ? lax.sub(lax.expand(tl, x.shape), tx) : tx ? lax.neg(tx) : lax.expand(tl!, x.shape);
    const viaRest = lax.mul(ge, dt);
    return viaG ? lax.add(viaG, viaRest) : viaRest;
  },
  vjp: (u, [g, x, lse, index], { axis }, _out, needed) => {
    const e = expShifted(x, lse);
    const toG = needed[0] ? lax.sub(lax.gather(u, axis, index), sumKept(lax.mul(u, e), axis)) : null;
    const geu = needed[1] || needed[2] ? lax.mul(lax.mul(lax.expand(g, x.shape), e), u) : null;
    return [toG, needed[1] ? lax.neg(geu!) : null, needed[2] ? sumKept(geu!, axis) : null, null];
  },
  batch: (args, dims, { axis }, ctx) => [bind(logSoftmaxGatherBackwardP, args.map((a, i) => batchToFront(a, dims[i], ctx.axisSize)), { axis: axis + 1 }), 0],
  // lse near each row's logsumexp (exp(x - lse) about softmax), g anything
  samples: () => rowIndexSamples().map(({ args: [x, index], params }) => ({
    args: [sample([...index.shape]), x, rowLse(x, params.axis, index, lax.logSoftmaxGather(x, params.axis, index)), index],
    params,
  })),
});

/** The rows' logsumexps from logSoftmaxGather's output `picked`: x[index] - logSoftmax(x)[index]. */
const rowLse = (x: Tensor, axis: number, index: Tensor, picked: Tensor): Tensor => lax.sub(lax.gather(x, axis, index), picked);

/** exp(x - lse), lse broadcast along the axis. */
const expShifted = (x: Tensor, lse: Tensor): Tensor => lax.exp(lax.sub(x, lax.expand(lse, x.shape)));

export const logSoftmaxGatherP: Primitive<RowParams> = definePrimitive<RowParams>({
  name: "logSoftmaxGather",
  impl: ([x, index], { axis }) => {
    checkIndex("logSoftmaxGather", x, index, axis);
    return runRows([x, index], axis, ([xr, ir], out) => backend().logSoftmaxGather(xr, ir, out), 1);
  },
  // d(x[t] - logsumexp x) = t[index] - sum(softmax(x) t)
  jvp: ([x, index], [t], { axis }) => t && lax.sub(lax.gather(t, axis, index), sumKept(lax.mul(lax.softmax(x, axis), t), axis)),
  vjp: (g, [x, index], p, out) => [bind(logSoftmaxGatherBackwardP, [g, x, rowLse(x, p.axis, index, out), index], p), null],
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
