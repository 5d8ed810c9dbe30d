// Misuse of the tensor API throws an Error whose message names the op and what was wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  tensor, zeros, ones, full, eye, arange, linspace, randn, rand, randint, manualSeed, add, sub, mul, div, pow, maximum,
  eq, where, exp, sum, mean, max, argmax, logsumexp, norm, reshape, transpose, permute, movedim, unsqueeze, squeeze, expand,
  select, narrow, cat, stack, split, chunk, unbind, flip, gather, indexSelect, diag, diagonal, tril, triu, matmul, isclose,
} from "../src/index.js";

const x = zeros([2, 3]);
const idx = (v: unknown) => tensor(v, { dtype: "int32" });

test("misaligned shapes", () => {
  assert.throws(() => add(zeros([2, 3]), zeros([3, 2])), { message: "add: shapes [2, 3] and [3, 2] cannot be broadcast together (sizes must match or be 1, aligned from the right)" });
  assert.throws(() => sub(zeros([4]), zeros([5])), /^Error: sub: shapes \[4\] and \[5\] cannot be broadcast together/);
  assert.throws(() => div(zeros([2, 1, 3]), zeros([4, 2])), /div: shapes \[2, 1, 3\] and \[4, 2\] cannot be broadcast together/);
  assert.throws(() => pow(zeros([2]), zeros([3])), /pow: shapes \[2\] and \[3\] cannot be broadcast/);
  assert.throws(() => maximum(zeros([2]), zeros([3])), /maximum: shapes \[2\] and \[3\] cannot be broadcast/);
  assert.throws(() => eq(zeros([2]), zeros([3])), /eq: shapes \[2\] and \[3\] cannot be broadcast/);
  assert.throws(() => where(tensor([true, false, true]), zeros([2]), 0), /where: shapes \[3\] \(condition\), \[2\] and \[\] cannot be broadcast together/);
  assert.throws(() => matmul(zeros([3, 4]), zeros([5, 6])), { message: "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)" });
  assert.throws(() => expand(zeros([3]), [2, 4]), /expand: the size of dim 0 \(3\) must match the target size 4 or be 1/);
  assert.throws(() => reshape(x, [5]), { message: "reshape: shape [5] is invalid for input of size 6 (shape [2, 3])" });
  assert.throws(() => isclose(zeros([2]), zeros([3])), /isclose: shapes \[2\] and \[3\] cannot be broadcast/);
});

test("dims out of range", () => {
  const msg = (op: string, d: number, r: number) => `${op}: dimension ${d} out of range for a tensor of rank ${r} (expected an integer in [${-Math.max(r, 1)}, ${Math.max(r, 1) - 1}])`;
  assert.throws(() => sum(x, 2), { message: msg("sum", 2, 2) });
  assert.throws(() => mean(x, -3), { message: msg("mean", -3, 2) });
  assert.throws(() => max(x, [0, 5]), { message: msg("max", 5, 2) });
  assert.throws(() => argmax(x, 2), { message: msg("argmax", 2, 2) });
  assert.throws(() => logsumexp(x, 3), { message: msg("logsumexp", 3, 2) });
  assert.throws(() => norm(x, 2, -4), { message: msg("norm", -4, 2) });
  assert.throws(() => transpose(x, 0, 2), { message: msg("transpose", 2, 2) });
  assert.throws(() => transpose(tensor(1), 0, 1), { message: msg("transpose", 1, 0) });
  assert.throws(() => permute(x, [0, 2]), { message: msg("permute", 2, 2) });
  assert.throws(() => movedim(x, 0, 2), { message: msg("movedim", 2, 2) });
  assert.throws(() => unsqueeze(x, 3), { message: msg("unsqueeze", 3, 3) });
  assert.throws(() => unsqueeze(x, -4), { message: msg("unsqueeze", -4, 3) });
  assert.throws(() => squeeze(x, 2), { message: msg("squeeze", 2, 2) });
  assert.throws(() => select(x, 2, 0), { message: msg("select", 2, 2) });
  assert.throws(() => narrow(x, -3, 0, 1), { message: msg("narrow", -3, 2) });
  assert.throws(() => cat([x, x], 2), { message: msg("cat", 2, 2) });
  assert.throws(() => stack([x, x], 3), { message: msg("stack", 3, 3) });
  assert.throws(() => split(x, 1, 2), { message: msg("split", 2, 2) });
  assert.throws(() => chunk(x, 2, 2), { message: msg("chunk", 2, 2) });
  assert.throws(() => unbind(x, -3), { message: msg("unbind", -3, 2) });
  assert.throws(() => flip(x, [2]), { message: msg("flip", 2, 2) });
  assert.throws(() => gather(x, 2, idx([[0]])), { message: msg("gather", 2, 2) });
  assert.throws(() => indexSelect(x, 2, idx([0])), { message: msg("indexSelect", 2, 2) });
  assert.throws(() => diagonal(x, 0, 0, 2), { message: msg("diagonal", 2, 2) });
  assert.throws(() => x.size(2), { message: msg("size", 2, 2) });
  assert.throws(() => x.flatten(0, 2), { message: msg("flatten", 2, 2) });
  // a non-integer dim says so, quoting a string
  assert.throws(() => sum(x, 0.5), { message: "sum: a dimension must be an integer, got 0.5" });
  assert.throws(() => transpose(x, "1" as never, 0), { message: 'transpose: a dimension must be an integer, got "1"' });
  assert.throws(() => sum(x, "0" as never), /sum: dim must be a number or an array of numbers, got "0"/);
  assert.throws(() => sum(x, [0, 0]), /sum: dim \[0,0\] repeats a dimension/);
  assert.throws(() => permute(x, [1, 1]), /permute: dims \[1,1\] repeat a dimension/);
  assert.throws(() => movedim(x, [0, 0], [0, 1]), /movedim: source \[0,0\] repeats a dimension/);
  assert.doesNotThrow(() => x.mT.mT.T.mT.select(-1, -2).unsqueeze(-2).squeeze(-2));
});

test("non-integer or out-of-bounds indices", () => {
  assert.throws(() => select(x, 0, 2), { message: "select: index 2 is out of range for dim 0 of size 2 (shape [2, 3])" });
  assert.throws(() => select(x, 1, -4), { message: "select: index -4 is out of range for dim 1 of size 3 (shape [2, 3])" });
  assert.throws(() => select(x, 1, 0.5), { message: "select: index must be an integer, got 0.5" });
  assert.throws(() => narrow(x, 1, 2, 2), { message: "narrow: start 2 and length 2 are out of range for dim 1 of size 3 (shape [2, 3])" });
  assert.throws(() => narrow(x, 1, 1.5, 1), /narrow: start 1.5 and length 1 are out of range/);
  assert.throws(() => gather(x, 1, idx([[3]])), { message: "gather: index 3 is out of bounds for dimension 1 with size 3" });
  assert.throws(() => gather(x, 0, idx([[-1]])), { message: "gather: index -1 is out of bounds for dimension 0 with size 2" });
  assert.throws(() => gather(x, 0, tensor([[0.5]])), { message: "gather: index must be an int32 tensor, got float32" });
  assert.throws(() => indexSelect(x, 1, idx([0, 3])), { message: "indexSelect: index 3 is out of bounds for dimension 1 with size 3" });
  assert.throws(() => indexSelect(x, 0, tensor([1])), { message: "indexSelect: index must be an int32 tensor, got float32" });
  assert.throws(() => diag(tensor([1, 2]), 0.5), { message: "diag: offset must be an integer, got 0.5" });
  assert.throws(() => diagonal(x, 1.5), { message: "diagonal: offset must be an integer, got 1.5" });
  assert.throws(() => tril(x, 0.5), { message: "tril: diagonal must be an integer, got 0.5" });
  assert.throws(() => triu(x, NaN), { message: "triu: diagonal must be an integer, got NaN" });
});

test("errors name the function called, not the one it is built on", () => {
  assert.throws(() => x.view([4]), { message: "view: shape [4] is invalid for input of size 6 (shape [2, 3])" });
  assert.throws(() => x.view(["2", "3"] as never), { message: 'view: shape entries must be integers, got ["2","3"]' });
  assert.throws(() => matmul(zeros([2, 3]), zeros([4])), /^Error: matmul: shapes \[2, 3\] and \[4\] cannot be multiplied \(3 != 4\)/);
  assert.throws(() => x.mv(zeros([4])), /^Error: mv: shapes \[2, 3\] and \[4\] cannot be multiplied/);
  assert.throws(() => x.mm(zeros([4, 2])), /^Error: mm: shapes/);
  assert.throws(() => zeros([2, 2, 3]).bmm(zeros([2, 4, 2])), /^Error: bmm: shapes/);
  assert.throws(() => x.clamp("a" as never), { message: 'clamp: min must be a Tensor or a number, got "a"' });
  assert.throws(() => x.clamp(null, {} as never), { message: "clamp: max must be a Tensor or a number, got object" });
});

test("mismatched cat / stack / split shapes", () => {
  assert.throws(() => cat([zeros([2, 3]), zeros([2, 4])]), { message: "cat: sizes of tensors must match except in dim 0: tensors[0] has shape [2, 3] but tensors[1] has shape [2, 4]" });
  assert.throws(() => cat([zeros([2, 3]), zeros([3, 3]), zeros([2, 2])], 1), { message: "cat: sizes of tensors must match except in dim 1: tensors[0] has shape [2, 3] but tensors[1] has shape [3, 3]" });
  assert.throws(() => cat([zeros([2, 3]), zeros([2, 3, 1])]), /cat: sizes of tensors must match except in dim 0/);
  assert.throws(() => stack([zeros([2, 3]), zeros([3, 2])]), { message: "stack: expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2] at entry 1" });
  assert.throws(() => stack([zeros([2]), zeros([2]), zeros([3])]), /stack: expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 2/);
  assert.throws(() => split(x, [1, 2]), { message: "split: sizes [1,2] must be non-negative integers summing to 2, the size of dim 0 (shape [2, 3])" });
});

test("item() on more than one element", () => {
  assert.throws(() => x.item(), { message: "item(): a Tensor with 6 elements (shape [2, 3]) cannot be converted to a number; item() needs exactly one element" });
  assert.throws(() => zeros([0]).item(), /item\(\): a Tensor with 0 elements/);
});

test("unknown dtypes", () => {
  const msg = (op: string, d: string) => `${op}: unknown dtype "${d}"; expected one of float32, float64, int32, bool`;
  assert.throws(() => tensor([1], { dtype: "int64" as never }), { message: msg("tensor", "int64") });
  assert.throws(() => zeros([1], { dtype: "float16" as never }), { message: msg("zeros", "float16") });
  assert.throws(() => ones([1], { dtype: "uint8" as never }), { message: msg("ones", "uint8") });
  assert.throws(() => full([1], 2, { dtype: "double" as never }), { message: msg("full", "double") });
  assert.throws(() => eye(2, { dtype: "complex64" as never }), { message: msg("eye", "complex64") });
  assert.throws(() => arange(3, { dtype: "int8" as never }), { message: msg("arange", "int8") });
  assert.throws(() => linspace(0, 1, 3, { dtype: "int16" as never }), { message: msg("linspace", "int16") });
  assert.throws(() => randn([2], { dtype: "half" as never }), { message: msg("randn", "half") });
  assert.throws(() => rand([2], { dtype: "bfloat16" as never }), { message: msg("rand", "bfloat16") });
  assert.throws(() => x.to("int64" as never), { message: msg("to", "int64") });
});

test("ragged nested arrays", () => {
  assert.throws(() => tensor([[1, 2], [3]]), { message: "tensor: ragged nested array: expected 2 elements at data[1] (like the first entry at that depth), got 1" });
  assert.throws(() => tensor([[1], 2]), { message: "tensor: ragged nested array: expected 1 elements at data[1] (like the first entry at that depth), got a number" });
  assert.throws(() => tensor([1, [2]]), { message: "tensor: ragged nested array: data[1] is an array but its siblings are numbers" });
  assert.throws(() => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]]), /tensor: ragged nested array: expected 2 elements at data\[1\]\[1\]/);
  assert.throws(() => tensor([[1, "2"]]), { message: "tensor: data[0][1] is string; expected a number or boolean" });
});

test("bad arguments to creation functions", () => {
  assert.throws(() => zeros([2, -1]), { message: "zeros: shape must be an array of non-negative integers, got [2,-1]" });
  assert.throws(() => randn(3 as never), /randn: shape must be an array of non-negative integers, got 3/);
  assert.throws(() => full([2], "a" as never), { message: "full: fill value must be a number or boolean, got string" });
  assert.throws(() => eye(-1), /eye: shape must be an array of non-negative integers/);
  assert.throws(() => arange(0, 3, 0), /arange: start, end and step must be finite numbers with step != 0, got 0, 3, 0/);
  assert.throws(() => linspace(0, 1, 2.5), { message: "linspace: steps must be a non-negative integer, got 2.5" });
  assert.throws(() => randint(2, 1, [3]), { message: "randint: expected integers with low < high, got low=2, high=1" });
  assert.throws(() => manualSeed(NaN), { message: "manualSeed: seed must be a finite number, got NaN" });
});

test("bad operands", () => {
  assert.throws(() => add(1 as never, 2 as never), { message: "add: expected at least one Tensor operand, got number and number" });
  assert.throws(() => mul(x, "2" as never), { message: "mul: expected a Tensor or a number, got string" });
  assert.throws(() => exp(3 as never), { message: "exp: expected input to be a Tensor, got number" });
  assert.throws(() => sum(null as never), { message: "sum: expected input to be a Tensor, got null" });
  assert.throws(() => where(tensor([1, 0]), x, x), { message: "where: condition must be a bool tensor, got float32" });
  assert.throws(() => mean(tensor([1, 2], { dtype: "int32" })), /mean: input dtype must be floating point, got int32/);
  assert.throws(() => max(zeros([0])), /max: cannot reduce over a zero-size dimension of a tensor of shape \[0\]/);
  assert.throws(() => pow(tensor([2], { dtype: "int32" }), -1), /pow: integers to negative integer powers are not allowed/);
  assert.throws(() => norm(x, "nuc" as never), { message: 'norm: p must be a number or "fro", got "nuc"' });
  // bools, as in PyTorch: no subtraction with a bool operand on either side, no abs/relu/neg/rounding of bools
  for (const [a, b] of [[tensor([true]), tensor([true])], [x, tensor([true])], [tensor([true]), 1], [x, true]] as const) {
    assert.throws(() => sub(a as never, b as never), /sub: subtraction with a bool operand is not supported/);
  }
  for (const op of ["abs", "relu", "neg", "floor", "ceil", "round", "trunc"] as const) {
    assert.throws(() => (tensor([true]) as unknown as Record<string, () => unknown>)[op](), new RegExp(`${op}: not supported for a bool tensor`));
  }
  assert.throws(() => mul(tensor([1], { dtype: "int32" }), 2 ** 32), { message: "mul: value 4294967296 cannot be converted to int32 without overflow" });
});
