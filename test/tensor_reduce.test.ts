// Reductions against naive loops: every dim convention, keepdim, NaN, empty inputs, stability.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Tensor, tensor, sum, mean, prod, max, min, argmax, argmin, logsumexp, variance, std, norm, zeros,
} from "../src/index.js";
import { numel, uniformStream as rng } from "./helpers/check.js";


const mk = (flat: number[], shape: number[], dtype: "float64" | "float32" | "int32" = "float64") => tensor(flat, { dtype }).reshape(shape);
const flatList = (x: unknown): number[] => (Array.isArray(x) ? (x.flat(Infinity) as number[]) : [x as number]);

/**
 * Naive reduction: group the elements by their position outside `dims` and apply `f` to each
 * group (in row-major order of the reduced dims). Returns the output shape and values.
 */
function naiveReduce(flat: number[], shape: number[], dims: number[] | undefined, keepdim: boolean, f: (xs: number[]) => number) {
  const nd = shape.length;
  const axes = dims === undefined ? shape.map((_, i) => i) : dims.map((d) => (d < 0 ? d + nd : d));
  const outShape = shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const groups: number[][] = Array.from({ length: numel(outShape) }, () => []);
  for (let k = 0; k < flat.length; k++) {
    let rem = k, o = 0, mult = 1;
    for (let d = nd - 1; d >= 0; d--) {
      const i = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      if (!axes.includes(d)) { o += i * mult; mult *= shape[d]; }
    }
    groups[o].push(flat[k]);
  }
  const values = groups.map(f);
  const shapeOut = keepdim ? outShape : shape.filter((_, i) => !axes.includes(i));
  return { shape: shapeOut, values };
}

function assertClose(actual: number[], expected: number[], rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`); continue; }
    if (!Number.isFinite(e)) { assert.equal(a, e, `${what}[${i}]`); continue; }
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: expected ${e}, got ${a}`);
  }
}

const naive = {
  sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
  mean: (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length,
  prod: (xs: number[]) => xs.reduce((a, b) => a * b, 1),
  max: (xs: number[]) => xs.reduce((a, b) => (Number.isNaN(a) || b > a || Number.isNaN(b) ? b : a)),
  min: (xs: number[]) => xs.reduce((a, b) => (Number.isNaN(a) || b < a || Number.isNaN(b) ? b : a)),
  logsumexp: (xs: number[]) => Math.log(xs.reduce((a, b) => a + Math.exp(b), 0)),
  var: (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  },
  std: (xs: number[]) => Math.sqrt(naive.var(xs)),
};

const reducers: [keyof typeof naive, (x: Tensor, dim?: number | number[], keepdim?: boolean) => Tensor][] = [
  ["sum", sum], ["mean", mean], ["prod", prod], ["max", max], ["min", min], ["logsumexp", logsumexp], ["var", variance], ["std", std],
];

const dimCases: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, -3, [0, 2], [2, 0], [-1, 1], [0, 1, 2], [1]];

test("reductions over every dim convention match naive loops", () => {
  const r = rng(1);
  const shape = [3, 4, 5];
  const flat = Array.from({ length: numel(shape) }, () => 0.5 + r() * 1.5);
  const x = mk(flat, shape);
  for (const [name, f] of reducers) {
    for (const dim of dimCases) {
      for (const keepdim of [false, true]) {
        const got = f(x, dim, keepdim);
        const dims = dim === undefined ? undefined : typeof dim === "number" ? [dim] : dim;
        const want = naiveReduce(flat, shape, dims, keepdim, naive[name]);
        const what = `${name}(dim=${JSON.stringify(dim)}, keepdim=${keepdim})`;
        assert.deepEqual(got.shape, want.shape, `${what} shape`);
        assert.equal(got.dtype, "float64", `${what} dtype`);
        assertClose(flatList(got.tolist()), want.values, 1e-12, 0, what);
        // method form
        const m = (x as unknown as Record<string, (d?: unknown, k?: boolean) => Tensor>)[name](dim, keepdim);
        assertClose(flatList(m.tolist()), want.values, 1e-12, 0, `${what} method`);
      }
    }
  }
});

test("reductions of non-contiguous inputs", () => {
  const r = rng(2);
  const flat = Array.from({ length: 24 }, () => r() * 4 - 2);
  const base = mk(flat, [2, 3, 4]);
  const x = base.permute([2, 0, 1]); // [4, 2, 3]
  const xflat: number[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) xflat.push(flat[i * 12 + j * 4 + k]);
  for (const [name, f] of reducers) {
    if (name === "prod" || name === "logsumexp") continue;
    for (const dim of [undefined, 0, 1, 2, [0, 2], [1, 2]] as (number | number[] | undefined)[]) {
      const dims = dim === undefined ? undefined : typeof dim === "number" ? [dim] : dim;
      const want = naiveReduce(xflat, [4, 2, 3], dims, false, naive[name]);
      assertClose(flatList(f(x, dim).tolist()), want.values, 1e-12, 1e-15, `${name} of permuted, dim=${JSON.stringify(dim)}`);
    }
  }
  // flipped and sliced
  const y = base.flip([1]).narrow(2, 1, 2); // [2, 3, 2]
  const yflat: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 1; k < 3; k++) yflat.push(flat[i * 12 + (2 - j) * 4 + k]);
  for (const dim of [undefined, 0, 1, 2, [0, 1]] as (number | number[] | undefined)[]) {
    const dims = dim === undefined ? undefined : typeof dim === "number" ? [dim] : dim;
    assertClose(flatList(sum(y, dim).tolist()), naiveReduce(yflat, [2, 3, 2], dims, false, naive.sum).values, 1e-12, 1e-15, "sum of flipped slice");
    assertClose(flatList(max(y, dim).tolist()), naiveReduce(yflat, [2, 3, 2], dims, false, naive.max).values, 0, 0, "max of flipped slice");
  }
  // broadcast (stride-0) input
  const e = tensor([1, 2, 3], { dtype: "float64" }).expand([4, 3]);
  assert.deepEqual(sum(e, 0).tolist(), [4, 8, 12]);
  assert.deepEqual(sum(e, 1).tolist(), [6, 6, 6, 6]);
  assert.equal(prod(e).item(), 6 ** 4);
});

test("argmax and argmin: flattened, per dim, keepdim, ties", () => {
  const x = tensor([[1, 5, 5], [7, 0, 7], [-1, -1, 2]], { dtype: "float64" });
  assert.equal(argmax(x).item(), 3); // first maximum of the flattened tensor
  assert.equal(argmin(x).item(), 6); // first of the two -1s
  assert.deepEqual(argmax(x).shape, []);
  assert.equal(argmax(x).dtype, "int32");
  assert.deepEqual(argmax(x, 1).tolist(), [1, 0, 2]);
  assert.deepEqual(argmin(x, 1).tolist(), [0, 1, 0]);
  assert.deepEqual(argmax(x, 0).tolist(), [1, 0, 1]);
  assert.deepEqual(argmax(x, -1).tolist(), [1, 0, 2]);
  assert.deepEqual(argmax(x, 1, true).shape, [3, 1]);
  assert.deepEqual(argmax(x, 1, true).tolist(), [[1], [0], [2]]);
  assert.deepEqual(argmax(x, undefined, true).shape, [1, 1]);
  assert.deepEqual(x.argmin(0).tolist(), [2, 2, 2]);
  assert.equal(argmax(tensor(3)).item(), 0);
  // naive check on random data, permuted input
  const r = rng(3);
  const flat = Array.from({ length: 60 }, () => Math.floor(r() * 7));
  const t = mk(flat, [3, 4, 5]).permute([1, 2, 0]); // [4, 5, 3]
  const got = argmax(t, 2).tolist() as number[][];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) {
    let best = 0;
    for (let k = 1; k < 3; k++) if (flat[k * 20 + i * 5 + j] > flat[best * 20 + i * 5 + j]) best = k;
    assert.equal(got[i][j], best, `argmax at ${i},${j}`);
  }
  const gotMin = argmin(t, 0).tolist() as number[][];
  for (let j = 0; j < 5; j++) for (let k = 0; k < 3; k++) {
    let best = 0;
    for (let i = 1; i < 4; i++) if (flat[k * 20 + i * 5 + j] < flat[k * 20 + best * 5 + j]) best = i;
    assert.equal(gotMin[j][k], best, `argmin at ${j},${k}`);
  }
});

test("NaN propagates as in PyTorch", () => {
  const x = tensor([[1, NaN, 3], [4, 5, 6]], { dtype: "float64" });
  assert.ok(Number.isNaN(sum(x).item() as number));
  assert.ok(Number.isNaN(mean(x).item() as number));
  assert.ok(Number.isNaN(max(x).item() as number));
  assert.ok(Number.isNaN(min(x).item() as number));
  assert.ok(Number.isNaN(prod(x).item() as number));
  assert.ok(Number.isNaN(logsumexp(x).item() as number));
  const perRow = max(x, 1).tolist() as number[];
  assert.ok(Number.isNaN(perRow[0]) && perRow[1] === 6);
  const perCol = min(x, 0).tolist() as number[];
  assert.deepEqual([perCol[0], perCol[2]], [1, 3]);
  assert.ok(Number.isNaN(perCol[1]));
  // argmax/argmin of a NaN-containing tensor give the (first) NaN's index
  assert.equal(argmax(x).item(), 1);
  assert.equal(argmin(x).item(), 1);
  assert.deepEqual(argmax(x, 1).tolist(), [1, 2]);
  assert.equal(argmax(tensor([NaN, 1, NaN], { dtype: "float64" })).item(), 0);
  assert.equal(argmax(tensor([5, 1, NaN, 7], { dtype: "float64" })).item(), 2);
  // a NaN after the maximum still wins
  assert.ok(Number.isNaN(max(tensor([1, 9, NaN])).item() as number));
  assert.ok(Number.isNaN(max(tensor([NaN, 9, 1])).item() as number));
});

test("infinities in reductions", () => {
  const x = tensor([-Infinity, 1, Infinity], { dtype: "float64" });
  assert.equal(max(x).item(), Infinity);
  assert.equal(min(x).item(), -Infinity);
  assert.ok(Number.isNaN(sum(x).item() as number));
  assert.equal(argmin(x).item(), 0);
  assert.equal(max(tensor([-Infinity, -Infinity])).item(), -Infinity);
  assert.equal(argmax(tensor([-Infinity, -Infinity])).item(), 0);
});

test("zero-size reductions", () => {
  const e = zeros([0], { dtype: "float64" });
  assert.equal(sum(e).item(), 0);
  assert.equal(prod(e).item(), 1);
  assert.ok(Number.isNaN(mean(e).item() as number));
  assert.equal(logsumexp(e).item(), -Infinity);
  const e2 = zeros([2, 0, 3]);
  assert.deepEqual(sum(e2, 1).shape, [2, 3]);
  assert.deepEqual(sum(e2, 1).tolist(), [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(sum(e2, 1, true).shape, [2, 1, 3]);
  assert.deepEqual(sum(e2, 0).shape, [0, 3]);
  assert.deepEqual(prod(e2, 1).tolist(), [[1, 1, 1], [1, 1, 1]]);
  // reducing a non-empty dim of an empty tensor is fine for max too
  assert.deepEqual(max(e2, 2).shape, [2, 0]);
  assert.throws(() => max(e), /max: cannot reduce over a zero-size dimension of a tensor of shape \[0\]/);
  assert.throws(() => min(e2, 1), /min: cannot reduce over a zero-size dimension of a tensor of shape \[2, 0, 3\]/);
  assert.throws(() => max(e2), /max: cannot reduce over a zero-size dimension/);
  assert.throws(() => argmax(e), /argmax: cannot take argmax over an empty tensor/);
  // argmax/argmin too: an empty result along a non-empty dim, an error along an empty one
  assert.deepEqual(argmin(e2, 2).shape, [2, 0]);
  assert.equal(argmin(e2, 2).dtype, "int32");
  assert.deepEqual(argmax(e2, 0, true).shape, [1, 0, 3]);
  assert.throws(() => argmax(e2, 1), /argmax: cannot take argmax over dim 1 of size 0 \(shape \[2, 0, 3\]\)/);
  assert.throws(() => argmin(e2), /argmin: cannot take argmin over an empty tensor/);
});

test("reductions of 0-d tensors", () => {
  const s = tensor(2.5, { dtype: "float64" });
  for (const f of [sum, mean, prod, max, min]) {
    assert.deepEqual(f(s).shape, []);
    assert.equal(f(s).item(), 2.5);
    assert.equal(f(s, 0).item(), 2.5);
    assert.equal(f(s, -1, true).item(), 2.5);
  }
  assert.equal(logsumexp(s).item(), 2.5);
  assert.throws(() => sum(s, 1), /sum: dimension 1 out of range/);
  assert.equal(argmax(s, 0).item(), 0);
  assert.equal(argmin(s, -1, true).item(), 0);
  assert.throws(() => argmax(s, 1), /argmax: dimension 1 out of range for a tensor of rank 0/);
});

test("logsumexp: naive formula, large inputs stay finite, infinities", () => {
  const r = rng(4);
  const flat = Array.from({ length: 12 }, () => r() * 6 - 3);
  const x = mk(flat, [3, 4]);
  assertClose(logsumexp(x, 1).tolist() as number[], naiveReduce(flat, [3, 4], [1], false, naive.logsumexp).values, 1e-13, 0, "lse");
  // large inputs: log(sum(exp(x))) = m + log(sum(exp(x - m))) in closed form
  const big = tensor([1000, 1000, 999], { dtype: "float64" });
  const want = 1000 + Math.log(2 + Math.exp(-1));
  assertClose([logsumexp(big).item() as number], [want], 1e-14, 0, "lse(1000)");
  const bigF = tensor([[1000, 1000], [-1000, -1000]]);
  const lse = logsumexp(bigF, 1).tolist() as number[];
  assert.ok(lse.every(Number.isFinite), `logsumexp stays finite: ${lse}`);
  assertClose(lse, [1000 + Math.LN2, -1000 + Math.LN2], 1e-6, 0, "lse float32 large");
  assert.equal(logsumexp(tensor([-Infinity, -Infinity])).item(), -Infinity);
  assert.equal(logsumexp(tensor([Infinity, 1])).item(), Infinity);
  assert.equal(logsumexp(tensor([-Infinity, 0], { dtype: "float64" })).item(), 0);
  // integers are promoted to float
  assert.equal(logsumexp(tensor([0, 0], { dtype: "int32" })).dtype, "float32");
  assertClose([logsumexp(tensor([0, 0], { dtype: "int32" })).item() as number], [Math.LN2], 1e-7, 0, "lse int");
  assert.deepEqual(logsumexp(x, [0, 1], true).shape, [1, 1]);
});

test("var and std are unbiased by default; correction option", () => {
  const x = tensor([1, 2, 3, 4], { dtype: "float64" });
  assert.equal(variance(x).item(), 5 / 3); // sum of squared deviations 5, over n - 1
  assert.equal(x.var().item(), 5 / 3);
  assertClose([std(x).item() as number], [Math.sqrt(5 / 3)], 1e-15, 0, "std");
  assert.equal(variance(x, undefined, false, { correction: 0 }).item(), 5 / 4);
  assert.ok(Number.isNaN(variance(tensor([3], { dtype: "float64" })).item() as number)); // n - 1 = 0
  const m = tensor([[1, 2], [3, 5]], { dtype: "float64" });
  assert.deepEqual(variance(m, 0).tolist(), [2, 4.5]);
  assert.deepEqual(variance(m, 1, true).tolist(), [[0.5], [2]]);
  // large offset: the two-pass formula keeps precision
  const off = tensor([1e8 + 1, 1e8 + 2, 1e8 + 3], { dtype: "float64" });
  assert.equal(variance(off).item(), 1);
  assert.equal(variance(tensor([1, 2, 3], { dtype: "int32" })).dtype, "float32");
});

test("norm: p = 2, 1, inf, -inf, 0, fractional, with dims", () => {
  const x = tensor([[3, -4], [0, 12]], { dtype: "float64" });
  assertClose([norm(x).item() as number], [13], 1e-15, 0, "fro norm");
  assert.equal(x.norm().item(), 13);
  assert.equal(norm(x, 1).item(), 19);
  assert.equal(norm(x, Infinity).item(), 12);
  assert.equal(norm(x, -Infinity).item(), 0);
  assert.equal(norm(x, 0).item(), 3);
  assert.equal(norm(x, "fro").item(), 13);
  assert.deepEqual(norm(x, 2, 1).tolist(), [5, 12]);
  assert.deepEqual(norm(x, 1, 0, true).tolist(), [[3, 16]]);
  assertClose([norm(x, 3).item() as number], [Math.cbrt(27 + 64 + 1728)], 1e-14, 0, "3-norm");
  assertClose([norm(x, 0.5).item() as number], [(Math.sqrt(3) + 2 + Math.sqrt(12)) ** 2], 1e-14, 0, "0.5-norm");
  assert.equal(norm(tensor([3, 4], { dtype: "int32" })).dtype, "float32");
  assert.equal(norm(tensor([3, 4], { dtype: "int32" })).item(), 5);
});

test("int32 and bool reductions", () => {
  const i = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "int32" });
  assert.deepEqual(sum(i, 0).tolist(), [5, 7, 9]);
  assert.equal(sum(i, 0).dtype, "int32");
  assert.deepEqual(prod(i, 1).tolist(), [6, 120]);
  assert.deepEqual(max(i, 1).tolist(), [3, 6]);
  assert.deepEqual(min(i, 0).tolist(), [1, 2, 3]);
  assert.deepEqual(argmax(i, 0).tolist(), [1, 1, 1]);
  const b = tensor([[true, false], [true, true]]);
  assert.deepEqual(sum(b, 1).tolist(), [1, 2]);
  assert.equal(max(b).dtype, "bool");
  assert.equal(max(b).item(), true);
  assert.equal(min(b).item(), false);
  assert.throws(() => mean(i), /mean: input dtype must be floating point, got int32/);
});

test("reduction dim errors", () => {
  const x = zeros([2, 3]);
  assert.throws(() => sum(x, 2), { message: "sum: dimension 2 out of range for a tensor of rank 2 (expected an integer in [-2, 1])" });
  assert.throws(() => mean(x, -3), /mean: dimension -3 out of range/);
  assert.throws(() => max(x, [0, 0]), /max: dim \[0,0\] repeats a dimension/);
  assert.throws(() => sum(x, [0, -2]), /sum: dim \[0,-2\] repeats a dimension/);
  assert.throws(() => sum(x, 0.5), /sum: a dimension must be an integer, got 0.5/);
  assert.throws(() => argmax(x, 2), /argmax: dimension 2 out of range/);
  assert.throws(() => variance(x, 5), /var: dimension 5 out of range/);
  assert.throws(() => norm(x, 2, 3), /norm: dimension 3 out of range/);
  assert.throws(() => logsumexp(x, -5), /logsumexp: dimension -5 out of range/);
});

test("float32 sums of many elements are accurate", () => {
  // 1e6 copies of 0.1f: a float32 running sum drifts by about 1%, PyTorch's is accurate
  const n = 1_000_000;
  const x = tensor(new Float32Array(n).fill(0.1));
  assertClose([sum(x).item() as number], [n * Math.fround(0.1)], 1e-6, 0, "sum of 1e6 x 0.1f");
  assertClose([mean(x).item() as number], [Math.fround(0.1)], 1e-6, 0, "mean of 1e6 x 0.1f");
});
