/**
 * Compositions of transforms, written against torch.func / JAX behaviour, with independent
 * references: closed forms, float64 finite differences, and plain loops over examples.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tensor, grad, gradAndValue, hessian, jacfwd, jacrev, jvp, tensor, vjp, vmap } from "../src/index.js";
import { Rng, assertClose, fromArray, jacobianFD, loopMap, randTensor, stackAt, take, values } from "./helpers/check.js";

const rng = new Rng(23);
const r = (...shape: number[]) => randTensor(rng, shape);
const f64 = (data: unknown) => tensor(data, { dtype: "float64" });

describe("vmap with grad", () => {
  const loss = (w: Tensor, x: Tensor, y: Tensor) => x.matmul(w).tanh().sub(y).square().sum();
  test("vmap(grad(f)) equals a loop of grads", () => {
    const w = r(3, 2), xs = r(6, 4, 3), ys = r(6, 4, 2);
    const got = vmap(grad(loss), { inDims: [null, 0, 0] })(w, xs, ys);
    assertClose(got, loopMap(grad(loss), [w, xs, ys], [null, 0, 0]));
  });
  test("vmap(grad(f)) with the parameters batched too (ensembles)", () => {
    const ws = r(3, 3, 2), x = r(4, 3), y = r(4, 2);
    assertClose(vmap(grad(loss), { inDims: [0, null, null] })(ws, x, y), loopMap(grad(loss), [ws, x, y], [0, null, null]));
  });
  test("grad(vmap(f)): gradient through a batched computation", () => {
    const g = (w: Tensor, x: Tensor) => x.matmul(w).sin().sum();
    const w = r(3, 2), xs = r(5, 3);
    const total = (wv: Tensor) => vmap(g, { inDims: [null, 0] })(wv, xs).sum();
    assertClose(grad(total)(w), jacobianFD(total, [w]), { rtol: 1e-6, atol: 1e-8 });
    // and with the batch in another dim and chunked
    const total2 = (wv: Tensor) => vmap(g, { inDims: [null, 1], chunkSize: 2 })(wv, xs.T).sum();
    assertClose(grad(total2)(w), jacobianFD(total, [w]), { rtol: 1e-6, atol: 1e-8 });
  });
  test("vmap(grad(f, {hasAux, argnums}))", () => {
    const f = (a: Tensor, b: Tensor) => [a.mul(b).sum(), a.sub(b)];
    const as = r(4, 3), bs = r(4, 3);
    const [gs, aux] = vmap(grad(f, { argnums: [0, 1], hasAux: true }))(as, bs) as [Tensor[], Tensor];
    assertClose(gs[0], bs);
    assertClose(gs[1], as);
    assertClose(aux, as.sub(bs));
  });
  test("vmap(gradAndValue(f)) returns batched values", () => {
    const xs = r(5, 2);
    const [g, v] = vmap(gradAndValue((x: Tensor) => x.exp().sum()))(xs) as Tensor[];
    assertClose(g, xs.exp());
    assertClose(v, loopMap((x: Tensor) => x.exp().sum(), [xs], [0]));
  });
});

describe("higher order", () => {
  test("grad(grad(grad(f))): sin''' = -cos, (x^4)''' = 24x", () => {
    const x = f64(0.3);
    assertClose(grad(grad(grad((v: Tensor) => v.sin())))(x), -Math.cos(0.3));
    assertClose(grad(grad(grad((v: Tensor) => v.pow(4))))(x), 24 * 0.3);
  });
  test("whirlwind tour: grad(sin) = cos, grad(grad(sin)) = -sin", () => {
    const x = r();
    assertClose(grad((v: Tensor) => v.sin())(x), x.cos());
    assertClose(grad(grad((v: Tensor) => v.sin()))(x), x.sin().neg());
  });
  const f = (x: Tensor) => x.mul(x.sin()).sum().add(x.prod().mul(0.5));
  // f = sum(x sin x) + prod(x)/2 on R^3
  const closedH = (x: Tensor) => {
    const v = values(x);
    const H = new Array<number>(9).fill(0);
    for (let i = 0; i < 3; i++) {
      H[i * 4] = 2 * Math.cos(v[i]) - v[i] * Math.sin(v[i]);
      for (let j = 0; j < 3; j++) if (i !== j) H[i * 3 + j] += 0.5 * v[3 - i - j];
    }
    return fromArray(H, [3, 3]);
  };
  test("jacfwd(jacrev), jacrev(jacrev), jacrev(jacfwd), jacfwd(jacfwd) and hessian agree with the closed form", () => {
    const x = r(3);
    const H = closedH(x);
    assertClose(jacfwd(jacrev(f))(x), H, { what: "jacfwd(jacrev)" });
    assertClose(jacrev(jacrev(f))(x), H, { what: "jacrev(jacrev)" });
    assertClose(jacrev(jacfwd(f))(x), H, { what: "jacrev(jacfwd)" });
    assertClose(jacfwd(jacfwd(f))(x), H, { what: "jacfwd(jacfwd)" });
    assertClose(hessian(f)(x), H, { what: "hessian" });
  });
  test("jvp(grad(f)) is a Hessian-vector product", () => {
    const x = r(3), v = r(3);
    const [g, hv] = jvp(grad(f), [x], [v]) as Tensor[];
    assertClose(g, grad(f)(x));
    assertClose(hv, closedH(x).matmul(v));
  });
  test("grad of a vjp (reverse over reverse) is a Hessian-vector product", () => {
    const x = r(3), v = r(3);
    const hvp = grad((y: Tensor) => (vjp(f, y)[1] as (c: Tensor) => Tensor[])(f64(1))[0].dot(v))(x);
    assertClose(hvp, closedH(x).matmul(v));
  });
  test("mixed partials by grad of grad with argnums", () => {
    // f(x, y) = sum(x^2 y^3): d/dy d/dx = 6 x y^2 (elementwise)
    const g = (x: Tensor, y: Tensor) => x.square().mul(y.pow(3)).sum();
    const x = r(3), y = r(3);
    const dxdy = grad((a: Tensor, b: Tensor) => grad(g)(a, b).sum(), { argnums: 1 })(x, y);
    assertClose(dxdy, fromArray(values(x).map((xi, i) => 6 * xi * values(y)[i] ** 2), [3]));
  });
});

describe("vmap with forward mode and jacobians", () => {
  test("vmap(jacrev(f)) equals a loop of Jacobians (whirlwind tour's batched Jacobian)", () => {
    const f = (x: Tensor) => x.sin().mul(x.sum());
    const xs = r(4, 3);
    assertClose(vmap(jacrev(f))(xs), loopMap(jacrev(f), [xs], [0]));
    assertClose(vmap(jacfwd(f))(xs), loopMap((x: Tensor) => jacobianFD(f, [x]), [xs], [0]));
  });
  test("vmap(jvp): batched tangents with shared and batched primals", () => {
    const f = (x: Tensor) => x.exp().mul(x.cos());
    const x = r(3), ts = r(5, 3), xs = r(5, 3);
    const jvpT = (t: Tensor) => jvp(f, [x], [t])[1] as Tensor;
    assertClose(vmap(jvpT)(ts), loopMap(jvpT, [ts], [0]));
    const jvpXT = (xv: Tensor, t: Tensor) => jvp(f, [xv], [t]) as Tensor[];
    const [outs, tans] = vmap(jvpXT)(xs, ts) as Tensor[];
    assertClose(outs, loopMap((a: Tensor, b: Tensor) => jvpXT(a, b)[0], [xs, ts], [0, 0]));
    assertClose(tans, loopMap((a: Tensor, b: Tensor) => jvpXT(a, b)[1], [xs, ts], [0, 0]));
  });
  test("jacrev of a vmapped function is block diagonal", () => {
    const f = (x: Tensor) => x.square().sum();
    const xs = r(3, 2);
    const J = jacrev(vmap(f))(xs) as Tensor; // [3, 3, 2]
    for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) {
      assertClose(take(take(J, 0, i), 0, k), i === k ? take(xs, 0, i).mul(2) : f64([0, 0]));
    }
  });
  test("vmap(hessian(f)) and vmap(vmap(grad(f)))", () => {
    const f = (x: Tensor) => x.pow(3).sum();
    const xs = r(2, 3, 2);
    const Hs = vmap(vmap(hessian(f)))(xs) as Tensor; // [2, 3, 2, 2]
    assert.deepEqual([...Hs.shape], [2, 3, 2, 2]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      const x = values(take(take(xs, 0, i), 0, j));
      assertClose(take(take(Hs, 0, i), 0, j), [6 * x[0], 0, 0, 6 * x[1]]);
    }
    assertClose(vmap(vmap(grad(f)))(xs), xs.square().mul(3));
  });
});

describe("perturbation confusion (levels keep nested transforms apart)", () => {
  test("grad(x => x * grad(y => x * y)(c))(x) = 2x", () => {
    const c = f64(3), x = f64(1.5);
    assertClose(grad((a: Tensor) => a.mul(grad((y: Tensor) => a.mul(y))(c)))(x), 3);
    const xs = r(4);
    assertClose(vmap(grad((a: Tensor) => a.mul(grad((y: Tensor) => a.mul(y))(c))))(xs), xs.mul(2));
  });
  test("JAX's classic: d/dx [x * (d/dy (x + y))] = 1, not 2", () => {
    const c = f64(3);
    assertClose(grad((a: Tensor) => a.mul(grad((y: Tensor) => a.add(y))(c)))(f64(1)), 1);
  });
  test("the same with jvp inside jvp", () => {
    const x = f64(2), c = f64(5);
    const inner = (a: Tensor) => jvp((y: Tensor) => a.mul(y), [c], [f64(1)])[1] as Tensor;
    const [, t] = jvp((a: Tensor) => a.mul(inner(a)), [x], [f64(1)]) as Tensor[];
    assertClose(t, 4);
    const [, t2] = jvp((a: Tensor) => a.mul(jvp((y: Tensor) => a.add(y), [c], [f64(1)])[1] as Tensor), [x], [f64(1)]) as Tensor[];
    assertClose(t2, 1);
  });
  test("grad inside jvp and jvp inside grad", () => {
    const c = f64(3), x = f64(1.5);
    const [, t] = jvp((a: Tensor) => a.mul(grad((y: Tensor) => a.mul(y))(c)), [x], [f64(1)]) as Tensor[];
    assertClose(t, 3);
    assertClose(grad((a: Tensor) => a.mul(jvp((y: Tensor) => a.mul(y), [c], [f64(1)])[1] as Tensor))(x), 3);
  });
});

describe("transforms of functions that capture outside tensors", () => {
  test("grad and vmap treat a captured concrete tensor as a constant", () => {
    const w = r(3);
    assertClose(grad((x: Tensor) => x.mul(w).sum())(r(3)), w);
    const xs = r(4, 3);
    assertClose(vmap((x: Tensor) => x.dot(w))(xs), loopMap((x: Tensor) => x.dot(w), [xs], [0]));
  });
  test("an inner grad captures a value batched by an outer vmap", () => {
    const w0 = r(3), xs = r(5, 3);
    const got = vmap((x: Tensor) => grad((w: Tensor) => w.mul(x).sin().sum())(w0))(xs);
    assertClose(got, loopMap((x: Tensor) => x.mul(w0.mul(x).cos()), [xs], [0]));
  });
  test("an inner vmap captures a value traced by an outer grad", () => {
    const ys = r(4, 2);
    const total = (x: Tensor) => vmap((y: Tensor) => y.mul(x).exp().sum())(ys).sum();
    const x = r(2);
    assertClose(grad(total)(x), jacobianFD(total, [x]), { rtol: 1e-6, atol: 1e-8 });
  });
  test("an inner jacrev captures an outer grad's value (x enters the inner Jacobian)", () => {
    // J(y) = diag(x cos(x y)); its trace's gradient in x is sum cos(x y) - x y sin(x y)
    const y = r(3);
    const h = (x: Tensor) => (jacrev((v: Tensor) => v.mul(x).sin())(y) as Tensor).diagonal().sum();
    const x = r(3);
    const xv = values(x), yv = values(y);
    assertClose(grad(h)(x), fromArray(xv.map((a, i) => Math.cos(a * yv[i]) - a * yv[i] * Math.sin(a * yv[i])), [3]));
  });
});

describe("Jacobian rows by vmap of a vjp over the identity", () => {
  test("x ** 2 style functions: vmap(vjpFn)(eye(N)) equals the Jacobian", () => {
    const N = 5;
    const x = r(N);
    const f = (v: Tensor) => v.pow(2).add(v.sum().mul(v));
    const [, vjpFn] = vjp(f, x) as [Tensor, (c: Tensor) => Tensor[]];
    const eye = fromArray(Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 1 : 0)), [N, N]);
    const rows = vmap((c: Tensor) => vjpFn(c)[0])(eye);
    const rowsLoop = stackAt(Array.from({ length: N }, (_, i) => vjpFn(take(eye, 0, i))[0]), 0);
    assertClose(rows, rowsLoop);
    assertClose(rows, jacobianFD(f, [x]));
  });
});

describe("null and undefined are empty subtrees (as None in JAX and torch)", () => {
  test("grad of a params object with a missing (null) bias", () => {
    const loss = (p: { w: Tensor; b: Tensor | null }, x: Tensor) => (p.b ? x.matmul(p.w).add(p.b) : x.matmul(p.w)).square().sum();
    const w = r(3, 2), x = r(4, 3);
    const g = grad(loss)({ w, b: null }, x) as { w: Tensor; b: null };
    assert.equal(g.b, null);
    assertClose(g.w, jacobianFD((wv: Tensor) => loss({ w: wv, b: null }, x), [w]), { rtol: 1e-6, atol: 1e-8 });
  });
  test("vmap with an optional argument left null or undefined, and a null output", () => {
    const f = (x: Tensor, scale: Tensor | null, shift?: Tensor) => [scale ? x.mul(scale) : x, shift ?? null];
    const xs = r(3, 2);
    const [y, none] = vmap(f)(xs, null, undefined) as [Tensor, null];
    assertClose(y, xs);
    assert.equal(none, null);
  });
  test("jacrev and jvp over pytrees with null entries", () => {
    const f = (p: { a: Tensor; b: null }) => ({ y: p.a.sin(), z: null });
    const a = r(3);
    const J = jacrev(f)({ a, b: null }) as { y: { a: Tensor; b: null }; z: null };
    assert.equal(J.z, null);
    assert.equal(J.y.b, null);
    assertClose(J.y.a, jacobianFD((v: Tensor) => v.sin(), [a]));
    const [out, tan] = jvp(f, [{ a, b: null }], [{ a: a.mul(0).add(1), b: null }]) as { y: Tensor }[];
    assertClose(out.y, a.sin());
    assertClose(tan.y, a.cos());
  });
});

describe("tape autograd through transforms (MAML's meta-gradient)", () => {
  test("backward() through vmap(grad(...)) equals grad of the whole and finite differences", () => {
    const net = (p: Tensor[], x: Tensor) => x.matmul(p[0]).tanh().matmul(p[1]);
    const mse = (p: Tensor[], x: Tensor, y: Tensor) => net(p, x).sub(y).square().mean();
    const inner = (p: Tensor[], xs: Tensor, ys: Tensor, xq: Tensor, yq: Tensor) => {
      const g = grad(mse)(p, xs, ys) as Tensor[];
      return mse(p.map((w, i) => w.sub(g[i].mul(0.1))), xq, yq);
    };
    const p = [r(1, 6), r(6, 1)];
    const [xs, ys, xq, yq] = [r(3, 5, 1), r(3, 5, 1), r(3, 5, 1), r(3, 5, 1)];
    const meta = (pp: Tensor[]) => (vmap(inner, { inDims: [null, 0, 0, 0, 0] })(pp, xs, ys, xq, yq) as Tensor).mean();
    const pt = p.map((w) => w.detach().requiresGrad_());
    meta(pt).backward();
    const gT = grad(meta)(p) as Tensor[];
    for (let i = 0; i < 2; i++) {
      assertClose(pt[i].grad, gT[i], { rtol: 1e-10, atol: 1e-12 });
      assertClose(gT[i], jacobianFD((w: Tensor) => meta(p.map((q, k) => (k === i ? w : q))), [p[i]]), { rtol: 1e-6, atol: 1e-8 });
    }
  });
});
