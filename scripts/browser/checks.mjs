// Checks run inside a headless browser by scripts/test-browser.mjs: the built package (dist/)
// imported as a plain ES module, the wasm backend's SIMD kernels against the js backend, and the
// transforms against independent references (a float64 loop, a loop over examples, closed forms).
import * as tf from "/dist/index.js";
import { heapKernels } from "/dist/backend/wasm/heap.js";

// counts calls of the SIMD elementwise kernels, so a silent fallback to the js code cannot pass
const kernelCalls = new Map();
const kernels = heapKernels();
const spy = (table, op) => {
  const kernel = table[op];
  table[op] = (...args) => { kernelCalls.set(op, (kernelCalls.get(op) ?? 0) + 1); return kernel(...args); };
};
for (const table of [kernels.unary, kernels.binary]) for (const op of Object.keys(table)) spy(table, op);
spy(kernels, "where");

/** f's result on both backends, or why not: the SIMD kernel `op` must have run on wasm. */
function onBoth(op, f) {
  const before = kernelCalls.get(op) ?? 0;
  const w = f().contiguousData(), j = onBackend("js", () => f().contiguousData());
  return (kernelCalls.get(op) ?? 0) === before ? `${op}: the SIMD kernel did not run` : [w, j];
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

  "elementwise SIMD kernels agree with the js backend to one ulp (sigmoid to two)": () => {
    tf.manualSeed(1);
    const x = tf.randn([100003]).mul(4);
    const pos = x.abs(), y = tf.randn([100003]).mul(3);
    const small = (k) => tf.tensor(Float32Array.from({ length: 100003 }, (_, i) => (i * k) % 5)); // many equal pairs
    const cases = [
      ...["exp", "tanh", "sigmoid", "sin", "cos", "erf", "relu", "neg"].map((op) => [op, () => x[op]()]),
      ...["log", "log1p", "sqrt"].map((op) => [op, () => pos[op]()]),
      ["pow", () => pos.pow(y)], ["pow", () => x.pow(3)],
      // comparisons write bool bytes, where reads them
      ["lt", () => x.lt(y)], ["eq", () => small(7).eq(small(3))], ["where", () => tf.where(x.gt(0), x, y)],
    ];
    for (const [op, f] of cases) {
      const both = onBoth(op, f);
      if (typeof both === "string") return both;
      // sigmoid's float32 sequence adds the error of its e^-|x| to two roundings (transcendental32.ts)
      const bad = withinUlps(...both, op === "sigmoid" ? 2 : 1);
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

  "float64 matmul and elementwise kernels keep float64 precision": () => {
    // the float64 gemm (with the engine's fused multiply-add where it has relaxed SIMD) and f64x2
    // kernels: a float32 rounding anywhere would show as an error near 1e-7
    const [M, K, N] = [130, 300, 70];
    const a = tf.randn([M, K], { dtype: "float64" }), b = tf.randn([K, N], { dtype: "float64" });
    const A = a.contiguousData(), B = b.contiguousData(), want = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) want[i * N + j] += A[i * K + k] * B[k * N + j];
    const err = relErr(a.matmul(b).contiguousData(), want);
    if (!(err < 1e-13)) return `matmul: relative error ${err}`;
    const sum = a.add(a.mul(1 + 2 ** -40)).contiguousData();
    for (let i = 0; i < A.length; i++) if (sum[i] !== A[i] + A[i] * (1 + 2 ** -40)) return `add/mul: element ${i} is ${sum[i]}, expected ${A[i] + A[i] * (1 + 2 ** -40)}`;
    return "";
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
