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

/** The end of the run of oldest mirrors, from ring[start] on, that start at or after `from` and before `to`. */
function runEnd(start: number, from: number, to: number): number {
  let end = start;
  while (end < ring.length && ring[end].addr >= from && ring[end].addr < to) end++;
  return end;
}

/** Evicts the oldest mirrors, up to ring[end]. */
function evictTo(end: number): void {
  while (oldest < end) ring[oldest++].live = false;
  if (oldest > 1024 && 2 * oldest > ring.length) {
    ring = ring.slice(oldest);
    oldest = 0;
  }
}

/**
 * The byte addresses of element 0 of each array in the kernels' memory, for one kernel call: an
 * array that is mirrored, or a created tensor's storage that fits and can be mirrored now, gets
 * its mirror's; the others (undefined among them) get -1 (stage a copy). A new mirror never
 * evicts the mirror of an earlier array of the same call, whose address the kernel is about to
 * read: it is staged instead.
 */
export function mirrorAddresses(arrays: readonly (HeapArray | undefined)[]): number[] {
  const pinned: Mirror[] = [];
  return arrays.map((data) => {
    const m = data && mirrorOf(data, pinned);
    if (!m) return -1;
    pinned.push(m);
    return m.addr;
  });
}

/** Whether `data` is mirrored, mirroring it now if it can be: what a kernel would pay to stage it. */
export const isMirrored = (data: HeapArray): boolean => mirrorOf(data, []) !== undefined;

function mirrorOf(data: HeapArray, pinned: readonly Mirror[]): Mirror | undefined {
  const m = mirrors.get(data);
  if (m?.live) return m;
  const bytes = Math.ceil(data.byteLength / 16) * 16;
  if (bytes === 0 || bytes > MIRROR_BYTES / 4 || !isCreated(data)) return undefined;
  // the mirrors between head and the end are the oldest: past the end, they go and the ring starts over
  const wraps = head + bytes > MIRROR_BASE + MIRROR_BYTES;
  const at = wraps ? MIRROR_BASE : head;
  // then the mirrors at or after `at`, from the previous pass, oldest first
  const end = runEnd(wraps ? runEnd(oldest, head, Infinity) : oldest, at, at + bytes);
  for (let k = oldest; k < end; k++) if (pinned.includes(ring[k])) return undefined;
  evictTo(end);
  const mirror = { addr: at, live: true };
  heapLike(data).set(data, at / data.BYTES_PER_ELEMENT);
  head = at + bytes;
  mirrors.set(data, mirror);
  ring.push(mirror);
  return mirror;
}
