// jax-js (npm @jax-js/jax) side of the peer benchmark.
//
//   node bench/peers/jaxjs.mjs --size small|large [--only a,b] [--check] [--inprocess]
//
// Prints one JSON line: {"system":"jax-js","results":[...]}. Each workload is written
// the way the jax-js README teaches: function transforms (vmap, grad, jacrev, jacfwd,
// hessian, vjp) on functions that follow the reference-counting rules (every
// argument is consumed; `.ref` for every extra use), inputs passed as `.ref` so
// they survive the call, and every output consumed by `await out.data()`.
// Each workload is timed both under `jit` (same function, wrapped) and eagerly,
// each in its own child process with its own time cap; the better median is
// reported and the note lists both.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  init,
  defaultDevice,
  numpy as np,
  nn,
  lax,
  tree,
  vmap,
  grad,
  jit,
  jacrev,
  jacfwd,
  hessian,
  vjp,
} from "@jax-js/jax";
import { main } from "./common.mjs";

const require = createRequire(import.meta.url);
let version = "?";
try {
  const pkgPath = require.resolve("@jax-js/jax").replace(/dist[\\/].*$/, "package.json");
  version = JSON.parse(readFileSync(pkgPath, "utf8")).version;
} catch {}

const f32 = (buf, shape) => np.array(buf, { shape, dtype: np.float32 });
const i32 = (buf) => np.array(buf, { shape: [buf.length], dtype: np.int32 });

/** Consume every output leaf into a typed array (the read-back that is timed). */
async function readAll(out) {
  const leaves = tree.leaves(out);
  const res = [];
  for (const l of leaves) res.push(await l.data());
  return res;
}

/**
 * The two variants timed for each workload: `F` called eagerly and `jit(F)`.
 * `args()` returns fresh references to the (pre-built) inputs, so the inputs
 * outlive the call, as the README's `.ref` rules require.
 */
function eagerAndJit(F, args, inputs) {
  const JF = jit(F);
  return {
    variants: {
      jit: async () => readAll(JF(...args())),
      eager: async () => readAll(F(...args())),
    },
    cleanup: () => {
      JF.dispose();
      tree.dispose(inputs);
    },
  };
}

const impls = {
  batched_dot(cfg, d) {
    const x = f32(d.x, [cfg.batch, cfg.d]);
    const y = f32(d.y, [cfg.batch, cfg.d]);
    const F = vmap(np.dot);
    return eagerAndJit(F, () => [x.ref, y.ref], [x, y]);
  },

  per_sample_grads_mlp(cfg, d) {
    const { batch: B, in: I, hidden: H, classes: C } = cfg;
    const params = { W1: f32(d.W1, [I, H]), b1: f32(d.b1, [H]), W2: f32(d.W2, [H, C]), b2: f32(d.b2, [C]) };
    const x = f32(d.x, [B, I]);
    const t = i32(d.t);
    // Per-example loss: x [784], t scalar int32 label. Cross-entropy as in the JAX
    // tutorials: -sum(log_softmax(logits) * one_hot(t)).
    const loss = (p, x, t) => {
      const h = np.tanh(np.matmul(x, p.W1).add(p.b1));
      const logits = np.matmul(h, p.W2).add(p.b2);
      return np.sum(nn.logSoftmax(logits).mul(nn.oneHot(t, C))).mul(-1);
    };
    const F = vmap(grad(loss), [null, 0, 0]);
    return eagerAndJit(F, () => [tree.ref(params), x.ref, t.ref], [params, x, t]);
  },

  per_sample_grads_cnn(cfg, d) {
    const B = cfg.batch;
    const params = {
      c1w: f32(d.c1w, [32, 1, 3, 3]),
      c1b: f32(d.c1b, [32]),
      c2w: f32(d.c2w, [64, 32, 3, 3]),
      c2b: f32(d.c2b, [64]),
      f1w: f32(d.f1w, [9216, 128]),
      f1b: f32(d.f1b, [128]),
      f2w: f32(d.f2w, [128, 10]),
      f2b: f32(d.f2b, [10]),
    };
    const x = f32(d.x, [B, 1, 28, 28]);
    const t = i32(d.t);
    // The per-sample-gradients tutorial's CNN, per example (sample [1, 28, 28]
    // unsqueezed to a batch of one, NCHW / OIHW as lax.conv expects).
    const loss = (p, sample, target) => {
      let h = lax.conv(sample.reshape([1, 1, 28, 28]), p.c1w, [1, 1], "VALID").add(p.c1b.reshape([1, 32, 1, 1]));
      h = nn.relu(h);
      h = lax.conv(h, p.c2w, [1, 1], "VALID").add(p.c2b.reshape([1, 64, 1, 1]));
      h = nn.relu(h);
      // max_pool2d(2) -> [1, 64, 12, 12]. lax.reduceWindow (jax-js's pooling op) has no
      // vmap rule in 0.1.25 ("No vmap rule for: pool"), so the 2x2 max is written as
      // a reshape and a max over the two window axes: the same function.
      h = np.max(h.reshape([1, 64, 12, 2, 12, 2]), [3, 5]);
      h = h.reshape([1, 9216]);
      h = nn.relu(np.matmul(h, p.f1w).add(p.f1b));
      const logp = nn.logSoftmax(np.matmul(h, p.f2w).add(p.f2b), -1); // [1, 10]
      // nll_loss(log_probs, target) on a batch of one
      return np.sum(logp.mul(nn.oneHot(target.reshape([1]), 10))).mul(-1);
    };
    const F = vmap(grad(loss), [null, 0, 0]);
    return eagerAndJit(F, () => [tree.ref(params), x.ref, t.ref], [params, x, t]);
  },

  jacrev_256(cfg, d) {
    const W = f32(d.W, [cfg.d, cfg.d]);
    const b = f32(d.b, [cfg.d]);
    const x = f32(d.x, [cfg.d]);
    const f = (x) => np.tanh(np.matmul(W.ref, x).add(b.ref));
    return eagerAndJit(jacrev(f), () => [x.ref], [W, b, x]);
  },

  jacfwd_256(cfg, d) {
    const W = f32(d.W, [cfg.d, cfg.d]);
    const b = f32(d.b, [cfg.d]);
    const x = f32(d.x, [cfg.d]);
    const f = (x) => np.tanh(np.matmul(W.ref, x).add(b.ref));
    return eagerAndJit(jacfwd(f), () => [x.ref], [W, b, x]);
  },

  hessian_128(cfg, d) {
    const A = f32(d.A, [cfg.d, cfg.d]);
    const x = f32(d.x, [cfg.d]);
    const f = (x) => np.sum(np.sin(x.ref).mul(np.matmul(A.ref, x)));
    return eagerAndJit(hessian(f), () => [x.ref], [A, x]);
  },

  batched_jacrev_64x64(cfg, d) {
    const W = f32(d.W, [cfg.d, cfg.d]);
    const b = f32(d.b, [cfg.d]);
    const xs = f32(d.xs, [cfg.batch, cfg.d]);
    const f = (x) => np.tanh(np.matmul(W.ref, x).add(b.ref));
    return eagerAndJit(vmap(jacrev(f)), () => [xs.ref], [W, b, xs]);
  },

  ensemble_10_mlp(cfg, d) {
    const M = cfg.models;
    const params = {
      W1: f32(d.W1, [M, 784, 128]),
      b1: f32(d.b1, [M, 128]),
      W2: f32(d.W2, [M, 128, 128]),
      b2: f32(d.b2, [M, 128]),
      W3: f32(d.W3, [M, 128, 10]),
      b3: f32(d.b3, [M, 10]),
    };
    const x = f32(d.x, [cfg.batch, 784]);
    const mlp = (p, x) => {
      let h = nn.relu(np.matmul(x, p.W1).add(p.b1));
      h = nn.relu(np.matmul(h, p.W2).add(p.b2));
      return np.matmul(h, p.W3).add(p.b3);
    };
    const F = vmap(mlp, [0, null]);
    return eagerAndJit(F, () => [tree.ref(params), x.ref], [params, x]);
  },

  matmul_512(cfg, d) {
    const a = f32(d.a, [cfg.n, cfg.n]);
    const b = f32(d.b, [cfg.n, cfg.n]);
    const F = (a, b) => np.matmul(a, b);
    return eagerAndJit(F, () => [a.ref, b.ref], [a, b]);
  },

  seed_vmap_model_3x5(cfg, d) {
    const weights = f32(d.w, [cfg.features]);
    const examples = f32(d.examples, [cfg.batch, cfg.features]);
    const model = (featureVec) => nn.relu(np.dot(featureVec, weights.ref));
    return eagerAndJit(vmap(model), () => [examples.ref], [weights, examples]);
  },

  seed_jacobian_5(cfg, d) {
    const N = cfg.n;
    const x = f32(d.x, [N]);
    const I_N = np.eye(N);
    const f = (x) => np.square(x);
    // Jacobian rows as vmap of the vjp function over the rows of eye(N).
    const F = (x, I) => {
      const [y, vjpFn] = vjp(f, [x]);
      y.dispose();
      const [J] = vmap(vjpFn)(I);
      vjpFn.dispose();
      return J;
    };
    return eagerAndJit(F, () => [x.ref, I_N.ref], [x, I_N]);
  },
};

await main({
  system: "jax-js",
  scriptUrl: import.meta.url,
  version,
  impls,
  variantNames: ["jit", "eager"],
  setup: async () => {
    await init("wasm");
    defaultDevice("wasm");
  },
});
