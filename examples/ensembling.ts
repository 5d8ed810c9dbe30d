/**
 * Model ensembling (torch.func tutorial): 10 MLPs' parameters stacked with stackModuleState
 * and run as one with vmap, on a different minibatch per model and on one shared minibatch.
 */
import { F, functionalCall, manualSeed, nn, randn, stack, stackModuleState, vmap, type Tensor } from "../src/index.js";
import { Report, timeMs } from "./util.js";

export class SimpleMLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 128);
  fc3 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    x = x.flatten(1);
    x = F.relu(this.fc1.call(x));
    x = F.relu(this.fc2.call(x));
    return this.fc3.call(x);
  }
}

export function run({ quiet = false, small = false } = {}): Report {
  const r = new Report("Model ensembling", quiet);
  manualSeed(0);
  const numModels = small ? 3 : 10, batch = small ? 8 : 64;
  const models = Array.from({ length: numModels }, () => new SimpleMLP());
  const data = randn([numModels, batch, 1, 28, 28]);
  const minibatch = data.select(0, 0);

  const [params, buffers] = stackModuleState(models);
  const base = models[0];
  const fmodel = (p: Record<string, Tensor>, b: Record<string, Tensor>, x: Tensor) => functionalCall(base, [p, b], [x]) as Tensor;

  // every model on its own minibatch
  const perModel = vmap(fmodel, { inDims: [0, 0, 0] })(params, buffers, data);
  const loopPerModel = stack(models.map((m, i) => m.call(data.select(0, i)) as Tensor));
  r.log(`outputs of ${numModels} models on their own minibatches: [${perModel.shape}]`);
  r.close("vmap over stacked models equals the loop (different minibatches)", perModel, loopPerModel);

  // every model on the same minibatch
  const shared = vmap(fmodel, { inDims: [0, 0, null] });
  const out = shared(params, buffers, minibatch);
  r.close("vmap over stacked models equals the loop (same minibatch)", out, stack(models.map((m) => m.call(minibatch) as Tensor)));
  const tv = timeMs(() => shared(params, buffers, minibatch).toTypedArray());
  const tl = timeMs(() => models.map((m) => (m.call(minibatch) as Tensor).toTypedArray()));
  r.log(`  vmap: ${tv.toFixed(2)} ms, loop over models: ${tl.toFixed(2)} ms`);
  return r;
}
