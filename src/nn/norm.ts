/** Normalisation layers: BatchNorm1d, BatchNorm2d (with running statistics) and LayerNorm. */
import type { DType } from "../core/dtype.js";
import { Tensor } from "../core/tensor.js";
import { withGradMode } from "../core/trace.js";
import { stopGradient } from "../ops/autograd_ops.js";
import { empty } from "./util.js";
import * as F from "../ops/nn/index.js";
import { Buffer, Module, Parameter } from "./module.js";
import { copyInto_, ones_, zeros_ } from "./init.js";
import { checkFloatDType, checkInt, pyBool, pyFloat, pySize } from "./common.js";
import { checkOptions } from "../core/options.js";

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average; null for a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * Batch normalisation over the channel dim 1. In training mode it normalises with the batch's
 * statistics and (with trackRunningStats) updates runningMean / runningVar in place:
 * running = (1 - momentum) * running + momentum * batchStat, with the unbiased batch variance.
 * In eval mode it uses the running statistics. With trackRunningStats = false (or after
 * replaceAllBatchNormModules_) the buffers are null and batch statistics are always used.
 *
 * Under transforms: the running statistics are updated from the concrete value of the batch
 * statistics, so grad/jvp work in training mode; under vmap the per-model statistics differ and
 * cannot be written into one buffer, so vmap needs eval mode or trackRunningStats = false
 * (torch.func's advice; see replaceAllBatchNormModules_).
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  trackRunningStats: boolean;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  runningMean: Tensor | null = null;
  runningVar: Tensor | null = null;
  numBatchesTracked: Tensor | null = null;
  constructor(readonly op: string, numFeatures: number, opts: BatchNormOptions) {
    super();
    checkOptions(op, opts, { eps: true, momentum: true, affine: true, trackRunningStats: true, dtype: true });
    this.numFeatures = checkInt(numFeatures, "numFeatures", op);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = checkFloatDType(opts.dtype, op);
    this.registerParameter("weight", this.affine ? new Parameter(ones_(empty([numFeatures], dtype))) : null);
    this.registerParameter("bias", this.affine ? new Parameter(zeros_(empty([numFeatures], dtype))) : null);
    if (this.trackRunningStats) {
      this.registerBuffer("runningMean", new Buffer(zeros_(empty([numFeatures], dtype))));
      this.registerBuffer("runningVar", new Buffer(ones_(empty([numFeatures], dtype))));
      this.registerBuffer("numBatchesTracked", new Buffer(empty([], "int32")));
    } else {
      this.registerBuffer("runningMean", null);
      this.registerBuffer("runningVar", null);
      this.registerBuffer("numBatchesTracked", null);
    }
  }

  protected abstract checkInput(x: Tensor): void;

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    if (this.runningMean) zeros_(this.runningMean);
    if (this.runningVar) ones_(this.runningVar);
    if (this.numBatchesTracked) zeros_(this.numBatchesTracked);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.op}: expected ${this.numFeatures} channels in dim 1 of the input, got input of shape [${x.shape.join(", ")}]`);
    }
    const useBatchStats = this.training || this.runningMean === null || this.runningVar === null;
    const y = F.batchNorm(x, useBatchStats ? null : this.runningMean, useBatchStats ? null : this.runningVar, this.weight, this.bias, {
      training: useBatchStats, momentum: this.momentum ?? 0, eps: this.eps,
    });
    if (this.training && this.trackRunningStats && this.runningMean && this.runningVar) this.updateRunningStats(x);
    return y;
  }

  private updateRunningStats(x: Tensor): void {
    const rm = this.runningMean!, rv = this.runningVar!;
    if (rm.storage === null || rv.storage === null) {
      throw new Error(`${this.op}: the running statistics are transformed values (tracers), so they cannot be updated in place in training mode; call eval() on the module, construct it with {trackRunningStats: false}, or use replaceAllBatchNormModules_(module) before vmap/functionalCall`);
    }
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const n = x.numel / x.shape[1];
    let mean: Tensor, varU: Tensor;
    try {
      [mean, varU] = withGradMode(false, () => {
        const xd = stopGradient(x);
        const m = xd.mean(dims);
        const v = n > 1 ? xd.var(dims) : m.mul(0);
        return [m.concrete("BatchNorm running statistics"), v.concrete("BatchNorm running statistics")];
      });
    } catch (e) {
      if (!/vmap/.test((e as Error).message)) throw e;
      throw new Error(`${this.op}: in training mode BatchNorm updates its running statistics in place, which cannot be done under vmap (each example/model has different batch statistics); call eval() on the module, construct it with {trackRunningStats: false}, or call replaceAllBatchNormModules_(module) first (torch.func's advice). (${(e as Error).message})`);
    }
    if (this.numBatchesTracked && this.numBatchesTracked.storage) copyInto_(this.numBatchesTracked, (this.numBatchesTracked.item() as number) + 1);
    const factor = this.momentum ?? (this.numBatchesTracked && this.numBatchesTracked.storage ? 1 / (this.numBatchesTracked.item() as number) : 0);
    const upd = (buf: Tensor, stat: Tensor) => {
      const b = buf.toTypedArray(), s = stat.toTypedArray();
      const out = new Float64Array(b.length);
      for (let i = 0; i < b.length; i++) out[i] = (1 - factor) * b[i] + factor * s[i];
      copyInto_(buf, new Tensor(buf.shape, "float64", out));
    };
    upd(rm, mean);
    upd(rv, varU);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? "None" : pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super("BatchNorm1d", numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super("BatchNorm2d", numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
  }
}

/** Whether m is a BatchNorm layer (1d or 2d). */
export function isBatchNorm(m: unknown): m is BatchNorm1d | BatchNorm2d {
  return m instanceof BatchNormBase;
}

export interface LayerNormOptions { eps?: number; elementwiseAffine?: boolean; bias?: boolean; dtype?: DType }

/** Normalise over the trailing normalizedShape dims; weight ones and bias zeros of that shape. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    checkOptions("LayerNorm", opts, { eps: true, elementwiseAffine: true, bias: true, dtype: true });
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape.forEach((d) => checkInt(d, "normalizedShape entries", "LayerNorm"));
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const dtype = checkFloatDType(opts.dtype, "LayerNorm");
    const affine = this.elementwiseAffine;
    this.registerParameter("weight", affine ? new Parameter(ones_(empty(this.normalizedShape, dtype))) : null);
    this.registerParameter("bias", affine && (opts.bias ?? true) ? new Parameter(zeros_(empty(this.normalizedShape, dtype))) : null);
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }
  override extraRepr(): string {
    return `${pySize(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
