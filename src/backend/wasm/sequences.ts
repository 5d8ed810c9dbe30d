// Pieces shared by the transcendental sequences of both widths (float32 and float64 lanes):
// polynomials by Estrin's scheme, exp and sigmoid, and log's argument reduction and edge cases.

import { type Code, ValType } from "./assembler.js";
import { constant } from "./constants.js";

/** Which lanes: four float32s or two float64s. */
export type Width = "f32" | "f64";

const mul = (f: Code, w: Width): Code => (w === "f32" ? f.f32x4Mul() : f.f64x2Mul());
const compare = (f: Code, w: Width, op: "Lt" | "Gt" | "Eq"): Code => f[`${w === "f32" ? "f32x4" : "f64x2"}${op}`]();

/** Locals holding x, x^2, x^4, ... (`count` powers) of the vector in local `x`. */
export function powers(f: Code, w: Width, x: number, count: number): number[] {
  const p = [x];
  while (p.length < count) {
    const next = f.local(ValType.v128);
    mul(f.get(p[p.length - 1]).get(p[p.length - 1]), w).set(next);
    p.push(next);
  }
  return p;
}

/**
 * Pushes the polynomial of `count` coefficients in x, by Estrin's scheme: P = L + x^(2^j) H with L
 * the 2^j lowest terms, recursively, a dependency chain of about log2 of the degree multiply-adds
 * where Horner's rule has one per degree (the loop runs several elements' chains at once only as
 * far as the core's reorder window reaches). `p` holds x, x^2, x^4, ...; `push(i)` pushes
 * coefficient i, highest power first.
 */
export function estrin(f: Code, w: Width, p: readonly number[], count: number, push: (i: number) => void, first = 0): void {
  if (count === 1) {
    push(first);
    return;
  }
  let level = 0;
  while (2 ** (level + 1) < count) level++;
  const high = count - 2 ** level; // how many of the coefficients (highest first) are H's
  f.get(p[level]);
  estrin(f, w, p, high, push, first);
  f.mulAdd(w === "f32" ? "f32x4" : "f64x2", () => estrin(f, w, p, count - high, push, first + high));
}

/** The polynomial with constant coefficients `c` (highest power first): see estrin. */
export function polynomial(f: Code, w: Width, p: readonly number[], c: readonly number[]): void {
  estrin(f, w, p, c.length, (i) => constant(f, c[i], w));
}

/** What log's argument reduction needs of a width. */
export interface LogConstants {
  /** The smallest normal number; subnormals are scaled up by 2^scaleBits first. */
  minNormal: number;
  scaleBits: number;
  /** The exponent's bias, and a float whose bits are the mantissa field's mask. */
  bias: number;
  mantissaMask: number;
  /** Pops a vector's bits and pushes their (biased) exponent fields as floats. */
  exponentField(f: Code): void;
}

/**
 * log's argument reduction of the vector in local x: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
 * read off the bits (subnormals scaled up first; a mantissa above sqrt 2 halved, and e one more).
 * Returns the locals holding e, as floats, and g = m - 1.
 */
export function logReduce(f: Code, w: Width, x: number, c: LogConstants): { e: number; g: number } {
  const { v128 } = ValType;
  const F = w === "f32" ? "f32x4" : "f64x2";
  const k = (v: number): Code => constant(f, v, w);
  const y = f.local(v128), sub = f.local(v128), e = f.local(v128), m = f.local(v128), high = f.local(v128), g = f.local(v128);
  f.get(x);
  k(c.minNormal)[`${F}Lt`]().set(sub);
  f.get(x);
  k(2 ** c.scaleBits)[`${F}Mul`]().get(x).get(sub).v128Bitselect().set(y);
  // e: the exponent field, less the bias, less scaleBits where scaled
  f.get(y);
  c.exponentField(f);
  k(-c.bias)[`${F}Add`]();
  k(-c.scaleBits).get(sub).v128And()[`${F}Add`]().set(e);
  // m in [1, 2): the mantissa under the exponent of 1; above sqrt(2), halved, and e one more
  f.get(y);
  k(c.mantissaMask).v128And();
  k(1).v128Or().set(m);
  f.get(m);
  k(Math.SQRT2)[`${F}Gt`]().set(high);
  f.get(m);
  k(0.5)[`${F}Mul`]().get(m).get(high).v128Bitselect();
  k(1)[`${F}Sub`]().set(g);
  f.get(e).get(high);
  k(1).v128And()[`${F}Add`]().set(e);
  return { e, g };
}

/**
 * Replaces log's result on the stack where the input (local x) is not positive and finite:
 * log(±0) = -inf, log of a negative is NaN, inf and NaN stay.
 */
export function logEdges(f: Code, w: Width, x: number): void {
  const k = (v: number) => constant(f, v, w);
  k(-Infinity);
  k(NaN).get(x).get(x);
  compare(k(0), w, "Lt").v128Bitselect().get(x);
  compare(k(0), w, "Eq").v128Bitselect();
  f.get(x);
  compare(k(0), w, "Gt").get(x);
  compare(k(Infinity), w, "Lt").v128And().v128Bitselect();
}

/** What exp needs of a width: where it clamps, ln 2 in two parts, its polynomial, its exponent field. */
export interface ExpConstants {
  /** e^low rounds to 0 and e^high to infinity: beyond them the argument is clamped. */
  low: number;
  high: number;
  /** 1.5 * 2^(mantissa bits): adding it rounds to an integer, kept in the low mantissa bits. */
  rounder: number;
  /** ln 2 in two parts, ln2Hi short enough that n * ln2Hi is exact for every n that occurs. */
  ln2Hi: number;
  ln2Lo: number;
  /** e^r = 1 + r + r^2 P(r) for |r| <= ln(2)/2: P's coefficients, highest power first. */
  p: readonly number[];
  /** 2^h has the bits (h + bias) << mantissa. */
  bias: number;
  mantissa: number;
}

/**
 * e^x of the vector on the stack: x = n ln2 + r with n an integer, e^r by its polynomial, times 2^n
 * as two powers of two (each a normal number), so that subnormal results round once and the
 * largest finite results stay finite.
 */
export function exp(f: Code, w: Width, c: ExpConstants): void {
  const { v128 } = ValType;
  const F = w === "f32" ? "f32x4" : "f64x2", I = w === "f32" ? "i32x4" : "i64x2";
  const k = (v: number): Code => constant(f, v, w), int = (v: number): Code => constant(f, v, w === "f32" ? "i32" : "i64");
  const x = f.local(v128), t = f.local(v128), n = f.local(v128), r = f.local(v128), half = f.local(v128);
  // (a NaN x passes)
  k(c.low)[`${F}Pmax`]();
  k(c.high)[`${F}Pmin`]().set(x);
  f.get(x);
  k(Math.LOG2E)[`${F}Mul`]();
  k(c.rounder)[`${F}Add`]().tee(t);
  k(c.rounder)[`${F}Sub`]().set(n);
  f.get(x).get(n);
  k(c.ln2Hi)[`${F}Mul`]()[`${F}Sub`]().get(n);
  k(c.ln2Lo)[`${F}Mul`]()[`${F}Sub`]().set(r);
  const p = powers(f, w, r, Math.ceil(Math.log2(c.p.length)));
  polynomial(f, w, p, c.p);
  f.get(p[1])[`${F}Mul`]().get(r)[`${F}Add`]();
  k(1)[`${F}Add`]();
  // n from t's low bits (the rounder's bits subtracted), split as n = h + (n - h) with h = n >> 1
  f.get(t);
  k(c.rounder)[`${I}Sub`]().tee(n).i32Const(1)[`${I}ShrS`]().set(half);
  f.get(half);
  int(c.bias)[`${I}Add`]().i32Const(c.mantissa)[`${I}Shl`]()[`${F}Mul`]();
  f.get(n).get(half)[`${I}Sub`]();
  int(c.bias)[`${I}Add`]().i32Const(c.mantissa)[`${I}Shl`]()[`${F}Mul`]();
}

/** 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, of the vector on the stack: e^-|x| never overflows. */
export function sigmoid(f: Code, w: Width, c: ExpConstants): void {
  const F = w === "f32" ? "f32x4" : "f64x2";
  const k = (v: number): Code => constant(f, v, w);
  const x = f.local(ValType.v128), e = f.local(ValType.v128);
  f.tee(x)[`${F}Abs`]()[`${F}Neg`]();
  exp(f, w, c);
  f.set(e);
  k(1).get(e).get(x);
  k(0)[`${F}Ge`]().v128Bitselect();
  k(1).get(e)[`${F}Add`]()[`${F}Div`]();
}
