// argmax and argmin against a plain-loop reference written here (float64 comparisons): the
// index of the first extreme, where a NaN counts as the extreme and the first NaN wins, and a tie
// (-0 against +0 included) keeps the earlier element. Checked on the wasm kernels themselves (on
// the scratch memory), on both backends' reduce (the js fast path for one strided run, the js
// generic loop, the wasm dispatch to rows and columns kernels with its staging in chunks) and
// through the public API. Every value pattern lands on every SIMD lane and in the scalar tails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, argmax, argmin, backendNames, getBackend, setBackend } from "../src/index.js";
import type { StridedArray } from "../src/backend/backend.js";
import { jsBackend } from "../src/backend/js/index.js";
import { wasmBackend } from "../src/backend/wasm/index.js";
import { heapF32, heapI32, heapKernels, markScratch, popScratch, pushScratch } from "../src/backend/wasm/heap.js";
import { wasmSettings } from "../src/backend/wasm/settings.js";
import { CHUNK_BYTES } from "../src/backend/wasm/simd.js";
import { fromArray, numel, uniformStream, values } from "./helpers/check.js";

/** A chunk in float32 elements. */
const CHUNK = CHUNK_BYTES / 4;

// SIMD is always there on Node 20; without it there is no wasm backend and only js is checked.
const hasWasm = backendNames().includes("wasm");
const OPS = ["argmax", "argmin"] as const;
type ArgOp = (typeof OPS)[number];
type ArgKernel = "argmaxRows" | "argminRows" | "argmaxCols" | "argminCols";
const ARG_KERNELS: ArgKernel[] = ["argmaxRows", "argminRows", "argmaxCols", "argminCols"];

/** Calls per arg kernel, counted by wrapping the kernel instance's functions. */
const calls = new Map<string, number>();
if (hasWasm) {
  const k = heapKernels() as unknown as Record<string, (...a: number[]) => void>;
  for (const name of ARG_KERNELS) {
    const f = k[name];
    k[name] = (...a: number[]) => { calls.set(name, (calls.get(name) ?? 0) + 1); f(...a); };
  }
}
const callCount = (name: string): number => calls.get(name) ?? 0;

/** The position of the first extreme of vals: a plain loop, independent of tfunc. */
function firstExtreme(op: ArgOp, vals: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i], b = vals[best];
    if (Number.isNaN(v)) return i;
    if (op === "argmax" ? v > b : v < b) best = i;
  }
  return best;
}

type Pattern = (m: number, u: () => number) => number[];
const fill = <T = number>(m: number, f: (i: number) => T): T[] => {
  const out = new Array<T>(m);
  for (let i = 0; i < m; i++) out[i] = f(i);
  return out;
};
const pick = (u: () => number, choices: number[]): number => choices[Math.floor(u() * choices.length)];
const withAt = (xs: number[], at: number[], v: number): number[] => { for (const i of at) xs[i] = v; return xs; };
const random: Pattern = (m, u) => fill(m, () => 4 * u() - 2);

/** Blocks of m values, each a hard case for argmax or argmin. An odd count, so that cycling them over columns puts each on every lane. */
const PATTERNS: [string, Pattern][] = [
  ["random", random],
  // few distinct values: ties everywhere, zeros of either sign
  ["few values", (m, u) => fill(m, () => pick(u, [-1, -0, 0, 1]))],
  ["zeros and negatives", (m, u) => fill(m, () => pick(u, [-0, 0, -1]))],
  ["zeros and positives", (m, u) => fill(m, () => pick(u, [-0, 0, 1]))],
  ["+0 after -0", (m) => fill(m, (i) => (i === m - 1 ? 0 : -0))],
  ["NaN first", (m, u) => withAt(random(m, u), [0], NaN)],
  ["NaN in the middle", (m, u) => withAt(random(m, u), [m >> 1], NaN)],
  ["NaN last", (m, u) => withAt(random(m, u), [m - 1], NaN)],
  ["NaNs among ties", (m, u) => fill(m, () => pick(u, [NaN, -1, 0, 1, 1]))],
  ["infinities", (m, u) => fill(m, () => pick(u, [Infinity, -Infinity, 1, -1, Infinity, -Infinity]))],
  ["all -Infinity", (m) => fill(m, () => -Infinity)],
  ["all +Infinity", (m) => fill(m, () => Infinity)],
  ["ascending", (m) => fill(m, (i) => i)],
  ["descending", (m) => fill(m, (i) => -i)],
  // the extremes twice each, at positions that usually fall in different lanes
  ["extremes tied far apart", (m, u) => {
    const xs = fill(m, () => 2 * u() - 1);
    const at = (): number => Math.floor(u() * m);
    return withAt(withAt(xs, [at(), at()], 3), [at(), at()], -3);
  }],
];

/** B blocks of m values, block b of pattern (b + shift) mod the pattern count; concatenated. */
function blocks(B: number, m: number, seed: number, shift = 0): number[] {
  const u = uniformStream(seed);
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (const v of PATTERNS[(b + shift) % PATTERNS.length][1](m, u)) out.push(v);
  return out;
}

/** The reference result of reducing x's trailing nReduced dims, walked by index arithmetic. */
function referenceReduce(op: ArgOp, x: StridedArray, nReduced: number): number[] {
  const r = x.shape.length - nReduced;
  const outer = x.shape.slice(0, r), inner = x.shape.slice(r);
  const offsetOf = (shape: readonly number[], strides: readonly number[], i: number): number => {
    let off = 0;
    for (let d = shape.length - 1; d >= 0; d--) { off += (i % shape[d]) * strides[d]; i = Math.floor(i / shape[d]); }
    return off;
  };
  const outerStrides = x.strides.slice(0, r), innerStrides = x.strides.slice(r);
  const innerOffsets = fill(numel(inner), (i) => offsetOf(inner, innerStrides, i));
  return fill(numel(outer), (o) => {
    const base = x.offset + offsetOf(outer, outerStrides, o);
    return firstExtreme(op, innerOffsets.map((off) => x.data[base + off]));
  });
}

function assertIndices(got: ArrayLike<number>, want: readonly number[], what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) assert.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
}

// ---- the wasm kernels on the scratch memory ----

/** Runs `call` with `input` copied into the scratch memory and an int32 output of `count` poisoned elements, returns the output. */
function onScratch(input: number[], count: number, call: (x: number, o: number) => void): number[] {
  const mark = markScratch();
  try {
    const x = pushScratch(input.length * 4), o = pushScratch(count * 4);
    heapF32().set(input, x / 4);
    heapI32().fill(-77, o / 4, o / 4 + count);
    call(x, o);
    return Array.from(heapI32().subarray(o / 4, o / 4 + count));
  } finally {
    popScratch(mark);
  }
}

test("the argmax and argmin rows kernels match the reference on every pattern, lane and tail", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here
  const k = heapKernels();
  for (const op of OPS) {
    const kernel = op === "argmax" ? k.argmaxRows : k.argminRows;
    for (const [name, pattern] of PATTERNS) {
      for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 37, 67]) {
        // rows padded with NaN (which would win if read) up to a step of n + 3
        const count = 5, step = n + 3, u = uniformStream(n * 31 + name.length);
        const rows = fill(count, () => pattern(n, u));
        const got = onScratch(rows.flatMap((row) => [...row, NaN, NaN, NaN]), count, (x, o) => kernel(x, step, n, count, o));
        assertIndices(got, rows.map((row) => firstExtreme(op, row)), `${op}Rows ${name} n=${n}`);
      }
    }
  }
});

test("the argmax and argmin columns kernels match the reference on every pattern, lane and tail", () => {
  if (!hasWasm) return assert.ok(true); // no wasm backend here
  const k = heapKernels();
  for (const op of OPS) {
    const kernel = op === "argmax" ? k.argmaxCols : k.argminCols;
    for (const [name, pattern] of PATTERNS) {
      for (const rows of [1, 2, 5, 37]) {
        for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13]) {
          // n columns of `pattern` down the rows, padded with NaN columns up to a step of n + 2
          const step = n + 2, u = uniformStream(rows * 131 + n * 7 + name.length);
          const cols = fill(n, () => pattern(rows, u));
          const input = fill(rows * step, (i) => (i % step < n ? cols[i % step][Math.floor(i / step)] : NaN));
          const got = onScratch(input, n, (x, o) => kernel(x, step, rows, n, o));
          assertIndices(got, cols.map((col) => firstExtreme(op, col)), `${op}Cols ${name} rows=${rows} n=${n}`);
        }
      }
    }
  }
});

// ---- both backends' reduce on strided layouts ----

/**
 * B blocks of m logical values laid out in memory by `layout`, as the StridedArray that
 * runReduce hands the backend (kept dims first, the reduced ones last), with the arg kernel
 * family the wasm backend should run when B > 1 and m > 1 (null: the js code).
 */
interface Layout {
  name: string;
  build(L: number[], B: number, m: number): { x: StridedArray; nReduced: number };
  family: "Rows" | "Cols" | null;
}

const f32 = (n: number, f: (i: number) => number): Float32Array => Float32Array.from(fill(n, f));
/** B as a product of two factors, the second small but > 1 where B allows ([1, B] for a prime) */
const split = (B: number): [number, number] => { const b2 = [7, 6, 5, 4, 3, 2].find((d) => B % d === 0 && B > d) ?? B; return [B / b2, b2]; };

const LAYOUTS: Layout[] = [
  { name: "rows", family: "Rows", build: (L, B, m) => ({ x: { data: Float32Array.from(L), shape: [B, m], strides: [m, 1], offset: 0 }, nReduced: 1 }) },
  {
    // each row inside NaN padding: a read outside the view would win
    name: "sliced rows", family: "Rows",
    build: (L, B, m) => ({ x: { data: f32(B * (m + 3), (i) => (i % (m + 3) >= 2 && i % (m + 3) < m + 2 ? L[Math.floor(i / (m + 3)) * m + i % (m + 3) - 2] : NaN)), shape: [B, m], strides: [m + 3, 1], offset: 2 }, nReduced: 1 }),
  },
  {
    // two reduced dims that coalesce into one run
    name: "rows over two dims", family: "Rows",
    build: (L, B, m) => { const [m1, m2] = split(m); return { x: { data: Float32Array.from(L), shape: [B, m1, m2], strides: [m, m2, 1], offset: 0 }, nReduced: 2 }; },
  },
  // the block b of L is column b: a transpose, reduced over its second dim
  { name: "columns (transposed)", family: "Cols", build: (L, B, m) => ({ x: { data: f32(B * m, (i) => L[(i % B) * m + Math.floor(i / B)]), shape: [B, m], strides: [1, B], offset: 0 }, nReduced: 1 }) },
  {
    // columns of a wider matrix, one row down, inside NaN padding
    name: "sliced columns", family: "Cols",
    build: (L, B, m) => {
      const w = B + 5, data = new Float32Array((m + 2) * w).fill(NaN);
      for (let b = 0; b < B; b++) for (let i = 0; i < m; i++) data[(i + 1) * w + 2 + b] = L[b * m + i];
      return { x: { data, shape: [B, m], strides: [1, w], offset: w + 2 }, nReduced: 1 };
    },
  },
  {
    // the pooling layout: [B1, m, B2] reduced over its middle dim, permuted to [B1, B2, m]
    name: "permuted 3-d", family: "Cols",
    build: (L, B, m) => {
      const [B1, B2] = split(B), data = new Float32Array(B * m);
      for (let b1 = 0; b1 < B1; b1++) for (let i = 0; i < m; i++) for (let b2 = 0; b2 < B2; b2++) data[(b1 * m + i) * B2 + b2] = L[(b1 * B2 + b2) * m + i];
      return { x: { data, shape: [B1, B2, m], strides: [m * B2, 1, B2], offset: 0 }, nReduced: 1 };
    },
  },
  {
    // a flipped transpose: the columns walked upwards (a negative step)
    name: "flipped columns", family: "Cols",
    build: (L, B, m) => ({ x: { data: f32(B * m, (i) => L[(i % B) * m + m - 1 - Math.floor(i / B)]), shape: [B, m], strides: [1, -B], offset: (m - 1) * B }, nReduced: 1 }),
  },
  {
    // reduced dims that do not coalesce ([m1, m2] stored transposed): the js backend's generic loop
    name: "two reduced dims transposed", family: null,
    build: (L, B, m) => {
      const [m1, m2] = split(m), data = new Float32Array(B * m);
      for (let b = 0; b < B; b++) for (let i = 0; i < m1; i++) for (let j = 0; j < m2; j++) data[b * m + j * m1 + i] = L[b * m + i * m2 + j];
      return { x: { data, shape: [B, m1, m2], strides: [m, 1, m1], offset: 0 }, nReduced: 2 };
    },
  },
];

/** Both backends' reduce of x, checked against the reference; on wasm, that `family` ran (when not null). */
function checkBackends(op: ArgOp, x: StridedArray, nReduced: number, family: "Rows" | "Cols" | null, what: string): void {
  const want = referenceReduce(op, x, nReduced);
  const run = (reduce: typeof jsBackend.reduce): Int32Array => {
    const out = new Int32Array(want.length).fill(-77);
    reduce(op, x, nReduced, out);
    return out;
  };
  assertIndices(run(jsBackend.reduce), want, `${what} on js`);
  if (!hasWasm) return;
  const kernel = family && `${op}${family}`, before = kernel ? callCount(kernel) : 0;
  const prevMin = wasmSettings.minKernelElements;
  wasmSettings.minKernelElements = 0;
  try { assertIndices(run(wasmBackend.reduce), want, `${what} on wasm`); } finally { wasmSettings.minKernelElements = prevMin; }
  if (kernel) assert.ok(callCount(kernel) > before, `${what}: the ${kernel} kernel did not run`);
}

test("both backends' argmax and argmin match the reference on rows, columns and views", () => {
  // 4 * patterns + 3 columns: with an odd pattern count, each pattern lands on all four lanes
  for (const B of [1, 2, 5, 37, 4 * PATTERNS.length + 3]) {
    for (const m of [1, 2, 3, 4, 5, 7, 8, 9, 12, 37]) {
      const L = blocks(B, m, B * 1000 + m);
      for (const layout of LAYOUTS) {
        const { x, nReduced } = layout.build(L, B, m);
        // a size-1 dim drops out of the layout, and then the run may be a row either way
        const family = B > 1 && m > 1 ? layout.family : null;
        for (const op of OPS) checkBackends(op, x, nReduced, family, `${op} ${layout.name} B=${B} m=${m}`);
      }
    }
  }
});

const layout = (name: string): Layout => LAYOUTS.find((l) => l.name === name)!;
const patternIndex = (name: string): number => PATTERNS.findIndex(([n]) => n === name);

test("argmax and argmin staged in several chunks, and a block longer than a chunk", () => {
  // [label, B, m, layout, the patterns of the first block]: many blocks cycle through all
  // patterns; a block longer than a chunk is one pattern, so it takes several runs
  const all = [0], long = ["few values", "+0 after -0", "NaN in the middle", "NaNs among ties", "extremes tied far apart"].map(patternIndex);
  const cases: [string, number, number, Layout, number[]][] = [
    ["rows in chunks", 700, 1001, layout("rows"), all],
    ["columns in chunks", 2001, 300, layout("columns (transposed)"), all],
    ["permuted in chunks", 701 * 7, 60, layout("permuted 3-d"), all],
    ["one block longer than a chunk", 1, CHUNK + 1001, layout("rows"), long],
    // staged, each column would copy the whole matrix: the wasm backend leaves it to the js code
    ["columns longer than a chunk", 5, CHUNK + 3, { ...layout("columns (transposed)"), family: null }, [patternIndex("few values")]],
  ];
  for (const [name, B, m, lay, shifts] of cases) {
    assert.ok(B * m > CHUNK, `${name}: not bigger than a chunk`);
    for (const shift of shifts) {
      const L = blocks(B, m, B + m + shift, shift);
      const { x, nReduced } = lay.build(L, B, m);
      const before = callCount("argmaxCols");
      for (const op of OPS) checkBackends(op, x, nReduced, lay.family, `${op} ${name} (${PATTERNS[shift][0]} first)`);
      // a plane of columns is one kernel call per chunk: several calls, several chunks
      if (hasWasm && lay.name === "columns (transposed)" && B > 1000) assert.ok(callCount("argmaxCols") - before >= Math.ceil(B * m / CHUNK), `${name}: staged in fewer chunks than expected`);
    }
  }
});

// ---- the public API ----

/** f's result on backend `name` (every SIMD kernel enabled); the previous backend and threshold come back after. */
function on(name: string, f: () => Tensor): Tensor {
  const prev = getBackend(), prevMin = wasmSettings.minKernelElements;
  setBackend(name);
  wasmSettings.minKernelElements = 0;
  try { return f(); } finally { setBackend(prev); wasmSettings.minKernelElements = prevMin; }
}

/** The reference argmax (argmin) of a tensor's logical values v along dim, or over all of them (dim null). */
function referenceTensor(op: ArgOp, x: Tensor, v: number[], dim: number | null): number[] {
  if (dim === null) return [firstExtreme(op, v)];
  const shape = x.shape, size = shape[dim], inner = numel(shape.slice(dim + 1)), outer = numel(shape.slice(0, dim));
  return fill(outer * inner, (o) => firstExtreme(op, fill(size, (i) => v[(Math.floor(o / inner) * size + i) * inner + o % inner])));
}

test("tf.argmax and tensor.argmax / argmin match the reference through the public API", () => {
  const B = 4 * PATTERNS.length + 3;
  const views: [string, () => Tensor, number | null][] = [];
  for (const m of [1, 3, 4, 5, 9, 37]) {
    const L = blocks(B, m, m + 7);
    const x = fromArray(L, [B, m], "float32");
    views.push(
      [`[${B},${m}] dim 1`, () => x, 1], [`[${B},${m}] dim -1`, () => x, -1], [`[${m},${B}] (transposed) dim 0`, () => x.T, 0],
      [`[${B},${m}] flattened`, () => x, null],
      // the transpose stored contiguously: columns of a contiguous matrix
      [`contiguous [${m},${B}] dim 0`, () => x.T.contiguous(), 0],
      [`sliced [${B - 4},${m}] dim 1`, () => x.narrow(0, 2, B - 4), 1],
      [`flipped [${m},${B}] dim 0`, () => x.T.flip(0), 0],
    );
  }
  // the pooling layout [N, window, C] reduced over the window, and permuted views of it
  const pool = fromArray(blocks(37 * 4, 9, 99), [37, 4, 9], "float32");
  views.push(["[37,4,9] dim 1", () => pool, 1], ["permuted [4,9,37] dim 2", () => pool.permute([1, 2, 0]), 2], ["permuted [9,37,4] dim 0", () => pool.permute([2, 0, 1]), 0]);
  // bigger than a staging chunk
  const big = fromArray(blocks(700, 1001, 5), [700, 1001], "float32");
  views.push(["[700,1001] dim 1", () => big, 1], ["[1001,700] (transposed) dim 0", () => big.T, 0], ["[700,1001] flattened", () => big, null]);
  // other dtypes take the js code on either backend
  views.push(["float64 [61,9] dim 1", () => fromArray(blocks(61, 9, 3), [61, 9], "float64"), 1]);
  views.push(["int32 [61,9] dim 0", () => fromArray(fill(61 * 9, (i) => (i * 7) % 5), [61, 9], "int32"), 0]);

  const backends = hasWasm ? ["wasm", "js"] : ["js"];
  for (const [label, view, dim] of views) {
    const x = view(), v = values(x);
    const axis = dim === null ? null : (dim + x.ndim) % x.ndim;
    for (const op of OPS) {
      const want = referenceTensor(op, x, v, axis);
      for (const keepdim of [false, true]) {
        const wantShape = axis === null ? (keepdim ? x.shape.map(() => 1) : []) : x.shape.map((s, d) => (d === axis ? 1 : s)).filter((_, d) => keepdim || d !== axis);
        for (const name of backends) {
          const what = `${op} ${label}${keepdim ? " keepdim" : ""} on ${name}`;
          // tf.argmax(x, dim, keepdim) and the tensor method, which leaves keepdim out
          const got = on(name, () => (keepdim ? (op === "argmax" ? argmax : argmin)(x, dim, true) : x[op](dim)));
          assert.deepEqual(got.shape, wantShape, `${what}: shape`);
          assert.equal(got.dtype, "int32", `${what}: dtype`);
          assertIndices(values(got), want, what);
        }
      }
    }
  }
});
