/** Loss modules: nn.MSELoss and nn.CrossEntropyLoss. */
import type { Tensor } from "../core/tensor.js";
import * as F from "../ops/nn/index.js";
import { Module } from "./module.js";
import { checkOptions } from "../core/options.js";

export class MSELoss extends Module {
  readonly reduction: F.Reduction;
  constructor(opts: { reduction?: F.Reduction } = {}) {
    super();
    checkOptions("MSELoss", opts, { reduction: true });
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
    checkOptions("CrossEntropyLoss", opts, { reduction: true, ignoreIndex: true, weight: true, labelSmoothing: true });
    this.opts = opts;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.opts);
  }
}
