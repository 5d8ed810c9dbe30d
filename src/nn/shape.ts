/** Shape layers: Identity and Flatten. */
import type { Tensor } from "../core/tensor.js";
import { Module } from "./module.js";
import { checkOptions } from "../core/options.js";

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flatten dims startDim..endDim (default 1..-1, keeping the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim: number | { startDim?: number; endDim?: number } = 1, endDim = -1) {
    super();
    if (typeof startDim === "object") {
      checkOptions("Flatten", startDim, { startDim: true, endDim: true });
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
