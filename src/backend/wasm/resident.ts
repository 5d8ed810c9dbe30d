// Mirrors of created tensors' storage (inputs, parameters: see core/storage.ts) in a region at
// the bottom of the kernels' memory, so that kernels read them in place rather than copying
// them in on every call, as jax-js's arrays, which live in wasm memory, are read.
//
// The region is a ring: a new mirror goes after the newest one (or back at the start when it
// does not fit) and evicts the mirrors it overlaps, the oldest. A mirror is dropped when its
// array is written in place. Arrays larger than a quarter of the region are never mirrored.

import type { TypedArray } from "../../core/dtype.js";
import { isCreated, onStorageWritten } from "../../core/storage.js";
import { heapLike, MIRROR_BASE, MIRROR_BYTES } from "./heap.js";

/** Byte range [addr, end) of the region holding one array's elements. */
interface Mirror {
  readonly addr: number;
  readonly end: number;
}

const mirrors = new WeakMap<TypedArray, Mirror>();
/** The mirrors that hold their array's values now (evicted ones leave this set). */
const live = new Set<Mirror>();
/** Where the next mirror goes, relative to MIRROR_BASE. */
let head = 0;

// a written array is mirrored afresh at its next use; its old mirror waits for eviction
onStorageWritten((data) => mirrors.delete(data));

/**
 * The byte address of element 0 of `data` in the kernels' memory if it is mirrored, mirroring
 * it now if it is a created tensor's storage that fits; -1 otherwise (stage a copy).
 */
export function mirrorAddress(data: Float32Array | Int32Array | Uint8Array): number {
  const m = mirrors.get(data);
  if (m && live.has(m)) return m.addr;
  const bytes = Math.ceil(data.byteLength / 16) * 16;
  if (bytes === 0 || bytes > MIRROR_BYTES / 4 || !isCreated(data)) return -1;
  if (head + bytes > MIRROR_BYTES) head = 0;
  const mirror = { addr: MIRROR_BASE + head, end: MIRROR_BASE + head + bytes };
  for (const other of live) if (other.addr < mirror.end && mirror.addr < other.end) live.delete(other);
  heapLike(data).set(data, mirror.addr / data.BYTES_PER_ELEMENT);
  head += bytes;
  mirrors.set(data, mirror);
  live.add(mirror);
  return mirror.addr;
}
