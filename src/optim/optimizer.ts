/**
 * Optimizers (torch.optim): SGD, Adam and AdamW with PyTorch's update rules and defaults.
 * `step()` reads each parameter's `.grad` and writes the new values into the parameter's own
 * storage (parameters keep their identity, as PyTorch's in-place updates do). The arithmetic runs
 * on the typed arrays, outside every graph; state (momentum buffers, moments) is kept in the
 * parameter's dtype and exposed as tensors in `opt.state`.
 */
import { allocArray, isFloat, type TypedArray } from "../core/dtype.js";
import { storageWritten } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import { withGradMode } from "../core/trace.js";
import { copyInto_ } from "../nn/init.js";
import { zeroGradOf } from "../nn/module.js";
import { checkOptions } from "../core/options.js";

export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;
export type ParamsArg<O> = Iterable<Tensor> | ParamGroupInput<O>[];
export type ParamGroup<O> = { params: Tensor[] } & O;

function isGroupList<O>(p: ParamsArg<O>): p is ParamGroupInput<O>[] {
  return Array.isArray(p) && p.length > 0 && !(p[0] instanceof Tensor) && typeof p[0] === "object" && p[0] !== null && "params" in p[0];
}

/** The values of a parameter as a writable contiguous array sharing its storage (null if it is a strided view). */
function sharedArray(p: Tensor): TypedArray | null {
  if (!p.storage || !p.isContiguous()) return null;
  return p.storage.subarray(p.offset, p.offset + p.numel) as TypedArray;
}

export abstract class Optimizer<O extends object> {
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  readonly state = new Map<Tensor, Record<string, Tensor | number>>();

  constructor(readonly name: string, params: ParamsArg<O>, defaults: O) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new Error(`${name}: params argument given to the optimizer should be an iterable of Tensors or of param groups, but got a Tensor; wrap it in an array`);
    }
    if (typeof (params as Iterable<Tensor> | null)?.[Symbol.iterator] !== "function") {
      const got = params === null ? "null" : typeof params === "object" ? params.constructor.name : typeof params;
      throw new Error(`${name}: params argument given to the optimizer should be an iterable of Tensors or of param groups, but got ${got}; for a module pass module.parameters()`);
    }
    const groups: ParamGroupInput<O>[] = isGroupList(params) ? params : [{ params } as ParamGroupInput<O>];
    if (groups.length === 0 || (groups.length === 1 && [...groups[0].params].length === 0)) {
      throw new Error(`${name}: optimizer got an empty parameter list`);
    }
    for (const g of groups) this.addParamGroup(g);
  }

  /** Add a group of parameters with its own options (missing options take the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const params = [...group.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${this.name}: parameter ${i} is not a Tensor (got ${p === null ? "null" : typeof p})`);
      if (p.storage === null) throw new Error(`${this.name}: parameter ${i} is a transformed value (a tracer); optimizers update concrete tensors (use optim.sgdUpdate / adamUpdate inside transforms)`);
      if (!isFloat(p.dtype)) throw new Error(`${this.name}: parameter ${i} has dtype ${p.dtype}; only floating-point tensors can be optimized`);
      if (!p.isLeaf) throw new Error(`${this.name}: can't optimize a non-leaf Tensor (parameter ${i} has a gradFn); use a Parameter or x.detach().requiresGrad_()`);
      if (seen.has(p)) throw new Error(`${this.name}: some parameters appear in more than one parameter group (or twice in one)`);
      seen.add(p);
    });
    const opts = { ...this.defaults } as O;
    for (const [k, v] of Object.entries(group)) {
      if (k === "params" || v === undefined) continue;
      if (!(k in opts)) throw new Error(`${this.name}: unknown option "${k}" in a parameter group; the options are ${Object.keys(opts).join(", ")}`);
      (opts as Record<string, unknown>)[k] = v;
    }
    this.validate(opts);
    this.paramGroups.push({ ...opts, params });
  }

  protected abstract validate(opts: O): void;

  /** Set the parameters' .grad to null (PyTorch's default), or to zeros with setToNone = false. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) for (const p of g.params) zeroGradOf(p, setToNone);
  }

  /**
   * One update of every parameter that has a gradient. A closure, if given, is called (with
   * grad recording on) before the update to recompute the loss, which is returned.
   */
  step(closure?: () => Tensor | number): number | undefined {
    let loss: number | undefined;
    if (closure) {
      const l = withGradMode(true, closure);
      loss = l instanceof Tensor ? (l.item() as number) : l;
    }
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        const g = p.grad;
        const gc = g.storage ? g : g.concrete(`${this.name}.step()`);
        if (gc.shape.length !== p.shape.length || gc.shape.some((d, i) => d !== p.shape[i])) {
          throw new Error(`${this.name}: the gradient of a parameter has shape [${gc.shape.join(", ")}] but the parameter has shape [${p.shape.join(", ")}]`);
        }
        const grad = sharedArray(gc) ?? gc.toTypedArray();
        const shared = sharedArray(p);
        const values = shared ?? p.toTypedArray();
        this.updateOne(p, values, grad, group, this.stateOf(p));
        if (shared) storageWritten(p.storage!);
        else copyInto_(p, new Tensor(p.shape, p.dtype, values));
      }
    }
    return loss;
  }

  protected stateOf(p: Tensor): Record<string, Tensor | number> {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /** A state tensor of p's shape and dtype, zero-filled, created on first use. */
  protected buffer(p: Tensor, state: Record<string, Tensor | number>, key: string): TypedArray {
    let t = state[key] as Tensor | undefined;
    if (!t) state[key] = t = new Tensor(p.shape, p.dtype, allocArray(p.dtype, p.numel));
    return t.storage as TypedArray;
  }

  /** Update `values` (p's elements, row-major, written in place) from `grad`. */
  protected abstract updateOne(p: Tensor, values: TypedArray, grad: TypedArray, group: ParamGroup<O>, state: Record<string, Tensor | number>): void;
}

function checkNonNeg(v: unknown, what: string, op: string): void {
  if (typeof v !== "number" || !(v >= 0)) throw new Error(`${op}: invalid ${what}: ${v} (must be a number >= 0)`);
}

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * Stochastic gradient descent with PyTorch's momentum rule:
 * g = grad + weightDecay * p; buf = momentum * buf + (1 - dampening) * g (buf = g at the first
 * step); g = nesterov ? g + momentum * buf : buf; p = p - lr * g.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    checkOptions("SGD", opts, { lr: true, momentum: true, dampening: true, weightDecay: true, nesterov: true, maximize: true });
    super("SGD", params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...stripUndefined(opts) });
  }

  protected validate(o: SGDOptions): void {
    checkNonNeg(o.lr, "learning rate", "SGD");
    checkNonNeg(o.momentum, "momentum value", "SGD");
    checkNonNeg(o.weightDecay, "weightDecay value", "SGD");
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error("SGD: nesterov momentum requires a momentum and zero dampening");
  }

  protected updateOne(p: Tensor, values: TypedArray, grad: TypedArray, o: ParamGroup<SGDOptions>, state: Record<string, Tensor | number>): void {
    const { lr, momentum, nesterov } = o, n = values.length;
    const d = gradientTerm(grad, values, o.weightDecay, o.maximize);
    if (momentum === 0) {
      for (let i = 0; i < n; i++) values[i] -= lr * d[i];
      return;
    }
    // buf = d at the first step (the buffer starts zeroed), then momentum * buf + (1 - dampening) * d
    const first = state.momentumBuffer === undefined;
    const buf = this.buffer(p, state, "momentumBuffer");
    const keepBuf = first ? 0 : momentum, keepD = first ? 1 : 1 - o.dampening;
    if (nesterov) {
      for (let i = 0; i < n; i++) {
        buf[i] = keepBuf * buf[i] + keepD * d[i];
        values[i] -= lr * (d[i] + momentum * buf[i]);
      }
    } else {
      for (let i = 0; i < n; i++) {
        buf[i] = keepBuf * buf[i] + keepD * d[i];
        values[i] -= lr * buf[i];
      }
    }
  }
}

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * Adam (PyTorch's rule): g = grad + weightDecay * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). AdamW decays the weights instead.
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}, name = "Adam", weightDecay = 0) {
    checkOptions(name, opts, { lr: true, betas: true, eps: true, weightDecay: true, amsgrad: true, maximize: true });
    super(name, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay, amsgrad: false, maximize: false, ...stripUndefined(opts) });
  }

  protected validate(o: AdamOptions): void {
    checkNonNeg(o.lr, "learning rate", this.name);
    checkNonNeg(o.eps, "epsilon value", this.name);
    checkNonNeg(o.weightDecay, "weightDecay value", this.name);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${this.name}: betas must be a pair [beta1, beta2], got ${JSON.stringify(o.betas)}`);
    o.betas.forEach((b, i) => {
      if (typeof b !== "number" || !(b >= 0 && b < 1)) throw new Error(`${this.name}: invalid beta parameter at index ${i}: ${b} (must be in [0, 1))`);
    });
  }

  protected updateOne(p: Tensor, values: TypedArray, grad: TypedArray, o: ParamGroup<AdamOptions>, state: Record<string, Tensor | number>): void {
    const [b1, b2] = o.betas;
    const t = ((state.step as number | undefined) ?? 0) + 1;
    state.step = t;
    const m = this.buffer(p, state, "expAvg"), v = this.buffer(p, state, "expAvgSq");
    const bc1 = 1 - b1 ** t, bc2sqrt = Math.sqrt(1 - b2 ** t);
    const stepSize = o.lr / bc1, eps = o.eps, n = values.length;
    const d = gradientTerm(grad, values, this.isDecoupled() ? 0 : o.weightDecay, o.maximize);
    if (this.isDecoupled() && o.weightDecay !== 0) {
      const decay = 1 - o.lr * o.weightDecay;
      for (let i = 0; i < n; i++) values[i] *= decay;
    }
    if (o.amsgrad) {
      const vmax = this.buffer(p, state, "maxExpAvgSq");
      for (let i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * d[i];
        v[i] = b2 * v[i] + (1 - b2) * d[i] * d[i];
        vmax[i] = Math.max(vmax[i], v[i]);
        values[i] -= stepSize * m[i] / (Math.sqrt(vmax[i]) / bc2sqrt + eps);
      }
    } else {
      for (let i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * d[i];
        v[i] = b2 * v[i] + (1 - b2) * d[i] * d[i];
        values[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / bc2sqrt + eps);
      }
    }
  }

  protected isDecoupled(): boolean {
    return false;
  }
}

/** Adam with decoupled weight decay (p = p * (1 - lr * weightDecay) before the Adam step); weightDecay defaults to 0.01. */
export class AdamW extends Adam {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts, "AdamW", 0.01);
  }
  protected override isDecoupled(): boolean {
    return true;
  }
}

/**
 * The gradient an update uses: grad + weightDecay * p, negated when maximizing; grad itself when
 * that changes nothing. The update loops then have no branches: V8 does not hoist a loop-invariant
 * test out of a loop, and one per element made them 2-3x slower.
 */
function gradientTerm(grad: TypedArray, values: TypedArray, weightDecay: number, maximize: boolean): ArrayLike<number> {
  if (weightDecay === 0 && !maximize) return grad;
  const sign = maximize ? -1 : 1, d = new Float64Array(grad.length);
  for (let i = 0; i < d.length; i++) d[i] = sign * grad[i] + weightDecay * values[i];
  return d;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
