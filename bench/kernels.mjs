// Kernel throughput of tfunc alone: matmul 512 and the tutorial CNN's second convolution, in GFLOP/s.
import * as tf from "../build/src/index.js";

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
lines.push(`conv2d [64,32,26,26] * [64,32,3,3] (CNN):  ${conv.toFixed(2)} ms, ${(flops / conv / 1e6).toFixed(1)} GFLOP/s`);
console.log(lines.join("\n"));
