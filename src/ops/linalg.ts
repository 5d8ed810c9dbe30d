/** Matrix products: matmul with NumPy's 1-d and broadcasting rules, and its named special cases. */
import { promoteTypes } from "../core/dtype.js";
import { broadcastShapes, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { checkTensor } from "./convert.js";

export function matmul(a: Tensor, b: Tensor): Tensor {
  return product("matmul", a, b);
}

/** matmul, with `op` (matmul, mv, mm, bmm, dot) named in its errors. */
function product(op: string, a: Tensor, b: Tensor): Tensor {
  checkTensor(a, op);
  checkTensor(b, op);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`${op}: both arguments need at least 1 dimension, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  const dtype = promoteTypes(a.dtype, b.dtype);
  // 1-d operands become a row / column and that dim is dropped from the result
  const a2 = a.ndim === 1 ? lax.reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? lax.reshape(b, [b.shape[0], 1]) : b;
  const [M, K] = a2.shape.slice(-2), [K2, N] = b2.shape.slice(-2);
  if (K !== K2) {
    throw new Error(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be multiplied (${K} != ${K2})`);
  }
  const batch = broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  if (!batch) {
    throw new Error(`${op}: batch dims of shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be broadcast together`);
  }
  const out = lax.matmul(lax.expand(lax.cast(a2, dtype), [...batch, M, K]), lax.expand(lax.cast(b2, dtype), [...batch, K, N]));
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  return lax.reshape(out, shape);
}

function requireRank(x: Tensor, rank: number, op: string, which: string): void {
  checkTensor(x, op);
  if (x.ndim !== rank) throw new Error(`${op}: ${which} must be ${rank}-d, got shape ${shapeStr(x.shape)}`);
}

export function dot(a: Tensor, b: Tensor): Tensor {
  requireRank(a, 1, "dot", "first argument");
  requireRank(b, 1, "dot", "second argument");
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`dot: 1-d tensors must have the same length, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  return product("dot", a, b);
}

export function mv(m: Tensor, v: Tensor): Tensor {
  requireRank(m, 2, "mv", "matrix");
  requireRank(v, 1, "mv", "vector");
  return product("mv", m, v);
}

export function mm(a: Tensor, b: Tensor): Tensor {
  requireRank(a, 2, "mm", "first argument");
  requireRank(b, 2, "mm", "second argument");
  return product("mm", a, b);
}

export function bmm(a: Tensor, b: Tensor): Tensor {
  requireRank(a, 3, "bmm", "first argument");
  requireRank(b, 3, "bmm", "second argument");
  if (a.shape[0] !== b.shape[0]) throw new Error(`bmm: batch sizes differ: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  return product("bmm", a, b);
}

export function outer(a: Tensor, b: Tensor): Tensor {
  requireRank(a, 1, "outer", "first argument");
  requireRank(b, 1, "outer", "second argument");
  return matmul(lax.reshape(a, [a.shape[0], 1]), lax.reshape(b, [1, b.shape[0]]));
}
