/**
 * Layers (torch.nn): PyTorch's constructor arguments (keyword arguments in a trailing options
 * object), default initialisation and forward semantics; forwards are nn.functional calls.
 */
import type { DType } from "../core/dtype.js";
import { isFloat } from "../core/dtype.js";
import { Tensor } from "../core/tensor.js";
import { withGradMode } from "../core/trace.js";
import { stopGradient } from "../ops/autograd_ops.js";
import { empty } from "./util.js";
import * as E from "../ops/elementwise.js";
import * as F from "../ops/nn.js";
import { Buffer, Module, Parameter } from "./module.js";
import { copyInto_, kaimingUniform_, normal_, ones_, uniform_, zeros_, calculateFanInAndFanOut } from "./init.js";

type Size2 = number | readonly number[];
const pair = (v: Size2): number[] => (typeof v === "number" ? [v, v] : [...v]);
const pyBool = (b: boolean) => (b ? "True" : "False");
const pySize = (v: Size2 | string): string => (typeof v === "string" ? `'${v}'` : typeof v === "number" ? String(v) : `(${v.join(", ")}${v.length === 1 ? "," : ""})`);

function checkInt(v: unknown, what: string, op: string, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new Error(`${op}: ${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function checkFloatDType(dtype: DType | undefined, op: string): DType {
  const d = dtype ?? "float32";
  if (!isFloat(d)) throw new Error(`${op}: dtype must be float32 or float64, got ${d}`);
  return d;
}

/** Weight and bias uniform within +-1/sqrt(fanIn) (kaiming_uniform_(a=sqrt(5)) and PyTorch's bias rule). */
function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

// ---------------------------------------------------------------- linear and conv

export interface LinearOptions { bias?: boolean; dtype?: DType }

/** y = x W^T + b, W [outFeatures, inFeatures]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt(inFeatures, "inFeatures", "Linear", 0);
    this.outFeatures = checkInt(outFeatures, "outFeatures", "Linear", 0);
    const dtype = checkFloatDType(opts.dtype, "Linear");
    this.weight = new Parameter(empty([outFeatures, inFeatures], dtype));
    this.bias = null;
    this.registerParameter("bias", (opts.bias ?? true) ? new Parameter(empty([outFeatures], dtype)) : null);
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

export interface ConvOptions {
  stride?: Size2;
  padding?: Size2 | "valid" | "same";
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
  dtype?: DType;
}

abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: Size2;
  readonly padding: Size2 | "valid" | "same";
  readonly dilation: Size2;
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;
  constructor(op: string, nd: number, inChannels: number, outChannels: number, kernelSize: Size2, opts: ConvOptions) {
    super();
    this.inChannels = checkInt(inChannels, "inChannels", op);
    this.outChannels = checkInt(outChannels, "outChannels", op);
    this.groups = checkInt(opts.groups ?? 1, "groups", op);
    if (inChannels % this.groups !== 0) throw new Error(`${op}: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    if (outChannels % this.groups !== 0) throw new Error(`${op}: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    const k = typeof kernelSize === "number" ? new Array<number>(nd).fill(kernelSize) : [...kernelSize];
    if (k.length !== nd || k.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new Error(`${op}: kernelSize must be a positive integer or an array of ${nd}, got ${JSON.stringify(kernelSize)}`);
    }
    this.kernelSize = k;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    const dtype = checkFloatDType(opts.dtype, op);
    this.weight = new Parameter(empty([outChannels, inChannels / this.groups, ...k], dtype));
    this.bias = null;
    this.registerParameter("bias", (opts.bias ?? true) ? new Parameter(empty([outChannels], dtype)) : null);
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }
  protected convOpts(): F.ConvOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
  override extraRepr(): string {
    const nd = this.kernelSize.length;
    const tuple = (v: Size2) => pySize(typeof v === "number" ? new Array<number>(nd).fill(v) : v);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    const isZero = typeof this.padding !== "string" && pair(this.padding).every((p) => p === 0);
    if (!isZero) s += `, padding=${typeof this.padding === "string" ? pySize(this.padding) : tuple(this.padding)}`;
    if (!pair(this.dilation).every((d) => d === 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    return s;
  }
}

/** 2-d convolution over [N, C, H, W] (or [C, H, W]); weight [outChannels, inChannels / groups, kH, kW]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: ConvOptions = {}) {
    super("Conv2d", 2, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.convOpts());
  }
}

/** 1-d convolution over [N, C, L] (or [C, L]); weight [outChannels, inChannels / groups, k]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: ConvOptions = {}) {
    super("Conv1d", 1, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, this.convOpts());
  }
}

// ---------------------------------------------------------------- activations and shape

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return E.tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return E.sigmoid(x);
  }
}

export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(opts: { approximate?: "none" | "tanh" } = {}) {
    super();
    this.approximate = opts.approximate ?? "none";
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Flatten dims startDim..endDim (default 1..-1, keeping the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim: number | { startDim?: number; endDim?: number } = 1, endDim = -1) {
    super();
    if (typeof startDim === "object") {
      this.startDim = startDim.startDim ?? 1;
      this.endDim = startDim.endDim ?? -1;
    } else {
      this.startDim = startDim;
      this.endDim = endDim;
    }
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

export interface MaxPoolOptions { stride?: Size2 | null; padding?: Size2; dilation?: Size2; ceilMode?: boolean }

export class MaxPool2d extends Module {
  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  readonly ceilMode: boolean;
  constructor(kernelSize: Size2, opts: MaxPoolOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.ceilMode = opts.ceilMode ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}, dilation=${pySize(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export interface AvgPoolOptions { stride?: Size2 | null; padding?: Size2; ceilMode?: boolean; countIncludePad?: boolean }

export class AvgPool2d extends Module {
  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(kernelSize: Size2, opts: AvgPoolOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}`;
  }
}

/** Zero elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval mode. */
export class Dropout extends Module {
  readonly p: number;
  constructor(p: number | { p?: number } = {}) {
    super();
    const v = typeof p === "number" ? p : p.p ?? 0.5;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`Dropout: dropout probability has to be between 0 and 1, but got ${v}`);
    this.p = v;
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, { p: this.p, training: this.training });
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

// ---------------------------------------------------------------- containers

/** Modules applied in order; children are named "0", "1", ... (or by the keys of an object). */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && !(first instanceof Module) && typeof first === "object" && first !== null) {
      for (const [name, m] of Object.entries(first)) {
        if (!(m instanceof Module)) throw new Error(`Sequential: "${name}" is not a Module`);
        this.registerModule(name, m);
      }
    } else {
      (modules as Module[]).forEach((m, i) => {
        if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} is not a Module (got ${m === null ? "null" : typeof m})`);
        this.registerModule(String(i), m);
      });
    }
  }
  get length(): number {
    return this.children().length;
  }
  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const c = this.children();
    const j = i < 0 ? i + c.length : i;
    if (!(j >= 0 && j < c.length)) throw new Error(`Sequential.at: index ${i} is out of range for ${c.length} modules`);
    return c[j];
  }
  /** Add a module at the end. */
  append(m: Module): this {
    this.registerModule(String(this.length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(x: any): any {
    for (const m of this.children()) x = m.call(x);
    return x;
  }
}

/** A list of submodules, registered as "0", "1", ... (no forward of its own). */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const c = this.children();
    const j = i < 0 ? i + c.length : i;
    if (!(j >= 0 && j < c.length)) throw new Error(`ModuleList.at: index ${i} is out of range for ${c.length} modules`);
    return c[j];
  }
  append(m: Module): this {
    if (!(m instanceof Module)) throw new Error(`ModuleList.append: expected a Module, got ${m === null ? "null" : typeof m}`);
    this.registerModule(String(this.length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}

// ---------------------------------------------------------------- normalisation

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
    if (rm.data === null || rv.data === null) {
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
    if (this.numBatchesTracked && this.numBatchesTracked.data) copyInto_(this.numBatchesTracked, (this.numBatchesTracked.item() as number) + 1);
    const factor = this.momentum ?? (this.numBatchesTracked && this.numBatchesTracked.data ? 1 / (this.numBatchesTracked.item() as number) : 0);
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
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum === null ? "None" : this.momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
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
    return `${pySize(this.normalizedShape)}, eps=${this.eps}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

// ---------------------------------------------------------------- embedding

export interface EmbeddingOptions { paddingIdx?: number | null; dtype?: DType }

/** A lookup table [numEmbeddings, embeddingDim] initialised N(0, 1); the paddingIdx row is zero and gets no gradient. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Tensor;
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkInt(numEmbeddings, "numEmbeddings", "Embedding");
    this.embeddingDim = checkInt(embeddingDim, "embeddingDim", "Embedding");
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new Error(`Embedding: paddingIdx must be within [-${numEmbeddings}, ${numEmbeddings - 1}], got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = new Parameter(normal_(empty([numEmbeddings, embeddingDim], checkFloatDType(opts.dtype, "Embedding"))));
    if (pad !== null) this.weight.data!.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
  }
  forward(indices: Tensor): Tensor {
    const out = F.embedding(indices, this.weight);
    if (this.paddingIdx === null) return out;
    // the padding row gets no gradient (PyTorch's padding_idx): cut it where the index is paddingIdx
    const isPad = indices.eq(this.paddingIdx).unsqueeze(-1);
    return E.where(isPad, stopGradient(out), out);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ""}`;
  }
}

// ---------------------------------------------------------------- losses

export class MSELoss extends Module {
  readonly reduction: F.Reduction;
  constructor(opts: { reduction?: F.Reduction } = {}) {
    super();
    this.reduction = opts.reduction ?? "mean";
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

export class CrossEntropyLoss extends Module {
  readonly opts: Parameters<typeof F.crossEntropy>[2];
  constructor(opts: Parameters<typeof F.crossEntropy>[2] = {}) {
    super();
    this.opts = opts;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.opts);
  }
}
