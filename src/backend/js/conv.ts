/**
 * im2col / col2im: convolution becomes a matmul, and its transpose a fold back. Both walk the
 * same row table (convRows): each row of columns (one kernel tap, one output row) reads one
 * input row, and the taps that fall in the padding are found once per row, not per element.
 */
import type { TypedArray } from "../../core/dtype.js";
import type { ConvGeometry } from "../backend.js";

/**
 * One entry per row of an image's columns, in their order (tap ki, tap kj, output row oi), as
 * [src, lo, hi] triples: output columns lo <= oj < hi read input element src + oj * sw of the
 * image (src can be negative: it is where oj = 0 would read), the others read padding zeros.
 * A row entirely in the padding has lo = hi = ow.
 */
export function convRows(g: ConvGeometry): Int32Array {
  const { kh, kw, sh, sw, ph, pw, dh, dw, h, w, oh, ow } = g;
  const table = new Int32Array(kh * kw * oh * 3);
  let t = 0;
  for (let ki = 0; ki < kh; ki++) {
    for (let kj = 0; kj < kw; kj++) {
      const x0 = kj * dw - pw;
      const lo = Math.min(ow, Math.max(0, Math.ceil(-x0 / sw)));
      const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 - x0) / sw) + 1));
      for (let oi = 0; oi < oh; oi++, t += 3) {
        const y = oi * sh - ph + ki * dh;
        if (y < 0 || y >= h) table.set([0, ow, ow], t);
        else table.set([y * w + x0, lo, hi], t);
      }
    }
  }
  return table;
}

export function im2col(x: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void {
  const { sw, h, w, ow } = g;
  const rows = convRows(g);
  let o = 0;
  for (let img = 0; img < n * c; img++) {
    const xBase = img * h * w;
    for (let t = 0; t < rows.length; t += 3, o += ow) {
      const src = xBase + rows[t], lo = rows[t + 1], hi = rows[t + 2];
      if (lo > 0) out.fill(0, o, o + lo);
      if (hi < ow) out.fill(0, o + hi, o + ow);
      if (sw === 1) for (let oj = lo; oj < hi; oj++) out[o + oj] = x[src + oj];
      else for (let oj = lo; oj < hi; oj++) out[o + oj] = x[src + oj * sw];
    }
  }
}

export function col2im(cols: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void {
  const { sw, h, w, ow } = g;
  const rows = convRows(g);
  let o = 0;
  for (let img = 0; img < n * c; img++) {
    const xBase = img * h * w;
    for (let t = 0; t < rows.length; t += 3, o += ow) {
      const dst = xBase + rows[t], lo = rows[t + 1], hi = rows[t + 2];
      if (sw === 1) for (let oj = lo; oj < hi; oj++) out[dst + oj] += cols[o + oj];
      else for (let oj = lo; oj < hi; oj++) out[dst + oj * sw] += cols[o + oj];
    }
  }
}
