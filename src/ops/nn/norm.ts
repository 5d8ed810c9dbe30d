/** Normalisation: layerNorm and batchNorm (with in-place running statistics). */
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { add, mul, neg, rsqrt, sub } from "../elementwise.js";
import { mean } from "../reduce.js";
import { ones, zeros } from "../creation.js";
import { castOpt, channelView, floatDType, type Optional } from "./common.js";
import { checkOptions } from "../../core/options.js";
import { storageWritten } from "../../core/storage.js";

/** Normalise over the trailing dims normalizedShape with biased variance, then scale and shift. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], w?: Optional, b?: Optional, opts: { eps?: number } = {}): Tensor {
  const op = "layerNorm";
  checkOptions(op, opts, { eps: true });
  const dtype = floatDType(op, [["input", x], ["weight", w], ["bias", b]]);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: normalizedShape must be a non-negative integer or an array of them, got ${JSON.stringify(normalizedShape)}`);
  }
  const k = shape.length, tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.some((s, i) => s !== shape[i])) {
    throw new Error(`${op}: given normalizedShape ${shapeStr(shape)}, expected input of shape [*, ${shape.join(", ")}], got ${shapeStr(x.shape)}`);
  }
  for (const [what, t] of [["weight", w], ["bias", b]] as const) {
    if (t && (t.ndim !== k || t.shape.some((s, i) => s !== shape[i]))) {
      throw new Error(`${op}: expected ${what} of shape ${shapeStr(shape)} (normalizedShape), got ${shapeStr(t.shape)}`);
    }
  }
  // the normalized dims as one row (a view when contiguous), normalized, scaled and shifted by one primitive
  const lead = x.shape.slice(0, x.ndim - k), m = tail.reduce((a, v) => a * v, 1);
  const rows = lax.reshape(lax.cast(x, dtype), [...lead, m]);
  // a missing weight or bias (of an affine pair) is a row of ones or zeros, read from cache at no cost
  const [wc, bc] = [castOpt(w, dtype), castOpt(b, dtype)];
  const asRows = (t: Tensor): Tensor => lax.expand(lax.reshape(t, [m]), rows.shape);
  const scaleShift: [Tensor, Tensor] | undefined = wc || bc ? [asRows(wc ?? ones([m], { dtype })), asRows(bc ?? zeros([m], { dtype }))] : undefined;
  return lax.reshape(lax.layerNorm(rows, lead.length, opts.eps ?? 1e-5, scaleShift), x.shape);
}

/**
 * batchNorm's (x - mean) / sqrt(var + eps) over axes (biased var); also returns the mean and var
 * (keepdim), which its running statistics need. (layerNorm's is the layerNorm primitive.)
 * x + (-mean): the same values as x - mean, and the gradient negates the mean's small cotangent
 * rather than a full-size one.
 */
function normalize(x: Tensor, axes: number[], eps: number): [Tensor, Tensor, Tensor] {
  const mu = mean(x, axes, true);
  const centered = add(x, neg(mu));
  const v = mean(mul(centered, centered), axes, true);
  return [mul(centered, rsqrt(add(v, eps))), mu, v];
}

/** y * w + b with w and b broadcast against y's trailing dims (either may be absent). */
function affine(y: Tensor, w: Tensor | null, b: Tensor | null): Tensor {
  let out = y;
  if (w) out = lax.mul(out, lax.expand(w, out.shape));
  if (b) out = lax.add(out, lax.expand(b, out.shape));
  return out;
}

export interface BatchNormOptions { training?: boolean; momentum?: number; eps?: number }

/**
 * Batch normalisation over every dim but the channel dim 1 of x [N, C, ...].
 *
 * Evaluation (training = false) normalises with the running statistics. Training normalises
 * with the batch mean and biased variance and, like PyTorch, updates the running statistics in
 * place: running = (1 - momentum) * running + momentum * batchStat (unbiased variance). tfunc
 * tensors are values, so the update is written into the running tensors' storage, and only
 * when there is one concrete value to write: the running tensors must be concrete, and the
 * batch statistics concrete too (under grad/jvp their primal values are used; under vmap the
 * statistics differ per example, so no update happens). Inside transforms, compute updated
 * statistics explicitly if you need them as values.
 */
export function batchNorm(x: Tensor, runningMean: Optional, runningVar: Optional, w?: Optional, b?: Optional, opts: BatchNormOptions = {}): Tensor {
  const op = "batchNorm";
  checkOptions(op, opts, { training: true, momentum: true, eps: true });
  const dtype = floatDType(op, [["input", x], ["weight", w], ["bias", b]]);
  floatDType(op, [["runningMean", runningMean], ["runningVar", runningVar]]); // may be of another float dtype
  if (x.ndim < 2) throw new Error(`${op}: expected input of shape [N, C, ...] with at least 2 dims, got ${shapeStr(x.shape)}`);
  const C = x.shape[1];
  const named: [string, Optional][] = [["runningMean", runningMean], ["runningVar", runningVar], ["weight", w], ["bias", b]];
  for (const [what, t] of named) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new Error(`${op}: expected ${what} of shape [${C}] (one per channel of input ${shapeStr(x.shape)}), got ${shapeStr(t.shape)}`);
  }
  const training = opts.training ?? false, momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  if (!training && (!runningMean || !runningVar)) {
    throw new Error(`${op}: runningMean and runningVar are required when training is false (evaluation normalises with them)`);
  }
  if (typeof momentum !== "number" || !Number.isFinite(momentum)) throw new Error(`${op}: momentum must be a finite number, got ${momentum}`);
  const xf = lax.cast(x, dtype);
  const view = (t: Tensor | null): Tensor | null => (t ? channelView(t, x.ndim) : null);
  let y: Tensor;
  if (training) {
    const n = x.numel / C;
    if (n <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input of shape ${shapeStr(x.shape)}`);
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const [normed, mu, v] = normalize(xf, axes, eps);
    y = normed;
    updateRunning(runningMean, mu, momentum, 1);
    updateRunning(runningVar, v, momentum, n / (n - 1));
  } else {
    const rm = view(castOpt(runningMean, dtype))!, rv = view(castOpt(runningVar, dtype))!;
    y = mul(sub(xf, rm), rsqrt(add(rv, eps)));
  }
  return affine(y, view(castOpt(w, dtype)), view(castOpt(b, dtype)));
}

/** running <- (1 - momentum) * running + momentum * stat * scale, in running's storage (see batchNorm). */
function updateRunning(running: Optional, stat: Tensor, momentum: number, scale: number): void {
  if (!running || !running.storage) return;
  let value: Tensor;
  try {
    value = stat.concrete("batchNorm running statistics");
  } catch {
    return; // a batched value under vmap: no single statistic to store
  }
  const s = value.toTypedArray();
  const { storage: data, offset, strides } = running;
  for (let i = 0; i < s.length; i++) {
    const at = offset + i * strides[0];
    data[at] = (1 - momentum) * data[at] + momentum * s[i] * scale;
  }
  storageWritten(data);
}
