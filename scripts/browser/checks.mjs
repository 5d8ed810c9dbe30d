// Checks run inside a headless browser by scripts/test-browser.mjs: the built package (dist/)
// imported as a plain ES module, the wasm backend's SIMD kernels against the js backend, and the
// transforms against independent references (a float64 loop, a loop over examples, closed forms).
import * as tf from "/dist/index.js";
import { heapKernels } from "/dist/backend/wasm/heap.js";

// counts calls of the SIMD unary kernels, so a silent fallback to the js code cannot pass
const unaryCalls = new Map();
const unary = heapKernels().unary;
for (const [op, kernel] of Object.entries(unary)) {
  unary[op] = (...args) => { unaryCalls.set(op, (unaryCalls.get(op) ?? 0) + 1); return kernel(...args); };
}

/** Elementwise within `ulps` float32 units in the last place (NaN matching NaN). */
function withinUlps(got, want, ulps) {
  const g = new Float32Array(got), w = new Float32Array(want);
  const gb = new Int32Array(g.buffer), wb = new Int32Array(w.buffer);
  for (let i = 0; i < w.length; i++) {
    if (Object.is(g[i], w[i]) || (g[i] !== g[i] && w[i] !== w[i])) continue;
    if (Math.sign(g[i]) !== Math.sign(w[i]) || Math.abs(gb[i] - wb[i]) > ulps) return `element ${i}: ${g[i]} against ${w[i]}`;
  }
  return "";
}

/** Largest |got - want| / (1 + |want|) over two flat arrays. */
function relErr(got, want) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return worst;
}

function onBackend(name, f) {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try { return f(); } finally { tf.setBackend(prev); }
}

const checks = {
  "the wasm backend is the default": () => (tf.getBackend() === "wasm" ? "" : `the backend is ${tf.getBackend()}`),

  "elementwise SIMD kernels agree with the js backend to one ulp": () => {
    tf.manualSeed(1);
    const x = tf.randn([100003]).mul(4);
    for (const op of ["exp", "tanh", "sigmoid", "sin", "cos", "erf", "relu", "neg"]) {
      const before = unaryCalls.get(op) ?? 0;
      const w = x[op]().contiguousData(), j = onBackend("js", () => x[op]().contiguousData());
      if ((unaryCalls.get(op) ?? 0) === before) return `${op}: the SIMD kernel did not run`;
      const bad = withinUlps(w, j, 1);
      if (bad) return `${op}: ${bad}`;
    }
    const pos = x.abs();
    for (const op of ["log", "log1p", "sqrt"]) {
      const before = unaryCalls.get(op) ?? 0;
      const w = pos[op]().contiguousData();
      if ((unaryCalls.get(op) ?? 0) === before) return `${op}: the SIMD kernel did not run`;
      const bad = withinUlps(w, onBackend("js", () => pos[op]().contiguousData()), 1);
      if (bad) return `${op}: ${bad}`;
    }
    return "";
  },

  "matmul agrees with a float64 loop": () => {
    const [M, K, N] = [200, 300, 100];
    const a = tf.randn([M, K]), b = tf.randn([K, N]);
    const A = a.contiguousData(), B = b.contiguousData(), want = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) want[i * N + j] += A[i * K + k] * B[k * N + j];
    const err = relErr(a.matmul(b).contiguousData(), want);
    return err < 1e-4 ? "" : `relative error ${err}`;
  },

  "vmap(grad) per-sample gradients equal a loop of grad over the examples": () => {
    const W = tf.randn([20, 5]), xs = tf.randn([64, 20]), ts = tf.randint(0, 5, [64]);
    const loss = (w, x, t) => tf.F.crossEntropy(x.unsqueeze(0).matmul(w).tanh(), t.unsqueeze(0));
    const batched = tf.vmap(tf.grad(loss), { inDims: [null, 0, 0] })(W, xs, ts).contiguousData();
    const looped = [];
    for (let i = 0; i < 64; i++) looped.push(...tf.grad(loss)(W, xs.select(0, i), ts.select(0, i)).contiguousData());
    const err = relErr(batched, looped);
    return err < 1e-5 ? "" : `relative error ${err}`;
  },

  "jacrev of tanh(W x + b) equals diag(1 - t^2) W": () => {
    const W = tf.randn([64, 64]), b = tf.randn([64]), x = tf.randn([64]);
    const f = (v) => W.matmul(v).add(b).tanh();
    const t = f(x).contiguousData(), Wv = W.contiguousData();
    const want = Array.from(Wv, (w, k) => (1 - t[Math.floor(k / 64)] ** 2) * w);
    const err = relErr(tf.jacrev(f)(x).contiguousData(), want);
    return err < 1e-5 ? "" : `relative error ${err}`;
  },

  "hessian of sum(x^3) is diag(6 x)": () => {
    const x = tf.randn([30]);
    const H = tf.hessian((v) => v.pow(3).sum())(x).contiguousData(), xv = x.contiguousData();
    const want = Array.from({ length: 900 }, (_, k) => (k % 31 === 0 ? 6 * xv[k / 31] : 0));
    const err = relErr(H, want);
    return err < 1e-5 ? "" : `relative error ${err}`;
  },
};

const results = [];
for (const [name, check] of Object.entries(checks)) {
  try {
    results.push({ name, failure: check() });
  } catch (e) {
    results.push({ name, failure: `threw ${e && e.stack ? e.stack : e}` });
  }
}
document.getElementById("result").textContent = JSON.stringify({ userAgent: navigator.userAgent, results });
