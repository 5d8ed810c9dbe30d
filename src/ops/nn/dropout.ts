/** dropout. */
import type { Tensor } from "../../core/tensor.js";
import * as lax from "../../primitives/lax.js";
import { ge, mul } from "../elementwise.js";
import { floatDType } from "./common.js";
import { checkOptions } from "../../core/options.js";

export interface DropoutOptions { p?: number; training?: boolean }

/**
 * Zero each element with probability p and scale the rest by 1 / (1 - p). The mask comes from
 * the uniform primitive (rand's, without marking the mask as a created tensor: it lives for one
 * call), so under vmap it follows the randomness mode ("error" by default).
 */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  checkOptions("dropout", opts, { p: true, training: true });
  floatDType("dropout", [["input", x]]);
  const p = opts.p ?? 0.5;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`dropout: probability has to be between 0 and 1, got ${p}`);
  if (opts.training === false || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const keep = lax.cast(ge(lax.uniform([...x.shape], x.dtype), p), x.dtype);
  return mul(x, mul(keep, 1 / (1 - p)));
}
