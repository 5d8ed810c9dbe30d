/** Elementwise kernels: one tight loop per op over coalesced rows, no per-element calls. */
import type { TypedArray } from "../../core/dtype.js";
import { contiguousStrides } from "../../core/shape.js";
import type { BinaryOp, StridedArray, UnaryOp } from "../backend.js";
import { coalesce, forEachRow } from "./iterate.js";

type A = TypedArray;
type Row1 = (x: A, xi: number, xs: number, o: A, oi: number, n: number) => void;
type Row2 = (a: A, ai: number, as: number, b: A, bi: number, bs: number, o: A, oi: number, n: number) => void;

/** erf to about 1e-14: Taylor series near 0, Laplace continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (x === 0) return x; // keeps the sign of -0, as erf is odd
  const ax = Math.abs(x);
  if (ax < 2.5) return erfSeries(x);
  if (ax > 6) return Math.sign(x);
  return Math.sign(x) * (1 - erfcTail(ax));
}

/** erf(x) by its Taylor series, for |x| < 2.5. */
function erfSeries(x: number): number {
  let term = x, sum = x;
  const x2 = x * x;
  for (let n = 1; n < 80; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(z) for z >= 2.5 by Laplace's continued fraction: no cancellation however small. */
function erfcTail(z: number): number {
  let f = z;
  for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}

/** erfc(z) for z >= 0 (NaN stays), to about 1e-13 relative. */
function erfc(z: number): number {
  return z < 2.5 ? 1 - erfSeries(z) : erfcTail(z);
}

/** Phi(x), the standard normal CDF, from erfc of |x| / sqrt 2 on both sides: no cancellation in the left tail. */
function normalCdf(x: number): number {
  const c = erfc(Math.abs(x) * Math.SQRT1_2);
  return x >= 0 ? 1 - c / 2 : c / 2;
}
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** gelu'(x) = Phi(x) + x phi(x), phi the normal density. */
const geluDerivative = (v: number): number => normalCdf(v) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
/** gelu's tanh form as x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): x (1 + tanh u) / 2 without its cancellation. */
function geluTanh(x: number): number {
  const z = 2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
  if (z >= 0) return x / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return (x * e) / (1 + e);
}

/** x^y as C's pow (and PyTorch) define it: Math.pow differs only in giving NaN for 1^NaN and (±1)^±inf, where pow gives 1. */
export function powC(x: number, y: number): number {
  return x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : Math.pow(x, y);
}

const unaryRows: Record<UnaryOp, Row1> = {
  neg: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = -x[xi]; },
  abs: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.abs(x[xi]); },
  sign: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; o[oi + i] = v > 0 ? 1 : v < 0 ? -1 : v; } },
  square: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; o[oi + i] = v * v; } },
  exp: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.exp(x[xi]); },
  log: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.log(x[xi]); },
  log1p: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.log1p(x[xi]); },
  sqrt: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.sqrt(x[xi]); },
  sin: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.sin(x[xi]); },
  cos: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.cos(x[xi]); },
  tanh: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.tanh(x[xi]); },
  sigmoid: (x, xi, xs, o, oi, n) => {
    // written to stay finite for large |x|
    for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; if (v >= 0) o[oi + i] = 1 / (1 + Math.exp(-v)); else { const e = Math.exp(v); o[oi + i] = e / (1 + e); } }
  },
  erf: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = erf(x[xi]); },
  gelu: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; o[oi + i] = v * normalCdf(v); } },
  geluTanh: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = geluTanh(x[xi]); },
  geluDerivative: (x, xi, xs, o, oi, n) => {
    for (let i = 0; i < n; i++, xi += xs) o[oi + i] = geluDerivative(x[xi]);
  },
  // branch-free for ordinary values ((v + |v|) / 2 is exact): random signs made a branch mispredict
  // half the time. NaN, -inf and overflow take the rare (well predicted) exact path.
  relu: (x, xi, xs, o, oi, n) => {
    for (let i = 0; i < n; i++, xi += xs) {
      const v = x[xi];
      let r = (v + Math.abs(v)) * 0.5;
      if (r !== r || r === Infinity) r = v > 0 ? v : v !== v ? v : 0;
      o[oi + i] = r;
    }
  },
  floor: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.floor(x[xi]); },
  ceil: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.ceil(x[xi]); },
  trunc: (x, xi, xs, o, oi, n) => { for (let i = 0; i < n; i++, xi += xs) o[oi + i] = Math.trunc(x[xi]); },
  // halves to even, as PyTorch (and wasm's nearest): Math.round takes them up, so an odd result one above is stepped back
  round: (x, xi, xs, o, oi, n) => {
    for (let i = 0; i < n; i++, xi += xs) {
      const v = x[xi], r = Math.round(v);
      o[oi + i] = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
    }
  },
};

const exact = (v: number): number => v;
/** Rounding to the element type of o: float32's, or none (float64 arithmetic is float64's). */
const roundTo = (o: A): ((v: number) => number) => (o instanceof Float32Array ? Math.fround : exact);

const binaryRows: Record<BinaryOp, Row2> = {
  add: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] + b[bi]; },
  sub: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] - b[bi]; },
  mul: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] * b[bi]; },
  div: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] / b[bi]; },
  pow: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = powC(a[ai], b[bi]); },
  // NaN wins, as in PyTorch, and +0 > -0: IEEE maximum, as the wasm kernels compute it
  maximum: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = Math.max(a[ai], b[bi]); },
  minimum: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = Math.min(a[ai], b[bi]); },
  reluBackward: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = b[bi] > 0 ? a[ai] : 0; },
  // each step rounded to the output's type, as the mul, sub and mul they fuse (the store rounds the last)
  tanhBackward: (a, ai, as, b, bi, bs, o, oi, n) => {
    const r = roundTo(o);
    for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] * r(1 - r(b[bi] * b[bi]));
  },
  sigmoidBackward: (a, ai, as, b, bi, bs, o, oi, n) => {
    const r = roundTo(o);
    for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] * r(b[bi] * r(1 - b[bi]));
  },
  geluBackward: (a, ai, as, b, bi, bs, o, oi, n) => {
    const r = roundTo(o);
    for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = a[ai] * r(geluDerivative(b[bi]));
  },
  // comparisons as +(a < b): a number from a boolean compiles without a branch
  eq: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = +(a[ai] === b[bi]); },
  ne: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = +(a[ai] !== b[bi]); },
  lt: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = +(a[ai] < b[bi]); },
  le: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = +(a[ai] <= b[bi]); },
  gt: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = +(a[ai] > b[bi]); },
  ge: (a, ai, as, b, bi, bs, o, oi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) o[oi + i] = +(a[ai] >= b[bi]); },
};

export function unary(op: UnaryOp, x: StridedArray, out: TypedArray): void {
  const f = unaryRows[op];
  forEachRow(x.shape, [x.strides, contiguousStrides(x.shape)], [x.offset, 0], (offs, n, inner) =>
    f(x.data, offs[0], inner[0], out, offs[1], n));
}

export function binary(op: BinaryOp, a: StridedArray, b: StridedArray, out: TypedArray): void {
  const f = binaryRows[op];
  forEachRow(a.shape, [a.strides, b.strides, contiguousStrides(a.shape)], [a.offset, b.offset, 0], (offs, n, inner) =>
    f(a.data, offs[0], inner[0], b.data, offs[1], inner[1], out, offs[2], n));
  // arithmetic on bools is logical (True + True is True): keep bool results 0 or 1
  if (out instanceof Uint8Array && a.data instanceof Uint8Array) for (let i = 0; i < out.length; i++) out[i] = out[i] !== 0 ? 1 : 0;
}

/** The rows of three operands of one shape (strided) and the contiguous output: each row's offsets and steps, and its length. */
function eachRowOf3(
  a: StridedArray, b: StridedArray, c: StridedArray,
  row: (ai: number, as: number, bi: number, bs: number, ci: number, cs: number, oi: number, n: number) => void,
): void {
  forEachRow(a.shape, [a.strides, b.strides, c.strides, contiguousStrides(a.shape)], [a.offset, b.offset, c.offset, 0],
    (offs, n, inner) => row(offs[0], inner[0], offs[1], inner[1], offs[2], inner[2], offs[3], n));
}

export function where(c: StridedArray, a: StridedArray, b: StridedArray, out: TypedArray): void {
  const cd = c.data, ad = a.data, bd = b.data;
  eachRowOf3(c, a, b, (ci, cs, ai, as, bi, bs, oi, n) => {
    for (let i = 0; i < n; i++, ci += cs, ai += as, bi += bs) out[oi + i] = cd[ci] ? ad[ai] : bd[bi];
  });
}

export function clamp(x: StridedArray, lo: StridedArray, hi: StridedArray, out: TypedArray): void {
  const xd = x.data, ld = lo.data, hd = hi.data;
  eachRowOf3(x, lo, hi, (xi, xs, li, ls, hj, hs, oi, n) => {
    for (let i = 0; i < n; i++, xi += xs, li += ls, hj += hs) {
      const v = xd[xi], l = ld[li], h = hd[hj], m = v < l ? l : v;
      out[oi + i] = l !== l || h !== h ? NaN : m > h ? h : m;
    }
  });
}

/** Rows at least this long are copied by TypedArray.set rather than an element loop (a subarray each costs more below). */
export const SET_MIN = 64;

export function copy(src: StridedArray, dst: StridedArray): void {
  const toBool = dst.data instanceof Uint8Array && !(src.data instanceof Uint8Array);
  if (!toBool && transposeCopy(src, dst)) return;
  forEachRow(src.shape, [src.strides, dst.strides], [src.offset, dst.offset], (offs, n, inner) => {
    const s = src.data, d = dst.data;
    let si = offs[0], di = offs[1];
    const ss = inner[0], ds = inner[1];
    if (toBool) for (let i = 0; i < n; i++, si += ss, di += ds) d[di] = s[si] !== 0 ? 1 : 0;
    // TypedArray.set converts element types exactly as assignment does, in native code; a short
    // row is cheaper to loop over than to wrap in a subarray (a permute keeping a small last dim)
    else if (ss === 1 && ds === 1 && n >= SET_MIN) d.set(s.subarray(si, si + n) as never, di);
    else for (let i = 0; i < n; i++, si += ss, di += ds) d[di] = s[si];
  });
}

const TILE = 32;

/**
 * The planes of a transposing copy: in each, element (i, j) (i < rows, j < cols) is read at
 * sBase + i + j * sCol and written at dBase + i * dRow + j.
 */
export interface TransposePlanes {
  rows: number;
  cols: number;
  sCol: number;
  dRow: number;
  forEach(plane: (sBase: number, dBase: number) => void): void;
}

/**
 * The planes of a copy whose source is contiguous along another dim than the destination (a
 * transpose); null when the layout is not of that kind, or a side of the plane is shorter than minSide.
 */
export function transposePlanes(src: StridedArray, dst: StridedArray, minSide: number): TransposePlanes | null {
  const c = coalesce(src.shape, [src.strides, dst.strides]);
  const r = c.shape.length;
  const [ss, ds] = c.strides;
  const p = ss.indexOf(1);
  if (r < 2 || ds[r - 1] !== 1 || p < 0 || p === r - 1 || c.shape[p] < minSide || c.shape[r - 1] < minSide) return null;
  // every dim except p and the last indexes a plane
  const outer = (x: readonly number[]) => x.filter((_, i) => i !== p && i !== r - 1);
  const outerShape = outer(c.shape);
  return {
    rows: c.shape[p], cols: c.shape[r - 1], sCol: ss[r - 1], dRow: ds[p],
    forEach: (plane) => forEachRow(
      outerShape.length ? outerShape : [1], outerShape.length ? [outer(ss), outer(ds)] : [[0], [0]], [src.offset, dst.offset],
      (offs, n, inner) => { for (let o = 0; o < n; o++) plane(offs[0] + o * inner[0], offs[1] + o * inner[1]); },
    ),
  };
}

/** A transposing copy walks 32 x 32 tiles, so both sides stay in cache. False when the layout is not a transpose. */
function transposeCopy(src: StridedArray, dst: StridedArray): boolean {
  const planes = transposePlanes(src, dst, TILE);
  if (!planes) return false;
  const { rows, cols, sCol, dRow } = planes;
  const s = src.data, d = dst.data;
  planes.forEach((sBase, dBase) => {
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(rows, i0 + TILE);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(cols, j0 + TILE);
        for (let i = i0; i < i1; i++) {
          let si = sBase + i + j0 * sCol, di = dBase + i * dRow + j0;
          for (let j = j0; j < j1; j++, si += sCol, di++) d[di] = s[si];
        }
      }
    }
  });
  return true;
}
