/** nn.MaxPool2d and nn.AvgPool2d. */
import type { Tensor } from "../core/tensor.js";
import * as F from "../ops/nn/index.js";
import { Module } from "./module.js";
import { pyBool, pySize, type Size2 } from "./common.js";
import { checkOptions } from "../core/options.js";

export interface MaxPoolOptions { stride?: Size2 | null; padding?: Size2; dilation?: Size2; ceilMode?: boolean }

export class MaxPool2d extends Module {
  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  readonly ceilMode: boolean;
  constructor(kernelSize: Size2, opts: MaxPoolOptions = {}) {
    super();
    checkOptions("MaxPool2d", opts, { stride: true, padding: true, dilation: true, ceilMode: true });
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
    checkOptions("AvgPool2d", opts, { stride: true, padding: true, ceilMode: true, countIncludePad: true });
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
