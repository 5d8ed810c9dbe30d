// Options objects: a key a function does not take (a typo, PyTorch's snake_case) is an error
// naming the function and the right spelling, instead of being ignored; var/std take PyTorch's
// `unbiased` as well as `correction`.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  F, Tensor, grad, hessian, jacfwd, jacrev, jvp, nn, optim, randn, tensor, vjp, vmap, zeros, autograd, functionalCall,
} from "../src/index.js";

test("snake_case keys name their camelCase spelling", () => {
  const logits = randn([2, 3]), target = tensor([0, 2], { dtype: "int32" });
  const cases: [string, () => unknown, string][] = [
    ["vmap", () => vmap((v: Tensor) => v, { in_dims: 1 } as never), "inDims"],
    ["crossEntropy", () => F.crossEntropy(logits, target, { label_smoothing: 0.1 } as never), "labelSmoothing"],
    ["grad", () => grad((v: Tensor) => v.sum(), { has_aux: true } as never), "hasAux"],
    ["jacrev", () => jacrev((v: Tensor) => v, { chunk_size: 2 } as never), "chunkSize"],
    ["SGD", () => new optim.SGD([new nn.Parameter(zeros([1]))], { lr: 0.1, weight_decay: 0.1 } as never), "weightDecay"],
    ["maxPool2d", () => F.maxPool2d(zeros([1, 1, 4, 4]), 2, { ceil_mode: true } as never), "ceilMode"],
    ["zeros", () => zeros([2], { requires_grad: true } as never), "requiresGrad"],
    ["Conv2d", () => new nn.Conv2d(1, 1, 3, { padding_mode: "zeros" } as never), ""],
  ];
  for (const [op, call, camel] of cases) {
    const want = camel ? new RegExp(`^${op}: unknown option "\\w+"; did you mean ${camel}\\? \\(options are camelCase\\)$`) : new RegExp(`^${op}: unknown option "padding_mode"; the options are `);
    assert.throws(call, (e: Error) => want.test(e.message), `${op}`);
  }
});

test("misspelt keys list the options; undefined values and absent options are fine", () => {
  assert.throws(() => F.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 1, 1]), null, { strides: 2 } as never),
    { message: 'conv2d: unknown option "strides"; the options are stride, padding, dilation, groups' });
  assert.throws(() => jvp((v: Tensor) => v, [zeros([1])], [zeros([1])], { aux: true } as never), /jvp: unknown option "aux"; the options are hasAux/);
  assert.throws(() => vjp((v: Tensor) => v, zeros([1]), { hasaux: true } as never), /vjp: unknown option "hasaux"/);
  assert.throws(() => hessian((v: Tensor) => v.sum(), { argnum: 0 } as never), /hessian: unknown option "argnum"; the options are argnums/);
  assert.throws(() => jacfwd((v: Tensor) => v, { randomnes: "same" } as never), /jacfwd: unknown option "randomnes"/);
  assert.throws(() => grad((v: Tensor) => v.sum(), 0 as never), { message: "grad: expected an options object ({argnums, hasAux}), got number" });
  const x = tensor([1, 2], { requiresGrad: true });
  assert.throws(() => x.sum().backward(null, { retain_graph: true } as never), /backward: unknown option "retain_graph"; did you mean retainGraph\?/);
  assert.throws(() => autograd.grad(x.sum(), x, null, { allow_unused: true } as never), /autograd.grad: unknown option "allow_unused"; did you mean allowUnused\?/);
  const m = new nn.Linear(2, 1);
  assert.throws(() => functionalCall(m, {}, [zeros([2])], { strictly: true } as never), /functionalCall: unknown option "strictly"/);
  assert.throws(() => new optim.Adam([{ params: m.parameters(), learningRate: 0.1 } as never]), /Adam: unknown option "learningRate" in a parameter group; the options are lr, betas/);
  // undefined values count as absent, as do undefined options
  assert.equal(vmap((v: Tensor) => v, { inDims: undefined, chunkSize: undefined })(zeros([2])).shape[0], 2);
  assert.equal(zeros([2], undefined).dtype, "float32");
  assert.deepEqual(F.conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 1, 1]), null, undefined).shape, [1, 1, 3, 3]);
});

test("var and std take unbiased as well as correction (but not both)", () => {
  const x = tensor([1, 2, 4], { dtype: "float64" });
  const mean = 7 / 3, ss = [1, 2, 4].reduce((a, v) => a + (v - mean) ** 2, 0);
  assert.ok(Math.abs((x.var(0, false, { unbiased: false }).item() as number) - ss / 3) < 1e-12);
  assert.ok(Math.abs((x.var(0, false, { unbiased: true }).item() as number) - ss / 2) < 1e-12);
  assert.ok(Math.abs((x.std(0, false, { correction: 0 }).item() as number) - Math.sqrt(ss / 3)) < 1e-12);
  assert.throws(() => x.var(0, false, { correction: 0, unbiased: false }), /var: give correction or unbiased, not both/);
  assert.throws(() => x.std(0, false, { ddof: 0 } as never), /std: unknown option "ddof"; the options are correction, unbiased/);
});
