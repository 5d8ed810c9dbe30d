/**
 * Misuse of the transforms throws an Error naming the transform, what was wrong and the fix,
 * as torch.func does (asserted on the key words of each message).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tensor, grad, gradAndValue, jacfwd, jacrev, jvp, randn, tensor, vjp, vmap } from "../src/index.js";

const f64 = (data: unknown) => tensor(data, { dtype: "float64" });
const x23 = f64([[1, 2, 3], [4, 5, 6]]);

describe("vmap: reading values of a batched tensor", () => {
  for (const op of ["item", "tolist", "toTypedArray"] as const) {
    test(`${op}() inside vmap names vmap, ${op}() and the fix`, () => {
      const re = new RegExp(`vmap.*${op}\\(\\).*batched`, "s");
      assert.throws(() => vmap((v: Tensor) => (v.sum() as any)[op]())(x23), re);
      // also through another transform's tracer inside vmap
      assert.throws(() => vmap((v: Tensor) => grad((w: Tensor) => { (w.sum() as any)[op](); return w.sum(); })(v))(x23), re);
    });
  }
  test("data-dependent control flow (an if on a batched value) is reported", () => {
    assert.throws(() => vmap((v: Tensor) => ((v.sum().item() as number) > 0 ? v : v.neg()))(x23), /vmap.*item\(\).*where/s);
    // the same comparison on the tensor itself (JavaScript converts it with Symbol.toPrimitive)
    assert.throws(() => vmap((v: Tensor) => ((v.sum() as unknown as number) > 0 ? v : v.neg()))(x23), /vmap: cannot call Number\(x\) \(which x > 0 and \+x call\) on a batched tensor.*where/s);
  });
  test("values that are not batched may still be read inside vmap", () => {
    const c = f64([1, 2]);
    const out = vmap((v: Tensor) => v.mul(c.sum().item() as number))(x23);
    assert.deepEqual(out.tolist(), [[3, 6, 9], [12, 15, 18]]);
  });
});

describe("vmap: inDims and sizes", () => {
  test("inDims with a different number of entries than arguments", () => {
    assert.throws(() => vmap((a: Tensor, b: Tensor) => a.add(b), { inDims: [0] })(x23, x23), /vmap.*inDims.*1.*2 arguments/s);
    assert.throws(() => vmap((a: Tensor) => a, { inDims: [0, 0, 0] })(x23), /vmap.*inDims.*3.*1 argument/s);
  });
  test("inDims whose structure does not match a pytree argument", () => {
    const p = { w: x23, b: x23 };
    assert.throws(() => vmap((q: typeof p) => q.w, { inDims: [{ w: 0 }] })(p), /vmap.*inDims.*(keys|match)/s);
    assert.throws(() => vmap((q: typeof p) => q.w, { inDims: [[0, 0]] })(p), /vmap.*inDims.*entries/s);
    assert.throws(() => vmap((q: Tensor[]) => q[0], { inDims: [[0, 0, 0]] })([x23, x23]), /vmap.*inDims.*3 entries/s);
    assert.throws(() => vmap((q: Tensor) => q, { inDims: ["0" as any] })(x23), /vmap.*inDims.*expected a number/s);
    assert.throws(() => vmap((q: typeof p) => q.w, { inDims: { w: 0, b: null } })(p), /vmap.*inDims must be a number, null, or an array.*\[\{/s);
  });
  test("a mapped dim out of range", () => {
    assert.throws(() => vmap((a: Tensor) => a, { inDims: 2 })(x23), /vmap.*inDims 2.*out of range.*\[2, 3\]/s);
    assert.throws(() => vmap((a: Tensor) => a, { inDims: -3 })(x23), /vmap.*out of range/s);
    assert.throws(() => vmap((a: Tensor) => a)(f64(1)), /vmap.*0-d.*null/s);
    assert.throws(() => vmap((a: Tensor) => a, { inDims: 0.5 })(x23), /vmap.*out of range/s);
  });
  test("mapped inputs whose sizes differ", () => {
    assert.throws(() => vmap((a: Tensor, b: Tensor) => a.add(b))(x23, f64([1, 2, 3])), /vmap.*same size.*size 2.*size 3/s);
  });
  test("no mapped input", () => {
    assert.throws(() => vmap((a: Tensor) => a, { inDims: null })(x23), /vmap.*no input is mapped/s);
    assert.throws(() => vmap((a: number) => f64(a), { inDims: [null] })(3), /vmap.*no input is mapped/s);
  });
  test("a non-tensor argument mapped by inDims", () => {
    assert.throws(() => vmap((a: Tensor, n: number) => a.mul(n))(x23, 2), /vmap.*argument 1.*number.*null/s);
  });
  test("bad options: randomness and chunkSize", () => {
    assert.throws(() => vmap((a: Tensor) => a, { randomness: "sometimes" as any }), /vmap.*randomness/);
    assert.throws(() => vmap((a: Tensor) => a, { chunkSize: 0 }), /vmap.*chunkSize/);
  });
});

describe("vmap: outputs", () => {
  test("a non-tensor output", () => {
    assert.throws(() => vmap((_a: Tensor) => 3)(x23), /vmap.*must return Tensors.*number/s);
    assert.throws(() => vmap((a: Tensor) => [a, "x"])(x23), /vmap.*must return Tensors.*string/s);
  });
  test("outDims whose structure does not match the output", () => {
    assert.throws(() => vmap((a: Tensor) => [a, a], { outDims: [0, 0, 0] })(x23), /vmap.*outDims/);
    assert.throws(() => vmap((a: Tensor) => ({ u: a }), { outDims: { v: 0 } })(x23), /vmap.*outDims/);
  });
  test("outDims out of range, and null for a batched output", () => {
    assert.throws(() => vmap((a: Tensor) => a, { outDims: 2 })(x23), /vmap.*outDims 2.*out of range/s);
    assert.throws(() => vmap((a: Tensor) => a, { outDims: null })(x23), /vmap.*outDims.*null.*depends/s);
  });
});

describe("randomness", () => {
  test('a random op under randomness "error"', () => {
    assert.throws(() => vmap((a: Tensor) => a.add(randn([3])))(x23), /vmap.*random.*randomness.*different.*same/s);
    assert.throws(() => jacfwd((a: Tensor) => a.add(randn([3])))(f64([1, 2, 3])), /random.*randomness/s);
  });
});

describe("grad and friends", () => {
  test("grad of a non-scalar output (shape [1] is an error too)", () => {
    assert.throws(() => grad((a: Tensor) => a.sin())(f64([1, 2])), /grad.*0-d.*\[2\]/s);
    assert.throws(() => grad((a: Tensor) => a.sum().reshape([1]))(f64([1, 2])), /grad.*0-d.*\[1\]/s);
    assert.throws(() => gradAndValue((a: Tensor) => a.sin())(f64([1, 2])), /gradAndValue.*0-d/s);
  });
  test("grad of a non-float output or a non-tensor output", () => {
    assert.throws(() => grad((a: Tensor) => a.sum().gt(0))(f64([1, 2])), /grad.*0-d float.*bool/s);
    assert.throws(() => grad((_a: Tensor) => 3)(f64([1, 2])), /grad.*(0-d|Tensors).*number/s);
  });
  test("grad of an int input", () => {
    assert.throws(() => grad((a: Tensor) => a.sum().to("float32"))(tensor([1, 2], { dtype: "int32" })), /grad.*int32.*floating/s);
    assert.throws(() => grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: 1 })(f64([1]), tensor([true])), /grad.*bool.*floating/s);
  });
  test("argnums out of range, empty or repeated", () => {
    assert.throws(() => grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: [0, 0] })(f64([1]), f64([2])), /grad: argnums must be unique, got \[0,0\]/);
    assert.throws(() => jacfwd((a: Tensor, b: Tensor) => a.mul(b), { argnums: [1, -1] })(f64([1]), f64([2])), /jacfwd: argnums must be unique, got \[1,-1\]/);
    assert.throws(() => grad((a: Tensor) => a.sum(), { argnums: 1 })(f64([1])), /grad.*argnums 1.*out of range.*1 argument/s);
    assert.throws(() => grad((a: Tensor) => a.sum(), { argnums: [] })(f64([1])), /grad.*argnums.*empty/s);
    assert.throws(() => jacrev((a: Tensor) => a, { argnums: [0, 2] })(f64([1])), /jacrev.*argnums 2/s);
  });
  test("hasAux without an [output, aux] pair", () => {
    assert.throws(() => grad((a: Tensor) => a.sum(), { hasAux: true })(f64([1, 2])), /grad.*hasAux.*\[output, aux\]/s);
    assert.throws(() => jvp((a: Tensor) => a, [f64([1])], [f64([1])], { hasAux: true }), /jvp.*hasAux/s);
  });
  test("a non-tensor input to differentiate", () => {
    assert.throws(() => grad((a: number) => f64(a).sum())(3), /grad.*Tensors.*number/s);
  });
});

describe("vjp and jvp arguments", () => {
  test("vjpFn cotangents of the wrong structure or shape", () => {
    const [, vjpFn] = vjp((a: Tensor) => [a.sin(), a.cos()], f64([1, 2])) as [unknown, (c: unknown) => Tensor[]];
    assert.throws(() => vjpFn(f64([1, 1])), /vjp.*cotangents.*structure/s);
    assert.throws(() => vjpFn([f64([1, 1]), f64([1, 1, 1])]), /vjp.*cotangent 1.*shape \[2\].*\[3\]/s);
  });
  test("jvp tangents of the wrong structure, shape or dtype", () => {
    assert.throws(() => jvp((a: Tensor) => a, [f64([1, 2])], [f64([1, 2]), f64([1])]), /jvp.*tangents.*structure/s);
    assert.throws(() => jvp((a: Tensor) => a, [f64([1, 2])], [f64([1, 2, 3])]), /jvp.*tangent 0.*\[3\].*\[2\]/s);
    assert.throws(() => jvp((a: Tensor) => a, f64([1]) as any, [f64([1])]), /jvp.*arrays/s);
    assert.throws(() => jvp((a: Tensor) => a, [tensor([1, 2], { dtype: "int32" })], [f64([1, 2])]), /jvp.*int32.*floating/s);
  });
  test("non-tensor outputs of jvp and vjp", () => {
    assert.throws(() => jvp((_a: Tensor) => "s", [f64([1])], [f64([1])]), /jvp.*must return Tensors.*string/s);
    assert.throws(() => vjp((_a: Tensor) => [3], f64([1])), /vjp.*must return Tensors.*number/s);
  });
});

describe("escaped tracers", () => {
  test("a tracer stored outside its transform and used later", () => {
    let leaked: Tensor | null = null;
    grad((a: Tensor) => { leaked = a.mul(2); return a.sum(); })(f64([1, 2]));
    assert.throws(() => leaked!.add(1), /finished grad call.*escaped/s);
    vmap((a: Tensor) => { leaked = a; return a; })(x23);
    assert.throws(() => leaked!.sin(), /finished vmap call.*escaped/s);
  });
});
