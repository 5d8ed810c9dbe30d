// nn modules: registration and names, default initialisation, forwards against hand-written
// loops, train/eval, BatchNorm running statistics, gradients through modules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, nn, manualSeed, randn, tensor, autograd, noGrad, randint } from "../src/index.js";
import { Rng, assertNear, fromArray, randTensor, values } from "./helpers/check.js";

const v = (t: Tensor | null) => values(t!);

function stats(xs: number[]): { mean: number; variance: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance, min: Math.min(...xs), max: Math.max(...xs) };
}

class MLP extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  act = new nn.Tanh();
  block = new nn.Sequential(new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 3, { bias: false }));
  scale = new nn.Parameter(tensor([2]));
  stats = new nn.Buffer(tensor([0, 0]));
  notRegistered = tensor([1, 2, 3]);
  forward(x: Tensor): Tensor {
    return this.block.call(this.act.call(this.fc1.call(x))).mul(this.scale);
  }
}

test("parameter and buffer names in field order, PyTorch dotted names", () => {
  manualSeed(0);
  const m = new MLP();
  assert.ok(m instanceof nn.Module);
  // as in PyTorch, a module's own parameters come before its children's (named_modules order)
  assert.deepEqual(m.namedParameters().map(([n, p]) => [n, [...p.shape]]), [
    ["scale", [1]],
    ["fc1.weight", [8, 4]], ["fc1.bias", [8]],
    ["block.0.weight", [8, 8]], ["block.0.bias", [8]],
    ["block.2.weight", [3, 8]],
  ]);
  assert.deepEqual(m.namedBuffers().map(([n]) => n), ["stats"]);
  assert.equal(m.parameters().length, 6);
  assert.deepEqual(m.namedChildren().map(([n]) => n), ["fc1", "act", "block"]);
  assert.deepEqual(m.namedModules().map(([n]) => n), ["", "fc1", "act", "block", "block.0", "block.1", "block.2"]);
  for (const p of m.parameters()) {
    assert.ok(p instanceof nn.Parameter);
    assert.ok(p instanceof Tensor);
    assert.equal(p.requiresGrad, true);
    assert.equal(p.isLeaf, true);
  }
  assert.equal((m.block.at(2) as nn.Linear).bias, null);
  const out = m.call(randn([5, 4]));
  assert.deepEqual(out.shape, [5, 3]);
});

test("Sequential names its children 0, 1, ...; parameters shared between modules are listed once", () => {
  const lin = new nn.Linear(3, 3);
  const seq = new nn.Sequential(lin, new nn.ReLU(), lin, new nn.Linear(3, 2));
  assert.deepEqual(seq.namedParameters().map(([n]) => n), ["0.weight", "0.bias", "3.weight", "3.bias"]);
  assert.equal(seq.length, 4);
  assert.equal(seq.at(-1), seq.children()[3]);
  const named = new nn.Sequential({ conv: new nn.Conv2d(1, 2, 3), act: new nn.ReLU() });
  assert.deepEqual(named.namedParameters().map(([n]) => n), ["conv.weight", "conv.bias"]);
  const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 1)]);
  assert.deepEqual(list.namedParameters().map(([n]) => n), ["0.weight", "0.bias", "1.weight", "1.bias"]);
  assert.equal(
    String(new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 1, { bias: false }))),
    "Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=3, out_features=1, bias=False)\n)",
  );
});

test("registerBuffer / registerParameter and field roles that persist across reassignment", () => {
  class M extends nn.Module {
    w = new nn.Parameter(tensor([1, 2]));
    constructor() {
      super();
      this.registerBuffer("count", tensor(0, { dtype: "int32" }));
      this.registerBuffer("scratch", tensor([1]), { persistent: false });
      this.registerParameter("maybe", null);
    }
  }
  const m = new M();
  assert.deepEqual(m.namedParameters().map(([n]) => n), ["w"]);
  assert.deepEqual(m.namedBuffers().map(([n]) => n), ["count", "scratch"]);
  assert.deepEqual(Object.keys(m.stateDict()), ["w", "count"]);
  // a plain tensor written into a parameter slot keeps the slot a parameter
  (m as unknown as { w: Tensor }).w = tensor([5, 6]);
  assert.deepEqual(m.namedParameters().map(([n]) => n), ["w"]);
  (m as unknown as { maybe: Tensor }).maybe = new nn.Parameter(tensor([1]));
  assert.deepEqual(m.namedParameters().map(([n]) => n), ["w", "maybe"]);
});

test("Linear: init within +-1/sqrt(fanIn) with uniform statistics, forward equals x W^T + b", () => {
  manualSeed(1);
  const fanIn = 50, out = 200;
  const lin = new nn.Linear(fanIn, out);
  assert.deepEqual(lin.weight.shape, [out, fanIn]);
  assert.deepEqual(lin.bias!.shape, [out]);
  const bound = 1 / Math.sqrt(fanIn);
  const w = stats(v(lin.weight)), b = stats(v(lin.bias));
  assert.ok(w.min >= -bound && w.max <= bound, `weight within +-${bound}: [${w.min}, ${w.max}]`);
  assert.ok(b.min >= -bound && b.max <= bound, "bias within the bound");
  assert.ok(w.max > 0.98 * bound && w.min < -0.98 * bound, "weight fills the range");
  assert.ok(Math.abs(w.mean) < 0.02 * bound, `weight mean ${w.mean}`);
  assert.ok(Math.abs(w.variance / (bound * bound / 3) - 1) < 0.03, `uniform variance bound^2/3: ${w.variance}`);
  // reproducible from the seed, different without reseeding
  manualSeed(1);
  assert.deepEqual(v(new nn.Linear(fanIn, out).weight), v(lin.weight));
  assert.notDeepEqual(v(new nn.Linear(fanIn, out).weight), v(lin.weight));
  // forward against a loop
  const rng = new Rng(2);
  const small = new nn.Linear(3, 2, { dtype: "float64" });
  assert.equal(small.weight.dtype, "float64");
  const x = randTensor(rng, [4, 3]);
  const y = small.call(x);
  const W = v(small.weight), B = v(small.bias), X = v(x);
  const exp: number[] = [];
  for (let i = 0; i < 4; i++) for (let o = 0; o < 2; o++) {
    let s = B[o];
    for (let k = 0; k < 3; k++) s += X[i * 3 + k] * W[o * 3 + k];
    exp.push(s);
  }
  assertNear(v(y), exp, 1e-14, "linear forward");
  const nb = new nn.Linear(3, 2, { bias: false });
  assert.equal(nb.bias, null);
  assert.deepEqual(nb.namedParameters().map(([n]) => n), ["weight"]);
});

test("Conv2d: weight shape, init bound 1/sqrt(inC/groups * kh * kw), forward equals a naive loop", () => {
  manualSeed(3);
  const conv = new nn.Conv2d(6, 4, [3, 2], { groups: 2, stride: 1, padding: 1 });
  assert.deepEqual(conv.weight.shape, [4, 3, 3, 2]);
  const bound = 1 / Math.sqrt(3 * 3 * 2);
  for (const t of [conv.weight, conv.bias!]) {
    const s = stats(v(t));
    assert.ok(s.min >= -bound && s.max <= bound, `within +-${bound}`);
  }
  const big = new nn.Conv2d(16, 64, 3);
  const bb = 1 / Math.sqrt(16 * 9), sw = stats(v(big.weight));
  assert.ok(sw.min >= -bb && sw.max <= bb);
  assert.ok(Math.abs(sw.variance / (bb * bb / 3) - 1) < 0.05, `variance ${sw.variance}`);

  const rng = new Rng(4);
  const c = new nn.Conv2d(2, 3, 3, { stride: 2, padding: 1, dtype: "float64" });
  const x = randTensor(rng, [2, 2, 5, 6]);
  const y = c.call(x);
  const [N, C, H, W] = [2, 2, 5, 6], O = 3, K = 3, S = 2, P = 1;
  const OH = Math.floor((H + 2 * P - K) / S) + 1, OW = Math.floor((W + 2 * P - K) / S) + 1;
  assert.deepEqual(y.shape, [N, O, OH, OW]);
  const X = v(x), Wt = v(c.weight), B = v(c.bias);
  const exp: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    let s = B[o];
    for (let ci = 0; ci < C; ci++) for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) {
      const h = i * S - P + a, w = j * S - P + b;
      if (h < 0 || h >= H || w < 0 || w >= W) continue;
      s += X[((n * C + ci) * H + h) * W + w] * Wt[((o * C + ci) * K + a) * K + b];
    }
    exp.push(s);
  }
  assertNear(v(y), exp, 1e-13, "conv forward");
  assert.equal(String(c), "Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
});

test("activations, Flatten and MaxPool2d", () => {
  const x = tensor([[-1, 0.5], [2, -3]], { dtype: "float64" });
  assert.deepEqual(v(new nn.ReLU().call(x)), [0, 0.5, 2, 0]);
  assertNear(v(new nn.Tanh().call(x)), [-1, 0.5, 2, -3].map(Math.tanh), 1e-15, "tanh");
  assertNear(v(new nn.Sigmoid().call(x)), [-1, 0.5, 2, -3].map((a) => 1 / (1 + Math.exp(-a))), 1e-15, "sigmoid");
  const img = fromArray(Array.from({ length: 2 * 1 * 4 * 4 }, (_, i) => (i * 7) % 11), [2, 1, 4, 4]);
  assert.deepEqual(new nn.Flatten().call(img).shape, [2, 16]);
  assert.deepEqual(new nn.Flatten(0).call(img).shape, [32]);
  assert.deepEqual(new nn.Flatten({ startDim: 2 }).call(img).shape, [2, 1, 16]);
  const pooled = new nn.MaxPool2d(2).call(img);
  assert.deepEqual(pooled.shape, [2, 1, 2, 2]);
  const X = v(img), exp: number[] = [];
  for (let n = 0; n < 2; n++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
    let m = -Infinity;
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) m = Math.max(m, X[n * 16 + (2 * i + a) * 4 + 2 * j + b]);
    exp.push(m);
  }
  assert.deepEqual(v(pooled), exp);
  assert.deepEqual(new nn.MaxPool2d(3, { stride: 1, padding: 1 }).call(img).shape, [2, 1, 4, 4]);
});

test("train/eval propagate; Dropout drops with probability p and scales by 1/(1-p) in training only", () => {
  manualSeed(5);
  const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout({ p: 0.25 }));
  assert.equal(m.training, true);
  m.eval();
  assert.ok(m.modules().every((c) => c.training === false));
  m.train();
  assert.ok(m.modules().every((c) => c.training === true));
  const drop = new nn.Dropout({ p: 0.25 });
  assert.equal(new nn.Dropout().p, 0.5);
  assert.equal(new nn.Dropout(0.1).p, 0.1);
  const x = tensor(new Float32Array(4000).fill(1));
  const y = v(drop.call(x));
  const zeros = y.filter((a) => a === 0).length;
  assert.ok(Math.abs(zeros / 4000 - 0.25) < 0.03, `dropped fraction ${zeros / 4000}`);
  assert.ok(y.every((a) => a === 0 || Math.abs(a - 1 / 0.75) < 1e-6), "kept values scaled by 1/(1-p)");
  drop.eval();
  assert.deepEqual(v(drop.call(x)), v(x));
  assert.throws(() => new nn.Dropout({ p: 1.5 }), /between 0 and 1/);
});

test("BatchNorm2d: training normalises with batch statistics and updates running stats in place", () => {
  const rng = new Rng(6);
  const bn = new nn.BatchNorm2d(3, { dtype: "float64" });
  assert.deepEqual(bn.namedParameters().map(([n]) => n), ["weight", "bias"]);
  assert.deepEqual(bn.namedBuffers().map(([n]) => n), ["runningMean", "runningVar", "numBatchesTracked"]);
  assert.deepEqual(v(bn.weight), [1, 1, 1]);
  assert.deepEqual(v(bn.bias), [0, 0, 0]);
  assert.deepEqual(v(bn.runningMean), [0, 0, 0]);
  assert.deepEqual(v(bn.runningVar), [1, 1, 1]);
  const rmBefore = bn.runningMean;
  const x = randTensor(rng, [4, 3, 2, 5], -2, 3);
  const y = bn.call(x);
  const X = v(x), Y = v(y);
  const perChannel = (c: number, arr: number[]) => {
    const out: number[] = [];
    for (let n = 0; n < 4; n++) for (let k = 0; k < 10; k++) out.push(arr[(n * 3 + c) * 10 + k]);
    return out;
  };
  const mu: number[] = [], varU: number[] = [];
  for (let c = 0; c < 3; c++) {
    const s = stats(perChannel(c, X));
    mu.push(s.mean);
    varU.push(s.variance * 40 / 39);
    const xs = perChannel(c, X), ys = perChannel(c, Y);
    assertNear(ys, xs.map((a) => (a - s.mean) / Math.sqrt(s.variance + 1e-5)), 1e-12, `channel ${c}`);
  }
  assert.equal(bn.runningMean, rmBefore, "updated in place");
  assertNear(v(bn.runningMean), mu.map((m) => 0.1 * m), 1e-14, "running mean");
  assertNear(v(bn.runningVar), varU.map((s) => 0.9 + 0.1 * s), 1e-14, "running var (unbiased)");
  assert.equal(bn.numBatchesTracked!.item(), 1);
  // eval uses the running statistics and does not update them
  bn.eval();
  const rm = v(bn.runningMean), rv = v(bn.runningVar);
  const ye = v(bn.call(x));
  for (let c = 0; c < 3; c++) {
    assertNear(perChannel(c, ye), perChannel(c, X).map((a) => (a - rm[c]) / Math.sqrt(rv[c] + 1e-5)), 1e-12, `eval channel ${c}`);
  }
  assert.deepEqual(v(bn.runningMean), rm);
  assert.equal(bn.numBatchesTracked!.item(), 1);
  // under noGrad the update happens too (it is not recorded)
  bn.train();
  noGrad(() => bn.call(x));
  assert.equal(bn.numBatchesTracked!.item(), 2);
  assertNear(v(bn.runningMean), mu.map((m) => 0.9 * 0.1 * m + 0.1 * m), 1e-14, "second update");
  assert.throws(() => bn.call(randn([2, 3, 4], { dtype: "float64" })), /BatchNorm2d: expected 4D input \(got 3D input\)/);
  assert.throws(() => bn.call(randn([2, 4, 2, 2], { dtype: "float64" })), /expected 3 channels/);
});

test("BatchNorm1d: momentum null is a cumulative average; trackRunningStats false has no buffers", () => {
  const rng = new Rng(8);
  const bn = new nn.BatchNorm1d(2, { momentum: null, dtype: "float64" });
  const xs = [randTensor(rng, [5, 2]), randTensor(rng, [5, 2]), randTensor(rng, [5, 2])];
  for (const x of xs) bn.call(x);
  const means = [0, 1].map((c) => xs.map((x) => stats(v(x).filter((_, i) => i % 2 === c)).mean));
  assertNear(v(bn.runningMean), means.map((m) => m.reduce((a, b) => a + b) / 3), 1e-14, "cumulative mean");
  const nb = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false });
  assert.equal(nb.runningMean, null);
  assert.deepEqual(nb.namedBuffers(), []);
  assert.deepEqual(nb.namedParameters(), []);
  nb.eval();
  const x = randTensor(rng, [6, 2, 3], -1, 1, "float32");
  const y = v(nb.call(x));
  // batch statistics even in eval mode
  for (let c = 0; c < 2; c++) {
    const idx = [...Array(18).keys()].map((i) => Math.floor(i / 3) * 6 + c * 3 + (i % 3));
    const s = stats(idx.map((i) => v(x)[i]));
    assertNear(idx.map((i) => y[i]), idx.map((i) => (v(x)[i] - s.mean) / Math.sqrt(s.variance + 1e-5)), 1e-5, `channel ${c}`);
  }
  assert.throws(() => bn.call(randn([2, 2, 2, 2])), /BatchNorm1d: expected 2D or 3D input \(got 4D input\)/);
});

test("LayerNorm: ones/zeros init and normalisation over the trailing dims", () => {
  const rng = new Rng(9);
  const ln = new nn.LayerNorm([2, 3], { dtype: "float64" });
  assert.deepEqual(ln.weight!.shape, [2, 3]);
  assert.deepEqual(v(ln.weight), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(v(ln.bias), [0, 0, 0, 0, 0, 0]);
  copy(ln.weight!, [1, 2, 3, 4, 5, 6]);
  copy(ln.bias!, [0, 0, 1, 1, 2, 2]);
  const x = randTensor(rng, [4, 2, 3]);
  const X = v(x), Y = v(ln.call(x));
  for (let i = 0; i < 4; i++) {
    const row = X.slice(i * 6, i * 6 + 6), s = stats(row);
    assertNear(Y.slice(i * 6, i * 6 + 6), row.map((a, j) => ((a - s.mean) / Math.sqrt(s.variance + 1e-5)) * (j + 1) + [0, 0, 1, 1, 2, 2][j]), 1e-12, `row ${i}`);
  }
  assert.equal(new nn.LayerNorm(4).normalizedShape.join(), "4");
  assert.equal(new nn.LayerNorm(4, { elementwiseAffine: false }).parameters().length, 0);
  function copy(t: Tensor, vals: number[]) { nn.init.copyInto_(t, tensor(vals, { dtype: "float64" }).reshape(t.shape)); }
});

test("Embedding: N(0,1) init, lookup, paddingIdx row zero and without gradient", () => {
  manualSeed(10);
  const big = new nn.Embedding(1000, 20);
  const s = stats(v(big.weight));
  assert.ok(Math.abs(s.mean) < 0.03, `mean ${s.mean}`);
  assert.ok(Math.abs(s.variance - 1) < 0.04, `variance ${s.variance}`);
  const emb = new nn.Embedding(5, 3, { paddingIdx: 1, dtype: "float64" });
  assert.deepEqual(v(emb.weight).slice(3, 6), [0, 0, 0]);
  const idx = tensor([[0, 1], [4, 1]], { dtype: "int32" });
  const out = emb.call(idx);
  assert.deepEqual(out.shape, [2, 2, 3]);
  const W = v(emb.weight);
  assert.deepEqual(v(out), [0, 1, 4, 1].flatMap((r) => W.slice(r * 3, r * 3 + 3)));
  out.mul(out.add(1)).sum().backward();
  const g = v(emb.weight.grad);
  assert.deepEqual(g.slice(3, 6), [0, 0, 0], "no gradient into the padding row");
  assertNear(g.slice(0, 3), W.slice(0, 3).map((a) => 2 * a + 1), 1e-14, "row 0 gradient");
  assert.deepEqual(g.slice(6, 12), [0, 0, 0, 0, 0, 0], "unused rows");
  assert.equal(new nn.Embedding(5, 3, { paddingIdx: -1 }).paddingIdx, 4);
});

test("gradients through a module match float64 finite differences", () => {
  manualSeed(11);
  const m = new nn.Sequential(new nn.Linear(3, 4, { dtype: "float64" }), new nn.Tanh(), new nn.Linear(4, 2, { dtype: "float64" }));
  const rng = new Rng(12);
  const x = randTensor(rng, [5, 3]);
  const loss = () => m.call(x).pow(2).sum();
  loss().backward();
  const eps = 1e-6;
  for (const [name, p] of m.namedParameters()) {
    const data = p.data as Float64Array;
    const fd: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const old = data[i];
      data[i] = old + eps;
      const lp = noGrad(() => loss().item() as number);
      data[i] = old - eps;
      const lm = noGrad(() => loss().item() as number);
      data[i] = old;
      fd.push((lp - lm) / (2 * eps));
    }
    assertNear(v(p.grad), fd, 1e-7, name);
  }
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
  // autograd.grad over parameters
  const grads = autograd.grad(loss(), m.parameters());
  assert.equal(grads.length, 4);
});

test("stateDict / loadStateDict, double(), requiresGrad_ and errors", () => {
  manualSeed(13);
  const a = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
  const b = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
  assert.deepEqual(Object.keys(a.stateDict()), ["0.weight", "0.bias", "1.weight", "1.bias", "1.runningMean", "1.runningVar", "1.numBatchesTracked"]);
  const wB = b.namedParameters()[0][1];
  b.loadStateDict(a.stateDict());
  assert.equal(b.namedParameters()[0][1], wB, "loaded in place");
  assert.deepEqual(v(wB), v(a.namedParameters()[0][1]));
  assert.throws(() => b.loadStateDict({ "0.weight": randn([3, 2]) }), /missing key/);
  assert.throws(() => b.loadStateDict({ ...a.stateDict(), extra: randn([1]) }), /unexpected key\(s\) "extra"/);
  a.double();
  assert.ok(a.parameters().every((p) => p.dtype === "float64" && p instanceof nn.Parameter && p.requiresGrad));
  assert.equal(a.namedBuffers()[0][1].dtype, "float64");
  a.requiresGrad_(false);
  assert.ok(a.parameters().every((p) => !p.requiresGrad));
  class NoForward extends nn.Module {}
  assert.throws(() => new NoForward().call(), /NoForward: forward\(\) is not implemented/);
  assert.throws(() => new nn.Parameter(randint(0, 3, [2])), /only floating-point/);
});

test("nn.functional and nn.init are exported; Parameter from a broadcast view owns its storage", () => {
  assert.equal(typeof nn.functional.linear, "function");
  assert.equal(typeof nn.functional.batchNorm, "function");
  manualSeed(14);
  const w = nn.init.xavierUniform_(new nn.Parameter(tensor(new Float32Array(100 * 50)).reshape([100, 50])));
  const bound = Math.sqrt(6 / 150), s = stats(v(w));
  assert.ok(s.min >= -bound && s.max <= bound && s.max > 0.95 * bound);
  assert.equal(nn.init.calculateGain("relu"), Math.SQRT2);
  assert.equal(nn.init.calculateGain("leaky_relu", Math.sqrt(5)), Math.sqrt(1 / 3));
  const base = tensor([1]);
  const p = new nn.Parameter(base.expand([3]));
  assert.deepEqual(p.strides, [1]);
  nn.init.constant_(p, 5);
  assert.deepEqual(v(p), [5, 5, 5]);
  assert.deepEqual(v(base), [1]);
});

test("built-in layers' weights stay parameters when a plain tensor is assigned before any listing", () => {
  for (const m of [new nn.Linear(2, 2), new nn.Conv2d(1, 1, 3), new nn.Embedding(3, 2)]) {
    (m as unknown as { weight: Tensor }).weight = randn([...(m as unknown as { weight: Tensor }).weight.shape]);
    assert.deepEqual(m.namedParameters().map(([n]) => n).includes("weight"), true, m.constructor.name);
    assert.ok("weight" in m.stateDict(), m.constructor.name);
  }
});

test("copyInto_ from a view of the same storage writes the values as they were before the copy", () => {
  for (const n of [10, 2000]) {
    // shifted by one either way (a forward copy smears the first value along), and reversed
    for (const [dst, src, want] of [
      [(x: Tensor) => x.narrow(0, 1, n - 1), (x: Tensor) => x.narrow(0, 0, n - 1), (i: number) => Math.max(0, i - 1)],
      [(x: Tensor) => x.narrow(0, 0, n - 1), (x: Tensor) => x.narrow(0, 1, n - 1), (i: number) => (i < n - 1 ? i + 1 : i)],
      [(x: Tensor) => x, (x: Tensor) => x.flip(0), (i: number) => n - 1 - i],
    ] as const) {
      const x = tensor(Float32Array.from({ length: n }, (_, i) => i));
      nn.init.copyInto_(dst(x), src(x));
      assert.deepEqual(Array.from(x.toTypedArray()), Array.from({ length: n }, (_, i) => want(i)));
    }
  }
});

test("zeroGrad(false) zeroes the gradient in place, as PyTorch's zero_()", () => {
  const m = new nn.Linear(2, 1);
  m.call(tensor([[1, 2]])).sum().backward();
  const g = m.parameters()[0].grad!;
  m.zeroGrad(false);
  assert.equal(m.parameters()[0].grad, g);
  assert.deepEqual(v(g), [0, 0]);
  m.zeroGrad();
  assert.equal(m.parameters()[0].grad, null);
});

test("init and module misuse: PyTorch's spellings, int tensors, missing inputs, optimizers given a module", async () => {
  const w = randn([4, 3]);
  assert.throws(() => nn.init.kaimingUniform_(w, { mode: "fan_in" as never }), /kaimingUniform_: mode must be "fanIn" or "fanOut", got "fan_in" \(options are camelCase: fanIn\)/);
  assert.throws(() => nn.init.kaimingNormal_(w, { mode: "bogus" as never }), /kaimingNormal_: mode must be "fanIn" or "fanOut", got "bogus"$/);
  assert.throws(() => nn.init.uniform_(randint(0, 3, [3])), /uniform_: expected a floating-point tensor, got int32/);
  assert.throws(() => nn.init.normal_(randint(0, 3, [3])), /normal_: expected a floating-point tensor, got int32/);
  for (const g of ["conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"] as const) assert.equal(nn.init.calculateGain(g), 1);
  assert.throws(() => (new nn.Linear(2, 2).call as () => unknown).call(new nn.Linear(2, 2)), /linear: expected input to be a Tensor, got undefined/);
  assert.throws(() => new nn.Linear(2, 2).train("x" as never), /Linear.train: mode must be a boolean, got "x"/);
  const seq = new nn.Sequential(new nn.Linear(2, 2));
  assert.throws(() => (seq.call as (...a: unknown[]) => unknown).call(seq, randn([1, 2]), randn([1, 2])), /Sequential: forward takes one input, got 2/);
  const { optim } = await import("../src/index.js");
  assert.throws(() => new optim.Adam(new nn.Linear(1, 1) as never), /Adam: params argument .* got Linear; for a module pass module.parameters\(\)/);
});

test("module printing follows PyTorch's repr: Python floats, bare padding strings, None", () => {
  assert.equal(String(new nn.BatchNorm2d(16)), "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  assert.equal(String(new nn.BatchNorm1d(2, { eps: 1e-6, momentum: null })), "BatchNorm1d(2, eps=1e-06, momentum=None, affine=True, track_running_stats=True)");
  assert.equal(String(new nn.BatchNorm1d(2, { momentum: 1 })), "BatchNorm1d(2, eps=1e-05, momentum=1.0, affine=True, track_running_stats=True)");
  assert.equal(String(new nn.LayerNorm(4, { eps: 0.001 })), "LayerNorm((4,), eps=0.001, elementwise_affine=True)");
  assert.equal(String(new nn.Conv2d(1, 2, 3, { padding: "same" })), "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)");
  assert.equal(String(new nn.Softmax(undefined as never)), "Softmax(dim=None)");
});
