// exp, log, tanh, sigmoid, erf and GELU of float32s as float32 instruction sequences on all four lanes,
// for the unary kernels: twice the lanes of the float64 sequences (transcendental.ts) and shorter
// polynomials, 2-5 times their speed. exp, log and tanh use Cephes's polynomials (expf, logf,
// tanhf), erf and GELU our own fits; all are evaluated by Estrin's scheme without fused multiply-adds, so
// every engine rounds alike. Against the js backend (Math.exp and friends, or its erf series, in
// float64, rounded to float32) exp, log, tanh and erf are within one unit in the last place, and
// sigmoid within two (1 / (1 + e^-x) adds the error of e^-x to its own two roundings); GELU and its
// derivative within eight (an exp, a quotient and a polynomial of eleven terms). An exact
// float32 emulation of each sequence agreed with these bounds on millions of random floats per
// range, over every binade for log.

import { type Code, ValType } from "./assembler.js";
import { constant } from "./constants.js";
import { estrin as estrinOf, exp, type ExpConstants, logEdges, type LogConstants, logReduce, powers as powersOf, polynomial as polynomialOf, sigmoid } from "./sequences.js";

const { v128 } = ValType;

const k = (f: Code, value: number): Code => constant(f, value, "f32");
const powers = (f: Code, x: number, count: number): number[] => powersOf(f, "f32", x, count);
const polynomial = (f: Code, p: readonly number[], c: readonly number[]): void => polynomialOf(f, "f32", p, c);
const estrin = (f: Code, p: readonly number[], count: number, push: (i: number) => void): void => estrinOf(f, "f32", p, count, push);

/**
 * Cephes expf's polynomial, clamps at e^-104 (rounds to 0) and e^89 (infinity), and ln 2 in two
 * parts, the first of 9 significant bits so that n ln2Hi is exact for |n| < 2^15.
 */
const EXP: ExpConstants = {
  low: -104, high: 89, rounder: 12582912, ln2Hi: 0.693359375, ln2Lo: -2.12194440e-4, bias: 127, mantissa: 23,
  p: [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1],
};
/** ln 2 in the same two parts, for log's e ln2. */
const LN2_HI = EXP.ln2Hi;
const LN2_LO = EXP.ln2Lo;
/** Cephes logf: log(1 + f) = f - f^2/2 + f^3 P(f) for m = 1 + f in [sqrt(1/2), sqrt(2)). */
const LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
/** log's reduction: subnormals (below 2^-126) are scaled up by 2^25 before their exponent is read. */
const LOG: LogConstants = {
  minNormal: 2 ** -126, scaleBits: 25, bias: 127, mantissaMask: new Float32Array(new Uint32Array([0x7fffff]).buffer)[0],
  exponentField: (f) => void f.i32Const(23).i32x4ShrU().f32x4ConvertI32x4S(),
};
/** Cephes tanhf: tanh x = x + x^3 P(x^2) below TANH_SMALL, 1 - 2 / (e^2|x| + 1) above. */
const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
const TANH_SMALL = 0.625;
/** tanh(10) rounds to 1 in float32; e^20 stays finite. */
const TANH_LIMIT = 10;

/**
 * erf: |x| + |x| P(x^2) below 1; 1 - e^(-x^2) Q(s) from 1 to ERF_LIMIT, where Q approximates
 * erfc(x) e^(x^2) on [1, 2] (s = 2 (x - 1.5)) and on [2, 4] (s = x - 3), each lane taking its
 * interval's coefficients. Minimax fits (scripts/fit-erf32.py), rounded to float32, highest power
 * first: P to 1.2e-9 absolute, Q to 2.2e-8 relative on [1, 2] and 2.5e-7 on [2, 4], where erfc
 * is below 0.005.
 */
const ERF_P = [7.889119297033176e-05, -0.0008020841050893068, 0.005189535208046436, -0.026854444295167923, 0.11283600330352783, -0.3761262595653534, 0.12837916612625122];
const ERF_Q_LOW = [-5.4212964641919825e-06, 3.127404488623142e-05, -0.00016070163110271096, 0.0008349483832716942, -0.004116362892091274, 0.019037986174225807, -0.08181146532297134, 0.32158541679382324];
const ERF_Q_HIGH = [-2.3449585569323972e-05, 9.466645133215934e-05, -0.0003227725101169199, 0.0012159493053331971, -0.004479601979255676, 0.015885796397924423, -0.05437226966023445, 0.1790011078119278];
/** erf(4) = 1 - 1.5e-8 rounds to 1 in float32, as erf does beyond it. */
const ERF_LIMIT = 4;

/**
 * GELU's erfc(a), a = |x| / sqrt 2, as e^(-x^2/2) R(t) with t = 1 / (1 + a / 2): R a minimax fit
 * of erfc(a) e^(a^2) over a in [0, 9.3] (scripts/fit-erf32.py, 4.5e-9 relative), highest power
 * first. One form on both sides of 0, so GELU's left tail, where 1 + erf(x / sqrt 2) cancels to
 * nothing in float32 (PyTorch's float32 gelu is 0 or off by 100% below about -5.5), keeps its bits.
 */
const GELU_R = [0.02981063723564148, -0.22168609499931335, 0.6701419353485107, -1.0088438987731934, 0.7226050496101379,
  -0.27516093850135803, 0.2947341501712799, 0.22085997462272644, 0.2857265770435333, 0.28180229663848877, 1.0304634088242892e-05];
/** The cubic term's coefficient in gelu's tanh form (PyTorch's and the GELU paper's). */
const GELU_TANH_CUBIC = 0.044715;
/** |x| is clamped here for GELU's erfc: e^(-x^2/2) is 0 in float32 well before. */
const GELU_CLAMP = 16;

/** e^x of the f32x4 on the stack (sequences.ts), e^88.8 reaching infinity and results below 2^-126 subnormal. */
export function exp32(f: Code): void {
  exp(f, "f32", EXP);
}

/**
 * log x of the f32x4 on the stack: x = 2^e m with m in [sqrt(1/2), sqrt(2)) read off the bits
 * (subnormals scaled up first), log m by its polynomial in f = m - 1, plus e ln2 in two parts.
 */
export function log32(f: Code): void {
  const x = f.local(v128);
  f.set(x);
  const { e, g } = logReduce(f, "f32", x, LOG);
  const p = powers(f, g, 4), z = p[1];
  // g + (g z P(g) + e LN2_LO - z / 2) + e LN2_HI, smallest terms first
  polynomial(f, p, LOG_P);
  f.get(g).f32x4Mul().get(z).f32x4Mul().get(e);
  k(f, LN2_LO).f32x4Mul().f32x4Add().get(z);
  k(f, 0.5).f32x4Mul().f32x4Sub().get(g).f32x4Add().get(e);
  k(f, LN2_HI).f32x4Mul().f32x4Add();
  logEdges(f, "f32", x);
}

/**
 * tanh of the f32x4 on the stack: |x| + |x|^3 P(x^2) near 0, else 1 - 2 / (e^2|x| + 1), with the
 * sign bit of x put back on (so tanh(-0) = -0, and NaN stays NaN).
 */
export function tanh32(f: Code): void {
  const x = f.local(v128), a = f.local(v128), z = f.local(v128);
  f.tee(x).f32x4Abs().set(a);
  f.get(a).get(a).f32x4Mul().set(z);
  polynomial(f, powers(f, z, 3), TANH_P);
  f.get(z).f32x4Mul().get(a).f32x4Mul().get(a).f32x4Add();
  k(f, 1);
  k(f, 2).get(a);
  k(f, TANH_LIMIT).f32x4Pmin();
  k(f, 2).f32x4Mul();
  exp32(f);
  k(f, 1).f32x4Add().f32x4Div().f32x4Sub();
  f.get(a);
  k(f, TANH_SMALL).f32x4Lt().v128Bitselect();
  f.get(x);
  k(f, -0).v128And().v128Or();
}

/** 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, of the f32x4 on the stack: e^-|x| never overflows. */
export function sigmoid32(f: Code): void {
  sigmoid(f, "f32", EXP);
}

/** erf of the f32x4 on the stack (see ERF_P), both forms computed and each lane taking its own, with the sign of x put back on. */
export function erf32(f: Code): void {
  const x = f.local(v128), a = f.local(v128), t = f.local(v128), s = f.local(v128), high = f.local(v128);
  const near = f.local(v128), out = f.local(v128);
  f.tee(x).f32x4Abs();
  k(f, ERF_LIMIT).f32x4Pmin().tee(a).get(a).f32x4Mul().set(t);
  polynomial(f, powers(f, t, 3), ERF_P);
  f.get(a).f32x4Mul().get(a).f32x4Add().tee(near).set(out);
  // from 1, for vectors with a lane there (half of GELU's, whose inputs are mostly below 1):
  // s and Q's coefficients by the lane's interval
  f.get(a);
  k(f, 1).f32x4Ge().v128AnyTrue().if();
  f.get(near).get(a);
  k(f, 2).f32x4Ge().set(high);
  f.get(a);
  k(f, 3);
  k(f, 1.5).get(high).v128Bitselect().f32x4Sub();
  k(f, 1);
  k(f, 2).get(high).v128Bitselect().f32x4Mul().set(s);
  k(f, 1).get(t).f32x4Neg();
  exp32(f);
  estrin(f, powers(f, s, 3), ERF_Q_LOW.length, (i) => {
    k(f, ERF_Q_HIGH[i]);
    k(f, ERF_Q_LOW[i]).get(high).v128Bitselect();
  });
  f.f32x4Mul().f32x4Sub();
  f.get(a);
  k(f, 1).f32x4Lt().v128Bitselect().set(out);
  f.end();
  f.get(out).get(x);
  k(f, -0).v128And().v128Or();
}

/**
 * Phi(x), the standard normal CDF, and e^(-x^2/2) of the f32x4 in local x, into locals phi and e:
 * with c = erfc(|x| / sqrt 2) = e^(-x^2/2) R(t) (GELU_R), Phi = 1 - c/2 for x >= 0 and c/2 below.
 * x^2 is split exactly into hi + lo (Veltkamp's halves of |x|), and e^(-x^2/2) taken as
 * e^(-hi/2) (1 - lo/2): one rounded x^2 would cost 2^-24 x^2 / 2 of relative error, 64 ulps at 16.
 */
function normalParts(f: Code, x: number, phi: number, e: number): void {
  const a = f.local(v128), t = f.local(v128), r = f.local(v128), split = f.local(v128), xh = f.local(v128), xl = f.local(v128);
  const hi = f.local(v128), lo = f.local(v128), h = f.local(v128);
  f.get(x).f32x4Abs();
  k(f, GELU_CLAMP).f32x4Pmin().set(a);
  k(f, 1);
  k(f, 1);
  f.get(a);
  k(f, Math.SQRT1_2 / 2).f32x4Mul().f32x4Add().f32x4Div().set(t);
  polynomial(f, powers(f, t, 4), GELU_R);
  f.set(r);
  k(f, 4097).get(a).f32x4Mul().tee(split).get(split).get(a).f32x4Sub().f32x4Sub().set(xh);
  f.get(a).get(xh).f32x4Sub().set(xl);
  f.get(a).get(a).f32x4Mul().set(hi);
  // lo = ((xh^2 - hi) + 2 xh xl) + xl^2
  f.get(xh).get(xh).f32x4Mul().get(hi).f32x4Sub();
  k(f, 2).get(xh).f32x4Mul().get(xl).f32x4Mul().f32x4Add();
  f.get(xl).get(xl).f32x4Mul().f32x4Add().set(lo);
  k(f, -0.5).get(hi).f32x4Mul();
  exp32(f);
  k(f, 1).get(lo);
  k(f, 0.5).f32x4Mul().f32x4Sub().f32x4Mul().tee(e);
  f.get(r).f32x4Mul();
  k(f, 0.5).f32x4Mul().set(h);
  k(f, 1).get(h).f32x4Sub().get(h).get(x);
  k(f, 0).f32x4Ge().v128Bitselect().set(phi);
}

/** gelu(x) = x Phi(x) of the f32x4 on the stack (normalParts): within 8 ulps of x Phi(x). */
export function gelu32(f: Code): void {
  const x = f.local(v128), phi = f.local(v128), e = f.local(v128);
  f.set(x);
  normalParts(f, x, phi, e);
  f.get(x).get(phi).f32x4Mul();
}

/** gelu'(x) = Phi(x) + x phi(x) of the f32x4 on the stack, phi the normal density e^(-x^2/2) / sqrt(2 pi). */
export function geluDerivative32(f: Code): void {
  const x = f.local(v128), phi = f.local(v128), e = f.local(v128);
  f.set(x);
  normalParts(f, x, phi, e);
  f.get(phi).get(x).get(e).f32x4Mul();
  k(f, 1 / Math.sqrt(2 * Math.PI)).f32x4Mul().f32x4Add();
}

/**
 * gelu's tanh form, x (1 + tanh u) / 2 with u = sqrt(2 / pi) (x + 0.044715 x^3), of the f32x4 on
 * the stack, as x sigmoid(2u): the same function, with no cancellation where tanh u nears -1
 * (PyTorch's float32 formula is 0 below about -5.5 there). Its error is a few ulps plus what u's
 * rounding costs through sigmoid, about (1 - sigmoid(2u)) |2u| ulps: the function's own condition.
 */
export function geluTanh32(f: Code): void {
  const x = f.local(v128);
  f.tee(x).get(x).f32x4Mul().get(x).f32x4Mul();
  k(f, GELU_TANH_CUBIC).f32x4Mul().get(x).f32x4Add();
  k(f, 2 * Math.sqrt(2 / Math.PI)).f32x4Mul();
  sigmoid32(f);
  f.get(x).f32x4Mul();
}
