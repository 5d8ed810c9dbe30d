// Mirrors of created tensors' storage (inputs, parameters: see core/storage.ts) in a region at
// the bottom of the kernels' memory, so that kernels read them in place rather than copying
// them in on every call, as jax-js's arrays, which live in wasm memory, are read.
//
// The region is a ring: a new mirror goes after the newest one (or back at the start when it
// does not fit) and evicts the mirrors it overlaps, the oldest. A mirror is dropped when its
// array is written in place. Arrays larger than a quarter of the region are never mirrored.

import type { TypedArray } from "../../core/dtype.js";
import { isCreated, onStorageWritten } from "../../core/storage.js";
import { type HeapArray, heapLike, MIRROR_BASE, MIRROR_BYTES } from "./heap.js";

/** Where one array's elements are in the region, while `live`. */
interface Mirror {
  readonly addr: number;
  live: boolean;
}

const mirrors = new WeakMap<TypedArray, Mirror>();
/** The mirrors in the order they were made, oldest (next to evict) at ring[oldest]. */
let ring: Mirror[] = [];
let oldest = 0;
/** Where the next mirror goes, as a byte address. */
let head = MIRROR_BASE;

// a written array is mirrored afresh at its next use; its old mirror waits for eviction
onStorageWritten((data) => mirrors.delete(data));

/** Evicts the oldest mirrors while they start at or after `from` and before `to`. */
function evict(from: number, to: number): void {
  while (oldest < ring.length && ring[oldest].addr >= from && ring[oldest].addr < to) ring[oldest++].live = false;
  if (oldest > 1024 && 2 * oldest > ring.length) {
    ring = ring.slice(oldest);
    oldest = 0;
  }
}

/**
 * The byte address of element 0 of `data` in the kernels' memory if it is mirrored, mirroring
 * it now if it is a created tensor's storage that fits; -1 otherwise (stage a copy).
 */
export function mirrorAddress(data: HeapArray): number {
  const m = mirrors.get(data);
  if (m?.live) return m.addr;
  const bytes = Math.ceil(data.byteLength / 16) * 16;
  if (bytes === 0 || bytes > MIRROR_BYTES / 4 || !isCreated(data)) return -1;
  if (head + bytes > MIRROR_BASE + MIRROR_BYTES) {
    // the mirrors between head and the end are the oldest: evict them and start over
    evict(head, Infinity);
    head = MIRROR_BASE;
  }
  // mirrors at or after head are from the previous pass, oldest first
  evict(head, head + bytes);
  const mirror = { addr: head, live: true };
  heapLike(data).set(data, head / data.BYTES_PER_ELEMENT);
  head += bytes;
  mirrors.set(data, mirror);
  ring.push(mirror);
  return mirror.addr;
}
