// Single ops and their gradients at sizes a model meets (about a million elements), on tfunc and,
// in the same run, on PyTorch (one thread) where python3 can import it: the op-level view under
// the workloads of run.mjs, to find the ops that lag.
//
//   npm run bench:ops [-- --only exp,softmax_last]
//
// Prints median ms per call (reading the result back into a typed array) and the ratio to torch.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "../build/src/node.js";

const { F } = tf;
const here = path.dirname(fileURLToPath(import.meta.url));
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(",") : null;

tf.manualSeed(0);
const x = tf.randn([1024, 1024]), y = tf.randn([1024, 1024]), row = tf.randn([1024]), col = tf.randn([1024, 1]), ax = x.abs();
const half = tf.randn([512, 1024]);
const emb = tf.randn([10000, 128]), idx = tf.randint(0, 10000, [4096]);
const img = tf.randn([64, 32, 24, 24]), cx = tf.randn([64, 32, 26, 26]), cw = tf.randn([64, 32, 3, 3]);
const logits = tf.randn([4096, 1000]), target = tf.randint(0, 1000, [4096]);
const A = tf.randn([64, 128, 64]), B = tf.randn([64, 64, 128]);
const lx = tf.randn([256, 1024]), lw = tf.randn([1024, 1024]), lb = tf.randn([1024]);
// the same names, shapes and calls as peers/torch_ops.py
const ops = {
  add: () => x.add(y), add_row: () => x.add(row), mul_col: () => x.mul(col),
  exp: () => x.exp(), log: () => ax.log(), tanh: () => x.tanh(), sigmoid: () => x.sigmoid(), sqrt: () => ax.sqrt(),
  relu: () => F.relu(x), gelu: () => F.gelu(x), clamp: () => x.clamp(-0.5, 0.5),
  sum_last: () => x.sum(-1), sum_first: () => x.sum(0), sum_all: () => x.sum(), max_last: () => x.max(-1),
  argmax_last: () => x.argmax(-1), var_last: () => x.var(-1),
  softmax_last: () => F.softmax(x, -1), softmax_first: () => F.softmax(x, 0), logsoftmax_last: () => F.logSoftmax(x, -1),
  layernorm: () => F.layerNorm(x, [1024]), layernorm_affine: () => F.layerNorm(x, [1024], row, lb),
  transpose_copy: () => x.T.contiguous(),
  cat0: () => tf.cat([half, half], 0), cat1: () => tf.cat([half, half], 1), index_select: () => emb.indexSelect(0, idx),
  maxpool: () => F.maxPool2d(img, 2), avgpool: () => F.avgPool2d(img, 2), conv: () => F.conv2d(cx, cw),
  bmm: () => A.matmul(B), cross_entropy: () => F.crossEntropy(logits, target),
  grad_embedding: () => tf.grad((w) => F.embedding(idx, w).sum())(emb),
  grad_maxpool: () => tf.grad((v) => F.maxPool2d(v, 2).sum())(img),
  grad_conv: () => tf.grad((w) => F.conv2d(cx, w).sum())(cw),
  grad_cross_entropy: () => tf.grad((l) => F.crossEntropy(l, target))(logits),
  grad_linear: () => tf.grad((w) => F.linear(lx, w, lb).tanh().sum())(lw),
  grad_layernorm: () => tf.grad((v) => F.layerNorm(v, [1024]).tanh().sum())(x),
  grad_layernorm_affine: () => tf.grad((v) => F.layerNorm(v, [1024], row, lb).tanh().sum())(x),
  grad_softmax: () => tf.grad((v) => F.softmax(v, -1).mul(y).sum())(x),
};

/** Median ms of `call`, after warm-up, over at least 15 calls and about 0.4 s. */
function time(call) {
  for (let i = 0; i < 3; i++) call();
  const ts = [], start = performance.now();
  while (ts.length < 15 || (performance.now() - start < 400 && ts.length < 200)) {
    const t0 = performance.now();
    call();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[ts.length >> 1];
}

const names = Object.keys(ops).filter((n) => !only || only.includes(n));
const mine = Object.fromEntries(names.map((n) => [n, time(() => ops[n]().contiguousData())]));
let torch = {}, torchNote = "";
const python = ["python3", "/usr/bin/python3"].find((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
if (python) {
  const r = spawnSync(python, [path.join(here, "peers/torch_ops.py"), names.join(",")], { encoding: "utf8" });
  if (r.status === 0) torch = JSON.parse(r.stdout.trim().split("\n").pop());
  else torchNote = `torch failed: ${r.stderr.trim().split("\n").pop()}`;
} else torchNote = "torch skipped: no python3 here can import torch";

console.log(`\n## ops (tfunc ${tf.getBackend()} backend, one thread; median ms per call)${torchNote ? `\n${torchNote}` : ""}`);
console.log(["op".padEnd(20), "tfunc".padStart(10), "torch".padStart(10), "tfunc/torch".padStart(12)].join(""));
for (const n of names) {
  const t = torch[n];
  console.log([n.padEnd(20), mine[n].toFixed(3).padStart(10), (t === undefined ? "-" : t.toFixed(3)).padStart(10), (t === undefined ? "-" : (mine[n] / t).toFixed(2)).padStart(12)].join(""));
}
