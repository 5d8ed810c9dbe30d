/**
 * The transforms over the public ops (composites included: softmax, var, einsum, conv2d,
 * pooling, norms, losses): vmap against a loop over examples with the batch dim first, last
 * and on one argument only; grad against float64 finite differences; jacfwd against jacrev;
 * vmap(grad) against a loop of grads.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  F, Tensor, cat, chunk, diag, diagonal, einsum, flip, gather, grad, indexSelect, jacfwd, jacrev, movedim, narrow, select, split, stack, tril, triu, unbind, vmap, where,
} from "../src/index.js";
import { Rng, assertClose, fromArray, jacobianFD, loopMap, randTensor, stackAt } from "./helpers/check.js";

/** An argument: a float tensor in a range, or int32 indices in [0, high). */
type Spec = { shape: number[]; lo?: number; hi?: number } | { shape: number[]; int: number };
const f = (...shape: number[]): Spec => ({ shape });
const pos = (...shape: number[]): Spec => ({ shape, lo: 0.5, hi: 2 });
const idx = (high: number, ...shape: number[]): Spec => ({ shape, int: high });

function gen(rng: Rng, s: Spec): Tensor {
  if ("int" in s) return fromArray(Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.int(s.int)), s.shape, "int32");
  return randTensor(rng, s.shape, s.lo ?? -1, s.hi ?? 1);
}

interface Case { name: string; fn: (...a: Tensor[]) => Tensor; args: Spec[] }
const cases: Case[] = [
  { name: "softmax", fn: (x) => F.softmax(x, -1), args: [f(3, 4)] },
  { name: "logSoftmax", fn: (x) => F.logSoftmax(x, 0), args: [f(3, 4)] },
  { name: "logsumexp", fn: (x) => x.logsumexp(1), args: [f(3, 4)] },
  { name: "var and std", fn: (x) => x.var(1).add(x.std()), args: [f(3, 4)] },
  { name: "norm", fn: (x) => x.norm().add(x.norm(1, 0).sum()), args: [f(3, 4)] },
  { name: "mean keepdim", fn: (x) => x.mean([0], true).mul(x), args: [f(3, 4)] },
  { name: "prod", fn: (x) => x.prod(1), args: [pos(3, 4)] },
  { name: "max and min", fn: (x) => x.max(1).add(x.min()), args: [f(3, 4)] },
  { name: "gelu (erf and tanh)", fn: (x) => F.gelu(x).add(x.gelu({ approximate: "tanh" })), args: [f(2, 3)] },
  { name: "clamp", fn: (x) => x.clamp(-0.5, 0.5).mul(x), args: [f(2, 5)] },
  { name: "pow", fn: (x, y) => x.pow(3).add(x.pow(y)), args: [pos(2, 3), f(2, 3)] },
  { name: "rsqrt tan square log1p sigmoid", fn: (x) => x.rsqrt().add(x.tan()).add(x.square()).add(x.log1p()).add(x.sigmoid()), args: [pos(4)] },
  { name: "where on a comparison", fn: (x, y) => where(x.gt(0), x.mul(y), y.exp()), args: [f(2, 3), f(2, 3)] },
  { name: "maximum broadcast", fn: (x, y) => x.maximum(y), args: [f(2, 3), f(3)] },
  { name: "matmul broadcast", fn: (a, b) => a.matmul(b), args: [f(2, 3, 4), f(4, 5)] },
  { name: "dot, mv, outer", fn: (a, m) => m.mv(a).add(a.dot(a)).sum().add(a.outer(a)), args: [f(3), f(2, 3)] },
  { name: "mm and bmm", fn: (a, b) => a.bmm(b).sum(0).mm(b.select(0, 0).T), args: [f(2, 3, 4), f(2, 4, 3)] },
  { name: "einsum matmul, trace, full contraction", fn: (a, b) => einsum("ij,jk->ik", a, b).add(einsum("ii->", a.matmul(b))).add(einsum("ij,ij->", a, a)), args: [f(3, 4), f(4, 3)] },
  { name: "einsum batched", fn: (a, b) => einsum("bij,bjk->bik", a, b), args: [f(2, 3, 2), f(2, 2, 3)] },
  { name: "transpose permute movedim", fn: (x) => x.transpose(0, 2).add(x.permute([2, 1, 0]).mul(x.transpose(0, 2))).add(movedim(x, 0, 2).transpose(0, 1)), args: [f(2, 3, 4)] },
  { name: "flatten unsqueeze squeeze reshape view", fn: (x) => x.flatten().unsqueeze(1).squeeze(1).reshape([3, 2]).add(x.T.reshape([3, 2])).view([6]), args: [f(2, 3)] },
  { name: "expand broadcastTo", fn: (x) => x.unsqueeze(0).expand([4, 2, 3]).add(x.broadcastTo([4, 2, 3])).sum(0), args: [f(2, 3)] },
  { name: "select narrow flip", fn: (x) => select(x, 1, 2).add(narrow(x, 1, 1, 2).sum(1)).add(flip(x, [0, 1]).select(1, 0)), args: [f(3, 4)] },
  { name: "diag diagonal tril triu", fn: (x) => diag(diagonal(x)).add(tril(x, -1)).add(triu(x, 1)).add(diag(x.sum(0))).add(x.diagonal(1).sum()), args: [f(3, 3)] },
  { name: "cat stack", fn: (x, y) => cat([x, y.mul(2)], 1).add(cat([stack([x, y], 2).sum(2), x], 1)), args: [f(2, 3), f(2, 3)] },
  { name: "unbind split chunk", fn: (x) => unbind(x, 1)[1].add(split(x, [1, 3], 1)[1].sum(1)).add(chunk(x, 2, 1)[0].sum(1)), args: [f(3, 4)] },
  { name: "gather and indexSelect with int indices", fn: (x, i, j) => gather(x, 1, i).sum(1).add(indexSelect(x, 1, j).sum(1)), args: [f(3, 4), idx(4, 3, 5), idx(4, 6)] },
  { name: "linear", fn: (x, w, b) => F.linear(x, w, b).tanh(), args: [f(3, 4), f(2, 4), f(2)] },
  { name: "conv1d with padding", fn: (x, w) => F.conv1d(x, w, null, { padding: 1 }), args: [f(1, 2, 5), f(3, 2, 3)] },
  { name: "conv2d with stride, padding and bias", fn: (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), args: [f(1, 2, 5, 4), f(3, 2, 3, 3), f(3)] },
  { name: "conv2d with groups and dilation", fn: (x, w) => F.conv2d(x, w, null, { groups: 2, dilation: 2 }), args: [f(1, 4, 5, 5), f(2, 2, 2, 2)] },
  { name: "maxPool2d avgPool2d", fn: (x) => F.maxPool2d(x, 2).add(F.avgPool2d(x, 2)), args: [f(1, 2, 4, 4)] },
  { name: "layerNorm", fn: (x, w, b) => F.layerNorm(x, [4], w, b), args: [f(3, 4), f(4), f(4)] },
  { name: "batchNorm (training, batch statistics)", fn: (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), args: [f(4, 3), f(3), f(3)] },
  { name: "crossEntropy and nllLoss with int targets", fn: (x, t) => F.crossEntropy(x, t).add(F.nllLoss(F.logSoftmax(x, 1), t, { reduction: "sum" })), args: [f(4, 5), idx(5, 4)] },
  { name: "crossEntropy with class weights, ignored targets and classes at dim 1 of [N, C, d]", fn: (x, t, w) => F.crossEntropy(x, t, { weight: w, ignoreIndex: 2 }), args: [f(3, 4, 2), idx(4, 3, 2), pos(4)] },
  { name: "crossEntropy's gradient (its second derivatives)", fn: (x, t) => grad((v: Tensor) => F.crossEntropy(v, t, { reduction: "sum" }))(x) as Tensor, args: [f(3, 4), idx(4, 3)] },
  { name: "mseLoss", fn: (x, y) => F.mseLoss(x, y).add(F.mseLoss(x, y, { reduction: "sum" })), args: [f(3, 2), f(3, 2)] },
  { name: "embedding", fn: (i, w) => F.embedding(i, w).tanh(), args: [idx(5, 3), f(5, 2)] },
];

const isFloatArg = (s: Spec) => !("int" in s);

for (const [ci, c] of cases.entries()) {
  describe(`ops under transforms: ${c.name}`, () => {
    const rng = new Rng(500 + ci);
    const args = c.args.map((s) => gen(rng, s));
    const diff = c.args.map((s, i) => (isFloatArg(s) ? i : -1)).filter((i) => i >= 0);
    const B = 3;
    const exs = c.args.map((s, i) => [args[i], ...Array.from({ length: B - 1 }, () => gen(rng, s))]);

    test("vmap vs a loop: all args mapped at dim 0, at the last dim, and the first arg alone", () => {
      const first = exs.map((e) => stackAt(e, 0));
      assertClose(vmap(c.fn)(...first), loopMap(c.fn, first, first.map(() => 0)), { rtol: 1e-10, atol: 1e-12, what: "dim 0" });
      const last = exs.map((e) => stackAt(e, e[0].ndim));
      const lastDims = last.map((t) => t.ndim - 1);
      assertClose(vmap(c.fn, { inDims: lastDims.map(() => -1) })(...last), loopMap(c.fn, last, lastDims), { rtol: 1e-10, atol: 1e-12, what: "last dim" });
      const one = [stackAt(exs[0], 0), ...args.slice(1)];
      const dims = [0, ...args.slice(1).map(() => null)];
      assertClose(vmap(c.fn, { inDims: dims })(...one), loopMap(c.fn, one, dims), { rtol: 1e-10, atol: 1e-12, what: "first arg alone" });
    });

    // a scalar loss from the op's output with fixed random weights
    const out0 = c.fn(...args);
    const weights = randTensor(rng, [...out0.shape]);
    const loss = (...a: Tensor[]) => c.fn(...a).mul(weights).sum();

    test("grad vs finite differences, in every float argument", () => {
      const gs = grad(loss, { argnums: diff })(...args) as Tensor[];
      diff.forEach((a, k) => assertClose(gs[k], jacobianFD(loss, args, a), { rtol: 1e-5, atol: 1e-7, what: `argument ${a}` }));
    });

    test("jacfwd equals jacrev", () => {
      const a0 = diff[0];
      const J1 = jacfwd(c.fn, { argnums: a0 })(...args) as Tensor;
      const J2 = jacrev(c.fn, { argnums: a0 })(...args) as Tensor;
      assert.deepEqual([...J1.shape], [...out0.shape, ...args[a0].shape]);
      assertClose(J1, J2, { rtol: 1e-10, atol: 1e-12 });
    });

    test("vmap(grad) vs a loop of grads", () => {
      const stacked = exs.map((e) => stackAt(e, 0));
      const g = grad(loss, { argnums: diff[0] });
      assertClose(vmap(g)(...stacked), loopMap(g, stacked, stacked.map(() => 0)), { rtol: 1e-10, atol: 1e-12 });
    });
  });
}
