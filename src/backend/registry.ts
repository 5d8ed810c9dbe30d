/**
 * Which backend runs the kernels. The js backend is always there and is the reference; the
 * wasm backend registers where the engine has WebAssembly SIMD and is then the default.
 */
import type { Backend } from "./backend.js";
import { jsBackend } from "./js/index.js";
import { wasmBackend, wasmSimdAvailable } from "./wasm/index.js";

const backends = new Map<string, Backend>([["js", jsBackend]]);
if (wasmSimdAvailable()) backends.set("wasm", wasmBackend);
let current: Backend = backends.get("wasm") ?? jsBackend;

export function backend(): Backend {
  return current;
}

/** Select the backend by name ("wasm" or "js"); every later kernel call uses it. */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new Error(`setBackend: unknown backend "${name}" (available here: ${[...backends.keys()].join(", ")})`);
  current = b;
}

export function getBackend(): string {
  return current.name;
}

export function backendNames(): string[] {
  return [...backends.keys()];
}
