// Convolution with 3 x 3 filters at stride 1 by Winograd's F(2x2, 3x3) (Lavin and Gray, 2016).
// Each 2 x 2 block of outputs is A^T [(G g G^T) * (B^T d B)] A for its 4 x 4 input tile d and
// filter g, so a block costs 16 multiplies per pair of channels instead of 36. Summed over the
// input channels, the 16 elementwise products are 16 matrix products per image and group,
// U_xi [og, cg] @ V_xi [cg, tiles], run by the gemm's micro-kernel on operands the transforms
// lay out as its panels: nothing is packed. The transforms are winograd_kernels.ts.

import type { TypedArray } from "../../core/dtype.js";
import type { ConvGeometry } from "../backend.js";
import { gemmKernel } from "./gemm.js";
import { heapF32, heapKernels, markScratch, popScratch, pushScratch, roundUp } from "./heap.js";

/**
 * Which convolutions take this path: both channel counts per group at least minChannels (below
 * that the products are too thin to gain), and an image's transformed tiles at most
 * maxImageFloats (larger images take im2col, which works a piece of an image at a time).
 */
export const winogradSettings = { minChannels: 8, maxImageFloats: 4 * 2 ** 20 };

/** The gemm kernel's tile: MR rows of U by NR tiles of V. */
const MR = 4;
const NR = 8;

/** Whether the geometry is one F(2x2, 3x3) computes: 3 x 3 filters, stride 1, no dilation. */
export const winogradGeometry = (g: ConvGeometry): boolean =>
  g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1;

/**
 * y [n, o, oh, ow] = conv(x [n, c, h, w], w [o, c / groups, 3, 3]) with the geometry's padding,
 * every element written; false (y untouched) when the case is not one this path takes.
 */
export function winogradConvF32(
  x: TypedArray, w: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, y: TypedArray,
): boolean {
  if (!(x instanceof Float32Array && w instanceof Float32Array && y instanceof Float32Array) || !winogradGeometry(g)) return false;
  const cg = c / groups, og = o / groups;
  if (Math.min(cg, og) < winogradSettings.minChannels || g.oh === 0 || g.ow === 0) return false;
  // tiles: tileRows rows of `columns` groups of four (the transforms' vectors); the products'
  // rows hold them at a stride of an odd number of cache lines, as the gemm lays out B's rows
  const tileRows = Math.ceil(g.oh / 2), columns = Math.ceil(g.ow / 8);
  const line = ((roundUp(tileRows * columns * 4, 16) / 16) | 1) * 16;
  const ogPad = roundUp(og, MR);
  // the zero-padded stage an image's tiles read: 2 rows and columns per tile, and 2 more
  const sh = 2 * tileRows + 2, sw = 8 * columns + 2;
  const planeV = cg * line, planeM = ogPad * line;
  if (16 * (planeV + planeM) > winogradSettings.maxImageFloats) return false;
  const imageSize = cg * g.h * g.w, outSize = og * g.oh * g.ow;
  const mark = markScratch();
  try {
    const uAt = pushScratch(groups * 16 * ogPad * cg * 4), stageAt = pushScratch(cg * sh * sw * 4);
    const imageAt = pushScratch(imageSize * 4), vAt = pushScratch(16 * planeV * 4), mAt = pushScratch(16 * planeM * 4);
    // the output transform spills up to a row and 8 floats past the last channel
    const outAt = pushScratch((outSize + g.ow + 8) * 4);
    if (Math.min(uAt, stageAt, imageAt, vAt, mAt, outAt) < 0) return false;
    const heap = heapF32();
    transformFilters(w, groups, og, cg, ogPad, heap, uAt / 4);
    // the stage's borders and V's columns past the last tile stay zero; each image rewrites the rest
    heap.fill(0, stageAt / 4, stageAt / 4 + cg * sh * sw);
    heap.fill(0, vAt / 4, vAt / 4 + 16 * planeV);
    const k = heapKernels(), gemm = gemmKernel();
    for (let image = 0; image < n * groups; image++) {
      const group = image % groups;
      heap.set(x.subarray(image * imageSize, (image + 1) * imageSize), imageAt / 4);
      k.pad(imageAt, cg, g.h, g.w, stageAt + (g.ph * sw + g.pw) * 4, sh * sw * 4, sw * 4);
      k.winogradInput(stageAt, sw * 4, sh * sw * 4, cg, tileRows, columns, vAt, planeV * 4, line * 4);
      for (let xi = 0; xi < 16; xi++) {
        gemm(uAt + (group * 16 + xi) * ogPad * cg * 4, vAt + xi * planeV * 4, mAt + xi * planeM * 4,
          ogPad / MR, line / NR, cg, line * 4, line * 4, NR * 4, 0, cg * MR * 4);
      }
      k.winogradOutput(mAt, planeM * 4, line * 4, og, tileRows, columns, outAt, g.ow * 4, g.oh * g.ow * 4);
      y.set(heap.subarray(outAt / 4, outAt / 4 + outSize), image * outSize);
    }
    return true;
  } finally {
    popScratch(mark);
  }
}

/**
 * U = G g G^T of every filter, written as the gemm's A panels: for group q and product xi, panel
 * p holds output channels 4p..4p+3, MR floats per input channel; channels past og are zeros.
 *   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 */
function transformFilters(w: Float32Array, groups: number, og: number, cg: number, ogPad: number, heap: Float32Array, at: number): void {
  heap.fill(0, at, at + groups * 16 * ogPad * cg);
  const t = new Float64Array(12);
  for (let q = 0; q < groups; q++) {
    for (let oo = 0; oo < og; oo++) {
      for (let cc = 0; cc < cg; cc++) {
        const f = ((q * og + oo) * cg + cc) * 9;
        // t = G g, 4 x 3
        for (let v = 0; v < 3; v++) {
          const g0 = w[f + v], g1 = w[f + 3 + v], g2 = w[f + 6 + v];
          t[v] = g0;
          t[3 + v] = (g0 + g1 + g2) / 2;
          t[6 + v] = (g0 - g1 + g2) / 2;
          t[9 + v] = g2;
        }
        // U = t G^T, 4 x 4, to product xi = 4a + b
        const slot = at + (Math.floor(oo / MR) * cg + cc) * MR + (oo % MR);
        for (let a = 0; a < 4; a++) {
          const t0 = t[3 * a], t1 = t[3 * a + 1], t2 = t[3 * a + 2];
          const row = [t0, (t0 + t1 + t2) / 2, (t0 - t1 + t2) / 2, t2];
          for (let b = 0; b < 4; b++) heap[slot + ((q * 16 + 4 * a + b) * ogPad * cg)] = row[b];
        }
      }
    }
  }
}
