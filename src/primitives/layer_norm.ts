/**
 * layerNorm along one axis as a primitive, (x - mean) / sqrt(var + eps) with the biased variance,
 * and the weight and bias when it has them, one kernel call over the rows (mean, variance,
 * scaling), and its vjp as a primitive too (PyTorch's native_layer_norm and its backward): the
 * composite of mean, sub, square, mean, rsqrt, mul and add made and copied out a full-size array per step.
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
 * With a third operand w (of g's shape) it is B(g w, x): the affine layerNorm's vjp in x, the
 * product made as the kernel reads g.
 */
export const layerNormBackwardP: Primitive<LayerNormParams> = definePrimitive<LayerNormParams>({
  name: "layerNormBackward",
  impl: (args, p) => runRows(args, p.axis, ([gr, xr, wr], out) => backend().layerNormBackward(gr, xr, p.eps, out, wr)),
  jvp: ([g, x, w], [tg, tx, tw], p, b) => {
    const viaX = (tx: Tensor): Tensor => {
      const gw = w ? lax.mul(g, w) : g;
      const { axis } = p, y = bind(layerNormP, [x], p), dy = bind(layerNormBackwardP, [tx, x], p);
      const inner = lax.add(lax.add(lax.mul(meanAlong(lax.mul(y, tx), axis), b), lax.mul(meanAlong(lax.mul(gw, y), axis), dy)), lax.mul(y, meanAlong(lax.mul(gw, dy), axis)));
      return lax.neg(lax.mul(rstd(x, p), inner));
    };
    return lax.addTerms(tg && bind(layerNormBackwardP, w ? [tg, x, w] : [tg, x], p), tw && bind(layerNormBackwardP, [g, x, tw], p), tx && viaX(tx));
  },
  vjp: (u, [g, x, w], p, b, needed) => {
    const { axis } = p;
    // B(., x) is symmetric: <u, B(g w, x)> = <B(u, x), g w>
    const bu = needed[0] || needed[2] ? bind(layerNormBackwardP, [u, x], p) : null;
    const toG = needed[0] ? (w ? lax.mul(bu!, w) : bu) : null;
    const toW = w && needed[2] ? lax.mul(bu!, g) : null;
    if (!needed[1]) return w ? [toG, null, toW] : [toG, null];
    // the transpose in tx of the jvp's x part: -r (y mean(B u) + m B(u, x) + B mean(y u))
    const gw = w ? lax.mul(g, w) : g;
    const y = bind(layerNormP, [x], p);
    const terms = lax.add(lax.add(lax.mul(y, meanAlong(lax.mul(b, u), axis)), lax.mul(meanAlong(lax.mul(gw, y), axis), bu ?? bind(layerNormBackwardP, [u, x], p))), lax.mul(b, meanAlong(lax.mul(y, u), axis)));
    const toX = lax.neg(lax.mul(rstd(x, p), terms));
    return w ? [toG, toX, toW] : [toG, toX];
  },
  batch: (args, dims, { axis, eps }, ctx) => {
    const [aligned, d] = alignBatched(args, dims, ctx.axisSize);
    return [bind(layerNormBackwardP, aligned, { axis: physDim(axis, d), eps }), d];
  },
  samples: () => affineSamples().map(({ args: [x, ...wb], params }) => ({ args: [sample([...x.shape]), x, ...wb.slice(0, 1)], params })),
});

/**
 * The normalization (x - mean) / sqrt(var + eps) along the axis; with operands w and b (of x's
 * shape, usually a row broadcast), the affine layerNorm y w + b in the same pass, as PyTorch's
 * native_layer_norm. Its vjp in x is B(g w, x), in w g y (y recomputed), in b g.
 */
export const layerNormP: Primitive<LayerNormParams> = definePrimitive<LayerNormParams>({
  name: "layerNorm",
  impl: (args, p) => runRows(args, p.axis, ([xr, wr, br], out) => backend().layerNorm(xr, p.eps, out, wr, br)),
  jvp: ([x, w], [tx, tw, tb], p) => {
    const viaX = tx && bind(layerNormBackwardP, [tx, x], p);
    return lax.addTerms(viaX && w ? lax.mul(viaX, w) : viaX, tw && lax.mul(bind(layerNormP, [x], p), tw), tb);
  },
  vjp: (g, [x, w], p, _y, needed) => {
    const toX = needed[0] ? bind(layerNormBackwardP, w ? [g, x, w] : [g, x], p) : null;
    if (!w) return [toX];
    return [toX, needed[1] ? lax.mul(g, bind(layerNormP, [x], p)) : null, needed[2] ? g : null];
  },
  batch: (args, dims, { axis, eps }, ctx) => {
    const [aligned, d] = alignBatched(args, dims, ctx.axisSize);
    return [bind(layerNormP, aligned, { axis: physDim(axis, d), eps }), d];
  },
  samples: affineSamples,
});

/**
 * rowSamples without and with w and b (eps 0.1: finite differences of a 3- or 4-element row's
 * normalization stay well conditioned), w and b once as a row broadcast over the others.
 */
function affineSamples(): { args: Tensor[]; params: LayerNormParams }[] {
  return rowSamples().flatMap(({ args: [x], params }) => {
    const p = { ...params, eps: 0.1 }, n = x.shape[params.axis];
    const row = x.shape.map((s, i) => (i === params.axis ? s : 1));
    return [
      { args: [x], params: p },
      { args: [x, sample([...x.shape]), sample([...x.shape])], params: p },
      { args: [x, lax.expand(lax.reshape(sample([n]), row), x.shape), lax.expand(lax.reshape(sample([n]), row), x.shape)], params: p },
    ];
  });
}
