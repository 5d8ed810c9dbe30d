/** Cutting gradients: detach() and the internal stopGradient used by stable composites. */
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { stopGradientP } from "../primitives/elementwise.js";

/** The same values, seen by every transform and the tape as a constant. */
export function stopGradient(x: Tensor): Tensor {
  return bind(stopGradientP, [x], null);
}
