/**
 * The level stack and `bind`. Each active transform call is a Level; the values it carries are
 * Tracers of that level. `bind` hands a primitive to the innermost level whose tracers appear in
 * the inputs; that level applies its rule, which binds again on the level below. At the bottom
 * the kernel runs (and tape autograd records, if an input requires grad).
 */
import { Node } from "./node.js";
import type { Primitive } from "./primitive.js";
import { Tensor } from "./tensor.js";
import type { DType } from "./dtype.js";
import { isFloat } from "./dtype.js";
import type { Shape } from "./shape.js";

export abstract class Level {
  active = true;
  constructor(readonly depth: number, readonly transform: string) {}
  abstract process(prim: Primitive, args: Tensor[], params: unknown): Tensor;
  /** Only vmap levels take random primitives that have no batched input. */
  takesRandom(): boolean {
    return false;
  }
}

export abstract class Tracer extends Tensor {
  constructor(readonly level: Level, shape: Shape, dtype: DType) {
    super(shape, dtype, null, [], 0);
  }
}

const stack: Level[] = [];
/** While a level runs a rule, binds go to levels strictly below it. */
let ceiling = Infinity;

export function withLevel<L extends Level, R>(make: (depth: number) => L, body: (level: L) => R): R {
  const level = make(stack.length);
  stack.push(level);
  try {
    return body(level);
  } finally {
    level.active = false;
    stack.pop();
  }
}

/** The level of `x` if x is a live tracer of exactly `level`. */
export function isTracerOf(x: unknown, level: Level): boolean {
  return x instanceof Tracer && x.level === level;
}

export function bind(prim: Primitive, args: Tensor[], params: unknown): Tensor {
  let top: Level | null = null;
  for (const a of args) {
    if (a instanceof Tracer) {
      const l = a.level;
      if (!l.active) {
        throw new Error(`${prim.name}: a value from a finished ${l.transform} call was used outside it (a tracer escaped, e.g. stored in a global); return it from the transformed function instead`);
      }
      if (l.depth < ceiling && (top === null || l.depth > top.depth)) top = l;
    }
  }
  if (prim.random) {
    for (let d = Math.min(stack.length, ceiling) - 1; d > (top ? top.depth : -1); d--) {
      if (stack[d].takesRandom()) { top = stack[d]; break; }
    }
  }
  if (top === null) return evaluate(prim, args, params);
  const saved = ceiling;
  ceiling = top.depth;
  try {
    return top.process(prim, args, params);
  } finally {
    ceiling = saved;
  }
}

// ---- the bottom: kernels, and tape autograd recording ----

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn with tape recording on or off (noGrad / enableGrad). */
export function withGradMode<R>(enabled: boolean, fn: () => R): R {
  const saved = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}

/**
 * Reverse-mode levels (grad, vjp, jacrev) below this depth do not record: those entered before
 * an active noGrad see what it computes as constants, as torch.func's grad respects an inner
 * torch.no_grad, while levels entered inside it work as usual. (Forward mode ignores noGrad, as
 * PyTorch's does.)
 */
let reversePausedBelow = 0;

export function reverseModePaused(level: Level): boolean {
  return level.depth < reversePausedBelow;
}

/** Run fn with reverse-mode recording paused for the levels active now, or resumed for all. */
export function withReverseMode<R>(enabled: boolean, fn: () => R): R {
  const saved = reversePausedBelow;
  reversePausedBelow = enabled ? 0 : stack.length;
  try {
    return fn();
  } finally {
    reversePausedBelow = saved;
  }
}

function evaluate(prim: Primitive, args: Tensor[], params: unknown): Tensor {
  const out = prim.impl(args, params);
  if (gradEnabled && prim.vjp !== "nonDifferentiable" && isFloat(out.dtype)) {
    let parents: (Node | null)[] | null = null;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!a.requiresGrad) continue;
      parents ??= new Array<Node | null>(args.length).fill(null);
      parents[i] = a.gradFn ?? (a.gradAccumulator ??= Node.leafOf(a));
    }
    if (parents) {
      out.requiresGrad = true;
      out.gradFn = new Node(prim, args, params, out, parents);
    }
  }
  return out;
}
