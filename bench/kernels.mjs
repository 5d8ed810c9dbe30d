// Kernel throughput of tfunc alone: matmul 512 and the tutorial CNN's second convolution, in GFLOP/s,
// and ns per element of elementwise ops that once ran as js loops, against the js backend's loops.
import * as tf from "../build/src/node.js";

function median(f, reps = 7) {
  f();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    f();
    ts.push(performance.now() - s);
  }
  return ts.sort((a, b) => a - b)[reps >> 1];
}

tf.manualSeed(0);
const lines = [`\n## kernels (tfunc, ${tf.getBackend()} backend, one thread)`];
const a = tf.randn([512, 512]), b = tf.randn([512, 512]);
const mm = median(() => a.matmul(b).contiguousData());
lines.push(`matmul 512x512x512:                         ${mm.toFixed(2)} ms, ${((2 * 512 ** 3) / mm / 1e6).toFixed(1)} GFLOP/s`);
// conv2 of the per-sample-gradients CNN: 32 -> 64 channels, 3x3, on 26x26 maps, batch 64
const x = tf.randn([64, 32, 26, 26]), w = tf.randn([64, 32, 3, 3]), bias = tf.randn([64]);
const conv = median(() => tf.F.conv2d(x, w, bias).contiguousData());
const flops = 2 * 64 * 64 * 24 * 24 * 32 * 9;
// Winograd's algorithm does fewer multiplies than the direct convolution: its rate is the direct one's equivalent
lines.push(`conv2d [64,32,26,26] * [64,32,3,3] (CNN):  ${conv.toFixed(2)} ms, ${(flops / conv / 1e6).toFixed(1)} GFLOP/s of the direct convolution's work`);
// 1M elements: the active backend against the js backend
const n = 1 << 20;
const u = tf.randn([n]), v = tf.randn([n]), cond = u.gt(0), absU = u.abs();
const elementwise = {
  "pow(|x|, y)": () => absU.pow(v), "lt(x, y)": () => u.lt(v), "gt(x, 0)": () => u.gt(0),
  "where(c, x, y)": () => tf.where(cond, u, v), "gelu (tanh form)": () => tf.F.gelu(u, { approximate: "tanh" }),
};
const nsPerElement = (f) => (median(() => f().contiguousData(), 21) * 1e6) / n;
const active = tf.getBackend();
for (const [name, f] of Object.entries(elementwise)) {
  const here = nsPerElement(f);
  tf.setBackend("js");
  const js = nsPerElement(f);
  tf.setBackend(active);
  lines.push(`${(name + ":").padEnd(44)}${here.toFixed(2)} ns per element (js backend ${js.toFixed(2)})`);
}
console.log(lines.join("\n"));
