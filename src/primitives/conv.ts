/**
 * unfold (im2col: every window of an image as a column) and its transpose fold (col2im), for
 * pooling's windows; convolutions have primitives of their own (convolution.ts).
 */
import type { ConvGeometry } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import { batchIntoLeading } from "./batching.js";
import { produce, produceWritten } from "./kernel.js";
import * as lax from "./lax.js";
import { sample } from "./samples.js";

export interface UnfoldParams {
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}
/** fold also needs the image size it folds back into. */
export interface FoldParams extends UnfoldParams { h: number; w: number }

export function outSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

function geometry(p: UnfoldParams, h: number, w: number): ConvGeometry {
  return { ...p, h, w, oh: outSize(h, p.kh, p.sh, p.ph, p.dh), ow: outSize(w, p.kw, p.sw, p.pw, p.dw) };
}

export const unfoldP: Primitive<UnfoldParams> = definePrimitive<UnfoldParams>({
  name: "unfold",
  impl: ([x], p) => {
    const [n, c, h, w] = x.shape;
    const g = geometry(p, h, w);
    return produceWritten([n, c * p.kh * p.kw, g.oh * g.ow], x.dtype, (out) => backend().im2col(x.contiguousData(), n, c, g, out));
  },
  jvp: (_x, [t], p) => (t ? lax.unfold(t, p) : null),
  vjp: (g, [x], p) => [lax.fold(g, { ...p, h: x.shape[2], w: x.shape[3] })],
  batch: ([x], [d], p) => batchIntoLeading(x, d!, (images) => lax.unfold(images, p)),
  samples: () => [
    { args: [sample([2, 2, 5, 4])], params: { kh: 3, kw: 2, sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1 } },
    { args: [sample([1, 1, 6, 6])], params: { kh: 2, kw: 2, sh: 2, sw: 1, ph: 0, pw: 1, dh: 2, dw: 1 } },
  ],
});

export const foldP: Primitive<FoldParams> = definePrimitive<FoldParams>({
  name: "fold",
  impl: ([cols], p) => {
    const n = cols.shape[0], c = cols.shape[1] / (p.kh * p.kw);
    return produce([n, c, p.h, p.w], cols.dtype, (out) => backend().col2im(cols.contiguousData(), n, c, geometry(p, p.h, p.w), out));
  },
  jvp: (_x, [t], p) => (t ? lax.fold(t, p) : null),
  vjp: (g, _x, { h, w, ...p }) => [lax.unfold(g, p)],
  batch: ([x], [d], p) => batchIntoLeading(x, d!, (images) => lax.fold(images, p)),
  samples: () => [{ args: [sample([2, 6, 6])], params: { kh: 3, kw: 2, sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1, h: 3, w: 4 } }],
});
