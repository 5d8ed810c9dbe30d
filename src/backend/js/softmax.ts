/** softmax and logSoftmax along the last dim, and their vjps, rounding each step to the dtype as the ops they fuse would. */
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
  if (out.length === 0) return;
  const round = out instanceof Float32Array ? Math.fround : exact;
  const row = (i0: number, o: number): void => {
    let m = -Infinity;
    for (let k = 0, i = i0; k < n; k++, i += s) m = Math.max(m, d[i]);
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
  };
  eachRow([x], (offs, o) => row(offs[0], o));
}

/** y (g - s) with s = sum(g y) for softmax; g - e^y s with s = sum(g) for logSoftmax. */
export function softmaxBackward(g: StridedArray, y: StridedArray, log: boolean, out: TypedArray): void {
  const r = g.shape.length - 1, n = g.shape[r], gs = g.strides[r], ys = y.strides[r], gd = g.data, yd = y.data;
  if (out.length === 0) return;
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

/** `row(offsets, o)` for each row along the last dim of the operands (of one shape), o its start in the contiguous output. */
function eachRow(xs: StridedArray[], row: (offs: number[], o: number) => void): void {
  const r = xs[0].shape.length - 1, n = xs[0].shape[r], lead = xs[0].shape.slice(0, r);
  const offs = xs.map(() => 0);
  let o = 0;
  forEachRow(lead.length ? lead : [1], xs.map((x) => (lead.length ? x.strides.slice(0, r) : [0])), xs.map((x) => x.offset), (starts, count, inner) => {
    for (let j = 0; j < count; j++, o += n) {
      for (let k = 0; k < xs.length; k++) offs[k] = starts[k] + j * inner[k];
      row(offs, o);
    }
  });
}
