/**
 * Calling a module as a function of its parameters (torch.func.functional_call), stacking the
 * state of several same-architecture modules for ensembling with vmap (stack_module_state), and
 * replace_all_batch_norm_modules_.
 *
 * functionalCall swaps the given tensors into the module's fields for the duration of one call
 * (whatever they are: concrete tensors, or tracers of vmap/grad/jvp) and puts the originals back
 * afterwards, even when forward throws. Parameters and buffers it is not given keep the module's own.
 *
 * BatchNorm under vmap (torch.func's "Patching Batch Norm"): in training mode BatchNorm updates its
 * running statistics in place, which has no meaning when each model/example of a vmap has its
 * own statistics, so tfunc raises an error there. Either put the module in eval mode (the running
 * statistics are then read, and may be batched buffers from stackModuleState), or construct the
 * BatchNorm with {trackRunningStats: false}, or call replaceAllBatchNormModules_(model), which
 * removes the running statistics so batch statistics are always used.
 */
import { Tensor } from "../core/tensor.js";
import { withGradMode } from "../core/trace.js";
import { isBatchNorm } from "../nn/norm.js";
import { Module, type Slot } from "../nn/module.js";
import { stack } from "../ops/shape.js";
import { isPlainObject } from "../tree/tree.js";
import { checkOptions } from "../core/options.js";

export type NamedTensors = Record<string, Tensor>;

export interface FunctionalCallOptions {
  /** Require a value for every parameter and buffer of the module (default false: missing ones fall back to the module's). */
  strict?: boolean;
  /** A value given for one of several tied names (fields holding the same tensor) is used for all of them (default true). */
  tieWeights?: boolean;
}

const quote = (names: string[]) => names.map((n) => `"${n}"`).join(", ");

/**
 * Call `module` with its parameters and buffers replaced by `paramsAndBuffers` (an object of
 * name -> tensor, or an array of such objects), on `args` (an array of arguments, or a single
 * argument). Returns what forward returns; the module is unchanged afterwards.
 */
export function functionalCall(module: Module, paramsAndBuffers: NamedTensors | readonly NamedTensors[], args: unknown, opts: FunctionalCallOptions = {}): any {
  const op = "functionalCall";
  if (!(module instanceof Module)) throw new Error(`${op}: expected an nn.Module as the first argument, got ${module === null ? "null" : typeof module}`);
  checkOptions(op, opts, { strict: true, tieWeights: true });
  const dicts = Array.isArray(paramsAndBuffers) ? paramsAndBuffers : [paramsAndBuffers];
  const given = new Map<string, Tensor>();
  dicts.forEach((d, k) => {
    if (!isPlainObject(d)) throw new Error(`${op}: paramsAndBuffers must be an object of name -> tensor (or an array of them), but ${Array.isArray(paramsAndBuffers) ? `entry ${k}` : "it"} is ${d === null ? "null" : typeof d}`);
    for (const [name, t] of Object.entries(d)) {
      if (given.has(name)) throw new Error(`${op}: "${name}" appeared in more than one of the paramsAndBuffers objects; give each name once`);
      if (!(t instanceof Tensor)) throw new Error(`${op}: the value for "${name}" must be a Tensor, got ${t === null ? "null" : typeof t}`);
      given.set(name, t);
    }
  });

  const slots = module._slots();
  const names = new Set(slots.map((s) => s.name));
  const unexpected = [...given.keys()].filter((n) => !names.has(n));
  if (unexpected.length) {
    throw new Error(`${op}: unexpected key(s) ${quote(unexpected)}: the module has no such parameter or buffer (it has ${quote([...names])})`);
  }
  if (opts.strict) {
    const missing = [...names].filter((n) => !given.has(n));
    if (missing.length) throw new Error(`${op}: missing key(s) ${quote(missing)} (strict: every parameter and buffer must be given)`);
  }

  // what each slot gets: its own given value, or (tied weights) the value given for a slot holding the same tensor
  const byOriginal = new Map<Tensor, [string, Tensor]>();
  if (opts.tieWeights ?? true) {
    for (const s of slots) {
      const t = given.get(s.name);
      if (!t) continue;
      const prev = byOriginal.get(s.value);
      if (prev && prev[1] !== t) {
        throw new Error(`${op}: "${prev[0]}" and "${s.name}" are tied (the same tensor in the module) but were given different values; give one of them, or pass {tieWeights: false}`);
      }
      byOriginal.set(s.value, [s.name, t]);
    }
  }
  const plan: [Slot, Tensor][] = [];
  for (const s of slots) {
    const t = given.get(s.name) ?? byOriginal.get(s.value)?.[1];
    if (t) plan.push([s, t]);
  }

  const saved: [Record<string, unknown>, string, unknown][] = [];
  try {
    for (const [s, t] of plan) {
      const owner = s.owner as unknown as Record<string, unknown>;
      saved.push([owner, s.field, owner[s.field]]);
      owner[s.field] = t;
    }
    const argList = Array.isArray(args) ? args : [args];
    return (module.call as (...a: unknown[]) => unknown)(...argList);
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [owner, field, value] = saved[i];
      owner[field] = value;
    }
  }
}

/**
 * Stack the parameters and buffers of several modules of the same architecture along a new
 * leading dim: returns [params, buffers], objects of name -> stacked tensor. Stacked parameters
 * are new leaves that require grad when the originals do (they do not share storage with them).
 */
export function stackModuleState(modules: readonly Module[]): [NamedTensors, NamedTensors] {
  const op = "stackModuleState";
  if (!Array.isArray(modules) || modules.length === 0) throw new Error(`${op}: expected a non-empty array of modules`);
  modules.forEach((m, i) => {
    if (!(m instanceof Module)) throw new Error(`${op}: modules[${i}] is not an nn.Module`);
  });
  const training = modules[0].training;
  if (modules.some((m) => m.training !== training)) throw new Error(`${op}: expected all models to have the same training/eval mode`);
  const collect = (kind: "params" | "buffers"): NamedTensors => {
    const lists: [string, Tensor][][] = modules.map((m) => (kind === "params" ? m.namedParameters() : m.namedBuffers()));
    const first = lists[0];
    lists.forEach((l, i) => {
      const same = l.length === first.length && l.every(([n, t], j) => n === first[j][0] && t.dtype === first[j][1].dtype && t.shape.length === first[j][1].shape.length && t.shape.every((d, k) => d === first[j][1].shape[k]));
      if (!same) {
        throw new Error(`${op}: modules[${i}] has different ${kind === "params" ? "parameters" : "buffers"} from modules[0] (names, shapes or dtypes differ): ${describeList(l)} vs ${describeList(first)}`);
      }
    });
    const out: NamedTensors = {};
    first.forEach(([name, t0], j) => {
      const stacked = withGradMode(false, () => stack(lists.map((l) => l[j][1]), 0));
      if (kind === "params" && t0.requiresGrad) stacked.requiresGrad_(true);
      out[name] = stacked;
    });
    return out;
  };
  return [collect("params"), collect("buffers")];
}

function describeList(l: [string, Tensor][]): string {
  return `[${l.map(([n, t]) => `${n}: [${t.shape.join(", ")}]`).join(", ")}]`;
}

/**
 * Make every BatchNorm in `root` (in place) use batch statistics always: its running statistics
 * are removed (set to null) and trackRunningStats turned off, so it works under vmap in
 * training mode (torch.func.replace_all_batch_norm_modules_). Returns root.
 */
export function replaceAllBatchNormModules_<M extends Module>(root: M): M {
  if (!(root instanceof Module)) throw new Error("replaceAllBatchNormModules_: expected an nn.Module");
  for (const m of root.modules()) {
    if (!isBatchNorm(m)) continue;
    m.runningMean = null;
    m.runningVar = null;
    m.numBatchesTracked = null;
    m.trackRunningStats = false;
  }
  return root;
}
