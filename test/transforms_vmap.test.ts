/**
 * vmap against torch.vmap / jax.vmap behaviour, with a plain loop over examples as reference:
 * inDims and outDims structures, non-tensor arguments, pytree outputs, chunkSize, randomness,
 * nesting, broadcasting of unbatched outputs, and one kernel call per op (no per-example loop).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backend } from "../src/backend/registry.js";
import { convInputGradP, convP, convWeightGradP } from "../src/primitives/convolution.js";
import { F, Tensor, grad, jacrev, manualSeed, rand, randn, tensor, vmap, zeros } from "../src/index.js";
import { Rng, assertClose, examples, fromArray, loopMap, randTensor, stackAt, take, values } from "./helpers/check.js";

const rng = new Rng(7);
const r = (...shape: number[]) => randTensor(rng, shape);

describe("vmap inDims", () => {
  const f = (x: Tensor) => x.sin().mul(x.sum());
  test("number: dim 0 (the default) and dim 1", () => {
    const x = r(4, 3);
    assertClose(vmap(f)(x), loopMap(f, [x], [0]));
    assertClose(vmap(f, { inDims: 1 })(x), loopMap(f, [x], [1]));
  });
  test("negative dims count from the end", () => {
    const x = r(2, 3, 5);
    assertClose(vmap(f, { inDims: -1 })(x), loopMap(f, [x], [2]));
    assertClose(vmap(f, { inDims: -3 })(x), loopMap(f, [x], [0]));
    assertClose(vmap(f, { inDims: [-2] })(x), loopMap(f, [x], [1]));
  });
  test("null leaves an argument unmapped; per-argument arrays", () => {
    const g = (x: Tensor, w: Tensor) => x.matmul(w).tanh();
    const x = r(5, 3), w = r(3, 2), ws = r(3, 2, 5);
    assertClose(vmap(g, { inDims: [0, null] })(x, w), loopMap(g, [x, w], [0, null]));
    assertClose(vmap(g, { inDims: [null, 2] })(x.select(0, 0), ws), loopMap(g, [x.select(0, 0), ws], [null, 2]));
    const xt = r(3, 5);
    assertClose(vmap(g, { inDims: [1, 2] })(xt, ws), loopMap(g, [xt, ws], [1, 2]));
  });
  test("nested objects: [{w: 0, b: null}, 1]", () => {
    const model = (p: { w: Tensor; b: Tensor }, x: Tensor) => x.matmul(p.w).add(p.b);
    const w = r(4, 3, 2), b = r(2), x = r(3, 4);
    const got = vmap(model, { inDims: [{ w: 0, b: null }, 1] })({ w, b }, x);
    const expected = stackAt(Array.from({ length: 4 }, (_, k) => take(x, 1, k).matmul(take(w, 0, k)).add(b)), 0);
    assertClose(got, expected);
  });
  test("a prefix applies one dim to a whole subtree", () => {
    const g = (p: { w: Tensor; b: Tensor[] }, x: Tensor) => x.mul(p.w).add(p.b[0]).sub(p.b[1]);
    const w = r(4, 3), b0 = r(4, 3), b1 = r(4, 3), x = r(3);
    const got = vmap(g, { inDims: [0, null] })({ w, b: [b0, b1] }, x);
    const expected = stackAt(Array.from({ length: 4 }, (_, k) => x.mul(take(w, 0, k)).add(take(b0, 0, k)).sub(take(b1, 0, k))), 0);
    assertClose(got, expected);
    // and a single number applies to every argument and every leaf
    const got2 = vmap(g)({ w, b: [b0, b1] }, r(4, 3));
    assert.deepEqual([...got2.shape], [4, 3]);
    // an array prefix inside an object
    const h = (p: { a: [Tensor, Tensor] }) => p.a[0].add(p.a[1].sum());
    const a0 = r(2, 5), a1 = r(5, 3);
    const got3 = vmap(h, { inDims: [{ a: [1, 0] }] })({ a: [a0, a1] });
    assertClose(got3, stackAt(Array.from({ length: 5 }, (_, k) => take(a0, 1, k).add(take(a1, 0, k).sum())), 0));
  });
  test("non-tensor arguments are passed through with inDims null", () => {
    const g = (x: Tensor, scale: number, opts: { shift: number; name: string }) => x.mul(scale).add(opts.shift);
    const x = r(3, 2);
    const got = vmap(g, { inDims: [0, null, null] })(x, 2.5, { shift: 1, name: "s" });
    assertClose(got, fromArray(values(x).map((v) => 2.5 * v + 1), [3, 2]));
    // an object with a number leaf under an inDims prefix that maps only the tensor
    const h = (p: { t: Tensor; k: number }) => p.t.mul(p.k);
    assertClose(vmap(h, { inDims: [{ t: 1, k: null }] })({ t: x, k: 3 }), fromArray(values(x.T.contiguous()).map((v) => 3 * v), [2, 3]));
  });
  test("mapped inputs of different ranks and dtypes (an int index per example)", () => {
    const g = (x: Tensor, i: Tensor) => x.gather(0, i);
    const x = r(4, 5), idx = fromArray([0, 3, 1, 4, 2, 2, 0, 1], [4, 2], "int32");
    assertClose(vmap(g)(x, idx), loopMap(g, [x, idx], [0, 0]));
  });
});

describe("vmap outDims", () => {
  const x = r(4, 2, 3);
  const f = (v: Tensor) => v.exp();
  test("a number, including negative and the last position", () => {
    for (const od of [0, 1, 2, -1, -3]) assertClose(vmap(f, { outDims: od })(x), loopMap(f, [x], [0], od), { what: `outDims ${od}` });
  });
  test("[d] for a function with one output (torch's out_dims=(d,))", () => {
    assertClose(vmap(f, { inDims: 1, outDims: [1] })(x), loopMap(f, [x], [1], 1));
    assertClose(vmap(f, { outDims: [-1] })(x), loopMap(f, [x], [0], -1));
  });
  test("per output, nested, and null for an unbatched output", () => {
    const g = (v: Tensor) => ({ a: v.sin(), b: [v.sum(0), v.cos()], c: zeros([2]) });
    const got = vmap(g, { outDims: { a: 1, b: [0, -1], c: null } })(x) as { a: Tensor; b: Tensor[]; c: Tensor };
    assertClose(got.a, loopMap((v) => v.sin(), [x], [0], 1));
    assertClose(got.b[0], loopMap((v) => v.sum(0), [x], [0], 0));
    assertClose(got.b[1], loopMap((v) => v.cos(), [x], [0], -1));
    assertClose(got.c, [0, 0]);
  });
  test("pytree outputs keep their structure", () => {
    const g = (v: Tensor) => [v.mul(2), { s: v.sum(), list: [v.neg()] }];
    const got = vmap(g)(x) as [Tensor, { s: Tensor; list: Tensor[] }];
    assert.ok(Array.isArray(got) && got.length === 2 && Object.keys(got[1]).join() === "s,list");
    assertClose(got[0], loopMap((v) => v.mul(2), [x], [0]));
    assertClose(got[1].s, loopMap((v) => v.sum(), [x], [0]));
    assertClose(got[1].list[0], loopMap((v) => v.neg(), [x], [0]));
  });
  test("an unbatched output is broadcast along the out dim", () => {
    const c = r(2, 3);
    const got = vmap((_v: Tensor) => c, { outDims: 1 })(x);
    assert.deepEqual([...got.shape], [2, 4, 3]);
    for (let k = 0; k < 4; k++) assertClose(take(got, 1, k), c);
    const got2 = vmap((v: Tensor) => [v.sum(), tensor(7, { dtype: "float64" })])(x) as Tensor[];
    assertClose(got2[1], [7, 7, 7, 7]);
  });
  test("a non-tensor output with outDims null is returned as it is", () => {
    const got = vmap((v: Tensor) => [v.sum(), "label", 3], { outDims: [0, null, null] })(x) as unknown[];
    assert.equal(got[1], "label");
    assert.equal(got[2], 3);
  });
});

describe("vmap chunkSize", () => {
  const x = r(7, 3), w = r(3, 2);
  const f = (v: Tensor, m: Tensor) => ({ y: v.matmul(m).relu(), s: v.sum(), c: m.sum() });
  const full = vmap(f, { inDims: [0, null], outDims: { y: 1, s: 0, c: null } })(x, w) as Record<string, Tensor>;
  for (const chunkSize of [1, 2, 3, 7, 100]) {
    test(`chunkSize ${chunkSize} gives the same result`, () => {
      const got = vmap(f, { inDims: [0, null], outDims: { y: 1, s: 0, c: null }, chunkSize })(x, w) as Record<string, Tensor>;
      assertClose(got.y, full.y);
      assertClose(got.s, full.s);
      assertClose(got.c, full.c);
    });
  }
  test("chunkSize with outDims [d] for a single output", () => {
    const y = r(5, 2);
    assertClose(vmap((v: Tensor) => v.exp(), { outDims: [1], chunkSize: 2 })(y), loopMap((v: Tensor) => v.exp(), [y], [0], 1));
  });
  test("chunkSize with a mapped dim in the middle and a broadcast output", () => {
    const y = r(2, 5, 3);
    const g = (v: Tensor) => [v.mul(v), tensor([1, 2], { dtype: "float64" })];
    const a = vmap(g, { inDims: 1, outDims: [-1, 0] })(y) as Tensor[];
    const b = vmap(g, { inDims: 1, outDims: [-1, 0], chunkSize: 2 })(y) as Tensor[];
    assertClose(b[0], a[0]);
    assertClose(b[1], a[1]);
    assert.deepEqual([...b[1].shape], [5, 2]);
  });
});

describe("vmap randomness", () => {
  const x = zeros([6, 2]);
  test('"error" (the default) throws on a random op', () => {
    assert.throws(() => vmap((v: Tensor) => v.add(randn([2])))(x), /vmap.*random.*randomness/s);
    assert.throws(() => vmap((v: Tensor) => v.add(rand([2])), { randomness: "error" })(x), /randomness/);
  });
  test('"different": examples get different draws', () => {
    manualSeed(0);
    const out = vmap((v: Tensor) => v.add(randn([2])), { randomness: "different" })(x);
    const rows = examples(out, 0).map(values);
    for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) assert.notDeepEqual(rows[i], rows[j]);
  });
  test('"same": every example gets the same draw', () => {
    const out = vmap((v: Tensor) => v.add(rand([2])), { randomness: "same" })(x);
    const rows = examples(out, 0).map(values);
    for (const row of rows) assert.deepEqual(row, rows[0]);
    assert.notEqual(rows[0][0], rows[0][1]);
  });
  test("randomness applies to random ops whose result mixes with batched values", () => {
    const y = r(4, 3);
    const out = vmap((v: Tensor) => v.mul(0).add(randn([3])), { randomness: "same" })(y);
    const rows = examples(out, 0).map(values);
    for (const row of rows) assert.deepEqual(row, rows[0]);
  });
  test("manualSeed makes vmapped draws reproducible", () => {
    manualSeed(42);
    const a = vmap((v: Tensor) => v.add(randn([2])), { randomness: "different" })(x);
    manualSeed(42);
    const b = vmap((v: Tensor) => v.add(randn([2])), { randomness: "different" })(x);
    assert.deepEqual(values(a), values(b));
  });
});

describe("nested vmap", () => {
  test("vmap(vmap(f)) with different dims equals a double loop", () => {
    const f = (a: Tensor, b: Tensor) => a.mul(b.sum()).add(b.max());
    const a = r(3, 4, 5), b = r(4, 5, 3);
    // outer maps a's dim 0 and b's dim 2; inner maps a's (remaining) dim 1 and b's dim 1
    const got = vmap(vmap(f, { inDims: [1, 1] }), { inDims: [0, 2] })(a, b);
    const expected = stackAt(Array.from({ length: 3 }, (_, i) => {
      const ai = take(a, 0, i), bi = take(b, 2, i);
      return stackAt(Array.from({ length: 5 }, (_, j) => f(take(ai, 1, j), take(bi, 1, j))), 0);
    }), 0);
    assertClose(got, expected);
  });
  test("inner vmap over an argument the outer one does not map (and vice versa)", () => {
    const f = (a: Tensor, b: Tensor) => a.matmul(b);
    const a = r(2, 3), bs = r(6, 3, 4), as = r(5, 2, 3);
    const got = vmap((ai: Tensor) => vmap((bj: Tensor) => f(ai, bj))(bs))(as);
    assert.deepEqual([...got.shape], [5, 6, 2, 4]);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 6; j++) assertClose(take(take(got, 0, i), 0, j), f(take(as, 0, i), take(bs, 0, j)));
    void a;
  });
  test("outDims of the inner and outer vmap compose", () => {
    const x = r(3, 4, 2);
    const got = vmap(vmap((v: Tensor) => v.mul(3), { outDims: 1 }), { outDims: 2 })(x);
    // inner: [4, 2] -> per example v [2], output [2, 4]; outer puts its dim last: [2, 4, 3]
    assert.deepEqual([...got.shape], [2, 4, 3]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) assertClose(take(take(got, 2, i), 1, j), take(take(x, 0, i), 0, j).mul(3));
  });
  test("an inner output that is batched only at the outer level is broadcast by the inner vmap", () => {
    const x = r(3, 2), y = r(4);
    const got = vmap((xi: Tensor) => vmap((_yj: Tensor) => xi.mul(2))(y))(x);
    assert.deepEqual([...got.shape], [3, 4, 2]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) assertClose(take(take(got, 0, i), 0, j), take(x, 0, i).mul(2));
  });
});

describe("vmap is one kernel call per op, not a loop over examples", () => {
  function countMatmuls<R>(fn: () => R): [R, number] {
    const be = backend() as { matmul: (...a: any[]) => void };
    const orig = be.matmul;
    let n = 0;
    be.matmul = (...a: any[]) => { n++; return orig.apply(be, a); };
    try {
      return [fn(), n];
    } finally {
      be.matmul = orig;
    }
  }
  const w1 = r(5, 4), w2 = r(4, 3);
  const model = (x: Tensor) => x.matmul(w1).relu().matmul(w2).sum();
  test("vmap over a batch of 8: one matmul per op", () => {
    const x = r(8, 5);
    const [, unbatched] = countMatmuls(() => model(take(x, 0, 0)));
    const [out, batched] = countMatmuls(() => vmap(model)(x));
    assert.equal(unbatched, 2);
    assert.equal(batched, 2, `vmap made ${batched} matmul calls for 2 matmuls over 8 examples`);
    assertClose(out, loopMap(model, [x], [0]));
  });
  test("both operands batched (bmm) and batch dims in odd places: still one call", () => {
    const a = r(3, 8, 4), b = r(4, 2, 8);
    const [out, n] = countMatmuls(() => vmap((p: Tensor, q: Tensor) => p.matmul(q), { inDims: [1, 2] })(a, b));
    assert.equal(n, 1);
    assertClose(out, loopMap((p: Tensor, q: Tensor) => p.matmul(q), [a, b], [1, 2]));
  });
  test("per-sample gradients, vmap(grad(loss)): one forward and one backward matmul", () => {
    const w = r(3, 2), xs = r(8, 4, 3), ys = r(8, 4, 2);
    const loss = (wv: Tensor, x: Tensor, y: Tensor) => x.matmul(wv).sub(y).square().sum();
    // the cotangent of the data x is not needed, so the backward pass makes only x^T g
    const [, n] = countMatmuls(() => vmap(grad(loss), { inDims: [null, 0, 0] })(w, xs, ys));
    assert.equal(n, 2);
  });
  test("jacrev: one batched backward pass, not one per output element", () => {
    const W = r(3, 6);
    const [J, n] = countMatmuls(() => jacrev((x: Tensor) => x.matmul(W).tanh())(r(3)));
    assert.deepEqual([...(J as Tensor).shape], [6, 3]);
    assert.equal(n, 2);
  });
  test("conv2d per example (vmap over images, and vmap(grad) for per-sample gradients): one call of each convolution primitive", () => {
    const calls = new Map<string, number>();
    const spied = [convP, convWeightGradP, convInputGradP] as { name: string; impl: (...a: any[]) => Tensor }[];
    const originals = spied.map((p) => p.impl);
    spied.forEach((p, i) => { p.impl = (...a) => { calls.set(p.name, (calls.get(p.name) ?? 0) + 1); return originals[i](...a); }; });
    try {
      const w = r(3, 2, 3, 3), xs = r(8, 1, 2, 6, 6);
      const conv = (x: Tensor, wv: Tensor) => F.conv2d(x, wv, null, { padding: 1 });
      const out = vmap(conv, { inDims: [0, null] })(xs, w);
      assert.deepEqual([...calls], [["conv", 1]]);
      assertClose(out, loopMap(conv, [xs, w], [0, null]), { rtol: 1e-10, atol: 1e-12 });
      calls.clear();
      // the images are not differentiated: no convInputGrad
      vmap(grad((wv: Tensor, x: Tensor) => conv(x, wv).tanh().sum()), { inDims: [null, 0] })(w, xs);
      assert.deepEqual([...calls].sort(), [["conv", 1], ["convWeightGrad", 1]]);
    } finally {
      spied.forEach((p, i) => { p.impl = originals[i]; });
    }
  });
  test("only the right operand batched, batch dim last: one call", () => {
    const a = r(3, 4), b = r(4, 2, 8);
    const [out, n] = countMatmuls(() => vmap((q: Tensor) => a.matmul(q), { inDims: -1 })(b));
    assert.equal(n, 1);
    assertClose(out, loopMap((q: Tensor) => a.matmul(q), [b], [2]));
  });
});
