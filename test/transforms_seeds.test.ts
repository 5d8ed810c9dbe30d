/**
 * The seed examples (torch.vmap docs and tutorial, torch.func whirlwind tour, per-sample
 * gradients), each with its own asserts against closed forms or plain loops.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tensor, autograd, dot, grad, hessian, jacfwd, jacrev, jvp, tensor, vjp, vmap } from "../src/index.js";
import { Rng, assertClose, fromArray, loopMap, randTensor, take, values } from "./helpers/check.js";

const rng = new Rng(31);
const r = (...shape: number[]) => randTensor(rng, shape);
const rowDots = (x: Tensor, y: Tensor) => {
  const [n, d] = x.shape, a = values(x), b = values(y);
  return Array.from({ length: n }, (_, i) => a.slice(i * d, i * d + d).reduce((s, v, j) => s + v * b[i * d + j], 0));
};

describe("torch.vmap docs", () => {
  test("batched dot: vmap(dot)(x, y) with x, y [2, 5]", () => {
    const x = r(2, 5), y = r(2, 5);
    const out = vmap(dot)(x, y);
    assert.deepEqual([...out.shape], [2]);
    assertClose(out, rowDots(x, y));
  });
  test("in_dims=1: [N, D], [N, D] -> [D]", () => {
    const x = r(2, 5), y = r(2, 5);
    assertClose(vmap(dot, { inDims: 1 })(x, y), rowDots(x.T.contiguous(), y.T.contiguous()));
  });
  test("in_dims=(0, None): [N, D], [D] -> [N]", () => {
    const x = r(2, 5), y = r(5);
    assertClose(vmap(dot, { inDims: [0, null] })(x, y), rowDots(x, fromArray([...values(y), ...values(y)], [2, 5])));
  });
  test("in_dims for a dict argument: ({x: 0, y: None},)", () => {
    const x = r(2, 5), y = r(5);
    const f = (d: { x: Tensor; y: Tensor }) => dot(d.x, d.y);
    assertClose(vmap(f, { inDims: [{ x: 0, y: null }] })({ x, y }), rowDots(x, fromArray([...values(y), ...values(y)], [2, 5])));
  });
  test("out_dims=1: x ** 2 over [2, 5] gives [5, 2]", () => {
    const x = r(2, 5);
    const out = vmap((v: Tensor) => v.pow(2), { outDims: 1 })(x);
    assertClose(out, x.T.contiguous().square());
  });
  test("nested vmap: batched dot over [2, 3, 5] gives [2, 3]", () => {
    const x = r(2, 3, 5), y = r(2, 3, 5);
    const out = vmap(vmap(dot))(x, y);
    assertClose(out, fromArray(rowDots(x.reshape([6, 5]), y.reshape([6, 5])), [2, 3]));
  });
  test("the seed: vmap over autograd.grad(y, x, v) of a recorded graph with I_N gives the Jacobian", () => {
    const N = 5;
    const x = r(N).requiresGrad_();
    const y = x.pow(2);
    const eye = fromArray(Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 1 : 0)), [N, N]);
    const jacobian = vmap((v: Tensor) => autograd.grad(y, x, v)[0])(eye);
    const xs = values(x);
    assertClose(jacobian, Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 2 * xs[k / (N + 1)] : 0)));
    // and row by row (on a new graph: the batched call freed the first one, as torch's does)
    const y2 = x.pow(2);
    for (let i = 0; i < N; i++) assertClose(take(jacobian, 0, i), autograd.grad(y2, x, take(eye, 0, i), { retainGraph: true })[0]);
  });
  test("Jacobian rows by vmap of a vjp over eye(N): f = x ** 2 gives diag(2x)", () => {
    const N = 5, x = r(N);
    const [, vjpFn] = vjp((v: Tensor) => v.pow(2), x) as [Tensor, (c: Tensor) => Tensor[]];
    const eye = fromArray(Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 1 : 0)), [N, N]);
    const jac = vmap((v: Tensor) => vjpFn(v)[0])(eye);
    const xs = values(x);
    assertClose(jac, Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 2 * xs[k / (N + 1)] : 0)));
  });
});

describe("torch.func whirlwind tour", () => {
  test("vmap: model(feature_vec) = feature_vec.dot(weights).relu() over examples [3, 5]", () => {
    const weights = r(5), examples = r(3, 5);
    const model = (featureVec: Tensor) => {
      assert.equal(featureVec.ndim, 1, "the model sees one example at a time");
      return featureVec.dot(weights).relu();
    };
    const result = vmap(model)(examples);
    assertClose(result, rowDots(examples, fromArray([0, 1, 2].flatMap(() => values(weights)), [3, 5])).map((v) => Math.max(v, 0)));
  });
  test("grad: grad(sin)(x) = cos(x) and grad(grad(sin))(x) = -sin(x)", () => {
    const x = randTensor(rng, []);
    assertClose(grad((v: Tensor) => v.sin())(x), Math.cos(values(x)[0]));
    assertClose(grad(grad((v: Tensor) => v.sin()))(x), -Math.sin(values(x)[0]));
  });
  test("vjp: f = x.sin() + y.cos(), vjpFn(ones) = (cos x, -sin y)", () => {
    const x = r(5), y = r(5);
    const [out, vjpFn] = vjp((a: Tensor, b: Tensor) => a.sin().add(b.cos()), [x, y]) as [Tensor, (c: Tensor) => Tensor[]];
    assertClose(out, values(x).map((v, i) => Math.sin(v) + Math.cos(values(y)[i])));
    const [gx, gy] = vjpFn(fromArray([1, 1, 1, 1, 1], [5]));
    assertClose(gx, values(x).map(Math.cos));
    assertClose(gy, values(y).map((v) => -Math.sin(v)));
  });
  test("jvp: f = x * y with tangents (1, 1) gives x + y", () => {
    const x = r(5), y = r(5), ones = fromArray([1, 1, 1, 1, 1], [5]);
    const [, out] = jvp((a: Tensor, b: Tensor) => a.mul(b), [x, y], [ones, ones]) as Tensor[];
    assertClose(out, values(x).map((v, i) => v + values(y)[i]));
  });
  test("jacrev and jacfwd: jac(sin)(x) = diag(cos x); batched with vmap; argnums", () => {
    const x = r(5);
    const diagCos = (v: Tensor) => fromArray(Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? Math.cos(values(v)[k / 6]) : 0)), [5, 5]);
    assertClose(jacrev((v: Tensor) => v.sin())(x), diagCos(x));
    assertClose(jacfwd((v: Tensor) => v.sin())(x), diagCos(x));
    const xs = r(4, 5);
    const batched = vmap(jacrev((v: Tensor) => v.sin()))(xs);
    for (let i = 0; i < 4; i++) assertClose(take(batched, 0, i), diagCos(take(xs, 0, i)));
    // f(x, y) = x + y: the Jacobian in each argument is the identity
    const eye = fromArray(Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? 1 : 0)), [5, 5]);
    const [jx, jy] = jacrev((a: Tensor, b: Tensor) => a.add(b), { argnums: [0, 1] })(x, r(5)) as Tensor[];
    assertClose(jx, eye);
    assertClose(jy, eye);
    const [fx, fy] = jacfwd((a: Tensor, b: Tensor) => a.add(b), { argnums: [0, 1] })(x, r(5)) as Tensor[];
    assertClose(fx, eye);
    assertClose(fy, eye);
  });
  test("hessian: hessian(sin)(x) on a scalar is -sin(x); jacfwd(jacrev) matches", () => {
    const x = tensor(0.8, { dtype: "float64" });
    assertClose(hessian((v: Tensor) => v.sin())(x), -Math.sin(0.8));
    const v = r(3);
    const f = (a: Tensor) => a.sin().sum();
    const H = hessian(f)(v), H2 = jacfwd(jacrev(f))(v);
    assertClose(H, Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? -Math.sin(values(v)[k / 4]) : 0)));
    assertClose(H2, H);
  });
});

describe("per-sample gradients", () => {
  // a small linear model with a squared error: loss = (x . w + b - y)^2
  const loss = (params: { w: Tensor; b: Tensor }, x: Tensor, y: Tensor) => x.matmul(params.w).add(params.b).sub(y).square().sum();
  const params = { w: r(4), b: r() };
  const xs = r(6, 4), ys = r(6);
  test("vmap(grad(loss), inDims [null, 0, 0]) equals a loop of grads", () => {
    const g = vmap(grad(loss), { inDims: [null, 0, 0] })(params, xs, ys) as { w: Tensor; b: Tensor };
    assert.deepEqual(Object.keys(g), ["w", "b"]);
    assert.deepEqual([...g.w.shape], [6, 4]);
    assert.deepEqual([...g.b.shape], [6]);
    assertClose(g.w, loopMap((x: Tensor, y: Tensor) => (grad(loss)(params, x, y) as { w: Tensor }).w, [xs, ys], [0, 0]));
    assertClose(g.b, loopMap((x: Tensor, y: Tensor) => (grad(loss)(params, x, y) as { b: Tensor }).b, [xs, ys], [0, 0]));
  });
  test("and the closed form dw = 2 r x, db = 2 r with r = x . w + b - y", () => {
    const g = vmap(grad(loss), { inDims: [null, 0, 0] })(params, xs, ys) as { w: Tensor; b: Tensor };
    const w = values(params.w), b = values(params.b)[0], X = values(xs), Y = values(ys);
    const res = Y.map((y, i) => X.slice(i * 4, i * 4 + 4).reduce((s, v, j) => s + v * w[j], 0) + b - y);
    assertClose(g.w, X.map((v, k) => 2 * res[Math.floor(k / 4)] * v));
    assertClose(g.b, res.map((v) => 2 * v));
  });
});
