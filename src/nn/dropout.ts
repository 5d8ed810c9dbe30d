/** nn.Dropout. */
import type { Tensor } from "../core/tensor.js";
import * as F from "../ops/nn/index.js";
import { Module } from "./module.js";
import { checkOptions } from "../core/options.js";

/** Zero elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval mode. */
export class Dropout extends Module {
  readonly p: number;
  constructor(p: number | { p?: number } = {}) {
    super();
    const v = typeof p === "number" ? p : checkOptions("Dropout", p, { p: true }).p ?? 0.5;
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
