/**
 * What backends may know about a storage array beyond its values. A backend may keep a copy of
 * an array next to its kernels (the wasm backend mirrors arrays into WebAssembly memory, so
 * kernels read them in place instead of copying them in per call). It does so only for the
 * storage of tensors a program creates (inputs, parameters, buffers), which kernels read call
 * after call, not for the intermediates an op produces. Every in-place write into storage must
 * call `storageWritten`, so that such copies are dropped.
 */
import type { TypedArray } from "./dtype.js";

const created = new WeakSet<TypedArray>();
const writeListeners: ((data: TypedArray) => void)[] = [];

/** Marks `data` as the storage of a tensor the program created. */
export function markCreated(data: TypedArray): void {
  created.add(data);
}

export function isCreated(data: TypedArray): boolean {
  return created.has(data);
}

/** Registers a backend's listener for in-place writes. */
export function onStorageWritten(listener: (data: TypedArray) => void): void {
  writeListeners.push(listener);
}

/** Tells the backends that `data` was written in place (copyInto_, an optimizer's step). */
export function storageWritten(data: TypedArray): void {
  for (const listener of writeListeners) listener(data);
}

/**
 * `data` was handed to code outside the library (a tensor's `data`), which may write into it at
 * any time without a word: backends drop their copies of it and make no more.
 */
export function storageExposed(data: TypedArray): void {
  created.delete(data);
  storageWritten(data);
}
