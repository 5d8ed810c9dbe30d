/**
 * Functional NN ops (torch.nn.functional), PyTorch's semantics and defaults. Every op here is a
 * composite of ops and lax calls, so vmap, grad and jvp go through it with no rules of its own:
 * a convolution is unfold (im2col) + one batched matmul, a pool is pad + unfold + a reduction.
 */
import { type DType, isFloat, promoteTypes } from "../core/dtype.js";
import { shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { scalar } from "../primitives/kernel.js";
import * as lax from "../primitives/lax.js";
import { mT } from "../primitives/linalg.js";
import { stopGradient } from "./autograd_ops.js";
import { checkTensor } from "./convert.js";
import { ones, rand } from "./creation.js";
import { add, div, exp, gelu, ge, isFiniteTensor, log, mul, ne, neg, relu, rsqrt, sub, where } from "./elementwise.js";
import { indexSelect } from "./indexing.js";
import { mean, sum } from "./reduce.js";

export { relu, gelu };

export type Reduction = "none" | "mean" | "sum";
type Optional = Tensor | null | undefined;
/** A size given once for every spatial dim, or once per dim. */
export type Size2 = number | readonly number[];

// ---------------------------------------------------------------- argument checking

/** Check that every given tensor is floating point; return the dtype they compute in. */
function floatDType(op: string, named: [string, Optional][]): DType {
  let dtype: DType | null = null;
  for (const [what, t] of named) {
    if (t === null || t === undefined) continue;
    checkTensor(t, op, what);
    if (!isFloat(t.dtype)) throw new Error(`${op}: expected ${what} to be a floating point tensor, got dtype ${t.dtype} (shape ${shapeStr(t.shape)})`);
    dtype = dtype === null ? t.dtype : promoteTypes(dtype, t.dtype);
  }
  return dtype!;
}

const castOpt = (t: Optional, dtype: DType): Tensor | null => (t === null || t === undefined ? null : lax.cast(t, dtype));

/** A number or an array of `n` numbers, each an integer >= min. */
function sizes(value: unknown, n: number, what: string, op: string, min: number): number[] {
  const list = typeof value === "number" ? new Array<number>(n).fill(value) : value;
  if (!Array.isArray(list) || list.length !== n || list.some((v) => !Number.isInteger(v) || v < min)) {
    const kind = min > 0 ? "positive" : "non-negative";
    throw new Error(`${op}: ${what} must be a ${kind} integer or an array of ${n} of them, got ${JSON.stringify(value)}`);
  }
  return list as number[];
}

function checkReduction(r: unknown, op: string): Reduction {
  if (r === "none" || r === "mean" || r === "sum") return r;
  throw new Error(`${op}: reduction must be "none", "mean" or "sum", got ${JSON.stringify(r)}`);
}

function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  return reduction === "sum" ? sum(loss) : mean(loss);
}

/** Shape [1, C, 1, ...] of rank `ndim`, to broadcast a per-channel vector against [N, C, ...]. */
function channelView(v: Tensor, ndim: number, dim = 1): Tensor {
  return lax.reshape(v, Array.from({ length: ndim }, (_, i) => (i === dim ? v.numel : 1)));
}

// ---------------------------------------------------------------- linear

/** y = x @ w^T + b for x [..., in], w [out, in] (or [in], dropping the out dim), b [out]. */
export function linear(x: Tensor, w: Tensor, b?: Optional): Tensor {
  const dtype = floatDType("linear", [["input", x], ["weight", w], ["bias", b]]);
  if (w.ndim !== 1 && w.ndim !== 2) throw new Error(`linear: expected a 2-d weight [outFeatures, inFeatures] (or 1-d), got shape ${shapeStr(w.shape)}`);
  const inF = w.shape[w.ndim - 1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: input's last dim must equal the weight's inFeatures (${inF}): input ${shapeStr(x.shape)}, weight ${shapeStr(w.shape)}`);
  }
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, s) => a * s, 1);
  // fold every leading dim into the rows: one 2-d matmul, whatever the input's rank
  const x2 = lax.reshape(lax.cast(x, dtype), [rows, inF]);
  // computed as (W @ x^T)^T so that the weight's gradient, g^T @ x, comes out in W's own
  // layout: per-sample weight gradients are then contiguous instead of a transposed view
  const out2 = w.ndim === 2
    ? mT(lax.matmul(lax.cast(w, dtype), mT(x2)))
    : lax.matmul(x2, lax.reshape(lax.cast(w, dtype), [inF, 1]));
  const out = lax.reshape(out2, w.ndim === 2 ? [...lead, w.shape[0]] : lead);
  const bias = castOpt(b, dtype);
  if (!bias) return out;
  const outF = w.ndim === 2 ? w.shape[0] : 1;
  if (bias.numel !== outF || bias.ndim > 1) {
    throw new Error(`linear: expected bias of shape [${outF}] for weight ${shapeStr(w.shape)}, got ${shapeStr(bias.shape)}`);
  }
  return lax.add(out, lax.expand(w.ndim === 2 ? bias : lax.reshape(bias, []), out.shape));
}

// ---------------------------------------------------------------- convolution

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

/**
 * x [N, C, H, W], w [O, C / G, kH, kW] -> [N, O, oh, ow]: im2col gives [N, C * kH * kW, L];
 * the groups become a batch dim of one matmul [N, G, O / G, K] @ [N, G, K, L].
 */
function conv2dCore(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeom): Tensor {
  const [N, , H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const G = g.groups, K = Cg * kh * kw;
  const [sh, sw] = g.stride, [dh, dw] = g.dilation;
  // unfold pads symmetrically; uneven padding ("same" with an even span) is applied up front
  const even = g.lo[0] === g.hi[0] && g.lo[1] === g.hi[1];
  const xp = even ? x : lax.pad(x, [0, 0, g.lo[0], g.lo[1]], [0, 0, g.hi[0], g.hi[1]], 0);
  const [ph, pw] = even ? g.lo : [0, 0];
  const cols = lax.unfold(xp, { kh, kw, sh, sw, ph, pw, dh, dw });
  const L = cols.shape[2];
  const oh = Math.floor((H + g.lo[0] + g.hi[0] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((W + g.lo[1] + g.hi[1] - dw * (kw - 1) - 1) / sw) + 1;
  // the weight is shared by every image: an expand (stride-0 view), not a copy
  const wg = lax.expand(lax.reshape(w, [1, G, O / G, K]), [N, G, O / G, K]);
  let out = lax.reshape(lax.matmul(wg, lax.reshape(cols, [N, G, K, L])), [N, O, oh, ow]);
  if (b) out = lax.add(out, lax.expand(channelView(b, 4), out.shape));
  return out;
}

// ---------------------------------------------------------------- pooling

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

/** Every pooling window of x [N, C, H, W], padded with padValue: [N * C, kH * kW, L]. */
function poolWindows(x: Tensor, g: PoolDim[], padValue: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [a, b] = g;
  const planes = lax.reshape(x, [N * C, 1, H, W]);
  const padded = lax.pad(planes, [0, 0, a.p, b.p], [0, 0, a.p + a.extra, b.p + b.extra], padValue);
  return lax.unfold(padded, { kh: a.k, kw: b.k, sh: a.s, sw: b.s, ph: 0, pw: 0, dh: a.d, dw: b.d });
}

/** Lift unbatched [C, H, W] to [1, C, H, W], checking the rank and dtype. */
function poolInput(op: string, x: Tensor): [Tensor, boolean] {
  floatDType(op, [["input", x]]);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: expected a 4-d input [N, C, H, W] (or 3-d unbatched [C, H, W]), got shape ${shapeStr(x.shape)}`);
  return x.ndim === 4 ? [x, true] : [lax.reshape(x, [1, ...x.shape]), false];
}

export function maxPool2d(x: Tensor, kernelSize: Size2, opts: MaxPoolOptions = {}): Tensor {
  const [x4, batched] = poolInput("maxPool2d", x);
  const [N, C, H, W] = x4.shape;
  const g = poolDims("maxPool2d", [H, W], kernelSize, opts);
  const windows = poolWindows(x4, g, -Infinity);
  const out = lax.reshape(lax.max(windows, [1], false), [N, C, g[0].out, g[1].out]);
  return batched ? out : lax.reshape(out, out.shape.slice(1));
}

export function avgPool2d(x: Tensor, kernelSize: Size2, opts: AvgPoolOptions = {}): Tensor {
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

// ---------------------------------------------------------------- activations

export interface SoftmaxOptions { dtype?: DType }

/** x minus its max along d: exp of it cannot overflow. The max is a constant to every gradient. */
function shiftByMax(x: Tensor, d: number): Tensor {
  if (x.numel === 0) return x;
  const m = stopGradient(lax.max(x, [d], true));
  // a row of -inf (or +inf) keeps its values, so it gives NaN as in PyTorch rather than NaN - NaN
  const shift = where(isFiniteTensor(m), m, 0);
  return lax.sub(x, lax.expand(shift, x.shape));
}

/** The float input of softmax-like ops with its dim normalised; a 0-d input is seen as [1]. */
function softmaxInput(op: string, x: Tensor, dim: number, opts: SoftmaxOptions): [Tensor, number] {
  checkTensor(x, op);
  if (dim === undefined || dim === null) throw new Error(`${op}: dim is required (softmax over which dimension?), got ${dim}`);
  const lo = -Math.max(x.ndim, 1), hi = Math.max(x.ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new Error(`${op}: dim ${dim} is out of range for an input of shape ${shapeStr(x.shape)} (expected an integer in [${lo}, ${hi}])`);
  }
  const dtype = opts.dtype ?? (isFloat(x.dtype) ? x.dtype : "float32");
  if (!isFloat(dtype)) throw new Error(`${op}: dtype must be float32 or float64, got ${dtype}`);
  const f = lax.cast(x, dtype);
  return x.ndim === 0 ? [lax.reshape(f, [1]), 0] : [f, dim < 0 ? dim + x.ndim : dim];
}

export function softmax(x: Tensor, dim: number, opts: SoftmaxOptions = {}): Tensor {
  const [f, d] = softmaxInput("softmax", x, dim, opts);
  const e = exp(shiftByMax(f, d));
  return lax.reshape(div(e, sum(e, d, true)), x.shape);
}

/** x - logsumexp(x) along dim, computed from the shifted values so it stays finite for large inputs. */
export function logSoftmax(x: Tensor, dim: number, opts: SoftmaxOptions = {}): Tensor {
  const [f, d] = softmaxInput("logSoftmax", x, dim, opts);
  const shifted = shiftByMax(f, d);
  return lax.reshape(sub(shifted, log(sum(exp(shifted), d, true))), x.shape);
}

// ---------------------------------------------------------------- losses

export interface NllLossOptions {
  reduction?: Reduction;
  /** Targets equal to this contribute nothing (and do not count in the mean). Default -100. */
  ignoreIndex?: number;
  /** A weight per class, [C]. */
  weight?: Optional;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 - s) * target + s / C. */
  labelSmoothing?: number;
}

/** Input [N, C, d1, ...] has its classes at dim 1; an unbatched [C] at dim 0. */
const classDim = (input: Tensor): number => (input.ndim === 1 ? 0 : 1);

/** Checks shared by nllLoss and crossEntropy with class-index targets. */
function checkClassTarget(op: string, input: Tensor, target: Tensor, ignoreIndex: number): void {
  checkTensor(target, op, "target");
  if (target.dtype !== "int32") throw new Error(`${op}: expected an int32 target of class indices, got dtype ${target.dtype} (shape ${shapeStr(target.shape)})`);
  const cd = classDim(input), C = input.shape[cd];
  const expected = input.shape.filter((_, i) => i !== cd);
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`${op}: expected target of shape ${shapeStr(expected)} (input ${shapeStr(input.shape)} without its class dim ${cd}), got ${shapeStr(target.shape)}`);
  }
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  // values can only be checked on concrete targets (not on a batched target inside vmap)
  if (target.data) {
    for (const t of target.toTypedArray()) {
      if (t !== ignoreIndex && (t < 0 || t >= C)) throw new Error(`${op}: target ${t} is out of bounds for ${C} classes (input ${shapeStr(input.shape)})`);
    }
  }
}

function checkInputAndWeight(op: string, input: Tensor, weight: Optional, extra: [string, Optional][] = []): DType {
  const dtype = floatDType(op, [["input", input], ["weight", weight], ...extra]);
  if (input.ndim === 0) throw new Error(`${op}: expected input of shape [N, C, ...] or [C], got a 0-d tensor`);
  const C = input.shape[classDim(input)];
  if (weight !== null && weight !== undefined && (weight.ndim !== 1 || weight.shape[0] !== C)) {
    throw new Error(`${op}: expected weight of shape [${C}] (one per class of input ${shapeStr(input.shape)}), got ${shapeStr(weight.shape)}`);
  }
  return dtype;
}

/** The weight each target counts with: weight[t] (or 1), and 0 where t is ignored. */
function targetWeights(target: Tensor, valid: Tensor, weight: Tensor | null, dtype: DType): Tensor {
  const mask = lax.cast(valid, dtype);
  if (!weight) return mask;
  const safe = where(valid, target, 0);
  return mul(lax.reshape(indexSelect(weight, 0, lax.reshape(safe, [safe.numel])), target.shape), mask);
}

/**
 * Per-element -w[t] * logp[t] (0 where ignored), reduced; "mean" divides by the total weight of
 * the targets that count, as PyTorch does.
 */
function nllCore(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, reduction: Reduction): Tensor {
  const cd = classDim(logp);
  const valid = ne(target, ignoreIndex);
  // ignored targets gather a valid class 0 and are then weighted by 0
  const index = lax.reshape(where(valid, target, 0), [...target.shape.slice(0, cd), 1, ...target.shape.slice(cd)]);
  const picked = lax.reshape(lax.gather(logp, cd, index), target.shape);
  const w = targetWeights(target, valid, weight, logp.dtype);
  const losses = neg(mul(picked, w));
  if (reduction === "none") return losses;
  return reduction === "sum" ? sum(losses) : div(sum(losses), sum(w));
}

/** Negative log likelihood of int32 class targets under log-probabilities input [N, C, ...] or [C]. */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  const dtype = checkInputAndWeight("nllLoss", input, opts.weight);
  const reduction = checkReduction(opts.reduction ?? "mean", "nllLoss");
  const ignoreIndex = opts.ignoreIndex ?? -100;
  checkClassTarget("nllLoss", input, target, ignoreIndex);
  return nllCore(lax.cast(input, dtype), target, castOpt(opts.weight, dtype), ignoreIndex, reduction);
}

/**
 * Cross entropy of logits input [N, C, ...] or [C] against int32 class indices (shape of input
 * without dim 1) or float class probabilities (shape of input), with PyTorch's label smoothing.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  checkTensor(target, op, "target");
  const probs = isFloat(target.dtype);
  const dtype = checkInputAndWeight(op, input, opts.weight, probs ? [["target", target]] : []);
  const reduction = checkReduction(opts.reduction ?? "mean", op);
  const smoothing = opts.labelSmoothing ?? 0;
  if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing <= 1)) throw new Error(`${op}: labelSmoothing must be a number in [0, 1], got ${smoothing}`);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (probs) {
    if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
      throw new Error(`${op}: expected a probability target with the input's shape ${shapeStr(input.shape)}, got ${shapeStr(target.shape)}`);
    }
    if (ignoreIndex !== -100) throw new Error(`${op}: ignoreIndex is not supported with probability (float) targets`);
  } else {
    checkClassTarget(op, input, target, ignoreIndex);
  }
  const logp = logSoftmax(lax.cast(input, dtype), classDim(input));
  const weight = castOpt(opts.weight, dtype);
  if (probs) return softTargetLoss(logp, lax.cast(target, dtype), weight, smoothing, reduction);
  const nll = nllCore(logp, target, weight, ignoreIndex, reduction);
  if (smoothing === 0) return nll;
  // PyTorch: (1 - s) * nll + s / C * (the loss against a uniform target)
  const uniform = uniformTargetLoss(logp, target, weight, ignoreIndex, reduction);
  return add(mul(nll, 1 - smoothing), mul(uniform, smoothing / logp.shape[classDim(logp)]));
}

/**
 * Label smoothing's second term (PyTorch's): -sum_c w_c * logp_c per element, 0 where ignored;
 * "mean" divides by the same total target weight as the nll term.
 */
function uniformTargetLoss(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, reduction: Reduction): Tensor {
  const cd = classDim(logp);
  const valid = ne(target, ignoreIndex);
  const weighted = weight ? mul(logp, lax.expand(channelView(weight, logp.ndim, cd), logp.shape)) : logp;
  const losses = where(valid, neg(sum(weighted, cd)), 0);
  if (reduction === "none") return losses;
  if (reduction === "sum") return sum(losses);
  return div(sum(losses), sum(targetWeights(target, valid, weight, logp.dtype)));
}

/** -sum_c w_c * target_c * logp_c; "mean" divides by the number of samples (not by weights). */
function softTargetLoss(logp: Tensor, target: Tensor, weight: Tensor | null, smoothing: number, reduction: Reduction): Tensor {
  const cd = classDim(logp), C = logp.shape[cd];
  const t = smoothing > 0 ? add(mul(target, 1 - smoothing), smoothing / C) : target;
  let prod = mul(logp, t);
  if (weight) prod = mul(prod, lax.expand(channelView(weight, logp.ndim, cd), logp.shape));
  const losses = neg(sum(prod, cd));
  if (reduction === "none") return losses;
  return reduction === "sum" ? sum(losses) : div(sum(losses), logp.numel / C);
}

/** Mean squared error; shapes broadcast (PyTorch warns when they differ). */
export function mseLoss(a: Tensor, b: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  floatDType("mseLoss", [["input", a], ["target", b]]);
  const reduction = checkReduction(opts.reduction ?? "mean", "mseLoss");
  const diff = sub(a, b);
  return reduceLoss(mul(diff, diff), reduction);
}

// ---------------------------------------------------------------- dropout

export interface DropoutOptions { p?: number; training?: boolean }

/**
 * Zero each element with probability p and scale the rest by 1 / (1 - p). The mask comes from
 * rand, so under vmap it follows the randomness mode ("error" by default).
 */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  floatDType("dropout", [["input", x]]);
  const p = opts.p ?? 0.5;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`dropout: probability has to be between 0 and 1, got ${p}`);
  if (opts.training === false || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const keep = lax.cast(ge(rand(x.shape, { dtype: x.dtype }), p), x.dtype);
  return mul(x, mul(keep, 1 / (1 - p)));
}

// ---------------------------------------------------------------- normalisation

/** Normalise over the trailing dims normalizedShape with biased variance, then scale and shift. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], w?: Optional, b?: Optional, opts: { eps?: number } = {}): Tensor {
  const op = "layerNorm";
  const dtype = floatDType(op, [["input", x], ["weight", w], ["bias", b]]);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: normalizedShape must be a non-negative integer or an array of them, got ${JSON.stringify(normalizedShape)}`);
  }
  const k = shape.length, tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.some((s, i) => s !== shape[i])) {
    throw new Error(`${op}: given normalizedShape ${shapeStr(shape)}, expected input of shape [*, ${shape.join(", ")}], got ${shapeStr(x.shape)}`);
  }
  for (const [what, t] of [["weight", w], ["bias", b]] as const) {
    if (t && (t.ndim !== k || t.shape.some((s, i) => s !== shape[i]))) {
      throw new Error(`${op}: expected ${what} of shape ${shapeStr(shape)} (normalizedShape), got ${shapeStr(t.shape)}`);
    }
  }
  const axes = shape.map((_, i) => x.ndim - k + i);
  const y = normalize(lax.cast(x, dtype), axes, opts.eps ?? 1e-5)[0];
  return affine(y, castOpt(w, dtype), castOpt(b, dtype));
}

/** (x - mean) / sqrt(var + eps) over axes (biased var); also returns the mean and var (keepdim). */
function normalize(x: Tensor, axes: number[], eps: number): [Tensor, Tensor, Tensor] {
  const mu = mean(x, axes, true);
  const centered = sub(x, mu);
  const v = mean(mul(centered, centered), axes, true);
  return [mul(centered, rsqrt(add(v, eps))), mu, v];
}

/** y * w + b with w and b broadcast against y's trailing dims (either may be absent). */
function affine(y: Tensor, w: Tensor | null, b: Tensor | null): Tensor {
  let out = y;
  if (w) out = lax.mul(out, lax.expand(w, out.shape));
  if (b) out = lax.add(out, lax.expand(b, out.shape));
  return out;
}

export interface BatchNormOptions { training?: boolean; momentum?: number; eps?: number }

/**
 * Batch normalisation over every dim but the channel dim 1 of x [N, C, ...].
 *
 * Evaluation (training = false) normalises with the running statistics. Training normalises
 * with the batch mean and biased variance and, like PyTorch, updates the running statistics in
 * place: running = (1 - momentum) * running + momentum * batchStat (unbiased variance). tfunc
 * tensors are values, so the update is written into the running tensors' storage, and only
 * when there is one concrete value to write: the running tensors must be concrete, and the
 * batch statistics concrete too (under grad/jvp their primal values are used; under vmap the
 * statistics differ per example, so no update happens). Inside transforms, compute updated
 * statistics explicitly if you need them as values.
 */
export function batchNorm(x: Tensor, runningMean: Optional, runningVar: Optional, w?: Optional, b?: Optional, opts: BatchNormOptions = {}): Tensor {
  const op = "batchNorm";
  const dtype = floatDType(op, [["input", x], ["weight", w], ["bias", b]]);
  floatDType(op, [["runningMean", runningMean], ["runningVar", runningVar]]); // may be of another float dtype
  if (x.ndim < 2) throw new Error(`${op}: expected input of shape [N, C, ...] with at least 2 dims, got ${shapeStr(x.shape)}`);
  const C = x.shape[1];
  const named: [string, Optional][] = [["runningMean", runningMean], ["runningVar", runningVar], ["weight", w], ["bias", b]];
  for (const [what, t] of named) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new Error(`${op}: expected ${what} of shape [${C}] (one per channel of input ${shapeStr(x.shape)}), got ${shapeStr(t.shape)}`);
  }
  const training = opts.training ?? false, momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  if (!training && (!runningMean || !runningVar)) {
    throw new Error(`${op}: runningMean and runningVar are required when training is false (evaluation normalises with them)`);
  }
  if (typeof momentum !== "number" || !Number.isFinite(momentum)) throw new Error(`${op}: momentum must be a finite number, got ${momentum}`);
  const xf = lax.cast(x, dtype);
  const view = (t: Tensor | null): Tensor | null => (t ? channelView(t, x.ndim) : null);
  let y: Tensor;
  if (training) {
    const n = x.numel / C;
    if (n <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input of shape ${shapeStr(x.shape)}`);
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const [normed, mu, v] = normalize(xf, axes, eps);
    y = normed;
    updateRunning(runningMean, mu, momentum, 1);
    updateRunning(runningVar, v, momentum, n / (n - 1));
  } else {
    const rm = view(castOpt(runningMean, dtype))!, rv = view(castOpt(runningVar, dtype))!;
    y = mul(sub(xf, rm), rsqrt(add(rv, eps)));
  }
  return affine(y, view(castOpt(w, dtype)), view(castOpt(b, dtype)));
}

/** running <- (1 - momentum) * running + momentum * stat * scale, in running's storage (see batchNorm). */
function updateRunning(running: Optional, stat: Tensor, momentum: number, scale: number): void {
  if (!running || !running.data) return;
  let value: Tensor;
  try {
    value = stat.concrete("batchNorm running statistics");
  } catch {
    return; // a batched value under vmap: no single statistic to store
  }
  const s = value.toTypedArray();
  const { data, offset, strides } = running;
  for (let i = 0; i < s.length; i++) {
    const at = offset + i * strides[0];
    data[at] = (1 - momentum) * data[at] + momentum * s[i] * scale;
  }
}

// ---------------------------------------------------------------- embedding

/** Rows of weight [V, D] picked by int32 indices of any shape: [...indices.shape, D]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  checkTensor(indices, "embedding", "indices");
  checkTensor(weight, "embedding", "weight");
  if (indices.dtype !== "int32") throw new Error(`embedding: expected int32 indices, got dtype ${indices.dtype} (shape ${shapeStr(indices.shape)})`);
  if (weight.ndim !== 2) throw new Error(`embedding: expected a 2-d weight [numEmbeddings, embeddingDim], got shape ${shapeStr(weight.shape)}`);
  const [V, D] = weight.shape;
  if (indices.data) {
    for (const i of indices.toTypedArray()) {
      if (i < 0 || i >= V) throw new Error(`embedding: index ${i} is out of range for a weight of ${V} rows (shape ${shapeStr(weight.shape)})`);
    }
  }
  const rows = indexSelect(weight, 0, lax.reshape(indices, [indices.numel]));
  return lax.reshape(rows, [...indices.shape, D]);
}
