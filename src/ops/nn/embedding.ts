/** embedding: a row lookup (indexSelect). */
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { checkTensor } from "../convert.js";
import { indexSelect } from "../indexing.js";

/** Rows of weight [V, D] picked by int32 indices of any shape: [...indices.shape, D]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  checkTensor(indices, "embedding", "indices");
  checkTensor(weight, "embedding", "weight");
  if (indices.dtype !== "int32") throw new Error(`embedding: expected int32 indices, got dtype ${indices.dtype} (shape ${shapeStr(indices.shape)})`);
  if (weight.ndim !== 2) throw new Error(`embedding: expected a 2-d weight [numEmbeddings, embeddingDim], got shape ${shapeStr(weight.shape)}`);
  const [V, D] = weight.shape;
  if (indices.storage) {
    for (const i of indices.toTypedArray()) {
      if (i < 0 || i >= V) throw new Error(`embedding: index ${i} is out of range for a weight of ${V} rows (shape ${shapeStr(weight.shape)})`);
    }
  }
  const rows = indexSelect(weight, 0, lax.reshape(indices, [indices.numel]));
  return lax.reshape(rows, [...indices.shape, D]);
}
