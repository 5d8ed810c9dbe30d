// exp of float64s as a float64 instruction sequence on two lanes, for the float64 unary kernels
// (the other transcendental functions of float64 run JavaScript's Math). x = n ln2 + r with
// |r| <= ln(2)/2, e^r = 1 + r + r^2 P(r) with P the Taylor polynomial to r^11 / 13! (truncation
// below 1e-17), evaluated by Estrin's scheme without fused multiply-adds, then times 2^n as two
// powers of two. Within one unit in the last place of Math.exp: an exact emulation of the sequence
// (JavaScript's arithmetic is float64's) agreed on 7 million random arguments, 3.8% of them one
// ulp off, over the whole range, subnormal results and the edge of overflow included.

import { type Code, ValType } from "./assembler.js";
import { constant } from "./constants.js";
import { polynomial, powers } from "./polynomial.js";

const { v128 } = ValType;

const k = (f: Code, value: number): Code => constant(f, value, "f64");
const int = (f: Code, value: number): Code => constant(f, value, "i64");

/** 1.5 * 2^52: adding it rounds a float64 of magnitude below 2^51 to an integer, kept in the low bits. */
const ROUNDER = 6755399441055744;
/** e^-746 rounds to 0 and e^710 to infinity: beyond them exp clamps its argument. */
const EXP_LOW = -746;
const EXP_HIGH = 710;
/** ln 2 in two parts (fdlibm's): LN2_HI's low 32 bits are zero, so n * LN2_HI is exact for |n| < 2^20. */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
/** 1/k! for k = 13 down to 2: e^r = 1 + r + r^2 (1/2! + r/3! + ...). */
const EXP_P = Array.from({ length: 12 }, (_, i) => 1 / factorial(13 - i));

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/**
 * e^x of the f64x2 on the stack: as exp32 (transcendental32.ts) in float64, the two factors of 2^n
 * normal doubles for every n from -1076 to 1024, so subnormal results round once.
 */
export function expF64(f: Code): void {
  const x = f.local(v128), t = f.local(v128), n = f.local(v128), r = f.local(v128), half = f.local(v128);
  // (a NaN x passes)
  k(f, EXP_LOW).f64x2Pmax();
  k(f, EXP_HIGH).f64x2Pmin().set(x);
  f.get(x);
  k(f, Math.LOG2E).f64x2Mul();
  k(f, ROUNDER).f64x2Add().tee(t);
  k(f, ROUNDER).f64x2Sub().set(n);
  f.get(x).get(n);
  k(f, LN2_HI).f64x2Mul().f64x2Sub().get(n);
  k(f, LN2_LO).f64x2Mul().f64x2Sub().set(r);
  const p = powers(f, "f64", r, 4);
  polynomial(f, "f64", p, EXP_P);
  f.get(p[1]).f64x2Mul().get(r).f64x2Add();
  k(f, 1).f64x2Add();
  // n from t's low bits (ROUNDER's bits subtracted), split as n = h + (n - h) with h = n >> 1
  f.get(t);
  k(f, ROUNDER).i64x2Sub().tee(n).i32Const(1).i64x2ShrS().set(half);
  f.get(half);
  int(f, 1023).i64x2Add().i32Const(52).i64x2Shl().f64x2Mul();
  f.get(n).get(half).i64x2Sub();
  int(f, 1023).i64x2Add().i32Const(52).i64x2Shl().f64x2Mul();
}
