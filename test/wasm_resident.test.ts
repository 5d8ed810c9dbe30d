// Mirrors of created tensors in the wasm kernels' memory (src/backend/wasm/resident.ts): the
// kernels read a created tensor's mirror instead of a staged copy, so a mirror that outlives a
// write into its array, or that another array's mirror overwrote, gives wrong values. These
// cases write, evict and slice, and check every result against float64 loops over the values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { backendNames, getBackend, nn, optim, setBackend, tensor, type Tensor } from "../src/index.js";
import { MIRROR_BYTES } from "../src/backend/wasm/heap.js";
import { mirrorAddresses } from "../src/backend/wasm/resident.js";
import { assertNear, uniformStream } from "./helpers/check.js";

/** The address of data's mirror in the kernels' memory (mirroring it now if it can), or -1. */
const mirrorAddress = (data: Float32Array | Float64Array): number => mirrorAddresses([data])[0];

/** Runs f on the wasm backend (the mirrors are its own), whichever backend the suite runs on. */
function onWasm(f: () => void): void {
  // SIMD is always there on Node 20; without it there is no wasm backend and nothing to mirror
  if (!backendNames().includes("wasm")) return;
  const prev = getBackend();
  setBackend("wasm");
  try { f(); } finally { setBackend(prev); }
}

/** Checks every element of t against expected(i), computed in float64 from the inputs' values. */
function check(t: Tensor, expected: (i: number) => number, what: string, tol = 1e-6): void {
  const got = t.toTypedArray();
  assertNear(got, Float64Array.from({ length: got.length }, (_, i) => expected(i)), tol, what);
}

const randomArray = (n: number, seed: number): Float32Array => {
  const next = uniformStream(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
};

test("a created tensor is mirrored once and read from its mirror; an op's result and a too-large array are not", () => onWasm(() => {
  const x = tensor(randomArray(4096, 1));
  x.mul(2);
  const data = x.contiguousData() as Float32Array;
  const addr = mirrorAddress(data);
  assert.ok(addr >= 0, "the created tensor was not mirrored");
  assert.equal(mirrorAddress(data), addr);
  assert.equal(mirrorAddress(x.mul(2).contiguousData() as Float32Array), -1);
  assert.equal(mirrorAddress(tensor(new Float32Array(MIRROR_BYTES / 4 / 4 + 4)).contiguousData() as Float32Array), -1);
}));

test("writes in place (copyInto_, an initialiser, an optimizer step) are seen by the next kernel", () => onWasm(() => {
  const n = 3000;
  const a = randomArray(n, 2), b = randomArray(n, 3), c = randomArray(n, 4);
  const x = tensor(a), y = tensor(b);
  check(x.mul(y), (i) => a[i] * b[i], "x * y");
  nn.init.copyInto_(x, tensor(c));
  check(x.mul(y), (i) => c[i] * b[i], "x * y after copyInto_");
  nn.init.constant_(x, 0.5);
  check(x.mul(y), (i) => 0.5 * b[i], "x * y after constant_");

  // an SGD step writes p - lr * grad into p's own storage
  const p = new nn.Parameter(tensor(a));
  check(p.mul(y), (i) => a[i] * b[i], "p * y");
  p.grad = tensor(c);
  new optim.SGD([p], { lr: 0.25 }).step();
  check(p.mul(y), (i) => Math.fround(a[i] - Math.fround(0.25 * c[i])) * b[i], "p * y after a step");
}));

test("writes straight into a tensor's data, held on to between ops, are seen by every later kernel", () => onWasm(() => {
  // a finite-difference loop: the array is fetched once, then written and read by turns
  for (const Floats of [Float32Array, Float64Array]) {
    const n = 3000;
    const a = Floats.from(randomArray(n, 5)), b = Floats.from(randomArray(n, 6));
    const x = tensor(a), y = tensor(b);
    check(x.mul(y), (i) => a[i] * b[i], `${Floats.name}: x * y, mirrored`);
    assert.ok(mirrorAddress(x.storage as Float32Array) >= 0, "x was not mirrored");
    const data = x.data as Float32Array | Float64Array;
    assert.equal(mirrorAddress(x.storage as Float32Array), -1, "x is still mirrored after its data was handed out");
    for (const [i, value] of [[0, 7], [1234, -3], [0, 2]]) {
      data[i] = value;
      const want = Floats.from(a);
      want.set(data.subarray(0, 1235));
      check(x.mul(y), (k) => want[k] * b[k], `${Floats.name}: x * y after data[${i}] = ${value}`);
    }
  }
}));

test("mirrors evicted by newer ones are copied again, not read stale, in any order of use", () => onWasm(() => {
  // twelve arrays of 4, 5.2 and 6.4 MB cycle through the 32 MB region several times, each pass
  // wrapping at another place, so some wraps leave older mirrors past the wrap point
  const count = 12;
  const arrays = Array.from({ length: count }, (_, i) => randomArray(2 ** 20 + (i % 3) * 300000, 10 + i));
  const tensors = arrays.map((a) => tensor(a));
  const order = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 5, 11, 3, 3, 8, 1, 10, 2, 7, 6, 9, 4, 0];
  for (const i of order) {
    const j = (i + 3) % count;
    check(tensors[i].mul(tensors[j]), (k) => arrays[i][k] * arrays[j][k], `x${i} * x${j}`);
  }
  // a pass of 1 MB mirrors round the whole region, then one of 7 MB mirrors, which wraps before
  // reaching the last small ones: those must go at the wrap, or the next pass overwrites big
  // mirrors still taken as valid
  const sizes = [...new Array(32).fill(2 ** 18), ...new Array(5).fill(7 * 2 ** 18)];
  const more = sizes.map((n, i) => randomArray(n, 40 + i));
  const moreTensors = more.map((a) => tensor(a));
  for (const i of [...sizes.keys(), 32, 33, 34, 35, 36]) check(moreTensors[i].neg(), (k) => -more[i][k], `-y${i}`);
}));

test("views into a mirrored tensor (slices, transposes, broadcasts) read the right elements", () => onWasm(() => {
  const rows = 48, cols = 70;
  const a = randomArray(rows * cols, 30);
  const at = (r: number, c: number) => a[r * cols + c];
  const x = tensor(a).reshape([rows, cols]);
  x.add(1);
  check(x.narrow(0, 5, 20).narrow(1, 3, 40).mul(3), (i) => 3 * at(5 + Math.floor(i / 40), 3 + (i % 40)), "a slice");
  check(x.T.mul(x.T), (i) => at(i % rows, Math.floor(i / rows)) ** 2, "a transpose");
  check(x.narrow(1, 7, 1).mul(x), (i) => at(Math.floor(i / cols), 7) * a[i], "a broadcast column");
}));

test("matmuls pack mirrored operands in place: row panels, columns close together and far apart, after a write (float32 and float64)", () => onWasm(() => {
  // A [64, 300] (two blocks of K; whole row panels), used whole and as a slice of its columns;
  // B [300, 64] (lines of one k close together) and B' a slice of [300, 200] (lines far apart)
  const M = 64, K = 300, N = 64, W = 200;
  for (const Floats of [Float32Array, Float64Array]) {
    // float32 values: their products need 48 bits, which a float32 product in the float64 gemm would round away
    const random = (n: number, seed: number) => Floats.from(randomArray(n, seed));
    const a = random(M * K, 50), b = random(K * N, 51), wide = random(K * W, 52), a2 = random(M * K, 53);
    const A = tensor(a).reshape([M, K]), B = tensor(b).reshape([K, N]), Wide = tensor(wide).reshape([K, W]);
    const product = (x: (i: number, k: number) => number, y: (k: number, j: number) => number, kc: number, n: number) => (i: number) => {
      let s = 0;
      for (let k = 0; k < kc; k++) s += x(Math.floor(i / n), k) * y(k, i % n);
      return s;
    };
    const tol = Floats === Float32Array ? 1e-6 : 1e-13;
    const aAt = (src: Float32Array | Float64Array) => (i: number, k: number) => src[i * K + k];
    check(A.matmul(B), product(aAt(a), (k, j) => b[k * N + j], K, N), `${Floats.name}: A @ B`, tol);
    check(A.matmul(Wide.narrow(1, 30, N)), product(aAt(a), (k, j) => wide[k * W + 30 + j], K, N), `${Floats.name}: A @ a slice of a wide B`, tol);
    check(A.narrow(1, 7, 250).matmul(B.narrow(0, 0, 250)), product((i, k) => a[i * K + 7 + k], (k, j) => b[k * N + j], 250, N), `${Floats.name}: a column slice of A`, tol);
    check(A.matmul(B.flip(0)), product(aAt(a), (k, j) => b[(K - 1 - k) * N + j], K, N), `${Floats.name}: A @ B flipped along k`, tol);
    check(A.flip(0).matmul(B), product((i, k) => a[(M - 1 - i) * K + k], (k, j) => b[k * N + j], K, N), `${Floats.name}: A flipped along rows @ B`, tol);
    nn.init.copyInto_(A, tensor(a2).reshape([M, K]));
    check(A.matmul(B), product(aAt(a2), (k, j) => b[k * N + j], K, N), `${Floats.name}: A @ B after copyInto_`, tol);
  }
}));

test("a weight used with a fresh batch at every step keeps its mirror while the batch's is made (elementwise ops and matmuls)", () => onWasm(() => {
  // The batches' new mirrors go round the region, and at every pass one of them lands on the
  // weight's mirror, which is the oldest by then though the same call reads it: the batch's
  // mirror must not overwrite it then.
  const n = 2 ** 16; // 256 KB a batch: 128 of them go round the region
  const w = randomArray(n, 60), W = tensor(w), v = randomArray(n, 63);
  for (let step = 0; step < 150; step++) {
    const scale = 1 + (step % 5);
    const x = tensor(v.map((e) => e * scale));
    check(W.mul(x), (i) => w[i] * Math.fround(v[i] * scale), `step ${step}: W * x`);
  }
  // A [64, 256] @ B [256, 1024] with a fresh B of 1 MB at every step (32 go round the region): B is A scaled by a power
  // of two, which scales the product exactly
  const M = 64, K = 256, N = 1024;
  const a = randomArray(M * K, 61), b = randomArray(K * N, 62), A = tensor(a).reshape([M, K]);
  const first = A.matmul(tensor(b).reshape([K, N]));
  check(first, (i) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[Math.floor(i / N) * K + k] * b[k * N + (i % N)];
    return s;
  }, "A @ B", 1e-5);
  const product = first.toTypedArray();
  for (let step = 0; step < 40; step++) {
    const scale = 2 ** ((step % 5) - 2);
    check(A.matmul(tensor(b.map((v) => v * scale)).reshape([K, N])), (i) => product[i] * scale, `step ${step}: A @ (B * ${scale})`, 0);
  }
}));
