// Shared helpers for the peer benchmarks (jaxjs.mjs, tfjs.mjs): argument parsing,
// the shared workload sizes, seeded input data that is bit-identical across
// languages (torch_bench.py implements the same hash), timing, peak memory, and a
// runner that executes every workload in its own child process so that each
// workload's peak RSS is its own and a crash (e.g. a wasm out-of-memory abort)
// becomes an "error" entry instead of killing the whole run.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { performance } from "node:perf_hooks";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Workload sizes, shared with torch_bench.py and the tfunc side. */
export const SIZES = JSON.parse(readFileSync(path.join(here, "workloads.json"), "utf8"));

/** All workloads, in report order. */
export const WORKLOADS = [
  "batched_dot",
  "per_sample_grads_mlp",
  "per_sample_grads_cnn",
  "jacrev_256",
  "jacfwd_256",
  "hessian_128",
  "batched_jacrev_64x64",
  "ensemble_10_mlp",
  "matmul_512",
  "seed_vmap_model_3x5",
  "seed_jacobian_5",
];

// ---------------------------------------------------------------------------
// Arguments

export function parseArgs(argv = process.argv.slice(2)) {
  const args = {
    size: "small",
    only: null,
    backend: null,
    child: false,
    inprocess: false,
    check: false,
    budgetMs: 2000,
    timeoutS: 240,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value for ${a}`);
      return v;
    };
    if (a === "--size") args.size = val();
    else if (a === "--only") args.only = val().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a === "--backend") args.backend = val();
    else if (a === "--child") args.child = true;
    else if (a === "--inprocess") args.inprocess = true;
    else if (a === "--check") args.check = true;
    else if (a === "--budget-ms") args.budgetMs = Number(val());
    else if (a === "--timeout-s") args.timeoutS = Number(val());
    else if (a.startsWith("--size=")) args.size = a.slice(7);
    else if (a.startsWith("--only=")) args.only = a.slice(7).split(",").filter(Boolean);
    else if (a.startsWith("--backend=")) args.backend = a.slice(10);
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.size !== "small" && args.size !== "large") throw new Error(`--size must be small|large`);
  if (args.only) {
    for (const w of args.only) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}`);
  }
  return args;
}

// ---------------------------------------------------------------------------
// Seeded data: element i of stream `seed` is a pure function of (i, seed), using
// 32-bit integer ops only, so JS and numpy produce bit-identical float32 inputs.

const GOLDEN = 0x9e3779b9;

export function hashU32(i, seed) {
  let x = (i + Math.imul(seed, GOLDEN)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Float32Array of `prod(shape)` values uniform in [-scale, scale), row-major. */
export function uniform(shape, seed, scale = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (hashU32(i, seed) >>> 8) * 2 ** -23 - 1; // exact in float32
    out[i] = u * scale; // rounded once to float32 (numpy: float64 multiply, then astype)
  }
  return out;
}

/** Int32Array of n class labels in [0, classes). */
export function labels(n, seed, classes) {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = (hashU32(i, seed) >>> 8) % classes;
  return out;
}

/** Permute a row-major [rows, ...] buffer: out row r = in row perm[r]. */
export function permuteRows(buf, perm, rowLen) {
  const out = new Float32Array(buf.length);
  for (let r = 0; r < perm.length; r++) {
    out.set(buf.subarray(perm[r] * rowLen, (perm[r] + 1) * rowLen), r * rowLen);
  }
  return out;
}

/** Row-major transpose of a [rows, cols] buffer (optionally batched by `batch`). */
export function transpose2d(buf, rows, cols, batch = 1) {
  const out = new Float32Array(buf.length);
  for (let b = 0; b < batch; b++) {
    const o = b * rows * cols;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[o + j * rows + i] = buf[o + i * cols + j];
  }
  return out;
}

/**
 * Canonical inputs of every workload, as typed arrays, in the layouts documented in
 * workloads.md. Peers that need another layout permute these at setup time.
 */
export function makeInputs(name, cfg) {
  const s = Math.sqrt;
  switch (name) {
    case "batched_dot":
      return { x: uniform([cfg.batch, cfg.d], 1), y: uniform([cfg.batch, cfg.d], 2) };
    case "per_sample_grads_mlp": {
      const { batch: B, in: I, hidden: H, classes: C } = cfg;
      return {
        W1: uniform([I, H], 11, 1 / s(I)),
        b1: uniform([H], 12, 1 / s(I)),
        W2: uniform([H, C], 13, 1 / s(H)),
        b2: uniform([C], 14, 1 / s(H)),
        x: uniform([B, I], 15),
        t: labels(B, 16, C),
      };
    }
    case "per_sample_grads_cnn": {
      const B = cfg.batch;
      return {
        c1w: uniform([32, 1, 3, 3], 21, 1 / 3),
        c1b: uniform([32], 22, 1 / 3),
        c2w: uniform([64, 32, 3, 3], 23, 1 / s(288)),
        c2b: uniform([64], 24, 1 / s(288)),
        f1w: uniform([9216, 128], 25, 1 / 96),
        f1b: uniform([128], 26, 1 / 96),
        f2w: uniform([128, 10], 27, 1 / s(128)),
        f2b: uniform([10], 28, 1 / s(128)),
        x: uniform([B, 1, 28, 28], 29),
        t: labels(B, 30, 10),
      };
    }
    case "jacrev_256":
    case "jacfwd_256":
      return {
        W: uniform([cfg.d, cfg.d], 31, 1 / s(cfg.d)),
        b: uniform([cfg.d], 32, 1 / s(cfg.d)),
        x: uniform([cfg.d], 33),
      };
    case "hessian_128":
      return { A: uniform([cfg.d, cfg.d], 41, 1 / s(cfg.d)), x: uniform([cfg.d], 42) };
    case "batched_jacrev_64x64":
      return {
        W: uniform([cfg.d, cfg.d], 51, 1 / s(cfg.d)),
        b: uniform([cfg.d], 52, 1 / s(cfg.d)),
        xs: uniform([cfg.batch, cfg.d], 53),
      };
    case "ensemble_10_mlp": {
      const M = cfg.models;
      return {
        W1: uniform([M, 784, 128], 61, 1 / 28),
        b1: uniform([M, 128], 62, 1 / 28),
        W2: uniform([M, 128, 128], 63, 1 / s(128)),
        b2: uniform([M, 128], 64, 1 / s(128)),
        W3: uniform([M, 128, 10], 65, 1 / s(128)),
        b3: uniform([M, 10], 66, 1 / s(128)),
        x: uniform([cfg.batch, 784], 67),
      };
    }
    case "matmul_512":
      return { a: uniform([cfg.n, cfg.n], 71), b: uniform([cfg.n, cfg.n], 72) };
    case "seed_vmap_model_3x5":
      return { w: uniform([cfg.features], 81), examples: uniform([cfg.batch, cfg.features], 82) };
    case "seed_jacobian_5":
      return { x: uniform([cfg.n], 91) };
    default:
      throw new Error(`no inputs for ${name}`);
  }
}

// ---------------------------------------------------------------------------
// Timing and memory

let rssHigh = 0;
export function sampleRss() {
  const r = process.memoryUsage().rss;
  if (r > rssHigh) rssHigh = r;
  return r;
}
export function peakRssMb() {
  sampleRss();
  // maxRSS (KiB) is the kernel's high-water mark of this process; in child mode
  // each workload runs in its own process, so this is the workload's own peak.
  const kernelPeak = (process.resourceUsage().maxRSS || 0) * 1024;
  return Math.round((Math.max(rssHigh, kernelPeak) / 2 ** 20) * 10) / 10;
}

/** [sum, sum of |v|] over all outputs, in float64: layout-independent. */
export function checksum(arrays) {
  let sum = 0;
  let abs = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      sum += a[i];
      abs += Math.abs(a[i]);
    }
  }
  return [sum, abs];
}

/**
 * Time `call` (an async function that runs the transformed call and reads every
 * output back into typed arrays, returning them). The first call is a warm-up
 * (compilation); more warm-ups only when calls are fast. Then at least 5 timed
 * calls, more while they fit in `budgetMs`.
 */
export async function measure(call, { budgetMs = 2000, minReps = 5, maxReps = 300, check = false, label = "" } = {}) {
  let calls = 0;
  const progress = (ms) => {
    // progress on stderr, so a parent that has to kill a slow child can still say
    // how long the calls took
    calls++;
    if (process.env.PEER_BENCH_CHILD) process.stderr.write(`#progress ${JSON.stringify({ label, call: calls, ms, rss_mb: Math.round(sampleRss() / 2 ** 20) })}\n`);
  };
  let t0 = performance.now();
  const first = await call();
  const firstMs = performance.now() - t0;
  progress(firstMs);
  const sum = check ? checksum(first) : undefined;
  sampleRss();
  let last = firstMs;
  let warm = firstMs > 2000 ? 0 : firstMs > 300 ? 1 : Math.max(3, Math.min(100, Math.floor(300 / Math.max(firstMs, 0.01))));
  for (let i = 0; i < warm; i++) {
    t0 = performance.now();
    await call();
    last = performance.now() - t0;
    progress(last);
    sampleRss();
  }
  const reps = Math.max(minReps, Math.min(maxReps, Math.floor(budgetMs / Math.max(last, 0.001))));
  const times = [];
  for (let i = 0; i < reps; i++) {
    t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
    progress(times[times.length - 1]);
    sampleRss();
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { median_ms: median, reps, warmups: warm + 1, first_ms: firstMs, checksum: sum };
}

const round3 = (x) => Math.round(x * 1000) / 1000;

/**
 * Run one workload in this process. `impl(cfg, inputs)` returns either
 * `{ error }` or `{ variants: { name: call }, cleanup? }`; the reported time is the
 * best variant's median (e.g. jax-js eager vs jit).
 */
async function runOne(name, size, impl, args) {
  const cfg = SIZES[name][size];
  const base = { workload: name, size };
  if (!impl) return { ...base, error: "not implemented" };
  let built;
  try {
    built = await impl(cfg, makeInputs(name, cfg));
  } catch (e) {
    return { ...base, error: `setup failed: ${msg(e)}` };
  }
  if (built.error) return { ...base, error: built.error };
  const per = {};
  const failures = {};
  const sums = {};
  const start = performance.now();
  const capMs = args.timeoutS * 1000;
  for (const [vname, call] of Object.entries(built.variants)) {
    // Skip a further variant (e.g. jax-js eager after jit) when its expected cost
    // (6 calls at the best median so far) would not fit in the per-workload cap.
    const bestSoFar = Math.min(...Object.values(per).map((m) => m.median_ms));
    if (Object.keys(per).length && performance.now() - start + 6 * bestSoFar > 0.8 * capMs) {
      failures[vname] = `not timed: 6 calls at ~${Math.round(bestSoFar)} ms would exceed the ${args.timeoutS} s per-workload cap`;
      continue;
    }
    try {
      const m = await measure(call, { budgetMs: args.budgetMs, check: args.check, label: vname });
      per[vname] = m;
      if (args.check) sums[vname] = m.checksum;
    } catch (e) {
      failures[vname] = msg(e);
    }
  }
  try {
    built.cleanup?.();
  } catch (e) {
    failures.cleanup = msg(e);
  }
  const names = Object.keys(per);
  if (names.length === 0) {
    const why = Object.entries(failures).map(([k, v]) => `${k}: ${v}`).join("; ");
    return { ...base, error: `failed: ${why}`, peak_rss_mb: peakRssMb() };
  }
  names.sort((a, b) => per[a].median_ms - per[b].median_ms);
  const best = names[0];
  const out = { ...base, median_ms: round3(per[best].median_ms), peak_rss_mb: peakRssMb() };
  const notes = [];
  if (Object.keys(built.variants).length > 1 || built.note) {
    notes.push(`best=${best}`);
    for (const n of names) notes.push(`${n} ${round3(per[n].median_ms)} ms (n=${per[n].reps})`);
  } else {
    notes.push(`n=${per[best].reps}`);
  }
  for (const [k, v] of Object.entries(failures)) notes.push(v.startsWith("not timed") ? `${k} ${v}` : `${k} failed: ${v}`);
  if (built.note) notes.push(built.note);
  out.note = notes.join("; ");
  if (args.check) out.checksum = sums;
  return out;
}

export function msg(e) {
  const s = e && e.message ? e.message : String(e);
  return s.split("\n")[0].slice(0, 300);
}

/**
 * Entry point of a peer script. `impls` maps workload name to an implementation;
 * `setup` (async) initializes the library once per process.
 */
export async function main({ system, scriptUrl, impls, setup, version, argv }) {
  const args = parseArgs(argv);
  const names = args.only ?? WORKLOADS;
  const results = [];
  if (args.child || args.inprocess || names.length === 1) {
    await setup?.(args);
    for (const name of names) results.push(await runOne(name, args.size, impls[name], args));
  } else {
    const script = fileURLToPath(scriptUrl);
    const rest = (argv ?? process.argv.slice(2)).filter((a, i, arr) => {
      // drop --only and its value; children get one workload each
      if (a === "--only" || a.startsWith("--only=")) return false;
      if (i > 0 && arr[i - 1] === "--only") return false;
      return true;
    });
    for (const name of names) {
      const r = spawnSync(process.execPath, [...process.execArgv, script, ...rest, "--only", name, "--child"], {
        encoding: "utf8",
        env: { ...process.env, PEER_BENCH_CHILD: "1" },
        timeout: args.timeoutS * 1000,
        maxBuffer: 64 * 2 ** 20,
      });
      const line = (r.stdout || "").trim().split("\n").filter((l) => l.startsWith("{")).pop();
      let parsed = null;
      try {
        parsed = line ? JSON.parse(line) : null;
      } catch {
        parsed = null;
      }
      if (parsed && parsed.results && parsed.results.length) {
        results.push(...parsed.results);
      } else {
        const prog = (r.stderr || "")
          .split("\n")
          .filter((l) => l.startsWith("#progress "))
          .map((l) => JSON.parse(l.slice(10)));
        const seen = prog.length
          ? `; calls finished: ${prog.slice(0, 8).map((p) => `${p.label} ${Math.round(p.ms)} ms`).join(", ")}`
          : "; no call finished";
        const why = r.error
          ? r.error.code === "ETIMEDOUT"
            ? `too slow: not done within the ${args.timeoutS} s per-workload cap (warm-up + 5 timed calls)${seen}`
            : msg(r.error)
          : `child exited with ${r.signal ?? r.status}: ${(r.stderr || "")
              .split("\n")
              .filter((l) => l.trim() && !l.startsWith("#progress "))
              .slice(-3)
              .join(" | ")
              .slice(0, 400)}${seen}`;
        results.push({ workload: name, size: args.size, error: why });
      }
      process.stderr.write(`[${system}] ${name}/${args.size}: ${JSON.stringify(results[results.length - 1])}\n`);
    }
  }
  const out = { system, results };
  if (version) out.version = version;
  process.stdout.write(JSON.stringify(out) + "\n");
}
