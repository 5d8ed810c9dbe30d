// exp, log and sigmoid of float64s as float64 instruction sequences on two lanes, for the float64
// unary kernels (the other transcendental functions of float64 run JavaScript's Math). Polynomials are
// Taylor's, long enough to leave truncation below 1e-17, evaluated by Estrin's scheme without
// fused multiply-adds. Each is within one unit in the last place of Math.exp and Math.log: an
// exact emulation of the sequence (JavaScript's arithmetic is float64's) agreed on millions of
// random arguments over the whole range (every binade for log), 3.8% (exp) and 1.2% (log) of them
// one ulp off. sigmoid, the js backend's formula on this exp, is within two ulps of it (0.06% two off).

import { type Code, ValType } from "./assembler.js";
import { constant } from "./constants.js";
import { exp, type ExpConstants, logEdges, polynomial, powers } from "./sequences.js";

const { v128 } = ValType;

const k = (f: Code, value: number): Code => constant(f, value, "f64");

/** 1.5 * 2^52: adding it rounds a float64 of magnitude below 2^51 to an integer, kept in the low bits. */
const ROUNDER = 6755399441055744;
/** ln 2 in two parts (fdlibm's): LN2_HI's low 32 bits are zero, so n * LN2_HI is exact for |n| < 2^20. */
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
/**
 * exp clamps at e^-746 (rounds to 0) and e^710 (infinity); e^r = 1 + r + r^2 P(r), P's
 * coefficients 1/k! for k = 13 down to 2.
 */
const EXP: ExpConstants = {
  low: -746, high: 710, rounder: ROUNDER, ln2Hi: LN2_HI, ln2Lo: LN2_LO, bias: 1023, mantissa: 52,
  p: Array.from({ length: 12 }, (_, i) => 1 / factorial(13 - i)),
};

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/** e^x of the f64x2 on the stack (sequences.ts), the two factors of 2^n normal for every n from -1076 to 1024. */
export function expF64(f: Code): void {
  exp(f, "f64", EXP);
}

/** The float64 whose bits are the 52 mantissa bits (a subnormal), as a mask. */
const MANTISSA_BITS = new Float64Array(new BigUint64Array([0xfffffffffffffn]).buffer)[0];
/** The smallest normal float64: log scales subnormals up by 2^54 before reading their exponent. */
const MIN_NORMAL = 2 ** -1022;
const SUBNORMAL_SCALE = 2 ** 54;
/** log: 2 atanh(s) = 2s + s R(s^2), R's coefficients 2/3, 2/5, ... 2/25 (highest power first). */
const LOG_R = Array.from({ length: 12 }, (_, i) => 2 / (25 - 2 * i));

/**
 * log x of the f64x2 on the stack: x = 2^e m with m in [sqrt(1/2), sqrt(2)) read off the bits
 * (subnormals scaled up first), f = m - 1, s = f / (2 + f), and fdlibm's arrangement
 * log(1 + f) = f - (f^2/2 - s (f^2/2 + R)) with R = z P(z), z = s^2, which keeps the rounding of
 * the small terms away from f; e ln2 in two parts.
 */
export function logF64(f: Code): void {
  const x = f.local(v128), y = f.local(v128), sub = f.local(v128), e = f.local(v128), m = f.local(v128), high = f.local(v128);
  const g = f.local(v128), s = f.local(v128), hfsq = f.local(v128);
  f.tee(x);
  k(f, MIN_NORMAL).f64x2Lt().set(sub);
  f.get(x);
  k(f, SUBNORMAL_SCALE).f64x2Mul().get(x).get(sub).v128Bitselect().set(y);
  // e: the biased exponent turned into a float64 by adding it to ROUNDER's bits, less 1023, less 54 where scaled
  f.get(y).i32Const(52).i64x2ShrU();
  k(f, ROUNDER).i64x2Add();
  k(f, ROUNDER).f64x2Sub();
  k(f, -1023).f64x2Add();
  k(f, -54).get(sub).v128And().f64x2Add().set(e);
  // m in [1, 2): the mantissa under the exponent of 1; above sqrt(2), halved, and e one more
  f.get(y);
  k(f, MANTISSA_BITS).v128And();
  k(f, 1).v128Or().set(m);
  f.get(m);
  k(f, Math.SQRT2).f64x2Gt().set(high);
  f.get(m);
  k(f, 0.5).f64x2Mul().get(m).get(high).v128Bitselect();
  k(f, 1).f64x2Sub().set(g);
  f.get(e).get(high);
  k(f, 1).v128And().f64x2Add().set(e);
  f.get(g);
  k(f, 2).get(g).f64x2Add().f64x2Div().tee(s).get(s).f64x2Mul();
  const z = f.local(v128);
  f.set(z);
  k(f, 0.5).get(g).f64x2Mul().get(g).f64x2Mul().set(hfsq);
  // e LN2_HI - ((hfsq - (s (hfsq + z P(z)) + e LN2_LO)) - g)
  f.get(e);
  k(f, LN2_HI).f64x2Mul();
  f.get(hfsq).get(s).get(hfsq).get(z);
  polynomial(f, "f64", powers(f, "f64", z, 4), LOG_R);
  f.f64x2Mul().f64x2Add().f64x2Mul().get(e);
  k(f, LN2_LO).f64x2Mul().f64x2Add().f64x2Sub().get(g).f64x2Sub().f64x2Sub();
  logEdges(f, "f64", x);
}

/** 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, of the f64x2 on the stack, as the js backend computes it. */
export function sigmoidF64(f: Code): void {
  const x = f.local(v128), e = f.local(v128);
  f.tee(x).f64x2Abs().f64x2Neg();
  expF64(f);
  f.set(e);
  k(f, 1).get(e).get(x);
  k(f, 0).f64x2Ge().v128Bitselect();
  k(f, 1).get(e).f64x2Add().f64x2Div();
}
