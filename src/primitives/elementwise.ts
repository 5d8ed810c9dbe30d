/**
 * Elementwise primitives. Binary primitives take operands of one shape and dtype: the public
 * ops broadcast (expand, a view) and promote (cast) first, so these rules never unbroadcast.
 */
import type { BinaryOp, UnaryOp } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { type DType, isFloat } from "../core/dtype.js";
import { contiguousStrides } from "../core/shape.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { alignBatched } from "./batching.js";
import { produceWritten, scalar, strided, view } from "./kernel.js";
import * as lax from "./lax.js";
import { sample, sampleIndex } from "./samples.js";

/** A concrete constant broadcast to x's (logical) shape and dtype: a stride-0 view. */
export function constLike(x: Tensor, value: number, dtype: DType = x.dtype): Tensor {
  return lax.expand(scalar(value, dtype), x.shape);
}

// ---- unary ----

/**
 * `tangent(t, x, y)` maps an input tangent to the output tangent. The Jacobian of an elementwise
 * op is diagonal, so the same map sends an output cotangent to the input cotangent.
 */
function unary(op: UnaryOp, tangent: ((t: Tensor, x: Tensor, y: Tensor) => Tensor) | "nonDifferentiable", domain: [number, number] = [-2, 2]): Primitive<null> {
  const prim: Primitive<null> = definePrimitive<null>({
    name: op,
    impl: ([x]) => produceWritten(x.shape, x.dtype, (out) => backend().unary(op, strided(x), out)),
    jvp: tangent === "nonDifferentiable" ? tangent : ([x], [t], _p, y) => (t ? tangent(t, x, y) : null),
    vjp: tangent === "nonDifferentiable" ? tangent : (g, [x], _p, y) => [tangent(g, x, y)],
    batch: ([x], [d]) => [bind(prim, [x], null), d],
    samples: () => [{ args: [sample([3, 4], ...domain)], params: null }, { args: [sample([], ...domain)], params: null }],
  });
  return prim;
}

export const negP = unary("neg", (t) => lax.neg(t));
export const absP = unary("abs", (t, x) => lax.mul(t, lax.sign(x)));
export const signP = unary("sign", "nonDifferentiable");
// piecewise constant: zero derivative wherever one exists, as PyTorch's are zero everywhere
export const floorP = unary("floor", "nonDifferentiable");
export const ceilP = unary("ceil", "nonDifferentiable");
export const roundP = unary("round", "nonDifferentiable");
export const truncP = unary("trunc", "nonDifferentiable");
export const expP = unary("exp", (t, _x, y) => lax.mul(t, y));
export const logP = unary("log", (t, x) => lax.div(t, x), [0.2, 3]);
export const log1pP = unary("log1p", (t, x) => lax.div(t, lax.add(x, constLike(x, 1))), [-0.5, 3]);
export const squareP = unary("square", (t, x) => lax.mul(t, lax.mul(x, constLike(x, 2))));
export const sqrtP = unary("sqrt", (t, _x, y) => lax.div(t, lax.mul(y, constLike(y, 2))), [0.2, 3]);
export const sinP = unary("sin", (t, x) => lax.mul(t, lax.cos(x)));
export const cosP = unary("cos", (t, x) => lax.neg(lax.mul(t, lax.sin(x))));
// d tanh = 1 - y^2, d sigmoid = y (1 - y): both from the output, as PyTorch saves it, in one pass
export const tanhP = unary("tanh", (t, _x, y) => lax.tanhBackward(t, y));
export const sigmoidP = unary("sigmoid", (t, _x, y) => lax.sigmoidBackward(t, y));
export const erfP = unary("erf", (t, x) => lax.mul(t, lax.mul(constLike(x, 2 / Math.sqrt(Math.PI)), lax.exp(lax.neg(lax.mul(x, x))))));
export const reluP = unary("relu", (t, x) => lax.reluBackward(t, x));
// exact GELU in one pass, and its derivative Phi(x) + x phi(x), times the tangent, in another; gelu'' = phi(x) (2 - x^2)
export const geluP = unary("gelu", (t, x) => lax.geluBackward(t, x), [-3, 3]);
// gelu's tanh form x s, s = sigmoid(z), z = 2c (x + k x^3): its derivative s + x s (1 - s) z'
export const geluTanhP = unary("geluTanh", (t, x) => {
  const c = 2 * Math.sqrt(2 / Math.PI), k = 0.044715, x2 = lax.mul(x, x);
  const s = lax.sigmoid(lax.mul(constLike(x, c), lax.add(x, lax.mul(constLike(x, k), lax.mul(x2, x)))));
  const dz = lax.mul(constLike(x, c), lax.add(constLike(x, 1), lax.mul(constLike(x, 3 * k), x2)));
  return lax.mul(t, lax.add(s, lax.mul(lax.mul(x, lax.mul(s, lax.sub(constLike(s, 1), s))), dz)));
}, [-3, 3]);
/** gelu''(x) = phi(x) (2 - x^2), phi the normal density. */
function geluSecond(x: Tensor): Tensor {
  const density = lax.mul(lax.exp(lax.mul(lax.mul(x, x), constLike(x, -0.5))), constLike(x, 1 / Math.sqrt(2 * Math.PI)));
  return lax.mul(density, lax.sub(constLike(x, 2), lax.mul(x, x)));
}
export const geluDerivativeP = unary("geluDerivative", (t, x) => lax.mul(t, geluSecond(x)), [-3, 3]);

// ---- binary ----

type BinaryRules = {
  jvp: ((a: Tensor, b: Tensor, ta: Tensor | null, tb: Tensor | null, y: Tensor) => Tensor | null) | "nonDifferentiable";
  /** `needA`/`needB`: whether that input's cotangent is wanted (skip the work when not). */
  vjp: ((g: Tensor, a: Tensor, b: Tensor, y: Tensor, needA: boolean, needB: boolean) => (Tensor | null)[]) | "nonDifferentiable";
};

function binary(op: BinaryOp, rules: BinaryRules, domain: [number, number] = [-2, 2]): Primitive<null> {
  const compare = rules.jvp === "nonDifferentiable";
  const { jvp, vjp } = rules;
  const prim: Primitive<null> = definePrimitive<null>({
    name: op,
    impl: ([a, b]) => produceWritten(a.shape, compare ? "bool" : a.dtype, (out) => backend().binary(op, strided(a), strided(b), out)),
    jvp: jvp === "nonDifferentiable" ? jvp : ([a, b], [ta, tb], _p, y) => jvp(a, b, ta, tb, y),
    vjp: vjp === "nonDifferentiable" ? vjp : (g, [a, b], _p, y, needed) => vjp(g, a, b, y, needed[0] ?? true, needed[1] ?? true),
    batch: (args, dims, _p, ctx) => {
      const [[a, b], d] = alignBatched(args, dims, ctx.axisSize);
      return [bind(prim, [a, b], null), d];
    },
    samples: () => [
      { args: [sample([2, 3], ...domain), sample([2, 3], ...domain)], params: null },
      { args: [sample([], ...domain), sample([], ...domain)], params: null },
    ],
  });
  return prim;
}

export const addP = binary("add", {
  jvp: (_a, _b, ta, tb) => lax.addTerms(ta, tb),
  vjp: (g) => [g, g],
});
export const subP = binary("sub", {
  jvp: (_a, _b, ta, tb) => lax.addTerms(ta, tb && lax.neg(tb)),
  // (the negation is a pass over g: skipped where b wants no cotangent, as softmax's max does not)
  vjp: (g, _a, _b, _y, needA, needB) => [needA ? g : null, needB ? lax.neg(g) : null],
});
export const mulP = binary("mul", {
  jvp: (a, b, ta, tb) => lax.addTerms(ta && lax.mul(ta, b), tb && lax.mul(a, tb)),
  vjp: (g, a, b, _y, needA, needB) => [needA ? lax.mul(g, b) : null, needB ? lax.mul(g, a) : null],
});
export const divP = binary("div", {
  jvp: (_a, b, ta, tb, y) => lax.addTerms(ta && lax.div(ta, b), tb && lax.neg(lax.div(lax.mul(tb, y), b))),
  vjp: (g, _a, b, y, needA, needB) => {
    const ga = lax.div(g, b);
    return [needA ? ga : null, needB ? lax.neg(lax.mul(ga, y)) : null];
  },
}, [0.5, 2]);

/** d(a^b)/da = b a^(b-1), taken as 0 where b = 0 (PyTorch's convention; at a = 0 it would be 0 * inf). */
function powDa(a: Tensor, b: Tensor): Tensor {
  const zero = constLike(b, 0);
  return lax.where(lax.eq(b, zero), zero, lax.mul(b, lax.pow(a, lax.sub(b, constLike(b, 1)))));
}
/** d(a^b)/db = a^b log a, taken as 0 where a = 0 (PyTorch's convention). */
function powDb(a: Tensor, y: Tensor): Tensor {
  const zero = constLike(a, 0);
  const isZero = lax.eq(a, zero);
  return lax.where(isZero, zero, lax.mul(y, lax.log(lax.where(isZero, constLike(a, 1), a))));
}
export const powP = binary("pow", {
  jvp: (a, b, ta, tb, y) => lax.addTerms(ta && lax.mul(ta, powDa(a, b)), tb && lax.mul(tb, powDb(a, y))),
  vjp: (g, a, b, y, needA, needB) => [needA ? lax.mul(g, powDa(a, b)) : null, needB ? lax.mul(g, powDb(a, y)) : null],
}, [0.5, 2]);

/** Share of the gradient that goes to `a` in maximum/minimum: 1 where a wins, 1/2 on ties. */
function winnerShare(a: Tensor, b: Tensor, wins: Tensor): Tensor {
  const half = lax.mul(lax.cast(lax.eq(a, b), a.dtype), constLike(a, 0.5));
  return lax.add(lax.cast(wins, a.dtype), half);
}
function selectBinary(op: "maximum" | "minimum"): Primitive<null> {
  const share = (a: Tensor, b: Tensor) => winnerShare(a, b, op === "maximum" ? lax.gt(a, b) : lax.lt(a, b));
  return binary(op, {
    jvp: (a, b, ta, tb) => {
      const s = share(a, b);
      return lax.addTerms(ta && lax.mul(ta, s), tb && lax.mul(tb, lax.sub(constLike(s, 1), s)));
    },
    vjp: (g, a, b, _y, needA, needB) => {
      const s = share(a, b);
      return [needA ? lax.mul(g, s) : null, needB ? lax.mul(g, lax.sub(constLike(s, 1), s)) : null];
    },
  });
}
export const maximumP = selectBinary("maximum");
export const minimumP = selectBinary("minimum");

/** reluBackward(a, b) = a where b > 0, else 0: linear in a, and flat in b (a step). */
export const reluBackwardP = binary("reluBackward", {
  jvp: (_a, b, ta) => ta && lax.reluBackward(ta, b),
  vjp: (g, _a, b, _y, needA) => [needA ? lax.reluBackward(g, b) : null, null],
});

/**
 * op(a, v) = a f'(v), a derivative applied to a tangent or cotangent a in one pass (PyTorch's
 * *_backward ops): tanhBackward a (1 - y^2) and sigmoidBackward a y (1 - y) at the output y,
 * geluBackward a gelu'(x) at the input x. Linear in a; `dv(a, v)` is its derivative in v:
 * -2 a y, a (1 - 2 y), a gelu''(x).
 */
function derivativeOp(op: "tanhBackward" | "sigmoidBackward" | "geluBackward", dv: (a: Tensor, v: Tensor) => Tensor, domain: [number, number]): Primitive<null> {
  const again = (a: Tensor, v: Tensor): Tensor => bind(prim, [a, v], null);
  const prim = binary(op, {
    jvp: (a, v, ta, tv) => lax.addTerms(ta && again(ta, v), tv && lax.mul(tv, dv(a, v))),
    vjp: (g, a, v, _out, needA, needV) => [needA ? again(g, v) : null, needV ? lax.mul(g, dv(a, v)) : null],
  }, domain);
  return prim;
}
export const tanhBackwardP = derivativeOp("tanhBackward", (a, y) => lax.mul(a, lax.mul(y, constLike(y, -2))), [-0.9, 0.9]);
export const sigmoidBackwardP = derivativeOp("sigmoidBackward", (a, y) => lax.mul(a, lax.sub(constLike(y, 1), lax.mul(y, constLike(y, 2)))), [-0.9, 0.9]);
export const geluBackwardP = derivativeOp("geluBackward", (a, x) => lax.mul(a, geluSecond(x)), [-3, 3]);

const comparison = { jvp: "nonDifferentiable", vjp: "nonDifferentiable" } as const;
export const eqP = binary("eq", comparison);
export const neP = binary("ne", comparison);
export const ltP = binary("lt", comparison);
export const leP = binary("le", comparison);
export const gtP = binary("gt", comparison);
export const geP = binary("ge", comparison);

// ---- where, cast ----

export const whereP: Primitive<null> = definePrimitive<null>({
  name: "where",
  impl: ([c, a, b]) => produceWritten(a.shape, a.dtype, (out) => backend().where(strided(c), strided(a), strided(b), out)),
  jvp: ([c, a], [, ta, tb]) => {
    if (!ta && !tb) return null;
    const zero = constLike(a, 0);
    return lax.where(c, ta ?? zero, tb ?? zero);
  },
  vjp: (g, [c], _p, _y, needed) => {
    const zero = constLike(g, 0);
    return [null, needed[1] ? lax.where(c, g, zero) : null, needed[2] ? lax.where(c, zero, g) : null];
  },
  batch: (args, dims, _p, ctx) => {
    const [aligned, d] = alignBatched(args, dims, ctx.axisSize);
    return [bind(whereP, aligned, null), d];
  },
  samples: () => [
    { args: [lax.gt(sample([2, 3]), sample([2, 3])), sample([2, 3]), sample([2, 3])], params: null },
    { args: [lax.gt(sample([]), sample([])), sample([]), sample([])], params: null },
  ],
});

/**
 * The parts of clamp's derivative, as PyTorch's: a tangent or cotangent v kept where the result
 * follows that operand, else 0. x: lo <= x <= hi (so x keeps it at a bound, where maximum and
 * minimum would split it); lo: x < lo < hi; hi: x > hi, or hi < lo (then hi is the result).
 * Disjoint, and zero everywhere for a NaN x.
 */
function clampParts(x: Tensor, lo: Tensor, hi: Tensor): ((v: Tensor) => Tensor)[] {
  const zero = constLike(x, 0);
  return [
    (v) => lax.where(lax.ge(x, lo), lax.where(lax.le(x, hi), v, zero), zero),
    (v) => lax.where(lax.lt(x, lo), lax.where(lax.lt(lo, hi), v, zero), zero),
    (v) => lax.where(lax.gt(x, hi), v, lax.where(lax.lt(hi, lo), v, zero)),
  ];
}

/**
 * clamp(x, lo, hi) of operands of one shape and dtype (the backend's clamp): lo where x < lo, then
 * hi where that is above hi, NaN where a bound is NaN; the derivative follows the operand taken.
 */
export const clampP: Primitive<null> = definePrimitive<null>({
  name: "clamp",
  impl: ([x, lo, hi]) => produceWritten(x.shape, x.dtype, (out) => backend().clamp(strided(x), strided(lo), strided(hi), out)),
  jvp: ([x, lo, hi], tangents) => {
    const parts = clampParts(x, lo, hi);
    return lax.addTerms(...tangents.map((t, i) => t && parts[i](t)));
  },
  vjp: (g, [x, lo, hi], _p, _y, needed) => clampParts(x, lo, hi).map((part, i) => (needed[i] ? part(g) : null)),
  batch: (args, dims, _p, ctx) => {
    const [aligned, d] = alignBatched(args, dims, ctx.axisSize);
    return [bind(clampP, aligned, null), d];
  },
  samples: () => [
    { args: [sample([2, 3], -2, 2), sample([2, 3], -1.5, -0.5), sample([2, 3], 0.5, 1.5)], params: null },
    // lo above hi: everything is hi
    { args: [sample([4], -2, 2), sample([4], 0.5, 1), sample([4], -1, -0.5)], params: null },
    { args: [sample([], -2, 2), sample([], -1, 0), sample([], 0, 1)], params: null },
  ],
});

export const castP: Primitive<{ dtype: DType }> = definePrimitive<{ dtype: DType }>({
  name: "cast",
  impl: ([x], { dtype }) => produceWritten(x.shape, dtype, (out) => backend().copy(strided(x), { data: out, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 })),
  jvp: (_x, [t], { dtype }) => (t && isFloat(dtype) ? lax.cast(t, dtype) : null),
  vjp: (g, [x]) => [isFloat(x.dtype) ? lax.cast(g, x.dtype) : null],
  batch: ([x], [d], params) => [bind(castP, [x], params), d],
  samples: () => [
    { args: [sample([2, 3])], params: { dtype: "float32" } },
    { args: [sample([2, 3], -5, 5)], params: { dtype: "int32" } },
    { args: [sampleIndex([2, 3], 5)], params: { dtype: "float64" } },
    { args: [sampleIndex([4], 2)], params: { dtype: "bool" } },
  ],
});

/** Identity whose derivative is zero: detach() and the constant shifts of stable composites. */
export const stopGradientP: Primitive<null> = definePrimitive<null>({
  name: "stopGradient",
  impl: ([x]) => view(x, x.shape, x.strides, x.offset),
  jvp: "nonDifferentiable",
  vjp: "nonDifferentiable",
  batch: ([x], [d]) => [bind(stopGradientP, [x], null), d],
  samples: () => [{ args: [sample([2, 3])], params: null }],
});
