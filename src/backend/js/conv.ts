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

/**
 * Calls `row` for every row of columns of `images` images, in order: `at` is the image element
 * that output column 0 of the row lines up with, `o` the row's offset in the columns.
 */
function forEachConvRow(g: ConvGeometry, images: number, row: (at: number, o: number, lo: number, hi: number) => void): void {
  const rows = convRows(g);
  let o = 0;
  for (let img = 0; img < images; img++) {
    const base = img * g.h * g.w;
    for (let t = 0; t < rows.length; t += 3, o += g.ow) row(base + rows[t], o, rows[t + 1], rows[t + 2]);
  }
}

export function im2col(x: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void {
  const { sw, ow } = g;
  forEachConvRow(g, n * c, (src, o, lo, hi) => {
    if (lo > 0) out.fill(0, o, o + lo);
    if (hi < ow) out.fill(0, o + hi, o + ow);
    if (sw === 1) for (let oj = lo; oj < hi; oj++) out[o + oj] = x[src + oj];
    else for (let oj = lo; oj < hi; oj++) out[o + oj] = x[src + oj * sw];
  });
}

export function col2im(cols: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void {
  const { sw } = g;
  forEachConvRow(g, n * c, (dst, o, lo, hi) => {
    if (sw === 1) for (let oj = lo; oj < hi; oj++) out[dst + oj] += cols[o + oj];
    else for (let oj = lo; oj < hi; oj++) out[dst + oj * sw] += cols[o + oj];
  });
}
