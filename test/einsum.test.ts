// einsum against naive nested loops (explicit ones for the common contractions, and a brute-force
// evaluator over every assignment of the indices), plus its errors, gradients and vmap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { einsum, grad, tensor, vmap, type Tensor } from "../src/index.js";
import { numel, uniformStream } from "./helpers/check.js";

/** Deterministic values in [-1, 1), independent of the library's generator. */
function randomValues(n: number, seed: number): number[] {
  const next = uniformStream(seed);
  return Array.from({ length: n }, () => next() * 2 - 1);
}


interface Arr { v: number[]; shape: number[] }

function arr(shape: number[], seed: number): Arr {
  return { v: randomValues(numel(shape), seed), shape };
}

const t64 = (a: Arr): Tensor => tensor(Float64Array.from(a.v), { dtype: "float64" }).reshape(a.shape);

function at(a: Arr, idx: number[]): number {
  let off = 0;
  for (let i = 0; i < idx.length; i++) off = off * a.shape[i] + idx[i];
  return a.v[off];
}

function assertClose(actual: Tensor, expected: number[], shape: number[], tol = 1e-12, msg = ""): void {
  assert.deepEqual([...actual.shape], shape, `${msg} shape`);
  const got = actual.toTypedArray();
  assert.equal(got.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(got[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `${msg} [${i}]: expected ${expected[i]}, got ${got[i]}`);
  }
}

function assertThrows(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof Error && pattern.test(e.message) ? true : assert.fail(`message ${(e as Error).message} does not match ${pattern}`));
}

/**
 * Brute force: for every assignment of every index, add the product of the operands' entries
 * into the output entry. Letters only (no "..."), explicit output.
 */
function brute(equation: string, ops: Arr[]): [number[], number[]] {
  const [lhs, rhs] = equation.split("->");
  const terms = lhs.split(",");
  const size = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((c, d) => size.set(c, ops[i].shape[d])));
  const labels = [...size.keys()];
  const outShape = [...rhs].map((c) => size.get(c)!);
  const out = new Array<number>(numel(outShape)).fill(0);
  const idx = new Map<string, number>();
  const visit = (k: number): void => {
    if (k === labels.length) {
      let p = 1;
      terms.forEach((t, i) => { p *= at(ops[i], [...t].map((c) => idx.get(c)!)); });
      let off = 0;
      for (const c of rhs) off = off * size.get(c)! + idx.get(c)!;
      out[off] += p;
      return;
    }
    for (let v = 0; v < size.get(labels[k])!; v++) { idx.set(labels[k], v); visit(k + 1); }
  };
  visit(0);
  return [out, outShape];
}

test("matmul, batched matmul, outer, transpose, sum: explicit loops", () => {
  const a = arr([3, 4], 1), b = arr([4, 5], 2);
  const mm: number[] = [];
  for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) {
    let s = 0;
    for (let j = 0; j < 4; j++) s += at(a, [i, j]) * at(b, [j, k]);
    mm.push(s);
  }
  assertClose(einsum("ij,jk->ik", t64(a), t64(b)), mm, [3, 5]);
  assertClose(einsum("ij,jk", t64(a), t64(b)), mm, [3, 5]); // implicit: the once-used indices, sorted
  assertClose(einsum("ij, jk -> ik", [t64(a), t64(b)]), mm, [3, 5]); // spaces, operands as an array
  // implicit output sorts: "jk,ij" is still [i, k]
  assertClose(einsum("jk,ij", t64(b), t64(a)), mm, [3, 5]);
  // "ij,jk->ki" is the transpose
  const mmT: number[] = [];
  for (let k = 0; k < 5; k++) for (let i = 0; i < 3; i++) mmT.push(mm[i * 5 + k]);
  assertClose(einsum("ij,jk->ki", t64(a), t64(b)), mmT, [5, 3]);

  const x = arr([2, 3, 4], 3), y = arr([2, 4, 2], 4);
  const bmm: number[] = [];
  for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) {
    let s = 0;
    for (let j = 0; j < 4; j++) s += at(x, [n, i, j]) * at(y, [n, j, k]);
    bmm.push(s);
  }
  assertClose(einsum("bij,bjk->bik", t64(x), t64(y)), bmm, [2, 3, 2]);

  const u = arr([3], 5), v = arr([4], 6);
  const outer: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) outer.push(u.v[i] * v.v[j]);
  assertClose(einsum("i,j->ij", t64(u), t64(v)), outer, [3, 4]);
  assertClose(einsum("i,j", t64(u), t64(v)), outer, [3, 4]);

  const tr: number[] = [];
  for (let j = 0; j < 4; j++) for (let i = 0; i < 3; i++) tr.push(at(a, [i, j]));
  assertClose(einsum("ij->ji", t64(a)), tr, [4, 3]);
  assertClose(einsum("ji", t64(a)), tr, [4, 3]); // implicit output "ij" of "ji": the transpose

  const total = a.v.reduce((p, q) => p + q, 0);
  assertClose(einsum("ij->", t64(a)), [total], []);
  const rows = [0, 1, 2].map((i) => [0, 1, 2, 3].reduce((p, j) => p + at(a, [i, j]), 0));
  assertClose(einsum("ij->i", t64(a)), rows, [3]);
  const dot = [0, 1, 2].reduce((p, i) => p + u.v[i] * u.v[i], 0);
  assertClose(einsum("i,i->", t64(u), t64(u)), [dot], []);
  assertClose(einsum("i,i", t64(u), t64(u)), [dot], []);
});

test("trace and diagonal (repeated indices in one operand)", () => {
  const m = arr([4, 4], 7);
  const diag = [0, 1, 2, 3].map((i) => at(m, [i, i]));
  assertClose(einsum("ii->i", t64(m)), diag, [4]);
  assertClose(einsum("ii->", t64(m)), [diag.reduce((a, b) => a + b)], []);
  assertClose(einsum("ii", t64(m)), [diag.reduce((a, b) => a + b)], []);
  // batched diagonal, and a triple repeat
  const b = arr([2, 3, 3], 8);
  const bd: number[] = [];
  for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) bd.push(at(b, [n, i, i]));
  assertClose(einsum("bii->bi", t64(b)), bd, [2, 3]);
  assertClose(einsum("bii->ib", t64(b)), [0, 1, 2].flatMap((i) => [bd[i], bd[3 + i]]), [3, 2]);
  const c = arr([3, 3, 3], 9);
  assertClose(einsum("iii->i", t64(c)), [0, 1, 2].map((i) => at(c, [i, i, i])), [3]);
  // diagonal of one operand contracted with another: sum_i A[i,i] * v[i]
  const v = arr([4], 10);
  assertClose(einsum("ii,i->", t64(m), t64(v)), [diag.reduce((s, d, i) => s + d * v.v[i], 0)], []);
});

test("brute-force reference for bilinear, multi-operand chains and mixed contractions", () => {
  const cases: [string, number[][]][] = [
    ["bn,anm,bm->ba", [[3, 4], [2, 4, 5], [3, 5]]],
    ["ij,jk,kl->il", [[2, 3], [3, 4], [4, 2]]],
    ["ij,jk,kl->li", [[2, 3], [3, 4], [4, 2]]],
    ["abc,cd,bde->ae", [[2, 3, 4], [4, 2], [3, 2, 3]]],
    ["ijk,jkl->il", [[2, 3, 4], [3, 4, 2]]],
    ["ijk->kji", [[2, 3, 4]]],
    ["ijk->j", [[2, 3, 4]]],
    ["ij,kl->ijkl", [[2, 3], [2, 2]]],
    ["bij,bkj,bk->bi", [[2, 3, 4], [2, 2, 4], [2, 2]]],
    ["i,i,i->", [[5], [5], [5]]],
    ["ab,ab->ba", [[3, 2], [3, 2]]],
    ["ij,ji->", [[3, 4], [4, 3]]],
    ["iij,jk->ik", [[3, 3, 2], [2, 4]]],
    ["ij,jk->", [[3, 4], [4, 2]]],
    ["AB,Bc->cA", [[2, 3], [3, 4]]],
  ];
  cases.forEach(([eq, shapes], n) => {
    const ops = shapes.map((s, i) => arr(s, 100 * n + i));
    const [expected, shape] = brute(eq, ops);
    assertClose(einsum(eq, ...ops.map(t64)), expected, shape, 1e-12, eq);
  });
});

test("ellipsis: leading, trailing, middle, and broadcasting", () => {
  const a = arr([2, 3, 4], 20), b = arr([4, 5], 21);
  // "...ij,jk->...ik": matmul over the leading dims
  const e1: number[] = [];
  for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) {
    let s = 0;
    for (let j = 0; j < 4; j++) s += at(a, [n, i, j]) * at(b, [j, k]);
    e1.push(s);
  }
  assertClose(einsum("...ij,jk->...ik", t64(a), t64(b)), e1, [2, 3, 5]);
  assertClose(einsum("...ij,jk", t64(a), t64(b)), e1, [2, 3, 5]); // implicit: "..." first
  // trailing ellipsis: sum over the first index
  const e2: number[] = [];
  for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) e2.push(at(a, [0, j, k]) + at(a, [1, j, k]));
  assertClose(einsum("i...->...", t64(a)), e2, [3, 4]);
  // ellipsis in the middle, and "..." dims summed when the output omits them
  const e3: number[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) e3.push(at(a, [i, 0, k]) + at(a, [i, 1, k]) + at(a, [i, 2, k]));
  assertClose(einsum("i...k->ki", t64(a)), e3, [4, 2]);
  // broadcasting "..." of different ranks and of size 1: [2, 1, 3, 4] with [5, 4, 2] -> [2, 5, 3, 2]
  const x = arr([2, 1, 3, 4], 22), y = arr([5, 4, 2], 23);
  const e4: number[] = [];
  for (let p = 0; p < 2; p++) for (let q = 0; q < 5; q++) for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) {
    let s = 0;
    for (let j = 0; j < 4; j++) s += at(x, [p, 0, i, j]) * at(y, [q, j, k]);
    e4.push(s);
  }
  assertClose(einsum("...ij,...jk->...ik", t64(x), t64(y)), e4, [2, 5, 3, 2]);
  // "..." covering no dims
  const m = arr([3, 4], 24);
  assertClose(einsum("...ij->...ji", t64(m)), [0, 1, 2, 3].flatMap((j) => [0, 1, 2].map((i) => at(m, [i, j]))), [4, 3]);
  // a diagonal next to an ellipsis
  const d = arr([2, 3, 3], 25);
  assertClose(einsum("...ii->...i", t64(d)), [0, 1].flatMap((n) => [0, 1, 2].map((i) => at(d, [n, i, i]))), [2, 3]);
});

test("a size-1 index broadcasts against the same index elsewhere, as in PyTorch", () => {
  const a = arr([3, 1], 30), b = arr([4, 5], 31);
  // sum_j a[i, 0] * b[j, k]
  const e: number[] = [];
  for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) e.push(a.v[i] * [0, 1, 2, 3].reduce((s, j) => s + at(b, [j, k]), 0));
  assertClose(einsum("ij,jk->ik", t64(a), t64(b)), e, [3, 5]);
});

test("dtypes: float32 stays float32, int32 stays int32, mixed promotes", () => {
  const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6], [7, 8]]);
  const r = einsum("ij,jk->ik", a, b);
  assert.equal(r.dtype, "float32");
  assert.deepEqual(r.tolist(), [[19, 22], [43, 50]]);
  const i = einsum("ij,jk->ik", a.to("int32"), b.to("int32"));
  assert.equal(i.dtype, "int32");
  assert.deepEqual(i.tolist(), [[19, 22], [43, 50]]);
  assert.equal(einsum("ij,jk->ik", a, b.to("float64")).dtype, "float64");
});

test("gradients and vmap go through einsum", () => {
  const a = arr([3, 4], 40), b = arr([4, 2], 41);
  // d/dA sum(A @ B) = ones @ B^T: row sums of B, repeated
  const g = grad((x: Tensor) => einsum("ij,jk->", x, t64(b)))(t64(a)) as Tensor;
  const rowSums = [0, 1, 2, 3].map((j) => at(b, [j, 0]) + at(b, [j, 1]));
  assertClose(g, [0, 1, 2].flatMap(() => rowSums), [3, 4]);
  // d/dM trace(M) = I
  const gt = grad((m: Tensor) => einsum("ii", m))(t64(arr([3, 3], 42))) as Tensor;
  assert.deepEqual(gt.tolist(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  // vmap over the first operand matches a loop
  const xs = arr([5, 3, 4], 43);
  const out = vmap((x: Tensor) => einsum("ij,jk->ik", x, t64(b)))(t64(xs)) as Tensor;
  const [e] = brute("nij,jk->nik", [xs, b]);
  assertClose(out, e, [5, 3, 2]);
  const both = vmap((x: Tensor, y: Tensor) => einsum("ij,ij->i", x, y))(t64(xs), t64(arr([5, 3, 4], 44))) as Tensor;
  assertClose(both, brute("nij,nij->ni", [xs, arr([5, 3, 4], 44)])[0], [5, 3]);
});

test("errors name einsum, the equation and what is wrong", () => {
  const a = t64(arr([2, 3], 50)), b = t64(arr([3, 4], 51)), c = t64(arr([4, 4], 52));
  assertThrows(() => einsum("ij,j#->i", a, b), /^einsum: invalid subscript '#' in operand 1 subscripts "j#" of equation "ij,j#->i"/);
  assertThrows(() => einsum("i1->i", a), /^einsum: invalid subscript '1'/);
  assertThrows(() => einsum("ij,jk->ik", a), /^einsum: equation "ij,jk->ik" has subscripts for 2 operands but 1 operand was given/);
  assertThrows(() => einsum("ij->ij", a, b), /^einsum: equation "ij->ij" has subscripts for 1 operand but 2 operands were given/);
  assertThrows(() => einsum("ijk,jk->i", a, b), /^einsum: operand 0 has 3 subscripts \("ijk"\) but 2 dims \(shape \[2, 3\]\)/);
  assertThrows(() => einsum("...ijk->i", a), /^einsum: operand 0 has 3 subscripts plus "..." \("...ijk"\) but only 2 dims \(shape \[2, 3\]\)/);
  assertThrows(() => einsum("ij,jk->ik", a, c), /^einsum: subscript 'j' has size 3 in operand 0 \(shape \[2, 3\]\) but size 4 in operand 1 \(shape \[4, 4\]\)/);
  assertThrows(() => einsum("ii->i", a), /^einsum: subscript 'i' is repeated in operand 0 \(shape \[2, 3\]\) but its dims have sizes 2 and 3/);
  assertThrows(() => einsum("ij->iz", a), /^einsum: output subscript 'z' does not appear in any operand/);
  assertThrows(() => einsum("ij->ii", a), /^einsum: output subscript 'i' appears more than once/);
  assertThrows(() => einsum("...i...->i", a), /^einsum: operand 0 subscripts "...i..." contains more than one "..."/);
  assertThrows(() => einsum("ij->i->j", a), /^einsum: equation "ij->i->j" contains more than one "->"/);
  assertThrows(() => einsum("i.j->i", a), /^einsum: invalid subscript '.'/);
  assertThrows(() => einsum("...i,...i->...", t64(arr([2, 3], 53)), t64(arr([4, 3], 54))), /^einsum: subscript "..." dim 0 has size 2 in operand 0 .* but size 4 in operand 1/);
  assertThrows(() => einsum("i"), /^einsum: expected at least one operand/);
  assertThrows(() => einsum("i", [1, 2] as unknown as Tensor), /^einsum: expected operand 0 to be a Tensor/);
});

test("0-d operands", () => {
  const s = tensor(3, { dtype: "float64" }), v = t64({ v: [1, 2, 3], shape: [3] });
  assertClose(einsum("i,->i", v, s), [3, 6, 9], [3]);
  assertClose(einsum(",->", s, s), [9], []);
  assertClose(einsum("->", s), [3], []);
});
