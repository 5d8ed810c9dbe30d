/** Approximate equality, as torch.isclose / torch.allclose. */
import { isFloat } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { checkTensor, prepareBinary } from "./convert.js";
import { abs, add, isFiniteTensor, le, maximum, mul, ne, sub } from "./elementwise.js";
import { checkOptions } from "../core/options.js";

export interface CloseOptions { rtol?: number; atol?: number; equalNan?: boolean }

/** |a - b| <= atol + rtol * |b| (a finite error) elementwise; equal values (infinities too) are close, NaN only with equalNan. */
export function isclose(a: Tensor, b: Tensor, opts: CloseOptions = {}): Tensor {
  checkTensor(a, "isclose");
  checkTensor(b, "isclose");
  checkOptions("isclose", opts, { rtol: true, atol: true, equalNan: true });
  const { rtol = 1e-5, atol = 1e-8 } = opts;
  let [x, y] = prepareBinary(a, b, "isclose");
  if (!isFloat(x.dtype)) [x, y] = [lax.cast(x, "float64"), lax.cast(y, "float64")];
  // as PyTorch: equal values (infinities too) are close; otherwise the error must be finite and within tolerance
  const err = abs(sub(x, y));
  const withinTol = mul(isFiniteTensor(err), le(err, add(mul(abs(y), rtol), atol)));
  let out = maximum(withinTol, lax.eq(x, y));
  if (opts.equalNan) out = maximum(out, mul(ne(x, x), ne(y, y)));
  return out;
}

export function allclose(a: Tensor, b: Tensor, opts: CloseOptions = {}): boolean {
  const close = isclose(a, b, opts);
  return lax.min(lax.cast(close, "int32"), close.shape.map((_, i) => i), false).item() === 1 || close.numel === 0;
}
