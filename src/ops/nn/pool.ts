/** maxPool2d and avgPool2d: pad + unfold + a reduction (maxPool2d: a gather at the argmax). */
import type { DType } from "../../core/dtype.js";
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import { produce, scalar } from "../../primitives/kernel.js";
import * as lax from "../../primitives/lax.js";
import { ones } from "../creation.js";
import { floatDType, sizes, type Size2 } from "./common.js";
import { checkOptions } from "../../core/options.js";

export interface MaxPoolOptions {
  /** Defaults to the kernel size. */
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
}

export interface AvgPoolOptions {
  stride?: Size2 | null;
  padding?: Size2;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (PyTorch's default). */
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** Window geometry for one spatial dim, with the extra high padding that ceil mode needs. */
interface PoolDim { k: number; s: number; p: number; d: number; out: number; extra: number }

function poolDims(op: string, inSize: number[], kernelSize: Size2, opts: MaxPoolOptions): PoolDim[] {
  const k = sizes(kernelSize, 2, "kernelSize", op, 1);
  const noStride = opts.stride === undefined || opts.stride === null || (Array.isArray(opts.stride) && opts.stride.length === 0);
  const s = noStride ? k : sizes(opts.stride, 2, "stride", op, 1);
  const p = sizes(opts.padding ?? 0, 2, "padding", op, 0);
  const d = sizes(opts.dilation ?? 1, 2, "dilation", op, 1);
  if (p.some((pi, i) => pi > Math.floor(k[i] / 2))) {
    throw new Error(`${op}: padding should be at most half of the kernel size, got padding ${shapeStr(p)} for kernel ${shapeStr(k)}`);
  }
  return inSize.map((size, i) => {
    const span = d[i] * (k[i] - 1) + 1;
    const room = size + 2 * p[i] - span;
    let out = (opts.ceilMode ? Math.ceil(room / s[i]) : Math.floor(room / s[i])) + 1;
    // ceil mode: the last window must start inside the input or its low padding
    if (opts.ceilMode && (out - 1) * s[i] >= size + p[i]) out--;
    if (room < 0 || out < 1) {
      throw new Error(`${op}: output size is too small: input ${shapeStr(inSize)} with kernel ${shapeStr(k)}, stride ${shapeStr(s)}, padding ${shapeStr(p)}, dilation ${shapeStr(d)} gives no window`);
    }
    const extra = Math.max(0, (out - 1) * s[i] + span - (size + 2 * p[i]));
    return { k: k[i], s: s[i], p: p[i], d: d[i], out, extra };
  });
}

/** The planes of x [N, C, H, W], padded with padValue: [N * C, 1, H', W']. */
function paddedPlanes(x: Tensor, g: PoolDim[], padValue: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [a, b] = g;
  return lax.pad(lax.reshape(x, [N * C, 1, H, W]), [0, 0, a.p, b.p], [0, 0, a.p + a.extra, b.p + b.extra], padValue);
}

/** Every pooling window of padded planes [N * C, 1, H', W']: [N * C, kH * kW, L]. */
function windowsOf(planes: Tensor, g: PoolDim[]): Tensor {
  const [a, b] = g;
  return lax.unfold(planes, { kh: a.k, kw: b.k, sh: a.s, sw: b.s, ph: 0, pw: 0, dh: a.d, dw: b.d });
}

/** Every pooling window of x [N, C, H, W], padded with padValue: [N * C, kH * kW, L]. */
function poolWindows(x: Tensor, g: PoolDim[], padValue: number): Tensor {
  return windowsOf(paddedPlanes(x, g, padValue), g);
}

/** Where element j of window l lies in a padded plane W' wide, as a flat index: int32 [1, kH * kW, L]. */
function windowPositions(g: PoolDim[], paddedWidth: number): Tensor {
  const [a, b] = g;
  return produce([1, a.k * b.k, a.out * b.out], "int32", (out) => {
    let i = 0;
    for (let ki = 0; ki < a.k; ki++) for (let kj = 0; kj < b.k; kj++) {
      for (let oi = 0; oi < a.out; oi++) for (let oj = 0; oj < b.out; oj++) {
        out[i++] = (oi * a.s + ki * a.d) * paddedWidth + oj * b.s + kj * b.d;
      }
    }
  });
}

/** Lift unbatched [C, H, W] to [1, C, H, W], checking the rank and dtype. */
function poolInput(op: string, x: Tensor): [Tensor, boolean] {
  floatDType(op, [["input", x]]);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: expected a 4-d input [N, C, H, W] (or 3-d unbatched [C, H, W]), got shape ${shapeStr(x.shape)}`);
  return x.ndim === 4 ? [x, true] : [lax.reshape(x, [1, ...x.shape]), false];
}

export function maxPool2d(x: Tensor, kernelSize: Size2, opts: MaxPoolOptions = {}): Tensor {
  checkOptions("maxPool2d", opts, { stride: true, padding: true, dilation: true, ceilMode: true });
  const [x4, batched] = poolInput("maxPool2d", x);
  const [N, C, H, W] = x4.shape;
  const g = poolDims("maxPool2d", [H, W], kernelSize, opts);
  const planes = paddedPlanes(x4, g, -Infinity);
  const windows = windowsOf(planes, g);
  // the first maximum of a window (or its first NaN) takes the whole gradient, as in PyTorch and
  // JAX; a max reduction would share it between tied elements
  const first = lax.argmax(windows, 1, true);
  // gathered from the plane itself, so the gradient scatters straight into the plane rather than
  // into every window's copy, to be folded back
  const [, , Hp, Wp] = planes.shape;
  const positions = windowPositions(g, Wp);
  const at = lax.gather(lax.expand(positions, [N * C, ...positions.shape.slice(1)]), 1, first);
  const out = lax.reshape(lax.gather(lax.reshape(planes, [N * C, 1, Hp * Wp]), 2, at), [N, C, g[0].out, g[1].out]);
  return batched ? out : lax.reshape(out, out.shape.slice(1));
}

export function avgPool2d(x: Tensor, kernelSize: Size2, opts: AvgPoolOptions = {}): Tensor {
  checkOptions("avgPool2d", opts, { stride: true, padding: true, ceilMode: true, countIncludePad: true, divisorOverride: true });
  const [x4, batched] = poolInput("avgPool2d", x);
  const [N, C, H, W] = x4.shape;
  const g = poolDims("avgPool2d", [H, W], kernelSize, { ...opts, dilation: 1 });
  const divisor = opts.divisorOverride ?? null;
  if (divisor !== null && (!Number.isInteger(divisor) || divisor === 0)) {
    throw new Error(`avgPool2d: divisorOverride must be a non-zero integer, got ${JSON.stringify(divisor)}`);
  }
  const sums = lax.sum(poolWindows(x4, g, 0), [1], false);
  const counts = divisor !== null ? scalar(divisor, x.dtype) : windowCounts(H, W, g, opts.countIncludePad ?? true, x.dtype);
  const out = lax.reshape(lax.div(sums, lax.expand(counts, sums.shape)), [N, C, g[0].out, g[1].out]);
  return batched ? out : lax.reshape(out, out.shape.slice(1));
}

/**
 * How many elements each window averages, [L]: a constant made by unfolding a mask of ones
 * (over the input, plus the padding when it counts) with the same geometry.
 */
function windowCounts(H: number, W: number, g: PoolDim[], includePad: boolean, dtype: DType): Tensor {
  const [a, b] = g;
  let mask = ones([1, 1, H, W], { dtype });
  if (includePad) mask = lax.pad(mask, [0, 0, a.p, b.p], [0, 0, a.p, b.p], 1);
  const lo = includePad ? [0, 0, 0, 0] : [0, 0, a.p, b.p];
  const hi = includePad ? [0, 0, a.extra, b.extra] : [0, 0, a.p + a.extra, b.p + b.extra];
  const cols = lax.unfold(lax.pad(mask, lo, hi, 0), { kh: a.k, kw: b.k, sh: a.s, sw: b.s, ph: 0, pw: 0, dh: 1, dw: 1 });
  return lax.reshape(lax.sum(cols, [1], false), [cols.shape[2]]);
}
