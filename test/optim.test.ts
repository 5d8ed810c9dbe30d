// Optimizers against hand-written update formulas: SGD (momentum, dampening, nesterov, weight
// decay), Adam / AdamW (amsgrad), param groups, in-place updates, and the pure functional updates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, nn, optim, tensor, grad, manualSeed, randn, noGrad, vmap, F } from "../src/index.js";
import { assertNear, values } from "./helpers/check.js";

const v = (t: Tensor | null) => values(t!);
const f64 = (xs: number[]) => tensor(xs, { dtype: "float64" });
const param = (xs: number[]) => new nn.Parameter(f64(xs));

// gradients for three steps, chosen by hand
const G = [[0.5, -1, 2], [0.25, 0.5, -1.5], [-1, 1, 0.75]];

function sgdReference(p0: number[], o: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }): number[][] {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = o;
  const p = [...p0];
  let buf: number[] | null = null;
  const out: number[][] = [];
  for (const g0 of G) {
    let d = g0.map((g, i) => (maximize ? -g : g) + weightDecay * p[i]);
    if (momentum !== 0) {
      buf = buf === null ? [...d] : buf.map((b, i) => momentum * b + (1 - dampening) * d[i]);
      d = nesterov ? d.map((di, i) => di + momentum * buf![i]) : [...buf];
    }
    for (let i = 0; i < p.length; i++) p[i] -= lr * d[i];
    out.push([...p]);
  }
  return out;
}

test("SGD: plain, momentum, dampening, nesterov and weight decay match the formulas", () => {
  const cases = [
    { lr: 0.1 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.05, momentum: 0.8, dampening: 0.3 },
    { lr: 0.1, momentum: 0.9, nesterov: true },
    { lr: 0.1, momentum: 0.5, weightDecay: 0.01 },
    { lr: 0.2, weightDecay: 0.1 },
    { lr: 0.1, maximize: true },
    { lr: 0.1, momentum: 0.9, dampening: 0.2, nesterov: false, weightDecay: 0.05, maximize: true },
    { lr: 0.1, momentum: 0.7, nesterov: true, weightDecay: 0.05, maximize: true },
  ];
  for (const c of cases) {
    const p0 = [1, -2, 0.5];
    const p = param(p0);
    const storage = p.data;
    const opt = new optim.SGD([p], c);
    const ref = sgdReference(p0, c);
    G.forEach((g, k) => {
      p.grad = f64(g);
      opt.step();
      assertNear(v(p), ref[k], 1e-15, `${JSON.stringify(c)} step ${k + 1}`);
    });
    assert.equal(p.data, storage, "updated in place");
    if (c.momentum) assert.ok(opt.state.get(p)!.momentumBuffer instanceof Tensor);
  }
});

function adamReference(p0: number[], o: { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean; decoupled?: boolean; maximize?: boolean }): number[][] {
  const { lr = 1e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false, decoupled = false, maximize = false } = o;
  const p = [...p0], m = p.map(() => 0), s = p.map(() => 0), smax = p.map(() => 0);
  const out: number[][] = [];
  G.forEach((g0, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      let g = maximize ? -g0[i] : g0[i];
      if (decoupled) p[i] *= 1 - lr * weightDecay;
      else g += weightDecay * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      s[i] = b2 * s[i] + (1 - b2) * g * g;
      smax[i] = Math.max(smax[i], s[i]);
      const mHat = m[i] / (1 - b1 ** t);
      const sHat = (amsgrad ? smax[i] : s[i]) / (1 - b2 ** t);
      p[i] -= (lr * mHat) / (Math.sqrt(sHat) + eps);
    }
    out.push([...p]);
  });
  return out;
}

test("Adam and AdamW match the formulas (defaults, betas, weight decay, amsgrad)", () => {
  const cases: [Record<string, unknown>, Parameters<typeof adamReference>[1], "Adam" | "AdamW"][] = [
    [{}, {}, "Adam"],
    [{ lr: 0.1, betas: [0.8, 0.9], eps: 1e-6 }, { lr: 0.1, betas: [0.8, 0.9], eps: 1e-6 }, "Adam"],
    [{ lr: 0.05, weightDecay: 0.1 }, { lr: 0.05, weightDecay: 0.1 }, "Adam"],
    [{ lr: 0.05, amsgrad: true, betas: [0.5, 0.6] }, { lr: 0.05, amsgrad: true, betas: [0.5, 0.6] }, "Adam"],
    [{ lr: 0.05 }, { lr: 0.05, weightDecay: 0.01, decoupled: true }, "AdamW"],
    [{ lr: 0.05, weightDecay: 0.2 }, { lr: 0.05, weightDecay: 0.2, decoupled: true }, "AdamW"],
    [{ lr: 0.05, weightDecay: 0.1, maximize: true }, { lr: 0.05, weightDecay: 0.1, maximize: true }, "Adam"],
    [{ lr: 0.05, amsgrad: true, maximize: true }, { lr: 0.05, amsgrad: true, maximize: true }, "Adam"],
    [{ lr: 0.05, weightDecay: 0.2, maximize: true }, { lr: 0.05, weightDecay: 0.2, decoupled: true, maximize: true }, "AdamW"],
  ];
  for (const [opts, refOpts, kind] of cases) {
    const p0 = [1, -2, 0.5];
    const p = param(p0);
    const opt = kind === "Adam" ? new optim.Adam([p], opts) : new optim.AdamW([p], opts);
    const ref = adamReference(p0, refOpts);
    G.forEach((g, k) => {
      p.grad = f64(g);
      opt.step();
      assertNear(v(p), ref[k], 1e-14, `${kind} ${JSON.stringify(opts)} step ${k + 1}`);
    });
    assert.equal(opt.state.get(p)!.step, 3);
  }
  // float32 parameters: within float32 rounding of the float64 reference
  const p32 = new nn.Parameter(tensor([1, -2, 0.5]));
  const opt = new optim.Adam([p32], { lr: 0.1 });
  const ref = adamReference([1, -2, 0.5], { lr: 0.1 });
  for (const g of G) {
    p32.grad = tensor(g);
    opt.step();
  }
  assertNear(v(p32), ref[2], 1e-6, "float32 Adam");
  assert.equal(p32.dtype, "float32");
});

test("zeroGrad, parameters without gradients, param groups and closures", () => {
  const a = param([1, 2]), b = param([3, 4]), c = param([5]);
  const opt = new optim.SGD([{ params: [a] }, { params: [b, c], lr: 1 }], { lr: 0.5 });
  assert.equal(opt.paramGroups[0].lr, 0.5);
  assert.equal(opt.paramGroups[1].lr, 1);
  a.grad = f64([1, 1]);
  b.grad = f64([1, -1]);
  opt.step();
  assert.deepEqual(v(a), [0.5, 1.5]);
  assert.deepEqual(v(b), [2, 5]);
  assert.deepEqual(v(c), [5], "no gradient: untouched");
  assert.equal(opt.state.has(c), false);
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
  a.grad = f64([1, 1]);
  opt.zeroGrad(false);
  assert.deepEqual(v(a.grad), [0, 0]);
  // a closure recomputes the loss (with recording on) before the update
  const w = param([3]);
  const o2 = new optim.SGD([w], { lr: 0.1 });
  const loss = noGrad(() => o2.step(() => {
    o2.zeroGrad();
    const l = w.pow(2).sum();
    l.backward();
    return l;
  }));
  assert.equal(loss, 9);
  assertNear(v(w), [3 - 0.1 * 6], 1e-15, "closure step");
});

test("a strided (non-contiguous) parameter is updated through its strides", () => {
  const base = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" });
  const p = new nn.Parameter(base.T); // shape [3, 2], shares base's storage
  assert.deepEqual(p.shape, [3, 2]);
  const opt = new optim.SGD([p], { lr: 1 });
  p.grad = tensor([[1, 0], [0, 1], [1, 1]], { dtype: "float64" });
  opt.step();
  assert.deepEqual(p.tolist(), [[0, 4], [2, 4], [2, 5]]);
  assert.deepEqual(base.tolist(), [[0, 2, 2], [4, 4, 5]], "written into the shared storage");
});

test("optimizer argument errors", () => {
  const p = param([1]);
  assert.throws(() => new optim.SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new optim.SGD(p as never, { lr: 0.1 }), /got a Tensor; wrap it in an array/);
  assert.throws(() => new optim.SGD([p.mul(2)], { lr: 0.1 }), /non-leaf/);
  assert.throws(() => new optim.SGD([p], { lr: -1 }), /invalid learning rate/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /nesterov/);
  assert.throws(() => new optim.SGD([p, p], { lr: 0.1 }), /more than one/);
  assert.throws(() => new optim.Adam([p], { betas: [1.0, 0.9] }), /invalid beta parameter at index 0/);
  assert.equal(new optim.SGD([p]).defaults.lr, 1e-3);
});

test("training a linear model with SGD and Adam recovers the weights", () => {
  manualSeed(0);
  const X = randn([64, 3], { dtype: "float64" });
  const wTrue = f64([1.5, -2, 0.5]);
  const y = X.matmul(wTrue).add(0.3).unsqueeze(1);
  for (const make of [(ps: Tensor[]) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }), (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.05 })]) {
    const model = new nn.Linear(3, 1, { dtype: "float64" });
    const opt = make(model.parameters());
    let last = Infinity;
    for (let i = 0; i < 300; i++) {
      opt.zeroGrad();
      const loss = F.mseLoss(model.call(X), y);
      loss.backward();
      opt.step();
      last = loss.item() as number;
    }
    assert.ok(last < 1e-6, `final loss ${last}`);
    assertNear(v(model.weight), [1.5, -2, 0.5], 1e-3, "weights");
    assertNear(v(model.bias), [0.3], 1e-3, "bias");
  }
});

test("sgdUpdate: pure, pytree-shaped, and differentiable (MAML's inner step)", () => {
  const params = { w: f64([1, 2]), b: f64([0.5]) };
  const grads = { w: f64([0.1, -0.2]), b: f64([1]) };
  const out = optim.sgdUpdate(params, grads, 0.5);
  assert.deepEqual(Object.keys(out), ["w", "b"]);
  assertNear(v(out.w), [0.95, 2.1], 1e-15, "w");
  assertNear(v(out.b), [0], 1e-15, "b");
  assert.deepEqual(v(params.w), [1, 2], "inputs untouched");
  assertNear(v(optim.sgdUpdate([f64([1])], [f64([2])], 0.1, { weightDecay: 0.5 })[0]), [1 - 0.1 * (2 + 0.5)], 1e-15, "weight decay");
  assert.throws(() => optim.sgdUpdate(params, { w: grads.w }, 0.1), /structure/);
  // MAML on L(p) = sum(c p^2) / 2: one inner step p' = (1 - lr c) p, so d L(p') / dp = c (1 - lr c)^2 p
  const c = f64([1, 2, 3]), lr = 0.1;
  const L = (p: Tensor) => p.pow(2).mul(c).sum().div(2);
  const outer = (p: Tensor) => L(optim.sgdUpdate(p, grad(L)(p) as Tensor, lr));
  const p0 = [0.5, -1, 2];
  const g = grad(outer)(f64(p0)) as Tensor;
  assertNear(v(g), p0.map((p, i) => [1, 2, 3][i] * (1 - lr * [1, 2, 3][i]) ** 2 * p), 1e-14, "meta-gradient");
  // and batched over tasks with vmap
  const ps = tensor([p0, p0.map((a) => 2 * a)], { dtype: "float64" });
  const gs = vmap(grad(outer))(ps) as Tensor;
  assertNear(v(gs), [...p0, ...p0.map((a) => 2 * a)].map((p, i) => [1, 2, 3][i % 3] * (1 - lr * [1, 2, 3][i % 3]) ** 2 * p), 1e-14, "vmap meta-gradient");
});

test("adamUpdate matches the Adam formula and is pure", () => {
  const p0 = [1, -2, 0.5];
  let params: Tensor[] = [f64(p0)];
  let state = optim.adamInit(params);
  const opts = { lr: 0.1, betas: [0.8, 0.9] as [number, number], weightDecay: 0.05 };
  const ref = adamReference(p0, opts);
  G.forEach((g, k) => {
    [params, state] = optim.adamUpdate(params, [f64(g)], state, opts);
    assertNear(v(params[0]), ref[k], 1e-14, `step ${k + 1}`);
  });
  assert.equal(state.step, 3);
  const refW = adamReference(p0, { lr: 0.1, weightDecay: 0.05, decoupled: true });
  let pw: Tensor[] = [f64(p0)];
  let sw = optim.adamInit(pw);
  for (const g of G) [pw, sw] = optim.adamUpdate(pw, [f64(g)], sw, { lr: 0.1, weightDecay: 0.05, decoupled: true });
  assertNear(v(pw[0]), refW[2], 1e-14, "decoupled");
});
