/** Losses: nllLoss, crossEntropy (with label smoothing and probability targets) and mseLoss. */
import { type DType, isFloat } from "../../core/dtype.js";
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { checkTensor } from "../convert.js";
import { add, div, mul, ne, neg, sub, where } from "../elementwise.js";
import { indexSelect } from "../indexing.js";
import { sum } from "../reduce.js";
import { logSoftmax } from "./activation.js";
import { castOpt, channelView, checkReduction, floatDType, type Optional, type Reduction, reduceLoss } from "./common.js";
import { checkOptions } from "../../core/options.js";

export interface NllLossOptions {
  reduction?: Reduction;
  /** Targets equal to this contribute nothing (and do not count in the mean). Default -100. */
  ignoreIndex?: number;
  /** A weight per class, [C]. */
  weight?: Optional;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 - s) * target + s / C. */
  labelSmoothing?: number;
}

/** Input [N, C, d1, ...] has its classes at dim 1; an unbatched [C] at dim 0. */
const classDim = (input: Tensor): number => (input.ndim === 1 ? 0 : 1);

/** Checks shared by nllLoss and crossEntropy with class-index targets. */
function checkClassTarget(op: string, input: Tensor, target: Tensor, ignoreIndex: number): void {
  checkTensor(target, op, "target");
  if (target.dtype !== "int32") throw new Error(`${op}: expected an int32 target of class indices, got dtype ${target.dtype} (shape ${shapeStr(target.shape)})`);
  const cd = classDim(input), C = input.shape[cd];
  const expected = input.shape.filter((_, i) => i !== cd);
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`${op}: expected target of shape ${shapeStr(expected)} (input ${shapeStr(input.shape)} without its class dim ${cd}), got ${shapeStr(target.shape)}`);
  }
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  // values can only be checked on concrete targets (not on a batched target inside vmap)
  if (target.storage) {
    for (const t of target.toTypedArray()) {
      if (t !== ignoreIndex && (t < 0 || t >= C)) throw new Error(`${op}: target ${t} is out of bounds for ${C} classes (input ${shapeStr(input.shape)})`);
    }
  }
}

function checkInputAndWeight(op: string, input: Tensor, weight: Optional, extra: [string, Optional][] = []): DType {
  const dtype = floatDType(op, [["input", input], ["weight", weight], ...extra]);
  if (input.ndim === 0) throw new Error(`${op}: expected input of shape [N, C, ...] or [C], got a 0-d tensor`);
  const C = input.shape[classDim(input)];
  if (weight !== null && weight !== undefined && (weight.ndim !== 1 || weight.shape[0] !== C)) {
    throw new Error(`${op}: expected weight of shape [${C}] (one per class of input ${shapeStr(input.shape)}), got ${shapeStr(weight.shape)}`);
  }
  return dtype;
}

/** The weight each target counts with: weight[t] (or 1), and 0 where t is ignored. */
function targetWeights(target: Tensor, valid: Tensor, weight: Tensor | null, dtype: DType): Tensor {
  const mask = lax.cast(valid, dtype);
  if (!weight) return mask;
  const safe = where(valid, target, 0);
  return mul(lax.reshape(indexSelect(weight, 0, lax.reshape(safe, [safe.numel])), target.shape), mask);
}

/**
 * Per-element -w[t] * logp[t] (0 where ignored), reduced; "mean" divides by the total weight of
 * the targets that count, as PyTorch does. `pick(index)` gives logp at index along the class dim
 * (index of size 1 there): a gather of log-probabilities, or crossEntropy's fused logSoftmaxGather of logits.
 */
function nllCore(input: Tensor, pick: (index: Tensor) => Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, reduction: Reduction): Tensor {
  const cd = classDim(input);
  const valid = ne(target, ignoreIndex);
  // ignored targets pick a valid class 0 and are then weighted by 0
  const index = lax.reshape(where(valid, target, 0), [...target.shape.slice(0, cd), 1, ...target.shape.slice(cd)]);
  const picked = lax.reshape(pick(index), target.shape);
  const w = targetWeights(target, valid, weight, input.dtype);
  const losses = neg(mul(picked, w));
  if (reduction === "none") return losses;
  return reduction === "sum" ? sum(losses) : div(sum(losses), sum(w));
}

/** Negative log likelihood of int32 class targets under log-probabilities input [N, C, ...] or [C]. */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  checkOptions("nllLoss", opts, { reduction: true, ignoreIndex: true, weight: true });
  const dtype = checkInputAndWeight("nllLoss", input, opts.weight);
  const reduction = checkReduction(opts.reduction ?? "mean", "nllLoss");
  const ignoreIndex = opts.ignoreIndex ?? -100;
  checkClassTarget("nllLoss", input, target, ignoreIndex);
  const logp = lax.cast(input, dtype);
  return nllCore(logp, (index) => lax.gather(logp, classDim(logp), index), target, castOpt(opts.weight, dtype), ignoreIndex, reduction);
}

/**
 * Cross entropy of logits input [N, C, ...] or [C] against int32 class indices (shape of input
 * without dim 1) or float class probabilities (shape of input), with PyTorch's label smoothing.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  checkOptions(op, opts, { reduction: true, ignoreIndex: true, weight: true, labelSmoothing: true });
  checkTensor(target, op, "target");
  const probs = isFloat(target.dtype);
  const dtype = checkInputAndWeight(op, input, opts.weight, probs ? [["target", target]] : []);
  const reduction = checkReduction(opts.reduction ?? "mean", op);
  const smoothing = opts.labelSmoothing ?? 0;
  if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing <= 1)) throw new Error(`${op}: labelSmoothing must be a number in [0, 1], got ${smoothing}`);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (probs) {
    if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
      throw new Error(`${op}: expected a probability target with the input's shape ${shapeStr(input.shape)}, got ${shapeStr(target.shape)}`);
    }
    if (ignoreIndex !== -100) throw new Error(`${op}: ignoreIndex is not supported with probability (float) targets`);
  } else {
    checkClassTarget(op, input, target, ignoreIndex);
  }
  const logits = lax.cast(input, dtype), cd = classDim(input);
  const weight = castOpt(opts.weight, dtype);
  // class indices without smoothing need logSoftmax only at the targets: one fused pass
  if (!probs && smoothing === 0) return nllCore(logits, (index) => lax.logSoftmaxGather(logits, cd, index), target, weight, ignoreIndex, reduction);
  const logp = logSoftmax(logits, cd);
  if (probs) return softTargetLoss(logp, lax.cast(target, dtype), weight, smoothing, reduction);
  const nll = nllCore(logp, (index) => lax.gather(logp, cd, index), target, weight, ignoreIndex, reduction);
  // PyTorch: (1 - s) * nll + s / C * (the loss against a uniform target)
  const uniform = uniformTargetLoss(logp, target, weight, ignoreIndex, reduction);
  return add(mul(nll, 1 - smoothing), mul(uniform, smoothing / logp.shape[classDim(logp)]));
}

/**
 * Label smoothing's second term (PyTorch's): -sum_c w_c * logp_c per element, 0 where ignored;
 * "mean" divides by the same total target weight as the nll term.
 */
function uniformTargetLoss(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, reduction: Reduction): Tensor {
  const cd = classDim(logp);
  const valid = ne(target, ignoreIndex);
  const weighted = weight ? mul(logp, lax.expand(channelView(weight, logp.ndim, cd), logp.shape)) : logp;
  const losses = where(valid, neg(sum(weighted, cd)), 0);
  if (reduction === "none") return losses;
  if (reduction === "sum") return sum(losses);
  return div(sum(losses), sum(targetWeights(target, valid, weight, logp.dtype)));
}

/** -sum_c w_c * target_c * logp_c; "mean" divides by the number of samples (not by weights). */
function softTargetLoss(logp: Tensor, target: Tensor, weight: Tensor | null, smoothing: number, reduction: Reduction): Tensor {
  const cd = classDim(logp), C = logp.shape[cd];
  const t = smoothing > 0 ? add(mul(target, 1 - smoothing), smoothing / C) : target;
  let prod = mul(logp, t);
  if (weight) prod = mul(prod, lax.expand(channelView(weight, logp.ndim, cd), logp.shape));
  const losses = neg(sum(prod, cd));
  if (reduction === "none") return losses;
  return reduction === "sum" ? sum(losses) : div(sum(losses), logp.numel / C);
}

/** Mean squared error; shapes broadcast (PyTorch warns when they differ). */
export function mseLoss(a: Tensor, b: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkOptions("mseLoss", opts, { reduction: true });
  floatDType("mseLoss", [["input", a], ["target", b]]);
  const reduction = checkReduction(opts.reduction ?? "mean", "mseLoss");
  const diff = sub(a, b);
  return reduceLoss(mul(diff, diff), reduction);
}
