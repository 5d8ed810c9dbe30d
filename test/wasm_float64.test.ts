// The wasm backend's float64 SIMD kernels (the f64 half of src/backend/wasm/kernels.ts, dispatched
// by simd.ts) against references computed here with plain JS loops over float64 values: bit for bit
// for elementwise ops, where, max, min, argmax, argmin, column sums and exact sums, within the error
// bound of the summation order otherwise. Inputs carry bits float32 cannot hold (1 + 2^-40 and the
// like), so a float32 round trip anywhere fails. Every case asserts that the float64 kernel it
// targets really ran (a spy on the kernel instance), so a silent fallback to the JS code cannot
// make it pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, argmax, argmin, backendNames, getBackend, matmul, setBackend, where } from "../src/index.js";
import type { StridedArray } from "../src/backend/backend.js";
import { wasmSettings } from "../src/backend/wasm/settings.js";
import { heapKernels } from "../src/backend/wasm/heap.js";
import { CHUNK_BYTES, binaryFloat, reduceFloat, unaryFloat, whereFloat } from "../src/backend/wasm/simd.js";
import * as lax from "../src/primitives/lax.js";
import { broadcastByHand } from "./helpers/by_hand.js";
import { broadcastShapes } from "../src/core/shape.js";
import { fromArray, numel, uniformStream, values } from "./helpers/check.js";

// SIMD is always there on Node 20; without it there is no wasm backend and nothing to check.
const hasWasm = backendNames().includes("wasm");

/** Calls per float64 kernel ("add", "sumRows", ...), counted by wrapping the functions of the kernel instance's f64 group. */
const calls = new Map<string, number>();
if (hasWasm) {
  const k = heapKernels().f64 as unknown as Record<string, unknown>;
  const spy = (obj: Record<string, unknown>, name: string) => {
    const f = obj[name] as (...a: number[]) => void;
    obj[name] = (...a: number[]) => { calls.set(name, (calls.get(name) ?? 0) + 1); f(...a); };
  };
  for (const group of ["binary", "unary"]) for (const name of Object.keys(k[group] as object)) spy(k[group] as Record<string, unknown>, name);
  for (const name of Object.keys(k)) if (typeof k[name] === "function") spy(k, name);
}
const callCount = (kernel: string): number => calls.get(kernel) ?? 0;

/** f's result on the wasm backend, every SIMD kernel enabled, checking that `kernel` ran (if the result is not empty). */
function onWasm(f: () => Tensor, kernel: string, what: string): Tensor {
  const prev = getBackend(), prevMin = wasmSettings.minKernelElements;
  setBackend("wasm");
  wasmSettings.minKernelElements = 0;
  const before = callCount(kernel);
  try {
    const out = f();
    if (out.numel > 0) assert.ok(callCount(kernel) > before, `${what}: the float64 ${kernel} kernel did not run`);
    return out;
  } finally {
    setBackend(prev);
    wasmSettings.minKernelElements = prevMin;
  }
}

/** Element by element: bit-identical (Object.is: -0 differs from 0), NaN where the other has NaN. */
function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(got[i] !== got[i] && want[i] !== want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

/**
 * Seeded float64 data in about [lo, hi), each value with bits below float32's reach (a term of
 * 2^-40 times a uniform), and every `every`-th element (if given) taken from `specials`.
 */
function data(shape: number[], seed: number, lo = -2, hi = 2, specials: number[] = [], every = 0): Tensor {
  const u = uniformStream(seed);
  const vals = Array.from({ length: numel(shape) }, (_, i) =>
    (every && i % every === every - 1 ? specials[(i / every | 0) % specials.length] : lo + (hi - lo) * u() + 2 ** -40 * u()));
  return fromArray(vals, shape, "float64");
}

/** x's logical values, row-major, in the given (broadcast) shape: read on the js backend, which copies. */
function logical(x: Tensor, shape: readonly number[] = x.shape): number[] {
  const prev = getBackend();
  setBackend("js");
  try { return values(x.expand([...shape])); } finally { setBackend(prev); }
}

/** Round half to even, written out: floor, then up past a half or at a half to an even result. */
function roundHalfEven(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const r = Math.floor(x), d = x - r; // exact: x and r share x's grid
  const y = d > 0.5 || (d === 0.5 && r % 2 !== 0) ? r + 1 : r;
  return y === 0 && x < 0 ? -0 : y;
}

const BINARY: Record<string, [(a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number]> = {
  add: [(a, b) => a.add(b), (a, b) => a + b],
  sub: [(a, b) => a.sub(b), (a, b) => a - b],
  mul: [(a, b) => a.mul(b), (a, b) => a * b],
  div: [(a, b) => a.div(b), (a, b) => a / b],
  // NaN wins; +0 > -0
  maximum: [(a, b) => a.maximum(b), (a, b) => (a !== a || b !== b ? NaN : a > b || (a === b && Object.is(b, -0)) ? a : b)],
  minimum: [(a, b) => a.minimum(b), (a, b) => (a !== a || b !== b ? NaN : a < b || (a === b && Object.is(a, -0)) ? a : b)],
  // an internal op (relu's derivative): operands broadcast by hand, as the public ops do
  reluBackward: [broadcastByHand(lax.reluBackward), (a, b) => (b > 0 ? a : 0)],
  tanhBackward: [broadcastByHand(lax.tanhBackward), (a, b) => a * (1 - b * b)],
  sigmoidBackward: [broadcastByHand(lax.sigmoidBackward), (a, b) => a * (b * (1 - b))],
  eq: [(a, b) => a.eq(b), (a, b) => +(a === b)],
  ne: [(a, b) => a.ne(b), (a, b) => +(a !== b)],
  lt: [(a, b) => a.lt(b), (a, b) => +(a < b)],
  le: [(a, b) => a.le(b), (a, b) => +(a <= b)],
  gt: [(a, b) => a.gt(b), (a, b) => +(a > b)],
  ge: [(a, b) => a.ge(b), (a, b) => +(a >= b)],
};
const COMPARISONS = new Set(["eq", "ne", "lt", "le", "gt", "ge"]);

const UNARY: Record<string, [(x: Tensor) => Tensor, (x: number) => number]> = {
  neg: [(x) => x.neg(), (x) => -x],
  abs: [(x) => x.abs(), (x) => (x < 0 || Object.is(x, -0) ? -x : x)],
  sqrt: [(x) => x.sqrt(), Math.sqrt],
  square: [(x) => x.square(), (x) => x * x],
  relu: [(x) => x.relu(), (x) => (x > 0 || x !== x ? x : 0)],
  floor: [(x) => x.floor(), Math.floor],
  ceil: [(x) => x.ceil(), Math.ceil],
  trunc: [(x) => x.trunc(), Math.trunc],
  round: [(x) => x.round(), roundHalfEven],
  sign: [(x) => x.sign(), (x) => (x > 0 ? 1 : x < 0 ? -1 : x)],
};

/** Operand pairs [label, a, b]: unit strides, stride 0 (broadcasts), transposed, sliced and flipped views; a also serves as the unary input. */
function layouts(): [string, Tensor, Tensor][] {
  const out: [string, Tensor, Tensor][] = [];
  let s = 1;
  // lengths around the two-lane vectors and the four-vector loop, and past them
  for (const n of [0, 1, 2, 3, 5, 8, 9, 17, 1001]) out.push([`contiguous [${n}]`, data([n], s++), data([n], s++)]);
  for (const [M, N] of [[3, 5], [7, 17], [40, 1001]]) {
    const big = data([M, N], s++);
    out.push(
      [`scalar with [${M},${N}]`, data([], s++), big], [`[${M},${N}] with scalar`, big, data([], s++)],
      [`row [${N}] with [${M},${N}]`, data([N], s++), big], [`[${M},${N}] with column [${M},1]`, big, data([M, 1], s++)],
      [`column [${M},1] with row [1,${N}]`, data([M, 1], s++), data([1, N], s++)],
      [`transposed [${N},${M}].T with [${M},${N}]`, data([N, M], s++).T, big],
      [`[${M},${N}] with transposed`, big, data([N, M], s++).T],
      [`sliced rows and columns of [${M + 3},${N + 5}] with flipped`, data([M + 3, N + 5], s++).narrow(0, 2, M).narrow(1, 3, N), data([M, N], s++).flip(1)],
      [`expanded column with transposed`, data([M, 1], s++).expand([M, N]), data([N, M], s++).T],
    );
  }
  return out;
}

test("float64 binary ops match plain-JS loops bit for bit on every layout", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  for (const [label, a, b] of layouts()) {
    const shape = broadcastShapes(a.shape, b.shape)!;
    const av = logical(a, shape), bv = logical(b, shape);
    for (const [op, [f, ref]] of Object.entries(BINARY)) {
      // comparisons on floored operands too, so that many pairs are equal
      const inputs: [Tensor, Tensor, string][] = [[a, b, ""]];
      if (COMPARISONS.has(op)) inputs.push([lax.floor(a), lax.floor(b), " (floored)"]);
      for (const [x, y, how] of inputs) {
        const what = `${op}${how}: ${label}`;
        const got = onWasm(() => f(x, y), op, what);
        assert.equal(got.dtype, COMPARISONS.has(op) ? "bool" : "float64", `${what}: dtype`);
        const xv = how ? av.map(Math.floor) : av, yv = how ? bv.map(Math.floor) : bv;
        assertSame(values(got), xv.map((v, i) => ref(v, yv[i])), what);
      }
    }
  }
});

test("float64 unary ops match plain-JS loops bit for bit on every layout", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  for (const [label, x] of layouts()) {
    const xv = logical(x);
    for (const [op, [f, ref]] of Object.entries(UNARY)) {
      // sqrt of the absolute values, so its results are numbers
      const input = op === "sqrt" ? x.abs() : x;
      const what = `${op}: ${label}`;
      const got = onWasm(() => f(input), op, what);
      assertSame(values(got), xv.map((v) => ref(op === "sqrt" ? Math.abs(v) : v)), what);
    }
  }
});

/** Every ordered pair (x, y) of `values`, as the list of xs and the list of ys. */
function everyPair(vals: number[]): [number[], number[]] {
  return [vals.flatMap((x) => vals.map(() => x)), vals.flatMap(() => vals)];
}

test("NaN, signed zeros, infinities and halves through float64 maximum, minimum, comparisons, sign, round and the rest", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1 + 2 ** -40, 1 - 2 ** -40, 5e-324, -5e-324, 1.7e308, -1.7e308];
  const [xs, ys] = everyPair(specials);
  // every pair at every lane and in the scalar tails: lengths and starting positions vary
  for (const n of [1, 2, 3, 5, 17, xs.length, 1001]) {
    const idx = Array.from({ length: n }, (_, i) => (i * 7 + n) % xs.length);
    const av = idx.map((i) => xs[i]), bv = idx.map((i) => ys[i]);
    const a = fromArray(av, [n], "float64"), b = fromArray(bv, [n], "float64");
    for (const [op, [f, ref]] of Object.entries(BINARY)) {
      assertSame(values(onWasm(() => f(a, b), op, `${op} of specials [${n}]`)), av.map((v, i) => ref(v, bv[i])), `${op} of specials [${n}]`);
      // a special broadcast (stride 0) against them all
      for (const s of [NaN, -0, Infinity]) {
        const what = `${op} of specials [${n}] with ${s}`;
        assertSame(values(onWasm(() => f(a, fromArray([s], [], "float64")), op, what)), av.map((v) => ref(v, s)), what);
      }
    }
    // halves (to even for round), values just off them, integers too large to have a fraction
    const halves = [...specials, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994, 2.5 + 2 ** -51, 4503599627370495.5,
      -4503599627370495.5, 2 ** 52 + 1, -(2 ** 53) - 2, 1e300];
    const h = data([n], 400 + n, -4, 4, halves, 2), hv = values(h);
    for (const [op, [f, ref]] of Object.entries(UNARY)) {
      assertSame(values(onWasm(() => f(h), op, `${op} of halves and specials [${n}]`)), hv.map(ref), `${op} of halves and specials [${n}]`);
    }
  }
});

test("float64 where picks a or b bit for bit, for every layout of the condition and the operands", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  let s = 500;
  const withSpecials = data([1001], s++, -2, 2, [NaN, Infinity, -Infinity, 0, -0], 3);
  const cases: [string, Tensor, Tensor][] = [...layouts(), ["specials with their negations", withSpecials, withSpecials.neg()]];
  for (const [label, a, b] of cases) {
    const shape = broadcastShapes(a.shape, b.shape)!;
    const av = logical(a, shape), bv = logical(b, shape);
    // contiguous, and for matrices transposed, a row, a column and a scalar broadcast over the plane
    const conds: [string, Tensor][] = [["contiguous", data(shape, s++).gt(0)]];
    if (shape.length === 2) {
      const [M, N] = shape;
      conds.push(["transposed", data([N, M], s++).gt(0).T], ["row", data([1, N], s++).gt(0)], ["column", data([M, 1], s++).gt(0)],
        ["scalar true", fromArray([1], [], "bool")], ["scalar false", fromArray([0], [], "bool")]);
    }
    for (const [kind, c] of conds) {
      const what = `where: ${kind} condition, ${label}`;
      const cv = logical(c, shape);
      assertSame(values(onWasm(() => where(c, a, b), "where", what)), cv.map((t, i) => (t ? av[i] : bv[i])), what);
    }
  }
});

/** The exact sum of xs, rounded once (Shewchuk's non-overlapping partials, as Python's math.fsum). */
function exactSum(xs: readonly number[]): number {
  const partials: number[] = [];
  for (let x of xs) {
    let i = 0;
    for (let y of partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y, lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }
  // the partials do not overlap: adding them largest first rounds (nearly) once
  let sum = 0;
  for (let i = partials.length - 1; i >= 0; i--) sum += partials[i];
  return sum;
}

/** The reduction's rows of x over `dim` of a matrix (its columns for dim 0), as plain arrays. */
function lines(x: Tensor, dim: 0 | 1): number[][] {
  const [M, N] = x.shape, v = logical(x);
  return dim === 1 ? Array.from({ length: M }, (_, r) => v.slice(r * N, (r + 1) * N)) : Array.from({ length: N }, (_, j) => Array.from({ length: M }, (_, r) => v[r * N + j]));
}

/** [label, matrix, dim reduced, the kernel family that runs] for the reduction tests. */
function reductionCases(seed: number, make: (shape: number[], seed: number) => Tensor): [string, Tensor, 0 | 1, "Rows" | "Cols"][] {
  const cases: [string, Tensor, 0 | 1, "Rows" | "Cols"][] = [];
  let s = seed;
  for (const m of [2, 3, 5, 13, 17, 23, 1001]) {
    cases.push([`[7,${m}] over dim 1`, make([7, m], s++), 1, "Rows"], [`[${m},7] over dim 0`, make([m, 7], s++), 0, "Cols"]);
    cases.push([`[5,${m}] over dim 0`, make([5, m], s++), 0, "Cols"]);
    cases.push([`transposed [7,${m}].T over dim 1`, make([7, m], s++).T, 1, "Cols"], [`transposed [${m},7].T over dim 0`, make([m, 7], s++).T, 0, "Rows"]);
  }
  // a row of one element and a column of one: the rows kernel either way
  cases.push(["[9,1] over dim 1", make([9, 1], s++), 1, "Rows"], ["[1,9] over dim 0", make([1, 9], s++), 0, "Rows"]);
  // more elements than a float64 chunk (CHUNK_BYTES / 8), staged in several
  cases.push(["[3000,101] over dim 1", make([3000, 101], s++), 1, "Rows"], ["[3000,101] over dim 0", make([3000, 101], s++), 0, "Cols"]);
  return cases;
}

test("float64 sums: exact where every order is exact, within the bound of four partial sums otherwise, and columns in order", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // multiples of 2^-30 below 5 in magnitude (33 significant bits, so not float32 values): every
  // partial sum of up to 300000 of them is a float64, so any order of summation is exact
  const grid = (shape: number[], seed: number): Tensor => {
    const u = uniformStream(seed);
    return fromArray(Array.from({ length: numel(shape) }, () => Math.floor(9 * u()) - 4 + Math.floor(u() * 2 ** 30) * 2 ** -30), shape, "float64");
  };
  for (const [label, x, dim, family] of reductionCases(600, grid)) {
    const what = `sum of a grid ${label}`;
    const got = values(onWasm(() => x.sum(dim), `sum${family}`, what));
    assertSame(got, lines(x, dim).map((line) => line.reduce((acc, v) => acc + v, 0)), what);
  }
  // a row longer than a chunk, summed as one row
  const long = grid([300001], 700);
  assertSame(values(onWasm(() => long.sum(), "sumRows", "sum of a grid [300001]")), [logical(long).reduce((acc, v) => acc + v, 0)], "sum of a grid [300001]");

  // values of mixed magnitudes and signs (heavy cancellation): the error of four in-order partial
  // sums added at the end (plus a tail of up to 3) is at most (n/4 + 5) eps sum |x|, against (n - 1)
  // eps sum |x| for the js backend's one in-order sum; the columns kernel sums in order, as js does
  const mixed = (shape: number[], seed: number): Tensor => {
    const u = uniformStream(seed);
    return fromArray(Array.from({ length: numel(shape) }, () => (u() - 0.5) * 10 ** (12 * u() - 6) + 2 ** -40 * u()), shape, "float64");
  };
  for (const [label, x, dim, family] of reductionCases(800, mixed)) {
    const what = `sum ${label}`;
    const got = values(onWasm(() => x.sum(dim), `sum${family}`, what));
    lines(x, dim).forEach((line, i) => {
      if (family === "Cols") {
        const inOrder = line.reduce((acc, v) => acc + v, 0);
        if (!Object.is(got[i], inOrder)) assert.fail(`${what}: column ${i} is ${got[i]}, in order it is ${inOrder}`);
        return;
      }
      const exact = exactSum(line), scale = line.reduce((acc, v) => acc + Math.abs(v), 0);
      const bound = (line.length / 4 + 5) * 2 ** -53 * scale + Number.MIN_VALUE;
      if (!(Math.abs(got[i] - exact) <= bound)) assert.fail(`${what}: row ${i} is ${got[i]}, exactly ${exact}: error ${Math.abs(got[i] - exact)} over the bound ${bound}`);
    });
  }
});

/** The position of the first extreme of vals (a NaN counts as the extreme; the first wins): a plain loop. */
function firstExtreme(op: "argmax" | "argmin", vals: readonly number[]): number {
  let best = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (v !== v) return i;
    if (op === "argmax" ? v > vals[best] : v < vals[best]) best = i;
  }
  return best;
}

test("float64 max, min, argmax and argmin over rows and columns: NaN wins, ties keep the first index", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // few distinct values (ties everywhere, zeros of both signs, values one float64 ulp apart that
  // float32 would merge), infinities and NaNs, at every lane and in the tails
  const tiesAndNaNs = (every: number) => (shape: number[], seed: number): Tensor => {
    const u = uniformStream(seed), pool = [1, 1 + 2 ** -52, 1 - 2 ** -53, -0, 0, -1, -Infinity, Infinity, 3, 3];
    return fromArray(Array.from({ length: numel(shape) }, (_, i) => (every && i % every === every - 1 ? NaN : pool[Math.floor(u() * pool.length)])), shape, "float64");
  };
  const random = (shape: number[], seed: number) => data(shape, seed);
  for (const [kind, make] of [["random", random], ["ties", tiesAndNaNs(0)], ["ties and NaNs", tiesAndNaNs(23)]] as const) {
    for (const [label, x, dim, family] of reductionCases(900, make)) {
      const ls = lines(x, dim);
      for (const op of ["max", "min"] as const) {
        const what = `${op} of ${kind} ${label}`;
        const ref = ls.map((line) => line.reduce((acc, v) => (acc !== acc || v !== v ? NaN : op === "max" ? (v > acc || (v === acc && Object.is(acc, -0)) ? v : acc) : (v < acc || (v === acc && Object.is(v, -0)) ? v : acc))));
        assertSame(values(onWasm(() => x[op](dim), `${op}${family}`, what)), ref, what);
      }
      for (const [op, f] of [["argmax", argmax], ["argmin", argmin]] as const) {
        const what = `${op} of ${kind} ${label}`;
        const got = onWasm(() => f(x, dim), `${op}${family}`, what);
        assert.equal(got.dtype, "int32", `${what}: dtype`);
        assertSame(values(got), ls.map((line) => firstExtreme(op, line)), what);
      }
    }
  }
});

test("float64 matrix-vector products (dots) and outer products (K = 1)", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // a and b on grids where every product and partial sum is a float64 (a: multiples of 2^-30
  // below 5, not float32 values; b: small integers), so every order of summation is exact
  const gridA = (shape: number[], seed: number): Tensor => {
    const u = uniformStream(seed);
    return fromArray(Array.from({ length: numel(shape) }, () => Math.floor(9 * u()) - 4 + Math.floor(u() * 2 ** 30) * 2 ** -30), shape, "float64");
  };
  const gridB = (shape: number[], seed: number): Tensor => {
    const u = uniformStream(seed);
    return fromArray(Array.from({ length: numel(shape) }, () => Math.floor(17 * u()) - 8), shape, "float64");
  };
  /** The [M,N] product of logical [M,K] and [K,N] matrices, by a plain loop. */
  const product = (a: number[], b: number[], M: number, K: number, N: number): number[] =>
    Array.from({ length: M * N }, (_, o) => {
      const i = Math.floor(o / N), j = o % N;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      return s;
    });
  let s = 1000;
  // K below four takes the short paths (a shared vector in the lanes, or four dots at a time)
  for (const K of [2, 3, 4, 5, 7, 17, 100]) {
    for (const M of [1, 2, 3, 5, 17]) {
      // A [M,K] times a vector [K,1]: one dot per row of A against a shared b
      const A = gridA([M, K], s++), v = gridB([K, 1], s++);
      assertSame(values(onWasm(() => matmul(A, v), "dots", `[${M},${K}] @ [${K},1]`)), product(logical(A), logical(v), M, K, 1), `[${M},${K}] @ [${K},1]`);
      // a row [1,K] times B [K,M] given as a transposed [M,K]: one dot per column of B against a shared a
      const r = gridA([1, K], s++), Bt = gridB([M, K], s++);
      assertSame(values(onWasm(() => matmul(r, Bt.T), "dots", `[1,${K}] @ [${M},${K}].T`)), product(logical(r), logical(Bt.T), 1, K, M), `[1,${K}] @ [${M},${K}].T`);
      // batched: each matrix against its own vector
      const Ab = gridA([3, M, K], s++), vb = gridB([3, K, 1], s++);
      const want = [0, 1, 2].flatMap((t) => product(logical(Ab).slice(t * M * K, (t + 1) * M * K), logical(vb).slice(t * K, (t + 1) * K), M, K, 1));
      assertSame(values(onWasm(() => matmul(Ab, vb), "dots", `[3,${M},${K}] @ [3,${K},1]`)), want, `[3,${M},${K}] @ [3,${K},1]`);
    }
  }
  // random values: within the bound of any summation order, K eps sum |a b|
  for (const K of [3, 9, 1001]) {
    const A = data([33, K], s++), v = data([K, 1], s++), av = logical(A), vv = logical(v);
    const got = values(onWasm(() => matmul(A, v), "dots", `random [33,${K}] @ [${K},1]`));
    for (let i = 0; i < 33; i++) {
      const terms = Array.from({ length: K }, (_, k) => av[i * K + k] * vv[k]);
      const exact = exactSum(terms), bound = (K + 2) * 2 ** -53 * terms.reduce((acc, t) => acc + Math.abs(t), 0);
      if (!(Math.abs(got[i] - exact) <= bound)) assert.fail(`random [33,${K}] @ [${K},1]: row ${i} is ${got[i]}, exactly ${exact}`);
    }
  }
  // outer products: K = 1 is a broadcast multiply, exactly a[i] * b[j] (signed zeros and NaN too)
  for (const [M, N] of [[1, 1], [3, 5], [17, 2], [64, 1001]]) {
    const a = data([M, 1], s++, -2, 2, [-0, NaN, Infinity], 5), b = data([1, N], s++, -2, 2, [0, -Infinity], 7);
    const av = logical(a), bv = logical(b);
    const what = `outer [${M},1] @ [1,${N}]`;
    assertSame(values(onWasm(() => matmul(a, b), "mul", what)), Array.from({ length: M * N }, (_, o) => av[Math.floor(o / N)] * bv[o % N]), what);
  }
});

test("float64 elementwise ops longer than a chunk are staged in chunks of CHUNK_BYTES", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  const perChunk = CHUNK_BYTES / 8;
  for (const n of [perChunk - 1, perChunk + 1, 2 * perChunk + 1001]) {
    const a = data([n], n), b = data([n], n + 1), av = logical(a), bv = logical(b);
    const before = callCount("add");
    assertSame(values(onWasm(() => a.add(b), "add", `add [${n}]`)), av.map((v, i) => v + bv[i]), `add [${n}]`);
    assert.equal(callCount("add") - before, Math.ceil(n / perChunk), `add [${n}]: chunks`);
  }
});

/** A contiguous strided view of `data` with the given shape. */
const strided = (d: StridedArray["data"], shape: number[]): StridedArray => {
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  return { data: d, shape, strides, offset: 0 };
};

test("mixed dtypes, int32 and float64 transcendental ops but exp, log and sigmoid are left to the js backend", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to check
  const n = 9, f32 = strided(new Float32Array(n).fill(1.5), [n]), f64 = strided(new Float64Array(n).fill(2.5), [n]);
  const i32 = strided(new Int32Array(n).fill(3), [n]), bool = strided(new Uint8Array(n).fill(1), [n]);
  const prevMin = wasmSettings.minKernelElements;
  wasmSettings.minKernelElements = 0;
  try {
    assert.equal(binaryFloat("add", f32, f64, new Float64Array(n)), false, "float32 + float64");
    assert.equal(binaryFloat("add", f64, f64, new Float32Array(n)), false, "float64 + float64 into float32");
    assert.equal(binaryFloat("add", i32, i32, new Int32Array(n)), false, "int32 + int32");
    assert.equal(binaryFloat("lt", f64, f32, new Uint8Array(n)), false, "float64 < float32");
    assert.equal(unaryFloat("neg", f64, new Float32Array(n)), false, "neg of float64 into float32");
    assert.equal(whereFloat(bool, f64, f32, new Float64Array(n)), false, "where of float64 and float32");
    assert.equal(reduceFloat("sum", strided(new Float64Array(n), [3, 3]), 1, new Float32Array(3)), false, "float64 sum into float32");
    for (const op of ["tanh", "sin", "cos", "erf", "log1p"] as const) {
      assert.equal(unaryFloat(op, f64, new Float64Array(n)), false, `${op} of float64`);
    }
    assert.equal(binaryFloat("pow", f64, f64, new Float64Array(n)), false, "pow of float64");
    // and they ran: float64 tanh through the public API is JS's Math.tanh
    const x = data([1001], 77, -30, 30), xv = logical(x);
    const prev = getBackend();
    setBackend("wasm");
    try { assertSame(values(x.tanh()), xv.map(Math.tanh), "tanh of float64 on wasm"); } finally { setBackend(prev); }
  } finally {
    wasmSettings.minKernelElements = prevMin;
  }
});

/** Units in the last place between two float64s (0 for the same NaN or zero of the same sign). */
function ulps64(a: number, b: number): number {
  if (Object.is(a, b) || (a !== a && b !== b)) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b) || Math.sign(a) !== Math.sign(b)) return Infinity;
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = bits[0] - bits[1];
  return Number(d < 0n ? -d : d);
}

test("float64 exp runs its SIMD sequence, within one ulp of Math.exp over the whole range", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // the clamps (-746, 710) and the edges of overflow (709.78) and of subnormal results (-708.4,
  // -745.13), results that round to 0, tiny arguments, signed zeros, infinities and NaN
  const specials = [NaN, Infinity, -Infinity, 0, -0, 709.78, 709.79, 710, 711, -708.39, -708.4, -745.13, -745.2, -746, -800,
    1e-300, -1e-300, 2 ** -30, 1, -1, Math.LN2, Math.LN2 / 2, -Math.LN2 / 2, 0.5 * Math.LN2 * (1 + 2 ** -50)];
  for (const [lo, hi] of [[-745.2, 709.8], [-1, 1], [-1e-6, 1e-6], [-745.2, -700], [700, 709.8], [-30, 30]]) {
    for (const n of [1, 3, 4, 5, 33, 20000]) {
      const x = data([n], 500 + n, lo, hi, specials, 7), xv = logical(x);
      const got = values(onWasm(() => x.exp(), "exp", `exp [${n}] in [${lo}, ${hi}]`));
      got.forEach((g, i) => assert.ok(ulps64(g, Math.exp(xv[i])) <= 1, `exp(${xv[i]}): ${g}, Math.exp gives ${Math.exp(xv[i])}`));
    }
  }
  // a transposed view runs the scalar loop, one double through lane 0
  const t = data([30, 7], 5, -50, 50, specials, 5).permute([1, 0]), tv = logical(t);
  const got = values(onWasm(() => t.exp(), "exp", "exp of a transposed [30,7]"));
  got.forEach((g, i) => assert.ok(ulps64(g, Math.exp(tv[i])) <= 1, `exp(${tv[i]}) of a transposed view: ${g}, Math.exp gives ${Math.exp(tv[i])}`));
});

test("float64 log runs its SIMD sequence, within one ulp of Math.log over every binade", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // zeros, negatives, infinities, NaN, 1 and its neighbours, the halving point (sqrt 2), the
  // smallest normal and subnormals (scaled by 2^54 first), the largest double
  const specials = [NaN, Infinity, -Infinity, 0, -0, -1, -1e-300, 1, 1 + 2 ** -52, 1 - 2 ** -53, Math.SQRT2, Math.SQRT2 * (1 + 2 ** -52),
    Math.SQRT1_2, 2, 0.5, 2 ** -1022, 2 ** -1022 * (1 - 2 ** -52), 5e-324, 1e-310, Number.MAX_VALUE, Math.E];
  const check = (x: Tensor, what: string) => {
    const xv = logical(x), got = values(onWasm(() => x.log(), "log", what));
    got.forEach((g, i) => assert.ok(ulps64(g, Math.log(xv[i])) <= 1, `${what}: log(${xv[i]}) is ${g}, Math.log gives ${Math.log(xv[i])}`));
  };
  for (const [lo, hi] of [[0, 4], [0.5, 2], [1 - 1e-6, 1 + 1e-6], [0, 1e-305], [0, 1e300]]) {
    for (const n of [1, 3, 4, 5, 33, 20000]) check(data([n], 700 + n, lo, hi, specials, 7), `log [${n}] in [${lo}, ${hi}]`);
  }
  // every binade: doubles from random bit patterns (sign bit clear)
  const u = uniformStream(9), bits = new BigUint64Array(20000);
  for (let i = 0; i < bits.length; i++) bits[i] = (BigInt(Math.floor(u() * 2 ** 31)) << 32n) | BigInt(Math.floor(u() * 2 ** 32));
  check(fromArray(Array.from(new Float64Array(bits.buffer)), [bits.length], "float64"), "log of doubles from random bits");
  // a transposed view runs the scalar loop, one double through lane 0
  check(data([30, 7], 6, 0, 50, specials, 5).permute([1, 0]), "log of a transposed [30,7]");
});

test("float64 sigmoid runs its SIMD sequence, within two ulps of the js backend's formula", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // the js backend's sigmoid, written out
  const ref = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-300, -1e-300, 36.8, 37, -36.8, -708.4, -745.2, -746, 710, 800];
  for (const [lo, hi] of [[-40, 40], [-3, 3], [-745, -30], [0, 1e-8]]) {
    for (const n of [1, 3, 4, 5, 33, 20000]) {
      const x = data([n], 900 + n, lo, hi, specials, 7), xv = logical(x);
      const got = values(onWasm(() => x.sigmoid(), "sigmoid", `sigmoid [${n}] in [${lo}, ${hi}]`));
      got.forEach((g, i) => assert.ok(ulps64(g, ref(xv[i])) <= 2, `sigmoid(${xv[i]}): ${g}, the js formula gives ${ref(xv[i])}`));
    }
  }
});
