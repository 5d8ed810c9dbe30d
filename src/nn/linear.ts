/** nn.Linear. */
import type { DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { empty } from "./util.js";
import * as F from "../ops/nn/index.js";
import { Module, Parameter } from "./module.js";
import { checkFloatDType, checkInt, pyBool, resetLinearLike } from "./common.js";
import { checkOptions } from "../core/options.js";

export interface LinearOptions { bias?: boolean; dtype?: DType }

/** y = x W^T + b, W [outFeatures, inFeatures]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Registered in the constructor, so that assigning a plain tensor later keeps it a parameter. */
  weight!: Tensor;
  bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkOptions("Linear", opts, { bias: true, dtype: true });
    this.inFeatures = checkInt(inFeatures, "inFeatures", "Linear", 0);
    this.outFeatures = checkInt(outFeatures, "outFeatures", "Linear", 0);
    const dtype = checkFloatDType(opts.dtype, "Linear");
    this.registerParameter("weight", new Parameter(empty([outFeatures, inFeatures], dtype)));
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
