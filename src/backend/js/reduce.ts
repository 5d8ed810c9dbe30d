/** Reductions over the trailing dims of a strided array; NaN propagates as in PyTorch. */
import type { TypedArray } from "../../core/dtype.js";
import { numelOf } from "../../core/shape.js";
import type { ReduceOp, StridedArray } from "../backend.js";
import { coalesce, forEachRow } from "./iterate.js";

export function reduce(op: ReduceOp, x: StridedArray, nReduced: number, out: TypedArray): void {
  const r = x.shape.length - nReduced;
  const outerShape = x.shape.slice(0, r), innerShape = x.shape.slice(r);
  const outerStrides = x.strides.slice(0, r), innerStrides = x.strides.slice(r);
  const innerN = numelOf(innerShape);
  const d = x.data;
  let o = 0;
  // the reduced block is usually one strided run: reduce it with a single tight loop
  const inner = coalesce(innerShape, [innerStrides]);
  if (innerN > 0 && inner.shape.length === 1 && op !== "prod") {
    const m = inner.shape[0], s = inner.strides[0][0];
    const run = op === "argmax" || op === "argmin"
      ? (d: TypedArray, i: number, s: number, m: number) => argExtremeRun(op === "argmax" ? 1 : -1, d, i, s, m)
      : (d: TypedArray, i: number, s: number, m: number) => reduceRun(op, d, i, s, m);
    forEachRow(outerShape.length ? outerShape : [1], [outerShape.length ? outerStrides : [0]], [x.offset], (outerOffs, n, outerInner) => {
      for (let j = 0; j < n; j++, o++) out[o] = run(d, outerOffs[0] + j * outerInner[0], s, m);
    });
    return;
  }
  // one output element per outer position; the reduced block is walked row by row
  forEachRow(outerShape.length ? outerShape : [1], [outerShape.length ? outerStrides : [0]], [x.offset], (outerOffs, n, outerInner) => {
    for (let j = 0; j < n; j++, o++) {
      const base = outerOffs[0] + j * outerInner[0];
      out[o] = reduceBlock(op, d, base, innerShape, innerStrides, innerN);
    }
  });
}

function reduceBlock(op: ReduceOp, d: TypedArray, base: number, shape: readonly number[], strides: readonly number[], n: number): number {
  switch (op) {
    case "sum": {
      let acc = 0;
      forEachRow(shape, [strides], [base], (offs, m, inner) => {
        let i = offs[0]; const s = inner[0];
        for (let k = 0; k < m; k++, i += s) acc += d[i];
      });
      return acc;
    }
    case "prod": {
      let acc = 1;
      forEachRow(shape, [strides], [base], (offs, m, inner) => {
        let i = offs[0]; const s = inner[0];
        for (let k = 0; k < m; k++, i += s) acc *= d[i];
      });
      return acc;
    }
    case "max": case "min": {
      let acc = op === "max" ? -Infinity : Infinity;
      const isMax = op === "max";
      forEachRow(shape, [strides], [base], (offs, m, inner) => {
        let i = offs[0]; const s = inner[0];
        for (let k = 0; k < m; k++, i += s) acc = isMax ? Math.max(acc, d[i]) : Math.min(acc, d[i]);
      });
      return acc;
    }
    case "argmax": case "argmin": {
      // first index of the extreme value; a NaN counts as the extreme (PyTorch)
      let best = 0, bestV = op === "argmax" ? -Infinity : Infinity, pos = 0, sawNaN = false;
      const isMax = op === "argmax";
      forEachRow(shape, [strides], [base], (offs, m, inner) => {
        let i = offs[0]; const s = inner[0];
        for (let k = 0; k < m; k++, i += s, pos++) {
          if (sawNaN) continue;
          const v = d[i];
          if (v !== v) { best = pos; sawNaN = true; }
          else if (pos === 0 || (isMax ? v > bestV : v < bestV)) { bestV = v; best = pos; }
        }
      });
      return n === 0 ? 0 : best;
    }
  }
}

function reduceRun(op: "sum" | "max" | "min", d: TypedArray, i: number, s: number, m: number): number {
  if (op === "sum") {
    let acc = 0;
    for (let k = 0; k < m; k++, i += s) acc += d[i];
    return acc;
  }
  // Math.max/min: NaN wins and +0 > -0 (IEEE), as in the wasm kernels
  let acc = op === "max" ? -Infinity : Infinity;
  if (op === "max") for (let k = 0; k < m; k++, i += s) acc = Math.max(acc, d[i]);
  else for (let k = 0; k < m; k++, i += s) acc = Math.min(acc, d[i]);
  return acc;
}

/**
 * The first extreme of a run of m >= 1 elements (coalescing keeps the block's row-major order, so
 * the run position is the block position), the max for sign 1 and the min for -1: the first NaN
 * wins, and a tie (-0 and +0 too, which stay equal negated) keeps the earlier element.
 */
function argExtremeRun(sign: 1 | -1, d: TypedArray, i: number, s: number, m: number): number {
  let best = 0, bestV = sign * d[i];
  if (bestV !== bestV) return 0;
  i += s;
  for (let k = 1; k < m; k++, i += s) {
    const v = sign * d[i];
    if (v > bestV) { bestV = v; best = k; }
    else if (v !== v) return k;
  }
  return best;
}
