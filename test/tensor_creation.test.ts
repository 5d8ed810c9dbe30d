// Creation functions: tensor(), filled tensors, ranges, identity, random draws and seeding.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Tensor, tensor, zeros, ones, full, eye, arange, linspace, zerosLike, onesLike, randn, rand, randint, manualSeed, sum, max,
} from "../src/index.js";

function close(actual: number, expected: number, tol: number, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} +- ${tol}, got ${actual}`);
}

test("tensor from nested arrays: shape, dtype, values", () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.ok(t instanceof Tensor);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, "float32");
  assert.equal(t.ndim, 2);
  assert.equal(t.numel, 6);
  assert.deepEqual(t.tolist(), [[1, 2, 3], [4, 5, 6]]);
  const deep = tensor([[[1], [2]], [[3], [4]]]);
  assert.deepEqual(deep.shape, [2, 2, 1]);
  assert.deepEqual(deep.tolist(), [[[1], [2]], [[3], [4]]]);
});

test("tensor stores float32 values rounded to float32", () => {
  const t = tensor([0.1, 1 / 3]);
  assert.deepEqual(t.tolist(), [Math.fround(0.1), Math.fround(1 / 3)]);
  const d = tensor([0.1, 1 / 3], { dtype: "float64" });
  assert.equal(d.dtype, "float64");
  assert.deepEqual(d.tolist(), [0.1, 1 / 3]);
});

test("tensor from scalars and booleans", () => {
  const s = tensor(2.5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.ndim, 0);
  assert.equal(s.numel, 1);
  assert.equal(s.dtype, "float32");
  assert.equal(s.item(), 2.5);
  assert.equal(s.tolist(), 2.5);
  const b = tensor(true);
  assert.equal(b.dtype, "bool");
  assert.equal(b.item(), true);
  const bs = tensor([[true, false], [false, true]]);
  assert.equal(bs.dtype, "bool");
  assert.deepEqual(bs.tolist(), [[true, false], [false, true]]);
  const i = tensor(7, { dtype: "int32" });
  assert.equal(i.dtype, "int32");
  assert.equal(i.item(), 7);
});

test("tensor dtype option converts values", () => {
  const i = tensor([1.7, -2.7, 3], { dtype: "int32" });
  assert.equal(i.dtype, "int32");
  assert.deepEqual(i.tolist(), [1, -2, 3]); // truncation toward zero, as PyTorch
  const b = tensor([0, 2, -1], { dtype: "bool" });
  assert.equal(b.dtype, "bool");
  assert.deepEqual(b.tolist(), [false, true, true]);
  const f = tensor([true, false], { dtype: "float64" });
  assert.equal(f.dtype, "float64");
  assert.deepEqual(f.tolist(), [1, 0]);
});

test("tensor from typed arrays keeps the element type", () => {
  const f64 = tensor(new Float64Array([1.5, 2.5]));
  assert.equal(f64.dtype, "float64");
  assert.deepEqual(f64.shape, [2]);
  assert.deepEqual(f64.tolist(), [1.5, 2.5]);
  const f32 = tensor(new Float32Array([1, 2, 3]));
  assert.equal(f32.dtype, "float32");
  const i32 = tensor(new Int32Array([4, -5]));
  assert.equal(i32.dtype, "int32");
  assert.deepEqual(i32.tolist(), [4, -5]);
  const asF = tensor(new Int32Array([4, -5]), { dtype: "float64" });
  assert.equal(asF.dtype, "float64");
  assert.deepEqual(asF.tolist(), [4, -5]);
});

test("bool storage holds only 0 and 1", () => {
  // a Uint8Array is bool storage: bytes other than 0 and 1 (pixels) are an error unless a dtype says what they are
  assert.deepEqual(tensor(new Uint8Array([1, 0, 1])).tolist(), [true, false, true]);
  assert.throws(() => tensor(new Uint8Array([2, 0, 255])), /Uint8Array gives a bool tensor.*element 0 is 2.*dtype: "int32"/);
  assert.deepEqual(tensor(new Uint8Array([2, 0, 255]), { dtype: "int32" }).tolist(), [2, 0, 255]);
  const fromBytes = tensor(new Uint8Array([2, 0, 255]), { dtype: "bool" });
  assert.equal(fromBytes.dtype, "bool");
  assert.deepEqual(fromBytes.tolist(), [true, false, true]);
  assert.equal(sum(fromBytes).item(), 2);
  assert.deepEqual(tensor([NaN, 0, -3], { dtype: "bool" }).tolist(), [true, false, true]); // bool(nan) is True
  const f = full([3], 2, { dtype: "bool" });
  assert.deepEqual(f.tolist(), [true, true, true]);
  assert.equal(sum(f).item(), 3);
  assert.deepEqual(full([1], NaN, { dtype: "bool" }).tolist(), [true]);
  assert.deepEqual(Array.from(tensor([5, 0], { dtype: "bool" }).toTypedArray()), [1, 0]);
  // other typed arrays map to the nearest dtype: integers to int32 (the int64 stand-in), exactly or not at all
  assert.equal(tensor(new Int16Array([1, -2])).dtype, "int32");
  assert.deepEqual(tensor(new Int16Array([1, -2])).tolist(), [1, -2]);
  assert.deepEqual(tensor(new Uint8ClampedArray([0, 255])).tolist(), [0, 255]);
  const big = tensor(new BigInt64Array([1n, -(2n ** 31n)]));
  assert.equal(big.dtype, "int32");
  assert.deepEqual(big.tolist(), [1, -(2 ** 31)]);
  assert.throws(() => tensor(new Uint32Array([2 ** 31])), /value 2147483648 \(element 0\) cannot be converted to int32 without overflow/);
  assert.throws(() => tensor(new BigInt64Array([2n ** 40n])), /cannot be converted to int32/);
  assert.throws(() => tensor([3e9], { dtype: "int32" }), /value 3000000000 .* int32 without overflow/);
  assert.deepEqual(tensor(new Uint32Array([2 ** 31]), { dtype: "float64" }).tolist(), [2 ** 31]);
});

test("tensor of a tensor is a detached copy", () => {
  const x = tensor([[1, 2], [3, 4]]);
  const y = tensor(x);
  assert.notEqual(y.data, x.data);
  assert.deepEqual(y.tolist(), [[1, 2], [3, 4]]);
  const z = tensor(x.T, { dtype: "int32", requiresGrad: false });
  assert.deepEqual(z.tolist(), [[1, 3], [2, 4]]);
  assert.equal(z.dtype, "int32");
  const g = tensor(x, { requiresGrad: true });
  assert.equal(g.requiresGrad, true);
  assert.equal(x.requiresGrad, false); // the source is left alone
  assert.equal(tensor(g).requiresGrad, false);
  assert.equal(tensor(g).isLeaf, true);
});

test("tensor copies its input data", () => {
  const src = new Float32Array([1, 2]);
  const t = tensor(src);
  src[0] = 100;
  assert.deepEqual(t.tolist(), [1, 2]);
  const arr = [[1, 2]];
  const u = tensor(arr);
  arr[0][0] = 100;
  assert.deepEqual(u.tolist(), [[1, 2]]);
});

test("tensor of empty arrays", () => {
  const e = tensor([]);
  assert.deepEqual(e.shape, [0]);
  assert.equal(e.numel, 0);
  assert.equal(e.dtype, "float32");
  assert.deepEqual(e.tolist(), []);
  const e2 = tensor([[], []]);
  assert.deepEqual(e2.shape, [2, 0]);
  assert.deepEqual(e2.tolist(), [[], []]);
});

test("tensor rejects ragged arrays, non-numbers and unknown dtypes", () => {
  assert.throws(() => tensor([[1, 2], [3]]), /tensor: ragged nested array/);
  assert.throws(() => tensor([[1, 2], 3]), /tensor: ragged nested array/);
  assert.throws(() => tensor([1, [2, 3]]), /tensor: ragged nested array/);
  assert.throws(() => tensor([[[1, 2]], [[3, 4], [5, 6]]]), /tensor: ragged nested array/);
  assert.throws(() => tensor(["a", "b"]), /tensor: .*string/);
  assert.throws(() => tensor([1, null]), /tensor: .*null/);
  assert.throws(() => tensor([1, 2], { dtype: "int64" as never }), /tensor: unknown dtype "int64"/);
  assert.throws(() => zeros([2], { dtype: "float16" as never }), /zeros: unknown dtype "float16"/);
});

test("zeros, ones, full", () => {
  const z = zeros([2, 3]);
  assert.deepEqual(z.shape, [2, 3]);
  assert.equal(z.dtype, "float32");
  assert.deepEqual(z.tolist(), [[0, 0, 0], [0, 0, 0]]);
  const o = ones([3], { dtype: "int32" });
  assert.equal(o.dtype, "int32");
  assert.deepEqual(o.tolist(), [1, 1, 1]);
  const f = full([2, 2], 7.5, { dtype: "float64" });
  assert.equal(f.dtype, "float64");
  assert.deepEqual(f.tolist(), [[7.5, 7.5], [7.5, 7.5]]);
  const fb = full([2], true);
  assert.equal(fb.dtype, "bool");
  assert.deepEqual(fb.tolist(), [true, true]);
  assert.equal(zeros([]).ndim, 0);
  assert.equal(zeros([]).item(), 0);
  assert.deepEqual(zeros([0, 4]).shape, [0, 4]);
  assert.throws(() => zeros([2, -1]), /zeros: shape must be an array of non-negative integers/);
  assert.throws(() => ones([1.5]), /ones: shape must be an array of non-negative integers/);
  assert.throws(() => full(3 as never, 1), /full: shape must be an array/);
});

test("zerosLike and onesLike keep shape and dtype", () => {
  const x = tensor([[1, 2], [3, 4]], { dtype: "int32" });
  const z = zerosLike(x);
  assert.equal(z.dtype, "int32");
  assert.deepEqual(z.tolist(), [[0, 0], [0, 0]]);
  const o = onesLike(tensor([1, 2, 3], { dtype: "float64" }));
  assert.equal(o.dtype, "float64");
  assert.deepEqual(o.tolist(), [1, 1, 1]);
  const of = onesLike(x, { dtype: "float32" });
  assert.equal(of.dtype, "float32");
  assert.deepEqual(zerosLike(x, {}).dtype, "int32");
  assert.deepEqual(zerosLike(x, { dtype: undefined }).dtype, "int32");
});

test("eye", () => {
  assert.deepEqual(eye(3).tolist(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assert.equal(eye(2).dtype, "float32");
  assert.deepEqual(eye(2, 3).tolist(), [[1, 0, 0], [0, 1, 0]]);
  assert.deepEqual(eye(3, 2).tolist(), [[1, 0], [0, 1], [0, 0]]);
  const e = eye(2, { dtype: "int32" });
  assert.equal(e.dtype, "int32");
  assert.deepEqual(e.tolist(), [[1, 0], [0, 1]]);
  assert.deepEqual(eye(0).shape, [0, 0]);
});

test("arange: integer arguments give int32", () => {
  const a = arange(5);
  assert.equal(a.dtype, "int32");
  assert.deepEqual(a.tolist(), [0, 1, 2, 3, 4]);
  assert.deepEqual(arange(2, 7).tolist(), [2, 3, 4, 5, 6]);
  assert.deepEqual(arange(1, 10, 3).tolist(), [1, 4, 7]);
  assert.deepEqual(arange(0).tolist(), []);
  assert.deepEqual(arange(3, 3).tolist(), []);
  // as PyTorch, a step that points away from end is an error (NumPy would return an empty array)
  assert.throws(() => arange(5, 2), /arange: the sign of step 1 does not lead from start 5 to end 2/);
  assert.throws(() => arange(-3), /arange: the sign of step 1 does not lead from start 0 to end -3/);
});

test("arange: negative steps", () => {
  assert.deepEqual(arange(5, 0, -1).tolist(), [5, 4, 3, 2, 1]);
  assert.deepEqual(arange(10, -1, -3).tolist(), [10, 7, 4, 1]);
  assert.throws(() => arange(0, 5, -1), /arange: the sign of step -1 does not lead from start 0 to end 5/);
  assert.deepEqual(arange(-1, -4, -1).tolist(), [-1, -2, -3]);
  const f = arange(1, 0, -0.25);
  assert.equal(f.dtype, "float32");
  assert.deepEqual(f.tolist(), [1, 0.75, 0.5, 0.25]);
});

test("arange: a fractional argument gives float32", () => {
  const a = arange(0, 1, 0.25);
  assert.equal(a.dtype, "float32");
  assert.deepEqual(a.tolist(), [0, 0.25, 0.5, 0.75]);
  const b = arange(2.5);
  assert.equal(b.dtype, "float32");
  assert.deepEqual(b.tolist(), [0, 1, 2]);
  const c = arange(0.5, 3);
  assert.deepEqual(c.tolist(), [0.5, 1.5, 2.5]);
  const d = arange(4, { dtype: "float64" });
  assert.equal(d.dtype, "float64");
  assert.deepEqual(d.tolist(), [0, 1, 2, 3]);
  // the length is ceil((end - start) / step), as PyTorch computes it
  assert.equal(arange(0, 1, 0.1).numel, 10);
  assert.throws(() => arange(0, 5, 0), /arange: .*step != 0/);
  assert.throws(() => arange(0, Infinity), /arange: /);
});

test("linspace: endpoints exact, evenly spaced", () => {
  const l = linspace(0, 1, 5);
  assert.equal(l.dtype, "float32");
  assert.deepEqual(l.tolist(), [0, 0.25, 0.5, 0.75, 1]);
  const d = linspace(-1, 2, 7, { dtype: "float64" });
  const v = d.tolist() as number[];
  assert.equal(v.length, 7);
  assert.equal(v[0], -1);
  assert.equal(v[6], 2);
  for (let i = 0; i < 7; i++) close(v[i], -1 + i * 0.5, 1e-15, `linspace[${i}]`);
  assert.deepEqual(linspace(3, -3, 3).tolist(), [3, 0, -3]);
  assert.deepEqual(linspace(0, 10, 1).tolist(), [0]); // PyTorch gives start for one step
  assert.deepEqual(linspace(0, 10, 0).tolist(), []);
  assert.throws(() => linspace(0, 1, -1), /linspace: steps must be a non-negative integer/);
});

test("rand: in [0, 1), mean 1/2, variance 1/12", () => {
  manualSeed(1);
  const x = rand([20000]);
  assert.equal(x.dtype, "float32");
  const v = Array.from(x.toTypedArray());
  assert.ok(v.every((a) => a >= 0 && a < 1));
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
  close(mean, 0.5, 0.01, "rand mean");
  close(variance, 1 / 12, 0.003, "rand variance");
  // every tenth of the interval gets about a tenth of the draws
  const bins = new Array(10).fill(0);
  for (const a of v) bins[Math.floor(a * 10)]++;
  for (const b of bins) close(b / v.length, 0.1, 0.01, "rand histogram bin");
  // neighbouring draws are uncorrelated (lag-1 autocorrelation of U(0,1) is 0)
  let lag = 0;
  for (let i = 1; i < v.length; i++) lag += (v[i] - 0.5) * (v[i - 1] - 0.5);
  close(lag / (v.length - 1) / (1 / 12), 0, 0.03, "rand lag-1 autocorrelation");
  assert.equal(rand([2, 3], { dtype: "float64" }).dtype, "float64");
  assert.deepEqual(rand([2, 3]).shape, [2, 3]);
});

// A 32-bit uniform rounded to float32 can become exactly 1.0 (once in ~2^25 draws): guard against it.
test("rand in float32 never returns 1.0", () => {
  manualSeed(0);
  const x = rand([1_100_000]);
  assert.ok((max(x).item() as number) < 1, `max of rand is ${max(x).item()}`);
});

test("randn: mean 0, variance 1, normal tails", () => {
  manualSeed(2);
  const x = randn([40000], { dtype: "float64" });
  assert.equal(x.dtype, "float64");
  const v = Array.from(x.toTypedArray());
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const skew = v.reduce((a, b) => a + (b - mean) ** 3, 0) / n;
  const kurt = v.reduce((a, b) => a + (b - mean) ** 4, 0) / n;
  close(mean, 0, 0.02, "randn mean");
  close(variance, 1, 0.03, "randn variance");
  close(skew, 0, 0.05, "randn third moment");
  close(kurt, 3, 0.15, "randn fourth moment");
  // P(|z| < 1) = 0.6827, P(|z| < 2) = 0.9545
  close(v.filter((a) => Math.abs(a) < 1).length / n, 0.6827, 0.01, "randn within 1 sigma");
  close(v.filter((a) => Math.abs(a) < 2).length / n, 0.9545, 0.006, "randn within 2 sigma");
  assert.equal(randn([3]).dtype, "float32");
  assert.throws(() => randn([2], { dtype: "int32" }), /randn: dtype must be float32 or float64/);
});

test("randint: int32 in [low, high), roughly uniform", () => {
  manualSeed(3);
  const x = randint(-2, 3, [10000]);
  assert.equal(x.dtype, "int32");
  assert.deepEqual(x.shape, [10000]);
  const v = Array.from(x.toTypedArray());
  assert.ok(v.every((a) => Number.isInteger(a) && a >= -2 && a < 3));
  for (let k = -2; k < 3; k++) close(v.filter((a) => a === k).length / v.length, 0.2, 0.02, `randint frequency of ${k}`);
  assert.deepEqual(randint(0, 1, [4]).tolist(), [0, 0, 0, 0]);
  assert.deepEqual(randint(0, 5, [2, 0]).shape, [2, 0]);
  assert.throws(() => randint(3, 3, [2]), /randint: expected integers with low < high/);
  assert.throws(() => randint(0, 2.5, [2]), /randint: /);
});

test("manualSeed makes draws reproducible; different seeds differ", () => {
  manualSeed(42);
  const a1 = randn([50]).tolist(), b1 = rand([5]).tolist(), c1 = randint(0, 100, [20]).tolist();
  manualSeed(42);
  const a2 = randn([50]).tolist(), b2 = rand([5]).tolist(), c2 = randint(0, 100, [20]).tolist();
  assert.deepEqual(a2, a1);
  assert.deepEqual(b2, b1);
  assert.deepEqual(c2, c1);
  manualSeed(43);
  const a3 = randn([50]).tolist() as number[];
  assert.notDeepEqual(a3, a1);
  // successive draws without reseeding differ
  manualSeed(42);
  const d1 = rand([10]).tolist(), d2 = rand([10]).tolist();
  assert.notDeepEqual(d1, d2);
  // draws from different seeds are uncorrelated
  manualSeed(7);
  const p = Array.from(randn([5000], { dtype: "float64" }).toTypedArray());
  manualSeed(8);
  const q = Array.from(randn([5000], { dtype: "float64" }).toTypedArray());
  const corr = p.reduce((acc, x, i) => acc + x * q[i], 0) / p.length;
  close(corr, 0, 0.06, "correlation between seeds");
});

test("creation options: requiresGrad", () => {
  assert.equal(zeros([2], { requiresGrad: true }).requiresGrad, true);
  assert.equal(tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
  assert.equal(tensor([1, 2]).requiresGrad, false);
});
