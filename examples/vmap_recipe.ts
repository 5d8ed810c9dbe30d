/**
 * The torch.vmap recipe: batched dot products, a model written for one example run over a
 * batch, Jacobian rows via vmap over autograd.grad, and per-sample gradients.
 */
import { autograd, dot, eye, grad, manualSeed, randn, stack, vmap, type Tensor } from "../src/index.js";
import { Report } from "./util.js";

export function run({ quiet = false } = {}): Report {
  const r = new Report("torch.vmap recipe", quiet);
  manualSeed(0);

  // 1. batched dot: dot takes 1-d vectors; vmap maps it over a leading batch dim
  const x = randn([2, 5]), y = randn([2, 5]);
  const batched = vmap(dot)(x, y);
  r.log("vmap(dot)(x, y) =", batched);
  r.close("batched dot equals the loop of dot products", batched, stack([0, 1].map((i) => dot(x.select(0, i), y.select(0, i)))));

  // 2. a model written for a single feature vector, run over a batch of examples
  const weights = randn([5]);
  const model = (featureVec: Tensor) => featureVec.dot(weights).relu();
  const examples = randn([3, 5]);
  const out = vmap(model)(examples);
  r.log("vmap(model)(examples) =", out);
  r.close("vmapped model equals the loop", out, stack([0, 1, 2].map((i) => model(examples.select(0, i)))));

  // 3. the Jacobian of a recorded graph in one call: vmap over autograd.grad with the rows of I
  const N = 5;
  const xs = randn([N], { requiresGrad: true });
  const ys = xs.pow(2);
  const I = eye(N);
  const rowByRow = stack([...Array(N).keys()].map((i) => autograd.grad(ys, xs, I.select(0, i), { retainGraph: true })[0]));
  const jacobian = vmap((v: Tensor) => autograd.grad(ys, xs, v, { retainGraph: true })[0])(I);
  r.log("Jacobian of x ** 2 via vmap(autograd.grad):", jacobian);
  r.close("vmap(autograd.grad) equals the row-by-row loop", jacobian, rowByRow);
  r.close("and the closed form diag(2x)", jacobian, eye(N).mul(xs.detach().mul(2)));

  // 4. per-sample gradients of a linear model's squared loss
  const w = randn([5]);
  const loss = (wt: Tensor, feature: Tensor, target: Tensor) => feature.dot(wt).sub(target).square();
  const feats = randn([4, 5]), targets = randn([4]);
  const perSample = vmap(grad(loss), { inDims: [null, 0, 0] })(w, feats, targets) as Tensor;
  r.log("per-sample gradients:", perSample);
  const loop = stack([0, 1, 2, 3].map((i) => grad(loss)(w, feats.select(0, i), targets.select(0, i)) as Tensor));
  r.close("per-sample gradients equal the loop of grads", perSample, loop);
  // closed form: 2 (f.w - t) f
  r.close("and the closed form 2 (f.w - t) f", perSample, feats.mul(feats.matmul(w).sub(targets).mul(2).unsqueeze(1)));
  return r;
}
