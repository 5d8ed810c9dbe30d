import { isSmall, smallArray } from "./small_arrays.js";

/** Element types, their storage arrays, and PyTorch's promotion rules (int32 stands in for int64). */
export type DType = "float32" | "float64" | "int32" | "bool";
export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
const ARRAY_TYPES: Record<DType, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray> =
  { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array };

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64";
}

export function checkDType(d: unknown, where: string): DType {
  if (typeof d === "string" && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new Error(`${where}: unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(", ")}`);
}

/** A zeroed array (a view into a shared block when small: small_arrays.ts). */
export function allocArray(dtype: DType, n: number): TypedArray {
  const bytes = n * BYTES[dtype];
  if (isSmall(bytes)) return smallArray(ARRAY_TYPES[dtype], n, bytes);
  switch (dtype) {
    case "float32": return new Float32Array(n);
    case "float64": return new Float64Array(n);
    case "int32": return new Int32Array(n);
    case "bool": return new Uint8Array(n);
  }
}

/**
 * When allocUnwritten skips the zero fill: `minBytes` (smaller arrays come zeroed from V8 or from
 * a block of small arrays, which is as cheap), and `poison`, set by the tests, fills every array
 * allocUnwritten makes with values no kernel result has (NaN, 77) so an element a kernel forgot
 * to write shows up.
 */
export const allocSettings = { minBytes: 65536, poison: false };

/** Node's Buffer, where there is one: it hands out memory without zeroing it. */
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(bytes: number): Uint8Array } }).Buffer;
/**
 * glibc's malloc (Node on Linux) serves blocks over its mmap threshold (128 KiB at start) with
 * fresh pages, which fault in on first write (about 2 us a page here: 2 ms for a 4 MB result, ten
 * times its copy), and gives freed heap memory back to the system once more than its trim
 * threshold is free at the top. Freeing an mmapped block raises the two thresholds to its size and
 * twice that, up to 32 MiB. Tensors' arrays, freed by the garbage collector many at a time,
 * overshoot thresholds raised only to their own size, and their memory keeps faulting in afresh.
 * One block just under 32 MiB, never touched and freed at the next collection, raises the
 * thresholds to their limits: arrays up to 32 MiB are then reused from the heap, as PyTorch's are
 * from its allocator (a fresh 4 MB array filled: 2.3 -> 0.22 ms). Other allocators (macOS,
 * browsers) see one untouched allocation.
 */
let mallocRaised = false;
function raiseMallocThreshold(): void {
  mallocRaised = true;
  nodeBuffer?.allocUnsafeSlow(32 * 2 ** 20 - 2 ** 16);
}

/**
 * Node 20 makes no Buffer over 4 GiB; typed arrays can be larger. Memory that size comes fresh
 * from the OS, already zero, so a zeroed array costs no more there.
 */
const BUFFER_MAX_BYTES = 2 ** 32;

/**
 * Storage the caller overwrites entirely before anything reads it: large arrays skip the zero
 * fill (a memset the size of the array, a quarter of the cost of a big elementwise op).
 */
export function allocUnwritten(dtype: DType, n: number): TypedArray {
  const out = unzeroed(dtype, n) ?? allocArray(dtype, n);
  if (allocSettings.poison) out.fill(isFloat(dtype) ? NaN : 77);
  return out;
}

/** An array from Buffer's unzeroed memory, or undefined where that does not pay or cannot be had. */
function unzeroed(dtype: DType, n: number): TypedArray | undefined {
  const bytes = n * BYTES[dtype];
  if (!nodeBuffer || bytes < allocSettings.minBytes || isSmall(bytes) || bytes > BUFFER_MAX_BYTES) return undefined;
  if (!mallocRaised) raiseMallocThreshold();
  return new ARRAY_TYPES[dtype](nodeBuffer.allocUnsafeSlow(bytes).buffer, 0, n);
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Result dtype of a binary op between two tensors. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Result dtype of a tensor with a plain number: a number never widens a tensor's
 * category beyond what it needs (PyTorch's "wrapped number" rule).
 */
export function promoteWithScalar(t: DType, v: number | boolean): DType {
  if (typeof v === "boolean") return t;
  if (isFloat(t)) return t;
  if (!Number.isInteger(v)) return "float32";
  return t === "bool" ? "int32" : t;
}
