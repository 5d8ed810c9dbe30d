// Matrix products against a naive triple loop: 1-d cases, batch broadcasting, strided operands,
// sizes that cross the blocking of the kernel, and the shape errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, tensor, matmul, dot, mv, mm, bmm, outer, zeros } from "../src/index.js";
import { numel, uniformStream as rng } from "./helpers/check.js";


const flatList = (x: unknown): number[] => (Array.isArray(x) ? (x.flat(Infinity) as number[]) : [x as number]);

interface Mat { shape: number[]; flat: number[] }

function randomMat(r: () => number, shape: number[]): Mat {
  return { shape, flat: Array.from({ length: numel(shape) }, () => r() * 2 - 1) };
}

function toTensor(m: Mat, dtype: "float64" | "float32" = "float64"): Tensor {
  return tensor(m.flat, { dtype }).reshape(m.shape);
}

/** Row-major strides. */
function strides(shape: number[]): number[] {
  const out = new Array(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { out[i] = s; s *= shape[i]; }
  return out;
}

/** NumPy matmul by the definition: promote 1-d, broadcast batch dims, triple loop, drop 1-d dims. */
function naiveMatmul(a: Mat, b: Mat): Mat {
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const M = as[as.length - 2], K = as[as.length - 1], N = bs[bs.length - 1];
  assert.equal(bs[bs.length - 2], K);
  const ab = as.slice(0, -2), bb = bs.slice(0, -2);
  const nb = Math.max(ab.length, bb.length);
  const pa = [...new Array(nb - ab.length).fill(1), ...ab], pb = [...new Array(nb - bb.length).fill(1), ...bb];
  const batch = pa.map((x, i) => (x === 1 ? pb[i] : x));
  const sa = strides(as), sb = strides(bs);
  const out: number[] = [];
  for (let bi = 0; bi < numel(batch); bi++) {
    let rem = bi, offA = 0, offB = 0;
    for (let d = nb - 1; d >= 0; d--) {
      const i = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      const da = d - (nb - ab.length), db = d - (nb - bb.length);
      if (da >= 0 && ab[da] !== 1) offA += i * sa[da];
      if (db >= 0 && bb[db] !== 1) offB += i * sb[db];
    }
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a.flat[offA + i * K + k] * b.flat[offB + k * N + j];
      out.push(acc);
    }
  }
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  return { shape, flat: out };
}

function assertMatClose(got: Tensor, want: Mat, tol: number, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const g = flatList(got.tolist());
  for (let i = 0; i < want.flat.length; i++) {
    assert.ok(Math.abs(g[i] - want.flat[i]) <= tol * (1 + Math.abs(want.flat[i])), `${what}[${i}]: expected ${want.flat[i]}, got ${g[i]}`);
  }
}

test("matmul of small shapes, 1-d cases and batch broadcasting", () => {
  const r = rng(1);
  const cases: [number[], number[]][] = [
    [[3], [3]], [[3], [3, 4]], [[2, 3], [3]], [[2, 3], [3, 4]], [[1, 1], [1, 1]], [[5, 1], [1, 4]],
    [[2, 2, 3], [3, 4]], [[2, 3], [5, 3, 4]], [[2, 1, 2, 3], [4, 3, 2]], [[3], [2, 3, 4]], [[2, 4, 3], [3]],
    [[1, 2, 3], [4, 3, 2]], [[2, 0, 3], [3, 4]], [[2, 3], [3, 0]], [[2, 0], [0, 3]], [[0], [0]],
  ];
  for (const [sa, sb] of cases) {
    const a = randomMat(r, sa), b = randomMat(r, sb);
    const got = matmul(toTensor(a), toTensor(b));
    assertMatClose(got, naiveMatmul(a, b), 1e-14, `matmul ${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`);
    assert.equal(got.dtype, "float64");
  }
  const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6], [7, 8]]);
  assert.deepEqual(matmul(a, b).tolist(), [[19, 22], [43, 50]]);
  assert.deepEqual(a.matmul(b).tolist(), [[19, 22], [43, 50]]);
  assert.equal(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).item(), 32);
  assert.deepEqual(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).shape, []);
  // the contraction of an empty dim is zero
  assert.deepEqual(matmul(zeros([2, 0]), zeros([0, 3])).tolist(), [[0, 0, 0], [0, 0, 0]]);
});

test("matmul of non-contiguous operands (transposed, expanded, flipped, sliced)", () => {
  const r = rng(2);
  const a = randomMat(r, [4, 3]), b = randomMat(r, [5, 4]);
  // a.T @ b.T: [3, 4] @ [4, 5]
  const aT: Mat = { shape: [3, 4], flat: [] }, bT: Mat = { shape: [4, 5], flat: [] };
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) aT.flat.push(a.flat[j * 3 + i]);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) bT.flat.push(b.flat[j * 4 + i]);
  assertMatClose(matmul(toTensor(a).T, toTensor(b).T), naiveMatmul(aT, bT), 1e-14, "transposed operands");
  assertMatClose(matmul(toTensor(a).T, toTensor(bT)), naiveMatmul(aT, bT), 1e-14, "transposed left");
  assertMatClose(matmul(toTensor(aT), toTensor(b).T), naiveMatmul(aT, bT), 1e-14, "transposed right");
  // an expanded (stride-0) operand
  const row = randomMat(r, [4]);
  const e = toTensor(row).expand([3, 4]);
  const eMat: Mat = { shape: [3, 4], flat: [...row.flat, ...row.flat, ...row.flat] };
  assertMatClose(matmul(e, toTensor(bT)), naiveMatmul(eMat, bT), 1e-14, "expanded left");
  // flipped and narrowed
  const big = randomMat(r, [6, 4]);
  const fl = toTensor(big).flip(0).narrow(0, 1, 3); // rows 4, 3, 2
  const flMat: Mat = { shape: [3, 4], flat: [4, 3, 2].flatMap((i) => big.flat.slice(i * 4, i * 4 + 4)) };
  assertMatClose(matmul(fl, toTensor(bT)), naiveMatmul(flMat, bT), 1e-14, "flipped slice");
  // batched with the batch dim not leading
  const c = randomMat(r, [3, 2, 4]); // permuted to [2, 3, 4]
  const cp: Mat = { shape: [2, 3, 4], flat: [] };
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) cp.flat.push(c.flat[j * 8 + i * 4 + k]);
  assertMatClose(matmul(toTensor(c).permute([1, 0, 2]), toTensor(bT)), naiveMatmul(cp, bT), 1e-14, "permuted batch");
});

test("larger random matmuls cross the kernel's blocking", () => {
  const r = rng(3);
  for (const [M, K, N] of [[67, 130, 71], [33, 300, 17], [1, 513, 1], [129, 1, 65]]) {
    const a = randomMat(r, [M, K]), b = randomMat(r, [K, N]);
    const want = naiveMatmul(a, b);
    assertMatClose(matmul(toTensor(a), toTensor(b)), want, 1e-13, `${M}x${K} @ ${K}x${N}`);
    // transposed storage for both operands
    const aT = toTensor({ shape: [K, M], flat: Array.from({ length: K * M }, (_, i) => a.flat[(i % M) * K + Math.floor(i / M)]) }).T;
    const bT = toTensor({ shape: [N, K], flat: Array.from({ length: N * K }, (_, i) => b.flat[(i % K) * N + Math.floor(i / K)]) }).T;
    assertMatClose(matmul(aT, bT), want, 1e-13, `${M}x${K} @ ${K}x${N} from transposed storage`);
    // float32: the products are rounded once per element, the sum accumulates
    const got32 = matmul(toTensor(a, "float32"), toTensor(b, "float32"));
    assert.equal(got32.dtype, "float32");
    assertMatClose(got32, want, 1e-5 * Math.sqrt(K), `${M}x${K} @ ${K}x${N} float32`);
  }
  // batched large
  const a = randomMat(r, [3, 40, 70]), b = randomMat(r, [70, 90]);
  assertMatClose(matmul(toTensor(a), toTensor(b)), naiveMatmul(a, b), 1e-13, "batched 3x40x70 @ 70x90");
});

test("dot, mv, mm, bmm, outer", () => {
  const r = rng(4);
  const v = randomMat(r, [5]), w = randomMat(r, [5]);
  const d = dot(toTensor(v), toTensor(w));
  assert.deepEqual(d.shape, []);
  assert.ok(Math.abs((d.item() as number) - v.flat.reduce((acc, x, i) => acc + x * w.flat[i], 0)) < 1e-14);
  assert.ok(Math.abs((toTensor(v).dot(toTensor(w)).item() as number) - (d.item() as number)) === 0);
  const m = randomMat(r, [3, 5]);
  assertMatClose(mv(toTensor(m), toTensor(v)), naiveMatmul(m, v), 1e-14, "mv");
  assertMatClose(toTensor(m).mv(toTensor(v)), naiveMatmul(m, v), 1e-14, "mv method");
  const n = randomMat(r, [5, 2]);
  assertMatClose(mm(toTensor(m), toTensor(n)), naiveMatmul(m, n), 1e-14, "mm");
  assertMatClose(toTensor(m).mm(toTensor(n)), naiveMatmul(m, n), 1e-14, "mm method");
  const ba = randomMat(r, [4, 2, 3]), bb = randomMat(r, [4, 3, 5]);
  assertMatClose(bmm(toTensor(ba), toTensor(bb)), naiveMatmul(ba, bb), 1e-14, "bmm");
  assertMatClose(toTensor(ba).bmm(toTensor(bb)), naiveMatmul(ba, bb), 1e-14, "bmm method");
  const o = outer(tensor([1, 2], { dtype: "float64" }), tensor([3, 4, 5], { dtype: "float64" }));
  assert.deepEqual(o.tolist(), [[3, 4, 5], [6, 8, 10]]);
  assert.deepEqual(tensor([1, 2]).outer(tensor([3])).tolist(), [[3], [6]]);
  assert.equal(outer(tensor([1], { dtype: "int32" }), tensor([2], { dtype: "float64" })).dtype, "float64");
});

test("integer matmul is exact", () => {
  const a = tensor([[1, 2], [3, 4]], { dtype: "int32" }), b = tensor([[5, 6], [7, 8]], { dtype: "int32" });
  const c = matmul(a, b);
  assert.equal(c.dtype, "int32");
  assert.deepEqual(c.tolist(), [[19, 22], [43, 50]]);
});

test("matrix product errors", () => {
  assert.throws(() => matmul(zeros([3, 4]), zeros([5, 6])), { message: "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)" });
  assert.throws(() => matmul(zeros([3]), zeros([4])), /matmul: shapes \[3\] and \[4\] cannot be multiplied \(3 != 4\)/);
  assert.throws(() => matmul(zeros([2, 3]), zeros([4])), /matmul: shapes \[2, 3\] and \[4\] cannot be multiplied \(3 != 4\)/);
  assert.throws(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])), /matmul: batch dims of shapes \[2, 2, 3\] and \[3, 3, 4\] cannot be broadcast together/);
  assert.throws(() => matmul(tensor(1), zeros([3])), /matmul: both arguments need at least 1 dimension/);
  assert.throws(() => dot(zeros([3]), zeros([4])), { message: "dot: 1-d tensors must have the same length, got shapes [3] and [4]" });
  assert.throws(() => dot(zeros([3, 1]), zeros([3])), /dot: first argument must be 1-d, got shape \[3, 1\]/);
  assert.throws(() => mv(zeros([3]), zeros([3])), /mv: matrix must be 2-d, got shape \[3\]/);
  assert.throws(() => mv(zeros([2, 3]), zeros([4])), /matmul: shapes \[2, 3\] and \[4\] cannot be multiplied|mv: /);
  assert.throws(() => mm(zeros([2, 3, 4]), zeros([4, 2])), /mm: first argument must be 2-d, got shape \[2, 3, 4\]/);
  assert.throws(() => mm(zeros([2, 3]), zeros([4, 2])), /(mm|matmul): .*(3 != 4)/);
  assert.throws(() => bmm(zeros([2, 3, 4]), zeros([3, 4, 5])), /bmm: batch sizes differ: shapes \[2, 3, 4\] and \[3, 4, 5\]/);
  assert.throws(() => bmm(zeros([3, 4]), zeros([4, 5])), /bmm: first argument must be 3-d/);
  assert.throws(() => outer(zeros([2, 2]), zeros([2])), /outer: first argument must be 1-d/);
  assert.throws(() => matmul(zeros([2]), 3 as never), /matmul: expected input to be a Tensor, got number/);
});
