/** Batched matrix multiply: a [..., M, K] @ b [..., K, N] with equal leading dims. */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { moveDim } from "./batching.js";
import { produceWritten, strided } from "./kernel.js";
import * as lax from "./lax.js";
import { sample } from "./samples.js";
import { reshapesAsView } from "./shape.js";

/** Swap the last two dims (a view). */
export function mT(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.ndim - 2] = x.ndim - 1;
  perm[x.ndim - 1] = x.ndim - 2;
  return lax.permute(x, perm);
}

/**
 * a batched, b shared: fold the batch into a's rows, so the whole batch is one matmul.
 * Physically a is [...lead, B, M, K] after the move; the result is batched at lead.length.
 * Returns null when the fold would have to copy a (its rows are not laid out batch-major).
 */
function foldIntoRows(a: Tensor, da: number, b: Tensor): [Tensor, number] | null {
  const at = moveDim(a, da, a.ndim - 3);
  const lead = at.shape.slice(0, at.ndim - 3);
  const [B, M, K] = at.shape.slice(at.ndim - 3);
  const rows = [...lead, B * M, K];
  if (!reshapesAsView(at, rows)) return null;
  const out = bind(matmulP, [lax.reshape(at, rows), b], null);
  return [lax.reshape(out, [...lead, B, M, b.shape[b.ndim - 1]]), lead.length];
}

/** One operand batched, the other shared: broadcast the shared one over the batch (a stride-0 view). */
function broadcastShared(x: Tensor, dx: number, shared: Tensor, sharedFirst: boolean): [Tensor, number] {
  const front = moveDim(x, dx, 0);
  const s = lax.expand(shared, [front.shape[0], ...shared.shape]);
  return [bind(matmulP, sharedFirst ? [s, front] : [front, s], null), 0];
}

export const matmulP: Primitive<null> = definePrimitive<null>({
  name: "matmul",
  impl: ([a, b]) => {
    const r = a.ndim;
    const shape = [...a.shape.slice(0, r - 1), b.shape[r - 1]];
    return produceWritten(shape, a.dtype, (out) => backend().matmul(strided(a), strided(b), out));
  },
  jvp: ([a, b], [ta, tb]) => {
    return lax.addTerms(ta && lax.matmul(ta, b), tb && lax.matmul(a, tb));
  },
  vjp: (g, [a, b], _p, _y, needed) => [needed[0] ? lax.matmul(g, mT(b)) : null, needed[1] ? lax.matmul(mT(a), g) : null],
  batch: ([a, b], [da, db]) => {
    if (da !== null && db !== null) return [bind(matmulP, [moveDim(a, da, 0), moveDim(b, db, 0)], null), 0];
    if (db === null) return foldIntoRows(a, da!, b) ?? broadcastShared(a, da!, b, false);
    // (a @ b)^T = b^T @ a^T: b's batch folds into the rows of b^T. The batch dim goes in
    // front first: mT swaps the last two physical dims, which may include the batch dim.
    const folded = foldIntoRows(mT(moveDim(b, db, 0)), 0, mT(a));
    return folded ? [mT(folded[0]), folded[1]] : broadcastShared(b, db, a, true);
  },
  samples: () => [
    { args: [sample([3, 4]), sample([4, 2])], params: null },
    { args: [sample([2, 3, 4]), sample([2, 4, 5])], params: null },
    { args: [sample([1, 4]), sample([4, 1])], params: null },
  ],
});
