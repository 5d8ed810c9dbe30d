/**
 * The kernels of the convolution primitives, a piece of the batch at a time: a piece's im2col
 * columns go into a scratch array of about a megabyte that its matmul reads while they are
 * still in cache, so the columns of the whole batch (hundreds of megabytes at batch 64, on fresh
 * pages) are never made. A piece is some whole images, or a range of one image's groups when
 * one image's columns are too big alone (a vmap over samples folds its batch into groups).
 */
import type { ConvGeometry } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { allocUnwritten, type DType, type TypedArray } from "../core/dtype.js";

/** Elements of columns per piece (tests lower it to split small convolutions into many pieces). */
export const convSettings = { pieceElements: 262144 };

/** A convolution's sizes: images, channels in and out, groups, and the im2col geometry. */
export interface ConvSizes {
  readonly n: number;
  readonly c: number;
  readonly o: number;
  readonly groups: number;
  readonly g: ConvGeometry;
}

/** The sizes derived from ConvSizes that every kernel below uses. */
function dims(s: ConvSizes) {
  const cg = s.c / s.groups, og = s.o / s.groups;
  const k = cg * s.g.kh * s.g.kw, l = s.g.oh * s.g.ow, hw = s.g.h * s.g.w;
  return { cg, og, k, l, hw };
}

/**
 * Calls `piece` for images [n0, n0 + count) and groups [g0, g0 + gc), covering every image and
 * group once; count > 1 only with all the groups, so a piece's rows of x, y and dy are contiguous.
 */
function forEachPiece(s: ConvSizes, piece: (n0: number, count: number, g0: number, gc: number) => void): void {
  const { k, l } = dims(s);
  const perGroup = k * l;
  const budget = convSettings.pieceElements;
  if (s.groups * perGroup <= budget) {
    const per = Math.max(1, Math.floor(budget / (s.groups * perGroup)));
    for (let n0 = 0; n0 < s.n; n0 += per) piece(n0, Math.min(per, s.n - n0), 0, s.groups);
  } else {
    const per = Math.max(1, Math.floor(budget / perGroup));
    for (let n0 = 0; n0 < s.n; n0++) for (let g0 = 0; g0 < s.groups; g0 += per) piece(n0, 1, g0, Math.min(per, s.groups - g0));
  }
}

/** The most (image, group) pairs a piece has: scratch for its columns holds this many k x l blocks. */
function pieceGroups(s: ConvSizes): number {
  const { k, l } = dims(s);
  return Math.min(s.n * s.groups, Math.max(1, Math.floor(convSettings.pieceElements / (k * l))));
}

function columnsScratch(s: ConvSizes, dtype: DType): TypedArray {
  const { k, l } = dims(s);
  return allocUnwritten(dtype, pieceGroups(s) * k * l);
}

/** im2col of images [n0, n0 + count), groups [g0, g0 + gc) of x into cols [count, gc, k, l]. */
function piecesColumns(x: TypedArray, s: ConvSizes, n0: number, count: number, g0: number, gc: number, cols: TypedArray): TypedArray {
  const { cg, k, l, hw } = dims(s);
  const from = n0 * s.c * hw + g0 * cg * hw;
  const out = cols.subarray(0, count * gc * k * l);
  backend().im2col(x.subarray(from, from + count * gc * cg * hw), count, gc * cg, s.g, out);
  return out;
}

/** y [n, o, oh, ow] = conv(x [n, c, h, w], w [o, c / groups, kh, kw]); y's every element is written. */
export function convForward(x: TypedArray, w: TypedArray, s: ConvSizes, y: TypedArray, dtype: DType): void {
  if (backend().conv3x3(x, w, s.n, s.c, s.o, s.groups, s.g, y)) return;
  const { og, k, l } = dims(s);
  const cols = columnsScratch(s, dtype);
  forEachPiece(s, (n0, count, g0, gc) => {
    const piece = piecesColumns(x, s, n0, count, g0, gc, cols);
    const at = n0 * s.o * l + g0 * og * l;
    backend().matmul(
      { data: w, shape: [count, gc, og, k], strides: [0, og * k, k, 1], offset: g0 * og * k },
      { data: piece, shape: [count, gc, k, l], strides: [gc * k * l, k * l, l, 1], offset: 0 },
      y.subarray(at, at + count * gc * og * l),
    );
  });
}

/** dx [n, c, h, w] (zeroed) = the transpose of conv with respect to x, applied to dy [n, o, oh, ow]. */
export function convInputGrad(dy: TypedArray, w: TypedArray, s: ConvSizes, dx: TypedArray, dtype: DType): void {
  if (backend().conv3x3InputGrad(dy, w, s.n, s.c, s.o, s.groups, s.g, dx)) return;
  const { cg, og, k, l, hw } = dims(s);
  const cols = columnsScratch(s, dtype);
  forEachPiece(s, (n0, count, g0, gc) => {
    const piece = cols.subarray(0, count * gc * k * l);
    backend().matmul(
      { data: w, shape: [count, gc, k, og], strides: [0, og * k, 1, k], offset: g0 * og * k },
      { data: dy, shape: [count, gc, og, l], strides: [s.o * l, og * l, l, 1], offset: n0 * s.o * l + g0 * og * l },
      piece,
    );
    const at = n0 * s.c * hw + g0 * cg * hw;
    backend().col2im(piece, count, gc * cg, s.g, dx.subarray(at, at + count * gc * cg * hw));
  });
}

/**
 * dw [o, c / groups, kh, kw] (zeroed) = the transpose of conv with respect to w, applied to
 * dy [n, o, oh, ow]: the sum over images of dy's rows times x's columns. A piece's products are
 * summed over its images by a reduction, then added in.
 */
export function convWeightGrad(x: TypedArray, dy: TypedArray, s: ConvSizes, dw: TypedArray, dtype: DType): void {
  if (backend().conv3x3WeightGrad(x, dy, s.n, s.c, s.o, s.groups, s.g, dw)) return;
  const { og, k, l } = dims(s);
  const cols = columnsScratch(s, dtype);
  const scratch = allocUnwritten(dtype, pieceGroups(s) * og * k);
  // the sum over a piece's images, made at the first piece of several (which holds all the groups)
  let sums: TypedArray | null = null;
  forEachPiece(s, (n0, count, g0, gc) => {
    const piece = piecesColumns(x, s, n0, count, g0, gc, cols);
    const size = gc * og * k;
    const products = scratch.subarray(0, count * size);
    backend().matmul(
      { data: dy, shape: [count, gc, og, l], strides: [s.o * l, og * l, l, 1], offset: n0 * s.o * l + g0 * og * l },
      { data: piece, shape: [count, gc, l, k], strides: [gc * k * l, k * l, 1, l], offset: 0 },
      products,
    );
    let sum = products;
    if (count > 1) {
      sum = sums ??= allocUnwritten(dtype, size);
      backend().reduce("sum", { data: products, shape: [size, count], strides: [1, size], offset: 0 }, 1, sum);
    }
    const at = g0 * og * k;
    for (let i = 0; i < size; i++) dw[at + i] += sum[i];
  });
}
