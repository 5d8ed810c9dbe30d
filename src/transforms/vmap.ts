/**
 * vmap: a batching interpreter. A BatchTracer is a value with one extra (batch) dim; each
 * primitive's batching rule computes the whole batch in one call on the level below.
 */
import type { BatchContext, Primitive, Randomness } from "../core/primitive.js";
import { shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { Level, Tracer, withLevel } from "../core/trace.js";
import { moveDim } from "../primitives/batching.js";
import * as lax from "../primitives/lax.js";
import { getRngState, setRngState } from "../primitives/random.js";
import { broadcastPrefix, flatten, unflatten, type TreeDef } from "../tree/tree.js";
import { checkOptions, type OptionNames } from "../core/options.js";

export type InDims = number | null | readonly InDims[] | { readonly [k: string]: InDims };

export interface VmapOptions {
  inDims?: InDims;
  outDims?: InDims;
  randomness?: Randomness;
  chunkSize?: number;
}
const VMAP_OPTIONS: OptionNames<VmapOptions> = { inDims: true, outDims: true, randomness: true, chunkSize: true };

class BatchLevel extends Level implements BatchContext {
  constructor(depth: number, readonly axisSize: number, readonly randomness: Randomness) {
    super(depth, "vmap");
  }

  override takesRandom(): boolean {
    return true;
  }

  process(prim: Primitive, args: Tensor[], params: unknown): Tensor {
    const vals = new Array<Tensor>(args.length);
    const dims = new Array<number | null>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a instanceof BatchTracer && a.level === this) {
        vals[i] = a.value;
        dims[i] = a.bdim;
      } else {
        vals[i] = a;
        dims[i] = null;
      }
    }
    const [out, d] = prim.batch(vals, dims, params, this);
    return d === null ? out : new BatchTracer(this, out, d);
  }
}

export class BatchTracer extends Tracer {
  constructor(level: BatchLevel, readonly value: Tensor, readonly bdim: number) {
    super(level, value.shape.filter((_, i) => i !== bdim), value.dtype);
  }

  override concrete(op: string): Tensor {
    throw new Error(`vmap: cannot call ${op} on a batched tensor inside the vmapped function: its value differs per example. Use tensor ops instead (e.g. where(cond, a, b) in place of an if on a value), or call ${op} outside vmap`);
  }
}

const isDimLeaf = (x: unknown): boolean => x === null || typeof x === "number";

/** vmap(func, opts) returns func mapped over a dim of its arguments. */
export function vmap<F extends (...args: any[]) => any>(func: F, opts: VmapOptions = {}): (...args: Parameters<F>) => ReturnType<F> {
  if (typeof func !== "function") throw new Error(`vmap: expected a function, got ${typeof func}`);
  const { inDims = 0, outDims = 0, randomness = "error", chunkSize } = checkOptions("vmap", opts, VMAP_OPTIONS);
  if (!["error", "different", "same"].includes(randomness)) {
    throw new Error(`vmap: randomness must be "error", "different" or "same", got ${JSON.stringify(randomness)}`);
  }
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1)) {
    throw new Error(`vmap: chunkSize must be a positive integer, got ${chunkSize}`);
  }
  return ((...args: unknown[]) => {
    const [leaves, def] = flatten(args);
    if (Array.isArray(inDims) && inDims.length !== args.length) {
      throw new Error(`vmap: inDims has ${inDims.length} entries but the function was called with ${args.length} arguments; give one entry per argument`);
    }
    if (!isDimLeaf(inDims) && !Array.isArray(inDims)) {
      throw new Error(`vmap: inDims must be a number, null, or an array with one entry per argument (got ${JSON.stringify(inDims)}); for an object argument write [{...}]`);
    }
    const dims = broadcastPrefix<number | null>(inDims, def, isDimLeaf, "vmap: inDims");
    const size = mappedSize(leaves, dims, def);
    const run = (ls: unknown[], n: number) => runBatched(func, ls, dims, def, n, outDims, randomness);
    if (chunkSize === undefined || chunkSize >= size) return run(leaves, size);
    return runChunked(run, leaves, dims, size, chunkSize, outDims, randomness);
  }) as (...args: Parameters<F>) => ReturnType<F>;
}

/** Check the mapped arguments, normalise their dims in place, and return the common size. */
function mappedSize(leaves: unknown[], dims: (number | null)[], def: TreeDef): number {
  let size = -1, first = "";
  leaves.forEach((leaf, i) => {
    const d = dims[i];
    if (d === null) return;
    const where = leafPath(def, i);
    if (!(leaf instanceof Tensor)) {
      throw new Error(`vmap: inDims maps ${where} (dim ${d}) but it is ${leaf === null ? "null" : typeof leaf}, not a Tensor; use null in inDims for non-tensor arguments`);
    }
    if (leaf.ndim === 0) {
      throw new Error(`vmap: inDims maps ${where} (dim ${d}) but it is a 0-d tensor, which has no dim to map over; use null in inDims for it`);
    }
    if (!Number.isInteger(d) || d < -leaf.ndim || d >= leaf.ndim) {
      throw new Error(`vmap: inDims ${d} is out of range for ${where} with shape ${shapeStr(leaf.shape)} (rank ${leaf.ndim}); expected a dim in [${-leaf.ndim}, ${leaf.ndim - 1}]`);
    }
    const nd = d < 0 ? d + leaf.ndim : d;
    dims[i] = nd;
    const n = leaf.shape[nd];
    if (size === -1) { size = n; first = `${where} has size ${n} in dim ${nd}`; }
    else if (n !== size) {
      throw new Error(`vmap: mapped inputs must all have the same size in their mapped dim, but ${first} and ${where} has size ${n} in dim ${nd}`);
    }
  });
  if (size === -1) {
    throw new Error("vmap: no input is mapped (every inDims entry is null or there are no tensor arguments); map at least one tensor argument");
  }
  return size;
}

function leafPath(def: TreeDef, index: number): string {
  let i = 0, found = "";
  const walk = (d: TreeDef, path: string): void => {
    if (found) return;
    if (d.kind === "leaf") { if (i++ === index) found = path; return; }
    if (d.kind === "none") return;
    if (d.kind === "array") d.children.forEach((c, j) => walk(c, path === "" ? `argument ${j}` : `${path}[${j}]`));
    else d.keys.forEach((k, j) => walk(d.children[j], `${path}.${k}`));
  };
  walk(def, "");
  return found;
}

function runBatched(
  func: (...a: any[]) => any, leaves: unknown[], dims: (number | null)[], def: TreeDef,
  size: number, outDims: InDims, randomness: Randomness,
): any {
  return withLevel((depth) => new BatchLevel(depth, size, randomness), (level) => {
    const wrapped = leaves.map((leaf, i) => (dims[i] === null ? leaf : new BatchTracer(level, leaf as Tensor, dims[i]!)));
    const out = func(...(unflatten(def, wrapped) as unknown[]));
    const [outLeaves, outDef] = flatten(out);
    const ods = outDimsPerLeaf(outDims, outDef);
    return unflatten(outDef, outLeaves.map((leaf, i) => unbatchOutput(leaf, level, size, ods[i], i)));
  });
}

/** One out dim per output leaf. A single output also takes `[d]` (as torch.vmap's out_dims=(d,)). */
function outDimsPerLeaf(outDims: InDims, outDef: TreeDef): (number | null)[] {
  if (outDef.kind === "leaf" && Array.isArray(outDims) && outDims.length === 1 && isDimLeaf(outDims[0])) return [outDims[0] as number | null];
  return broadcastPrefix<number | null>(outDims, outDef, isDimLeaf, "vmap: outDims");
}

/** Move an output's batch dim to where outDims asks, or broadcast an unbatched output. */
function unbatchOutput(leaf: unknown, level: BatchLevel, size: number, od: number | null, i: number): unknown {
  if (od === null && !(leaf instanceof Tensor)) return leaf;
  if (!(leaf instanceof Tensor)) {
    throw new Error(`vmap: the function must return Tensors (or arrays/objects of them), but output ${i} is ${leaf === null ? "null" : typeof leaf}`);
  }
  const batched = leaf instanceof BatchTracer && leaf.level === level;
  if (od === null) {
    if (batched) throw new Error(`vmap: outDims is null for output ${i}, but that output depends on the mapped inputs; give it an out dim`);
    return leaf;
  }
  const rank = leaf.ndim + 1;
  if (!Number.isInteger(od) || od < -rank || od >= rank) {
    throw new Error(`vmap: outDims ${od} is out of range for output ${i} of per-example shape ${shapeStr(leaf.shape)} (expected a dim in [${-rank}, ${rank - 1}])`);
  }
  const d = od < 0 ? od + rank : od;
  if (batched) return moveDim(leaf.value, leaf.bdim, d);
  const shape = [...leaf.shape];
  shape.splice(d, 0, 1);
  const full = [...leaf.shape];
  full.splice(d, 0, size);
  return lax.expand(lax.reshape(leaf, shape), full);
}

/** Run the batch in chunks of chunkSize and concatenate the outputs along their out dims. */
function runChunked(
  run: (leaves: unknown[], n: number) => any, leaves: unknown[], dims: (number | null)[],
  size: number, chunkSize: number, outDims: InDims, randomness: Randomness,
): any {
  const results: unknown[] = [];
  // "same": every chunk replays the same draws, so all examples share them (as torch does)
  const rng = randomness === "same" ? getRngState() : null;
  for (let start = 0; start < size; start += chunkSize) {
    const n = Math.min(chunkSize, size - start);
    if (rng && start > 0) setRngState(rng);
    results.push(run(leaves.map((leaf, i) => {
      const d = dims[i];
      if (d === null) return leaf;
      const t = leaf as Tensor;
      return lax.slice(t, t.shape.map((_, j) => (j === d ? start : 0)), t.shape.map((s, j) => (j === d ? n : s)));
    }), n));
  }
  const [first, outDef] = flatten(results[0]);
  const ods = outDimsPerLeaf(outDims, outDef);
  const parts = results.map((r) => flatten(r)[0] as Tensor[]);
  return unflatten(outDef, first.map((_, i) => {
    const od = ods[i];
    if (od === null) return parts[0][i];
    const rank = parts[0][i].ndim;
    return lax.concat(parts.map((p) => p[i]), od < 0 ? od + rank : od);
  }));
}

