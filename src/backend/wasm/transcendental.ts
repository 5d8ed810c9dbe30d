// The transcendental ops of the float32 unary and binary kernels. exp, tanh, sigmoid, log, erf,
// gelu, gelu's derivative and its tanh form run float32 sequences on four lanes (transcendental32.ts), and exp,
// log and sigmoid of float64 run float64 ones (transcendental64.ts). log1p, sin, cos and pow widen each float32 lane to float64 and compute
// there to 1e-10 relative error or better, so the float32 result is the correctly rounded value
// except within 1e-10 of a rounding boundary: it matches the js backend (Math.log1p and friends,
// rounded to float32) to within one unit in the last place. Widening also removes the float32
// edge cases: no overflow inside the formulas, and results that underflow to subnormal float32
// round correctly. sin and cos of huge arguments call the host's Math.sin and Math.cos
// (HOST_FUNCTIONS), whose argument reduction is exact.

import { Code, ValType } from "./assembler.js";
import { constant, constantsOf, hoist } from "./constants.js";
import { logEdges, type Width } from "./sequences.js";
import { erf32, exp32, gelu32, geluDerivative32, geluTanh32, log32, sigmoid32, tanh32 } from "./transcendental32.js";
import { expF64, logF64, sigmoidF64 } from "./transcendental64.js";
import type { ElementOp } from "./kernels.js";

const { v128 } = ValType;

/** 1.5 * 2^52: adding it rounds a float64 of magnitude below 2^51 to an integer, kept in the low bits. */
const ROUNDER = 6755399441055744;
/** Clamp for exp's argument: e^±200 is far outside float32 and far inside float64. */
const EXP_LIMIT = 200;
/** Taylor coefficients 1/k! for k = 0 to 10; |r| <= ln(2)/2 leaves under 1e-13 error. */
const EXP_TAYLOR = Array.from({ length: 11 }, (_, k) => 1 / factorial(k));
/** ln 2 in two parts: LN2_HI has trailing zero bits, so n * LN2_HI is exact. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
/** The float64 whose bits are the 52 mantissa bits (a subnormal), as a mask. */
const MANTISSA_BITS = new Float64Array(new BigUint64Array([0xfffffffffffffn]).buffer)[0];
/** 2/13, 2/11, ..., 2/3, 2: log m = s (2 + 2/3 s^2 + ...); s^15 / 15 < 3e-13 is left out. */
const LOG_SERIES = [13, 11, 9, 7, 5, 3, 1].map((d) => 2 / d);

/**
 * Below this |x|, n = round(x / (pi/2)) is under 2^20, so n times PIO2_1 and PIO2_2 (33 significant
 * bits each) is exact and x - n pi/2 keeps 1e-10 relative accuracy even next to a multiple of pi/2.
 */
const TRIG_LIMIT = 2 ** 20;
/** pi/2 as the sum of its leading 33 bits, the next 33 and the next 53 (as in fdlibm). */
export const PIO2_1 = 1.5707963267341256;
export const PIO2_2 = 6.077100506303966e-11;
export const PIO2_3 = 2.0222662487959506e-21;
/** (-1)^j / (2j+1)! and (-1)^j / (2j)! for j <= 6: sin r / r and cos r in z = r^2, |r| <= pi/4, to 6e-13. */
const SIN_TAYLOR = Array.from({ length: 7 }, (_, j) => (-1) ** j / factorial(2 * j + 1));
const COS_TAYLOR = Array.from({ length: 7 }, (_, j) => (-1) ** j / factorial(2 * j));

/** What the kernel module imports from the host: float64 functions (`Code.callHost`). */
export const HOST_FUNCTIONS = { sin: Math.sin, cos: Math.cos };

function factorial(k: number): number {
  return k <= 1 ? 1 : k * factorial(k - 1);
}

/**
 * e^x of the float64x2 on the stack: x = n ln2 + r with n an integer, e^r by its Taylor
 * polynomial, and 2^n added into the exponent bits.
 */
function exp64(f: Code): void {
  const k = (v: number) => constant(f, v);
  const x = f.local(v128), t = f.local(v128), n = f.local(v128), r = f.local(v128), r2 = f.local(v128), r4 = f.local(v128);
  k(-EXP_LIMIT).f64x2Max();
  k(EXP_LIMIT).f64x2Min().set(x);
  k(Math.LOG2E).get(x).f64x2Mul();
  k(ROUNDER).f64x2Add().set(t);
  f.get(t);
  k(ROUNDER).f64x2Sub().set(n);
  // ln 2 in two parts, so n * LN2_HI is exact for the n that occur
  f.get(x).get(n);
  k(LN2_HI).f64x2Mul().f64x2Sub().get(n);
  k(LN2_LO).f64x2Mul().f64x2Sub().set(r);
  // the polynomial by Estrin's scheme: short dependency chains, which Horner's rule would not give
  f.get(r).get(r).f64x2Mul().tee(r2).get(r2).f64x2Mul().set(r4);
  const c = EXP_TAYLOR;
  const pair = (i: number): void => { // c[i] + c[i+1] r
    f.get(r);
    k(c[i + 1]).f64x2Mul();
    k(c[i]).f64x2Add();
  };
  const quad = (i: number): void => { // c[i] + ... + c[i+3] r^3
    pair(i);
    f.get(r2);
    pair(i + 2);
    f.f64x2Mul().f64x2Add();
  };
  quad(0);
  quad(4);
  f.get(r4).f64x2Mul().f64x2Add();
  pair(8);
  f.get(r2);
  k(c[10]).f64x2Mul().f64x2Add();
  f.get(r4).get(r4).f64x2Mul().f64x2Mul().f64x2Add();
  // n sits in the low bits of t's integer form: shift it into the exponent field
  f.get(t);
  k(ROUNDER).i64x2Sub().i32Const(52).i64x2Shl().i64x2Add();
}

/**
 * log x of the float64x2 on the stack: x = 2^e m with m in [sqrt(1/2), sqrt(2)), read off the
 * bits, and log m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.172, by its odd series.
 */
function log64(f: Code): void {
  const k = (v: number) => constant(f, v);
  const x = f.local(v128), m = f.local(v128), e = f.local(v128), high = f.local(v128), s = f.local(v128), z = f.local(v128);
  f.set(x);
  // m: x's mantissa under the exponent of 1, in [1, 2)
  f.get(x);
  k(MANTISSA_BITS).v128And();
  k(1).v128Or().set(m);
  // e: x's biased exponent turned into a float64 by adding it to the rounder's bits
  f.get(x).i32Const(52).i64x2ShrU();
  k(ROUNDER).i64x2Add();
  k(ROUNDER).f64x2Sub();
  k(1023).f64x2Sub().set(e);
  // above sqrt(2), halve m and add 1 to e
  f.get(m);
  k(Math.SQRT2).f64x2Gt().set(high);
  f.get(m);
  k(0.5).f64x2Mul().get(m).get(high).v128Bitselect().set(m);
  f.get(e).get(high);
  k(1).v128And().f64x2Add().set(e);
  f.get(m);
  k(1).f64x2Sub().get(m);
  k(1).f64x2Add().f64x2Div().tee(s).get(s).f64x2Mul().set(z);
  k(LOG_SERIES[0]);
  for (const c of LOG_SERIES.slice(1)) {
    f.get(z).f64x2Mul();
    k(c).f64x2Add();
  }
  f.get(s).f64x2Mul().get(e);
  k(LN2_LO).f64x2Mul().f64x2Add().get(e);
  k(LN2_HI).f64x2Mul().f64x2Add();
  logEdges(f, "f64", x);
}

/**
 * log(1 + x) of the float64x2 on the stack as log(u) x / (u - 1) with u = 1 + x rounded: the
 * quotient makes up for the rounding of u (u - 1 is exact), so small x keep full precision.
 */
function log1p64(f: Code): void {
  const k = (v: number) => constant(f, v);
  const x = f.local(v128), u = f.local(v128), l = f.local(v128);
  f.set(x);
  k(1).get(x).f64x2Add().tee(u);
  log64(f);
  f.get(x).f64x2Mul().get(u);
  k(1).f64x2Sub().f64x2Div().set(l);
  // x itself where u rounded to 1 (0/0 above) and at +inf (inf/inf)
  f.get(x).get(l).get(u);
  k(1).f64x2Eq().get(x);
  k(Infinity).f64x2Eq().v128Or().v128Bitselect();
}

/**
 * sin x (quarter 0) or cos x = sin(x + pi/2) (quarter 1) of the float64x2 on the stack: x = n pi/2
 * + r with |r| <= pi/4, both sin r and cos r by their Taylor polynomials, and the quadrant
 * n + quarter mod 4 picks one and its sign. Lanes beyond TRIG_LIMIT call the host's function.
 */
function trig64(f: Code, quarter: 0 | 1): void {
  const k = (v: number) => constant(f, v);
  const x = f.local(v128), t = f.local(v128), n = f.local(v128), r = f.local(v128), z = f.local(v128);
  const sinR = f.local(v128), result = f.local(v128);
  f.set(x);
  f.get(x);
  k(2 / Math.PI).f64x2Mul();
  k(ROUNDER).f64x2Add().tee(t);
  k(ROUNDER).f64x2Sub().set(n);
  // r = x - n pi/2: the first product is exact and its difference too (Sterbenz)
  f.get(x).get(n);
  k(PIO2_1).f64x2Mul().f64x2Sub().get(n);
  k(PIO2_2).f64x2Mul().f64x2Sub().get(n);
  k(PIO2_3).f64x2Mul().f64x2Sub().tee(r).get(r).f64x2Mul().set(z);
  const polynomial = (c: number[]): void => { // sum of c[j] z^j by Horner's rule
    k(c[c.length - 1]);
    for (const cj of c.slice(0, -1).reverse()) {
      f.get(z).f64x2Mul();
      k(cj).f64x2Add();
    }
  };
  // r times the series rather than r plus r z (...), so sin(-0) stays -0
  polynomial(SIN_TAYLOR);
  f.get(r).f64x2Mul().set(sinR);
  // the quadrant sits in the low bits of t's integer form (t + 1 is exact: t's ulp is 1)
  f.get(t);
  if (quarter) k(1).f64x2Add();
  f.set(t);
  // an odd quadrant takes cos r: bit 0 of the quadrant spread over the lane
  polynomial(COS_TAYLOR);
  f.get(sinR).get(t).i32Const(63).i64x2Shl().i32Const(63).i64x2ShrS().v128Bitselect();
  // quadrants 2 and 3 flip the sign: bit 1 of the quadrant moved to the sign bit
  f.get(t).i32Const(62).i64x2Shl();
  k(-0).v128And().v128Xor().set(result);
  const host = quarter ? "cos" : "sin";
  f.get(x).f64x2Abs();
  k(TRIG_LIMIT).f64x2Gt().v128AnyTrue().if();
  f.get(x).f64x2ExtractLane(0).callHost(host, 1).f64x2Splat();
  f.get(x).f64x2ExtractLane(1).callHost(host, 1).f64x2ReplaceLane(1).set(result);
  f.end();
  f.get(result);
}

/**
 * x^y of the float64x2s x and y on the stack (y on top), as C's pow defines it: e^(y log|x|),
 * negated where x's sign bit is set and y is an odd integer, NaN where x is finite and negative and
 * y no integer, 1 wherever y is ±0 (even for a NaN x), where x is 1 (even for a NaN y) and for
 * (-1)^±inf (Math.pow gives NaN for those last two). The other edge cases fall out of the
 * formula: 0^-1 = inf, inf^-1 = 0, and infinities count as even integers, so (-2)^inf = inf and
 * (-inf)^0.5 = inf. Float32 operands keep y log|x| within float64's range,
 * and its error (below 1e-11 absolute for any result inside float32) stays below float32's ulp.
 */
function pow64(f: Code): void {
  const k = (v: number) => constant(f, v);
  const x = f.local(v128), y = f.local(v128), r = f.local(v128), isInt = f.local(v128), half = f.local(v128);
  f.set(y).set(x);
  f.get(x).f64x2Abs();
  log64(f);
  f.get(y).f64x2Mul();
  exp64(f);
  f.set(r);
  f.get(y).f64x2Floor().get(y).f64x2Eq().set(isInt);
  // NaN where x is finite and negative and y no integer
  k(NaN).get(r).get(x);
  k(0).f64x2Lt().get(x);
  k(-Infinity).f64x2Gt().v128And().get(isInt).v128AndNot().v128Bitselect();
  // x's sign bit where y is an odd integer (y / 2 is exact and no integer)
  f.get(x);
  k(-0).v128And().get(y);
  k(0.5).f64x2Mul().tee(half).f64x2Floor().get(half).f64x2Ne().v128And().get(isInt).v128And().v128Xor().set(r);
  // 1 where x = 1, or x = -1 and y = ±inf
  k(1).get(r).get(x);
  k(1).f64x2Eq().get(x).f64x2Abs();
  k(1).f64x2Eq().get(y).f64x2Abs();
  k(Infinity).f64x2Eq().v128And().v128Or().v128Bitselect().set(r);
  k(1).get(r).get(y);
  k(0).f64x2Eq().v128Bitselect();
}

/**
 * Lifts a float64x2 sequence of `arity` operands to the f32x4s on the stack: each half of every
 * operand widened, computed, narrowed.
 */
function widened(body: (f: Code) => void, arity: 1 | 2 = 1): ElementOp {
  const constants = constantsOf(body);
  const vec = (f: Code): void => {
    const args = Array.from({ length: arity }, () => f.local(v128));
    for (const a of [...args].reverse()) f.set(a);
    const half = (high: boolean): void => {
      for (const a of args) {
        f.get(a);
        if (high) f.get(a).i32x4Shuffle([2, 3, 2, 3]);
        f.f64x2PromoteLowF32x4();
      }
      body(f);
      f.f32x4DemoteF64x2Zero();
    };
    const lo = f.local(v128);
    half(false);
    f.set(lo);
    half(true);
    const hi = f.local(v128);
    f.set(hi).get(lo).get(hi).i32x4Shuffle([0, 1, 4, 5]);
  };
  // lone floats (a tail, a strided element) go through lane 0 of the same code
  const scalar = (f: Code): void => {
    const args = Array.from({ length: arity }, () => f.local(ValType.f32));
    for (const a of [...args].reverse()) f.set(a);
    for (const a of args) f.get(a).f32x4Splat();
    vec(f);
    f.f32x4ExtractLane(0);
  };
  // a long body: unrolling would only multiply the code
  return { vec, scalar, prologue: (f) => hoist(f, constants), unroll: 1 };
}

/**
 * A sequence on the vector on the stack, in float32 (transcendental32.ts) or float64
 * (transcendental64.ts) lanes: lone elements go through lane 0.
 */
function native(body: (f: Code) => void, width: Width = "f32"): ElementOp {
  const constants = constantsOf(body);
  const scalar = (f: Code): void => {
    if (width === "f32") f.f32x4Splat();
    else f.f64x2Splat();
    body(f);
    if (width === "f32") f.f32x4ExtractLane(0);
    else f.f64x2ExtractLane(0);
  };
  // a long body: unrolling would only multiply the code
  return { vec: body, scalar, prologue: (f) => hoist(f, constants), unroll: 1 };
}

export const TRANSCENDENTAL_OPS = {
  exp: native(exp32),
  tanh: native(tanh32),
  sigmoid: native(sigmoid32),
  log: native(log32),
  log1p: widened(log1p64),
  erf: native(erf32),
  gelu: native(gelu32),
  geluDerivative: native(geluDerivative32),
  geluTanh: native(geluTanh32),
  sin: widened((f) => trig64(f, 0)),
  cos: widened((f) => trig64(f, 1)),
} satisfies Record<string, ElementOp>;

/** The transcendental ops with float64 sequences too (exp and log within one ulp of Math's, sigmoid two of the js backend's). */
export const FLOAT64_TRANSCENDENTAL_OPS = {
  exp: { ...TRANSCENDENTAL_OPS.exp, float64: native(expF64, "f64") },
  log: { ...TRANSCENDENTAL_OPS.log, float64: native(logF64, "f64") },
  sigmoid: { ...TRANSCENDENTAL_OPS.sigmoid, float64: native(sigmoidF64, "f64") },
} satisfies Record<string, ElementOp>;

/**
 * a times a sequence of b, for the two f32x4s on the stack (a under b): a derivative applied to a
 * cotangent in one pass, rounded as the unary op and the multiply it fuses.
 */
function timesOf(body: (f: Code) => void): ElementOp {
  const constants = constantsOf(body);
  const vec = (f: Code): void => {
    body(f);
    f.f32x4Mul();
  };
  // lone floats go through lane 0 of the same code
  const scalar = (f: Code): void => {
    const b = f.local(ValType.f32);
    f.set(b).f32x4Splat().get(b).f32x4Splat();
    vec(f);
    f.f32x4ExtractLane(0);
  };
  return { vec, scalar, prologue: (f) => hoist(f, constants), unroll: 1 };
}

export const TRANSCENDENTAL_BINARY_OPS = {
  pow: widened(pow64, 2),
  geluBackward: timesOf(geluDerivative32),
} satisfies Record<string, ElementOp>;
