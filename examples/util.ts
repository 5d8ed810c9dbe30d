/** Shared by the examples: printing checks against references. */
import { Tensor } from "../src/index.js";

export interface ExampleResult {
  name: string;
  checks: { what: string; ok: boolean; detail: string }[];
}

export class Report implements ExampleResult {
  checks: { what: string; ok: boolean; detail: string }[] = [];
  constructor(readonly name: string, readonly quiet = false) {
    this.log(`\n=== ${name} ===`);
  }

  log(...parts: unknown[]): void {
    if (!this.quiet) console.log(...parts.map((p) => (p instanceof Tensor ? p.toString() : p)));
  }

  /** Record that `got` matches `want` within tolerance. */
  close(what: string, got: Tensor, want: Tensor, tol = 1e-4): void {
    const diff = maxAbsDiff(got, want);
    const ok = diff <= tol && sameShape(got, want);
    this.checks.push({ what, ok, detail: `max |diff| = ${diff.toExponential(2)}` });
    this.log(`  ${ok ? "ok  " : "FAIL"} ${what} (max |diff| ${diff.toExponential(2)})`);
  }

  check(what: string, ok: boolean, detail = ""): void {
    this.checks.push({ what, ok, detail });
    this.log(`  ${ok ? "ok  " : "FAIL"} ${what}${detail ? ` (${detail})` : ""}`);
  }
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((s, i) => s === b.shape[i]);
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (!sameShape(a, b)) return Infinity;
  const x = a.toTypedArray(), y = b.toTypedArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export function timeMs(f: () => unknown, reps = 3): number {
  f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    f();
    ts.push(performance.now() - s);
  }
  return ts.sort((a, b) => a - b)[reps >> 1];
}
