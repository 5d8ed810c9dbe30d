// Tape autograd: y.backward(), autograd.grad, noGrad/enableGrad, requiresGrad propagation,
// second derivatives with createGraph, and vmap over autograd.grad (the torch.vmap seed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, autograd, enableGrad, eye, noGrad, randn, stack, tensor, vmap, manualSeed, grad, arange } from "../src/index.js";
import { Rng, assertClose, assertNear, fromArray, randTensor, values } from "./helpers/check.js";

const v = (t: Tensor | null) => values(t!);

test("seed: vmap over autograd.grad of a recorded graph equals the row-by-row loop", () => {
  manualSeed(0);
  const x = randn([5], { requiresGrad: true });
  const y = x.pow(2); // recorded before the vmap
  const I = eye(5);
  const rows = [0, 1, 2, 3, 4].map((i) => autograd.grad(y, x, I.select(0, i), { retainGraph: true })[0]);
  const loop = stack(rows);
  const jac = vmap((u: Tensor) => autograd.grad(y, x, u, { retainGraph: true })[0])(I) as Tensor;
  assert.deepEqual(jac.shape, [5, 5]);
  assertClose(jac, loop, { what: "vmap vs loop" });
  // closed form: diag(2x)
  const xs = v(x);
  const expected = xs.flatMap((_, i) => xs.map((xi, j) => (i === j ? 2 * xi : 0)));
  assertNear(v(jac), expected, 1e-6, "diag(2x)");
  // without retainGraph the single batched call frees the graph afterwards
  const jac2 = vmap((u: Tensor) => autograd.grad(y, x, u)[0])(I) as Tensor;
  assertClose(jac2, loop, { what: "vmap without retainGraph" });
  assert.throws(() => autograd.grad(y, x, I.select(0, 0)), /backward through the graph a second time/);
});

test("seed: Jacobian of a matrix function through vmap(autograd.grad) matches the closed form", () => {
  const rng = new Rng(3);
  const W = randTensor(rng, [4, 3]);
  const x = randTensor(rng, [3]).requiresGrad_();
  const y = W.matmul(x).tanh(); // y_i = tanh(sum_j W_ij x_j)
  const jac = vmap((u: Tensor) => autograd.grad(y, x, u)[0])(eye(4, { dtype: "float64" })) as Tensor;
  const Wv = v(W), xv = v(x);
  const expected: number[] = [];
  for (let i = 0; i < 4; i++) {
    let s = 0;
    for (let j = 0; j < 3; j++) s += Wv[i * 3 + j] * xv[j];
    const d = 1 - Math.tanh(s) ** 2;
    for (let j = 0; j < 3; j++) expected.push(d * Wv[i * 3 + j]);
  }
  assertNear(v(jac), expected, 1e-12, "jacobian");
});

test("backward of a scalar fills .grad of leaves; repeated calls accumulate", () => {
  const x = tensor([1, -2, 3], { dtype: "float64", requiresGrad: true });
  assert.equal(x.grad, null);
  x.mul(x).sum().backward();
  assert.deepEqual(v(x.grad), [2, -4, 6]);
  assert.equal(x.grad!.requiresGrad, false);
  assert.equal(x.grad!.gradFn, null);
  x.mul(x).sum().backward();
  assert.deepEqual(v(x.grad), [4, -8, 12]);
  // a leaf used by several ops gets the sum of its contributions
  x.grad = null;
  x.mul(3).add(x.exp()).sum().backward();
  assertNear(v(x.grad), [1, -2, 3].map((a) => 3 + Math.exp(a)), 1e-14, "3 + exp(x)");
});

test("backward through a broadcast and several leaves", () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64", requiresGrad: true });
  const b = tensor([10, 20, 30], { dtype: "float64", requiresGrad: true });
  const c = tensor(2, { dtype: "float64", requiresGrad: true });
  // L = sum((a + b) * c)
  a.add(b).mul(c).sum().backward();
  assert.deepEqual(v(a.grad), [2, 2, 2, 2, 2, 2]);
  assert.deepEqual(v(b.grad), [4, 4, 4]);
  assert.deepEqual(a.grad!.shape, [2, 3]);
  assert.deepEqual(b.grad!.shape, [3]);
  assert.deepEqual(c.grad!.shape, []);
  assert.equal(c.grad!.item(), 1 + 2 + 3 + 4 + 5 + 6 + 2 * (10 + 20 + 30)); // sum(a + b) over 2 rows
});

test("backward matches float64 finite differences on a composite function", () => {
  const rng = new Rng(7);
  const W0 = randTensor(rng, [3, 4]), x0 = randTensor(rng, [4]), b0 = randTensor(rng, [3]);
  const f = (W: Tensor, x: Tensor, b: Tensor) => W.matmul(x).add(b).tanh().mul(x.sum().sigmoid()).pow(2).sum().log1p();
  const W = W0.clone().requiresGrad_(), x = x0.clone().requiresGrad_(), b = b0.clone().requiresGrad_();
  f(W, x, b).backward();
  const eps = 1e-6;
  const fd = (which: number): number[] => {
    const base = [W0, x0, b0];
    const vals = v(base[which]);
    return vals.map((_, i) => {
      const plus = [...vals], minus = [...vals];
      plus[i] += eps; minus[i] -= eps;
      const bp = [...base], bm = [...base];
      bp[which] = fromArray(plus, base[which].shape);
      bm[which] = fromArray(minus, base[which].shape);
      return ((f(bp[0], bp[1], bp[2]).item() as number) - (f(bm[0], bm[1], bm[2]).item() as number)) / (2 * eps);
    });
  };
  assertNear(v(W.grad), fd(0), 1e-7, "dW");
  assertNear(v(x.grad), fd(1), 1e-7, "dx");
  assertNear(v(b.grad), fd(2), 1e-7, "db");
});

test("a second backward through a freed graph throws; retainGraph keeps it", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.sin().sum();
  y.backward();
  assert.throws(() => y.backward(), {
    message: "backward: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed); pass {retainGraph: true} to the first call",
  });
  const z = x.sin().sum();
  z.backward(undefined, { retainGraph: true });
  z.backward();
  assertNear(v(x.grad), [1, 2].map((a) => 3 * Math.cos(a)), 1e-6, "three accumulated cos(x)");
  const w = x.exp().sum();
  autograd.grad(w, x);
  assert.throws(() => autograd.grad(w, x), /autograd\.grad: trying to backward through the graph a second time/);
});

test("non-scalar backward needs a gradient of the output's shape", () => {
  const x = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
  const y = x.mul(x);
  assert.throws(() => y.backward(), { message: "backward: grad can be implicitly created only for scalar outputs; pass a gradient of shape [3]" });
  assert.throws(() => y.backward(tensor([1, 2], { dtype: "float64" })), /shape \[2\].*shape \[3\]/);
  y.backward(tensor([1, 0.5, -1], { dtype: "float64" }));
  assert.deepEqual(v(x.grad), [2, 2, -6]);
  // a one-element non-0-d output is fine, as in PyTorch
  const s = tensor([2], { requiresGrad: true });
  s.mul(s).backward();
  assert.deepEqual(v(s.grad), [4]);
});

test("backward of a tensor outside the graph, and backward of a leaf itself", () => {
  const c = tensor([1, 2]);
  assert.throws(() => c.sum().backward(), /does not require grad and has no gradFn/);
  const x = tensor(3, { requiresGrad: true });
  x.backward();
  assert.equal(x.grad!.item(), 1);
  const n = noGrad(() => x.mul(2));
  assert.throws(() => n.backward(), /does not require grad/);
});

test("backward with inputs accumulates only into those leaves", () => {
  const a = tensor([1, 2], { dtype: "float64", requiresGrad: true });
  const b = tensor([3, 4], { dtype: "float64", requiresGrad: true });
  a.mul(b).sum().backward(null, { inputs: [b] });
  assert.equal(a.grad, null);
  assert.deepEqual(v(b.grad), [1, 2]);
  // a non-leaf in inputs gets its .grad too (as torch's backward(inputs=...))
  const h = a.mul(3);
  h.mul(b).sum().backward(null, { inputs: [h] });
  assert.deepEqual(v(h.grad), [3, 4]);
  assert.equal(a.grad, null);
});

test("retainGrad fills .grad of non-leaf tensors", () => {
  const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
  const h = x.mul(x);
  assert.equal(h.retainsGrad, false);
  h.retainGrad();
  assert.equal(h.retainsGrad, true);
  assert.equal(x.retainsGrad, true);
  const other = x.add(1);
  h.mul(3).add(other).sum().backward();
  assert.deepEqual(v(h.grad), [3, 3]);
  assert.equal(other.grad, null);
  assert.deepEqual(v(x.grad), [6 * 1 + 1, 6 * 2 + 1]);
  assert.throws(() => tensor([1]).retainGrad(), /does not require grad/);
});

test("autograd.grad: several outputs and inputs, gradOutputs, and no .grad side effects", () => {
  const x = tensor([0.5, -1.5], { dtype: "float64", requiresGrad: true });
  const w = tensor([2, 3], { dtype: "float64", requiresGrad: true });
  const y1 = x.mul(w).sum(); // d/dx = w, d/dw = x
  const y2 = x.exp(); // vector output, d/dx = g * exp(x)
  const g2 = tensor([1, 2], { dtype: "float64" });
  const [gx, gw] = autograd.grad([y1, y2], [x, w], [null, g2]);
  assertNear(v(gx), [2 + Math.exp(0.5), 3 + 2 * Math.exp(-1.5)], 1e-14, "gx");
  assertNear(v(gw), [0.5, -1.5], 1e-14, "gw");
  assert.equal(x.grad, null);
  assert.equal(w.grad, null);
  // a single output and single input (not arrays) also work; result is still an array
  const r = autograd.grad(x.pow(3).sum(), x);
  assert.equal(r.length, 1);
  assertNear(v(r[0]), [3 * 0.25, 3 * 2.25], 1e-14, "3x^2");
});

test("autograd.grad with respect to an intermediate (non-leaf) tensor", () => {
  const x = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
  const h = x.mul(2);
  const z = h.pow(2).sum().add(x.sum());
  const [gh, gx] = autograd.grad(z, [h, x]);
  assertNear(v(gh), [4, 8, 12], 1e-14, "dz/dh = 2h");
  assertNear(v(gx), [9, 17, 25], 1e-14, "dz/dx = 4h + 1 = 8x + 1");
});

test("autograd.grad errors and allowUnused", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const u = tensor([3, 4], { requiresGrad: true });
  const c = tensor([5, 6]);
  const y = x.mul(2).sum();
  assert.throws(() => autograd.grad(y, c, null, { retainGraph: true }), /inputs\[0\] does not require grad/);
  assert.throws(() => autograd.grad(y, [x, u], null, { retainGraph: true }), /inputs\[1\] appears to not have been used in the graph.*allowUnused: true/);
  const [gx, gu] = autograd.grad(y, [x, u], null, { retainGraph: true, allowUnused: true });
  assert.deepEqual(v(gx), [2, 2]);
  assert.equal(gu, null);
  const [, gz] = autograd.grad(y, [x, u], null, { retainGraph: true, allowUnused: true, materializeGrads: true });
  assert.deepEqual(v(gz), [0, 0]);
  // an input used elsewhere, but not by these outputs, is unused too
  u.mul(3);
  assert.throws(() => autograd.grad(y, u, null, { retainGraph: true }), /not have been used/);
  assert.throws(() => autograd.grad(c.mul(2).sum(), x), /outputs\[0\]|output does not require grad/);
  assert.throws(() => autograd.grad(x.mul(x), x), /implicitly created only for scalar outputs; pass a gradient of shape \[2\]/);
});

test("createGraph: second derivatives against closed forms", () => {
  // f(x) = x^3 sin(x): f' = 3x^2 sin x + x^3 cos x, f'' = 6x sin x + 6x^2 cos x - x^3 sin x
  const xs = [0.3, -1.2, 2.0];
  const x = tensor(xs, { dtype: "float64", requiresGrad: true });
  const f = x.pow(3).mul(x.sin()).sum();
  const [g] = autograd.grad(f, x, null, { createGraph: true });
  assert.ok(g.requiresGrad, "the gradient is recorded with createGraph");
  assert.ok(g.gradFn !== null);
  assertNear(v(g), xs.map((a) => 3 * a * a * Math.sin(a) + a ** 3 * Math.cos(a)), 1e-13, "f'");
  const [g2] = autograd.grad(g.sum(), x);
  assertNear(v(g2), xs.map((a) => 6 * a * Math.sin(a) + 6 * a * a * Math.cos(a) - a ** 3 * Math.sin(a)), 1e-13, "f''");
  // without createGraph the gradient is a constant
  const [h] = autograd.grad(x.pow(3).sum(), x);
  assert.equal(h.requiresGrad, false);
  assert.equal(h.gradFn, null);
});

test("createGraph: Hessian-vector product and backward with createGraph", () => {
  // f(x) = (sum x_i^2)^2: grad = 4 s x, Hessian = 4 s I + 8 x x^T (s = sum x^2)
  const xs = [1, -2, 0.5];
  const x = tensor(xs, { dtype: "float64", requiresGrad: true });
  const s = xs.reduce((a, b) => a + b * b, 0);
  const f = x.pow(2).sum().pow(2);
  const [g] = autograd.grad(f, x, null, { createGraph: true });
  const u = tensor([0.1, 0.2, -0.3], { dtype: "float64" });
  const [hvp] = autograd.grad(g, x, u);
  const uv = [0.1, 0.2, -0.3];
  const xu = xs.reduce((a, b, i) => a + b * uv[i], 0);
  assertNear(v(hvp), xs.map((xi, i) => 4 * s * uv[i] + 8 * xi * xu), 1e-13, "Hv");
  // backward with createGraph leaves a differentiable .grad
  const y = tensor(xs, { dtype: "float64", requiresGrad: true });
  y.pow(3).sum().backward(null, { createGraph: true });
  assert.ok(y.grad!.requiresGrad);
  const [d2] = autograd.grad(y.grad!.sum(), y);
  assertNear(v(d2), xs.map((a) => 6 * a), 1e-14, "d/dy sum(3y^2)");
});

test("noGrad does not record; enableGrad records inside it", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  assert.equal(autograd.isGradEnabled(), true);
  const y = noGrad(() => {
    assert.equal(autograd.isGradEnabled(), false);
    const inner = x.mul(2).exp();
    assert.equal(inner.requiresGrad, false);
    assert.equal(inner.gradFn, null);
    const on = enableGrad(() => x.mul(3));
    assert.equal(on.requiresGrad, true);
    assert.ok(on.gradFn);
    return inner;
  });
  assert.equal(autograd.isGradEnabled(), true);
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  // the mode is restored when fn throws
  assert.throws(() => noGrad(() => { throw new Error("boom"); }), /boom/);
  assert.equal(autograd.isGradEnabled(), true);
  // noGrad returns fn's value
  assert.equal(noGrad(() => 42), 42);
});

test("requiresGrad propagation", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const c = tensor([1, 1, 1]);
  assert.equal(x.requiresGrad, true);
  assert.equal(x.isLeaf, true);
  assert.equal(c.requiresGrad, false);
  const y = x.add(c);
  assert.equal(y.requiresGrad, true);
  assert.equal(y.isLeaf, false);
  assert.ok(y.gradFn);
  assert.equal(c.mul(2).requiresGrad, false);
  assert.equal(x.detach().requiresGrad, false);
  assert.equal(x.detach().gradFn, null);
  assert.equal(y.detach().isLeaf, true);
  // integer and boolean results never require grad
  assert.equal(x.gt(1).requiresGrad, false);
  assert.equal(x.argmax().requiresGrad, false);
  // gradient flows through views and reductions
  assert.equal(x.reshape([3, 1]).T.sum(0).requiresGrad, true);
  // requiresGrad_ only on leaves
  assert.throws(() => y.requiresGrad_(), /only leaf tensors/);
  const z = randn([2]).requiresGrad_();
  assert.equal(z.requiresGrad, true);
  // creation functions take requiresGrad
  assert.equal(arange(3, { dtype: "float32", requiresGrad: true }).requiresGrad, true);
  // only float tensors can require grad (as PyTorch); turning it off is always allowed
  assert.throws(() => arange(3, { requiresGrad: true }), /requiresGrad_: only float tensors can require gradients, this one is int32/);
  assert.throws(() => tensor([true]).requiresGrad_(), /only float tensors .* bool/);
  assert.equal(tensor([1], { dtype: "int32" }).requiresGrad_(false).requiresGrad, false);
  // the gradient of detach is zero
  const d = x.detach().mul(x).sum();
  const [gd] = autograd.grad(d, x);
  assert.deepEqual(v(gd), [1, 2, 3]);
  // toString shows the node
  assert.match(y.toString(), /grad_fn=<AddBackward>/);
  assert.match(x.toString(), /requires_grad=True/);
});

test("tape recording under the grad transform: transform and tape gradients agree", () => {
  const x = tensor([0.5, 1.5], { dtype: "float64", requiresGrad: true });
  const f = (t: Tensor) => t.sin().mul(t).sum();
  const g = grad(f)(x) as Tensor;
  x.sin().mul(x).sum().backward();
  assertClose(g, x.grad!, { rtol: 1e-14, what: "grad vs backward" });
});

test("tape autograd through vmap: a batched function of a leaf", () => {
  const w = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
  const xs = tensor([[1, 0, 0], [0, 1, 1], [2, 2, 2]], { dtype: "float64" });
  const out = vmap((row: Tensor) => row.mul(w).sum().pow(2))(xs) as Tensor;
  assert.ok(out.requiresGrad);
  out.sum().backward();
  // d/dw sum_b (x_b . w)^2 = sum_b 2 (x_b . w) x_b
  const X = [[1, 0, 0], [0, 1, 1], [2, 2, 2]], W = [1, 2, 3];
  const exp = [0, 0, 0];
  for (const row of X) {
    const s = row.reduce((a, r, i) => a + r * W[i], 0);
    row.forEach((r, i) => { exp[i] += 2 * s * r; });
  }
  assertNear(v(w.grad), exp, 1e-14, "dw");
});
