// im2col and col2im on the SIMD kernels: images are staged through the scratch memory a few at
// a time (about CHUNK floats of columns per step), with the row table of js/conv.ts shared by
// every step. Each returns false when it does not handle the case, and the js kernel runs.

import type { TypedArray } from "../../core/dtype.js";
import type { ConvGeometry } from "../backend.js";
import { convRows } from "../js/conv.js";
import { heapF32, heapI32, heapKernels, markScratch, popScratch, pushScratch } from "./heap.js";
import { CHUNK, isF32, worthIt } from "./simd.js";

type ConvKernel = (src: number, images: number, imageSize: number, table: number, rows: number, ow: number, sw: number, dst: number) => void;

/**
 * Runs `kernel` over n * c images, a few per step: `from` (per image fromSize floats) is copied
 * in, `to` (toSize floats per image) is copied out, zeroed first for a kernel that adds into it.
 */
function overImages(
  kernel: ConvKernel, g: ConvGeometry, images: number,
  from: Float32Array, fromSize: number, to: Float32Array, toSize: number, imageSize: number, adds: boolean,
): boolean {
  const table = convRows(g);
  const per = Math.max(1, Math.floor(CHUNK / Math.max(fromSize, toSize)));
  const mark = markScratch();
  try {
    const t = pushScratch(table.length * 4);
    if (t < 0) return false;
    heapI32().set(table, t / 4);
    for (let i0 = 0; i0 < images; i0 += per) {
      const count = Math.min(per, images - i0);
      const step = markScratch();
      const src = pushScratch(count * fromSize * 4), dst = pushScratch(count * toSize * 4);
      if (src < 0 || dst < 0) {
        if (i0 === 0) return false;
        throw new Error("wasm backend: out of WebAssembly memory in the middle of a kernel");
      }
      const heap = heapF32();
      heap.set(from.subarray(i0 * fromSize, (i0 + count) * fromSize), src / 4);
      if (adds) heap.fill(0, dst / 4, dst / 4 + count * toSize);
      kernel(src, count, imageSize, t, table.length / 3, g.ow, g.sw, dst);
      to.set(heapF32().subarray(dst / 4, dst / 4 + count * toSize), i0 * toSize);
      popScratch(step);
    }
    return true;
  } finally {
    popScratch(mark);
  }
}

export function im2colF32(x: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): boolean {
  if (!isF32(x) || !isF32(out) || !worthIt(out.length)) return false;
  const imageSize = g.h * g.w, colsSize = g.kh * g.kw * g.oh * g.ow;
  return overImages(heapKernels().im2col, g, n * c, x, imageSize, out, colsSize, imageSize, false);
}

export function col2imF32(cols: TypedArray, n: number, c: number, g: ConvGeometry, out: TypedArray): boolean {
  if (!isF32(cols) || !isF32(out) || !worthIt(cols.length)) return false;
  const imageSize = g.h * g.w, colsSize = g.kh * g.kw * g.oh * g.ow;
  return overImages(heapKernels().col2im, g, n * c, cols, colsSize, out, imageSize, imageSize, true);
}
