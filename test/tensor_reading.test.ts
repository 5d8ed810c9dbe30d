// Reading values out: tolist, item, toTypedArray, toString, allclose / isclose.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tensor, zeros, arange, allclose, isclose } from "../src/index.js";

test("tolist: nested arrays, numbers for 0-d, booleans for bool", () => {
  assert.deepEqual(tensor([[1, 2], [3, 4]]).tolist(), [[1, 2], [3, 4]]);
  assert.equal(tensor(3.5).tolist(), 3.5);
  assert.equal(tensor(true).tolist(), true);
  assert.deepEqual(tensor([[true], [false]]).tolist(), [[true], [false]]);
  assert.deepEqual(tensor([1, 2], { dtype: "int32" }).tolist(), [1, 2]);
  assert.deepEqual(zeros([2, 0]).tolist(), [[], []]);
  assert.deepEqual(zeros([0, 2]).tolist(), []);
  // non-contiguous views are read in logical (row-major) order
  const x = arange(6).reshape([2, 3]);
  assert.deepEqual(x.T.tolist(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(x.flip(1).tolist(), [[2, 1, 0], [5, 4, 3]]);
  assert.deepEqual(x.narrow(1, 1, 2).tolist(), [[1, 2], [4, 5]]);
  assert.deepEqual(tensor([7]).expand([2, 2]).tolist(), [[7, 7], [7, 7]]);
  assert.equal(x.select(0, 1).select(0, 2).tolist(), 5);
  // a fresh array each call
  const t = tensor([1, 2]);
  const l = t.tolist() as number[];
  l[0] = 100;
  assert.deepEqual(t.tolist(), [1, 2]);
});

test("item: one element of any shape; an error naming the element count otherwise", () => {
  assert.equal(tensor(2.5).item(), 2.5);
  assert.equal(tensor([[7]], { dtype: "int32" }).item(), 7);
  assert.equal(tensor([[[false]]]).item(), false);
  assert.equal(tensor([0.1]).item(), Math.fround(0.1));
  assert.equal(tensor([0.1], { dtype: "float64" }).item(), 0.1);
  assert.equal(arange(6).reshape([2, 3]).narrow(0, 1, 1).narrow(1, 2, 1).item(), 5);
  assert.throws(() => zeros([2, 3]).item(), { message: "item(): a Tensor with 6 elements (shape [2, 3]) cannot be converted to a number; item() needs exactly one element" });
  assert.throws(() => zeros([0]).item(), /item\(\): a Tensor with 0 elements \(shape \[0\]\)/);
  assert.throws(() => tensor([1, 2]).item(), /item\(\): a Tensor with 2 elements/);
});

test("number contexts take a one-element tensor's value; string contexts print it", () => {
  const x = tensor([1, 2, 3]);
  const s = x.sum() as unknown as number;
  // without Symbol.toPrimitive these would compare the printed text and be false
  assert.equal(s > 5, true);
  assert.equal(s > 7, false);
  assert.equal(Number(x.max()), 3);
  assert.equal(+tensor([[true]]), 1);
  assert.equal(Math.max(tensor(-2.5) as unknown as number, -3), -2.5);
  assert.equal(`${x.sum()}`, "tensor(6.)");
  assert.equal("sum: " + x.sum(), "sum: tensor(6.)");
  assert.throws(() => (x as unknown as number) > 0, /Number\(x\) \(which x > 0 and \+x call\): a Tensor with 3 elements \(shape \[3\]\) has no single number; reduce it first/);
});

test("toTypedArray: a row-major copy of the right element type", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const a = x.toTypedArray();
  assert.ok(a instanceof Float32Array);
  assert.deepEqual(Array.from(a), [1, 2, 3, 4, 5, 6]);
  a[0] = 100; // a copy: the tensor is unchanged
  assert.deepEqual(x.tolist(), [[1, 2, 3], [4, 5, 6]]);
  assert.notEqual(x.toTypedArray(), x.data);
  assert.deepEqual(Array.from(x.T.toTypedArray()), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(Array.from(x.flip([0, 1]).toTypedArray()), [6, 5, 4, 3, 2, 1]);
  assert.deepEqual(Array.from(x.select(1, 1).toTypedArray()), [2, 5]);
  assert.deepEqual(Array.from(x.permute([1, 0]).reshape([3, 2]).narrow(0, 1, 2).toTypedArray()), [2, 5, 3, 6]);
  assert.ok(tensor([1], { dtype: "float64" }).toTypedArray() instanceof Float64Array);
  assert.ok(tensor([1], { dtype: "int32" }).toTypedArray() instanceof Int32Array);
  const b = tensor([true, false]).toTypedArray();
  assert.ok(b instanceof Uint8Array);
  assert.deepEqual(Array.from(b), [1, 0]);
  assert.equal(zeros([0]).toTypedArray().length, 0);
  assert.deepEqual(Array.from(tensor(4).toTypedArray()), [4]);
});

test("toString prints as PyTorch does", () => {
  assert.equal(tensor([[1, -0.5], [2, 3]]).toString(), "tensor([[ 1.0000, -0.5000],\n        [ 2.0000,  3.0000]])");
  assert.equal(tensor(2.5).toString(), "tensor(2.5000)");
  assert.equal(tensor([1, 2, 3]).toString(), "tensor([1., 2., 3.])");
  assert.equal(tensor([1, 2, 3], { dtype: "int32" }).toString(), "tensor([1, 2, 3])");
  assert.equal(tensor([true, false]).toString(), "tensor([ True, False])");
  assert.equal(tensor([1.5, 2], { dtype: "float64" }).toString(), "tensor([1.5000, 2.0000], dtype=float64)");
  assert.equal(zeros([0]).toString(), "tensor([])");
  assert.equal(String(tensor([[1, 2], [3, 4]]).T), "tensor([[1., 3.],\n        [2., 4.]])");
  assert.equal(`${arange(3)}`, "tensor([0, 1, 2])");
  assert.equal(tensor(true).toString(), "tensor(True)");
  assert.equal(tensor([1, Infinity, NaN]).toString(), "tensor([1., inf, nan])");
  assert.equal(zeros([2, 0]).toString(), "tensor([], size=(2, 0))");
  assert.equal(arange(2000).toString(), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
});

test("isclose: |a - b| <= atol + rtol * |b|, infinities and NaN", () => {
  const a = tensor([1, 1, 1, 1], { dtype: "float64" });
  const b = tensor([1, 1 + 1e-6, 1 + 1e-4, 1 - 1e-5], { dtype: "float64" });
  assert.deepEqual(isclose(a, b).tolist(), [true, true, false, true]);
  // asymmetric in b: tolerance scales with |b|
  const x = tensor([100], { dtype: "float64" }), y = tensor([100.001], { dtype: "float64" });
  assert.equal(isclose(x, y).item(), true); // 0.001 <= 1e-8 + 1e-5 * 100.001
  assert.equal(isclose(x, y, { rtol: 1e-6 }).item(), false);
  assert.equal(isclose(tensor([0], { dtype: "float64" }), tensor([1e-9], { dtype: "float64" })).item(), true);
  assert.equal(isclose(tensor([0], { dtype: "float64" }), tensor([1e-7], { dtype: "float64" })).item(), false);
  assert.equal(isclose(tensor([0], { dtype: "float64" }), tensor([1e-7], { dtype: "float64" }), { atol: 1e-6 }).item(), true);
  // infinities: equal ones are close, otherwise never (even with a huge tolerance)
  const inf = tensor([Infinity, -Infinity, Infinity, 1, Infinity], { dtype: "float64" });
  const other = tensor([Infinity, -Infinity, -Infinity, Infinity, 1], { dtype: "float64" });
  assert.deepEqual(isclose(inf, other).tolist(), [true, true, false, false, false]);
  assert.deepEqual(isclose(inf, other, { rtol: 10, atol: 10 }).tolist(), [true, true, false, false, false]);
  // NaN only with equalNan
  const n = tensor([NaN, NaN, 1], { dtype: "float64" }), m = tensor([NaN, 1, NaN], { dtype: "float64" });
  assert.deepEqual(isclose(n, m).tolist(), [false, false, false]);
  assert.deepEqual(isclose(n, m, { equalNan: true }).tolist(), [true, false, false]);
  // broadcasting and mixed dtypes
  assert.deepEqual(isclose(tensor([[1], [2]]), tensor([1, 2], { dtype: "float64" })).tolist(), [[true, false], [false, true]]);
  assert.deepEqual(isclose(tensor([1, 2], { dtype: "int32" }), tensor([1, 3], { dtype: "int32" })).tolist(), [true, false]);
  assert.equal(isclose(a, b).dtype, "bool");
  assert.deepEqual(a.isclose(b).tolist(), [true, true, false, true]);
});

test("allclose returns a boolean", () => {
  const a = tensor([1, 2, 3], { dtype: "float64" });
  assert.equal(allclose(a, tensor([1, 2, 3 + 1e-7], { dtype: "float64" })), true);
  assert.equal(allclose(a, tensor([1, 2, 3.01], { dtype: "float64" })), false);
  assert.equal(allclose(a, tensor([1, 2, 3.01], { dtype: "float64" }), { rtol: 1e-2 }), true);
  assert.equal(allclose(a, tensor([1, 2.5, 3], { dtype: "float64" }), { atol: 0.5 }), true);
  assert.equal(allclose(tensor([Infinity]), tensor([Infinity])), true);
  assert.equal(allclose(tensor([1]), tensor([Infinity])), false);
  assert.equal(allclose(tensor([NaN]), tensor([NaN])), false);
  assert.equal(allclose(tensor([NaN]), tensor([NaN]), { equalNan: true }), true);
  assert.equal(allclose(zeros([0]), zeros([0])), true);
  assert.equal(allclose(tensor(1), tensor([1, 1])), true);
  assert.equal(a.allclose(a), true);
  assert.equal(typeof allclose(a, a), "boolean");
  assert.throws(() => allclose(a, tensor([1, 2])), /isclose: shapes \[3\] and \[2\] cannot be broadcast together/);
});
