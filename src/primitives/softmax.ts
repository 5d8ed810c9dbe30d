/**
 * softmax and logSoftmax along one axis as primitives: one kernel pass over each row (its max,
 * the exponentials and their sum, the scaling), where the composite of max, sub, exp, sum and mul
 * made and copied out a full-size array per step. Their rules are PyTorch's: written with the
 * output, and differentiable again.
 */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import { bind } from "../core/trace.js";
import { alignBatched, physDim } from "./batching.js";
import * as lax from "./lax.js";
import { type RowParams, rowSamples, runRows, sumAlong } from "./rows.js";
import { sample } from "./samples.js";

export type SoftmaxParams = RowParams;

export interface SoftmaxBackwardParams extends SoftmaxParams {
  log: boolean;
}

/**
 * The vjp of softmax (log false) or logSoftmax (log true) at output y, applied to the cotangent g
 * in one pass per row, as PyTorch's _softmax_backward_data: y (g - sum(g y)), or g - e^y sum(g).
 * Linear in g; its own rules carry second derivatives.
 */
export const softmaxBackwardP: Primitive<SoftmaxBackwardParams> = definePrimitive<SoftmaxBackwardParams>({
  name: "softmaxBackward",
  impl: ([g, y], { axis, log }) => runRows([g, y], axis, ([gr, yr], out) => backend().softmaxBackward(gr, yr, log, out)),
  jvp: ([g, y], [tg, ty], p) => {
    const { axis, log } = p;
    const viaG = tg && bind(softmaxBackwardP, [tg, y], p);
    if (!ty) return viaG;
    // d/dy: -e^y ty sum(g), or ty (g - sum(g y)) - y sum(g ty)
    const viaY = log
      ? lax.neg(lax.mul(lax.mul(lax.exp(y), ty), sumAlong(g, axis)))
      : lax.sub(lax.mul(ty, lax.sub(g, sumAlong(lax.mul(g, y), axis))), lax.mul(y, sumAlong(lax.mul(g, ty), axis)));
    return lax.addTerms(viaG, viaY);
  },
  vjp: (u, [g, y], p, _out, needed) => {
    const { axis, log } = p;
    // the map g -> B(g, y) is symmetric for softmax; for logSoftmax its transpose is u - sum(e^y u)
    const toG = !needed[0] ? null : log ? lax.sub(u, sumAlong(lax.mul(lax.exp(y), u), axis)) : bind(softmaxBackwardP, [u, y], p);
    const toY = !needed[1] ? null : log
      ? lax.neg(lax.mul(lax.mul(lax.exp(y), u), sumAlong(g, axis)))
      : lax.sub(lax.mul(u, lax.sub(g, sumAlong(lax.mul(g, y), axis))), lax.mul(g, sumAlong(lax.mul(u, y), axis)));
    return [toG, toY];
  },
  batch: (args, dims, { axis, log }, ctx) => {
    const [aligned, d] = alignBatched(args, dims, ctx.axisSize);
    return [bind(softmaxBackwardP, aligned, { axis: physDim(axis, d), log }), d];
  },
  samples: () => rowSamples().flatMap(({ args: [x], params }) => [false, true].map((log) => ({
    // y an output of the forward op, so the samples are the pairs the rule meets
    args: [sample([...x.shape]), bind(log ? logSoftmaxP : softmaxP, [x], params)],
    params: { ...params, log },
  }))),
});

function softmaxLike(log: boolean): Primitive<SoftmaxParams> {
  const prim: Primitive<SoftmaxParams> = definePrimitive<SoftmaxParams>({
    name: log ? "logSoftmax" : "softmax",
    impl: ([x], { axis }) => runRows([x], axis, ([rows], out) => backend().softmax(rows, log, out)),
    // softmax's Jacobian is symmetric, so its jvp is its vjp's map; logSoftmax's is t - sum(t e^y)
    jvp: (_x, [t], { axis }, y) => {
      if (!t) return null;
      return log ? lax.sub(t, sumAlong(lax.mul(t, lax.exp(y)), axis)) : bind(softmaxBackwardP, [t, y], { axis, log });
    },
    vjp: (g, _x, { axis }, y) => [bind(softmaxBackwardP, [g, y], { axis, log })],
    batch: ([x], [d], { axis }) => [bind(prim, [x], { axis: physDim(axis, d!) }), d],
    samples: rowSamples,
  });
  return prim;
}

export const softmaxP = softmaxLike(false);
export const logSoftmaxP = softmaxLike(true);
