/** Index-based ops: gather, indexSelect, diagonals and triangles. */
import { normDim, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { arange } from "./creation.js";
import { asTensor, checkTensor } from "./convert.js";
import { eq, ge, le, sub, where } from "./elementwise.js";
import { movedim, unsqueeze } from "./shape.js";

function checkOffset(offset: number, op: string, what = "offset"): void {
  if (!Number.isInteger(offset)) throw new Error(`${op}: ${what} must be an integer, got ${offset}`);
}

function checkIndex(index: Tensor, op: string): void {
  checkTensor(index, op, "index");
  if (index.dtype !== "int32") throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype}`);
}

/** out[i][j] = x[index[i][j]][j] for dim 0 (torch.gather). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor(x, "gather");
  checkIndex(index, "gather");
  const d = normDim(dim, x.ndim, "gather");
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s > x.shape[i])) {
    throw new Error(`gather: index of shape ${shapeStr(index.shape)} does not fit input of shape ${shapeStr(x.shape)} (same rank, and no larger than the input outside dim ${d})`);
  }
  return lax.gather(x, d, index);
}

/** Select entries along dim by a 1-d index (torch.index_select). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor(x, "indexSelect");
  checkIndex(index, "indexSelect");
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 1-d, got shape ${shapeStr(index.shape)}`);
  const d = normDim(dim, x.ndim, "indexSelect");
  if (index.storage) {
    // concrete indices are checked here so the error names this op (the gather kernel checks the rest)
    for (const v of index.toTypedArray()) {
      if (v < 0 || v >= x.shape[d]) throw new Error(`indexSelect: index ${v} is out of bounds for dimension ${d} with size ${x.shape[d]}`);
    }
  }
  const idx = lax.reshape(index, [index.numel]);
  // broadcast the index over every other dim and gather
  const shape = x.shape.map((s, i) => (i === d ? idx.shape[0] : s));
  const view = x.shape.map((_, i) => (i === d ? idx.shape[0] : 1));
  return lax.gather(x, d, lax.expand(lax.reshape(idx, view), shape));
}

/** The diagonal of dims (d1, d2) moved to the end, as torch.diagonal. */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  checkTensor(x, "diagonal");
  if (x.ndim < 2) throw new Error(`diagonal: expected a tensor with at least 2 dims, got shape ${shapeStr(x.shape)}`);
  checkOffset(offset, "diagonal");
  const a = normDim(dim1, x.ndim, "diagonal"), b = normDim(dim2, x.ndim, "diagonal");
  if (a === b) throw new Error(`diagonal: dim1 and dim2 must differ, both are ${a}`);
  const m = movedim(x, [a, b], [x.ndim - 2, x.ndim - 1]);
  const [n, k] = m.shape.slice(-2);
  const rowStart = Math.max(0, -offset), colStart = Math.max(0, offset);
  const len = Math.max(0, Math.min(n - rowStart, k - colStart));
  const lead = m.shape.slice(0, -2);
  const rows = lax.slice(m, m.shape.map((_, i) => (i === m.ndim - 2 ? rowStart : 0)), [...lead, len, k]);
  const cols = lax.reshape(arange(colStart, colStart + len), [len, 1]);
  const idx = lax.expand(lax.reshape(cols, [...lead.map(() => 1), len, 1]), [...lead, len, 1]);
  return lax.reshape(lax.gather(rows, m.ndim - 1, idx), [...lead, len]);
}

/** diag: a 1-d input becomes a (shifted) diagonal matrix; a 2-d input gives its diagonal. */
export function diag(x: Tensor, offset = 0): Tensor {
  checkTensor(x, "diag");
  checkOffset(offset, "diag");
  if (x.ndim === 2) return diagonal(x, offset);
  if (x.ndim !== 1) throw new Error(`diag: expected a 1-d or 2-d tensor, got shape ${shapeStr(x.shape)}`);
  const k = Math.abs(offset), n = x.shape[0] + k;
  const onDiag = eq(sub(unsqueeze(arange(n), 0), unsqueeze(arange(n), 1)), offset); // col - row == offset
  // entry (i, i + offset) holds x[i]: x runs down the rows for offset >= 0, along the columns otherwise
  const padded = lax.pad(x, [0], [k], 0);
  return where(onDiag, unsqueeze(padded, offset >= 0 ? 1 : 0), asTensor(0, x.dtype, "diag"));
}

function triangle(op: "tril" | "triu") {
  return (x: Tensor, diagonalOffset = 0): Tensor => {
    checkTensor(x, op);
    if (x.ndim < 2) throw new Error(`${op}: expected a tensor with at least 2 dims, got shape ${shapeStr(x.shape)}`);
    checkOffset(diagonalOffset, op, "diagonal");
    const [n, m] = x.shape.slice(-2);
    const delta = sub(unsqueeze(arange(m), 0), unsqueeze(arange(n), 1)); // col - row
    const keep = op === "tril" ? le(delta, diagonalOffset) : ge(delta, diagonalOffset);
    return where(keep, x, asTensor(0, x.dtype, op));
  };
}
export const tril = triangle("tril");
export const triu = triangle("triu");
