// The SIMD kernels' memory (those of kernels.ts and the gemm's): one WebAssembly.Memory holding
// a region of mirrored arrays (resident.ts) and, above it, a stack of scratch space. A kernel
// call copies its operands in (unless they are mirrored), runs, copies its output out, and pops
// what it pushed, so the memory only ever grows to the largest call and its pages stay warm.
//
// Tensor storage stays in ordinary typed arrays, which V8 garbage-collects and whose memory
// malloc recycles. (Storage on the wasm heap would save the copies, but its blocks could only
// be reused after a full GC and a finalizer task, which long synchronous loops never give; and
// fresh wasm pages cost about 3 ns per float to fault in here, more than the copies.)

import { wasmRelaxedSimdAvailable } from "./features.js";
import { buildKernels, kernelImports, type Kernels, kernelsFrom } from "./kernels.js";

const PAGE = 65536;
/** The mirror region: [MIRROR_BASE, MIRROR_BASE + MIRROR_BYTES). Address 0 stays unused. */
export const MIRROR_BASE = 16;
export const MIRROR_BYTES = 32 * 2 ** 20;

let memory: WebAssembly.Memory | undefined;
let kernels: Kernels | undefined;
/** Top of the scratch stack, in bytes. */
let top = MIRROR_BASE + MIRROR_BYTES;
let f32View = new Float32Array(0);
let f64View = new Float64Array(0);
let i32View = new Int32Array(0);
let u8View = new Uint8Array(0);

/** The SIMD kernels, instantiated over the memory on first use. */
export function heapKernels(): Kernels {
  if (!kernels) {
    // the mirror region is reserved from the start; its pages are only touched when used
    memory = new WebAssembly.Memory({ initial: Math.ceil(top / PAGE) + 16 });
    kernels = kernelsFrom(new WebAssembly.Instance(new WebAssembly.Module(buildKernels(wasmRelaxedSimdAvailable())), kernelImports(memory)));
  }
  return kernels;
}

/** The memory itself, for other kernel modules to import (the gemm's). */
export function heapMemory(): WebAssembly.Memory {
  heapKernels();
  return memory!;
}

/** The stack position, to return to with popScratch. */
export function markScratch(): number {
  return top;
}

/** Reserves `bytes` (rounded up to 16) and returns their address, or -1 if the memory cannot grow. */
export function pushScratch(bytes: number): number {
  heapKernels();
  const addr = top;
  const end = addr + Math.ceil(bytes / 16) * 16;
  const have = memory!.buffer.byteLength;
  // geometric growth, so that a run of growing calls does not grow page by page
  if (end > have && !grow(Math.max(end, have * 1.25) - have) && !grow(end - have)) return -1;
  top = end;
  return addr;
}

function grow(bytes: number): boolean {
  try {
    memory!.grow(Math.ceil(bytes / PAGE));
    return true;
  } catch {
    return false;
  }
}

export function popScratch(mark: number): void {
  top = mark;
}

/** The memory as float32; re-made after growth, which detaches the old buffer. */
export function heapF32(): Float32Array {
  const buffer = memory!.buffer;
  if (f32View.buffer !== buffer) f32View = new Float32Array(buffer);
  return f32View;
}

/** The memory as float64. */
export function heapF64(): Float64Array {
  const buffer = memory!.buffer;
  if (f64View.buffer !== buffer) f64View = new Float64Array(buffer);
  return f64View;
}

/** The memory as bytes, for bool operands and results. */
export function heapU8(): Uint8Array {
  const buffer = memory!.buffer;
  if (u8View.buffer !== buffer) u8View = new Uint8Array(buffer);
  return u8View;
}

/** The typed arrays the kernels read and write: floats, int32 indices and bool bytes. */
export type HeapArray = Float32Array | Float64Array | Int32Array | Uint8Array;
/** The float arrays the float kernels take: float32 or float64, all of one type in a call. */
export type FloatArray = Float32Array | Float64Array;

/** The memory as the element type of `like`. */
export function heapLike<T extends HeapArray>(like: T): T {
  return (like instanceof Uint8Array ? heapU8() : like instanceof Int32Array ? heapI32() : like instanceof Float64Array ? heapF64() : heapF32()) as T;
}

/** The memory as int32, for the tables some kernels read. */
export function heapI32(): Int32Array {
  const buffer = memory!.buffer;
  if (i32View.buffer !== buffer) i32View = new Int32Array(buffer);
  return i32View;
}

/** Int32 views move float bits without float conversions: faster, and NaN payloads survive. */
export const int32Bits = (x: Float32Array): Int32Array => new Int32Array(x.buffer, x.byteOffset, x.length);

/** x rounded up to a multiple of m: the heap's blocks, panels and bands are padded to whole vectors or tiles. */
export const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
