/**
 * nn.Module, nn.Parameter and nn.Buffer.
 *
 * A module's parameters, buffers and submodules are its own fields, found by looking at the field
 * values: a `Parameter` is a parameter, a `Buffer` (or a tensor given to registerBuffer) a buffer,
 * a `Module` a submodule. The kind of each field is remembered the first time it is seen, so a
 * field keeps its role when it later holds a plain tensor, a transformed value or null (this is
 * how functionalCall swaps values in, and how a missing bias is `null`). Names are PyTorch's
 * dotted paths in field order (`"fc1.weight"`, `"0.bias"` inside Sequential).
 *
 * As in PyTorch, fields holding plain tensors or arrays of modules are not registered; use
 * `new Buffer(t)` / `registerBuffer` and `ModuleList` / `Sequential`.
 */
import { allocArray, isFloat, type DType } from "../core/dtype.js";
import { Tensor } from "../core/tensor.js";
import { withGradMode } from "../core/trace.js";
import { copyInto_ } from "./init.js";
import { checkOptions } from "../core/options.js";

function concreteOf(t: unknown, what: string): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${what}: expected a Tensor, got ${t === null ? "null" : typeof t}`);
  if (t.storage === null) {
    throw new Error(`${what}: needs a concrete tensor, got a transformed value (a tracer inside vmap/grad); create parameters and buffers outside transforms, and pass transformed values with functionalCall instead`);
  }
  return t;
}

/** A tensor that is a module parameter: a leaf requiring grad (by default) sharing the given tensor's storage. */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    let t = concreteOf(data, "Parameter");
    // a broadcast view (stride 0) would alias elements under in-place updates: give it its own storage
    if (t.shape.some((d, i) => d > 1 && t.strides[i] === 0)) t = new Tensor(t.shape, t.dtype, t.toTypedArray());
    super(t.shape, t.dtype, t.storage, t.strides, t.offset);
    if (requiresGrad && !isFloat(t.dtype)) {
      throw new Error(`Parameter: only floating-point tensors can require gradients, got dtype ${t.dtype}; pass requiresGrad = false`);
    }
    this.requiresGrad = requiresGrad;
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/** A tensor that is module state but not a parameter (running statistics): saved, moved, stacked, never trained. */
export class Buffer extends Tensor {
  readonly persistent: boolean;
  constructor(data: Tensor, opts: { persistent?: boolean } = {}) {
    const t = concreteOf(data, "Buffer");
    super(t.shape, t.dtype, t.storage, t.strides, t.offset);
    this.persistent = checkOptions("Buffer", opts, { persistent: true }).persistent ?? true;
  }
}

type Kind = "param" | "buffer" | "module";

/**
 * p.grad = null, or zeros with setToNone = false: written into the gradient in place, as
 * PyTorch's zero_(), unless it is part of a graph (createGraph), which gets fresh zeros.
 */
export function zeroGradOf(p: Tensor, setToNone: boolean): void {
  const g = p.grad;
  if (setToNone || g === null) p.grad = null;
  else if (g.storage && !g.gradFn && g.isContiguous()) copyInto_(g, 0);
  else p.grad = new Tensor(p.shape, p.dtype, allocArray(p.dtype, p.numel));
}

export interface Slot {
  /** dotted name from the root */
  name: string;
  owner: Module;
  field: string;
  kind: "param" | "buffer";
  value: Tensor;
}

export class Module {
  /** Training mode (Dropout and BatchNorm behave differently in eval mode). */
  training = true;
  readonly #kinds = new Map<string, Kind>();
  readonly #nonPersistent = new Set<string>();

  // A subclass defines `forward(...)`; the base class declares none, so subclasses need no
  // `override` modifier (noImplicitOverride) and `call` is typed from the subclass's forward.

  /** Run forward (PyTorch's `module(x)`), typed from the module's own forward. */
  call<M extends Module>(this: M, ...args: M extends { forward(...a: infer A): any } ? A : any[]): M extends { forward(...a: any[]): infer R } ? R : any {
    const f = (this as unknown as { forward?: unknown }).forward;
    if (typeof f !== "function") {
      throw new Error(`${this.constructor.name}: forward() is not implemented; subclasses of nn.Module must define forward(...)`);
    }
    return f.apply(this, args);
  }

  // ---- registration ----

  /** This module's own members in field order, with their kinds (registering new fields). */
  #members(): [string, Kind, unknown][] {
    const out: [string, Kind, unknown][] = [];
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(self)) {
      const v = self[key];
      let kind = this.#kinds.get(key);
      if (v instanceof Parameter) kind = "param";
      else if (v instanceof Buffer) kind = kind === "param" ? "param" : "buffer";
      else if (v instanceof Module) kind = "module";
      else if (kind === undefined) continue;
      else if (!(v instanceof Tensor) && v !== null && v !== undefined) continue; // a registered name now holding something else
      else if (kind === "module" && v instanceof Tensor) continue;
      this.#kinds.set(key, kind);
      out.push([key, kind, v]);
    }
    return out;
  }

  /** Register a parameter (or null for a missing one, like a bias turned off). */
  registerParameter(name: string, param: Parameter | null): void {
    if (param !== null && !(param instanceof Tensor)) throw new Error(`registerParameter: "${name}" must be a Parameter or null`);
    this.#kinds.set(name, "param");
    (this as unknown as Record<string, unknown>)[name] = param === null || param instanceof Parameter ? param : new Parameter(param);
  }

  /** Register a buffer (module state that is not trained); non-persistent buffers are left out of stateDict. */
  registerBuffer(name: string, tensor: Tensor | null, opts: { persistent?: boolean } = {}): void {
    if (tensor !== null && !(tensor instanceof Tensor)) throw new Error(`registerBuffer: "${name}" must be a Tensor or null`);
    checkOptions("registerBuffer", opts, { persistent: true });
    this.#kinds.set(name, "buffer");
    if (opts.persistent === false) this.#nonPersistent.add(name);
    else this.#nonPersistent.delete(name);
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  /** Register a submodule (or null). */
  registerModule(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module)) throw new Error(`registerModule: "${name}" must be a Module or null`);
    this.#kinds.set(name, "module");
    (this as unknown as Record<string, unknown>)[name] = module;
  }
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  // ---- traversal ----

  /** [name, module] for this module and every descendant, this one first ("" is its name). */
  namedModules(prefix = "", removeDuplicate = true): [string, Module][] {
    const out: [string, Module][] = [];
    const memo = new Set<Module>();
    const walk = (m: Module, p: string) => {
      if (removeDuplicate) {
        if (memo.has(m)) return;
        memo.add(m);
      }
      out.push([p, m]);
      for (const [name, child] of m.namedChildren()) walk(child, p ? `${p}.${name}` : name);
    };
    walk(this, prefix);
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The direct submodules, [name, module] in field order. */
  namedChildren(): [string, Module][] {
    return this.#members().filter(([, k, v]) => k === "module" && v instanceof Module).map(([n, , v]) => [n, v as Module]);
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  #named(kind: "param" | "buffer", prefix: string, recurse: boolean, removeDuplicate: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix, removeDuplicate) : [[prefix, this]];
    for (const [p, m] of mods) {
      for (const [n, k, v] of m.#members()) {
        if (k !== kind || !(v instanceof Tensor)) continue;
        if (removeDuplicate) {
          if (seen.has(v)) continue;
          seen.add(v);
        }
        out.push([p ? `${p}.${n}` : n, v]);
      }
    }
    return out;
  }

  /** [name, parameter] pairs in field order with dotted names; a parameter shared by two modules is listed once. */
  namedParameters(prefix = "", recurse = true, removeDuplicate = true): [string, Tensor][] {
    return this.#named("param", prefix, recurse, removeDuplicate);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }
  /** [name, buffer] pairs in field order with dotted names. */
  namedBuffers(prefix = "", recurse = true, removeDuplicate = true): [string, Tensor][] {
    return this.#named("buffer", prefix, recurse, removeDuplicate);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  /** Every parameter and buffer slot (duplicates included), for functionalCall. @internal */
  _slots(): Slot[] {
    const out: Slot[] = [];
    for (const [p, m] of this.namedModules("", false)) {
      for (const [n, k, v] of m.#members()) {
        if (k === "module" || !(v instanceof Tensor)) continue;
        out.push({ name: p ? `${p}.${n}` : n, owner: m, field: n, kind: k, value: v });
      }
    }
    return out;
  }

  /** Whether buffer `field` of this module is persistent (in stateDict). */
  isPersistentBuffer(field: string): boolean {
    const v = (this as unknown as Record<string, unknown>)[field];
    return !this.#nonPersistent.has(field) && !(v instanceof Buffer && !v.persistent);
  }

  // ---- modes and utilities ----

  /** Set training mode on this module and every descendant. */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new Error(`${this.constructor.name}.train: mode must be a boolean, got ${JSON.stringify(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode (train(false)). */
  eval(): this {
    return this.train(false);
  }

  /** Set every parameter's .grad to null (or to zeros with setToNone = false). */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) zeroGradOf(p, setToNone);
  }

  /** Turn gradients on or off for every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Call fn on every submodule (children first) and this module. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Cast floating-point parameters and buffers to a dtype (new Parameter objects; rebuild optimizers after). */
  to(dtype: DType): this {
    if (!isFloat(dtype)) throw new Error(`Module.to: only floating-point dtypes are supported, got ${dtype}`);
    withGradMode(false, () => {
      for (const m of this.modules()) {
        const self = m as unknown as Record<string, unknown>;
        for (const [n, k, v] of m.#members()) {
          if (!(v instanceof Tensor) || !isFloat(v.dtype) || v.dtype === dtype) continue;
          const cast = v.to(dtype);
          if (k === "param") self[n] = new Parameter(cast, v.requiresGrad);
          else if (k === "buffer") self[n] = new Buffer(cast, { persistent: m.isPersistentBuffer(n) });
        }
      }
    });
    return this;
  }
  double(): this {
    return this.to("float64");
  }
  float(): this {
    return this.to("float32");
  }

  /** name -> tensor for every parameter and persistent buffer (sharing storage, detached). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this._slots()) {
      if (s.kind === "buffer" && !s.owner.isPersistentBuffer(s.field)) continue;
      if (!(s.name in out)) out[s.name] = new Tensor(s.value.shape, s.value.dtype, s.value.storage, s.value.strides, s.value.offset);
    }
    return out;
  }

  /** Copy values into the parameters and buffers in place. strict (default) requires exactly the module's keys. */
  loadStateDict(state: Record<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = checkOptions("loadStateDict", opts, { strict: true }).strict ?? true;
    const slots = this._slots().filter((s) => s.kind === "param" || s.owner.isPersistentBuffer(s.field));
    const names = new Set(slots.map((s) => s.name));
    const missingKeys = [...names].filter((n) => !(n in state));
    const unexpectedKeys = Object.keys(state).filter((n) => !names.has(n));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(`loadStateDict: ${missingKeys.length ? `missing key(s) ${missingKeys.map((k) => `"${k}"`).join(", ")}` : ""}${missingKeys.length && unexpectedKeys.length ? "; " : ""}${unexpectedKeys.length ? `unexpected key(s) ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}` : ""}`);
    }
    for (const s of slots) {
      const src = state[s.name];
      if (src === undefined) continue;
      if (!(src instanceof Tensor) || src.shape.length !== s.value.shape.length || src.shape.some((d, i) => d !== s.value.shape[i])) {
        throw new Error(`loadStateDict: size mismatch for "${s.name}": the module has shape [${s.value.shape.join(", ")}], the state has ${src instanceof Tensor ? `[${src.shape.join(", ")}]` : typeof src}`);
      }
      copyInto_(s.value, src);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Extra text inside the parentheses of toString (e.g. "in_features=4, out_features=3, bias=True"). */
  extraRepr(): string {
    return "";
  }

  toString(): string {
    const children = this.namedChildren();
    const extra = this.extraRepr();
    const name = this.constructor.name;
    if (children.length === 0) return `${name}(${extra})`;
    const lines = extra ? [extra] : [];
    for (const [n, c] of children) lines.push(`(${n}): ${String(c).split("\n").join("\n  ")}`);
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }
}
