// Shape ops: views share storage and read the right elements; joining, splitting and indexing.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Tensor, tensor, arange, zeros, reshape, view, flatten, transpose, permute, movedim, unsqueeze, squeeze, expand, broadcastTo,
  select, narrow, cat, stack, split, chunk, unbind, flip, gather, indexSelect, diag, diagonal, tril, triu,
} from "../src/index.js";
import { numel, uniformStream as rng } from "./helpers/check.js";

const flatList = (x: unknown): unknown[] => (Array.isArray(x) ? x.flat(Infinity) : [x]);

/** 0, 1, 2, ... as a float64 tensor of the given shape (so values name their row-major position). */
function iota(shape: number[]): Tensor {
  return tensor(Array.from({ length: numel(shape) }, (_, i) => i), { dtype: "float64" }).reshape(shape);
}

/** Value at a multi-index of a row-major iota of `shape`. */
function pos(shape: number[], idx: number[]): number {
  return idx.reduce((acc, i, d) => acc * shape[d] + i, 0);
}

/** All multi-indices of a shape in row-major order. */
function indices(shape: number[]): number[][] {
  const out: number[][] = [];
  const n = numel(shape);
  for (let k = 0; k < n; k++) {
    const idx = new Array(shape.length);
    let rem = k;
    for (let d = shape.length - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem = Math.floor(rem / shape[d]); }
    out.push(idx);
  }
  return out;
}

/** Check y[idx] = f(idx) for every idx of y's shape. */
function checkEach(y: Tensor, f: (idx: number[]) => number, what: string): void {
  const vals = flatList(y.tolist()) as number[];
  indices([...y.shape]).forEach((idx, k) => assert.equal(vals[k], f(idx), `${what} at [${idx}]`));
}

/** A view shares the input's storage: same buffer, and writes to it show through. */
function assertSharesStorage(x: Tensor, y: Tensor, what: string): void {
  assert.equal(y.data, x.data, `${what} shares storage`);
}

test("reshape and view of contiguous tensors are views", () => {
  const x = iota([2, 3, 4]);
  for (const [shape, want] of [[[6, 4], [6, 4]], [[4, -1], [4, 6]], [[24], [24]], [[-1], [24]], [[2, 1, 12], [2, 1, 12]], [[1, 24, 1], [1, 24, 1]]] as number[][][]) {
    const y = reshape(x, shape);
    assert.deepEqual(y.shape, want);
    assertSharesStorage(x, y, `reshape to ${shape}`);
    assert.deepEqual(flatList(y.tolist()), flatList(x.tolist()));
    assert.deepEqual(view(x, shape).shape, want);
    assert.deepEqual(x.view(shape).shape, want);
  }
  // a write to the storage is seen through the view
  const y = x.reshape([6, 4]);
  (x.data as Float64Array)[5] = 100;
  assert.equal((y.tolist() as number[][])[1][1], 100);
  assert.deepEqual(reshape(tensor(5), [1, 1]).tolist(), [[5]]);
  assert.equal(reshape(tensor([7]), []).item(), 7);
});

test("reshape of non-contiguous tensors: transpose then reshape reads row-major", () => {
  const x = iota([3, 4]);
  const t = x.T; // [4, 3]
  const r = t.reshape([12]);
  assert.deepEqual(r.tolist(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual(t.reshape([2, 6]).tolist(), [[0, 4, 8, 1, 5, 9], [2, 6, 10, 3, 7, 11]]);
  assert.deepEqual(t.flatten().tolist(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  // a permuted tensor whose groups stay contiguous can still be viewed
  const p = iota([2, 3, 4]).permute([2, 0, 1]); // [4, 2, 3], dims 1 and 2 stay adjacent
  const q = p.reshape([4, 6]);
  checkEach(q, ([k, m]) => pos([2, 3, 4], [Math.floor(m / 3), m % 3, k]), "permute then reshape");
  assertSharesStorage(p, q, "reshape of permute keeping groups");
  // expanded tensors
  const e = tensor([1, 2, 3]).expand([2, 3]).reshape([6]);
  assert.deepEqual(e.tolist(), [1, 2, 3, 1, 2, 3]);
  // flipped
  assert.deepEqual(iota([2, 3]).flip(1).reshape([3, 2]).tolist(), [[2, 1], [0, 5], [4, 3]]);
  // narrowed then reshaped
  assert.deepEqual(iota([4, 4]).narrow(1, 1, 2).reshape([8]).tolist(), [1, 2, 5, 6, 9, 10, 13, 14]);
  // random permutations and target shapes against index arithmetic
  const base = [2, 3, 4, 5];
  const perms = [[3, 2, 1, 0], [1, 0, 3, 2], [0, 2, 1, 3], [2, 3, 0, 1]];
  for (const perm of perms) {
    const y = iota(base).permute(perm);
    const yshape = perm.map((p) => base[p]);
    const yvals = indices(yshape).map((idx) => {
      const orig = new Array(4);
      perm.forEach((p, i) => { orig[p] = idx[i]; });
      return pos(base, orig);
    });
    for (const target of [[120], [yshape[0] * yshape[1], -1], [yshape[0], yshape[1] * yshape[2], yshape[3]], [-1, yshape[3]], [1, ...yshape, 1]]) {
      assert.deepEqual(flatList(y.reshape(target).tolist()), yvals, `permute ${perm} reshape ${target}`);
    }
  }
});

test("reshape errors", () => {
  const x = zeros([2, 3]);
  assert.throws(() => reshape(x, [4, 2]), { message: "reshape: shape [4, 2] is invalid for input of size 6 (shape [2, 3])" });
  assert.throws(() => reshape(x, [-1, -1]), /reshape: invalid shape \[-1, -1\] \(only one -1 allowed/);
  assert.throws(() => reshape(x, [4, -1]), /reshape: shape \[4, -1\] is invalid for input of size 6/);
  assert.throws(() => reshape(x, [2.5, 2]), /reshape: invalid shape/);
  assert.throws(() => reshape(x, [-2, -3]), /reshape: invalid shape/);
  assert.throws(() => reshape(zeros([0]), [0, -1]), /reshape: shape \[0, -1\] is invalid/);
});

test("flatten with start and end dims", () => {
  const x = iota([2, 3, 4]);
  assert.deepEqual(flatten(x).shape, [24]);
  assert.deepEqual(flatten(x, 1).shape, [2, 12]);
  assert.deepEqual(flatten(x, 0, 1).shape, [6, 4]);
  assert.deepEqual(x.flatten(-2, -1).shape, [2, 12]);
  assertSharesStorage(x, flatten(x, 1), "flatten");
  assert.deepEqual(flatten(tensor(3)).shape, [1]);
  assert.throws(() => flatten(x, 2, 1), /flatten: startDim 2 comes after endDim 1/);
  assert.throws(() => flatten(x, 3), /flatten: dimension 3 out of range/);
});

test("transpose, permute, movedim, T, mT are views with the right elements", () => {
  const shape = [2, 3, 4];
  const x = iota(shape);
  const t = transpose(x, 0, 2);
  assert.deepEqual(t.shape, [4, 3, 2]);
  assertSharesStorage(x, t, "transpose");
  checkEach(t, ([a, b, c]) => pos(shape, [c, b, a]), "transpose(0, 2)");
  checkEach(x.transpose(-1, -2), ([a, b, c]) => pos(shape, [a, c, b]), "transpose(-1, -2)");
  const p = permute(x, [1, 2, 0]);
  assert.deepEqual(p.shape, [3, 4, 2]);
  assertSharesStorage(x, p, "permute");
  checkEach(p, ([a, b, c]) => pos(shape, [c, a, b]), "permute [1, 2, 0]");
  checkEach(x.permute([-1, 0, 1]), ([a, b, c]) => pos(shape, [b, c, a]), "permute [-1, 0, 1]");
  const m = movedim(x, 0, 2);
  assert.deepEqual(m.shape, [3, 4, 2]);
  checkEach(m, ([a, b, c]) => pos(shape, [c, a, b]), "movedim(0, 2)");
  const m2 = x.movedim([0, 1], [2, 0]);
  assert.deepEqual(m2.shape, [3, 4, 2]);
  checkEach(m2, ([a, b, c]) => pos(shape, [c, a, b]), "movedim([0, 1], [2, 0])");
  assert.deepEqual(movedim(x, -1, 0).shape, [4, 2, 3]);
  const T = x.T;
  assert.deepEqual(T.shape, [4, 3, 2]);
  checkEach(T, ([a, b, c]) => pos(shape, [c, b, a]), "T");
  const mT = x.mT;
  assert.deepEqual(mT.shape, [2, 4, 3]);
  checkEach(mT, ([a, b, c]) => pos(shape, [a, c, b]), "mT");
  assertSharesStorage(x, mT, "mT");
  assert.deepEqual(iota([3]).T.tolist(), [0, 1, 2]);
  assert.throws(() => iota([3]).mT, /mT: expected a tensor with at least 2 dims/);
  assert.throws(() => permute(x, [0, 1]), /permute: expected 3 dims for a tensor of shape \[2, 3, 4\]/);
  assert.throws(() => permute(x, [0, 1, 1]), /permute: dims \[0,1,1\] repeat a dimension/);
  assert.throws(() => permute(x, [0, 1, 3]), /permute: dimension 3 out of range/);
  assert.throws(() => transpose(x, 0, 3), /transpose: dimension 3 out of range/);
  assert.throws(() => movedim(x, [0, 1], [1]), /movedim: source and destination must have the same length/);
  assert.throws(() => movedim(x, [0, 0], [1, 2]), /movedim: .*repeat/);
  assert.throws(() => movedim(x, [0, 1], [2, 2]), /movedim: .*repeat/);
});

test("unsqueeze, squeeze", () => {
  const x = iota([2, 3]);
  assert.deepEqual(unsqueeze(x, 0).shape, [1, 2, 3]);
  assert.deepEqual(unsqueeze(x, 2).shape, [2, 3, 1]);
  assert.deepEqual(unsqueeze(x, -1).shape, [2, 3, 1]);
  assert.deepEqual(unsqueeze(x, -3).shape, [1, 2, 3]);
  assertSharesStorage(x, unsqueeze(x, 1), "unsqueeze");
  assert.deepEqual(unsqueeze(x, 1).tolist(), [[[0, 1, 2]], [[3, 4, 5]]]);
  assert.deepEqual(unsqueeze(tensor(1), 0).shape, [1]);
  assert.throws(() => unsqueeze(x, 3), /unsqueeze: dimension 3 out of range for a tensor of rank 3/);
  const y = zeros([1, 2, 1, 3, 1]);
  assert.deepEqual(squeeze(y).shape, [2, 3]);
  assert.deepEqual(squeeze(y, 0).shape, [2, 1, 3, 1]);
  assert.deepEqual(squeeze(y, -1).shape, [1, 2, 1, 3]);
  assert.deepEqual(squeeze(y, 1).shape, [1, 2, 1, 3, 1]); // size 2: left alone, as in PyTorch
  assert.deepEqual(squeeze(y, [0, 2]).shape, [2, 3, 1]);
  assert.deepEqual(y.squeeze().shape, [2, 3]);
  assert.deepEqual(squeeze(tensor([5])).shape, []);
  assert.throws(() => squeeze(y, 5), /squeeze: dimension 5 out of range/);
  const t = iota([3, 1]).T.squeeze(0); // squeeze of a non-contiguous view
  assert.deepEqual(t.tolist(), [0, 1, 2]);
});

test("expand and broadcastTo: stride-0 views", () => {
  const x = tensor([[1], [2]], { dtype: "float64" });
  const e = expand(x, [3, 2, 4]);
  assert.deepEqual(e.shape, [3, 2, 4]);
  assertSharesStorage(x, e, "expand");
  checkEach(e, ([, b]) => b + 1, "expand");
  assert.deepEqual(x.expand([-1, 3]).tolist(), [[1, 1, 1], [2, 2, 2]]);
  assert.deepEqual(broadcastTo(tensor(7), [2, 2]).tolist(), [[7, 7], [7, 7]]);
  assertSharesStorage(x, broadcastTo(x, [5, 2, 3]), "broadcastTo");
  assert.deepEqual(x.broadcastTo([2, 2]).tolist(), [[1, 1], [2, 2]]);
  assert.deepEqual(expand(x, [2, 0]).shape, [2, 0]);
  assert.throws(() => expand(x, [3, 4]), /expand: the size of dim 0 \(2\) must match the target size 3 or be 1/);
  assert.throws(() => expand(x, [4]), /expand: the target shape \[4\] must have at least as many dims as the input \[2, 1\]/);
  assert.throws(() => expand(x, [-1, 2, 1]), /expand: -1 is not allowed for a new leading dim/);
  assert.throws(() => broadcastTo(x, [2, 3, 5, 2]), /expand: the size of dim 0 \(2\) must match/);
});

test("select, narrow are views with the right elements", () => {
  const shape = [3, 4, 5];
  const x = iota(shape);
  const s = select(x, 1, 2);
  assert.deepEqual(s.shape, [3, 5]);
  assertSharesStorage(x, s, "select");
  checkEach(s, ([a, c]) => pos(shape, [a, 2, c]), "select(1, 2)");
  checkEach(x.select(-1, -1), ([a, b]) => pos(shape, [a, b, 4]), "select(-1, -1)");
  checkEach(x.select(0, 0), ([b, c]) => pos(shape, [0, b, c]), "select(0, 0)");
  assert.deepEqual(select(iota([3]), 0, 1).shape, []);
  assert.equal(select(iota([3]), 0, 1).item(), 1);
  const n = narrow(x, 2, 1, 3);
  assert.deepEqual(n.shape, [3, 4, 3]);
  assertSharesStorage(x, n, "narrow");
  checkEach(n, ([a, b, c]) => pos(shape, [a, b, c + 1]), "narrow(2, 1, 3)");
  checkEach(x.narrow(0, -2, 2), ([a, b, c]) => pos(shape, [a + 1, b, c]), "narrow(0, -2, 2)");
  assert.deepEqual(narrow(x, 1, 4, 0).shape, [3, 0, 5]);
  // views of views
  checkEach(x.transpose(0, 2).narrow(1, 1, 2).select(2, 1), ([c, b]) => pos(shape, [1, b + 1, c]), "transpose.narrow.select");
  assert.throws(() => select(x, 1, 4), { message: "select: index 4 is out of range for dim 1 of size 4 (shape [3, 4, 5])" });
  assert.throws(() => select(x, 1, -5), /select: index -5 is out of range for dim 1 of size 4/);
  assert.throws(() => select(x, 0, 1.5), /select: index must be an integer, got 1.5/);
  assert.throws(() => select(x, 3, 0), /select: dimension 3 out of range/);
  assert.throws(() => select(tensor(1), 0, 0), /select: cannot select from a 0-d tensor/);
  assert.throws(() => narrow(x, 2, 3, 3), /narrow: start 3 and length 3 are out of range for dim 2 of size 5/);
  assert.throws(() => narrow(x, 0, 0.5, 1), /narrow: start 0.5 and length 1 are out of range/);
  assert.throws(() => narrow(x, 0, 0, -1), /narrow: start 0 and length -1 are out of range/);
});

test("flip", () => {
  const shape = [2, 3, 4];
  const x = iota(shape);
  checkEach(flip(x, [0]), ([a, b, c]) => pos(shape, [1 - a, b, c]), "flip 0");
  checkEach(flip(x, [1, 2]), ([a, b, c]) => pos(shape, [a, 2 - b, 3 - c]), "flip 1,2");
  checkEach(x.flip(-1), ([a, b, c]) => pos(shape, [a, b, 3 - c]), "flip -1");
  checkEach(flip(x, [0, 1, 2]), ([a, b, c]) => pos(shape, [1 - a, 2 - b, 3 - c]), "flip all");
  assertSharesStorage(x, flip(x, [1]), "flip");
  assert.deepEqual(flip(x.T, [0]).flatten().tolist(), flatList(flip(x.T, [0]).tolist()));
  assert.deepEqual(flip(tensor([]), [0]).shape, [0]);
  assert.throws(() => flip(x, [3]), /flip: dimension 3 out of range/);
  assert.throws(() => flip(x, [0, 0]), /flip: dim \[0,0\] repeats a dimension/);
});

test("cat and stack: shapes, values, promotion, errors", () => {
  const a = iota([2, 3]), b = tensor([[10, 11, 12]], { dtype: "float64" });
  const c0 = cat([a, b]);
  assert.deepEqual(c0.tolist(), [[0, 1, 2], [3, 4, 5], [10, 11, 12]]);
  const c1 = cat([a, iota([2, 1])], 1);
  assert.deepEqual(c1.tolist(), [[0, 1, 2, 0], [3, 4, 5, 1]]);
  assert.deepEqual(cat([a, a], -1).shape, [2, 6]);
  assert.deepEqual(cat([a.T, iota([3, 1])], 1).tolist(), [[0, 3, 0], [1, 4, 1], [2, 5, 2]]);
  assert.deepEqual(cat([tensor([]), a]).tolist(), a.tolist()); // legacy: 1-d empty tensors are skipped
  assert.deepEqual(cat([zeros([0, 3], { dtype: "float64" }), a]).tolist(), a.tolist());
  assert.deepEqual(cat([a]).tolist(), a.tolist());
  const s0 = stack([iota([3]), tensor([5, 6, 7], { dtype: "float64" })]);
  assert.deepEqual(s0.tolist(), [[0, 1, 2], [5, 6, 7]]);
  const s1 = stack([iota([3]), tensor([5, 6, 7], { dtype: "float64" })], 1);
  assert.deepEqual(s1.tolist(), [[0, 5], [1, 6], [2, 7]]);
  assert.deepEqual(stack([a, a, a], 2).shape, [2, 3, 3]);
  assert.deepEqual(stack([a, a], -1).shape, [2, 3, 2]);
  assert.deepEqual(stack([tensor(1), tensor(2)]).tolist(), [1, 2]);
  assert.throws(() => cat([a, iota([2, 2])]), { message: "cat: sizes of tensors must match except in dim 0: tensors[0] has shape [2, 3] but tensors[1] has shape [2, 2]" });
  assert.throws(() => cat([a, iota([3])]), /cat: sizes of tensors must match except in dim 0/);
  assert.throws(() => cat([a, a], 2), /cat: dimension 2 out of range/);
  assert.throws(() => cat([]), /cat: expected a non-empty array of tensors/);
  assert.throws(() => cat([tensor(1), tensor(2)]), /cat: zero-dimensional tensors cannot be concatenated/);
  assert.throws(() => cat([a, 3 as never]), /cat: expected tensors\[1\] to be a Tensor/);
  assert.throws(() => stack([a, b]), { message: "stack: expects each tensor to be equal size, but got [2, 3] at entry 0 and [1, 3] at entry 1" });
  assert.throws(() => stack([a, a], 3), /stack: dimension 3 out of range/);
  assert.throws(() => stack([]), /stack: expected a non-empty array of tensors/);
});

test("split, chunk, unbind", () => {
  const x = iota([5, 2]);
  const parts = split(x, 2);
  assert.deepEqual(parts.map((p) => p.shape), [[2, 2], [2, 2], [1, 2]]);
  assert.deepEqual(parts.map((p) => p.tolist()), [[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9]]]);
  parts.forEach((p) => assertSharesStorage(x, p, "split"));
  const sized = x.split([1, 4]);
  assert.deepEqual(sized.map((p) => p.shape), [[1, 2], [4, 2]]);
  assert.deepEqual(sized[1].tolist(), [[2, 3], [4, 5], [6, 7], [8, 9]]);
  assert.deepEqual(split(x, [2, 0, 3]).map((p) => p.shape[0]), [2, 0, 3]);
  assert.deepEqual(split(x, 1, 1).map((p) => p.tolist()), [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]]);
  assert.deepEqual(split(x, 10).length, 1);
  // chunk: ceil(n / chunks) per chunk, possibly fewer chunks (PyTorch)
  assert.deepEqual(chunk(iota([6]), 4).map((p) => p.tolist()), [[0, 1], [2, 3], [4, 5]]);
  assert.deepEqual(chunk(iota([5]), 2).map((p) => p.tolist()), [[0, 1, 2], [3, 4]]);
  assert.deepEqual(iota([2, 6]).chunk(3, 1).map((p) => p.shape), [[2, 2], [2, 2], [2, 2]]);
  assert.deepEqual(chunk(iota([2]), 5).map((p) => p.tolist()), [[0], [1]]);
  // an empty dim gives as many empty chunks as asked for (PyTorch's chunk)
  assert.deepEqual(chunk(iota([0]), 3).map((p) => p.shape), [[0], [0], [0]]);
  assert.deepEqual(zeros([2, 0]).chunk(2, 1).map((p) => p.shape), [[2, 0], [2, 0]]);
  const rows = unbind(x);
  assert.equal(rows.length, 5);
  rows.forEach((row) => assertSharesStorage(x, row, "unbind"));
  chunk(x, 2).forEach((c) => assertSharesStorage(x, c, "chunk"));
  assert.deepEqual(rows[3].tolist(), [6, 7]);
  const cols = x.unbind(1);
  assert.deepEqual(cols.map((c) => c.tolist()), [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
  assert.deepEqual(unbind(zeros([0, 2])).length, 0);
  assert.throws(() => split(x, [2, 2]), /split: sizes \[2,2\] must be non-negative integers summing to 5/);
  assert.throws(() => split(x, 0), /split: split size must be a positive integer, got 0/);
  assert.throws(() => chunk(x, 0), /chunk: number of chunks must be a positive integer/);
  assert.throws(() => unbind(x, 2), /unbind: dimension 2 out of range/);
});

test("gather against a loop; errors for bad indices", () => {
  const shape = [3, 4];
  const x = iota(shape);
  const idx0 = tensor([[2, 0, 1, 1], [0, 0, 2, 1]], { dtype: "int32" });
  const g0 = gather(x, 0, idx0);
  const i0 = idx0.tolist() as number[][];
  checkEach(g0, ([i, j]) => pos(shape, [i0[i][j], j]), "gather dim 0");
  const idx1 = tensor([[3], [0], [2]], { dtype: "int32" });
  const i1 = idx1.tolist() as number[][];
  checkEach(x.gather(1, idx1), ([i, j]) => pos(shape, [i, i1[i][j]]), "gather dim 1");
  checkEach(gather(x, -1, idx1), ([i, j]) => pos(shape, [i, i1[i][j]]), "gather dim -1");
  // index smaller than the input in the other dims; non-contiguous input and index
  const idx2 = tensor([[1, 0, 0]], { dtype: "int32" });
  checkEach(gather(x.T, 1, idx2), ([i, j]) => pos(shape, [[1, 0, 0][j], i]), "gather of a transposed input");
  const idxT = tensor([[0, 1, 2], [2, 2, 0]], { dtype: "int32" }).T; // [3, 2]
  checkEach(gather(x, 1, idxT), ([i, j]) => pos(shape, [i, [[0, 2], [1, 2], [2, 0]][i][j]]), "gather with a transposed index");
  // 3-d against a loop
  const s3 = [2, 3, 4];
  const x3 = iota(s3);
  const ivals = [[[0, 1], [1, 1], [0, 0]], [[1, 0], [0, 1], [1, 1]]];
  const i3 = tensor(ivals, { dtype: "int32" }); // [2, 3, 2], values index dim 0 (size 2)
  checkEach(gather(x3, 0, i3), ([a, b, c]) => pos(s3, [ivals[a][b][c], b, c]), "gather 3-d dim 0");
  assert.throws(() => gather(x, 0, tensor([[3, 0, 0, 0]], { dtype: "int32" })), { message: "gather: index 3 is out of bounds for dimension 0 with size 3" });
  assert.throws(() => gather(x, 1, tensor([[-1]], { dtype: "int32" })), /gather: index -1 is out of bounds for dimension 1 with size 4/);
  assert.throws(() => gather(x, 0, tensor([[0.5]])), /gather: index must be an int32 tensor, got float32/);
  assert.throws(() => gather(x, 0, tensor([0], { dtype: "int32" })), /gather: index of shape \[1\] does not fit input of shape \[3, 4\]/);
  assert.throws(() => gather(x, 0, tensor([[0], [0], [0], [0]], { dtype: "int32" }).expand([4, 5])), /gather: index of shape \[4, 5\] does not fit/);
  assert.throws(() => gather(x, 2, idx0), /gather: dimension 2 out of range/);
});

test("indexSelect against a loop; errors", () => {
  const shape = [3, 4];
  const x = iota(shape);
  const idx = tensor([2, 0, 2], { dtype: "int32" });
  const r = indexSelect(x, 0, idx);
  assert.deepEqual(r.shape, [3, 4]);
  checkEach(r, ([i, j]) => pos(shape, [[2, 0, 2][i], j]), "indexSelect dim 0");
  const c = x.indexSelect(1, tensor([3, 1], { dtype: "int32" }));
  checkEach(c, ([i, j]) => pos(shape, [i, [3, 1][j]]), "indexSelect dim 1");
  checkEach(indexSelect(x.T, 1, tensor([1], { dtype: "int32" })), ([i]) => pos(shape, [1, i]), "indexSelect of transposed");
  assert.deepEqual(indexSelect(x, 0, tensor([], { dtype: "int32" })).shape, [0, 4]);
  assert.deepEqual(indexSelect(x, 0, tensor(1, { dtype: "int32" })).shape, [1, 4]);
  assert.throws(() => indexSelect(x, 0, tensor([3], { dtype: "int32" })), /indexSelect: index 3 is out of bounds for dimension 0 with size 3/);
  assert.throws(() => indexSelect(x, 1, tensor([-1], { dtype: "int32" })), /indexSelect: index -1 is out of bounds for dimension 1 with size 4/);
  assert.throws(() => indexSelect(x, 0, tensor([[0]], { dtype: "int32" })), /indexSelect: index must be 1-d, got shape \[1, 1\]/);
  assert.throws(() => indexSelect(x, 0, tensor([0])), /indexSelect: index must be an int32 tensor, got float32/);
  // rows long enough to be copied whole, from a contiguous and from a sliced matrix, and a bad index past the first row
  const wide = [5, 70], w = iota(wide), rows = [4, 0, 4, 2];
  const sel = indexSelect(w, 0, tensor(rows, { dtype: "int32" }));
  checkEach(sel, ([i, j]) => pos(wide, [rows[i], j]), "indexSelect of long rows");
  checkEach(indexSelect(w.narrow(1, 3, 66), 0, tensor(rows, { dtype: "int32" })), ([i, j]) => pos(wide, [rows[i], j + 3]), "indexSelect of sliced long rows");
  assert.throws(() => gather(w, 0, tensor([[1], [5]], { dtype: "int32" }).expand([2, 70])), /gather: index 5 is out of bounds for dimension 0 with size 5/);
});

test("diagonal with offsets and dims", () => {
  const x = iota([3, 4]);
  assert.deepEqual(diagonal(x).tolist(), [0, 5, 10]);
  assert.deepEqual(diagonal(x, 1).tolist(), [1, 6, 11]);
  assert.deepEqual(diagonal(x, 2).tolist(), [2, 7]);
  assert.deepEqual(diagonal(x, 3).tolist(), [3]);
  assert.deepEqual(diagonal(x, 4).tolist(), []);
  assert.deepEqual(diagonal(x, -1).tolist(), [4, 9]);
  assert.deepEqual(diagonal(x, -2).tolist(), [8]);
  assert.deepEqual(diagonal(x, -3).tolist(), []);
  assert.deepEqual(diagonal(x, -7).tolist(), []);
  assert.deepEqual(x.diagonal(0, 1, 0).tolist(), [0, 5, 10]); // dims swapped: same main diagonal
  assert.deepEqual(x.diagonal(1, 1, 0).tolist(), [4, 9]); // offset counts along dim2 = 0
  // 3-d: the diagonal dim goes last
  const s = [2, 3, 4];
  const y = iota(s);
  const d = diagonal(y, 0, 1, 2);
  assert.deepEqual(d.shape, [2, 3]);
  checkEach(d, ([a, i]) => pos(s, [a, i, i]), "diagonal(0, 1, 2)");
  const d2 = diagonal(y, 1, 0, 2);
  assert.deepEqual(d2.shape, [3, 2]);
  checkEach(d2, ([b, i]) => pos(s, [i, b, i + 1]), "diagonal(1, 0, 2)");
  const d3 = y.diagonal(-1, -1, 1);
  assert.deepEqual(d3.shape, [2, 3]);
  checkEach(d3, ([a, i]) => pos(s, [a, i, i + 1]), "diagonal(-1, -1, 1)");
  checkEach(diagonal(y.transpose(0, 2), 0, 0, 1), ([a, i]) => pos(s, [a, i, i]), "diagonal of a transposed tensor");
  assert.throws(() => diagonal(iota([3])), /diagonal: expected a tensor with at least 2 dims/);
  assert.throws(() => diagonal(x, 0, 0, 0), /diagonal: dim1 and dim2 must differ/);
  assert.throws(() => diagonal(x, 0, 0, 2), /diagonal: dimension 2 out of range/);
});

test("diag: 1-d to 2-d with offsets, 2-d to 1-d", () => {
  const v = tensor([1, 2, 3], { dtype: "float64" });
  assert.deepEqual(diag(v).tolist(), [[1, 0, 0], [0, 2, 0], [0, 0, 3]]);
  assert.deepEqual(diag(v, 1).tolist(), [[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 3], [0, 0, 0, 0]]);
  assert.deepEqual(diag(v, -1).tolist(), [[0, 0, 0, 0], [1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]]);
  assert.deepEqual(v.diag(2).tolist(), [[0, 0, 1, 0, 0], [0, 0, 0, 2, 0], [0, 0, 0, 0, 3], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
  assert.equal(diag(v).dtype, "float64");
  assert.equal(diag(tensor([1, 2], { dtype: "int32" })).dtype, "int32");
  assert.equal(diag(tensor([true, false])).dtype, "bool");
  assert.deepEqual(diag(tensor([true, false])).tolist(), [[true, false], [false, false]]);
  const m = iota([3, 3]);
  assert.deepEqual(diag(m).tolist(), [0, 4, 8]);
  assert.deepEqual(diag(m, 1).tolist(), [1, 5]);
  assert.deepEqual(diag(m, -2).tolist(), [6]);
  assert.deepEqual(diag(tensor([])).shape, [0, 0]);
  assert.throws(() => diag(tensor(1)), /diag: expected a 1-d or 2-d tensor, got shape \[\]/);
  assert.throws(() => diag(iota([2, 2, 2])), /diag: expected a 1-d or 2-d tensor, got shape \[2, 2, 2\]/);
});

test("tril and triu with diagonals", () => {
  const shape = [3, 4];
  const x = iota(shape).add(1);
  for (const k of [-3, -1, 0, 1, 2, 5]) {
    checkEach(tril(x, k), ([i, j]) => (j - i <= k ? pos(shape, [i, j]) + 1 : 0), `tril(${k})`);
    checkEach(triu(x, k), ([i, j]) => (j - i >= k ? pos(shape, [i, j]) + 1 : 0), `triu(${k})`);
  }
  assert.deepEqual(x.tril().tolist(), [[1, 0, 0, 0], [5, 6, 0, 0], [9, 10, 11, 0]]);
  assert.deepEqual(x.triu(1).tolist(), [[0, 2, 3, 4], [0, 0, 7, 8], [0, 0, 0, 12]]);
  // batched: applied to the last two dims
  const b = iota([2, 2, 2]);
  assert.deepEqual(tril(b).tolist(), [[[0, 0], [2, 3]], [[4, 0], [6, 7]]]);
  assert.equal(tril(tensor([[1, 2], [3, 4]], { dtype: "int32" })).dtype, "int32");
  assert.equal(triu(tensor([[true, true], [true, true]])).dtype, "bool");
  assert.deepEqual(triu(tensor([[true, true], [true, true]])).tolist(), [[true, true], [false, true]]);
  assert.throws(() => tril(iota([3])), /tril: expected a tensor with at least 2 dims/);
  assert.throws(() => triu(tensor(1)), /triu: expected a tensor with at least 2 dims/);
});

test("clone and contiguous copy; detach shares storage", () => {
  const x = iota([2, 3]);
  const c = x.clone();
  assert.notEqual(c.data, x.data);
  assert.deepEqual(c.tolist(), x.tolist());
  assert.equal(c.dtype, "float64");
  const t = x.T;
  const tc = t.contiguous();
  assert.notEqual(tc.data, x.data);
  assert.deepEqual(tc.tolist(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(Array.from(tc.data as Float64Array), [0, 3, 1, 4, 2, 5]); // row-major storage
  assert.equal(x.contiguous(), x); // already contiguous: the same tensor
  // clone keeps -0, NaN and bools exactly
  const z = tensor([-0, NaN, 1], { dtype: "float64" }).clone().tolist() as number[];
  assert.ok(Object.is(z[0], -0) && Number.isNaN(z[1]) && z[2] === 1);
  assert.deepEqual(tensor([true, false]).clone().tolist(), [true, false]);
  assert.equal(tensor(3).clone().item(), 3);
  const d = x.detach();
  assert.equal(d.data, x.data);
  assert.deepEqual(d.tolist(), x.tolist());
  assert.deepEqual(x.size(), [2, 3]);
  assert.equal(x.size(-1), 3);
  assert.equal(x.dim(), 2);
});

test("views of 0-d and zero-size tensors", () => {
  const e = zeros([0, 3]);
  assert.deepEqual(e.T.shape, [3, 0]);
  assert.deepEqual(e.reshape([3, 0]).shape, [3, 0]);
  assert.deepEqual(e.unsqueeze(1).shape, [0, 1, 3]);
  assert.deepEqual(e.flatten().shape, [0]);
  assert.deepEqual(e.narrow(1, 1, 2).shape, [0, 2]);
  assert.deepEqual(tensor(3).unsqueeze(0).unsqueeze(0).shape, [1, 1]);
  assert.deepEqual(arange(6).reshape([2, 3]).tolist(), [[0, 1, 2], [3, 4, 5]]);
});

// ---- random chains of views against an index-mapping model ----


/** A model of a view: its shape and the storage position of each multi-index. */
interface Model { shape: number[]; at: (idx: number[]) => number }

function modelValues(m: Model): number[] {
  return indices(m.shape).map(m.at);
}

/** Apply one random view op to both the tensor and the model. */
function randomView(r: () => number, t: Tensor, m: Model): [Tensor, Model, string] {
  const nd = m.shape.length;
  const pick = (n: number) => Math.floor(r() * n);
  const kind = pick(7);
  if (kind === 0 && nd >= 2) {
    const a = pick(nd), b = pick(nd);
    return [t.transpose(a, b), { shape: m.shape.map((s, i) => (i === a ? m.shape[b] : i === b ? m.shape[a] : s)), at: (idx) => { const j = [...idx]; [j[a], j[b]] = [idx[b], idx[a]]; return m.at(j); } }, `transpose(${a}, ${b})`];
  }
  if (kind === 1 && nd >= 1) {
    const d = pick(nd);
    return [t.flip(d), { shape: m.shape, at: (idx) => m.at(idx.map((v, i) => (i === d ? m.shape[d] - 1 - v : v))) }, `flip(${d})`];
  }
  if (kind === 2 && nd >= 1) {
    const d = pick(nd), size = m.shape[d];
    const start = pick(size + 1), len = pick(size - start + 1);
    return [t.narrow(d, start, len), { shape: m.shape.map((s, i) => (i === d ? len : s)), at: (idx) => m.at(idx.map((v, i) => (i === d ? v + start : v))) }, `narrow(${d}, ${start}, ${len})`];
  }
  if (kind === 3 && nd < 5) {
    const d = pick(nd + 1), n = 1 + pick(3);
    const shape = [...m.shape];
    shape.splice(d, 0, n);
    // unsqueeze then expand the new dim to n
    return [t.unsqueeze(d).expand(shape), { shape, at: (idx) => m.at(idx.filter((_, i) => i !== d)) }, `unsqueeze(${d}).expand(${n})`];
  }
  if (kind === 4 && nd >= 2) {
    const perm = m.shape.map((_, i) => i).sort(() => r() - 0.5);
    return [t.permute(perm), { shape: perm.map((p) => m.shape[p]), at: (idx) => { const j = new Array(nd); perm.forEach((p, i) => { j[p] = idx[i]; }); return m.at(j); } }, `permute(${perm})`];
  }
  if (kind === 5 && nd >= 2 && m.shape.some((s) => s > 0)) {
    const d = m.shape.findIndex((s) => s > 0);
    const i = pick(m.shape[d]);
    return [t.select(d, i), { shape: m.shape.filter((_, k) => k !== d), at: (idx) => { const j = [...idx]; j.splice(d, 0, i); return m.at(j); } }, `select(${d}, ${i})`];
  }
  if (kind === 6 && nd >= 1) {
    // reshape that splits a dim in two where it divides
    const d = pick(nd), s = m.shape[d];
    const f = [2, 3].find((k) => s % k === 0 && s > k);
    if (f) {
      const shape = [...m.shape.slice(0, d), f, s / f, ...m.shape.slice(d + 1)];
      return [t.reshape(shape), { shape, at: (idx) => m.at([...idx.slice(0, d), idx[d] * (s / f) + idx[d + 1], ...idx.slice(d + 2)]) }, `reshape(${shape})`];
    }
  }
  return [t, m, "none"];
}

/** All ways to cut `n` elements into a shape of a few factors (plus a leading/trailing 1 now and then). */
function randomShapeOf(r: () => number, n: number): number[] {
  if (n === 0) return [0, Math.floor(r() * 3) + 1];
  const out: number[] = [];
  let rest = n;
  for (const f of [2, 3, 5, 2, 3, 7, 2]) if (rest % f === 0 && r() < 0.5) { out.push(f); rest /= f; }
  out.push(rest);
  if (r() < 0.3) out.unshift(1);
  if (r() < 0.3) out.push(1);
  return out.sort(() => r() - 0.5);
}

test("random chains of views, then reshape and reductions, match the index model", () => {
  const r = rng(11);
  for (let trial = 0; trial < 300; trial++) {
    const shape = [2 + Math.floor(r() * 3), 1 + Math.floor(r() * 4), 2 + Math.floor(r() * 3)];
    let t = iota(shape);
    let m: Model = { shape, at: (idx) => pos(shape, idx) };
    const log: string[] = [];
    for (let step = 0; step < 4; step++) {
      let what: string;
      [t, m, what] = randomView(r, t, m);
      log.push(what);
      assert.deepEqual(t.shape, m.shape, `shape after ${log.join(".")}`);
    }
    const want = modelValues(m);
    assert.deepEqual(flatList(t.tolist()), want, `values after ${log.join(".")}`);
    assert.deepEqual(Array.from(t.toTypedArray()), want, `toTypedArray after ${log.join(".")}`);
    const target = randomShapeOf(r, want.length);
    assert.deepEqual(flatList(t.reshape(target).tolist()), want, `reshape(${target}) after ${log.join(".")}`);
    assert.deepEqual(flatList(t.add(0).tolist()), want, `add after ${log.join(".")}`);
    if (m.shape.length > 0) {
      const d = Math.floor(r() * m.shape.length);
      // naive sum over dim d
      const outShape = m.shape.filter((_, i) => i !== d);
      const sums = indices(outShape).map((idx) => {
        let acc = 0;
        for (let k = 0; k < m.shape[d]; k++) { const j = [...idx]; j.splice(d, 0, k); acc += m.at(j); }
        return acc;
      });
      assert.deepEqual(flatList(t.sum(d).tolist()), sums, `sum(${d}) after ${log.join(".")}`);
      if (m.shape[d] > 0) {
        const maxs = indices(outShape).map((idx) => {
          let acc = -Infinity;
          for (let k = 0; k < m.shape[d]; k++) { const j = [...idx]; j.splice(d, 0, k); acc = Math.max(acc, m.at(j)); }
          return acc;
        });
        assert.deepEqual(flatList(t.max(d).tolist()), maxs, `max(${d}) after ${log.join(".")}`);
      }
    }
    assert.equal(t.sum().item(), want.reduce((a, b) => a + b, 0), `sum() after ${log.join(".")}`);
  }
});
