/** Helpers shared by batching rules: moving and materialising batch dims with views. */
import type { Tensor } from "../core/tensor.js";
import * as lax from "./lax.js";

/** Move dim `from` of x to position `to` (a permute view). */
export function moveDim(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return lax.permute(x, perm);
}

/** x with its batch dim (if any) at the front; an unbatched x gets a broadcast batch dim of `size`. */
export function batchToFront(x: Tensor, d: number | null, size: number): Tensor {
  if (d !== null) return moveDim(x, d, 0);
  return lax.expand(lax.reshape(x, [1, ...x.shape]), [size, ...x.shape]);
}

/** Bring every argument to the same physical shape with the batch dim at one position. */
export function alignBatched(args: Tensor[], dims: (number | null)[], size: number): [Tensor[], number] {
  const target = dims.find((d) => d !== null)!;
  const out = args.map((x, i) => {
    const d = dims[i];
    if (d !== null) return moveDim(x, d, target);
    const shape = [...x.shape];
    shape.splice(target, 0, 1);
    const full = [...x.shape];
    full.splice(target, 0, size);
    return lax.expand(lax.reshape(x, shape), full);
  });
  return [out, target];
}

/**
 * Folds x's batch dim `d` into its leading dim (the images of a convolution or an unfold), runs
 * `run` on [B * n, ...], and splits the result's leading dim back into [B, n, ...], batch at 0.
 */
export function batchIntoLeading(x: Tensor, d: number, run: (folded: Tensor) => Tensor): [Tensor, number] {
  const front = moveDim(x, d, 0);
  const [B, n] = front.shape;
  const out = run(lax.reshape(front, [B * n, ...front.shape.slice(2)]));
  return [lax.reshape(out, [B, out.shape[0] / B, ...out.shape.slice(1)]), 0];
}

/** Physical position of logical dim `d` when the batch dim sits at `bdim`. */
export function physDim(d: number, bdim: number): number {
  return d < bdim ? d : d + 1;
}
