// The benchmark (`npm run bench [-- --size small|large|both] [--only a,b] [--peers a,b | --no-peers]
// [--json FILE]`):
// every workload of BENCHMARKS.md on tfunc and, in the same run, on jax-js, TensorFlow.js (cpu and
// wasm backends) and PyTorch (where python3 can import torch). Prints one table per size with the
// median ms of each system, tfunc's ratio to the best JavaScript peer and to PyTorch, and peak memory.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WORKLOADS } from "./peers/common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizes = opt("--size", "both") === "both" ? ["small", "large"] : [opt("--size")];
const only = opt("--only", null);
const jsonFile = opt("--json", null);

const JS_PEERS = ["jax-js", "tfjs-cpu", "tfjs-wasm"];
const PEERS = [
  { name: "jax-js", cmd: () => [process.execPath, path.join(here, "peers/jaxjs.mjs")] },
  { name: "tfjs-cpu", cmd: () => [process.execPath, path.join(here, "peers/tfjs.mjs"), "--backend", "cpu"] },
  { name: "tfjs-wasm", cmd: () => [process.execPath, path.join(here, "peers/tfjs.mjs"), "--backend", "wasm"] },
  { name: "torch", cmd: () => [pythonWithTorch(), path.join(here, "peers/torch_bench.py")] },
];
// --peers picks some of them (a rerun of one peer is minutes, the whole run 40); --no-peers none
const peerNames = args.includes("--no-peers") ? [] : opt("--peers", PEERS.map((p) => p.name).join(",")).split(",").filter(Boolean);
const unknown = peerNames.filter((n) => !PEERS.some((p) => p.name === n));
if (unknown.length) throw new Error(`--peers: no peer named ${unknown.join(", ")}; the peers are ${PEERS.map((p) => p.name).join(", ")}`);
/** The workloads that bench/tfunc.mjs also times batched by hand, for the vmap-overhead comparison. */
const BY_HAND = ["batched_dot", "ensemble_10_mlp", "per_sample_grads_mlp"];
const systems = [
  { name: "tfunc", cmd: [process.execPath, path.join(here, "tfunc.mjs")] },
  { name: "tfunc-by-hand", cmd: [process.execPath, path.join(here, "tfunc.mjs"), "--by-hand"], only: BY_HAND },
  ...PEERS.filter((p) => peerNames.includes(p.name)).map((p) => ({ name: p.name, cmd: p.cmd() })),
];

/** Debian's python3-torch installs for /usr/bin/python3, which may not be the python3 on PATH. */
function pythonWithTorch() {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return "python3";
}

function runSystem(sys, size, workload) {
  const argv = [...sys.cmd.slice(1), "--size", size, "--only", workload];
  process.stderr.write(`running ${workload} on ${sys.name} (${size})...\n`);
  const r = spawnSync(sys.cmd[0], argv, { encoding: "utf8", maxBuffer: 64 * 2 ** 20, stdio: ["ignore", "pipe", "inherit"] });
  const line = (r.stdout || "").trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) return [{ workload: "*", size, system: sys.name, error: `${sys.name} printed no result (exit ${r.status}${r.error ? `: ${r.error.message}` : ""})` }];
  const out = JSON.parse(line);
  if (out.skipped) return [{ workload: "*", size, system: sys.name, error: `skipped: ${out.skipped}` }];
  return out.results.map((x) => ({ ...x, system: sys.name }));
}

const fmt = (ms) => (ms === undefined ? "-" : ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const pad = (s, n) => String(s).padStart(n);

function table(results, size) {
  const names = systems.map((s) => s.name);
  const get = (w, s) => results.find((r) => r.workload === w && r.system === s && r.size === size);
  const cols = [...names, "tfunc/bestJS", "tfunc/torch", "tfunc MB"];
  const lines = [`\n## ${size} sizes (median ms; ratio < 1 means tfunc is faster)\n`];
  lines.push(["workload".padEnd(22), ...cols.map((c) => pad(c, 15))].join(""));
  const notes = [];
  for (const w of WORKLOADS.filter((x) => !only || only.split(",").includes(x))) {
    const t = get(w, "tfunc");
    const js = JS_PEERS.map((s) => get(w, s)?.median_ms).filter((x) => x !== undefined);
    const bestJs = js.length ? Math.min(...js) : undefined;
    const torch = get(w, "torch")?.median_ms;
    const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : "-");
    const row = names.map((s) => {
      const r = get(w, s) ?? get("*", s);
      if (r?.error) notes.push(`${w} / ${s}: ${r.error}`);
      return pad(r?.median_ms !== undefined ? fmt(r.median_ms) : r?.error ? "n/a" : "-", 15);
    });
    lines.push([w.padEnd(22), ...row, pad(ratio(t?.median_ms, bestJs), 15), pad(ratio(t?.median_ms, torch), 15), pad(t?.peak_rss_mb ?? "-", 15)].join(""));
  }
  const mm = get("matmul_512", "tfunc");
  if (mm?.median_ms) {
    const n = size === "small" ? 512 : 1024;
    lines.push(`\nmatmul ${n}x${n}: ${((2 * n ** 3) / (mm.median_ms * 1e6)).toFixed(1)} GFLOP/s on one thread`);
  }
  // the vmap overhead from calls timed alternately in one process (tfunc-by-hand's partner)
  for (const w of BY_HAND) {
    const hand = get(w, "tfunc-by-hand"), v = hand?.partner_median_ms, h = hand?.median_ms;
    if (v && h) lines.push(`vmap vs by hand, ${w}: ${fmt(v)} ms vs ${fmt(h)} ms (ratio ${(v / h).toFixed(2)}; calls alternating)`);
  }
  if (notes.length) lines.push("\nWhere a system has no figure:", ...[...new Set(notes)].map((n) => `  ${n}`));
  return lines.join("\n");
}

// One workload at a time on every system, so the runs a ratio compares are a minute apart rather
// than half an hour: on a shared machine the load drifts in between.
const results = [];
for (const size of sizes) {
  const skipped = new Set();
  for (const w of WORKLOADS.filter((x) => !only || only.split(",").includes(x))) {
    for (const sys of systems.filter((s) => !skipped.has(s.name) && (!s.only || s.only.includes(w)))) {
      const got = runSystem(sys, size, w);
      // a system that is not installed says so once per size, not once per workload
      if (got.some((r) => r.error?.startsWith("skipped:"))) skipped.add(sys.name);
      results.push(...got);
    }
  }
}
const report = sizes.map((s) => table(results, s)).join("\n");
console.log(report);
spawnSync(process.execPath, [path.join(here, "kernels.mjs")], { stdio: "inherit" });
if (jsonFile) {
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, platform: `${os.platform()} ${os.arch()}`, date: new Date().toISOString() };
  writeFileSync(jsonFile, JSON.stringify({ machine, results: results.filter((r) => r.workload !== "*" || r.error) }, null, 2));
  console.log(`\nwrote ${jsonFile}`);
}
