/** im2col / col2im: convolution becomes a matmul, and its transpose a fold back. */
import type { TypedArray } from "../../core/dtype.js";
import type { ConvGeometry } from "../backend.js";

export function im2col(x: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void {
  const { kh, kw, sh, sw, ph, pw, dh, dw, h, w, oh, ow } = g;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const xBase = (b * c + ch) * h * w;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          for (let oi = 0; oi < oh; oi++) {
            const y = oi * sh - ph + ki * dh;
            if (y < 0 || y >= h) { out.fill(0, o, o + ow); o += ow; continue; }
            const row = xBase + y * w;
            const x0 = kj * dw - pw;
            for (let oj = 0; oj < ow; oj++, o++) {
              const xx = oj * sw + x0;
              out[o] = xx >= 0 && xx < w ? x[row + xx] : 0;
            }
          }
        }
      }
    }
  }
}

export function col2im(cols: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): void {
  const { kh, kw, sh, sw, ph, pw, dh, dw, h, w, oh, ow } = g;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const xBase = (b * c + ch) * h * w;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          for (let oi = 0; oi < oh; oi++) {
            const y = oi * sh - ph + ki * dh;
            if (y < 0 || y >= h) { o += ow; continue; }
            const row = xBase + y * w;
            const x0 = kj * dw - pw;
            for (let oj = 0; oj < ow; oj++, o++) {
              const xx = oj * sw + x0;
              if (xx >= 0 && xx < w) out[row + xx] += cols[o];
            }
          }
        }
      }
    }
  }
}
