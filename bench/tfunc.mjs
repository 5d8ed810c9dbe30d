// tfunc side of the benchmark, on the same inputs and runner as the peers (peers/common.mjs).
//
//   node bench/tfunc.mjs --size small|large [--only a,b] [--by-hand] [--backend wasm|js]
//
// Prints one JSON line {"system": "tfunc", "results": [...]}. With --by-hand it times the same
// functions batched by hand (no vmap) where that comparison is asked for, as "tfunc-by-hand",
// each call alternating with a call of the vmap version, whose median it gives as
// partner_median_ms: the vmap overhead from one process and the same minutes of the machine.
// Every timed call reads its outputs back into typed arrays.
import * as tf from "../build/src/node.js";
import { wasmRelaxedSimdAvailable } from "../build/src/backend/wasm/features.js";
import { main } from "./peers/common.mjs";

const { F, vmap, grad, jacrev, jacfwd, hessian, vjp } = tf;
// the mode and backend travel in the environment: the runner re-runs this script once per workload
const backendArg = process.argv.indexOf("--backend");
if (process.argv.includes("--by-hand")) process.env.TFUNC_BENCH_BY_HAND = "1";
if (backendArg > 0) process.env.TFUNC_BACKEND = process.argv[backendArg + 1];
const byHand = process.env.TFUNC_BENCH_BY_HAND === "1";
if (process.env.TFUNC_BACKEND) tf.setBackend(process.env.TFUNC_BACKEND);
const argv = process.argv.slice(2).filter((a, i, all) => a !== "--by-hand" && a !== "--backend" && all[i - 1] !== "--backend");

const f32 = (buf, shape) => tf.tensor(buf).reshape(shape);
const i32 = (buf) => tf.tensor(buf);
/** Read every output leaf into a typed array (zero-copy when already contiguous). */
const readAll = (out) => (Array.isArray(out) ? out : out instanceof tf.Tensor ? [out] : Object.values(out)).flatMap((o) => (o instanceof tf.Tensor ? [o.contiguousData()] : readAll(o)));
const timed = (call) => ({ variants: { [byHand ? "by hand" : "vmap"]: async () => readAll(call()) } });

// ---- the functions, written once per example as a user would ----
const mlpLoss = (p, x, t) => {
  const h = x.matmul(p.W1).add(p.b1).tanh();
  return F.crossEntropy(h.matmul(p.W2).add(p.b2), t);
};
const cnnLoss = (p, sample, target) => {
  let h = F.relu(F.conv2d(sample.unsqueeze(0), p.c1w, p.c1b));
  h = F.relu(F.conv2d(h, p.c2w, p.c2b));
  h = F.maxPool2d(h, 2).flatten(1);
  h = F.relu(h.matmul(p.f1w).add(p.f1b));
  return F.nllLoss(F.logSoftmax(h.matmul(p.f2w).add(p.f2b), 1), target.unsqueeze(0));
};
const mlp = (p, x) => {
  const h1 = F.relu(x.matmul(p.W1).add(p.b1));
  const h2 = F.relu(h1.matmul(p.W2).add(p.b2));
  return h2.matmul(p.W3).add(p.b3);
};

const viaVmap = {
  batched_dot: (cfg, d) => {
    const x = f32(d.x, [cfg.batch, cfg.d]), y = f32(d.y, [cfg.batch, cfg.d]);
    const f = vmap(tf.dot);
    return timed(() => f(x, y));
  },
  per_sample_grads_mlp: (cfg, d) => {
    const { batch: B, in: I, hidden: H, classes: C } = cfg;
    const p = { W1: f32(d.W1, [I, H]), b1: f32(d.b1, [H]), W2: f32(d.W2, [H, C]), b2: f32(d.b2, [C]) };
    const x = f32(d.x, [B, I]), t = i32(d.t);
    const f = vmap(grad(mlpLoss), { inDims: [null, 0, 0] });
    return timed(() => f(p, x, t));
  },
  per_sample_grads_cnn: (cfg, d) => {
    const p = cnnParams(d), x = f32(d.x, [cfg.batch, 1, 28, 28]), t = i32(d.t);
    const f = vmap(grad(cnnLoss), { inDims: [null, 0, 0] });
    return timed(() => f(p, x, t));
  },
  jacrev_256: (cfg, d) => {
    const { W, b, x } = layer(cfg, d);
    const f = jacrev((v) => W.matmul(v).add(b).tanh());
    return timed(() => f(x));
  },
  jacfwd_256: (cfg, d) => {
    const { W, b, x } = layer(cfg, d);
    const f = jacfwd((v) => W.matmul(v).add(b).tanh());
    return timed(() => f(x));
  },
  hessian_128: (cfg, d) => {
    const A = f32(d.A, [cfg.d, cfg.d]), x = f32(d.x, [cfg.d]);
    const f = hessian((v) => v.sin().mul(A.matmul(v)).sum());
    return timed(() => f(x));
  },
  batched_jacrev_64x64: (cfg, d) => {
    const W = f32(d.W, [cfg.d, cfg.d]), b = f32(d.b, [cfg.d]), xs = f32(d.xs, [cfg.batch, cfg.d]);
    const f = vmap(jacrev((v) => W.matmul(v).add(b).tanh()));
    return timed(() => f(xs));
  },
  ensemble_10_mlp: (cfg, d) => {
    const p = ensembleParams(cfg, d), x = f32(d.x, [cfg.batch, 784]);
    const f = vmap(mlp, { inDims: [0, null] });
    return timed(() => f(p, x));
  },
  matmul_512: (cfg, d) => {
    const a = f32(d.a, [cfg.n, cfg.n]), b = f32(d.b, [cfg.n, cfg.n]);
    return timed(() => a.matmul(b));
  },
  seed_vmap_model_3x5: (cfg, d) => {
    const w = f32(d.w, [cfg.features]), examples = f32(d.examples, [cfg.batch, cfg.features]);
    const f = vmap((fv) => fv.dot(w).relu());
    return timed(() => f(examples));
  },
  seed_jacobian_5: (cfg, d) => {
    const x = f32(d.x, [cfg.n]), I = tf.eye(cfg.n);
    return timed(() => {
      const [, vjpFn] = vjp((v) => v.square(), x);
      return vmap((row) => vjpFn(row)[0])(I);
    });
  },
};

// ---- the same computations batched by hand, for the vmap-overhead comparison ----
const viaHand = {
  batched_dot: (cfg, d) => {
    const x = f32(d.x, [cfg.batch, cfg.d]), y = f32(d.y, [cfg.batch, cfg.d]);
    return timed(() => x.mul(y).sum(1));
  },
  per_sample_grads_mlp: (cfg, d) => {
    const { batch: B, in: I, hidden: H, classes: C } = cfg;
    const p = { W1: f32(d.W1, [I, H]), b1: f32(d.b1, [H]), W2: f32(d.W2, [H, C]), b2: f32(d.b2, [C]) };
    const x = f32(d.x, [B, I]), t = i32(d.t);
    const onehot = tf.eye(C).indexSelect(0, t);
    // the backward pass of the MLP written out per example: outer products give per-sample weights
    return timed(() => {
      const h = x.matmul(p.W1).add(p.b1).tanh();
      const dlogits = F.softmax(h.matmul(p.W2).add(p.b2), 1).sub(onehot);
      const dh = dlogits.matmul(p.W2.T).mul(h.square().neg().add(1));
      return { W1: x.unsqueeze(2).mul(dh.unsqueeze(1)), b1: dh, W2: h.unsqueeze(2).mul(dlogits.unsqueeze(1)), b2: dlogits };
    });
  },
  ensemble_10_mlp: (cfg, d) => {
    const p = ensembleParams(cfg, d), x = f32(d.x, [cfg.batch, 784]);
    // x [B, 784] @ W [M, 784, H] broadcasts to [M, B, H]; biases get a batch dim
    return timed(() => {
      const h1 = F.relu(x.matmul(p.W1).add(p.b1.unsqueeze(1)));
      const h2 = F.relu(h1.matmul(p.W2).add(p.b2.unsqueeze(1)));
      return h2.matmul(p.W3).add(p.b3.unsqueeze(1));
    });
  },
};

function layer(cfg, d) {
  return { W: f32(d.W, [cfg.d, cfg.d]), b: f32(d.b, [cfg.d]), x: f32(d.x, [cfg.d]) };
}
function cnnParams(d) {
  return {
    c1w: f32(d.c1w, [32, 1, 3, 3]), c1b: f32(d.c1b, [32]), c2w: f32(d.c2w, [64, 32, 3, 3]), c2b: f32(d.c2b, [64]),
    f1w: f32(d.f1w, [9216, 128]), f1b: f32(d.f1b, [128]), f2w: f32(d.f2w, [128, 10]), f2b: f32(d.f2b, [10]),
  };
}
function ensembleParams(cfg, d) {
  const M = cfg.models;
  return {
    W1: f32(d.W1, [M, 784, 128]), b1: f32(d.b1, [M, 128]), W2: f32(d.W2, [M, 128, 128]),
    b2: f32(d.b2, [M, 128]), W3: f32(d.W3, [M, 128, 10]), b3: f32(d.b3, [M, 10]),
  };
}

/** The by-hand version of a workload, its vmap version as the partner timed alternately with it. */
const pairedWithVmap = (name) => (cfg, d) => {
  const hand = viaHand[name](cfg, d), withVmap = viaVmap[name](cfg, d);
  // (in this mode `timed` names both calls "by hand")
  return { variants: hand.variants, partners: { "by hand": withVmap.variants["by hand"] } };
};
const impls = byHand ? Object.fromEntries(Object.keys(viaHand).map((name) => [name, pairedWithVmap(name)])) : viaVmap;
if (byHand) {
  // only the workloads that have a by-hand version (and that --only asks for)
  const i = argv.indexOf("--only");
  const asked = i >= 0 ? argv.splice(i, 2)[1].split(",") : Object.keys(viaHand);
  argv.push("--only", asked.filter((w) => w in viaHand).join(",") || "batched_dot");
}
await main({
  system: byHand ? "tfunc-by-hand" : "tfunc",
  scriptUrl: import.meta.url,
  version: `0.1.0 (${tf.getBackend()} backend${tf.getBackend() === "wasm" && wasmRelaxedSimdAvailable() ? ", relaxed-SIMD FMA" : ""})`,
  impls,
  argv,
});
