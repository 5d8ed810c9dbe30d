/** linear (torch.nn.functional.linear). */
import { shapeStr } from "../../core/shape.js";
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { mT } from "../../primitives/linalg.js";
import { castOpt, floatDType, type Optional } from "./common.js";

/** y = x @ w^T + b for x [..., in], w [out, in] (or [in], dropping the out dim), b [out]. */
export function linear(x: Tensor, w: Tensor, b?: Optional): Tensor {
  const dtype = floatDType("linear", [["input", x], ["weight", w], ["bias", b]]);
  if (w.ndim !== 1 && w.ndim !== 2) throw new Error(`linear: expected a 2-d weight [outFeatures, inFeatures] (or 1-d), got shape ${shapeStr(w.shape)}`);
  const inF = w.shape[w.ndim - 1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: input's last dim must equal the weight's inFeatures (${inF}): input ${shapeStr(x.shape)}, weight ${shapeStr(w.shape)}`);
  }
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, s) => a * s, 1);
  // fold every leading dim into the rows: one 2-d matmul, whatever the input's rank
  const x2 = lax.reshape(lax.cast(x, dtype), [rows, inF]);
  // computed as (W @ x^T)^T so that the weight's gradient, g^T @ x, comes out in W's own
  // layout: per-sample weight gradients are then contiguous instead of a transposed view
  const out2 = w.ndim === 2
    ? mT(lax.matmul(lax.cast(w, dtype), mT(x2)))
    : lax.matmul(x2, lax.reshape(lax.cast(w, dtype), [inF, 1]));
  const out = lax.reshape(out2, w.ndim === 2 ? [...lead, w.shape[0]] : lead);
  const bias = castOpt(b, dtype);
  if (!bias) return out;
  const outF = w.ndim === 2 ? w.shape[0] : 1;
  if (bias.numel !== outF || bias.ndim > 1) {
    throw new Error(`linear: expected bias of shape [${outF}] for weight ${shapeStr(w.shape)}, got ${shapeStr(bias.shape)}`);
  }
  return lax.add(out, lax.expand(w.ndim === 2 ? bias : lax.reshape(bias, []), out.shape));
}
