/** Small helpers shared by the transforms. */
import { scalar } from "../primitives/kernel.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";

/** A zero tensor with x's shape and dtype, as a value the user can hold. */
export function materializeZeros(x: Tensor): Tensor {
  return lax.expand(scalar(0, x.dtype), x.shape);
}

/** Normalise argnums against the argument count. */
export function checkArgnums(argnums: number | readonly number[], nargs: number, transform: string): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  if (list.length === 0) throw new Error(`${transform}: argnums must not be empty`);
  return list.map((a) => {
    if (!Number.isInteger(a) || a < -nargs || a >= nargs) {
      throw new Error(`${transform}: argnums ${a} is out of range: the function was called with ${nargs} argument(s)`);
    }
    return a < 0 ? a + nargs : a;
  });
}
