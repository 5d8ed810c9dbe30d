/**
 * Tape autograd (torch.autograd): `y.backward()`, `autograd.grad`, `noGrad`, `enableGrad`.
 *
 * Recording happens in core/trace.ts `evaluate`: every primitive that runs on concrete tensors
 * with an input that requires grad gets a Node (`out.gradFn`); a leaf that requires grad gets an
 * accumulator node (`leaf.gradAccumulator`) the first time it enters a graph. Both functions here
 * walk that graph with the backward pass the grad transform uses (autograd/backward.ts). The vjp
 * rules bind ops, so
 * - without createGraph the pass runs under no-grad and its results are plain tensors;
 * - with createGraph it records, so gradients have a gradFn (second derivatives);
 * - a batched cotangent (autograd.grad inside vmap) flows through the rules as a BatchTracer.
 */
import { backwardPass } from "./backward.js";
import { isFloat } from "../core/dtype.js";
import { Node } from "../core/node.js";
import { sameShape, shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { isGradEnabled, Tracer, withGradMode, withReverseMode } from "../core/trace.js";
import { scalar } from "../primitives/kernel.js";
import * as lax from "../primitives/lax.js";
import { checkOptions } from "../core/options.js";

export interface BackwardOptions {
  /** Keep the graph's saved values so it can be walked again (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  createGraph?: boolean;
  /** Accumulate only into these leaves (torch's `inputs=`); default: every leaf reached. */
  inputs?: Tensor | readonly Tensor[];
}

export interface GradOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Return null (instead of throwing) for an input the outputs do not depend on. */
  allowUnused?: boolean;
  /** With allowUnused, return zeros instead of null for unused inputs (torch's materialize_grads). */
  materializeGrads?: boolean;
}

type Tensors = Tensor | readonly Tensor[];
type MaybeTensors = Tensor | null | undefined | readonly (Tensor | null | undefined)[];

const freedMessage = (op: string) =>
  `${op}: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed); pass {retainGraph: true} to the first call`;

function asList<T>(x: T | readonly T[]): T[] {
  return Array.isArray(x) ? [...(x as readonly T[])] : [x as T];
}

function checkTensorArg(x: unknown, op: string, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${x === null ? "null" : typeof x}`);
  return x;
}

/** The graph node standing for tensor t (its gradFn, or its accumulator if it is a leaf requiring grad). */
function nodeOf(t: Tensor): Node | null {
  if (t.gradFn) return t.gradFn;
  if (t.requiresGrad) return (t.gradAccumulator ??= Node.leafOf(t));
  return null;
}

/** Roots and their cotangents, with PyTorch's checks (implicit ones only for one-element outputs). */
function seed(outputs: Tensor[], grads: (Tensor | null | undefined)[], op: string): [Node[], Tensor[]] {
  if (grads.length !== outputs.length) {
    throw new Error(`${op}: got ${grads.length} gradients for ${outputs.length} outputs; give one gradient per output (or none for scalar outputs)`);
  }
  const roots: Node[] = [], cts: Tensor[] = [];
  outputs.forEach((y, i) => {
    const what = outputs.length === 1 ? "the output" : `output ${i}`;
    const node = nodeOf(y);
    if (!node && y instanceof Tracer) {
      throw new Error(`${op}: ${what} is a transformed value (a tracer of vmap/grad/jvp), which the tape does not record; inside transforms use the grad/vjp transforms, or record the graph outside and call autograd.grad on it inside (as vmap over autograd.grad does)`);
    }
    if (!node) {
      throw new Error(`${op}: ${what} does not require grad and has no gradFn; it was not computed from a tensor with requiresGrad (or was computed under noGrad / detached)`);
    }
    let g = grads[i];
    if (g === null || g === undefined) {
      if (y.numel !== 1) {
        throw new Error(`${op}: grad can be implicitly created only for scalar outputs; pass a gradient of shape ${shapeStr(y.shape)}`);
      }
      g = lax.expand(scalar(1, y.dtype), y.shape);
    } else {
      checkTensorArg(g, op, `the gradient for ${what}`);
      if (!sameShape(g.shape, y.shape)) {
        throw new Error(`${op}: mismatch in shape: the gradient for ${what} has shape ${shapeStr(g.shape)} but ${what} has shape ${shapeStr(y.shape)}`);
      }
      g = lax.cast(g, y.dtype);
    }
    roots.push(node);
    cts.push(g);
  });
  return [roots, cts];
}

const retained = new WeakSet<Tensor>();

/** The leaf accumulator nodes reachable from the roots, and the nodes of non-leaves that called retainGrad(). */
function reachableLeaves(roots: Node[]): Node[] {
  const seen = new Set<Node>(roots);
  const stack = [...roots];
  const leaves: Node[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.leaf || (n.prim && retained.has(n.out) && n.out.gradFn === n)) leaves.push(n);
    for (const p of n.parents) if (p && !seen.has(p)) { seen.add(p); stack.push(p); }
  }
  return leaves;
}

/** A gradient the leaf can own: contiguous storage nobody else holds (a copy of the elements). */
function ownedCopy(g: Tensor): Tensor {
  return g.storage ? new Tensor(g.shape, g.dtype, g.toTypedArray()) : g;
}

/**
 * Compute the gradients of `tensors` (seeded with `gradTensors`) and accumulate them into the
 * `.grad` of the leaves (torch.autograd.backward). Also available as `y.backward(gradient?, opts?)`.
 */
export function backward(tensors: Tensors, gradTensors?: MaybeTensors, opts: BackwardOptions = {}): void {
  const op = "backward";
  checkOptions(op, opts, { retainGraph: true, createGraph: true, inputs: true });
  const outputs = asList<Tensor>(tensors as Tensor | readonly Tensor[]).map((t, i) => checkTensorArg(t, op, `output ${i}`));
  const grads = gradTensors === undefined || gradTensors === null ? outputs.map(() => null) : asList(gradTensors as Tensor | null | readonly (Tensor | null)[]);
  const createGraph = !!opts.createGraph;
  const retainGraph = opts.retainGraph ?? createGraph;
  withGradMode(createGraph, () => {
    const [roots, cts] = seed(outputs, grads, op);
    let leafNodes: Node[];
    if (opts.inputs !== undefined) {
      const ins = asList<Tensor>(opts.inputs as Tensor | readonly Tensor[]);
      if (ins.length === 0) throw new Error(`${op}: inputs must not be empty`);
      leafNodes = ins.map((t, i) => {
        checkTensorArg(t, op, `inputs[${i}]`);
        if (!t.requiresGrad) throw new Error(`${op}: inputs[${i}] does not require grad`);
        return t.gradFn ?? (t.gradAccumulator ??= Node.leafOf(t));
      });
    } else {
      leafNodes = reachableLeaves(roots);
    }
    const result = backwardPass(roots, cts, new Set(leafNodes), { retainGraph, freedMessage: freedMessage(op) });
    const updates: [Tensor, Tensor][] = [];
    for (const n of leafNodes) {
      const g = result.get(n);
      if (!g) continue;
      if (g instanceof Tracer) {
        throw new Error(`${op}: the gradient of a leaf is a transformed value (backward() was called inside vmap/grad with a transformed gradient); use autograd.grad inside transforms, which returns the gradients instead of storing them in .grad`);
      }
      updates.push([n.leaf ?? n.out, g]);
    }
    for (const [leaf, g] of updates) {
      if (leaf.grad === null) leaf.grad = createGraph ? g : ownedCopy(g);
      else leaf.grad = lax.add(leaf.grad, lax.cast(g, leaf.grad.dtype));
    }
  });
}

/**
 * The gradients of `outputs` with respect to `inputs` (torch.autograd.grad), one per input.
 * Nothing is accumulated into `.grad`. Works inside vmap (batched gradOutputs) and other transforms.
 */
export function grad(outputs: Tensors, inputs: Tensors, gradOutputs?: MaybeTensors, opts?: GradOptions & { allowUnused?: false }): Tensor[];
export function grad(outputs: Tensors, inputs: Tensors, gradOutputs?: MaybeTensors, opts?: GradOptions): (Tensor | null)[];
export function grad(outputs: Tensors, inputs: Tensors, gradOutputs?: MaybeTensors, opts: GradOptions = {}): (Tensor | null)[] {
  const op = "autograd.grad";
  checkOptions(op, opts, { retainGraph: true, createGraph: true, allowUnused: true, materializeGrads: true });
  const outs = asList<Tensor>(outputs as Tensor | readonly Tensor[]).map((t, i) => checkTensorArg(t, op, `outputs[${i}]`));
  const ins = asList<Tensor>(inputs as Tensor | readonly Tensor[]).map((t, i) => checkTensorArg(t, op, `inputs[${i}]`));
  if (outs.length === 0) throw new Error(`${op}: outputs must not be empty`);
  if (ins.length === 0) throw new Error(`${op}: inputs must not be empty`);
  const grads = gradOutputs === undefined || gradOutputs === null ? outs.map(() => null) : asList(gradOutputs as Tensor | null | readonly (Tensor | null)[]);
  const createGraph = !!opts.createGraph;
  const retainGraph = opts.retainGraph ?? createGraph;
  const inNodes = ins.map((t, i) => {
    if (!t.requiresGrad) {
      throw new Error(`${op}: inputs[${i}] does not require grad; call requiresGrad_() on it (or create it with {requiresGrad: true}) before computing the outputs`);
    }
    if (!isFloat(t.dtype)) throw new Error(`${op}: inputs[${i}] has dtype ${t.dtype}; only floating-point tensors have gradients`);
    return t.gradFn ?? t.gradAccumulator;
  });
  return withGradMode(createGraph, () => {
    const [roots, cts] = seed(outs, grads, op);
    const wanted = new Set(inNodes.filter((n): n is Node => n !== null));
    const result = backwardPass(roots, cts, wanted, { retainGraph, freedMessage: freedMessage(op) });
    return inNodes.map((n, i) => {
      const g = n ? result.get(n) : undefined;
      if (g) return g;
      if (!opts.allowUnused) {
        throw new Error(`${op}: inputs[${i}] appears to not have been used in the graph of the outputs; pass {allowUnused: true} if this is the desired behavior (its gradient is then null)`);
      }
      return opts.materializeGrads ? lax.zerosLike(ins[i]) : null;
    });
  });
}

/**
 * Run fn with tape recording off: results do not require grad (torch.no_grad). Inside grad, vjp
 * or jacrev, what fn computes is a constant for them too (torch.func's rule); jvp and jacfwd ignore it.
 */
export function noGrad<R>(fn: () => R): R {
  return withGradMode(false, () => withReverseMode(false, fn));
}

/** Run fn with tape recording on, e.g. inside noGrad (torch.enable_grad). */
export function enableGrad<R>(fn: () => R): R {
  return withGradMode(true, () => withReverseMode(true, fn));
}

/** Run fn with recording on or off (torch.set_grad_enabled as a scope). */
export function setGradEnabled<R>(enabled: boolean, fn: () => R): R {
  return withGradMode(!!enabled, () => withReverseMode(!!enabled, fn));
}

export { isGradEnabled };

declare module "../core/tensor.js" {
  interface Tensor {
    /**
     * Accumulate the gradient of this tensor into the `.grad` of the leaves it was computed from
     * (torch.Tensor.backward). A non-scalar needs `gradient` of its shape.
     */
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    /** Make backward() fill this non-leaf tensor's .grad too (torch.Tensor.retain_grad). */
    retainGrad(): void;
    /** Whether backward() fills .grad of this tensor (leaves requiring grad, and retainGrad() non-leaves). */
    readonly retainsGrad: boolean;
  }
}

Object.defineProperty(Tensor.prototype, "backward", {
  value: function (this: Tensor, gradient?: Tensor | null, opts?: BackwardOptions) {
    backward(this, gradient ?? null, opts ?? {});
  },
  writable: true, configurable: true,
});

Object.defineProperty(Tensor.prototype, "retainGrad", {
  value: function (this: Tensor) {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain the gradient of a tensor that does not require grad");
    if (this.gradFn) retained.add(this);
  },
  writable: true, configurable: true,
});
Object.defineProperty(Tensor.prototype, "retainsGrad", {
  get(this: Tensor) { return this.gradFn ? retained.has(this) : this.requiresGrad; },
  configurable: true,
});
