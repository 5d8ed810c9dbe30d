/**
 * A primitive is everything tfunc knows about one operation: its kernel and the rule each
 * transform uses. Every field is required, so adding a primitive forces a decision on each rule
 * (a rule, or the named opt-out "nonDifferentiable"). Rules are written with ops, so they can
 * themselves be transformed: that is what makes transforms compose to any depth.
 */
import type { Tensor } from "./tensor.js";

export type Randomness = "error" | "different" | "same";

export interface BatchContext {
  readonly axisSize: number;
  readonly randomness: Randomness;
}

/** A batching rule returns the result and where its batch dim is (null: not batched). */
export type BatchResult = [Tensor, number | null];

export interface SampleInput<P> {
  args: Tensor[];
  params: P;
  /** indices of args that are differentiable (default: every float arg) */
  diffArgs?: number[];
}

export interface Primitive<P = any> {
  readonly name: string;
  /** Evaluate on concrete tensors. */
  impl(args: Tensor[], params: P): Tensor;
  /** Tangent of the output from input tangents (null: a symbolic zero). */
  jvp: ((primals: Tensor[], tangents: (Tensor | null)[], params: P, out: Tensor) => Tensor | null) | "nonDifferentiable";
  /**
   * Cotangent of each input from the output cotangent (null: zero / not differentiable).
   * `needed[i]` is false when input i's cotangent would be discarded (it is not differentiated):
   * the rule may return null there and skip the work (PyTorch's needs_input_grad).
   */
  vjp: ((g: Tensor, primals: Tensor[], params: P, out: Tensor, needed: readonly boolean[]) => (Tensor | null)[]) | "nonDifferentiable";
  /** Apply to batched values whose batch dims are `dims` (null: that input is not batched). */
  batch(args: Tensor[], dims: (number | null)[], params: P, ctx: BatchContext): BatchResult;
  /** Sample inputs (float64) for the generic rule-checking harness. */
  samples(): SampleInput<P>[];
  /** Draws random numbers: routed to the innermost vmap even without batched inputs. */
  readonly random?: boolean;
}

export const registry: Primitive[] = [];

export function definePrimitive<P>(p: Primitive<P>): Primitive<P> {
  registry.push(p as Primitive);
  return p;
}
