/**
 * layerNorm's normalization along one axis as a primitive, (x - mean) / sqrt(var + eps) with the
 * biased variance, one kernel call over the rows (mean, variance, scaling), and its vjp as a
 * primitive too (PyTorch's native_layer_norm and its backward): the composite of mean, sub,
 * square, mean, rsqrt and mul made and copied out a full-size array per step.
 */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { alignBatched, physDim } from "./batching.js";
import { constLike } from "./elementwise.js";
import * as lax from "./lax.js";
import { type RowParams, rowSamples, runRows, sumAlong } from "./rows.js";
import { sample } from "./samples.js";

export interface LayerNormParams extends RowParams {
  eps: number;
}

/** v's mean along the axis, broadcast back. */
const meanAlong = (v: Tensor, axis: number): Tensor => lax.mul(sumAlong(v, axis), constLike(v, 1 / v.shape[axis]));

/** 1 / sqrt(var + eps) along the axis, broadcast back: the rules' r, as ops (differentiable again). */
function rstd(x: Tensor, { axis, eps }: LayerNormParams): Tensor {
  const centered = lax.sub(x, meanAlong(x, axis));
  const v = meanAlong(lax.mul(centered, centered), axis);
  return lax.div(constLike(v, 1), lax.sqrt(lax.add(v, constLike(v, eps))));
}

/**
 * B(g, x) = r (g - mean(g) - y mean(g y)), y the normalized x: the vjp of the normalization, and
 * (its Jacobian being symmetric) its jvp. Linear in g; in x its derivative, with dy = B(tx, x) and
 * m = mean(g y), is -r (mean(y tx) B + m dy + y mean(g dy)), whose transpose the vjp takes.
 */
export const layerNormBackwardP: Primitive<LayerNormParams> = definePrimitive<LayerNormParams>({
  name: "layerNormBackward",
  impl: ([g, x], p) => runRows([g, x], p.axis, ([gr, xr], out) => backend().layerNormBackward(gr, xr, p.eps, out)),
  jvp: ([g, x], [tg, tx], p, b) => {
    const viaG = tg && bind(layerNormBackwardP, [tg, x], p);
    if (!tx) return viaG;
    const { axis } = p, y = bind(layerNormP, [x], p), dy = bind(layerNormBackwardP, [tx, x], p);
    const terms = lax.add(lax.add(lax.mul(meanAlong(lax.mul(y, tx), axis), b), lax.mul(meanAlong(lax.mul(g, y), axis), dy)), lax.mul(y, meanAlong(lax.mul(g, dy), axis)));
    const viaX = lax.neg(lax.mul(rstd(x, p), terms));
    return viaG ? lax.add(viaG, viaX) : viaX;
  },
  vjp: (u, [g, x], p, b, needed) => {
    const { axis } = p;
    const toG = needed[0] ? bind(layerNormBackwardP, [u, x], p) : null;
    if (!needed[1]) return [toG, null];
    // the transpose in tx of the jvp's x part: -r (y mean(B u) + m B(u, x) + B mean(y u))
    const y = bind(layerNormP, [x], p);
    const terms = lax.add(lax.add(lax.mul(y, meanAlong(lax.mul(b, u), axis)), lax.mul(meanAlong(lax.mul(g, y), axis), bind(layerNormBackwardP, [u, x], p))), lax.mul(b, meanAlong(lax.mul(y, u), axis)));
    return [toG, lax.neg(lax.mul(rstd(x, p), terms))];
  },
  batch: (args, dims, { axis, eps }, ctx) => {
    const [aligned, d] = alignBatched(args, dims, ctx.axisSize);
    return [bind(layerNormBackwardP, aligned, { axis: physDim(axis, d), eps }), d];
  },
  samples: () => rowSamples().map(({ args: [x], params }) => ({ args: [sample([...x.shape]), x], params: { ...params, eps: 0.1 } })),
});

export const layerNormP: Primitive<LayerNormParams> = definePrimitive<LayerNormParams>({
  name: "layerNorm",
  impl: ([x], p) => runRows([x], p.axis, ([xr], out) => backend().layerNorm(xr, p.eps, out)),
  jvp: ([x], [t], p) => t && bind(layerNormBackwardP, [t, x], p),
  vjp: (g, [x], p) => [bind(layerNormBackwardP, [g, x], p)],
  batch: ([x], [d], { axis, eps }) => [bind(layerNormP, [x], { axis: physDim(axis, d!), eps }), d],
  // eps 0.1: finite differences of a 3- or 4-element row's normalization stay well conditioned
  samples: () => rowSamples().map(({ args, params }) => ({ args, params: { ...params, eps: 0.1 } })),
});
