/**
 * Per-sample gradients of the torch.func tutorial's CNN: vmap over grad of a loss written for
 * one example, checked against a loop that takes the gradient of each example on its own.
 */
import { F, functionalCall, grad, manualSeed, nn, randint, randn, vmap, type Tensor } from "../src/index.js";
import { Report, maxAbsDiff, timeMs } from "./util.js";

export class SimpleCNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { stride: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { stride: 1 });
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    x = F.relu(this.conv1.call(x));
    x = F.relu(this.conv2.call(x));
    x = F.maxPool2d(x, 2).flatten(1);
    x = F.relu(this.fc1.call(x));
    return F.logSoftmax(this.fc2.call(x), 1);
  }
}

export function run({ quiet = false, small = false } = {}): Report {
  const r = new Report("Per-sample gradients of a CNN", quiet);
  manualSeed(0);
  const batch = small ? 3 : 64;
  const data = randn([batch, 1, 28, 28]), targets = randint(0, 10, [batch]);
  const model = new SimpleCNN();
  const params = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.detach()]));

  // the loss of ONE example: add a batch dim of 1 for the model, as the tutorial does
  const computeLoss = (p: Record<string, Tensor>, sample: Tensor, target: Tensor) => {
    const predictions = functionalCall(model, p, [sample.unsqueeze(0)]) as Tensor;
    return F.nllLoss(predictions, target.unsqueeze(0));
  };
  const perSampleGrads = vmap(grad(computeLoss), { inDims: [null, 0, 0] });
  let grads = perSampleGrads(params, data, targets) as Record<string, Tensor>;
  const ms = timeMs(() => { grads = perSampleGrads(params, data, targets) as Record<string, Tensor>; }, 1);
  r.log(`batch ${batch}: per-sample gradients in ${ms.toFixed(0)} ms; shapes:`);
  for (const [name, g] of Object.entries(grads)) r.log(`  ${name}: [${g.shape}]`);

  // reference: the gradient of each example on its own
  const checkN = Math.min(batch, small ? 3 : 4);
  let worst = 0;
  for (let i = 0; i < checkN; i++) {
    const gi = grad(computeLoss)(params, data.select(0, i), targets.select(0, i)) as Record<string, Tensor>;
    for (const name of Object.keys(gi)) worst = Math.max(worst, maxAbsDiff(grads[name].select(0, i), gi[name]));
  }
  r.check(`vmap(grad) equals per-example grad for ${checkN} examples`, worst < 1e-4, `max |diff| ${worst.toExponential(2)}`);
  return r;
}
