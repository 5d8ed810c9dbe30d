/**
 * Empirical neural tangent kernels (torch.func tutorial) of a small CNN, two ways: contracting
 * per-example Jacobians, and NTK-vector products (vmap of vmap of a jvp of a vjp). They agree.
 */
import { einsum, F, functionalCall, jacrev, jvp, manualSeed, nn, randn, vjp, vmap, eye, type Tensor } from "../src/index.js";
import { Report, timeMs } from "./util.js";

class CNN extends nn.Module {
  conv1: nn.Conv2d; conv2: nn.Conv2d; conv3: nn.Conv2d; fc: nn.Linear;
  constructor(size: number, channels: number) {
    super();
    this.conv1 = new nn.Conv2d(3, channels, 3);
    this.conv2 = new nn.Conv2d(channels, channels, 3);
    this.conv3 = new nn.Conv2d(channels, channels, 3);
    this.fc = new nn.Linear(channels * (size - 6) ** 2, 10);
  }

  forward(x: Tensor): Tensor {
    x = F.relu(this.conv1.call(x));
    x = F.relu(this.conv2.call(x));
    x = this.conv3.call(x);
    return this.fc.call(x.flatten(1));
  }
}

type Params = Record<string, Tensor>;

export function run({ quiet = false, small = false } = {}): Report {
  const r = new Report("Neural tangent kernels", quiet);
  manualSeed(0);
  const size = small ? 10 : 16, channels = small ? 4 : 16;
  const net = new CNN(size, channels);
  const xTrain = randn([small ? 4 : 10, 3, size, size]), xTest = randn([small ? 2 : 5, 3, size, size]);
  const params = Object.fromEntries(net.namedParameters().map(([n, p]) => [n, p.detach()]));
  // the network on ONE image
  const fnetSingle = (p: Params, x: Tensor) => (functionalCall(net, p, [x.unsqueeze(0)]) as Tensor).squeeze(0);

  // method 1: per-example Jacobians, contracted over every parameter
  const jacobianContraction = (x1: Tensor, x2: Tensor): Tensor => {
    const j1 = vmap(jacrev(fnetSingle), { inDims: [null, 0] })(params, x1) as Params;
    const j2 = vmap(jacrev(fnetSingle), { inDims: [null, 0] })(params, x2) as Params;
    const terms = Object.keys(j1).map((k) => einsum("Naf,Mbf->NMab", j1[k].flatten(2), j2[k].flatten(2)));
    return terms.reduce((a, b) => a.add(b));
  };

  // method 2: NTK-vector products: for each basis vector v, J(x2) J(x1)^T v
  const ntkVps = (x1: Tensor, x2: Tensor): Tensor => {
    const getNtk = (a: Tensor, b: Tensor): Tensor => {
      const [out, vjpFn] = vjp((p: Params) => fnetSingle(p, a), [params]);
      const slice = (vec: Tensor) => {
        const [vjps] = vjpFn(vec) as [Params];
        return jvp((p: Params) => fnetSingle(p, b), [params], [vjps])[1] as Tensor;
      };
      return vmap(slice)(eye((out as Tensor).numel));
    };
    return vmap(vmap(getNtk, { inDims: [null, 0] }), { inDims: [0, null] })(x1, x2);
  };

  let k1 = jacobianContraction(xTrain, xTest), k2 = ntkVps(xTrain, xTest);
  const t1 = timeMs(() => { k1 = jacobianContraction(xTrain, xTest); }, 1);
  const t2 = timeMs(() => { k2 = ntkVps(xTrain, xTest); }, 1);
  r.log(`NTK shape [${k1.shape}] (train x test x outputs x outputs); Jacobian contraction ${t1.toFixed(0)} ms, NTK-vector products ${t2.toFixed(0)} ms`);
  // row a of a slice is J(x2) J(x1)^T e_a, i.e. sum_f J1[a, f] J2[b, f]: the same layout as method 1
  r.close("both methods agree", k2, k1, 1e-4 * Math.max(1, maxAbs(k1)));
  return r;
}

function maxAbs(x: Tensor): number {
  return x.abs().max().item() as number;
}
