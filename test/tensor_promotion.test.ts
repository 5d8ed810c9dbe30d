// dtype promotion as PyTorch (int32 standing in for int64).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  tensor, add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, where, clamp, sum, prod, max, min, argmax,
  exp, sqrt, abs, neg, relu, matmul, cat, type DType,
} from "../src/index.js";

const f32 = (v: number[]) => tensor(v);
const f64 = (v: number[]) => tensor(v, { dtype: "float64" });
const i32 = (v: number[]) => tensor(v, { dtype: "int32" });
const b = (v: boolean[]) => tensor(v);

test("tensor with tensor: the wider category wins", () => {
  const cases: [DType, DType, DType][] = [
    ["int32", "float32", "float32"],
    ["float32", "int32", "float32"],
    ["int32", "float64", "float64"],
    ["float32", "float64", "float64"],
    ["float64", "float32", "float64"],
    ["bool", "int32", "int32"],
    ["bool", "float32", "float32"],
    ["int32", "int32", "int32"],
    ["float32", "float32", "float32"],
  ];
  for (const [da, db, want] of cases) {
    const x = tensor([1, 2], { dtype: da }), y = tensor([1, 1], { dtype: db });
    for (const op of [add, mul, maximum, minimum]) assert.equal(op(x, y).dtype, want, `${op.name ?? "op"}(${da}, ${db})`);
    if (da !== "bool" && db !== "bool") assert.equal(sub(x, y).dtype, want, `sub(${da}, ${db})`);
  }
  const r = add(i32([1, 2]), f32([0.5, 0.25]));
  assert.deepEqual(r.tolist(), [1.5, 2.25]);
  const r64 = add(f32([0.1]), f64([0.2]));
  assert.equal(r64.dtype, "float64");
  // the float32 operand is converted exactly, then added in float64
  assert.equal((r64.tolist() as number[])[0], Math.fround(0.1) + 0.2);
});

test("a 0-d tensor beside one with dims counts only when its category is higher (PyTorch's rule)", () => {
  // [dims dtype, 0-d dtype, result]: torch.result_type(torch.ones(3, dtype=a), torch.tensor(1, dtype=b))
  const cases: [DType, DType, DType][] = [
    ["float32", "float64", "float32"],
    ["float64", "float32", "float64"],
    ["int32", "float64", "float64"],
    ["int32", "float32", "float32"],
    ["bool", "int32", "int32"],
    ["bool", "float64", "float64"],
    ["int32", "bool", "int32"],
    ["float32", "int32", "float32"],
  ];
  for (const [dims, zeroD, want] of cases) {
    const x = tensor([1, 0, 1], { dtype: dims }), s = tensor(1, { dtype: zeroD });
    for (const op of [add, mul, maximum]) {
      assert.equal(op(x, s).dtype, want, `${op.name}(${dims} [3], ${zeroD} 0-d)`);
      assert.equal(op(s, x).dtype, want, `${op.name}(${zeroD} 0-d, ${dims} [3])`);
    }
    assert.equal(where(b([true, false, true]), x, s).dtype, want, `where(${dims} [3], ${zeroD} 0-d)`);
  }
  // two 0-d tensors, or two with dims, promote as usual
  assert.equal(add(tensor(1), tensor(1, { dtype: "float64" })).dtype, "float64");
  assert.equal(add(f32([1]), f64([1])).dtype, "float64");
  // the value is computed in the result dtype
  assert.deepEqual(mul(f32([1, 2]), tensor(0.1, { dtype: "float64" })).tolist(), [Math.fround(0.1), Math.fround(Math.fround(0.1) * 2)]);
});

test("tensor with a plain number", () => {
  assert.equal(add(i32([1, 2]), 2.5).dtype, "float32");
  assert.deepEqual(add(i32([1, 2]), 2.5).tolist(), [3.5, 4.5]);
  assert.equal(add(i32([1, 2]), 3).dtype, "int32");
  assert.deepEqual(mul(i32([1, 2]), 3).tolist(), [3, 6]);
  assert.equal(add(f32([1]), 1).dtype, "float32");
  assert.equal(add(f32([1]), 1e300).dtype, "float32"); // a number never widens a float tensor
  assert.equal(add(f64([1]), 1).dtype, "float64");
  assert.equal(add(f64([1]), 0.5).dtype, "float64");
  assert.equal(add(2.5, i32([1])).dtype, "float32"); // number on the left
  assert.equal(sub(10, i32([1, 2])).dtype, "int32");
  assert.deepEqual(sub(10, i32([1, 2])).tolist(), [9, 8]);
  assert.equal(add(b([true, false]), 1).dtype, "int32");
  assert.deepEqual(add(b([true, false]), 1).tolist(), [2, 1]);
  assert.equal(add(b([true]), 0.5).dtype, "float32");
  assert.equal(mul(f32([2]), true).dtype, "float32");
});

test("div is true division: integers give float32", () => {
  const q = div(i32([1, 7, -7]), i32([2, 2, 2]));
  assert.equal(q.dtype, "float32");
  assert.deepEqual(q.tolist(), [0.5, 3.5, -3.5]);
  assert.equal(div(i32([1]), 2).dtype, "float32");
  assert.equal(div(3, i32([2])).dtype, "float32");
  assert.deepEqual(div(3, i32([2])).tolist(), [1.5]);
  assert.equal(div(b([true]), b([true])).dtype, "float32");
  assert.equal(div(f64([1]), i32([3])).dtype, "float64");
  assert.equal(div(i32([1]), f64([3])).dtype, "float64");
});

test("pow promotes like the other binary ops", () => {
  assert.equal(pow(i32([2, 3]), 2).dtype, "int32");
  assert.deepEqual(pow(i32([2, 3]), 2).tolist(), [4, 9]);
  assert.deepEqual(pow(i32([2, 3]), 3).tolist(), [8, 27]);
  assert.equal(pow(i32([4]), 0.5).dtype, "float32");
  assert.deepEqual(pow(i32([4]), 0.5).tolist(), [2]);
  assert.equal(pow(2, i32([3])).dtype, "int32");
  assert.deepEqual(pow(2, i32([3])).tolist(), [8]);
  assert.equal(pow(f32([2]), f64([3])).dtype, "float64");
});

test("comparisons give bool", () => {
  for (const op of [eq, ne, lt, le, gt, ge]) {
    assert.equal(op(f32([1, 2]), f32([2, 2])).dtype, "bool");
    assert.equal(op(i32([1, 2]), 1.5).dtype, "bool");
    assert.equal(op(f64([1, 2]), i32([2, 2])).dtype, "bool");
  }
  // the comparison happens in the promoted type: 1 < 1.5 though 1.5 is not an int32
  assert.deepEqual(lt(i32([1, 2]), 1.5).tolist(), [true, false]);
  assert.deepEqual(eq(i32([1, 2]), 1.5).tolist(), [false, false]);
  assert.deepEqual(eq(f32([0.1]), f64([0.1])).tolist(), [false]); // float32(0.1) != 0.1
});

test("reductions: sum/prod of bool and int32 give int32", () => {
  const s = sum(b([true, true, false]));
  assert.equal(s.dtype, "int32");
  assert.equal(s.item(), 2);
  assert.equal(sum(i32([1, 2, 3])).dtype, "int32");
  assert.equal(sum(i32([1, 2, 3])).item(), 6);
  assert.equal(prod(i32([2, 3, 4])).dtype, "int32");
  assert.equal(prod(i32([2, 3, 4])).item(), 24);
  assert.equal(prod(b([true, false])).dtype, "int32");
  assert.equal(prod(b([true, false])).item(), 0);
  assert.equal(sum(f64([1])).dtype, "float64");
  assert.equal(sum(f32([1])).dtype, "float32");
  assert.equal(max(i32([1, 5])).dtype, "int32");
  assert.equal(min(f64([1, 5])).dtype, "float64");
  assert.equal(argmax(f32([1, 5])).dtype, "int32");
});

test("unary math on integers gives float32; sign-like ops keep the dtype", () => {
  assert.equal(exp(i32([0])).dtype, "float32");
  assert.equal(sqrt(i32([4])).dtype, "float32");
  assert.deepEqual(sqrt(i32([4])).tolist(), [2]);
  assert.equal(exp(f64([0])).dtype, "float64");
  assert.equal(abs(i32([-3])).dtype, "int32");
  assert.deepEqual(abs(i32([-3])).tolist(), [3]);
  assert.equal(neg(i32([3])).dtype, "int32");
  assert.equal(relu(i32([-3, 3])).dtype, "int32");
  assert.deepEqual(relu(i32([-3, 3])).tolist(), [0, 3]);
  // squares of bools count (PyTorch gives int64: int32 here)
  assert.equal(b([true, false]).square().dtype, "int32");
  assert.deepEqual(pow(b([true, false]), 2).tolist(), [1, 0]);
  assert.equal(pow(b([true, false]), 3).dtype, "int32");
});

test("where, clamp, matmul and cat promote their operands", () => {
  const c = b([true, false]);
  assert.equal(where(c, i32([1, 2]), f32([3, 4])).dtype, "float32");
  assert.deepEqual(where(c, i32([1, 2]), f32([3.5, 4.5])).tolist(), [1, 4.5]);
  assert.equal(where(c, i32([1, 2]), 0).dtype, "int32");
  assert.equal(where(c, f64([1, 2]), 0.5).dtype, "float64");
  assert.equal(clamp(i32([1, 5]), 0, 3).dtype, "int32");
  assert.deepEqual(clamp(i32([1, 5]), 0, 3).tolist(), [1, 3]);
  assert.equal(clamp(i32([1, 5]), 1.5).dtype, "float32");
  assert.deepEqual(clamp(i32([1, 5]), 1.5).tolist(), [1.5, 5]);
  assert.equal(matmul(i32([1, 2]), f64([3, 4])).dtype, "float64");
  assert.equal(matmul(i32([1, 2]), f64([3, 4])).item(), 11);
  assert.equal(matmul(i32([1, 2]), i32([3, 4])).dtype, "int32");
  assert.equal(cat([i32([1]), f32([2.5])]).dtype, "float32");
  assert.deepEqual(cat([i32([1]), f32([2.5])]).tolist(), [1, 2.5]);
});

test("to() and the dtype shorthands cast as PyTorch", () => {
  const x = tensor([1.7, -1.7, 0, 2.5], { dtype: "float64" });
  assert.deepEqual(x.to("int32").tolist(), [1, -1, 0, 2]); // truncation toward zero
  assert.deepEqual(x.int().tolist(), [1, -1, 0, 2]);
  assert.deepEqual(x.to("bool").tolist(), [true, true, false, true]);
  assert.deepEqual(tensor([NaN, -0]).bool().tolist(), [true, false]); // NaN is nonzero
  assert.deepEqual(x.float().tolist(), [1.7, -1.7, 0, 2.5].map(Math.fround));
  assert.equal(x.float().dtype, "float32");
  assert.equal(tensor([1]).double().dtype, "float64");
  assert.deepEqual(tensor([true, false]).to("float32").tolist(), [1, 0]);
  assert.deepEqual(tensor([3, -4], { dtype: "int32" }).to("float64").tolist(), [3, -4]);
  const same = tensor([1, 2]);
  assert.equal(same.to("float32"), same); // a no-op returns the tensor itself
  // non-contiguous input
  assert.deepEqual(tensor([[1.5, 2.5], [3.5, 4.5]]).T.int().tolist(), [[1, 3], [2, 4]]);
});

test("numbers that int32 cannot hold are an error, not a wrap", () => {
  const i = tensor([1, 2], { dtype: "int32" });
  assert.throws(() => add(i, 2 ** 31), { message: "add: value 2147483648 cannot be converted to int32 without overflow" });
  assert.throws(() => lt(i, 1e10), { message: "lt: value 10000000000 cannot be converted to int32 without overflow" });
  assert.deepEqual(add(i, 2 ** 31 - 3).tolist(), [2 ** 31 - 2, 2 ** 31 - 1]);
  assert.deepEqual(lt(i, 1e10 + 0.5).tolist(), [true, true]); // a fractional number promotes to float
  assert.deepEqual(add(tensor([1]), 2 ** 40).tolist(), [Math.fround(1 + 2 ** 40)]); // float tensors take any number
});

test("bool arithmetic stays boolean as in PyTorch", () => {
  // True + True is True (logical or), True * False is False
  const s = add(b([true, true, false]), b([true, false, false]));
  assert.equal(s.dtype, "bool");
  assert.deepEqual(s.tolist(), [true, true, false]);
  assert.equal(sum(s).item(), 2);
  const m = mul(b([true, true]), b([true, false]));
  assert.deepEqual(m.tolist(), [true, false]);
  assert.throws(() => sub(b([true]), b([false])), /sub: .*bool/);
  assert.throws(() => neg(b([true])), /neg: .*bool/);
});
