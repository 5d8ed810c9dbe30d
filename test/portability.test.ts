/** The core runs in browsers too: no Node-only API may appear in src/ (outside Node entry points). */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const srcDir = join(fileURLToPath(new URL(".", import.meta.url)), "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The Node entry point (the package's "node" export) and what only it imports. */
const NODE_ONLY = ["node.ts", join("backend", "wasm", "node_relaxed_simd.ts")].map((f) => join(srcDir, f));

test("src/ uses no Node-only API outside the Node entry point", () => {
  const nodeOnly = /from\s+["']node:|\brequire\(|\bprocess\.(env|argv|exit|stdout|cwd|versions|platform)|(?<![.\w])Buffer\.(from|alloc|concat|isBuffer)|__dirname/;
  const offenders = sources(srcDir).filter((f) => !NODE_ONLY.includes(f) && nodeOnly.test(readFileSync(f, "utf8")));
  assert.deepEqual(offenders, []);
});

test("only the Node entry point imports node_relaxed_simd", () => {
  const importsNodeOnly = /["'][^"']*\/node_relaxed_simd\.js["']/;
  const importers = sources(srcDir).filter((f) => importsNodeOnly.test(readFileSync(f, "utf8")));
  assert.deepEqual(importers, [join(srcDir, "node.ts")]);
});
