/** nn.Embedding. */
import type { DType } from "../core/dtype.js";
import { storageWritten } from "../core/storage.js";
import type { Tensor } from "../core/tensor.js";
import { stopGradient } from "../ops/autograd_ops.js";
import { empty } from "./util.js";
import * as E from "../ops/elementwise.js";
import * as F from "../ops/nn/index.js";
import { Module, Parameter } from "./module.js";
import { normal_ } from "./init.js";
import { checkFloatDType, checkInt } from "./common.js";
import { checkOptions } from "../core/options.js";

export interface EmbeddingOptions { paddingIdx?: number | null; dtype?: DType }

/** A lookup table [numEmbeddings, embeddingDim] initialised N(0, 1); the paddingIdx row is zero and gets no gradient. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  /** Registered in the constructor, so that assigning a plain tensor later keeps it a parameter. */
  weight!: Tensor;
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    checkOptions("Embedding", opts, { paddingIdx: true, dtype: true });
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
    this.registerParameter("weight", new Parameter(normal_(empty([numEmbeddings, embeddingDim], checkFloatDType(opts.dtype, "Embedding")))));
    if (pad !== null) {
      this.weight.storage!.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
      storageWritten(this.weight.storage!);
    }
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
