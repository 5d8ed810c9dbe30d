/** nn.Conv1d and nn.Conv2d. */
import type { DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { empty } from "./util.js";
import * as F from "../ops/nn/index.js";
import { Module, Parameter } from "./module.js";
import { checkFloatDType, checkInt, pair, pySize, resetLinearLike, type Size2 } from "./common.js";
import { checkOptions } from "../core/options.js";

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
  /** Registered in the constructor, so that assigning a plain tensor later keeps it a parameter. */
  weight!: Tensor;
  bias: Tensor | null;
  constructor(op: string, nd: number, inChannels: number, outChannels: number, kernelSize: Size2, opts: ConvOptions) {
    super();
    checkOptions(op, opts, { stride: true, padding: true, dilation: true, groups: true, bias: true, dtype: true });
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
    this.registerParameter("weight", new Parameter(empty([outChannels, inChannels / this.groups, ...k], dtype)));
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
    // PyTorch prints a padding string bare: padding=same
    if (!isZero) s += `, padding=${typeof this.padding === "string" ? this.padding : tuple(this.padding)}`;
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
