// Convolution with 3 x 3 filters at stride 1 by Winograd's F(2x2, 3x3) (Lavin and Gray, 2016).
// Each 2 x 2 block of outputs is A^T [(G g G^T) * (B^T d B)] A for its 4 x 4 input tile d and
// filter g, so a block costs 16 multiplies per pair of channels instead of 36. Summed over the
// input channels, the 16 elementwise products are 16 matrix products per image and group,
// U_xi [og, cg] @ V_xi [cg, tiles], run by the gemm's micro-kernel on operands the transforms
// lay out as its panels: nothing is packed. The input and filter gradients go through the same
// transforms transposed (winogradInputGradF32, winogradWeightGradF32). The transforms are
// winograd_kernels.ts.

import type { TypedArray } from "../../core/dtype.js";
import type { ConvGeometry } from "../backend.js";
import { gemmKernel } from "./gemm.js";
import { heapF32, heapKernels, markScratch, popScratch, pushScratch, roundUp } from "./heap.js";

/**
 * Which convolutions take this path: both channel counts per group at least minChannels (below
 * that the products are too thin to gain), and an image's transformed tiles at most
 * maxImageFloats, 128 MB (larger images take im2col, which works a piece of an image at a time).
 * 64 channels at 224 x 224 need 103 MB; there Winograd measured 1.9-2.4x faster than im2col,
 * forward and backward, for about the same peak memory (im2col's columns are as large).
 */
export const winogradSettings = { minChannels: 8, maxImageFloats: 32 * 2 ** 20 };

/** The gemm kernel's tile: MR rows of U by NR tiles of V. */
const MR = 4;
const NR = 8;

/** Whether the geometry is one F(2x2, 3x3) computes: 3 x 3 filters, stride 1, no dilation. */
export const winogradGeometry = (g: ConvGeometry): boolean =>
  g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1;

/**
 * The sizes of a convolution this path takes (float32 arrays, the geometry, enough channels), or
 * null. cg and og are the channels in and out per group. An image's tiles are tileRows rows of
 * `columns` groups of four (the transforms' vectors); the transformed tiles' rows are `line`
 * floats apart, an odd number of cache lines, as the gemm lays out B's rows; the zero-padded stage
 * the input tiles read is sh x sw (2 rows and columns per tile, and 2 more).
 */
function plan(arrays: TypedArray[], c: number, o: number, groups: number, g: ConvGeometry) {
  if (!arrays.every((a) => a instanceof Float32Array) || !winogradGeometry(g)) return null;
  const cg = c / groups, og = o / groups;
  if (Math.min(cg, og) < winogradSettings.minChannels || g.oh === 0 || g.ow === 0) return null;
  const tileRows = Math.ceil(g.oh / 2), columns = Math.ceil(g.ow / 8);
  const line = ((roundUp(tileRows * columns * 4, 16) / 16) | 1) * 16;
  return { cg, og, tileRows, columns, tiles: tileRows * columns * 4, line, sh: 2 * tileRows + 2, sw: 8 * columns + 2 };
}

/**
 * Whether the `floats` floats at heap byte address `at` are all finite. The transforms add and
 * subtract neighbouring values, so one infinity would make all four outputs of a tile NaN where
 * the direct convolution leaves most of them finite: such operands take im2col instead.
 */
function allFinite(heap: Float32Array, at: number, floats: number): boolean {
  const whole = floats >> 2;
  if (heapKernels().nonFinite(at, 1, whole, 0) !== 0) return false;
  for (let i = at / 4 + whole * 4; i < at / 4 + floats; i++) if (!Number.isFinite(heap[i])) return false;
  return true;
}

/** Gives up on a convolution part-way, for an operand that is not finite: its output goes back to zeros. */
function abandon(out: TypedArray): false {
  out.fill(0);
  return false;
}

/**
 * Copies image i of src (channels planes of h x w) through the scratch at `buffer` into the
 * stage at `at` (rows rowBytes apart, channels chanBytes apart); false, with nothing staged, if
 * it is not all finite.
 */
function stageImage(
  src: TypedArray, i: number, channels: number, h: number, w: number, buffer: number, at: number, chanBytes: number, rowBytes: number,
): boolean {
  const size = channels * h * w, heap = heapF32();
  heap.set(src.subarray(i * size, (i + 1) * size), buffer / 4);
  if (!allFinite(heap, buffer, size)) return false;
  heapKernels().copyPlanes(buffer, h * w * 4, w * 4, channels, h, w, at, chanBytes, rowBytes);
  return true;
}

/**
 * The 16 products C_xi [rows, line] = A_xi [rows, kc] @ B_xi [kc, line], A as the gemm's panels
 * (aPlane floats per product), B and C row-major with rows `line` floats apart (bPlane, cPlane
 * floats per product): the transforms' planes, read in place.
 */
function sixteenProducts(a: number, aPlane: number, b: number, bPlane: number, c: number, cPlane: number, rows: number, kc: number, line: number): void {
  const gemm = gemmKernel();
  for (let xi = 0; xi < 16; xi++) {
    gemm(a + xi * aPlane * 4, b + xi * bPlane * 4, c + xi * cPlane * 4, rows / MR, line / NR, kc, line * 4, line * 4, NR * 4, 0, kc * MR * 4);
  }
}

/**
 * y [n, o, oh, ow] = conv(x [n, c, h, w], w [o, c / groups, 3, 3]) with the geometry's padding,
 * every element written; false, with y untouched or zeroed, when this path does not take the
 * case (w or x not all finite among them).
 */
export function winogradConvF32(
  x: TypedArray, w: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, y: TypedArray,
): boolean {
  const sizes = plan([x, w, y], c, o, groups, g);
  if (!sizes) return false;
  const { cg, og, tileRows, columns, line, sh, sw } = sizes;
  const ogPad = roundUp(og, MR);
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
    // an infinity or NaN among the filters leaves one among their transforms
    transformFilters(w, groups, og, cg, ogPad, heap, uAt / 4);
    if (!allFinite(heap, uAt, groups * 16 * ogPad * cg)) return false;
    // the stage's borders and V's columns past the last tile stay zero; each image rewrites the rest
    heap.fill(0, stageAt / 4, stageAt / 4 + cg * sh * sw);
    heap.fill(0, vAt / 4, vAt / 4 + 16 * planeV);
    const k = heapKernels();
    for (let image = 0; image < n * groups; image++) {
      const group = image % groups;
      if (!stageImage(x, image, cg, g.h, g.w, imageAt, stageAt + (g.ph * sw + g.pw) * 4, sh * sw * 4, sw * 4)) return abandon(y);
      k.winogradInput(stageAt, sw * 4, sh * sw * 4, cg, tileRows, columns, vAt, planeV * 4, line * 4);
      sixteenProducts(uAt + group * 16 * ogPad * cg * 4, ogPad * cg, vAt, planeV, mAt, planeM, ogPad, cg, line);
      k.winogradOutput(mAt, planeM * 4, line * 4, og, tileRows, columns, outAt, g.ow * 4, g.oh * g.ow * 4);
      y.set(heap.subarray(outAt / 4, outAt / 4 + outSize), image * outSize);
    }
    return true;
  } finally {
    popScratch(mark);
  }
}

/**
 * dx [n, c, h, w] = the gradient of conv with respect to x for w [o, c / groups, 3, 3] and
 * dy [n, o, oh, ow], every element written; false, with dx untouched or zeroed, when this path
 * does not take the case (w or dy not all finite among them). On the forward's tiles, through
 * y = A^T [U * V] A and V = B^T d B: dV = U^T (A dy A^T), per product one matrix product
 * U^T [cg, og] @ DY [og, tiles], and each tile's B dV B^T is added into the block it read.
 */
export function winogradInputGradF32(
  dy: TypedArray, w: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, dx: TypedArray,
): boolean {
  const sizes = plan([dy, w, dx], c, o, groups, g);
  if (!sizes) return false;
  const { cg, og, tileRows, columns, line, sh, sw } = sizes;
  const cgPad = roundUp(cg, MR);
  const planeD = og * line, planeV = cgPad * line;
  if (16 * (planeV + planeD) > winogradSettings.maxImageFloats) return false;
  const imageSize = cg * g.h * g.w, gradSize = og * g.oh * g.ow;
  const dh = 2 * tileRows, dwide = 8 * columns;
  const mark = markScratch();
  try {
    const uAt = pushScratch(groups * 16 * cgPad * og * 4), gradStageAt = pushScratch(og * dh * dwide * 4);
    const stageAt = pushScratch(cg * sh * sw * 4), imageAt = pushScratch(Math.max(imageSize, gradSize) * 4);
    const dAt = pushScratch(16 * planeD * 4), vAt = pushScratch(16 * planeV * 4);
    if (Math.min(uAt, gradStageAt, stageAt, imageAt, dAt, vAt) < 0) return false;
    const heap = heapF32();
    // U^T: rows are the input channels
    transformFilters(w, groups, cg, og, cgPad, heap, uAt / 4, true);
    if (!allFinite(heap, uAt, groups * 16 * cgPad * og)) return false;
    // dy's stage is zero past the outputs, and DY's columns past the last tile stay zero
    heap.fill(0, gradStageAt / 4, gradStageAt / 4 + og * dh * dwide);
    heap.fill(0, dAt / 4, dAt / 4 + 16 * planeD);
    const k = heapKernels();
    for (let image = 0; image < n * groups; image++) {
      const group = image % groups;
      if (!stageImage(dy, image, og, g.oh, g.ow, imageAt, gradStageAt, dh * dwide * 4, dwide * 4)) return abandon(dx);
      k.winogradGradient(gradStageAt, dwide * 4, dh * dwide * 4, og, tileRows, columns, dAt, planeD * 4, line * 4);
      sixteenProducts(uAt + group * 16 * cgPad * og * 4, cgPad * og, dAt, planeD, vAt, planeV, cgPad, og, line);
      heap.fill(0, stageAt / 4, stageAt / 4 + cg * sh * sw);
      k.winogradInputAdjoint(vAt, planeV * 4, line * 4, cg, tileRows, columns, stageAt, sw * 4, sh * sw * 4);
      // the image is the stage's inside, past the padding
      k.copyPlanes(stageAt + (g.ph * sw + g.pw) * 4, sh * sw * 4, sw * 4, cg, g.h, g.w, imageAt, g.h * g.w * 4, g.w * 4);
      dx.set(heap.subarray(imageAt / 4, imageAt / 4 + imageSize), image * imageSize);
    }
    return true;
  } finally {
    popScratch(mark);
  }
}

/**
 * dw [o, c / groups, 3, 3] = the gradient of conv with respect to w for x [n, c, h, w] and
 * dy [n, o, oh, ow], every element written; false, with dw untouched or zeroed, when this path
 * does not take the case (x or dy not all finite among them).
 * Through y = A^T [U * V] A with U = G w G^T: dU = the sum over images and tiles of
 * (A dy A^T) * V, per product one matrix product DY [og, tiles] @ V^T [tiles, cg] summed over
 * the images, and dw = G^T dU G.
 */
export function winogradWeightGradF32(
  x: TypedArray, dy: TypedArray, n: number, c: number, o: number, groups: number, g: ConvGeometry, dw: TypedArray,
): boolean {
  const sizes = plan([x, dy, dw], c, o, groups, g);
  if (!sizes) return false;
  const { cg, og, tileRows, columns, tiles, line, sh, sw } = sizes;
  const ogPad = roundUp(og, MR), cgPad = roundUp(cg, NR);
  const planeV = cgPad * line, planeD = ogPad * line;
  if (16 * (planeV + planeD) > winogradSettings.maxImageFloats) return false;
  const imageSize = cg * g.h * g.w, gradSize = og * g.oh * g.ow;
  // dy's stage: whole tiles, zero past the outputs
  const dh = 2 * tileRows, dwide = 8 * columns;
  const mark = markScratch();
  try {
    const stageAt = pushScratch(cg * sh * sw * 4), gradStageAt = pushScratch(og * dh * dwide * 4);
    const imageAt = pushScratch(Math.max(imageSize, gradSize) * 4), vAt = pushScratch(16 * planeV * 4), dAt = pushScratch(16 * planeD * 4);
    const aAt = pushScratch(ogPad * tiles * 4), bAt = pushScratch(cgPad * tiles * 4), uAt = pushScratch(16 * ogPad * cgPad * 4);
    if (Math.min(stageAt, gradStageAt, imageAt, vAt, dAt, aAt, bAt, uAt) < 0) return false;
    const heap = heapF32();
    // the stages' borders and the planes' padding rows and columns stay zero
    for (const [at, floats] of [[stageAt, cg * sh * sw], [gradStageAt, og * dh * dwide], [vAt, 16 * planeV], [dAt, 16 * planeD]]) heap.fill(0, at / 4, at / 4 + floats);
    const k = heapKernels(), gemm = gemmKernel();
    for (let group = 0; group < groups; group++) {
      for (let i = 0; i < n; i++) {
        const image = i * groups + group;
        if (!stageImage(x, image, cg, g.h, g.w, imageAt, stageAt + (g.ph * sw + g.pw) * 4, sh * sw * 4, sw * 4)) return abandon(dw);
        k.winogradInput(stageAt, sw * 4, sh * sw * 4, cg, tileRows, columns, vAt, planeV * 4, line * 4);
        if (!stageImage(dy, image, og, g.oh, g.ow, imageAt, gradStageAt, dh * dwide * 4, dwide * 4)) return abandon(dw);
        k.winogradGradient(gradStageAt, dwide * 4, dh * dwide * 4, og, tileRows, columns, dAt, planeD * 4, line * 4);
        for (let xi = 0; xi < 16; xi++) {
          // DY's rows as the gemm's A panels, V's rows (V^T's columns) as its B panels
          k.packRows(dAt + xi * planeD * 4, line * 4, ogPad / 4, tiles, aAt, tiles * MR * 4, 0, MR * 4);
          k.packRows(vAt + xi * planeV * 4, line * 4, cgPad / 4, tiles, bAt, tiles * NR * 4, 1, NR * 4);
          gemm(aAt, bAt, uAt + xi * ogPad * cgPad * 4, ogPad / MR, cgPad / NR, tiles, cgPad * 4, NR * 4, tiles * NR * 4, i > 0 ? 1 : 0, tiles * MR * 4);
        }
      }
      untransformGradient(heap, uAt / 4, og, cg, ogPad, cgPad, dw, group * og * cg * 9);
    }
    return true;
  } finally {
    popScratch(mark);
  }
}

/**
 * dw = G^T dU G for each (output, input) channel pair of a group, from the 16 products' sums
 * (product xi's [ogPad, cgPad] at heap float `at` + xi * ogPad * cgPad), to dw[to...].
 *   G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]
 */
function untransformGradient(heap: Float32Array, at: number, og: number, cg: number, ogPad: number, cgPad: number, dw: TypedArray, to: number): void {
  const plane = ogPad * cgPad, t = new Float64Array(12);
  for (let oo = 0; oo < og; oo++) {
    for (let cc = 0; cc < cg; cc++) {
      const from = at + oo * cgPad + cc;
      // t = G^T dU, 3 x 4
      for (let b = 0; b < 4; b++) {
        const u0 = heap[from + b * plane], u1 = heap[from + (4 + b) * plane], u2 = heap[from + (8 + b) * plane], u3 = heap[from + (12 + b) * plane];
        t[b] = u0 + (u1 + u2) / 2;
        t[4 + b] = (u1 - u2) / 2;
        t[8 + b] = (u1 + u2) / 2 + u3;
      }
      // dw = t G, 3 x 3
      const out = to + (oo * cg + cc) * 9;
      for (let r = 0; r < 3; r++) {
        const t0 = t[4 * r], t1 = t[4 * r + 1], t2 = t[4 * r + 2], t3 = t[4 * r + 3];
        dw[out + 3 * r] = t0 + (t1 + t2) / 2;
        dw[out + 3 * r + 1] = (t1 - t2) / 2;
        dw[out + 3 * r + 2] = (t1 + t2) / 2 + t3;
      }
    }
  }
}

/**
 * U = G g G^T of every filter, written as the gemm's A panels: for group q and product xi, panel
 * p holds rows 4p..4p+3, MR floats per column; rows past `rows` are zeros. The rows are the
 * output channels and the columns the input channels of w [groups * rows, cols, 3, 3]; with
 * `swapped`, w is [groups * cols, rows, 3, 3] and the rows are its input channels (U^T).
 *   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 */
function transformFilters(
  w: TypedArray, groups: number, rows: number, cols: number, rowsPad: number, heap: Float32Array, at: number, swapped = false,
): void {
  heap.fill(0, at, at + groups * 16 * rowsPad * cols);
  const t = new Float64Array(12);
  const plane = rowsPad * cols;
  for (let q = 0; q < groups; q++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const f = (swapped ? (q * cols + c) * rows + r : (q * rows + r) * cols + c) * 9;
        // t = G g, 4 x 3
        for (let v = 0; v < 3; v++) {
          const g0 = w[f + v], g1 = w[f + 3 + v], g2 = w[f + 6 + v];
          t[v] = g0;
          t[3 + v] = (g0 + g1 + g2) / 2;
          t[6 + v] = (g0 - g1 + g2) / 2;
          t[9 + v] = g2;
        }
        // U = t G^T, 4 x 4, to product xi = 4a + b
        let slot = at + q * 16 * plane + (Math.floor(r / MR) * cols + c) * MR + (r % MR);
        for (let a = 0; a < 4; a++, slot += 4 * plane) {
          const t0 = t[3 * a], t1 = t[3 * a + 1], t2 = t[3 * a + 2];
          heap[slot] = t0;
          heap[slot + plane] = (t0 + t1 + t2) / 2;
          heap[slot + 2 * plane] = (t0 - t1 + t2) / 2;
          heap[slot + 3 * plane] = t2;
        }
      }
    }
  }
}
