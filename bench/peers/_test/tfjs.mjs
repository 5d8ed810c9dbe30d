// TensorFlow.js side of the peer benchmark.
//
//   node bench/peers/tfjs.mjs --backend cpu|wasm --size small|large [--only a,b] [--check]
//
// Prints one JSON line: {"system":"tfjs-cpu"|"tfjs-wasm","results":[...]}.
// TensorFlow.js has reverse-mode `tf.grad`/`tf.grads` (nestable for higher
// order) but no vmap and no forward mode. So every per-example transform is the
// loop a tfjs user writes: loop over the examples (or the Jacobian rows, with
// tf.grad's `dy` argument as the cotangent), then tf.stack the results into the
// same [batch, ...] output a vmap returns. Workloads that need forward mode
// report an error. Each call runs inside tf.tidy (nested per example) so memory
// stays flat; outputs are read with `await t.data()` and disposed.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { main, parseArgs } from "./common.mjs";

const require = createRequire(import.meta.url);
const pkgVersion = (name) => {
  try {
    let dir = path.dirname(require.resolve(name));
    while (!dir.endsWith(name.split("/").pop())) dir = path.dirname(dir);
    return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
};

const args = parseArgs();
const backend = args.backend ?? "cpu";
if (backend !== "cpu" && backend !== "wasm") throw new Error("--backend must be cpu|wasm");

async function setup() {
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // Load the .wasm binaries from node_modules (no network): point setWasmPaths at
    // the package's dist folder.
    const dist = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), path.sep);
    wasm.setWasmPaths(dist);
    wasm.setThreadsCount(1);
  }
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`could not set tfjs backend ${backend}`);
  await tf.ready();
}

/** One timed call: run `fn` in tf.tidy, read every output back, dispose it. */
const run = (fn) => async () => {
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const res = [];
  for (const o of list) {
    res.push(await o.data());
    o.dispose();
  }
  return res;
};

const T = (buf, shape, dtype = "float32") => tf.tensor(buf, shape, dtype);
const disposer = (...ts) => () => tf.dispose(ts.flat(Infinity));

/**
 * The per-example views of `x` along axis 0 that the loop runs over ([1, ...rest]
 * when `keepDim`). tf.unstack is the idiomatic call and what the cpu
 * backend uses, but on the wasm backend cutting thousands of slices out of one
 * tensor is pathologically slow (tf.unstack of a [4096, 256] tensor: ~20 s), so
 * there each example is taken with x.gather(i), which stays linear (~0.5 s).
 */
function examples(x, keepDim = false) {
  const n = x.shape[0];
  if (backend === "wasm") {
    const out = [];
    for (let i = 0; i < n; i++) out.push(keepDim ? x.gather([i]) : x.gather(i));
    return out;
  }
  const rows = tf.unstack(x);
  return keepDim ? rows.map((r) => r.expandDims(0)) : rows;
}

/**
 * float32 one-hot. (tf.oneHot's own dtype argument is not used: with "float32" the
 * wasm backend's OneHot kernel writes int32 bit patterns into a float32 tensor,
 * tfjs-backend-wasm 4.22, so the one-hot is built as int32 and cast.)
 */
const oneHotF32 = (indices, depth) => tf.oneHot(indices, depth).toFloat();

/** Jacobian of f at x, row by row: row i = tf.grad(f)(x, e_i) (a vjp with e_i). */
function jacobianRows(g, x, D) {
  const rows = [];
  for (let i = 0; i < D; i++) rows.push(tf.tidy(() => g(x, oneHotF32(i, D))));
  return tf.stack(rows);
}

const impls = {
  batched_dot(cfg, d) {
    const x = T(d.x, [cfg.batch, cfg.d]);
    const y = T(d.y, [cfg.batch, cfg.d]);
    const call = () => {
      const xs = examples(x);
      const ys = examples(y);
      return tf.stack(xs.map((xi, i) => tf.dot(xi, ys[i])));
    };
    return { variants: { loop: run(call) }, cleanup: disposer(x, y) };
  },

  per_sample_grads_mlp(cfg, d) {
    const { batch: B, in: I, hidden: H, classes: C } = cfg;
    const params = [T(d.W1, [I, H]), T(d.b1, [H]), T(d.W2, [H, C]), T(d.b2, [C])];
    const x = T(d.x, [B, I]);
    const t = T(d.t, [B], "int32");
    const lossOf = (xi, ti) => (W1, b1, W2, b2) => {
      const h = tf.tanh(xi.matMul(W1).add(b1));
      const logits = h.matMul(W2).add(b2);
      return tf.losses.softmaxCrossEntropy(ti, logits);
    };
    const call = () => {
      const xs = examples(x, true); // [1, 784] each
      const ts = examples(oneHotF32(t, C), true); // [1, 10] each
      const per = xs.map((xi, i) => tf.tidy(() => tf.grads(lossOf(xi, ts[i]))(params)));
      return params.map((_, k) => tf.stack(per.map((g) => g[k])));
    };
    return { variants: { loop: run(call) }, cleanup: disposer(params, x, t) };
  },

  per_sample_grads_cnn(cfg, d) {
    const B = cfg.batch;
    // tfjs convolutions are NHWC with HWIO filters; the canonical OIHW filters and
    // CHW-flattened fc1 rows are permuted once here (outside the timed region).
    const params = tf.tidy(() => [
      T(d.c1w, [32, 1, 3, 3]).transpose([2, 3, 1, 0]),
      T(d.c1b, [32]),
      T(d.c2w, [64, 32, 3, 3]).transpose([2, 3, 1, 0]),
      T(d.c2b, [64]),
      T(d.f1w, [64, 12, 12, 128]).transpose([1, 2, 0, 3]).reshape([9216, 128]),
      T(d.f1b, [128]),
      T(d.f2w, [128, 10]),
      T(d.f2b, [10]),
    ]);
    const x = T(d.x, [B, 28, 28, 1]); // C = 1: same buffer as [B, 1, 28, 28]
    const t = T(d.t, [B], "int32");
    const lossOf = (xi, ti) => (c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b) => {
      let h = tf.relu(tf.conv2d(xi, c1w, 1, "valid").add(c1b));
      h = tf.relu(tf.conv2d(h, c2w, 1, "valid").add(c2b));
      h = tf.maxPool(h, 2, 2, "valid").reshape([1, 9216]);
      h = tf.relu(h.matMul(f1w).add(f1b));
      const logp = tf.logSoftmax(h.matMul(f2w).add(f2b));
      return tf.neg(tf.sum(logp.mul(ti))); // nll_loss on a batch of one
    };
    const call = () => {
      const xs = examples(x, true); // [1, 28, 28, 1] each
      const ts = examples(oneHotF32(t, 10), true);
      const per = xs.map((xi, i) => tf.tidy(() => tf.grads(lossOf(xi, ts[i]))(params)));
      return params.map((_, k) => tf.stack(per.map((g) => g[k])));
    };
    return { variants: { loop: run(call) }, cleanup: disposer(params, x, t) };
  },

  jacrev_256(cfg, d) {
    const D = cfg.d;
    const W = T(d.W, [D, D]);
    const b = T(d.b, [D]);
    const x = T(d.x, [D]);
    const g = tf.grad((x) => tf.tanh(tf.dot(W, x).add(b)));
    return { variants: { loop: run(() => jacobianRows(g, x, D)) }, cleanup: disposer(W, b, x) };
  },

  jacfwd_256() {
    return { error: "TensorFlow.js has no forward-mode AD (no jvp / jacfwd); only reverse-mode tf.grad" };
  },

  hessian_128(cfg, d) {
    const D = cfg.d;
    const A = T(d.A, [D, D]);
    const x = T(d.x, [D]);
    // Reverse-over-reverse: row i of the Hessian = tf.grad(tf.grad(f))(x, e_i).
    const gf = tf.grad((x) => tf.sum(tf.sin(x).mul(tf.dot(A, x))));
    const hf = tf.grad((x) => gf(x));
    return { variants: { loop: run(() => jacobianRows(hf, x, D)) }, cleanup: disposer(A, x) };
  },

  batched_jacrev_64x64(cfg, d) {
    const { batch: B, d: D } = cfg;
    const W = T(d.W, [D, D]);
    const b = T(d.b, [D]);
    const xs = T(d.xs, [B, D]);
    const g = tf.grad((x) => tf.tanh(tf.dot(W, x).add(b)));
    const call = () => tf.stack(examples(xs).map((xi) => tf.tidy(() => jacobianRows(g, xi, D))));
    return { variants: { loop: run(call) }, cleanup: disposer(W, b, xs) };
  },

  ensemble_10_mlp(cfg, d) {
    const M = cfg.models;
    // Ten separate models (a tfjs user holds ten sets of weights), one minibatch.
    const models = tf.tidy(() => {
      const W1 = tf.unstack(T(d.W1, [M, 784, 128]));
      const b1 = tf.unstack(T(d.b1, [M, 128]));
      const W2 = tf.unstack(T(d.W2, [M, 128, 128]));
      const b2 = tf.unstack(T(d.b2, [M, 128]));
      const W3 = tf.unstack(T(d.W3, [M, 128, 10]));
      const b3 = tf.unstack(T(d.b3, [M, 10]));
      return W1.map((_, m) => [W1[m], b1[m], W2[m], b2[m], W3[m], b3[m]]);
    });
    const x = T(d.x, [cfg.batch, 784]);
    const mlp = ([W1, b1, W2, b2, W3, b3], x) => {
      let h = tf.relu(x.matMul(W1).add(b1));
      h = tf.relu(h.matMul(W2).add(b2));
      return h.matMul(W3).add(b3);
    };
    const call = () => tf.stack(models.map((p) => mlp(p, x)));
    return { variants: { loop: run(call) }, cleanup: disposer(models, x) };
  },

  matmul_512(cfg, d) {
    const a = T(d.a, [cfg.n, cfg.n]);
    const b = T(d.b, [cfg.n, cfg.n]);
    return { variants: { plain: run(() => tf.matMul(a, b)) }, cleanup: disposer(a, b) };
  },

  seed_vmap_model_3x5(cfg, d) {
    const weights = T(d.w, [cfg.features]);
    const exs = T(d.examples, [cfg.batch, cfg.features]);
    const model = (featureVec) => tf.relu(tf.dot(featureVec, weights));
    const call = () => tf.stack(examples(exs).map(model));
    return { variants: { loop: run(call) }, cleanup: disposer(weights, exs) };
  },

  seed_jacobian_5(cfg, d) {
    const N = cfg.n;
    const x = T(d.x, [N]);
    const I_N = tf.eye(N);
    const g = tf.grad((x) => tf.square(x));
    // one vjp (tf.grad with dy = row of eye(N)) per row of the Jacobian
    const call = () => tf.stack(examples(I_N).map((v) => g(x, v)));
    return { variants: { loop: run(call) }, cleanup: disposer(x, I_N) };
  },
};

await main({
  system: `tfjs-${backend}`,
  scriptUrl: import.meta.url,
  version: `tfjs ${pkgVersion("@tensorflow/tfjs")}`,
  impls,
  setup,
});
