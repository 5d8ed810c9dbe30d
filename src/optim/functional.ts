/**
 * Pure optimizer updates: they take parameters and gradients as pytrees (a Tensor, an array or an
 * object of them, e.g. the name -> tensor objects of functionalCall) and return new ones, built
 * with ordinary ops. Nothing is mutated, so they work inside grad/vmap and can be differentiated
 * through (MAML's inner loop: `sgdUpdate(p, grad(loss)(p, x, y), innerLr)`).
 */
import { Tensor } from "../core/tensor.js";
import { zerosLike } from "../ops/creation.js";
import { add, div, mul, sqrt, sub } from "../ops/elementwise.js";
import { describe, flatten, unflatten } from "../tree/tree.js";
import { checkOptions } from "../core/options.js";

function leavesOf(tree: unknown, what: string, op: string): [Tensor[], ReturnType<typeof flatten>[1]] {
  const [leaves, def] = flatten(tree);
  leaves.forEach((l, i) => {
    if (!(l instanceof Tensor)) throw new Error(`${op}: ${what} leaf ${i} is ${l === null ? "null" : typeof l}, not a Tensor`);
  });
  return [leaves as Tensor[], def];
}

function paired(params: unknown, grads: unknown, op: string): [Tensor[], Tensor[], ReturnType<typeof flatten>[1]] {
  const [ps, pdef] = leavesOf(params, "params", op);
  const [gs, gdef] = leavesOf(grads, "grads", op);
  if (describe(pdef) !== describe(gdef)) {
    throw new Error(`${op}: grads must have the structure of params: got ${describe(gdef)} for params ${describe(pdef)}`);
  }
  ps.forEach((p, i) => {
    const g = gs[i];
    if (p.shape.length !== g.shape.length || p.shape.some((d, j) => d !== g.shape[j])) {
      throw new Error(`${op}: gradient ${i} has shape [${g.shape.join(", ")}] but its parameter has shape [${p.shape.join(", ")}]`);
    }
  });
  return [ps, gs, pdef];
}

export interface SgdUpdateOptions {
  weightDecay?: number;
  maximize?: boolean;
}

/** params - lr * (grads + weightDecay * params), leaf by leaf, as new tensors with params' structure. */
export function sgdUpdate<T>(params: T, grads: unknown, lr: number, opts: SgdUpdateOptions = {}): T {
  const { weightDecay = 0, maximize = false } = checkOptions("sgdUpdate", opts, { weightDecay: true, maximize: true });
  if (typeof lr !== "number" || !Number.isFinite(lr)) throw new Error(`sgdUpdate: lr must be a finite number, got ${lr}`);
  const [ps, gs, def] = paired(params, grads, "sgdUpdate");
  return unflatten(def, ps.map((p, i) => {
    let g = gs[i];
    if (weightDecay !== 0) g = add(g, mul(p, weightDecay));
    return maximize ? add(p, mul(g, lr)) : sub(p, mul(g, lr));
  })) as T;
}

export interface AdamState<T = unknown> {
  step: number;
  expAvg: T;
  expAvgSq: T;
}

export interface AdamUpdateOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** AdamW-style decoupled weight decay. */
  decoupled?: boolean;
}

/** Zero moment estimates for adamUpdate, with params' structure. */
export function adamInit<T>(params: T): AdamState<T> {
  const [ps, def] = leavesOf(params, "params", "adamInit");
  return { step: 0, expAvg: unflatten(def, ps.map((p) => zerosLike(p))) as T, expAvgSq: unflatten(def, ps.map((p) => zerosLike(p))) as T };
}

/** One Adam step as a pure function: returns [newParams, newState] (PyTorch's Adam rule; see optim.Adam). */
export function adamUpdate<T>(params: T, grads: unknown, state: AdamState<T>, opts: AdamUpdateOptions = {}): [T, AdamState<T>] {
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, decoupled = false } = checkOptions("adamUpdate", opts, { lr: true, betas: true, eps: true, weightDecay: true, decoupled: true });
  const [b1, b2] = betas;
  const [ps, gs, def] = paired(params, grads, "adamUpdate");
  const [ms] = leavesOf(state.expAvg, "state.expAvg", "adamUpdate");
  const [vs] = leavesOf(state.expAvgSq, "state.expAvgSq", "adamUpdate");
  if (ms.length !== ps.length || vs.length !== ps.length) throw new Error("adamUpdate: state does not match params (make it with adamInit(params))");
  const t = state.step + 1;
  const bc1 = 1 - b1 ** t, bc2sqrt = Math.sqrt(1 - b2 ** t);
  const newP: Tensor[] = [], newM: Tensor[] = [], newV: Tensor[] = [];
  ps.forEach((p0, i) => {
    let p = p0, g = gs[i];
    if (weightDecay !== 0) {
      if (decoupled) p = mul(p, 1 - lr * weightDecay);
      else g = add(g, mul(p, weightDecay));
    }
    const m = add(mul(ms[i], b1), mul(g, 1 - b1));
    const v = add(mul(vs[i], b2), mul(mul(g, g), 1 - b2));
    const denom = add(div(sqrt(v), bc2sqrt), eps);
    newP.push(sub(p, mul(div(m, denom), lr / bc1)));
    newM.push(m);
    newV.push(v);
  });
  return [unflatten(def, newP) as T, { step: t, expAvg: unflatten(def, newM) as T, expAvgSq: unflatten(def, newV) as T }];
}
