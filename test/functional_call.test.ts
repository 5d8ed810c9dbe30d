// functionalCall, stackModuleState and replaceAllBatchNormModules_: swapping parameters in,
// leaving the module unchanged, ensembles under vmap against loops over the models, per-sample
// gradients, tied weights, and BatchNorm under vmap.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Tensor, nn, F, functionalCall, stackModuleState, replaceAllBatchNormModules_, vmap, grad, stack, manualSeed, randn, tensor, randint,
} from "../src/index.js";
import { Rng, assertClose, assertNear, randTensor, values } from "./helpers/check.js";

const v = (t: Tensor | null) => values(t!);

class MLP extends nn.Module {
  fc1: nn.Linear;
  fc2: nn.Linear;
  constructor(dtype: "float32" | "float64" = "float64") {
    super();
    this.fc1 = new nn.Linear(4, 6, { dtype });
    this.fc2 = new nn.Linear(6, 3, { dtype });
  }
  forward(x: Tensor): Tensor {
    return this.fc2.call(F.relu(this.fc1.call(x)));
  }
}

/** The MLP's forward written out by hand from explicit weights (an independent reference). */
function mlpRef(p: Record<string, Tensor>, x: Tensor): number[] {
  const W1 = v(p["fc1.weight"]), b1 = v(p["fc1.bias"]), W2 = v(p["fc2.weight"]), b2 = v(p["fc2.bias"]), X = v(x);
  const n = x.shape[0], out: number[] = [];
  for (let i = 0; i < n; i++) {
    const h = b1.map((b, o) => Math.max(0, b + [0, 1, 2, 3].reduce((s, k) => s + X[i * 4 + k] * W1[o * 4 + k], 0)));
    for (let o = 0; o < 3; o++) out.push(b2[o] + h.reduce((s, hk, k) => s + hk * W2[o * 6 + k], 0));
  }
  return out;
}

test("functionalCall uses the given parameters and leaves the module unchanged", () => {
  manualSeed(0);
  const rng = new Rng(1);
  const model = new MLP();
  const own = Object.fromEntries(model.namedParameters());
  const before = model.namedParameters().map(([, p]) => p);
  const p = {
    "fc1.weight": randTensor(rng, [6, 4]), "fc1.bias": randTensor(rng, [6]),
    "fc2.weight": randTensor(rng, [3, 6]), "fc2.bias": randTensor(rng, [3]),
  };
  const x = randTensor(rng, [5, 4]);
  const y = functionalCall(model, p, [x]) as Tensor;
  assertNear(v(y), mlpRef(p, x), 1e-14, "all parameters swapped");
  // a single tensor as args
  assertNear(v(functionalCall(model, p, x)), mlpRef(p, x), 1e-14, "single-tensor args");
  // missing names fall back to the module's own
  const partial = functionalCall(model, { "fc2.bias": p["fc2.bias"] }, x) as Tensor;
  assertNear(v(partial), mlpRef({ ...own, "fc2.bias": p["fc2.bias"] }, x), 1e-14, "partial");
  // an array of dicts is merged
  const split = functionalCall(model, [{ "fc1.weight": p["fc1.weight"], "fc1.bias": p["fc1.bias"] }, { "fc2.weight": p["fc2.weight"] }], [x]) as Tensor;
  assertNear(v(split), mlpRef({ ...own, ...p, "fc2.bias": own["fc2.bias"] }, x), 1e-14, "array of dicts");
  // the module is unchanged: same parameter objects, same forward
  assert.deepEqual(model.namedParameters().map(([, q]) => q), before);
  assertNear(v(model.call(x)), mlpRef(own, x), 1e-14, "module's own forward");
});

test("functionalCall restores the module even when forward throws; argument errors", () => {
  const model = new MLP();
  const before = model.namedParameters().map(([, p]) => p);
  const bad = { "fc1.weight": randn([6, 5], { dtype: "float64" }) };
  assert.throws(() => functionalCall(model, bad, [randn([2, 4], { dtype: "float64" })]), /linear/);
  assert.deepEqual(model.namedParameters().map(([, p]) => p), before);
  assert.equal(model.fc1.weight, before[0]);
  const w = model.fc1.weight;
  assert.throws(() => functionalCall(model, { "fc1.wieght": w }, [randn([1, 4])]), /unexpected key\(s\) "fc1.wieght"/);
  assert.throws(() => functionalCall(model, [{ "fc1.weight": w }, { "fc1.weight": w }], [randn([1, 4])]), /more than one/);
  assert.throws(() => functionalCall(model, { "fc1.weight": w }, [randn([1, 4])], { strict: true }), /missing key\(s\) "fc1.bias"/);
  assert.throws(() => functionalCall(model, { "fc1.weight": 3 as never }, [randn([1, 4])]), /must be a Tensor/);
});

test("functionalCall with several arguments, buffers and tied weights", () => {
  class Two extends nn.Module {
    lin = new nn.Linear(2, 2, { dtype: "float64" });
    offset = new nn.Buffer(tensor([10, 20], { dtype: "float64" }));
    forward(a: Tensor, b: Tensor): Tensor {
      return this.lin.call(a).add(b).add(this.offset);
    }
  }
  const m = new Two();
  const W = tensor([[1, 0], [0, 2]], { dtype: "float64" }), B = tensor([0, 0], { dtype: "float64" });
  const out = functionalCall(m, [{ "lin.weight": W, "lin.bias": B }, { offset: tensor([1, 1], { dtype: "float64" }) }],
    [tensor([[3, 4]], { dtype: "float64" }), tensor([[0.5, 0.5]], { dtype: "float64" })]) as Tensor;
  assert.deepEqual(v(out), [3 + 0.5 + 1, 8 + 0.5 + 1]);
  assert.deepEqual(v(m.offset), [10, 20]);
  // the same module in two places: one name (the other is a duplicate) replaces both uses
  const shared = new nn.Linear(2, 2, { bias: false, dtype: "float64" });
  const seq = new nn.Sequential(shared, new nn.Tanh(), shared);
  assert.deepEqual(seq.namedParameters().map(([n]) => n), ["0.weight"]);
  const x = tensor([[0.3, -0.2]], { dtype: "float64" });
  const h = [Math.tanh(0.3), Math.tanh(-0.4)];
  assertNear(v(functionalCall(seq, { "0.weight": W }, [x])), [h[0], 2 * h[1]], 1e-15, "shared module");
  // tied weights: two modules holding the same Parameter
  const a = new nn.Linear(2, 2, { bias: false, dtype: "float64" }), b = new nn.Linear(2, 2, { bias: false, dtype: "float64" });
  b.weight = a.weight;
  const tied = new nn.Sequential(a, new nn.Tanh(), b);
  assert.deepEqual(tied.namedParameters().map(([n]) => n), ["0.weight"]);
  assertNear(v(functionalCall(tied, { "0.weight": W }, [x])), [h[0], 2 * h[1]], 1e-15, "tied weight used twice");
  assert.throws(() => functionalCall(tied, { "0.weight": W, "2.weight": W.mul(2) }, [x]), /tied/);
  const untied = functionalCall(tied, { "0.weight": W }, [x], { tieWeights: false }) as Tensor;
  const Ws = v(a.weight);
  assertNear(v(untied), [0, 1].map((o) => Ws[o * 2] * h[0] + Ws[o * 2 + 1] * h[1]), 1e-15, "untied: the second use keeps the module's weight");
  assert.equal(b.weight, a.weight, "restored");
});

test("grad through functionalCall equals the tape gradient of the module; per-sample grads with vmap", () => {
  manualSeed(2);
  const rng = new Rng(3);
  const model = new MLP();
  const x = randTensor(rng, [6, 4]), target = randint(0, 3, [6]);
  const params = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.detach()]));
  const loss = (p: Record<string, Tensor>, xb: Tensor, tb: Tensor) => F.crossEntropy(functionalCall(model, p, [xb]) as Tensor, tb);
  const g = grad(loss)(params, x, target) as Record<string, Tensor>;
  F.crossEntropy(model.call(x), target).backward();
  for (const [n, p] of model.namedParameters()) assertClose(g[n], p.grad!, { rtol: 1e-12, atol: 1e-14, what: n });
  // per-sample gradients: vmap over grad of the one-example loss equals a loop
  const one = (p: Record<string, Tensor>, xi: Tensor, ti: Tensor) => loss(p, xi.unsqueeze(0), ti.unsqueeze(0));
  const per = vmap(grad(one), { inDims: [null, 0, 0] })(params, x, target) as Record<string, Tensor>;
  for (const n of Object.keys(params)) {
    const loop = stack([0, 1, 2, 3, 4, 5].map((i) => (grad(one)(params, x.select(0, i), target.select(0, i)) as Record<string, Tensor>)[n]));
    assertClose(per[n], loop, { rtol: 1e-12, atol: 1e-14, what: `per-sample ${n}` });
  }
});

test("stackModuleState: a leading model dim, new leaves requiring grad, buffers stacked", () => {
  manualSeed(4);
  const models = [0, 1, 2].map(() => new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4)));
  const [params, buffers] = stackModuleState(models);
  assert.deepEqual(Object.keys(params), ["0.weight", "0.bias", "1.weight", "1.bias"]);
  assert.deepEqual(Object.keys(buffers), ["1.runningMean", "1.runningVar", "1.numBatchesTracked"]);
  assert.deepEqual(params["0.weight"].shape, [3, 4, 3]);
  assert.deepEqual(buffers["1.numBatchesTracked"].shape, [3]);
  assert.equal(buffers["1.numBatchesTracked"].dtype, "int32");
  for (let i = 0; i < 3; i++) assert.deepEqual(v(params["0.weight"].select(0, i)), v(models[i].namedParameters()[0][1]));
  assert.ok(params["0.weight"].requiresGrad && params["0.weight"].isLeaf);
  assert.equal(buffers["1.runningMean"].requiresGrad, false);
  assert.throws(() => stackModuleState([new nn.Linear(3, 4), new nn.Linear(3, 5)]), /different parameters/);
  assert.throws(() => stackModuleState([new nn.Linear(3, 4), new nn.Linear(3, 4).eval()]), /same training\/eval mode/);
  assert.throws(() => stackModuleState([]), /non-empty/);
});

test("ensemble: vmap over functionalCall with stacked state equals the loop over the models", () => {
  manualSeed(5);
  const models = [0, 1, 2, 3].map(() => new MLP("float32"));
  const [params, buffers] = stackModuleState(models);
  const base = models[0];
  const fmodel = (p: Record<string, Tensor>, b: Record<string, Tensor>, x: Tensor) => functionalCall(base, [p, b], [x]) as Tensor;
  const x = randn([5, 4]);
  const shared = vmap(fmodel, { inDims: [0, 0, null] })(params, buffers, x) as Tensor;
  assert.deepEqual(shared.shape, [4, 5, 3]);
  assertClose(shared, stack(models.map((m) => m.call(x))), { rtol: 1e-5, atol: 1e-6, what: "same minibatch" });
  const xs = randn([4, 5, 4]);
  const own = vmap(fmodel, { inDims: [0, 0, 0] })(params, buffers, xs) as Tensor;
  assertClose(own, stack(models.map((m, i) => m.call(xs.select(0, i)))), { rtol: 1e-5, atol: 1e-6, what: "own minibatch" });
  // the base module is untouched
  assert.deepEqual(v(base.call(x)), v(models[0].call(x)));
  assert.ok(base.fc1.weight instanceof nn.Parameter);
  // training the stacked parameters with the tape: gradient of the summed ensemble loss is the per-model gradient
  const out = vmap(fmodel, { inDims: [0, 0, null] })(params, buffers, x) as Tensor;
  out.pow(2).sum().backward();
  models[2].call(x).pow(2).sum().backward();
  assertClose(params["fc1.weight"].grad!.select(0, 2), models[2].fc1.weight.grad!, { rtol: 1e-4, atol: 1e-5, what: "ensemble grad" });
});

class ConvBN extends nn.Module {
  conv = new nn.Conv2d(2, 3, 3, { padding: 1, dtype: "float64" });
  bn = new nn.BatchNorm2d(3, { dtype: "float64" });
  fc = new nn.Linear(3 * 4 * 4, 2, { dtype: "float64" });
  forward(x: Tensor): Tensor {
    return this.fc.call(F.relu(this.bn.call(this.conv.call(x))).flatten(1));
  }
}

test("BatchNorm ensembles: eval mode with stacked running stats; training needs replaceAllBatchNormModules_", () => {
  manualSeed(6);
  const models = [0, 1, 2].map(() => new ConvBN());
  const x = randn([4, 2, 4, 4], { dtype: "float64" });
  // give each model different running statistics
  models.forEach((m, i) => { for (let k = 0; k <= i; k++) m.call(randn([4, 2, 4, 4], { dtype: "float64" }).mul(i + 1)); });
  models.forEach((m) => m.eval());
  const [params, buffers] = stackModuleState(models);
  const fmodel = (p: Record<string, Tensor>, b: Record<string, Tensor>, xb: Tensor) => functionalCall(models[0], [p, b], [xb]) as Tensor;
  const evalOut = vmap(fmodel, { inDims: [0, 0, null] })(params, buffers, x) as Tensor;
  assertClose(evalOut, stack(models.map((m) => m.call(x))), { rtol: 1e-12, atol: 1e-12, what: "eval-mode ensemble" });

  // training mode: running stats cannot be updated in place under vmap
  models.forEach((m) => m.train());
  const [p2, b2] = stackModuleState(models);
  assert.throws(() => vmap(fmodel, { inDims: [0, 0, null] })(p2, b2, x), /replaceAllBatchNormModules_/);
  assert.ok(models[0].conv.weight instanceof nn.Parameter, "module restored after the error");

  // after replaceAllBatchNormModules_ there are no running stats: batch statistics under vmap
  models.forEach((m) => replaceAllBatchNormModules_(m));
  assert.equal(models[0].bn.runningMean, null);
  assert.equal(models[0].bn.trackRunningStats, false);
  assert.deepEqual(models[0].namedBuffers(), []);
  const [p3, b3] = stackModuleState(models);
  assert.deepEqual(b3, {});
  const trainOut = vmap(fmodel, { inDims: [0, 0, null] })(p3, b3, x) as Tensor;
  assertClose(trainOut, stack(models.map((m) => m.call(x))), { rtol: 1e-12, atol: 1e-12, what: "training-mode ensemble without running stats" });
});

test("BatchNorm in training mode under functionalCall and grad: running stats are updated from the concrete statistics", () => {
  manualSeed(7);
  const m = new ConvBN();
  const x = randn([4, 2, 4, 4], { dtype: "float64" });
  // concrete buffers passed in are updated in place; the module's own are not
  const rm = tensor([0, 0, 0], { dtype: "float64" }), rv = tensor([1, 1, 1], { dtype: "float64" });
  functionalCall(m, { "bn.runningMean": rm, "bn.runningVar": rv }, [x]);
  assert.deepEqual(v(m.bn.runningMean), [0, 0, 0]);
  assert.ok(v(rm).some((a) => a !== 0), "passed buffer updated");
  // grad over the parameters in training mode: the gradient is that of the batch-statistics forward
  const params = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.detach()]));
  const g = grad((p: Record<string, Tensor>) => (functionalCall(m, p, [x]) as Tensor).pow(2).sum())(params) as Record<string, Tensor>;
  assert.equal(m.bn.numBatchesTracked!.item(), 2, "the module's own counter counted both calls");
  m.call(x).pow(2).sum().backward();
  for (const [n, p] of m.namedParameters()) assertClose(g[n], p.grad!, { rtol: 1e-10, atol: 1e-12, what: n });
  assertClose(m.bn.runningMean!, v(rm).map((a) => a * 1.9), { rtol: 1e-12, atol: 1e-14, what: "two identical updates of the module's stats" });
});
