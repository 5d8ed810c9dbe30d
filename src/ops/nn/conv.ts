/** conv1d and conv2d over the convolution primitives (primitives/convolution.ts). */
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { castOpt, channelView, floatDType, type Optional, sizes, type Size2 } from "./common.js";
import { checkOptions } from "../../core/options.js";

export interface ConvOptions {
  stride?: Size2;
  /** Zero padding per side, or "valid" (none) or "same" (output size = input size; stride 1 only). */
  padding?: Size2 | "valid" | "same";
  dilation?: Size2;
  groups?: number;
}

/** A convolution's geometry, normalised to 2 spatial dims (conv1d uses a height of 1). */
interface ConvGeom { stride: number[]; lo: number[]; hi: number[]; dilation: number[]; groups: number }

/** conv1d over [N, C, L] (or unbatched [C, L]) with weight [O, C / groups, k]. */
export function conv1d(x: Tensor, w: Tensor, b?: Optional, opts: ConvOptions = {}): Tensor {
  return convNd("conv1d", 1, x, w, b, opts);
}

/** conv2d over [N, C, H, W] (or unbatched [C, H, W]) with weight [O, C / groups, kH, kW]. */
export function conv2d(x: Tensor, w: Tensor, b?: Optional, opts: ConvOptions = {}): Tensor {
  return convNd("conv2d", 2, x, w, b, opts);
}

function convNd(op: string, nd: 1 | 2, x: Tensor, w: Tensor, b: Optional, opts: ConvOptions): Tensor {
  checkOptions(op, opts, { stride: true, padding: true, dilation: true, groups: true });
  const dtype = floatDType(op, [["input", x], ["weight", w], ["bias", b]]);
  const spatial = nd === 1 ? "L" : "H, W";
  const kdims = nd === 1 ? "k" : "kH, kW";
  if (w.ndim !== nd + 2) throw new Error(`${op}: expected a ${nd + 2}-d weight [outChannels, inChannels / groups, ${kdims}], got shape ${shapeStr(w.shape)}`);
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new Error(`${op}: expected a ${nd + 2}-d input [N, C, ${spatial}] (or ${nd + 1}-d unbatched [C, ${spatial}]), got shape ${shapeStr(x.shape)}`);
  }
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${JSON.stringify(opts.groups)}`);
  const O = w.shape[0], C = w.shape[1] * groups;
  if (O % groups !== 0) throw new Error(`${op}: weight's out channels (${O}) must be divisible by groups (${groups}) (weight ${shapeStr(w.shape)})`);
  const batched = x.ndim === nd + 2;
  if (x.shape[batched ? 1 : 0] !== C) {
    throw new Error(`${op}: expected input of shape ${batched ? "[N, C, " : "[C, "}${spatial}] with C = ${C} (weight ${shapeStr(w.shape)} with groups ${groups}), got ${shapeStr(x.shape)}`);
  }
  if (b !== null && b !== undefined && (b.ndim !== 1 || b.shape[0] !== O)) {
    throw new Error(`${op}: expected bias of shape [${O}] (one per out channel of weight ${shapeStr(w.shape)}), got ${shapeStr(b.shape)}`);
  }
  const kernel = w.shape.slice(2);
  const inSize = x.shape.slice(batched ? 2 : 1);
  const g = convGeometry(op, nd, kernel, inSize, opts, groups);
  // lift to [N, C, H, W] and weight [O, C / groups, kH, kW]; conv1d is a conv2d of height 1
  let x4 = lax.cast(batched ? x : lax.reshape(x, [1, ...x.shape]), dtype);
  let w4 = lax.cast(w, dtype);
  if (nd === 1) {
    x4 = lax.reshape(x4, [x4.shape[0], x4.shape[1], 1, x4.shape[2]]);
    w4 = lax.reshape(w4, [O, w.shape[1], 1, w.shape[2]]);
  }
  const out4 = conv2dCore(x4, w4, castOpt(b, dtype), g);
  const out = nd === 1 ? lax.reshape(out4, [out4.shape[0], O, out4.shape[3]]) : out4;
  return batched ? out : lax.reshape(out, out.shape.slice(1));
}

/** Validate stride/padding/dilation and resolve them (and "same"/"valid") to 2-d per-side padding. */
function convGeometry(op: string, nd: number, kernel: number[], inSize: number[], opts: ConvOptions, groups: number): ConvGeom {
  const stride = sizes(opts.stride ?? 1, nd, "stride", op, 1);
  const dilation = sizes(opts.dilation ?? 1, nd, "dilation", op, 1);
  const padding = opts.padding ?? 0;
  let lo: number[], hi: number[];
  if (padding === "valid") {
    lo = hi = new Array<number>(nd).fill(0);
  } else if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new Error(`${op}: padding "same" is not supported for strided convolutions (stride ${JSON.stringify(opts.stride)})`);
    // total padding d * (k - 1); PyTorch puts the odd extra element on the high side
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    lo = total.map((t) => Math.floor(t / 2));
    hi = total.map((t, i) => t - lo[i]);
  } else if (typeof padding === "string") {
    throw new Error(`${op}: padding must be "valid", "same", a non-negative integer or an array of ${nd} of them, got ${JSON.stringify(padding)}`);
  } else {
    lo = hi = sizes(padding, nd, "padding", op, 0);
  }
  const padded = inSize.map((s, i) => s + lo[i] + hi[i]);
  const span = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  if (padded.some((p, i) => p < span[i])) {
    throw new Error(`${op}: the padded input size ${shapeStr(padded)} is smaller than the dilated kernel size ${shapeStr(span)} (input spatial size ${shapeStr(inSize)}, kernel ${shapeStr(kernel)}, padding ${JSON.stringify(padding)}, dilation ${shapeStr(dilation)})`);
  }
  // conv1d is a conv2d of height 1: the extra leading dim has kernel 1 and no padding
  const lift = (v: number[], fill: number): number[] => (nd === 1 ? [fill, ...v] : v);
  return { stride: lift(stride, 1), lo: lift(lo, 0), hi: lift(hi, 0), dilation: lift(dilation, 1), groups };
}

/** x [N, C, H, W], w [O, C / G, kH, kW] -> [N, O, oh, ow], plus the bias. */
function conv2dCore(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeom): Tensor {
  const [sh, sw] = g.stride, [dh, dw] = g.dilation;
  // the primitive pads symmetrically; uneven padding ("same" with an even span) is applied up front
  const even = g.lo[0] === g.hi[0] && g.lo[1] === g.hi[1];
  const xp = even ? x : lax.pad(x, [0, 0, g.lo[0], g.lo[1]], [0, 0, g.hi[0], g.hi[1]], 0);
  const [ph, pw] = even ? g.lo : [0, 0];
  const out = lax.conv(xp, w, { sh, sw, ph, pw, dh, dw, groups: g.groups });
  return b ? lax.add(out, lax.expand(channelView(b, 4), out.shape)) : out;
}
