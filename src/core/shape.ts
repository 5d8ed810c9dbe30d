/** Shape arithmetic shared by ops, kernels and batching rules. */
export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes, or null when they do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** A value as it appears in an error message: strings quoted, so that "1" does not read as 1. */
export const shown = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/** Normalise a possibly negative dim for a tensor of rank `ndim`, with an error naming the op. */
export function normDim(dim: number, ndim: number, op: string): number {
  const lo = -Math.max(ndim, 1), hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim)) throw new Error(`${op}: a dimension must be an integer, got ${shown(dim)}`);
  if (dim < lo || dim > hi) {
    throw new Error(`${op}: dimension ${dim} out of range for a tensor of rank ${ndim} (expected an integer in [${lo}, ${hi}])`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalise a dim or list of dims (undefined: all dims) into sorted unique dims. */
export function normDims(dim: number | readonly number[] | undefined | null, ndim: number, op: string): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof dim !== "number" && !Array.isArray(dim)) {
    throw new Error(`${op}: dim must be a number or an array of numbers, got ${JSON.stringify(dim)}`);
  }
  const list: readonly number[] = typeof dim === "number" ? [dim] : dim;
  const out = list.map((d) => normDim(d, ndim, op)).filter((d) => d < ndim || ndim > 0);
  const uniq = [...new Set(out)].sort((x, y) => x - y);
  if (uniq.length !== out.length) throw new Error(`${op}: dim ${JSON.stringify(dim)} repeats a dimension`);
  return ndim === 0 ? [] : uniq;
}

export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/** Resolve one -1 entry of a reshape target against the element count. */
export function inferShape(shape: readonly number[], numel: number, op: string, from: Shape): number[] {
  if (shape.some((s) => typeof s !== "number")) throw new Error(`${op}: shape entries must be integers, got ${JSON.stringify(shape)}`);
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (out.some((s, i) => !Number.isInteger(s) || s < -1 || (s === -1 && i !== neg))) {
    throw new Error(`${op}: invalid shape ${shapeStr(shape)} (only one -1 allowed, other sizes non-negative integers)`);
  }
  if (neg >= 0) {
    const rest = numelOf(out.filter((_, i) => i !== neg));
    if (rest === 0 || numel % rest !== 0) {
      throw new Error(`${op}: shape ${shapeStr(shape)} is invalid for input of size ${numel} (shape ${shapeStr(from)})`);
    }
    out[neg] = numel / rest;
  }
  if (numelOf(out) !== numel) {
    throw new Error(`${op}: shape ${shapeStr(shape)} is invalid for input of size ${numel} (shape ${shapeStr(from)})`);
  }
  return out;
}
