/**
 * Strided iteration without per-element work: dims that are contiguous for every operand are
 * merged, and the callback runs once per innermost row with each operand's row offset.
 */
import type { Shape } from "../../core/shape.js";

export interface Coalesced {
  shape: number[];
  strides: number[][];
}

/** Merge adjacent dims that are laid out contiguously in every operand; drop size-1 dims. */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): Coalesced {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][d];
    } else {
      outShape.push(shape[d]);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(1);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Call `row(offsets, n, innerStrides)` for every innermost row of `shape`, where offsets[k] is
 * operand k's offset of the row start. The offsets array is reused between calls.
 */
export function forEachRow(
  shape: Shape,
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  row: (offs: number[], n: number, inner: number[]) => void,
): void {
  for (const s of shape) if (s === 0) return;
  const c = coalesce(shape, strides);
  const r = c.shape.length;
  const k = strides.length;
  const inner = c.strides.map((s) => s[r - 1]);
  const n = c.shape[r - 1];
  const offs = [...offsets];
  if (r === 1) {
    row(offs, n, inner);
    return;
  }
  const idx = new Array<number>(r - 1).fill(0);
  for (;;) {
    row(offs, n, inner);
    // odometer over the outer dims
    let d = r - 2;
    for (; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) offs[j] += c.strides[j][d];
      if (idx[d] < c.shape[d]) break;
      for (let j = 0; j < k; j++) offs[j] -= c.strides[j][d] * c.shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
    // forEachRow mutates offs in place; row callbacks must copy what they keep
  }
}
