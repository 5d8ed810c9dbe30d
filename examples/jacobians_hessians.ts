/**
 * Jacobians and Hessians (the torch.func tutorial): jacrev vs jacfwd, a row-by-row reference,
 * wide and tall functions, hessian, and batched Jacobians and Hessians with vmap.
 */
import { eye, F, hessian, jacfwd, jacrev, manualSeed, randn, stack, vjp, vmap, type Tensor } from "../src/index.js";
import { Report, timeMs } from "./util.js";

export function run({ quiet = false, small = false } = {}): Report {
  const r = new Report("Jacobians and Hessians", quiet);
  manualSeed(0);
  const predict = (weight: Tensor, bias: Tensor, x: Tensor) => F.linear(x, weight, bias).tanh();

  const D = small ? 8 : 16;
  const weight = randn([D, D]), bias = randn([D]), x = randn([D]);
  const jac = jacrev(predict, { argnums: 2 })(weight, bias, x) as Tensor;
  r.log(`jacrev of predict wrt x: shape [${jac.shape}]`);

  // reference: one vjp per row of the identity, stacked
  const [, vjpFn] = vjp((xx: Tensor) => predict(weight, bias, xx), x);
  const rows = Array.from({ length: D }, (_, i) => (vjpFn(eye(D).select(0, i)) as Tensor[])[0]);
  r.close("jacrev equals the row-by-row vjp loop", jac, stack(rows));
  r.close("jacfwd equals jacrev", jacfwd(predict, { argnums: 2 })(weight, bias, x) as Tensor, jac);

  // wide (few inputs, many outputs) favours jacfwd; tall favours jacrev
  for (const [din, dout] of small ? [[8, 64], [64, 8]] : [[32, 2048], [2048, 32]]) {
    const w = randn([dout, din]), b = randn([dout]), xi = randn([din]);
    const tr = timeMs(() => jacrev(predict, { argnums: 2 })(w, b, xi));
    const tf = timeMs(() => jacfwd(predict, { argnums: 2 })(w, b, xi));
    r.log(`  Din=${din} Dout=${dout}: jacrev ${tr.toFixed(2)} ms, jacfwd ${tf.toFixed(2)} ms`);
  }

  const hess = hessian(predict, { argnums: 2 })(weight, bias, x) as Tensor;
  r.log(`hessian of predict wrt x: shape [${hess.shape}]`);
  const hessRevRev = jacrev(jacrev(predict, { argnums: 2 }), { argnums: 2 })(weight, bias, x) as Tensor;
  r.close("hessian (jacfwd of jacrev) equals jacrev of jacrev", hess, hessRevRev);

  // batched: one Jacobian / Hessian per example of a batch, in one call
  const batch = small ? 4 : 64;
  const xs = randn([batch, D]);
  const batchedJac = vmap(jacrev(predict, { argnums: 2 }), { inDims: [null, null, 0] })(weight, bias, xs) as Tensor;
  const loopJac = stack(Array.from({ length: batch }, (_, i) => jacrev(predict, { argnums: 2 })(weight, bias, xs.select(0, i)) as Tensor));
  r.log(`batched Jacobian: shape [${batchedJac.shape}]`);
  r.close("vmap(jacrev) equals the loop over examples", batchedJac, loopJac);
  const batchedHess = vmap(hessian(predict, { argnums: 2 }), { inDims: [null, null, 0] })(weight, bias, xs.narrow(0, 0, 4)) as Tensor;
  const loopHess = stack(Array.from({ length: 4 }, (_, i) => hessian(predict, { argnums: 2 })(weight, bias, xs.select(0, i)) as Tensor));
  r.close("vmap(hessian) equals the loop over examples", batchedHess, loopHess);
  return r;
}

