/** Turning user arguments into tensors of a common dtype and shape (promotion, broadcasting). */
import { type DType, isFloat, promoteTypes, promoteWithScalar } from "../core/dtype.js";
import { broadcastShapes, shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { scalar } from "../primitives/kernel.js";
import * as lax from "../primitives/lax.js";

export type TensorLike = Tensor | number | boolean;

export function checkTensor(x: unknown, op: string, what = "input"): Tensor {
  if (x instanceof Tensor) return x;
  throw new Error(`${op}: expected ${what} to be a Tensor, got ${x === null ? "null" : typeof x}`);
}

/**
 * The dtype two operands compute in, as PyTorch promotes them: a 0-d tensor beside one with dims
 * counts only when it is of a higher category (bool < int < float), so float32 [3] * float64 0-d
 * stays float32 while int32 [3] * float64 0-d is float64.
 */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) {
    if ((a.ndim === 0) !== (b.ndim === 0)) {
      const [dims, zeroD] = a.ndim === 0 ? [b, a] : [a, b];
      if (category(zeroD.dtype) <= category(dims.dtype)) return dims.dtype;
    }
    return promoteTypes(a.dtype, b.dtype);
  }
  if (a instanceof Tensor) return promoteWithScalar(a.dtype, b as number | boolean);
  if (b instanceof Tensor) return promoteWithScalar(b.dtype, a as number | boolean);
  if (typeof a === "boolean" && typeof b === "boolean") return "bool";
  return "float32";
}

const category = (d: DType): number => (d === "bool" ? 0 : isFloat(d) ? 2 : 1);

export function asTensor(x: TensorLike, dtype: DType, op: string): Tensor {
  if (x instanceof Tensor) return lax.cast(x, dtype);
  if (typeof x === "number" || typeof x === "boolean") {
    const v = Number(x);
    // as PyTorch: a number that the (integer) result dtype cannot hold is an error, not a silent wrap
    if (dtype === "int32" && (v < -2147483648 || v > 2147483647)) {
      throw new Error(`${op}: value ${x} cannot be converted to int32 without overflow`);
    }
    return scalar(v, dtype);
  }
  throw new Error(`${op}: expected a Tensor or a number, got ${x === null ? "null" : typeof x}`);
}

export function broadcastPair(a: Tensor, b: Tensor, op: string): [Tensor, Tensor] {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) {
    throw new Error(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be broadcast together (sizes must match or be 1, aligned from the right)`);
  }
  return [lax.expand(a, shape), lax.expand(b, shape)];
}

/** Promote and broadcast two operands; `float` forces a float result (true division). */
export function prepareBinary(a: TensorLike, b: TensorLike, op: string, float = false): [Tensor, Tensor] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    throw new Error(`${op}: expected at least one Tensor operand, got ${typeof a} and ${typeof b}`);
  }
  let dtype = resultType(a, b);
  if (float && !isFloat(dtype)) dtype = "float32";
  return broadcastPair(asTensor(a, dtype, op), asTensor(b, dtype, op), op);
}

/** The float version of x (ints and bools become float32), for ops defined on reals. */
export function toFloat(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : lax.cast(x, "float32");
}
