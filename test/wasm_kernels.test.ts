// The wasm backend's float32 SIMD kernels (src/backend/wasm/kernels.ts, dispatched by simd.ts)
// checked against the js backend, which is the reference: each case builds the same float32
// inputs, runs one op through the public API on both backends, and compares. Every case also
// asserts that the kernel it targets really ran (a spy on the kernel instance), so a silent
// fallback to the JS code cannot make it pass. Sizes go from the SIMD tails (n % 4) to past the
// 32768-element staging chunk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, tensor, backendNames, getBackend, setBackend, vmap, vjp, dot, matmul, where, cat, stack, F } from "../src/index.js";
import { wasmSettings } from "../src/backend/wasm/settings.js";
import { BIG_OUTPUT_BYTES, CHUNK_BYTES } from "../src/backend/wasm/simd.js";
import { heapKernels } from "../src/backend/wasm/heap.js";
import * as lax from "../src/primitives/lax.js";
import { broadcastShapes } from "../src/core/shape.js";
import type { UnfoldParams } from "../src/primitives/conv.js";
import { broadcastByHand } from "./helpers/by_hand.js";
import { assertNear, fromArray, numel, unravel, uniformStream, values } from "./helpers/check.js";

/** A chunk and the big-output bound in float32 elements. */
const CHUNK = CHUNK_BYTES / 4, BIG_OUTPUT = BIG_OUTPUT_BYTES / 4;

// SIMD is always there on Node 20; without it there is no wasm backend and nothing to compare.
const hasWasm = backendNames().includes("wasm");

/** Calls per kernel name ("add", "sumRows", ...), counted by wrapping the kernel instance's functions. */
const calls = new Map<string, number>();
if (hasWasm) {
  const k = heapKernels() as unknown as Record<string, unknown>;
  const spy = (obj: Record<string, unknown>, name: string) => {
    const f = obj[name] as (...a: number[]) => void;
    obj[name] = (...a: number[]) => { calls.set(name, (calls.get(name) ?? 0) + 1); f(...a); };
  };
  for (const group of ["binary", "unary"]) for (const name of Object.keys(k[group] as object)) spy(k[group] as Record<string, unknown>, name);
  const ROWS = ["softmaxRows", "logSoftmaxRows", "softmaxBackwardRows", "logSoftmaxBackwardRows", "layerNormRows", "layerNormBackwardRows", "layerNormAffineRows", "layerNormAffineBackwardRows", "logSoftmaxGatherRows", "logSoftmaxGatherBackwardRows"];
  for (const name of ["where", "clamp", "dots", "sumRows", "sumCols", "maxRows", "minRows", "maxCols", "minCols", "im2col", "col2im", "packRows", "packRowsF64", ...ROWS]) spy(k, name);
  // the float64 conv and row kernels, counted as f64_im2col and so on
  const k64 = k.f64 as Record<string, (...a: number[]) => void>;
  for (const name of ["im2col", "col2im", "clamp", ...ROWS]) {
    const f = k64[name];
    k64[name] = (...a: number[]) => { calls.set(`f64_${name}`, (calls.get(`f64_${name}`) ?? 0) + 1); f(...a); };
  }
}

/** f's result on backend `name`, every SIMD kernel enabled; the previous backend and threshold come back after. */
function on(name: string, f: () => Tensor): Tensor {
  const prev = getBackend(), prevMin = wasmSettings.minKernelElements;
  setBackend(name);
  wasmSettings.minKernelElements = 0;
  try { return f(); } finally { setBackend(prev); wasmSettings.minKernelElements = prevMin; }
}

/** f on wasm (checking that `kernel` ran when the output is not empty) and on js: [wasm, js] values. */
function both(f: () => Tensor, kernel: string | null, what: string): [number[], number[]] {
  const before = kernel ? calls.get(kernel) ?? 0 : 0;
  const w = on("wasm", f), j = on("js", f);
  if (kernel && j.numel > 0) assert.ok((calls.get(kernel) ?? 0) > before, `${what}: the ${kernel} kernel did not run`);
  assert.deepEqual(w.shape, j.shape, `${what}: shape`);
  assert.equal(w.dtype, j.dtype, `${what}: dtype`);
  return [values(w), values(j)];
}

/** Element by element: bit-identical (Object.is: -0 differs from 0), NaN where the other has NaN. */
function assertSame(got: number[], want: number[], what: string, same = Object.is): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!same(got[i], want[i]) && !(got[i] !== got[i] && want[i] !== want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, js gives ${want[i]}`);
  }
}

/** Seeded float32 data in [lo, hi), with every `every`-th element (if given) taken from `specials`. */
function data(shape: number[], seed: number, lo = -2, hi = 2, specials: number[] = [], every = 0): Tensor {
  const u = uniformStream(seed);
  const vals = Array.from({ length: numel(shape) }, (_, i) =>
    (every && i % every === every - 1 ? specials[(i / every | 0) % specials.length] : lo + (hi - lo) * u()));
  return fromArray(vals, shape, "float32");
}

/** n zeros of alternating sign in pairs (from +0 or, with first = 1, from -0): either sign against either, in SIMD bodies and scalar tails. */
const signedZeros = (n: number, first: number): Tensor => tensor(Array.from({ length: n }, (_, i) => ((i >> 1) + first) % 2 ? -0 : 0));

const BINARY: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: (a, b) => a.add(b), sub: (a, b) => a.sub(b), mul: (a, b) => a.mul(b), div: (a, b) => a.div(b),
  maximum: (a, b) => a.maximum(b), minimum: (a, b) => a.minimum(b),
  // internal ops (relu's, tanh's and sigmoid's derivatives): broadcast by hand, as the public ops do
  reluBackward: broadcastByHand(lax.reluBackward),
  tanhBackward: broadcastByHand(lax.tanhBackward),
  sigmoidBackward: broadcastByHand(lax.sigmoidBackward),
  // comparisons (bool results) on floored operands, so that many pairs are equal
  ...Object.fromEntries((["eq", "ne", "lt", "le", "gt", "ge"] as const).map((op) => [op, (a: Tensor, b: Tensor) => lax.floor(a)[op](lax.floor(b))])),
};
const UNARY: Record<string, (x: Tensor) => Tensor> = {
  neg: (x) => x.neg(), abs: (x) => x.abs(), sqrt: (x) => x.sqrt(), relu: (x) => x.relu(), square: (x) => x.square(),
  sign: (x) => x.sign(), floor: (x) => x.floor(), ceil: (x) => x.ceil(), round: (x) => x.round(), trunc: (x) => x.trunc(),
};

/** Operand pairs [label, a, b]: the first also serves as the unary input. */
function layouts(): [string, Tensor, Tensor][] {
  const out: [string, Tensor, Tensor][] = [];
  let s = 1;
  for (const n of [0, 1, 3, 4, 5, 7, 8, 9, 31, 33, 70000]) out.push([`contiguous [${n}]`, data([n], s++), data([n], s++)]);
  for (const [M, N] of [[5, 7], [9, 33], [300, 257]]) {
    const big = data([M, N], s++);
    out.push(
      [`scalar with [${M},${N}]`, data([], s++), big], [`[${M},${N}] with scalar`, big, data([], s++)],
      [`row [1,${N}] with [${M},${N}]`, data([1, N], s++), big], [`[${M},${N}] with row [${N}]`, big, data([N], s++)],
      [`column [${M},1] with [${M},${N}]`, data([M, 1], s++), big], [`[${M},${N}] with column [${M},1]`, big, data([M, 1], s++)],
      [`column [${M},1] with row [1,${N}]`, data([M, 1], s++), data([1, N], s++)],
      [`transposed [${N},${M}].T with [${M},${N}]`, data([N, M], s++).T, big],
      [`[${M},${N}] with transposed`, big, data([N, M], s++).T],
      [`sliced rows and columns of [${M + 3},${N + 5}]`, data([M + 3, N + 5], s++).narrow(0, 2, M).narrow(1, 3, N), big],
      [`flipped columns with flipped rows`, data([M, N], s++).flip(1), data([M, N], s++).flip(0)],
      [`flipped both dims with contiguous`, data([M, N], s++).flip([0, 1]), big],
      [`expanded row (stride 0) with sliced`, data([1, N], s++).expand([M, N]), data([M, N + 2], s++).narrow(1, 1, N)],
      [`expanded column with transposed`, data([M, 1], s++).expand([M, N]), data([N, M], s++).T],
      [`expanded column with expanded column`, data([M, 1], s++).expand([M, N]), data([M, 1], s++).expand([M, N])],
    );
  }
  out.push(
    ["permuted [6,4,5] with [4,5,6]", data([6, 4, 5], s++).permute([1, 2, 0]), data([4, 5, 6], s++)],
    ["flipped [33] with sliced [33]", data([33], s++).flip(0), data([40], s++).narrow(0, 5, 33)],
  );
  return out;
}

test("binary and unary ops match the js backend bit for bit on every layout", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  for (const [label, a, b] of layouts()) {
    for (const [op, f] of Object.entries(BINARY)) {
      const [w, j] = both(() => f(a, b), op, `${op}: ${label}`);
      assertSame(w, j, `${op}: ${label}`);
    }
    for (const [op, f] of Object.entries(UNARY)) {
      const [w, j] = both(() => f(a), op, `${op}: ${label}`);
      assertSame(w, j, `${op}: ${label}`);
    }
  }
});

/** Within `ulps` units in the last place of float32 (NaN where the other has NaN). */
const withinUlps = (ulps: number) => (got: number, want: number): boolean => {
  if (Object.is(got, want) || (got !== got && want !== want)) return true;
  if (!Number.isFinite(got) || !Number.isFinite(want) || Math.sign(got) !== Math.sign(want)) return false;
  const bits = new Int32Array(new Float32Array([got, want]).buffer);
  return Math.abs(bits[0] - bits[1]) <= ulps;
};
const withinUlp = withinUlps(1);

const TRANSCENDENTAL: Record<string, (x: Tensor) => Tensor> = {
  exp: (x) => x.exp(), tanh: (x) => x.tanh(), sigmoid: (x) => x.sigmoid(), log: (x) => x.log(), log1p: (x) => x.log1p(),
  erf: (x) => x.erf(), sin: (x) => x.sin(), cos: (x) => x.cos(),
};

/** sigmoid's float32 sequence adds the error of its e^-|x| to two roundings: two ulps (transcendental32.ts). */
const ULPS: Record<string, number> = { sigmoid: 2 };

test("exp, tanh, sigmoid, log, log1p, erf, sin and cos match the js backend to one ulp (sigmoid to two)", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // overflow and underflow edges of float32 exp (and its clamps, -104 and 89), subnormal results,
  // tanh's switch to its small-argument form (0.625), its clamp (10), log's halving point
  // (sqrt 2) and its scaling of subnormals (below 2^-126), the float64 sequences' switches
  // (2^-10 and 20 for the former tanh, still specials), log1p at and
  // below -1 and where 1 + x rounds to 1, sin and cos next to multiples of pi/2 and at the limit
  // of their own argument reduction (2^20; beyond it the host's Math.sin and Math.cos run),
  // signed zeros, infinities, NaN
  const specials = [NaN, Infinity, -Infinity, 0, -0, 88.72, 88.73, -87.3, -103.9, -104, -150, 200, -200, 1e-30, -1e-30,
    2 ** -10, -(2 ** -10), 2 ** -10 * (1 + 2 ** -20), 2 ** -10 * (1 - 2 ** -20), 20, -20, 9.5, -9.5, 1e-8,
    Math.SQRT2, 1, 1 + 2 ** -23, 1 - 2 ** -24, 1e-45, 1e-39, 3.4e38, 3.92, 4, -4, 2.5, -2.5, 6,
    -1, -1 + 2 ** -24, -2, 2 ** -60, -(2 ** -60), Math.PI / 2, Math.PI, -Math.PI, 2 ** 20, -(2 ** 20), 2 ** 20 + 0.125, 1e7, -3e9,
    0.625, -0.625, 0.625 * (1 - 2 ** -24), 10, -10, 10.5, 89, 88.7228, 2 ** -126, 2 ** -126 * (1 - 2 ** -23), 1.4142135, 1.4142137];
  const ops = TRANSCENDENTAL;
  // ranges for each op's interesting region, tiny and huge positives (subnormal floats) for log,
  // arguments of sin and cos up to and past 2^20
  for (const [lo, hi] of [[-2, 2], [-110, 90], [-0.01, 0.01], [0, 1e-37], [0, 3e38], [0.5, 2], [-5, 5], [-1e6, 1e6], [-4e6, 4e6]]) {
    for (const n of [1, 3, 4, 5, 9, 33, 70000]) {
      const x = data([n], 300 + n, lo, hi, specials, 3);
      for (const [op, f] of Object.entries(ops)) {
        const [w, j] = both(() => f(x), op, `${op} [${n}] in [${lo}, ${hi}]`);
        assertSame(w, j, `${op} [${n}] in [${lo}, ${hi}]`, withinUlps(ULPS[op] ?? 1));
      }
    }
  }
  // a strided view runs the scalar loop, one element through lane 0
  const t = data([300, 7], 5, -30, 30, specials, 5).permute([1, 0]);
  for (const [op, f] of Object.entries(ops)) {
    const [w, j] = both(() => f(t), op, `${op} of a transposed [300,7]`);
    assertSame(w, j, `${op} of a transposed [300,7]`, withinUlps(ULPS[op] ?? 1));
  }
});

test("gelu, its derivative and its tanh form match the js backend: x Phi(x) to 8 ulps, Phi(x) + x phi(x) to 8 ulps of Phi(x) + |x phi(x)|", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // the clamp (16), erfc's fit's end (-13.2), subnormal results, signed zeros, infinities, NaN
  const specials = [NaN, Infinity, -Infinity, 0, -0, 16, -16, 15.9, -13.15, -12.9, -5.66, 5.66, 1e-30, -1e-30, 1e-45, 20, -20];
  // x phi(x), the derivative's second term (0 at the infinities, where js's is NaN anyway)
  const xd0 = (x: number): number => (Number.isFinite(x) ? (x * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI) : 0);
  const check = (x: Tensor, what: string): void => {
    const xv = values(x);
    const [w, j] = both(() => F.gelu(x), "gelu", `gelu of ${what}`);
    // results under 2^-100 lose bits in their subnormal products: 16 ulps there
    assertSame(w, j, `gelu of ${what}`, (a, b) => withinUlps(Math.abs(b) < 2 ** -100 ? 16 : 8)(a, b));
    // the tanh form, x sigmoid(z): a few ulps, plus z's rounding (three or four of its ulps) through
    // sigmoid, (1 - sigmoid(z)) |z| ulps: the function's own condition number
    const [wt, jt] = both(() => F.gelu(x, { approximate: "tanh" }), "geluTanh", `gelu tanh of ${what}`);
    for (let i = 0; i < jt.length; i++) {
      const v = xv[i], z = 2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3);
      const condition = Number.isFinite(z) ? Math.abs(z) / (1 + Math.exp(z)) : 0;
      // subnormal results (x below about -10.7, where sigmoid's e^z is cut to 0 at z = -104): absolutely
      const ok = Math.abs(jt[i]) < 2 ** -126 ? Math.abs(wt[i] - jt[i]) <= 2 ** -140 : withinUlps(Math.ceil(3 * (4 + condition)))(wt[i], jt[i]);
      if (!ok) assert.fail(`gelu tanh of ${what}: element ${i} (x = ${v}) is ${wt[i]}, js gives ${jt[i]}`);
    }
    const [wd, jd] = both(() => lax.geluDerivative(x), "geluDerivative", `geluDerivative of ${what}`);
    for (let i = 0; i < jd.length; i++) {
      if (Number.isNaN(jd[i]) || Number.isNaN(wd[i])) {
        assert.ok(Number.isNaN(jd[i]) && Number.isNaN(wd[i]), `geluDerivative of ${what}: element ${i} (x = ${xv[i]}) is ${wd[i]}, js gives ${jd[i]}`);
        continue;
      }
      // the two terms cancel near x = -0.75: the bound is in ulps of their magnitudes
      const xd = xd0(xv[i]), scale = Math.abs(jd[i] - xd) + Math.abs(xd);
      const tol = 8 * Math.max(scale * 2 ** -24, 2 ** -149);
      assert.ok(Math.abs(wd[i] - jd[i]) <= tol, `geluDerivative of ${what}: element ${i} (x = ${xv[i]}) is ${wd[i]}, js gives ${jd[i]}`);
    }
    // gelu's vjp in one pass: on each backend, the cotangent times that backend's derivative, rounded once
    const a = data([...x.shape], 900 + xv.length, -3, 3);
    const av = values(a);
    const [wb, jb] = both(() => lax.geluBackward(a, x), "geluBackward", `geluBackward of ${what}`);
    assertSame(wb, wd.map((d, i) => Math.fround(av[i] * d)), `geluBackward of ${what} on wasm`);
    assertSame(jb, jd.map((d, i) => Math.fround(av[i] * d)), `geluBackward of ${what} on js`);
  };
  for (const [lo, hi] of [[-3, 3], [-14, 6], [-0.01, 0.01]]) {
    for (const n of [1, 3, 4, 5, 9, 33, 70000]) check(data([n], 700 + n, lo, hi, specials, 3), `[${n}] in [${lo}, ${hi}]`);
  }
  // a strided view runs the scalar loop, one element through lane 0
  check(data([300, 7], 6, -14, 6, specials, 5).permute([1, 0]), "a transposed [300,7]");
});

test("NaN, infinities and signed zeros go through maximum, minimum, relu, max and min (over rows and columns) as on js", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  for (const n of [1, 3, 4, 5, 9, 33, 70000]) {
    // specials land in SIMD bodies and tails, in either operand or both at once
    const a = data([n], 100 + n, -2, 2, specials, 3), b = data([n], 200 + n, -2, 2, specials, 5);
    for (const op of ["maximum", "minimum"]) {
      const [wz, jz] = both(() => BINARY[op](signedZeros(n, 0), signedZeros(n, 1)), op, `${op} of signed zeros [${n}]`);
      assertSame(wz, jz, `${op} of signed zeros [${n}]`);
      const [w, j] = both(() => BINARY[op](a, b), op, `${op} [${n}]`);
      assertSame(w, j, `${op} [${n}]`);
      const [ws, js] = both(() => BINARY[op](data([], 7, 0, 1, [NaN], 1), a), op, `${op} NaN scalar [${n}]`);
      assertSame(ws, js, `${op} NaN scalar [${n}]`);
    }
    for (const op of ["relu", "sign", "floor"]) {
      const [w, j] = both(() => UNARY[op](a), op, `${op} [${n}]`);
      assertSame(w, j, `${op} [${n}]`);
    }
    // halves (to even for round), values just off them, and floats too large to have a fraction
    const halves = [...specials, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 2 ** 23 + 1, -(2 ** 23) - 1, 1e30];
    const h = data([n], 400 + n, -4, 4, halves, 2);
    for (const op of ["floor", "ceil", "round", "trunc"]) {
      const [w, j] = both(() => UNARY[op](h), op, `${op} of halves [${n}]`);
      assertSame(w, j, `${op} of halves [${n}]`);
    }
    const [wb, jb] = both(() => lax.reluBackward(a, b), "reluBackward", `reluBackward [${n}]`);
    assertSame(wb, jb, `reluBackward [${n}]`);
  }
  // rows with a NaN first, in the middle or in the tail, rows of only infinities, rows of one element
  for (const [rows, m, every] of [[40, 33, 37], [40, 9, 11], [7, 1, 3], [9, 4, 5], [3000, 23, 29]]) {
    const x = data([rows, m], rows * m, -2, 2, specials, every);
    const inputs: [Tensor, string][] = [
      [x, ""], [data([rows, m], 3, 0, 1, [-Infinity], 1), " of -inf"], [data([rows, m], 4, 0, 1, [Infinity], 1), " of +inf"],
      [data([rows, m], 5, 0, 1, [0, -0, -0], 1), " of signed zeros"],
    ];
    for (const [t, label] of inputs) {
      for (const op of ["max", "min"] as const) {
        const [w, j] = both(() => t[op](1), `${op}Rows`, `${op} over [${rows},${m}]${label}`);
        assertSame(w, j, `${op} over [${rows},${m}]${label}`);
        if (m === 1) continue; // a column of one: dim 1 drops out and the rows kernel runs
        const [wc, jc] = both(() => t[op](0), `${op}Cols`, `${op} over columns of [${rows},${m}]${label}`);
        assertSame(wc, jc, `${op} over columns of [${rows},${m}]${label}`);
      }
    }
  }
});

/** Every ordered pair (x, y) of `values`, as the list of xs and the list of ys. */
function everyPair(values: number[]): [number[], number[]] {
  return [values.flatMap((x) => values.map(() => x)), values.flatMap(() => values)];
}

test("where picks a or b bit for bit as on js, for every layout of the condition and the operands", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  let s = 500;
  const withSpecials = data([70001], s++, -2, 2, [NaN, Infinity, -Infinity, 0, -0], 3);
  const cases: [string, Tensor, Tensor][] = [...layouts(), ["specials with their negations", withSpecials, withSpecials.neg()]];
  for (const [label, a, b] of cases) {
    const shape = broadcastShapes(a.shape, b.shape)!;
    // contiguous, and for matrices transposed, a row, a column and a scalar broadcast over the plane
    const conds: [string, Tensor][] = [["contiguous", data(shape, s++).gt(0)]];
    if (shape.length === 2) {
      const [M, N] = shape;
      conds.push(["transposed", data([N, M], s++).gt(0).T], ["row", data([1, N], s++).gt(0)], ["column", data([M, 1], s++).gt(0)],
        ["scalar", data([], s++).gt(0)]);
    }
    for (const [kind, c] of conds) {
      const [w, j] = both(() => where(c, a, b), "where", `where: ${kind} condition, ${label}`);
      assertSame(w, j, `where: ${kind} condition, ${label}`);
    }
  }
});

test("clamp takes x, lo or hi bit for bit as on js: every layout, specials and signed zeros, NaN bounds, lo above hi", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  let s = 900;
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  // x and one bound in every layout of layouts(), the other bound of a third layout
  for (const [label, a, b] of layouts()) {
    const shape = broadcastShapes(a.shape, b.shape)!;
    const third = data(shape, s++, -1, 1);
    for (const [what, x, lo, hi] of [["x, lo", a, b.sub(1), third.add(1)], ["hi, x", b, third.sub(1), a]] as const) {
      const [w, j] = both(() => x.clamp(lo, hi), "clamp", `clamp of ${what}: ${label}`);
      assertSame(w, j, `clamp of ${what}: ${label}`);
    }
  }
  for (const n of [1, 3, 4, 5, 9, 33, 1001]) {
    // specials in x and in either bound, in SIMD bodies and scalar tails; lo above hi in places
    const x = data([n], 10 + n, -2, 2, specials, 3), lo = data([n], 20 + n, -2, 1, specials, 5), hi = data([n], 30 + n, -1, 2, specials, 7);
    const [w, j] = both(() => x.clamp(lo, hi), "clamp", `clamp with specials [${n}]`);
    assertSame(w, j, `clamp with specials [${n}]`);
    // signed zeros against each other: pmax and pmin keep x's zero where x is not past the bound
    const [wz, jz] = both(() => signedZeros(n, 0).clamp(signedZeros(n, 1), signedZeros(n, 0).neg()), "clamp", `clamp of signed zeros [${n}]`);
    assertSame(wz, jz, `clamp of signed zeros [${n}]`);
    // number bounds (a scalar broadcast), one bound alone, and float64
    for (const [what, f] of [["numbers", () => x.clamp(-0.5, 0.5)], ["min alone", () => x.clamp(0)], ["max alone", () => x.clamp(null, 0)],
      ["float64", () => x.to("float64").clamp(lo.to("float64"), hi.to("float64"))]] as const) {
      const [wn, jn] = both(f, what === "float64" ? "f64_clamp" : "clamp", `clamp, ${what} [${n}]`);
      assertSame(wn, jn, `clamp, ${what} [${n}]`);
    }
  }
});

test("comparisons write bool bytes as on js: NaN, infinities, signed zeros and subnormals, past the SIMD tails", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e-45, -1e-45, 3.4e38];
  const [xs, ys] = everyPair(specials);
  for (const n of [1, 3, 4, 5, 9, 33, 70000]) {
    const idx = Array.from({ length: n }, (_, i) => (i * 7) % xs.length);
    const a = fromArray(idx.map((i) => xs[i]), [n], "float32"), b = fromArray(idx.map((i) => ys[i]), [n], "float32");
    for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as const) {
      const [w, j] = both(() => a[op](b), op, `${op} of specials [${n}]`);
      assertSame(w, j, `${op} of specials [${n}]`);
      const [ws, js] = both(() => a[op](0), op, `${op} of specials [${n}] with 0`);
      assertSame(ws, js, `${op} of specials [${n}] with 0`);
    }
  }
});

test("pow (e^(y log|x|) in float64 lanes, with C's edge cases) matches the js backend to one ulp", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // every pair of: signed zeros, infinities, NaN, ±1 (1^NaN and (-1)^inf are 1, where JS has NaN), odd and
  // even integers (2^24 + 2 and -2^25 are even float32 integers), non-integers (NaN for a
  // negative finite base, not for -0 or -inf), subnormals, results that overflow and underflow
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, -2, 3, -3, 0.5, -0.5, 1.5, -1.5, 7, -7, 100, -100,
    1e-45, -1e-45, 1e-30, 3.4e38, -3.4e38, 0.999, 1.001, 2 ** 24 + 2, -(2 ** 25), 1e10];
  const [xs, ys] = everyPair(specials);
  const grid: [string, Tensor, Tensor][] = [["every pair of specials", fromArray(xs, [xs.length], "float32"), fromArray(ys, [ys.length], "float32")]];
  // random bases of both signs over 8 decades against integer and fractional exponents
  const u = uniformStream(77);
  const n = 70001;
  const bases = Array.from({ length: n }, () => (u() - 0.3) * 10 ** (8 * u() - 4));
  const exps = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Math.round(40 * u() - 20) : 60 * u() - 30));
  const x = fromArray(bases, [n], "float32");
  grid.push(["random bases and exponents", x, fromArray(exps, [n], "float32")]);
  // a scalar exponent (x ** 3, gelu's tanh form), a scalar base, and a transposed (scalar loop) view
  for (const e of [3, 0.5, -2, 2.5]) grid.push([`x ** ${e}`, x, fromArray([e], [], "float32")]);
  grid.push(["2 ** y", fromArray([2], [], "float32"), data([n], 78, -150, 130)]);
  grid.push(["transposed [300,7] ** [7]", data([7, 300], 79, -3, 3).T, data([7], 80, -4, 4)]);
  for (const [label, a, b] of grid) {
    const [w, j] = both(() => a.pow(b), "pow", `pow: ${label}`);
    assertSame(w, j, `pow: ${label}`, withinUlp);
  }
});

test("sin and cos next to multiples of pi/2 match the js backend to one ulp", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // the float32 values nearest to m pi/2 and their neighbours, where the reduced argument is
  // smallest and a loose reduction would lose every bit of it; m up to the reduction's limit
  const ms = [...Array.from({ length: 2001 }, (_, i) => i - 1000), 12345, 99999, 400001, 667000, -667000, 667543,
    // past the limit, where the host functions take over
    667546, 2e6, -6e6, 1e8, 2 ** 40];
  const vals: number[] = [];
  const f32 = new Float32Array(1), bits = new Int32Array(f32.buffer);
  for (const m of ms) {
    f32[0] = (m * Math.PI) / 2;
    for (let d = -2; d <= 2; d++) {
      bits[0] += d;
      vals.push(f32[0]);
      bits[0] -= d;
    }
  }
  const x = fromArray(vals, [vals.length], "float32");
  for (const op of ["sin", "cos"]) {
    const [w, j] = both(() => TRANSCENDENTAL[op](x), op, `${op} next to m pi/2`);
    assertSame(w, j, `${op} next to m pi/2`, withinUlp);
  }
});

test("the three parts of pi/2 behind sin and cos add up to pi/2 within 2^-100", async () => {
  const { PIO2_1, PIO2_2, PIO2_3 } = await import("../src/backend/wasm/transcendental.js");
  // each float64 as an exact integer multiple of 2^-200, and pi/2 to 60 digits in the same unit
  const SCALE = 200n;
  const exact = (v: number): bigint => {
    const [m, e] = frexpInt(v);
    return e + Number(SCALE) >= 0 ? m << BigInt(e + Number(SCALE)) : m >> BigInt(-(e + Number(SCALE)));
  };
  const digits = "157079632679489661923132169163975144209858469968755291048747"; // pi/2 = 1.5707...
  const halfPi = (BigInt(digits) << SCALE) / 10n ** BigInt(digits.length - 1);
  const sum = exact(PIO2_1) + exact(PIO2_2) + exact(PIO2_3);
  const diff = sum > halfPi ? sum - halfPi : halfPi - sum;
  assert.ok(diff < 1n << (SCALE - 100n), `pi/2 - (PIO2_1 + PIO2_2 + PIO2_3) is ${Number(diff) / 2 ** 200}`);
  // the first two parts have at most 33 significant bits, so n times them is exact for n < 2^20
  for (const p of [PIO2_1, PIO2_2]) {
    const [m] = frexpInt(p);
    assert.ok(m < 1n << 33n, `${p} has more than 33 significant bits`);
  }
});

/** A positive float64 as [m, e] with v = m 2^e exactly and m odd. */
function frexpInt(v: number): [bigint, number] {
  const b = new BigUint64Array(new Float64Array([v]).buffer)[0];
  let m = (b & 0xfffffffffffffn) | 0x10000000000000n, e = Number(b >> 52n) - 1075;
  while ((m & 1n) === 0n) { m >>= 1n; e++; }
  return [m, e];
}

/** float64 sum, max or min of x's (logical) values over dims, in the output's row-major order. */
function reference(x: Tensor, dims: number[], op: "sum" | "max" | "min"): { out: number[]; scale: number[] } {
  const v = values(x), keptShape = x.shape.filter((_, d) => !dims.includes(d));
  const out = new Array<number>(numel(keptShape)).fill(op === "sum" ? 0 : op === "max" ? -Infinity : Infinity);
  const scale = new Array<number>(out.length).fill(0);
  for (let i = 0; i < v.length; i++) {
    const idx = unravel(i, x.shape).filter((_, d) => !dims.includes(d));
    const o = idx.reduce((acc, k, d) => acc * keptShape[d] + k, 0);
    out[o] = op === "sum" ? out[o] + v[i] : Math[op](out[o], v[i]);
    scale[o] += Math.abs(v[i]);
  }
  return { out, scale };
}

test("sum, max and min match a float64 reference and the js backend", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // [label, input, dims reduced, the kernel family: rows of unit stride, columns (sum only), or neither]
  const cases: [string, Tensor, number[], "rows" | "cols" | null][] = [];
  for (const m of [1, 3, 4, 5, 8, 9, 31, 33]) {
    // a reduced or kept dim of size 1 drops out, and then the run is a row
    cases.push([`[7,${m}] over dim 1`, data([7, m], m), [1], "rows"], [`[${m},7] over dim 0`, data([m, 7], m + 50), [0], m > 1 ? "cols" : "rows"]);
    cases.push([`[5,${m}] over dim 0`, data([5, m], m + 90), [0], m > 1 ? "cols" : "rows"]);
  }
  const big = data([300, 257], 1000);
  cases.push(
    ["[300,257] over dim 1", big, [1], "rows"], ["[300,257] over dim 0", big, [0], "cols"], ["[300,257] over all", big, [0, 1], "rows"],
    ["[70000] over all", data([70000], 1001), [0], "rows"], ["[40000,2] over dim 1", data([40000, 2], 1002), [1], "rows"],
    ["[2,40000] over dim 0", data([2, 40000], 1003), [0], "cols"],
    ["[4,5,6] over dim 1", data([4, 5, 6], 1004), [1], "cols"], ["[4,5,6] over dims 0,1", data([4, 5, 6], 1005), [0, 1], "cols"],
    ["[4,5,6] over dims 1,2", data([4, 5, 6], 1006), [1, 2], "rows"], ["[30,50,70] over dim 1", data([30, 50, 70], 1007), [1], "cols"],
    ["transposed [33,7].T over dim 1", data([33, 7], 1008).T, [1], "cols"], ["transposed [33,7].T over dim 0", data([33, 7], 1009).T, [0], "rows"],
    ["transposed [257,300].T over dim 1", data([257, 300], 1010).T, [1], "cols"],
    ["sliced [9,40] columns over dim 1", data([9, 40], 1011).narrow(1, 3, 33), [1], "rows"],
    ["sliced [12,33] rows over dim 0", data([12, 33], 1012).narrow(0, 2, 7), [0], "cols"],
    ["flipped [33] over all", data([33], 1013).flip(0), [0], "cols"], ["flipped rows [7,33] over dim 1", data([7, 33], 1014).flip(0), [1], "rows"],
    ["expanded [1,33] to [7,33] over dim 0", data([1, 33], 1015).expand([7, 33]), [0], "cols"],
    ["permuted [5,6,4] over dim 2", data([4, 5, 6], 1016).permute([1, 2, 0]), [2], "cols"],
    ["[0,5] over dim 1", data([0, 5], 1017), [1], "rows"],
  );
  for (const [label, x, dims, family] of cases) {
    for (const op of ["sum", "max", "min"] as const) {
      const kernel = family === "rows" ? `${op}Rows` : family === "cols" ? `${op}Cols` : null;
      const ref = reference(x, dims, op);
      for (const keepdim of [false, true]) {
        const what = `${op} ${label}${keepdim ? " keepdim" : ""}`;
        const [w, j] = both(() => x[op](dims, keepdim), kernel, what);
        if (op !== "sum") { assertSame(w, j, what); assertSame(w, ref.out, `${what} (float64 reference)`); continue; }
        // accumulated in float64 and rounded once to float32 (js rounds the same way): error ~6e-8 |sum|
        for (const [got, who] of [[w, "wasm"], [j, "js"]] as const) {
          got.forEach((g, i) => {
            const tol = 1e-6 * Math.abs(ref.out[i]) + 1e-12 * ref.scale[i];
            if (!(Math.abs(g - ref.out[i]) <= tol)) assert.fail(`${what} on ${who}: element ${i} is ${g}, float64 gives ${ref.out[i]}`);
          });
        }
      }
    }
  }
});

test("batched dot products and outer products match the js backend", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  const check = (f: () => Tensor, kernel: string | null, what: string) => {
    const [w, j] = both(f, kernel, what);
    assertNear(w, j, 1e-5, what, 0);
  };
  for (const K of [0, 1, 3, 4, 5, 7, 8, 9, 17, 100]) {
    // K = 1 is an outer product of 1x1 blocks: the elementwise mul kernel
    const kernel = K === 1 ? "mul" : "dots";
    for (const B of [1, 7, 40000]) {
      if (B * K > 400000) continue;
      const a = data([B, K], K * 10 + B), b = data([B, K], K * 10 + B + 1);
      check(() => vmap(dot)(a, b), kernel, `vmap(dot) B=${B} K=${K}`);
      check(() => matmul(a.unsqueeze(1), b.unsqueeze(2)), kernel, `[B,1,K]@[B,K,1] B=${B} K=${K}`);
    }
    // rows padded by a slice, and a shared operand (a stride-0 batch dim; vmap makes it a matrix-vector product)
    const a = data([9, K + 3], K + 500).narrow(1, 2, K), b = data([K], K + 501);
    check(() => matmul(a.unsqueeze(1), b.unsqueeze(1)), kernel, `[9,1,K] sliced @ shared [K,1] K=${K}`);
    check(() => vmap(dot, { inDims: [0, null] })(a, b), null, `vmap(dot) sliced with shared K=${K}`);
    check(() => vmap(dot)(data([K, 9], K + 502).T, data([9, K], K + 503)), null, `vmap(dot) transposed K=${K}`);
  }
  // matrix-vector and vector-matrix products with the matrix contiguous along K: a dot per output
  for (const [M, K] of [[2, 3], [7, 9], [130, 100], [33, 1030]]) {
    const mat = data([M, K + 2], M + K).narrow(1, 1, K), vec = data([K], M + K + 1);
    check(() => mat.matmul(vec.unsqueeze(1)), "dots", `[${M},${K}] @ [${K},1]`);
    check(() => vec.unsqueeze(0).matmul(mat.T), "dots", `[1,${K}] @ [${M},${K}]^T`);
    check(() => vmap((v: Tensor) => mat.matmul(v))(data([5, K], M + K + 2)), null, `vmap of [${M},${K}] @ v`);
    check(() => data([3, M, K], M + K + 3).matmul(data([3, K, 1], M + K + 4)), "dots", `[3,${M},${K}] @ [3,${K},1]`);
    check(() => data([3, M, K], M + K + 5).matmul(vec.unsqueeze(1)), "dots", `[3,${M},${K}] @ shared [${K},1]`);
    // a matrix strided along K is left to the gemm
    check(() => data([K, M], M + K + 6).T.matmul(vec.unsqueeze(1)), null, `[${K},${M}]^T @ [${K},1]`);
  }
  for (const [B, M, N] of [[1, 1, 1], [3, 5, 7], [4, 9, 33], [40, 30, 70]]) {
    const a = data([B, M, 1], B + M), b = data([B, 1, N], B + N + 1);
    check(() => matmul(a, b), "mul", `outer [${B},${M},1]@[${B},1,${N}]`);
    check(() => vmap((x: Tensor, y: Tensor) => x.outer(y))(a.squeeze(2), b.squeeze(1)), "mul", `vmap(outer) B=${B} M=${M} N=${N}`);
    check(() => matmul(data([M, 1], M), b), "mul", `outer broadcast batch [${M},1]@[${B},1,${N}]`);
    check(() => matmul(a, data([1, 1, N], N)), "mul", `outer broadcast batch [${B},${M},1]@[1,1,${N}]`);
    // transposed operands: a's batch dim and b's columns not unit-stride
    const at = data([M, 1, B], B * M).permute([2, 0, 1]), bt = data([N, 1, B], B * N).permute([2, 1, 0]);
    check(() => matmul(at, bt), "mul", `outer transposed [${B},${M},1]@[${B},1,${N}]`);
    check(() => matmul(data([M, B], 7).T.flip(0).unsqueeze(2), b), "mul", `outer flipped [${B},${M},1]@[${B},1,${N}]`);
  }
});

test("planes split past a chunk: a tall outer product and a broadcast over a middle dim", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // more than CHUNK elements per outer index, so chunks split the second dim
  const m = Math.ceil(CHUNK / 130) + 7, r = Math.ceil(CHUNK / 201) + 5;
  const a = data([3, m, 1], 2001), b = data([3, 1, 130], 2002);
  const [w, j] = both(() => matmul(a, b), "mul", `outer [3,${m},1]@[3,1,130]`);
  assertSame(w, j, `outer [3,${m},1]@[3,1,130]`);
  // an output over BIG_OUTPUT goes out in chunks of 2 CHUNK, split along the second dim too
  const mb = Math.ceil((2 * CHUNK) / 130) + 7, nb = Math.ceil(BIG_OUTPUT / (mb * 130)) + 1;
  const ab = data([nb, mb, 1], 2006), bb = data([nb, 1, 130], 2007);
  const [wb, jb] = both(() => matmul(ab, bb), "mul", `outer [${nb},${mb},1]@[${nb},1,130]`);
  assertSame(wb, jb, `outer [${nb},${mb},1]@[${nb},1,130]`);
  const x = data([3, r, 201], 2003), row = data([3, 1, 201], 2004), col = data([3, r, 1], 2005);
  for (const [label, y] of [["row", row], ["column", col]] as const) {
    const [wa, ja] = both(() => x.add(y), "add", `[3,${r},201] + ${label}`);
    assertSame(wa, ja, `[3,${r},201] + ${label}`);
  }
  const [wt, jt] = both(() => x.permute([0, 2, 1]).neg(), "neg", `neg of permuted [3,${r},201]`);
  assertSame(wt, jt, `neg of permuted [3,${r},201]`);
});

test("transposing copies (contiguous() of transposed, permuted, flipped and sliced views) match the js backend bit for bit", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  const check = (f: () => Tensor, what: string, kernel = "packRows") => {
    const [w, j] = both(f, kernel, what);
    assertSame(w, j, what);
  };
  const specials = [NaN, Infinity, -Infinity, -0, 1e-40];
  // square, ragged (not multiples of 4 or of the 64-wide tiles), thin, and larger than one band (1M elements)
  for (const [m, n] of [[16, 16], [17, 33], [1024, 20], [20, 1030], [300, 257], [1100, 1000]]) {
    const x = data([m, n], m + n, -2, 2, specials, 7);
    check(() => x.T.contiguous(), `[${m},${n}].T`);
    check(() => x.flip(0).T.contiguous(), `[${m},${n}] flipped rows, transposed`);
    check(() => data([m, n + 5], m * n).narrow(1, 2, n).T.contiguous(), `[${m},${n}] sliced from wider rows, transposed`);
  }
  const t = data([6, 40, 50], 11, -2, 2, specials, 5);
  check(() => t.permute([2, 0, 1]).contiguous(), "[6,40,50] permuted to [50,6,40]");
  check(() => t.permute([0, 2, 1]).contiguous(), "[6,40,50] with its last two dims swapped");
  // into part of a larger output: the destination rows are longer than the plane's
  const a = data([40, 30], 12), b = data([40, 30], 13);
  check(() => cat([a.T, b.T], 1), "cat of transposed along columns");
  check(() => stack([a.T, b.T], 1), "stack of transposed along a middle dim");
  // int32 moves the same four bytes
  const ints = fromArray(Array.from({ length: 40 * 30 }, (_, i) => (i * 7919) % 2001 - 1000), [40, 30], "int32");
  check(() => ints.T.contiguous(), "int32 [40,30].T");
  // float64, with bits below float32's reach, through the kernel's 4 x 2 blocks of doubles (odd sides leave single steps)
  for (const [m, n] of [[16, 16], [17, 33], [301, 257], [20, 1030], [1100, 1000]]) {
    const x = data([m, n], 2 * m + n, -2, 2, specials, 7).to("float64").mul(1 + 2 ** -40);
    check(() => x.T.contiguous(), `float64 [${m},${n}].T`, "packRowsF64");
    check(() => x.flip(0).T.contiguous(), `float64 [${m},${n}] flipped rows, transposed`, "packRowsF64");
  }
  check(() => data([6, 40, 50], 14).to("float64").mul(1 + 2 ** -40).permute([2, 0, 1]).contiguous(), "float64 [6,40,50] permuted", "packRowsF64");
});

test("im2col and col2im (unfold and fold), float32 and float64, match the js backend bit for bit", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here: nothing to compare
  // [input shape, unfold params]: padding wider than the kernel reach, strides, dilation, and
  // enough images to take several staging steps
  const cases: [number[], UnfoldParams][] = [
    [[2, 3, 7, 9], { kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 }],
    [[2, 3, 7, 9], { kh: 3, kw: 2, sh: 2, sw: 3, ph: 2, pw: 1, dh: 1, dw: 2 }],
    [[1, 2, 5, 5], { kh: 2, kw: 2, sh: 1, sw: 1, ph: 3, pw: 3, dh: 1, dw: 1 }],
    [[9, 8, 26, 26], { kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 }],
    [[3, 4, 24, 24], { kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1 }],
    // rows of 6 and 7 columns at unit stride: every remainder after whole vectors of 4 floats or 2 doubles
    [[2, 3, 7, 7], { kh: 2, kw: 2, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 }],
    [[2, 3, 8, 8], { kh: 2, kw: 2, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 }],
  ];
  let seed = 3000;
  for (const [shape, p] of cases) {
    const x = data(shape, seed++, -2, 2, [NaN, -0, Infinity], 13);
    const what = `unfold ${JSON.stringify(shape)} ${JSON.stringify(p)}`;
    const [w, j] = both(() => lax.unfold(x, p), "im2col", what);
    assertSame(w, j, what);
    const cols = data([...on("js", () => lax.unfold(x, p)).shape], seed++);
    const foldWhat = `fold of ${what}`;
    const [wf, jf] = both(() => lax.fold(cols, { ...p, h: shape[2], w: shape[3] }), "col2im", foldWhat);
    assertSame(wf, jf, foldWhat);
    // float64, with bits below float32's reach
    const x64 = x.to("float64").mul(1 + 2 ** -40), cols64 = cols.to("float64").mul(1 - 2 ** -40);
    const [w64, j64] = both(() => lax.unfold(x64, p), "f64_im2col", `float64 ${what}`);
    assertSame(w64, j64, `float64 ${what}`);
    const [wf64, jf64] = both(() => lax.fold(cols64, { ...p, h: shape[2], w: shape[3] }), "f64_col2im", `float64 ${foldWhat}`);
    assertSame(wf64, jf64, `float64 ${foldWhat}`);
  }
});

/** The row ops: the public op along the last dim, its kernel's name, and the scale of its errors (from js's result). */
const ROW_OPS: { name: string; op: (v: Tensor) => Tensor; scale: (j: number) => number }[] = [
  // softmax relative to itself; logSoftmax's (x - m) - log s and layerNorm's (x - mean) r relative to their terms
  { name: "softmax", op: (v) => F.softmax(v, -1), scale: Math.abs },
  { name: "logSoftmax", op: (v) => F.logSoftmax(v, -1), scale: (j) => Math.max(Math.abs(j), 1) },
  { name: "layerNorm", op: (v) => F.layerNorm(v, [v.shape[v.ndim - 1]]), scale: (j) => Math.max(Math.abs(j), 1) },
  // with a weight and a bias (seeded rows, the same on both backends): y w + b relative to its terms
  {
    name: "layerNormAffine",
    op: (v) => { const n = v.shape[v.ndim - 1]; return F.layerNorm(v, [n], data([n], 31, -3, 3).to(v.dtype), data([n], 32, -3, 3).to(v.dtype)); },
    scale: (j) => 3 * Math.max(Math.abs(j), 1),
  },
];

/**
 * A row kernel's results w against js's j: the kernels sum in float lanes where js sums in
 * float64, so each result is within a few of its ulps, plus the sum's error (about n / lanes of
 * its ulps), of js's, in units of its `scale`; NaN exactly where js has NaN.
 */
function rowNear(w: number[], j: number[], scale: number[], n: number, eps: number, what: string): void {
  for (let i = 0; i < j.length; i++) {
    if (Number.isNaN(j[i]) || Number.isNaN(w[i])) {
      assert.ok(Number.isNaN(j[i]) && Number.isNaN(w[i]), `${what}: element ${i} is ${w[i]}, js gives ${j[i]}`);
      continue;
    }
    const tol = (8 + n / 2) * eps * scale[i];
    if (!(Math.abs(w[i] - j[i]) <= tol) && w[i] !== j[i]) assert.fail(`${what}: element ${i} is ${w[i]}, js gives ${j[i]} (tolerance ${tol})`);
  }
}

/** Each element's scale: the largest magnitude in its row of t. */
const rowMax = (t: Tensor): number[] => values(t.abs().max(-1, true).expand(t.shape).contiguous());

test("softmax, logSoftmax and layerNorm, and their vjps, match the js backend to float rounding past the SIMD tails, on views and non-finite rows", () => {
  if (!hasWasm) return;
  let seed = 900;
  for (const dtype of ["float32", "float64"] as const) {
    const eps = dtype === "float32" ? 2 ** -23 : 2 ** -52, pre = dtype === "float32" ? "" : "f64_";
    const cast = (t: Tensor): Tensor => (dtype === "float32" ? t : t.double());
    for (const [rows, n] of [[1, 1], [3, 3], [2, 4], [5, 5], [3, 9], [4, 33], [2, 1001]]) {
      const x = cast(data([rows, n], seed++, -6, 6)), g = cast(data([rows, n], seed++));
      const views: [string, Tensor, Tensor][] = [
        ["contiguous", x, g],
        // rows a step apart (the kernels' row stride), and the axis not last (rows copied to unit stride)
        ["sliced columns", cast(data([rows, n + 3], seed++, -6, 6)).narrow(1, 2, n), cast(data([rows, n + 3], seed++)).narrow(1, 1, n)],
        ["transposed", cast(data([n, rows], seed++, -6, 6)).T, cast(data([n, rows], seed++)).T],
      ];
      for (const [label, xv, gv] of views) {
        for (const { name, op, scale } of ROW_OPS) {
          const what = `${dtype} ${name} of ${label} [${rows},${n}]`;
          const [w, j] = both(() => op(xv), `${pre}${name}Rows`, what);
          rowNear(w, j, j.map(scale), n, eps, what);
          const [wb, jb] = both(() => vjp(op, xv)[1](gv)[0] as Tensor, `${pre}${name}BackwardRows`, `${what}, vjp`);
          // the vjps' terms cancel: relative to the row's largest cotangent (layerNorm's times r, so its largest result)
          const s = name.startsWith("layerNorm") ? rowMax(fromArray(jb, [rows, n])) : rowMax(gv);
          rowNear(wb, jb, s, n, eps, `${what}, vjp`);
        }
      }
    }
  }
  // non-finite rows, the special value in a vector and in the scalar tail: NaN where js has NaN
  for (const special of [Infinity, -Infinity, NaN]) {
    for (const at of [1, 8]) {
      const v = values(data([3, 9], seed++));
      v[at] = special;
      v[9 + 1] = v[9 + 8] = -Infinity;
      v.fill(-Infinity, 18, 27);
      const x = fromArray(v, [3, 9], "float32");
      for (const { name, op } of ROW_OPS) {
        const [w, j] = both(() => op(x), `${name}Rows`, `${special} at ${at}`);
        assertSame(w.map((a) => (Number.isFinite(a) ? 0 : a)), j.map((a) => (Number.isFinite(a) ? 0 : a)), `${name} with ${special} at ${at}: non-finite elements`);
      }
    }
  }
  // vmap of a vjp over cotangents: the input unbatched, read by every row (its row step 0)
  const x = data([6, 37], seed++), G = data([5, 6, 37], seed++);
  for (const { name, op } of ROW_OPS) {
    const [w, j] = both(() => vmap((gg: Tensor) => vjp(op, x)[1](gg)[0] as Tensor)(G) as Tensor, `${name}BackwardRows`, "vmap over cotangents");
    rowNear(w, j, j.map(() => 3), 37, 2 ** -23, `vmap over cotangents (${name})`);
  }
});

test("crossEntropy's fused logSoftmaxGather and its vjp match the js backend past the SIMD tails, on views, batched targets and non-finite rows", () => {
  if (!hasWasm) return;
  let seed = 1900;
  const targets = (rows: number, n: number): Tensor => tensor(Array.from({ length: rows }, (_, i) => (i * 7 + seed) % n), { dtype: "int32" });
  const none = { reduction: "none" } as const;
  for (const dtype of ["float32", "float64"] as const) {
    const eps = dtype === "float32" ? 2 ** -23 : 2 ** -52, pre = dtype === "float32" ? "" : "f64_";
    const cast = (t: Tensor): Tensor => (dtype === "float32" ? t : t.double());
    // the last past a staging chunk
    for (const [rows, n] of [[1, 1], [3, 3], [2, 4], [5, 5], [3, 9], [4, 33], [2, 1001], [300, 1001]]) {
      const t = targets(rows, n), g = cast(data([rows], seed++));
      const views: [string, Tensor][] = [
        ["contiguous", cast(data([rows, n], seed++, -6, 6))],
        ["sliced columns", cast(data([rows, n + 3], seed++, -6, 6)).narrow(1, 2, n)],
        // classes not of unit stride: copied to rows first
        ["transposed", cast(data([n, rows], seed++, -6, 6)).T],
      ];
      for (const [label, x] of views) {
        const what = `${dtype} crossEntropy of ${label} [${rows},${n}]`;
        const [w, j] = both(() => F.crossEntropy(x, t, none), `${pre}logSoftmaxGatherRows`, what);
        rowNear(w, j, j.map((v) => Math.max(Math.abs(v), 1)), n, eps, what);
        const [wb, jb] = both(() => vjp((v: Tensor) => F.crossEntropy(v, t, none), x)[1](g)[0] as Tensor, `${pre}logSoftmaxGatherBackwardRows`, `${what}, vjp`);
        rowNear(wb, jb, rowMax(g.unsqueeze(1).expand([rows, n])), n, eps, `${what}, vjp`);
      }
    }
  }
  // non-finite logits, in a vector and in the scalar tail, at the target and elsewhere: NaN where js has NaN
  for (const special of [Infinity, -Infinity, NaN]) {
    for (const at of [1, 8]) {
      const v = values(data([3, 9], seed++));
      v[at] = v[9 + at] = special;
      const x = fromArray(v, [3, 9], "float32"), t = tensor([at, 0, 4], { dtype: "int32" });
      const [w, j] = both(() => F.crossEntropy(x, t, none), "logSoftmaxGatherRows", `${special} at ${at}`);
      assertSame(w.map((a) => (Number.isFinite(a) ? 0 : a)), j.map((a) => (Number.isFinite(a) ? 0 : a)), `crossEntropy with ${special} at ${at}: non-finite elements`);
      const [wb, jb] = both(() => vjp((u: Tensor) => F.crossEntropy(u, t, none), x)[1](tensor([1, -2, 0.5]))[0] as Tensor, "logSoftmaxGatherBackwardRows", `${special} at ${at}, vjp`);
      assertSame(wb.map((a) => (Number.isFinite(a) ? 0 : a)), jb.map((a) => (Number.isFinite(a) ? 0 : a)), `crossEntropy's vjp with ${special} at ${at}: non-finite elements`);
    }
  }
  // per-sample gradients: the logits unbatched (read by every row with step 0) and the targets batched, and the other way round
  const x = data([6, 37], seed++), T = tensor(Array.from({ length: 30 }, (_, i) => (i * 11) % 37), { dtype: "int32" }).reshape([5, 6]);
  const X = data([5, 6, 37], seed++), t = T.select(0, 2);
  const perSample = (xx: Tensor, tt: Tensor): Tensor => vjp((v: Tensor) => F.crossEntropy(v, tt), xx)[1](tensor(1))[0] as Tensor;
  for (const [label, f] of [["targets batched", () => vmap((tt: Tensor) => perSample(x, tt))(T)], ["logits batched", () => vmap((xx: Tensor) => perSample(xx, t))(X)]] as const) {
    const [w, j] = both(f as () => Tensor, "logSoftmaxGatherBackwardRows", label);
    rowNear(w, j, j.map(() => 1), 37, 2 ** -23, label);
  }
  const [w, j] = both(() => vmap((tt: Tensor) => F.crossEntropy(x, tt, none))(T) as Tensor, "logSoftmaxGatherRows", "the losses, targets batched");
  rowNear(w, j, j.map((v) => Math.max(Math.abs(v), 1)), 37, 2 ** -23, "the losses, targets batched");
});

test("float32 softmax on the wasm backend is within a few ulps of softmax in float64", () => {
  if (!hasWasm) return;
  const x = data([16, 1000], 977, -8, 8);
  const got = values(on("wasm", () => F.softmax(x, 1)));
  const xv = values(x);
  for (let r = 0; r < 16; r++) {
    const row = xv.slice(r * 1000, (r + 1) * 1000), m = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
    // the float lanes' sum of 1000 terms: well within 64 ulps
    row.forEach((v, i) => assertNear([got[r * 1000 + i]], [Math.exp(v - m) / z], 64 * 2 ** -24, `row ${r}, element ${i}`, 0));
  }
});
