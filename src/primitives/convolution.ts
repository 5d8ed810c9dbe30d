/**
 * Convolution as three primitives that close under differentiation: conv (x, w -> y), its
 * transpose with respect to x (convInputGrad: dy, w -> dx) and with respect to w
 * (convWeightGrad: x, dy -> dw). Each is linear in each argument, so every derivative of one is
 * one of the three. A batch dim folds into the images; when the weights are batched, it folds
 * into the groups instead (each example's channels become a group of its own).
 */
import type { ConvGeometry } from "../backend/backend.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { batchIntoLeading, batchToFront, moveDim } from "./batching.js";
import { outSize } from "./conv.js";
import { convForward, convInputGrad, convWeightGrad, type ConvSizes } from "./conv_pieces.js";
import { produce, produceWritten } from "./kernel.js";
import * as lax from "./lax.js";
import { sample } from "./samples.js";

/** Strides, symmetric zero padding and dilations (height, width), and the number of groups. */
export interface ConvParams {
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number;
}
/** convInputGrad also needs the input's spatial size, which strides can leave ambiguous. */
export interface ConvInputGradParams extends ConvParams { h: number; w: number }
/** convWeightGrad also needs the kernel's size. */
export interface ConvWeightGradParams extends ConvParams { kh: number; kw: number }

const convOnly = ({ sh, sw, ph, pw, dh, dw, groups }: ConvParams): ConvParams => ({ sh, sw, ph, pw, dh, dw, groups });

/** The sizes of conv(x, w) for x [n, c, h, w] and w [o, c / groups, kh, kw]. */
function sizesOf(x: readonly number[], w: readonly number[], p: ConvParams): ConvSizes {
  const [n, c, h, wd] = x, [o, , kh, kw] = w;
  const g: ConvGeometry = {
    kh, kw, sh: p.sh, sw: p.sw, ph: p.ph, pw: p.pw, dh: p.dh, dw: p.dw, h, w: wd,
    oh: outSize(h, kh, p.sh, p.ph, p.dh), ow: outSize(wd, kw, p.sw, p.pw, p.dw),
  };
  return { n, c, o, groups: p.groups, g };
}

/** [B, o, ...] -> [B * o, ...]: a batch of weights as one weight with B times the out channels. */
const mergeLeading = (t: Tensor): Tensor => lax.reshape(t, [t.shape[0] * t.shape[1], ...t.shape.slice(2)]);

/** [B * o, ...] -> [B, o, ...]. */
const splitLeading = (t: Tensor, B: number): Tensor => lax.reshape(t, [B, t.shape[0] / B, ...t.shape.slice(1)]);

/** An image-like arg [B, n, c, ...] -> [n, B * c, ...]: each example's channels side by side, as groups. */
const batchIntoChannels = (x: Tensor): Tensor => lax.reshape(moveDim(x, 0, 1), [x.shape[1], x.shape[0] * x.shape[2], ...x.shape.slice(3)]);

/** [n, B * c, ...] -> [n, B, c, ...]: the batch at dim 1. */
const channelsIntoBatch = (y: Tensor, B: number): Tensor => lax.reshape(y, [y.shape[0], B, y.shape[1] / B, ...y.shape.slice(2)]);

/** The params with the groups of a batch of B examples side by side. */
const grouped = <P extends ConvParams>(p: P, B: number): P => ({ ...p, groups: B * p.groups });

export const convP: Primitive<ConvParams> = definePrimitive<ConvParams>({
  name: "conv",
  impl: ([x, w], p) => {
    const s = sizesOf(x.shape, w.shape, p);
    return produceWritten([s.n, s.o, s.g.oh, s.g.ow], x.dtype, (y) => convForward(x.contiguousData(), w.contiguousData(), s, y, x.dtype));
  },
  jvp: ([x, w], [tx, tw], p) => lax.addTerms(tx && lax.conv(tx, w, p), tw && lax.conv(x, tw, p)),
  vjp: (g, [x, w], p, _y, needed) => [
    needed[0] ? lax.convInputGrad(g, w, { ...p, h: x.shape[2], w: x.shape[3] }) : null,
    needed[1] ? lax.convWeightGrad(x, g, { ...p, kh: w.shape[2], kw: w.shape[3] }) : null,
  ],
  batch: ([x, w], [dx, dw], p, { axisSize: B }) => {
    if (dw === null) return batchIntoLeading(x, dx!, (images) => lax.conv(images, w, p));
    const y = lax.conv(batchIntoChannels(batchToFront(x, dx, B)), mergeLeading(moveDim(w, dw, 0)), grouped(p, B));
    return [channelsIntoBatch(y, B), 1];
  },
  samples: () => [
    { args: [sample([2, 4, 5, 6]), sample([6, 2, 3, 2])], params: { sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1, groups: 2 } },
    { args: [sample([1, 2, 7, 6]), sample([3, 2, 2, 3])], params: { sh: 2, sw: 1, ph: 0, pw: 1, dh: 2, dw: 1, groups: 1 } },
  ],
});

export const convInputGradP: Primitive<ConvInputGradParams> = definePrimitive<ConvInputGradParams>({
  name: "convInputGrad",
  impl: ([dy, w], p) => {
    const s = sizesOf([dy.shape[0], w.shape[1] * p.groups, p.h, p.w], w.shape, p);
    return produce([s.n, s.c, p.h, p.w], dy.dtype, (dx) => convInputGrad(dy.contiguousData(), w.contiguousData(), s, dx, dy.dtype));
  },
  jvp: ([dy, w], [tdy, tw], p) => lax.addTerms(tdy && lax.convInputGrad(tdy, w, p), tw && lax.convInputGrad(dy, tw, p)),
  vjp: (u, [dy, w], p, _y, needed) => [
    needed[0] ? lax.conv(u, w, convOnly(p)) : null,
    needed[1] ? lax.convWeightGrad(u, dy, { ...convOnly(p), kh: w.shape[2], kw: w.shape[3] }) : null,
  ],
  batch: ([dy, w], [ddy, dw], p, { axisSize: B }) => {
    if (dw === null) return batchIntoLeading(dy, ddy!, (images) => lax.convInputGrad(images, w, p));
    const dx = lax.convInputGrad(batchIntoChannels(batchToFront(dy, ddy, B)), mergeLeading(moveDim(w, dw, 0)), grouped(p, B));
    return [channelsIntoBatch(dx, B), 1];
  },
  samples: () => [
    { args: [sample([2, 6, 5, 3]), sample([6, 2, 3, 2])], params: { sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1, groups: 2, h: 5, w: 6 } },
    // stride 2 and dilation 2 down 7 rows: the odd rows are in no window, so their gradient is 0
    { args: [sample([1, 3, 3, 6]), sample([3, 2, 2, 3])], params: { sh: 2, sw: 1, ph: 0, pw: 1, dh: 2, dw: 1, groups: 1, h: 7, w: 6 } },
  ],
});

export const convWeightGradP: Primitive<ConvWeightGradParams> = definePrimitive<ConvWeightGradParams>({
  name: "convWeightGrad",
  impl: ([x, dy], p) => {
    const s = sizesOf(x.shape, [dy.shape[1], x.shape[1] / p.groups, p.kh, p.kw], p);
    return produce([s.o, s.c / p.groups, p.kh, p.kw], x.dtype, (dw) => convWeightGrad(x.contiguousData(), dy.contiguousData(), s, dw, x.dtype));
  },
  jvp: ([x, dy], [tx, tdy], p) => lax.addTerms(tx && lax.convWeightGrad(tx, dy, p), tdy && lax.convWeightGrad(x, tdy, p)),
  vjp: (u, [x, dy], p, _y, needed) => [
    needed[0] ? lax.convInputGrad(dy, u, { ...convOnly(p), h: x.shape[2], w: x.shape[3] }) : null,
    needed[1] ? lax.conv(x, u, convOnly(p)) : null,
  ],
  // the sum over images stays within each example: both args' batches fold into the groups
  batch: ([x, dy], [dx, ddy], p, { axisSize: B }) =>
    [splitLeading(lax.convWeightGrad(batchIntoChannels(batchToFront(x, dx, B)), batchIntoChannels(batchToFront(dy, ddy, B)), grouped(p, B)), B), 0],
  samples: () => [
    { args: [sample([2, 4, 5, 6]), sample([2, 6, 5, 3])], params: { sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1, groups: 2, kh: 3, kw: 2 } },
    { args: [sample([3, 2, 7, 6]), sample([3, 3, 3, 6])], params: { sh: 2, sw: 1, ph: 0, pw: 1, dh: 2, dw: 1, groups: 1, kh: 2, kw: 3 } },
  ],
});

