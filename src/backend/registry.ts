/** Which backend runs the kernels. The js backend is always there; others register themselves. */
import type { Backend } from "./backend.js";
import { jsBackend } from "./js/index.js";

const backends = new Map<string, Backend>([["js", jsBackend]]);
let current: Backend = jsBackend;

export function registerBackend(b: Backend): void {
  backends.set(b.name, b);
}

export function backend(): Backend {
  return current;
}

export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new Error(`setBackend: unknown backend "${name}" (available: ${[...backends.keys()].join(", ")})`);
  current = b;
}

export function backendNames(): string[] {
  return [...backends.keys()];
}
