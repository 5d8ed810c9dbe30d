/**
 * Test helpers independent of the library's ops: a seeded RNG, float64 tensors built from
 * typed arrays, index arithmetic for stacking examples, central finite differences and
 * closeness assertions on raw element arrays.
 */
import assert from "node:assert/strict";
import { Tensor } from "../../src/index.js";

/** A small deterministic RNG (mulberry32) so failures reproduce. */
export class Rng {
  private s: number;
  constructor(seed = 1) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** A seeded stream of uniforms in [0, 1) (mulberry32): test data that does not depend on tfunc. */
export function uniformStream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A contiguous tensor from plain numbers (float64 unless said otherwise). */
export function fromArray(values: ArrayLike<number>, shape: readonly number[], dtype: Tensor["dtype"] = "float64"): Tensor {
  const n = numel(shape);
  assert.equal(values.length, n, "fromArray: wrong number of values");
  const data = dtype === "float64" ? new Float64Array(n) : dtype === "float32" ? new Float32Array(n) : dtype === "int32" ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = values[i];
  return new Tensor([...shape], dtype, data);
}

export function randTensor(rng: Rng, shape: readonly number[], lo = -1, hi = 1, dtype: Tensor["dtype"] = "float64"): Tensor {
  const vals = Array.from({ length: numel(shape) }, () => rng.uniform(lo, hi));
  return fromArray(vals, shape, dtype);
}

/** Row-major elements as plain numbers (bools as 0/1). */
export function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as ArrayLike<number>, Number);
}

/** Row-major multi-index of flat position i in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
  return i;
}

/** Stack equal-shape tensors along a new dim `pos` (a contiguous result), by index arithmetic. */
export function stackAt(examples: Tensor[], pos: number): Tensor {
  const shape = [...examples[0].shape];
  const outShape = [...shape];
  outShape.splice(pos, 0, examples.length);
  const vals = examples.map(values);
  const out = new Array<number>(numel(outShape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    const k = idx[pos];
    idx.splice(pos, 1);
    out[i] = vals[k][ravel(idx, shape)];
  }
  return fromArray(out, outShape, examples[0].dtype);
}

/** x + eps * t elementwise (concrete tensors, same shape). */
export function axpy(x: Tensor, t: Tensor, eps: number): Tensor {
  const a = values(x), b = values(t);
  return fromArray(a.map((v, i) => v + eps * b[i]), x.shape, x.dtype);
}

export function dot(a: Tensor, b: Tensor): number {
  const x = values(a), y = values(b);
  assert.equal(x.length, y.length, "dot: sizes differ");
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** Central finite difference of a tensor-valued f along tangents (one per primal). */
export function centralDiff(f: (...xs: Tensor[]) => Tensor[], primals: Tensor[], tangents: Tensor[], eps: number): number[][] {
  const plus = f(...primals.map((p, i) => axpy(p, tangents[i], eps)));
  const minus = f(...primals.map((p, i) => axpy(p, tangents[i], -eps)));
  return plus.map((p, k) => {
    const a = values(p), b = values(minus[k]);
    return a.map((v, i) => (v - b[i]) / (2 * eps));
  });
}

/** max |a - b| <= atol + rtol * max(|b|): a norm-wise closeness suited to derivative checks. */
export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string, atol = rtol): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let scale = 0, err = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const e = Math.abs(actual[i] - expected[i]);
    if (!(e <= err) || Number.isNaN(actual[i]) !== Number.isNaN(expected[i])) { err = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  if (err > atol + rtol * scale) {
    assert.fail(`${what}: max error ${err.toExponential(3)} at ${at} (got ${actual[at]}, expected ${expected[at]}; scale ${scale.toExponential(3)}, tol ${(atol + rtol * scale).toExponential(3)})`);
  }
}

/** Elementwise closeness of two tensors (shapes must match exactly). */
export function assertClose(actual: unknown, expected: Tensor | ArrayLike<number> | number, opts: { rtol?: number; atol?: number; what?: string } = {}): void {
  const { rtol = 1e-6, atol = 1e-9, what = "value" } = opts;
  assert.ok(actual instanceof Tensor, `${what}: expected a Tensor, got ${actual === null ? "null" : typeof actual}`);
  let exp: number[];
  if (expected instanceof Tensor) {
    assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
    exp = values(expected);
  } else if (typeof expected === "number") {
    assert.equal(actual.numel, 1, `${what}: expected one element`);
    exp = [expected];
  } else {
    exp = Array.from(expected);
  }
  const got = values(actual);
  assert.equal(got.length, exp.length, `${what}: ${got.length} elements, expected ${exp.length}`);
  for (let i = 0; i < exp.length; i++) {
    const ok = Math.abs(got[i] - exp[i]) <= atol + rtol * Math.abs(exp[i]) || (Number.isNaN(got[i]) && Number.isNaN(exp[i]));
    if (!ok) assert.fail(`${what}: element ${i} is ${got[i]}, expected ${exp[i]} (shape [${actual.shape.join(", ")}])`);
  }
}

/** Nested number arrays flattened row-major (for closed-form references). */
export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [Number(x)];
}

/** Example k of x along dim `dim` (a contiguous copy, by index arithmetic). */
export function take(x: Tensor, dim: number, k: number): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  const outShape = x.shape.filter((_, i) => i !== d);
  const v = values(x);
  const out = new Array<number>(numel(outShape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    idx.splice(d, 0, k);
    out[i] = v[ravel(idx, x.shape)];
  }
  return fromArray(out, outShape, x.dtype);
}

/** The examples of x along dim (each a contiguous copy). */
export function examples(x: Tensor, dim: number): Tensor[] {
  const d = dim < 0 ? dim + x.ndim : dim;
  return Array.from({ length: x.shape[d] }, (_, k) => take(x, d, k));
}

/** A loop over examples: f applied to example k of each mapped arg (null: passed whole), stacked at outDim. */
export function loopMap(f: (...a: any[]) => Tensor, args: unknown[], inDims: (number | null)[], outDim = 0): Tensor {
  const size = (args[inDims.findIndex((d) => d !== null)] as Tensor).shape.at(inDims.find((d) => d !== null)!)!;
  const outs = Array.from({ length: size }, (_, k) => f(...args.map((a, i) => (inDims[i] === null ? a : take(a as Tensor, inDims[i]!, k)))));
  return stackAt(outs, outDim < 0 ? outDim + outs[0].ndim + 1 : outDim);
}

/**
 * Jacobian of f (tensor output) in argument `argnum` by central differences, shaped
 * [...out.shape, ...in.shape] (float64 inputs).
 */
export function jacobianFD(f: (...a: any[]) => Tensor, args: unknown[], argnum = 0, eps = 1e-6): Tensor {
  const x = args[argnum] as Tensor;
  const base = values(x);
  const at = (v: number[]) => f(...args.map((a, i) => (i === argnum ? fromArray(v, x.shape, x.dtype) : a)));
  const out0 = at(base);
  const m = out0.numel, n = base.length;
  const jac = new Array<number>(m * n);
  for (let j = 0; j < n; j++) {
    const p = [...base], q = [...base];
    p[j] += eps;
    q[j] -= eps;
    const fp = values(at(p)), fq = values(at(q));
    for (let i = 0; i < m; i++) jac[i * n + j] = (fp[i] - fq[i]) / (2 * eps);
  }
  return fromArray(jac, [...out0.shape, ...x.shape]);
}

/** The same logical tensor stored column-major (first dim fastest): a non-contiguous layout. */
export function columnMajor(t: Tensor): Tensor {
  const shape = [...t.shape];
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = 0; d < shape.length; d++) { strides[d] = s; s *= shape[d]; }
  const v = values(t);
  const dense = fromArray(v, shape, t.dtype).data!;
  const data = new (dense.constructor as { new (n: number): typeof dense })(v.length);
  for (let i = 0; i < v.length; i++) {
    const idx = unravel(i, shape);
    data[idx.reduce((acc, k, d) => acc + k * strides[d], 0)] = v[i];
  }
  return new Tensor(shape, t.dtype, data, strides, 0);
}
