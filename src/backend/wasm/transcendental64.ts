// exp, log and sigmoid of float64s as float64 instruction sequences on two lanes, for the float64
// unary kernels (the other transcendental functions of float64 run JavaScript's Math). Polynomials are
// Taylor's, long enough to leave truncation below 1e-17, evaluated by Estrin's scheme without
// fused multiply-adds. Each is within one unit in the last place of Math.exp and Math.log: an
// exact emulation of the sequence (JavaScript's arithmetic is float64's) agreed on millions of
// random arguments over the whole range (every binade for log), 3.8% (exp) and 1.2% (log) of them
// one ulp off. sigmoid, the js backend's formula on this exp, is within two ulps of it (0.06% two off).

import { type Code, ValType } from "./assembler.js";
import { constant } from "./constants.js";
import { exp, type ExpConstants, logEdges, type LogConstants, logReduce, polynomial, powers, sigmoid } from "./sequences.js";

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

/**
 * log's reduction: subnormals (below 2^-1022) are scaled up by 2^54 before their exponent is read,
 * which becomes a float64 by adding its bits to ROUNDER's; the mask is the float64 whose bits are
 * the 52 mantissa bits (a subnormal).
 */
const LOG: LogConstants = {
  minNormal: 2 ** -1022, scaleBits: 54, bias: 1023, mantissaMask: new Float64Array(new BigUint64Array([0xfffffffffffffn]).buffer)[0],
  exponentField: (f) => {
    f.i32Const(52).i64x2ShrU();
    k(f, ROUNDER).i64x2Add();
    k(f, ROUNDER).f64x2Sub();
  },
};
/** log: 2 atanh(s) = 2s + s R(s^2), R's coefficients 2/3, 2/5, ... 2/25 (highest power first). */
const LOG_R = Array.from({ length: 12 }, (_, i) => 2 / (25 - 2 * i));

/**
 * log x of the f64x2 on the stack: x = 2^e m with m in [sqrt(1/2), sqrt(2)) read off the bits
 * (subnormals scaled up first), f = m - 1, s = f / (2 + f), and fdlibm's arrangement
 * log(1 + f) = f - (f^2/2 - s (f^2/2 + R)) with R = z P(z), z = s^2, which keeps the rounding of
 * the small terms away from f; e ln2 in two parts.
 */
export function logF64(f: Code): void {
  const x = f.local(v128), s = f.local(v128), hfsq = f.local(v128);
  f.set(x);
  const { e, g } = logReduce(f, "f64", x, LOG);
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
  sigmoid(f, "f64", EXP);
}
