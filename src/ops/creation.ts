/** Creating tensors: from data, filled, ranges, identity, random. */
import { allocArray, checkDType, type DType, dtypeOfArray, type TypedArray } from "../core/dtype.js";
import { checkShape } from "../core/shape.js";
import { markCreated } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import { eyeTensor, produce, scalar } from "../primitives/kernel.js";
import * as lax from "../primitives/lax.js";
import { manualSeed } from "../primitives/random.js";
import { stopGradient } from "./autograd_ops.js";
import { checkTensor } from "./convert.js";
import { checkOptions } from "../core/options.js";

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** The common end of creation: the options, and the storage marked as a created tensor's. */
function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (t.storage) markCreated(t.storage);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function dtypeOpt(opts: CreateOptions, fallback: DType, op: string): DType {
  checkOptions(op, opts, { dtype: true, requiresGrad: true });
  return opts.dtype === undefined ? fallback : checkDType(opts.dtype, op);
}

/** Shape of a nested array, checking it is not ragged. */
function nestedShape(data: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const check = (x: unknown, d: number, path: string): void => {
    if (d === shape.length) {
      if (Array.isArray(x)) throw new Error(`tensor: ragged nested array: ${path} is an array but its siblings are numbers`);
      if (typeof x !== "number" && typeof x !== "boolean") throw new Error(`tensor: ${path} is ${x === null ? "null" : typeof x}; expected a number or boolean`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new Error(`tensor: ragged nested array: expected ${shape[d]} elements at ${path} (like the first entry at that depth), got ${Array.isArray(x) ? x.length : "a number"}`);
    }
    x.forEach((y, i) => check(y, d + 1, `${path}[${i}]`));
  };
  check(data, 0, "data");
  return shape;
}

/** tensor(data, {dtype, requiresGrad}): nested arrays, a typed array, or a scalar. */
export function tensor(data: unknown, opts: CreateOptions = {}): Tensor {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const values = data as unknown as ArrayLike<number | bigint>;
    const dtype = dtypeOpt(opts, typedArrayDType(values), "tensor");
    if (dtype === "bool" && opts.dtype === undefined) checkBoolBytes(values as Uint8Array);
    return finish(new Tensor([values.length], dtype, store(dtype, values)), opts);
  }
  if (data instanceof Tensor) {
    // a new leaf with its own storage, as torch.tensor(t) (t.clone().detach())
    const x = lax.cast(stopGradient(data), dtypeOpt(opts, data.dtype, "tensor"));
    const none = x.shape.map(() => 0);
    return finish(lax.pad(x, none, none, 0), opts);
  }
  const shape = nestedShape(data);
  const flat = (shape.length ? (data as unknown[]).flat(Infinity) : [data]) as (number | boolean)[];
  const isBool = flat.length > 0 && flat.every((v) => typeof v === "boolean");
  const dtype = dtypeOpt(opts, isBool ? "bool" : "float32", "tensor");
  return finish(new Tensor(shape, dtype, store(dtype, flat)), opts);
}

/**
 * The dtype a typed array gives: its own for tfunc's storage types (a Uint8Array is a bool
 * tensor's storage), float32 for other float arrays, int32 (the int64 stand-in) for other integers.
 */
function typedArrayDType(a: ArrayLike<number | bigint>): DType {
  if (a instanceof Float32Array || a instanceof Float64Array || a instanceof Int32Array || a instanceof Uint8Array) return dtypeOfArray(a);
  const name = Object.prototype.toString.call(a).slice(8, -1);
  return name.startsWith("Float") ? "float32" : "int32";
}

/** A Uint8Array becomes a bool tensor only when it holds bools: other bytes (pixels) would turn into true. */
function checkBoolBytes(a: Uint8Array): void {
  const i = a.findIndex((v) => v > 1);
  if (i >= 0) {
    throw new Error(`tensor: a Uint8Array gives a bool tensor (0 or 1 per element), but element ${i} is ${a[i]}; for byte values pass {dtype: "int32"} or {dtype: "float32"}`);
  }
}

/**
 * The values converted to `dtype` storage: bools are 0/1 (any nonzero, NaN too, is true), other
 * types by assignment; an integer int32 cannot hold is an error rather than a silent wrap.
 */
function store(dtype: DType, values: ArrayLike<number | boolean | bigint>): TypedArray {
  const out = allocArray(dtype, values.length);
  if (dtype === "bool") for (let i = 0; i < out.length; i++) out[i] = Number(values[i]) !== 0 ? 1 : 0;
  else if (dtype === "int32") {
    for (let i = 0; i < out.length; i++) {
      const v = Number(values[i]);
      if (v < -2147483648 || v > 2147483647) throw new Error(`tensor: value ${values[i]} (element ${i}) cannot be converted to int32 without overflow`);
      out[i] = v;
    }
  } else for (let i = 0; i < out.length; i++) out[i] = Number(values[i]);
  return out;
}

/** A tensor of `shape` filled with `value`; `op` names the public function in errors. */
function filled(op: string, shape: readonly number[], value: number | boolean, opts: CreateOptions, fallback?: DType): Tensor {
  checkShape(shape, op);
  if (typeof value !== "number" && typeof value !== "boolean") throw new Error(`${op}: fill value must be a number or boolean, got ${typeof value}`);
  const dtype = dtypeOpt(opts, fallback ?? (typeof value === "boolean" ? "bool" : "float32"), op);
  const v = dtype === "bool" ? (Number(value) !== 0 ? 1 : 0) : Number(value);
  return finish(produce([...shape], dtype, (out) => out.fill(v)), opts);
}

export const full = (shape: readonly number[], value: number | boolean, opts: CreateOptions = {}): Tensor => filled("full", shape, value, opts);
export const zeros = (shape: readonly number[], opts: CreateOptions = {}): Tensor => filled("zeros", shape, 0, opts);
export const ones = (shape: readonly number[], opts: CreateOptions = {}): Tensor => filled("ones", shape, 1, opts);
export const zerosLike = (x: Tensor, opts: CreateOptions = {}): Tensor => filled("zerosLike", checkTensor(x, "zerosLike").shape, 0, opts, x.dtype);
export const onesLike = (x: Tensor, opts: CreateOptions = {}): Tensor => filled("onesLike", checkTensor(x, "onesLike").shape, 1, opts, x.dtype);

export function eye(n: number, m?: number | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (typeof m === "object") { opts = m; m = undefined; }
  const cols = m ?? n;
  checkShape([n, cols], "eye");
  return finish(eyeTensor(n, dtypeOpt(opts, "float32", "eye"), cols), opts);
}

/** arange(end) or arange(start, end, step): int32 when every argument is an integer. */
export function arange(a: number, b?: number | CreateOptions, c?: number | CreateOptions, d: CreateOptions = {}): Tensor {
  let start = 0, end: number, step = 1, opts = d;
  const args = [a, b, c].filter((v) => typeof v === "number") as number[];
  const o = [b, c].find((v) => typeof v === "object");
  if (o) opts = o as CreateOptions;
  if (args.length === 1) end = args[0];
  else [start, end, step = 1] = args;
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step) || step === 0) {
    throw new Error(`arange: start, end and step must be finite numbers with step != 0, got ${start}, ${end}, ${step}`);
  }
  if (end !== start && (end - start > 0) !== (step > 0)) {
    throw new Error(`arange: the sign of step ${step} does not lead from start ${start} to end ${end} (PyTorch's "upper bound and larger bound inconsistent with step sign")`);
  }
  const n = Math.ceil((end - start) / step);
  const integral = args.every(Number.isInteger);
  const dtype = dtypeOpt(opts, integral ? "int32" : "float32", "arange");
  return finish(produce([n], dtype, (out) => { for (let i = 0; i < n; i++) out[i] = start + i * step; }), opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = dtypeOpt(opts, "float32", "linspace");
  if (steps === 1) return finish(produce([1], dtype, (out) => { out[0] = start; }), opts);
  const step = (end - start) / (steps - 1);
  // fill from both ends, as PyTorch does, so the last value is exactly `end`
  return finish(produce([steps], dtype, (out) => {
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) out[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  }), opts);
}

function randomFloat(op: string, draw: (shape: number[], dtype: DType) => Tensor) {
  return (shape: readonly number[], opts: CreateOptions = {}): Tensor => {
    checkShape(shape, op);
    const dtype = dtypeOpt(opts, "float32", op);
    if (dtype !== "float32" && dtype !== "float64") throw new Error(`${op}: dtype must be float32 or float64, got ${dtype}`);
    return finish(draw([...shape], dtype), opts);
  };
}
export const randn = randomFloat("randn", lax.normal);
export const rand = randomFloat("rand", lax.uniform);

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: readonly number[]): Tensor {
  checkShape(shape, "randint");
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new Error(`randint: expected integers with low < high, got low=${low}, high=${high}`);
  }
  const u = lax.uniform([...shape], "float64");
  return lax.cast(lax.floor(lax.add(lax.mul(u, lax.expand(scalar(high - low, "float64"), shape)), lax.expand(scalar(low, "float64"), shape))), "int32");
}


export { manualSeed };
