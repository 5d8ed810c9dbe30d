/**
 * MAML on sine-wave regression (functorch's example): the inner loop adapts a small MLP to one
 * task with a gradient step taken by `grad`, tasks run in parallel with `vmap`, and the
 * meta-parameters learn by tape autograd through all of it, with Adam.
 */
import { F, grad, manualSeed, nn, optim, rand, type Tensor, vmap } from "../src/index.js";
import { Report } from "./util.js";

type Params = Tensor[];

/** A 1-40-40-1 MLP written as a pure function of its parameters. */
function net(p: Params, x: Tensor): Tensor {
  let h = F.relu(F.linear(x, p[0], p[1]));
  h = F.relu(F.linear(h, p[2], p[3]));
  return F.linear(h, p[4], p[5]);
}

const mse = (p: Params, x: Tensor, y: Tensor) => F.mseLoss(net(p, x), y);

/** Sample tasks: sine waves with random amplitude and phase, K support and K query points. */
function sampleTasks(n: number, k: number): [Tensor, Tensor, Tensor, Tensor] {
  const amp = rand([n, 1, 1]).mul(4.9).add(0.1), phase = rand([n, 1, 1]).mul(Math.PI);
  const wave = (x: Tensor) => x.sub(phase).sin().mul(amp);
  const xs = rand([n, k, 1]).mul(10).sub(5), xq = rand([n, k, 1]).mul(10).sub(5);
  return [xs, wave(xs), xq, wave(xq)];
}

export function run({ quiet = false, small = false } = {}): Report {
  const r = new Report("MAML on sine-wave regression", quiet);
  manualSeed(0);
  const steps = small ? 100 : 400, tasks = 5, k = 10, innerLr = 1e-2;
  const shapes = [[40, 1], [40], [40, 40], [40], [1, 40], [1]];
  const layers = [new nn.Linear(1, 40), new nn.Linear(40, 40), new nn.Linear(40, 1)];
  const params: Params = layers.flatMap((l) => [l.weight, l.bias!]);
  params.forEach((p, i) => { if (p.shape.join() !== shapes[i].join()) throw new Error("unexpected shape"); });
  const opt = new optim.Adam(params, { lr: 1e-2 });

  // adapt to one task's support set with one SGD step, then score on its query set
  const innerLoop = (p: Params, xs: Tensor, ys: Tensor, xq: Tensor, yq: Tensor) => {
    const g = grad(mse)(p, xs, ys) as Params;
    const adapted = p.map((w, i) => w.sub(g[i].mul(innerLr)));
    return mse(adapted, xq, yq);
  };

  const history: number[] = [];
  for (let step = 0; step < steps; step++) {
    const [xs, ys, xq, yq] = sampleTasks(tasks, k);
    opt.zeroGrad();
    const metaLoss = (vmap(innerLoop, { inDims: [null, 0, 0, 0, 0] })(params, xs, ys, xq, yq) as Tensor).mean();
    metaLoss.backward();
    opt.step();
    history.push(metaLoss.item() as number);
    if (!quiet && (step + 1) % Math.max(1, steps / 10) === 0) {
      const recent = history.slice(-20);
      process.stdout.write(`  step ${String(step + 1).padStart(4)}/${steps}  meta-loss (mean of last ${recent.length}) ${(recent.reduce((a, b) => a + b) / recent.length).toFixed(3)}\n`);
    }
  }
  const window = Math.floor(steps / 5);
  const first = mean(history.slice(0, window)), last = mean(history.slice(-window));
  // the short test run (seeded, so deterministic) only has time to start falling
  r.check("the meta-loss falls", last < first * (small ? 0.9 : 0.7), `mean of the first ${window} steps ${first.toFixed(3)} -> of the last ${window} ${last.toFixed(3)}`);
  return r;
}

function mean(a: number[]): number {
  return a.reduce((x, y) => x + y, 0) / a.length;
}
