/**
 * Row kernels along the last dim: softmax and logSoftmax (rounding each step to the dtype as the
 * ops they fuse would), layerNorm's normalization, and their vjps.
 */
import type { TypedArray } from "../../core/dtype.js";
import type { StridedArray } from "../backend.js";
import { forEachRow } from "./iterate.js";

const exact = (v: number): number => v;

/**
 * Per row: m = max (NaN if any is NaN), z = x - m, s = the sum of e^z; then softmax e^z * (1 / s),
 * logSoftmax z - log s. A row with a NaN or an infinite max comes out NaN (x - m is NaN
 * somewhere, and so is s), as PyTorch's does.
 */
export function softmax(x: StridedArray, log: boolean, out: TypedArray): void {
  const r = x.shape.length - 1, n = x.shape[r], s = x.strides[r], d = x.data;
  const round = out instanceof Float32Array ? Math.fround : exact;
  eachRow([x], ([i0], o) => {
    const m = rowMax(d, i0, s, n);
    let sum = 0;
    for (let k = 0, i = i0; k < n; k++, i += s) {
      // out holds z (logSoftmax) or e^z (softmax), rounded by the store
      out[o + k] = d[i] - m;
      if (log) sum += round(Math.exp(out[o + k]));
      else {
        out[o + k] = Math.exp(out[o + k]);
        sum += out[o + k];
      }
    }
    if (log) {
      const ls = round(Math.log(round(sum)));
      for (let k = 0; k < n; k++) out[o + k] -= ls;
    } else {
      const inv = round(1 / round(sum));
      for (let k = 0; k < n; k++) out[o + k] *= inv;
    }
  });
}

/** y (g - s) with s = sum(g y) for softmax; g - e^y s with s = sum(g) for logSoftmax. */
export function softmaxBackward(g: StridedArray, y: StridedArray, log: boolean, out: TypedArray): void {
  const r = g.shape.length - 1, n = g.shape[r], gs = g.strides[r], ys = y.strides[r], gd = g.data, yd = y.data;
  const round = out instanceof Float32Array ? Math.fround : exact;
  eachRow([g, y], ([g0, y0], o) => {
    let sum = 0;
    for (let k = 0, i = g0, j = y0; k < n; k++, i += gs, j += ys) sum += log ? gd[i] : round(gd[i] * yd[j]);
    const s = round(sum);
    for (let k = 0, i = g0, j = y0; k < n; k++, i += gs, j += ys) {
      if (log) out[o + k] = gd[i] - round(round(Math.exp(yd[j])) * s);
      else out[o + k] = yd[j] * round(gd[i] - s);
    }
  });
}

/**
 * logSoftmax of each row picked at its index (an in-range int32 per row, index's last dim 1):
 * (x[t] - m) - log s, rounded as softmax's logSoftmax, then gather, would. crossEntropy's forward.
 */
export function logSoftmaxGather(x: StridedArray, index: StridedArray, out: TypedArray): void {
  const r = x.shape.length - 1, n = x.shape[r], s = x.strides[r], d = x.data, id = index.data;
  const round = out instanceof Float32Array ? Math.fround : exact;
  eachRow([x, index], ([i0, t0], o) => {
    const m = rowMax(d, i0, s, n);
    let sum = 0;
    for (let k = 0, i = i0; k < n; k++, i += s) sum += round(Math.exp(round(d[i] - m)));
    out[o] = round(d[i0 + id[t0] * s] - m) - round(Math.log(round(sum)));
  }, 1);
}

/** Its vjp for cotangents g (g's last dim 1): g (onehot(index) - softmax(x)) per row, as e^(x - m) (-(g (1 / s))), then g added at the index. */
export function logSoftmaxGatherBackward(g: StridedArray, x: StridedArray, index: StridedArray, out: TypedArray): void {
  const r = x.shape.length - 1, n = x.shape[r], s = x.strides[r], d = x.data, gd = g.data, id = index.data;
  const round = out instanceof Float32Array ? Math.fround : exact;
  eachRow([x, g, index], ([i0, g0, t0], o) => {
    const m = rowMax(d, i0, s, n);
    let sum = 0;
    for (let k = 0, i = i0; k < n; k++, i += s) {
      out[o + k] = Math.exp(round(d[i] - m));
      sum += out[o + k];
    }
    const c = round(-(gd[g0] * round(1 / round(sum))));
    for (let k = 0; k < n; k++) out[o + k] *= c;
    out[o + id[t0]] += gd[g0];
  });
}

/** The max of a row, NaN if any element is NaN. */
function rowMax(d: TypedArray, i0: number, s: number, n: number): number {
  let m = -Infinity;
  for (let k = 0, i = i0; k < n; k++, i += s) m = Math.max(m, d[i]);
  return m;
}

/** (x - mean) / sqrt(var + eps) per row (biased variance), in float64; times w plus b when given, rounded as the ops. */
export function layerNorm(x: StridedArray, eps: number, out: TypedArray, w?: StridedArray, b?: StridedArray): void {
  const r0 = x.shape.length - 1, n = x.shape[r0], s = x.strides[r0], d = x.data;
  if (!w || !b) {
    eachRow([x], ([x0], o) => {
      const [mu, r] = rowMoments(d, x0, s, n, eps);
      for (let k = 0, i = x0; k < n; k++, i += s) out[o + k] = (d[i] - mu) * r;
    });
    return;
  }
  const round = out instanceof Float32Array ? Math.fround : exact;
  const ws = w.strides[r0], bs = b.strides[r0], wd = w.data, bd = b.data;
  eachRow([x, w, b], ([x0, w0, b0], o) => {
    const [mu, r] = rowMoments(d, x0, s, n, eps);
    for (let k = 0, i = x0, j = w0, l = b0; k < n; k++, i += s, j += ws, l += bs) out[o + k] = round(round((d[i] - mu) * r) * wd[j]) + bd[l];
  });
}

/**
 * The vjp of layerNorm's normalization: r (g - mean(g) - y mean(g y)), y = (x - mean) r,
 * r = 1 / sqrt(var + eps); of g w (rounded as read) when w is given.
 */
export function layerNormBackward(g: StridedArray, x: StridedArray, eps: number, out: TypedArray, w?: StridedArray): void {
  const r0 = g.shape.length - 1, n = g.shape[r0], gs = g.strides[r0], xs = x.strides[r0], gd = g.data, xd = x.data;
  const round = out instanceof Float32Array ? Math.fround : exact;
  const ws = w ? w.strides[r0] : 0, wd = w?.data;
  let gw = new Float64Array(0);
  eachRow(w ? [g, x, w] : [g, x], ([g0, x0, w0], o) => {
    const [mu, r] = rowMoments(xd, x0, xs, n, eps);
    // the row's cotangent: g, or g w
    if (gw.length < n) gw = new Float64Array(n);
    for (let k = 0, i = g0, j = w0; k < n; k++, i += gs, j += ws) gw[k] = wd ? round(gd[i] * wd[j]) : gd[i];
    let s1 = 0, s2 = 0;
    for (let k = 0, j = x0; k < n; k++, j += xs) {
      s1 += gw[k];
      s2 += gw[k] * (xd[j] - mu);
    }
    const a = s1 / n, c = (r * r * s2) / n;
    for (let k = 0, j = x0; k < n; k++, j += xs) out[o + k] = r * (gw[k] - a - (xd[j] - mu) * c);
  });
}

/** A row's mean and 1 / sqrt(var + eps), by two passes. */
function rowMoments(d: TypedArray, i0: number, s: number, n: number, eps: number): [number, number] {
  let sum = 0;
  for (let k = 0, i = i0; k < n; k++, i += s) sum += d[i];
  const mu = sum / n;
  let sq = 0;
  for (let k = 0, i = i0; k < n; k++, i += s) sq += (d[i] - mu) * (d[i] - mu);
  return [mu, 1 / Math.sqrt(sq / n + eps)];
}

/**
 * `row(offsets, o)` for each row along the last dim of the operands (of one leading shape), o its
 * start in the contiguous output, whose rows are `width` long (the first operand's by default).
 */
function eachRow(xs: StridedArray[], row: (offs: number[], o: number) => void, width?: number): void {
  const r = xs[0].shape.length - 1, n = width ?? xs[0].shape[r], lead = xs[0].shape.slice(0, r);
  const offs = xs.map(() => 0);
  let o = 0;
  forEachRow(lead.length ? lead : [1], xs.map((x) => (lead.length ? x.strides.slice(0, r) : [0])), xs.map((x) => x.offset), (starts, count, inner) => {
    for (let j = 0; j < count; j++, o += n) {
      for (let k = 0; k < xs.length; k++) offs[k] = starts[k] + j * inner[k];
      row(offs, o);
    }
  });
}
