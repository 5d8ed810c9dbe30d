/**
 * grad, gradAndValue, vjp, jvp, linearize, jacrev, jacfwd and hessian against closed forms and
 * float64 finite differences: argnums (number, negative, array), hasAux, pytree inputs and
 * outputs, and the output-outermost structure of Jacobians.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tensor, enableGrad, grad, gradAndValue, hessian, jacfwd, jacrev, jvp, linearize, manualSeed, noGrad, rand, tensor, vjp, vmap } from "../src/index.js";
import { Rng, assertClose, fromArray, jacobianFD, randTensor, values } from "./helpers/check.js";

const rng = new Rng(11);
const r = (...shape: number[]) => randTensor(rng, shape);
const f64 = (data: unknown) => tensor(data, { dtype: "float64" });
const isConcrete = (t: unknown) => t instanceof Tensor && t.data !== null;

describe("grad", () => {
  test("closed form: d/dx sum(sin x) = cos x", () => {
    const x = r(3, 4);
    assertClose(grad((v: Tensor) => v.sin().sum())(x), x.cos());
  });
  test("argnums: a number, a negative number, an array", () => {
    const f = (x: Tensor, y: Tensor, z: Tensor) => x.mul(y).add(z.exp()).sum();
    const x = r(3), y = r(3), z = r(3);
    assertClose(grad(f)(x, y, z), y);
    assertClose(grad(f, { argnums: 1 })(x, y, z), x);
    assertClose(grad(f, { argnums: -1 })(x, y, z), z.exp());
    const gs = grad(f, { argnums: [2, 0] })(x, y, z) as Tensor[];
    assert.ok(Array.isArray(gs) && gs.length === 2);
    assertClose(gs[0], z.exp());
    assertClose(gs[1], y);
    const one = grad(f, { argnums: [1] })(x, y, z) as Tensor[];
    assert.ok(Array.isArray(one) && one.length === 1, "an array argnums of one still gives an array");
    assertClose(one[0], x);
  });
  test("a pytree argument gets a gradient of the same structure", () => {
    const loss = (p: { w: Tensor; b: Tensor[] }, x: Tensor) => x.matmul(p.w).add(p.b[0]).tanh().sum().add(p.b[1].square().sum());
    const p = { w: r(3, 2), b: [r(2), r(4)] }, x = r(5, 3);
    const g = grad(loss)(p, x) as { w: Tensor; b: Tensor[] };
    assert.deepEqual(Object.keys(g), ["w", "b"]);
    assertClose(g.w, jacobianFD((w: Tensor) => loss({ ...p, w }, x), [p.w]), { rtol: 1e-6, atol: 1e-8 });
    assertClose(g.b[0], jacobianFD((b0: Tensor) => loss({ ...p, b: [b0, p.b[1]] }, x), [p.b[0]]), { rtol: 1e-6, atol: 1e-8 });
    assertClose(g.b[1], p.b[1].mul(2));
  });
  test("hasAux returns [grads, aux] with aux as plain values", () => {
    const f = (x: Tensor) => {
      const y = x.square();
      return [y.sum(), { y, note: "aux", n: 3 }];
    };
    const x = r(4);
    const [g, aux] = grad(f, { hasAux: true })(x) as [Tensor, { y: Tensor; note: string; n: number }];
    assertClose(g, x.mul(2));
    assert.ok(isConcrete(aux.y), "aux tensors are not tracers");
    assertClose(aux.y, x.square());
    assert.equal(aux.note, "aux");
    assert.equal(aux.n, 3);
  });
  test("the gradient of an input the output does not depend on is zero", () => {
    const g = grad((x: Tensor, y: Tensor) => x.sum(), { argnums: [0, 1] })(r(2), r(3)) as Tensor[];
    assertClose(g[1], [0, 0, 0]);
  });
  test("float32 inputs give float32 gradients", () => {
    const x = tensor([1, 2, 3]);
    const g = grad((v: Tensor) => v.square().sum())(x);
    assert.equal(g.dtype, "float32");
    assertClose(g, [2, 4, 6]);
  });
  test("data-dependent control flow works under grad (the primal is concrete)", () => {
    const f = (x: Tensor) => ((x.sum().item() as number) > 0 ? x.square().sum() : x.neg().sum());
    assertClose(grad(f)(f64([1, 2])), [2, 4]);
    assertClose(grad(f)(f64([-1, -2])), [-1, -1]);
  });
});

describe("prod at zeros (the partials are products of the other elements, no 0/0)", () => {
  test("one zero: the gradient at the zero is the product of the rest", () => {
    assertClose(grad((v: Tensor) => v.prod())(f64([2, 0, 3, 4])), [0, 24, 0, 0]);
    assertClose(jacfwd((v: Tensor) => v.prod(1))(f64([[1, 2, 3], [0, 5, 2]])), [6, 3, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0]);
  });
  test("two zeros: zero gradient, but the Hessian couples the two zeros", () => {
    const x = f64([0, 0, 3]);
    assertClose(grad((v: Tensor) => v.prod())(x), [0, 0, 0]);
    assertClose(hessian((v: Tensor) => v.prod())(x), [0, 3, 0, 3, 0, 0, 0, 0, 0]);
    assertClose(jacrev(jacrev((v: Tensor) => v.prod()))(x), [0, 3, 0, 3, 0, 0, 0, 0, 0]);
  });
  test("no zeros, a size that is not a power of two, and a multi-axis reduction", () => {
    const x = r(2, 3, 5);
    const xs = values(x);
    const g = grad((v: Tensor) => v.prod([0, 2]).sum())(x);
    // group for dim 1 index j: elements (i, j, k) over i, k
    const expected = xs.map((_, idx) => {
      const j = Math.floor(idx / 5) % 3;
      let p = 1;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 5; k++) { const o = i * 15 + j * 5 + k; if (o !== idx) p *= xs[o]; }
      return p;
    });
    assertClose(g, expected, { rtol: 1e-12, atol: 1e-15 });
  });
});

describe("PyTorch's derivatives where the formula is 0 * inf or a tie (norm, std, clamp, pow)", () => {
  // each value is PyTorch's (torch 1.13, autograd and functorch alike), checked against the
  // subgradient it stands for; away from these points the finite-difference tests cover the rules
  test("a zero vector's 2-norm and p-norm, and a constant's std, have gradient 0, not NaN", () => {
    assertClose(grad((v: Tensor) => v.norm())(f64([0, 0, 0])), [0, 0, 0]);
    assertClose(grad((v: Tensor) => v.norm(3))(f64([0, 0, 0])), [0, 0, 0]);
    // only the zero row is special: the other keeps x / |x|
    assertClose(grad((v: Tensor) => v.norm(2, 1).sum())(f64([[0, 0], [3, 4]])), [0, 0, 0.6, 0.8]);
    assertClose(jvp((v: Tensor) => v.norm(), [f64([0, 0, 0])], [f64([1, 1, 1])])[1] as Tensor, [0]);
    assertClose(grad((v: Tensor) => v.std())(f64([2, 2, 2])), [0, 0, 0]);
    assertClose(grad((v: Tensor) => v.std(1).sum())(f64([[2, 2], [1, 3]])), [0, 0, -Math.SQRT1_2, Math.SQRT1_2]);
    // the values themselves are untouched, NaN included
    assertClose(f64([0, 0]).norm(), [0]);
    assert.ok(Number.isNaN(values(f64([NaN, 1]).norm())[0]));
  });
  test("clamp passes the whole gradient to x where x equals a bound", () => {
    assertClose(grad((v: Tensor) => v.clamp(-1, 1).sum())(f64([-1, 1, 0, 2, -3])), [1, 1, 1, 0, 0]);
    assertClose(grad((v: Tensor) => v.clamp(0).sum())(f64([0, 1, -1])), [1, 1, 0]);
    assertClose(jvp((v: Tensor) => v.clamp(-1, 1), [f64([-1, 1, 0, 2])], [f64([1, 1, 1, 1])])[1] as Tensor, [1, 1, 1, 0]);
    // tensor bounds get the gradient where x is past them; lo > hi clamps to hi
    const [gx, glo, ghi] = grad((x: Tensor, lo: Tensor, hi: Tensor) => x.clamp(lo, hi).sum(), { argnums: [0, 1, 2] })(
      f64([-1, 1, 0, 2, 0.5, -2]), f64([-1, -1, -1, -1, 1, -1]), f64([1, 1, 1, 1, 0, 1])) as Tensor[];
    assertClose(gx, [1, 1, 1, 0, 0, 0]);
    assertClose(glo, [0, 0, 0, 0, 0, 1]);
    assertClose(ghi, [0, 0, 0, 1, 1, 0]);
    // PyTorch 1.13's values: a NaN x passes no gradient; with lo = hi, x below them passes none either
    const [nx, nlo, nhi] = grad((x: Tensor, lo: Tensor, hi: Tensor) => x.clamp(lo, hi).sum(), { argnums: [0, 1, 2] })(
      f64([NaN, 0.5, 1, 2]), f64([0, 1, 1, 1]), f64([1, 1, 1, 1])) as Tensor[];
    assertClose(nx, [0, 0, 1, 0]);
    assertClose(nlo, [0, 0, 0, 0]);
    assertClose(nhi, [0, 0, 0, 1]);
    assertClose(grad((v: Tensor) => v.clamp(0, 1).sum())(f64([NaN, 0.5])), [0, 1]);
  });
  test("clamp's values: NaN in a tensor bound gives NaN, a NaN number bound is ignored, lo > hi gives hi", () => {
    const x = f64([1, -3, 5]);
    assert.deepEqual(x.clamp(NaN).tolist(), [1, -3, 5]);
    assert.deepEqual(x.clamp(null, NaN).tolist(), [1, -3, 5]);
    const t = x.clamp(f64([NaN, 0, 0]), f64([2, 2, NaN])).tolist() as number[];
    assert.ok(Number.isNaN(t[0]) && t[1] === 0 && Number.isNaN(t[2]));
    assert.deepEqual(f64([0, 3]).clamp(2, 1).tolist(), [1, 1]);
    assert.ok(Number.isNaN((f64([NaN]).clamp(0, 1).tolist() as number[])[0]));
  });
  test("x^0 has derivative 0 in x, even at x = 0 (where e x^(e-1) would be 0 * inf)", () => {
    assertClose(grad((v: Tensor) => v.pow(0).sum())(f64([0, 1, -1])), [0, 0, 0]);
    const g = values(grad((v: Tensor) => v.pow(f64([0, 0.5, 2])).sum())(f64([0, 0, 0])));
    assert.deepEqual(g, [0, Infinity, 0]);
    assertClose(jvp((v: Tensor) => v.pow(f64([0, 0, 0])), [f64([0, 0, 0])], [f64([1, 1, 1])])[1] as Tensor, [0, 0, 0]);
  });
});

describe("noGrad inside transforms (torch.func's rule)", () => {
  // f(a) = c * a with c = 2a computed under noGrad: reverse mode sees c as a constant (df/da = 2a),
  // forward mode ignores noGrad (df/da = 4a), as in PyTorch
  const f = (a: Tensor) => noGrad(() => a.mul(2)).mul(a);
  const x = f64([1, 2, 3]);
  test("grad, vjp and jacrev treat what noGrad computes as a constant", () => {
    assertClose(grad((a: Tensor) => f(a).sum())(x), [2, 4, 6]);
    assertClose(jacrev(f)(x), [2, 0, 0, 0, 4, 0, 0, 0, 6]);
    assertClose((vjp(f, x)[1](f64([1, 1, 1])) as Tensor[])[0], [2, 4, 6]);
    assertClose(vmap(grad((a: Tensor) => f(a).sum()))(f64([[1, 2], [3, 4]])), [2, 4, 6, 8]);
  });
  test("jvp and jacfwd ignore it", () => {
    assertClose(jvp(f, [x], [f64([1, 1, 1])])[1] as Tensor, [4, 8, 12]);
    assertClose(jacfwd(f)(x), [4, 0, 0, 0, 8, 0, 0, 0, 12]);
  });
  test("a transform entered inside noGrad works; enableGrad inside noGrad resumes recording", () => {
    assertClose(noGrad(() => grad((a: Tensor) => a.mul(a).sum())(x)), [2, 4, 6]);
    // d/da of (d/db sum(b^2 a) at b = a) * a with the inner gradient 2a^2 a constant: 2a^2
    assertClose(grad((a: Tensor) => noGrad(() => grad((b: Tensor) => b.mul(b).mul(a).sum())(a)).mul(a).sum())(f64([1, 2])), [2, 8]);
    assertClose(grad((a: Tensor) => noGrad(() => enableGrad(() => a.mul(2))).mul(a).sum())(x), [4, 8, 12]);
  });
});

describe("gradAndValue", () => {
  test("returns [grads, value]", () => {
    const x = r(3);
    const [g, v] = gradAndValue((a: Tensor) => a.exp().sum())(x) as [Tensor, Tensor];
    assertClose(g, x.exp());
    assertClose(v, values(x.exp()).reduce((a, b) => a + b, 0));
    assert.ok(isConcrete(v));
  });
  test("with argnums array and hasAux returns [grads, [value, aux]]", () => {
    const f = (a: Tensor, b: Tensor) => [a.mul(b).sum(), a.add(b)];
    const a = r(2), b = r(2);
    const [g, [v, aux]] = gradAndValue(f, { argnums: [0, 1], hasAux: true })(a, b) as [Tensor[], [Tensor, Tensor]];
    assertClose(g[0], b);
    assertClose(g[1], a);
    assertClose(v, values(a).reduce((s, x, i) => s + x * values(b)[i], 0));
    assertClose(aux, a.add(b));
  });
});

describe("vjp", () => {
  test("one tensor primal: [output, vjpFn] and vjpFn returns one gradient per primal", () => {
    const x = r(3);
    const [out, vjpFn] = vjp((v: Tensor) => v.sin(), x) as [Tensor, (c: Tensor) => Tensor[]];
    assertClose(out, x.sin());
    const ct = r(3);
    const gs = vjpFn(ct);
    assert.equal(gs.length, 1);
    assertClose(gs[0], ct.mul(x.cos()));
    // vjpFn can be called again
    assertClose(vjpFn(ct.mul(2))[0], ct.mul(2).mul(x.cos()));
  });
  test("several primals and pytree outputs take cotangents of the output's structure", () => {
    const f = (a: Tensor, b: Tensor) => ({ s: a.mul(b), t: [a.sum(), b.exp()] });
    const a = r(3), b = r(3);
    const [out, vjpFn] = vjp(f, [a, b]) as [{ s: Tensor; t: Tensor[] }, (c: unknown) => Tensor[]];
    assertClose(out.s, a.mul(b));
    const cs = r(3), c0 = f64(2), c1 = r(3);
    const [ga, gb] = vjpFn({ s: cs, t: [c0, c1] });
    assertClose(ga, cs.mul(b).add(2));
    assertClose(gb, cs.mul(a).add(c1.mul(b.exp())));
  });
  test("hasAux returns aux third", () => {
    const [out, vjpFn, aux] = vjp((v: Tensor) => [v.square(), { m: v.max() }], [f64([1, 3, 2])], { hasAux: true }) as [Tensor, (c: Tensor) => Tensor[], { m: Tensor }];
    assertClose(out, [1, 9, 4]);
    assertClose(aux.m, 3);
    assert.ok(isConcrete(aux.m));
    assertClose(vjpFn(f64([1, 1, 1]))[0], [2, 6, 4]);
  });
  test("the vjp of the whirlwind tour: f = x.sin() + y.cos()", () => {
    const x = r(5), y = r(5);
    const [out, vjpFn] = vjp((a: Tensor, b: Tensor) => a.sin().add(b.cos()), [x, y]) as [Tensor, (c: Tensor) => Tensor[]];
    assertClose(out, x.sin().add(y.cos()));
    const [gx, gy] = vjpFn(f64([1, 1, 1, 1, 1]));
    assertClose(gx, x.cos());
    assertClose(gy, y.sin().neg());
  });
});

describe("jvp", () => {
  test("whirlwind tour: jvp(x * y, (x, y), (1, 1)) = x + y", () => {
    const x = r(5), y = r(5), ones = f64([1, 1, 1, 1, 1]);
    const [out, t] = jvp((a: Tensor, b: Tensor) => a.mul(b), [x, y], [ones, ones]) as Tensor[];
    assertClose(out, x.mul(y));
    assertClose(t, x.add(y));
  });
  test("pytree primals and outputs; an output independent of the input has a zero tangent", () => {
    const f = (p: { a: Tensor; b: Tensor }) => [p.a.exp().mul(p.b), f64([1, 2])];
    const a = r(3), b = r(3), ta = r(3), tb = r(3);
    const [out, t] = jvp(f, [{ a, b }], [{ a: ta, b: tb }]) as [Tensor[], Tensor[]];
    assertClose(out[0], a.exp().mul(b));
    assertClose(t[0], ta.mul(a.exp()).mul(b).add(a.exp().mul(tb)));
    assertClose(t[1], [0, 0]);
  });
  test("hasAux returns aux third as a plain value", () => {
    const x = r(4);
    const [out, t, aux] = jvp((v: Tensor) => [v.tanh(), v.sum()], [x], [x.mul(0).add(1)], { hasAux: true }) as Tensor[];
    assertClose(out, x.tanh());
    assertClose(t, f64(values(x).map((v) => 1 - Math.tanh(v) ** 2)));
    assert.ok(isConcrete(aux));
    assertClose(aux, values(x).reduce((a, b) => a + b, 0));
  });
});

describe("linearize", () => {
  test("output and a jvpFn equal to jvp at the primals", () => {
    const f = (x: Tensor, y: Tensor) => x.sin().mul(y);
    const x = r(3), y = r(3);
    const [out, jvpFn] = linearize(f, x, y);
    assertClose(out, x.sin().mul(y));
    for (let k = 0; k < 2; k++) {
      const tx = r(3), ty = r(3);
      assertClose(jvpFn(tx, ty), tx.mul(x.cos()).mul(y).add(x.sin().mul(ty)));
    }
  });
});

describe("jacrev and jacfwd", () => {
  const f = (x: Tensor) => f64([1, 2, 3]).mul(x.square().sum()).add(x.sin().sum(0, true).mul(2));
  // f: R^3 -> R^3, J_ij = 2 * c_i * x_j + 2 cos(x_j)
  const closed = (x: Tensor) => {
    const xs = values(x), c = [1, 2, 3];
    return fromArray(c.flatMap((ci) => xs.map((xj) => 2 * ci * xj + 2 * Math.cos(xj))), [3, 3]);
  };
  for (const [name, jac] of [["jacrev", jacrev], ["jacfwd", jacfwd]] as const) {
    test(`${name}: closed form, and output shape out.shape ++ in.shape`, () => {
      const x = r(3);
      assertClose(jac(f)(x), closed(x));
      const J = jac((m: Tensor) => m.matmul(f64([[1, 2], [3, 4], [5, 6]])).exp())(r(2, 3)) as Tensor;
      assert.deepEqual([...J.shape], [2, 2, 2, 3]);
    });
    test(`${name}: whirlwind tour, jac(sin)(x) = diag(cos x)`, () => {
      const x = r(5);
      const J = jac((v: Tensor) => v.sin())(x) as Tensor;
      const c = values(x.cos());
      assertClose(J, fromArray(Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? c[k / 6] : 0)), [5, 5]));
    });
    test(`${name}: argnums array gives one Jacobian per argument`, () => {
      const g = (x: Tensor, y: Tensor) => x.mul(y.sum()).add(y.exp().sum());
      const x = r(3), y = r(2);
      const [jx, jy] = jac(g, { argnums: [0, 1] })(x, y) as Tensor[];
      assertClose(jx, jacobianFD(g, [x, y], 0));
      assertClose(jy, jacobianFD(g, [x, y], 1));
      assertClose(jac(g, { argnums: 1 })(x, y), jacobianFD(g, [x, y], 1));
    });
    test(`${name}: pytree outputs (output structure outermost) and pytree inputs`, () => {
      const g = (p: { a: Tensor; b: Tensor }, s: Tensor) => ({ u: p.a.mul(s), v: [p.b.sum(), p.a.mul(p.b.sum())] });
      const a = r(2), b = r(3), s = r(2);
      const J = jac(g, { argnums: [0, 1] })({ a, b }, s) as { u: [{ a: Tensor; b: Tensor }, Tensor]; v: [{ a: Tensor; b: Tensor }, Tensor][] };
      assert.deepEqual(Object.keys(J), ["u", "v"]);
      assert.ok(Array.isArray(J.u) && J.u.length === 2 && Array.isArray(J.v) && J.v.length === 2);
      const fu = (aa: Tensor, bb: Tensor, ss: Tensor) => g({ a: aa, b: bb }, ss).u;
      const fv0 = (aa: Tensor, bb: Tensor, ss: Tensor) => g({ a: aa, b: bb }, ss).v[0] as Tensor;
      const fv1 = (aa: Tensor, bb: Tensor, ss: Tensor) => g({ a: aa, b: bb }, ss).v[1] as Tensor;
      assertClose(J.u[0].a, jacobianFD(fu, [a, b, s], 0));
      assertClose(J.u[0].b, jacobianFD(fu, [a, b, s], 1));
      assertClose(J.u[1], jacobianFD(fu, [a, b, s], 2));
      assert.deepEqual([...J.v[0][0].b.shape], [3]);
      assertClose(J.v[0][0].b, jacobianFD(fv0, [a, b, s], 1));
      assertClose(J.v[1][0].a, jacobianFD(fv1, [a, b, s], 0));
      assertClose(J.v[1][0].b, jacobianFD(fv1, [a, b, s], 1));
      assertClose(J.v[1][1], jacobianFD(fv1, [a, b, s], 2));
      // a single argnums gives the input structure directly under each output
      const J0 = jac(g)({ a, b }, s) as { u: { a: Tensor; b: Tensor } };
      assertClose(J0.u.a, jacobianFD(fu, [a, b, s], 0));
    });
    test(`${name}: hasAux returns [jacobian, aux]`, () => {
      const x = r(3);
      const [J, aux] = jac((v: Tensor) => [v.exp(), { s: v.sum(), tag: "t", n: null }], { hasAux: true })(x) as [Tensor, { s: Tensor; tag: string; n: null }];
      assert.equal(aux.tag, "t");
      assert.equal(aux.n, null);
      const e = values(x.exp());
      assertClose(J, fromArray(Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? e[k / 4] : 0)), [3, 3]));
      assert.ok(isConcrete(aux.s));
      assertClose(aux.s, values(x).reduce((a, b) => a + b, 0));
    });
    test(`${name}: 0-d input and 0-d output`, () => {
      const x = f64(0.7);
      assertClose(jac((v: Tensor) => v.sin())(x), Math.cos(0.7));
      const J = jac((v: Tensor) => v.square().sum())(f64([1, 2])) as Tensor;
      assertClose(J, [2, 4]);
    });
  }
  test('jacfwd randomness: "error" throws, "same" uses one draw for every column', () => {
    const f = (v: Tensor) => v.mul(rand([3], { dtype: "float64" }));
    const x = r(3);
    assert.throws(() => jacfwd(f)(x), /randomness/);
    manualSeed(5);
    const J = jacfwd(f, { randomness: "same" })(x) as Tensor;
    manualSeed(5);
    const d = values(rand([3], { dtype: "float64" }));
    assertClose(J, [d[0], 0, 0, 0, d[1], 0, 0, 0, d[2]]);
    const Jd = values(jacfwd(f, { randomness: "different" })(x) as Tensor);
    assert.ok([1, 2, 3, 5, 6, 7].every((k) => Jd[k] === 0), "still diagonal");
  });
  test("jacrev with chunkSize gives the same Jacobian", () => {
    const x = r(4);
    const g = (v: Tensor) => v.outer(v).sin().flatten();
    const full = jacrev(g)(x) as Tensor;
    assertClose(full, jacobianFD(g, [x]));
    for (const chunkSize of [1, 3, 16, 100]) assertClose(jacrev(g, { chunkSize })(x), full, { what: `chunkSize ${chunkSize}` });
  });
});

describe("hessian", () => {
  test("closed form: f = sum(x^3) + x0 x1", () => {
    const f = (x: Tensor) => x.pow(3).sum().add(x.select(0, 0).mul(x.select(0, 1)));
    const x = r(3);
    const xs = values(x);
    const H = [6 * xs[0], 1, 0, 1, 6 * xs[1], 0, 0, 0, 6 * xs[2]];
    assertClose(hessian(f)(x), fromArray(H, [3, 3]));
  });
  test("quadratic form x^T A x has hessian A + A^T", () => {
    const A = r(4, 4), x = r(4);
    const H = hessian((v: Tensor) => v.matmul(A).dot(v))(x);
    assertClose(H, A.add(A.T));
  });
  test("argnums array gives the blocks [[Hxx, Hxy], [Hyx, Hyy]]", () => {
    // f = sum(x^2 y) with x, y in R^2 (elementwise): Hxx = diag(2y), Hxy = diag(2x), Hyy = 0
    const f = (x: Tensor, y: Tensor) => x.square().mul(y).sum();
    const x = r(2), y = r(2);
    const H = hessian(f, { argnums: [0, 1] })(x, y) as Tensor[][];
    const diag = (v: number[]) => fromArray([v[0], 0, 0, v[1]], [2, 2]);
    assertClose(H[0][0], diag(values(y).map((v) => 2 * v)));
    assertClose(H[0][1], diag(values(x).map((v) => 2 * v)));
    assertClose(H[1][0], diag(values(x).map((v) => 2 * v)));
    assertClose(H[1][1], [0, 0, 0, 0]);
  });
  test("whirlwind tour: hessian of sin on a vector (a [5, 5, 5] diagonal)", () => {
    const x = r(5);
    const H = hessian((v: Tensor) => v.sin())(x) as Tensor;
    assert.deepEqual([...H.shape], [5, 5, 5]);
    const s = values(x.sin()), h = values(H);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 5; k++) {
      assert.ok(Math.abs(h[i * 25 + j * 5 + k] - (i === j && j === k ? -s[i] : 0)) < 1e-12);
    }
  });
});
