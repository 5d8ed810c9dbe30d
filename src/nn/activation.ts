/** Activation layers: ReLU, Tanh, Sigmoid, GELU, Softmax, LogSoftmax. */
import type { Tensor } from "../core/tensor.js";
import * as E from "../ops/elementwise.js";
import * as F from "../ops/nn/index.js";
import { Module } from "./module.js";
import { checkOptions } from "../core/options.js";

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
    checkOptions("GELU", opts, { approximate: true });
    this.approximate = opts.approximate ?? "none";
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
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
    return `dim=${this.dim ?? "None"}`;
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
    return `dim=${this.dim ?? "None"}`;
  }
}
