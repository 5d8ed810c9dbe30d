/** Helpers shared by the layers: argument checks, Python-style repr pieces, Linear/Conv initialisation. */
import { type DType, isFloat } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { kaimingUniform_, uniform_, calculateFanInAndFanOut } from "./init.js";

export type Size2 = number | readonly number[];
export const pair = (v: Size2): number[] => (typeof v === "number" ? [v, v] : [...v]);
export const pyBool = (b: boolean) => (b ? "True" : "False");

/** A float as Python's repr prints it: 1e-05 (an exponent below -4 or from 16), 1.0, 0.1. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-4 || ax >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split("e");
    const e = Number(exponent);
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}
export const pySize = (v: Size2 | string): string => (typeof v === "string" ? `'${v}'` : typeof v === "number" ? String(v) : `(${v.join(", ")}${v.length === 1 ? "," : ""})`);

export function checkInt(v: unknown, what: string, op: string, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new Error(`${op}: ${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function checkFloatDType(dtype: DType | undefined, op: string): DType {
  const d = dtype ?? "float32";
  if (!isFloat(d)) throw new Error(`${op}: dtype must be float32 or float64, got ${d}`);
  return d;
}

/** Weight and bias uniform within +-1/sqrt(fanIn) (kaiming_uniform_(a=sqrt(5)) and PyTorch's bias rule). */
export function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
