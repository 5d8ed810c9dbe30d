// im2col and col2im on the SIMD kernels, float32 or float64: images are staged through the scratch
// memory a few at a time (about CHUNK_BYTES of columns per step), with the row table of js/conv.ts
// shared by every step. Each returns false when it does not handle the case, and the js kernel runs.

import type { TypedArray } from "../../core/dtype.js";
import type { ConvGeometry } from "../backend.js";
import { convRows } from "../js/conv.js";
import { type FloatArray, heapI32, heapLike, markScratch, popScratch, pushScratch } from "./heap.js";
import { CHUNK_BYTES, kernelsFor, worthIt } from "./simd.js";

type ConvKernel = (src: number, images: number, imageSize: number, table: number, rows: number, ow: number, sw: number, dst: number) => void;

/**
 * Runs `kernel` over n * c images, a few per step: `from` (per image fromSize elements) is copied
 * in, `to` (toSize elements per image) is copied out, zeroed first for a kernel that adds into it.
 */
function overImages(
  kernel: ConvKernel, g: ConvGeometry, images: number,
  from: FloatArray, fromSize: number, to: FloatArray, toSize: number, imageSize: number, adds: boolean,
): boolean {
  const table = convRows(g);
  const bytes = from.BYTES_PER_ELEMENT;
  const per = Math.max(1, Math.floor(CHUNK_BYTES / bytes / Math.max(fromSize, toSize)));
  const mark = markScratch();
  try {
    const t = pushScratch(table.length * 4);
    if (t < 0) return false;
    heapI32().set(table, t / 4);
    for (let i0 = 0; i0 < images; i0 += per) {
      const count = Math.min(per, images - i0);
      const step = markScratch();
      const src = pushScratch(count * fromSize * bytes), dst = pushScratch(count * toSize * bytes);
      if (src < 0 || dst < 0) {
        if (i0 === 0) return false;
        throw new Error("wasm backend: out of WebAssembly memory in the middle of a kernel");
      }
      const heap = heapLike(from);
      heap.set(from.subarray(i0 * fromSize, (i0 + count) * fromSize), src / bytes);
      if (adds) heap.fill(0, dst / bytes, dst / bytes + count * toSize);
      kernel(src, count, imageSize, t, table.length / 3, g.ow, g.sw, dst);
      to.set(heapLike(to).subarray(dst / bytes, dst / bytes + count * toSize), i0 * toSize);
      popScratch(step);
    }
    return true;
  } finally {
    popScratch(mark);
  }
}

export function im2colFloat(x: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): boolean {
  const k = kernelsFor(x, out);
  if (!k || !worthIt(out.length)) return false;
  const imageSize = g.h * g.w, colsSize = g.kh * g.kw * g.oh * g.ow;
  return overImages(k.im2col, g, n * c, x as FloatArray, imageSize, out as FloatArray, colsSize, imageSize, false);
}

export function col2imFloat(cols: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): boolean {
  const k = kernelsFor(cols, out);
  if (!k || !worthIt(cols.length)) return false;
  const imageSize = g.h * g.w, colsSize = g.kh * g.kw * g.oh * g.ow;
  return overImages(k.col2im, g, n * c, cols as FloatArray, colsSize, out as FloatArray, imageSize, imageSize, true);
}
