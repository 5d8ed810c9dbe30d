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

/** All workloads, in report order: the order of workloads.json ("_doc" aside). */
export const WORKLOADS = Object.keys(SIZES).filter((k) => !k.startsWith("_"));

// ---------------------------------------------------------------------------
// Arguments

export function parseArgs(argv = process.argv.slice(2)) {
  const args = {
    size: "small",
    only: null,
    backend: null,
    variant: null,
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
    else if (a === "--variant") args.variant = val();
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
  const r = process.memoryUsage.rss(); // the RSS alone: memoryUsage() also walks the JS heap
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

export class TooSlow extends Error {
  constructor(message, firstMs) {
    super(message);
    this.firstMs = firstMs;
  }
}

/**
 * Time `call` (an async function that runs the transformed call and reads every
 * output back into typed arrays, returning them). The first call is a warm-up
 * (it includes tracing / compilation); then warm-up calls for about half a second.
 * Then at least 5 timed calls, more while they fit in `budgetMs`.
 *
 * Calls too slow for warm-up + 5 timed calls to fit in `capMs` end the measurement
 * early with a TooSlow error: after the first call if, even at half its time
 * (jit compilation makes first calls slow), the 5 timed calls would not fit;
 * after any later call if the remaining calls at its time would not fit.
 *
 * A `partner` call (the same work done another way) runs after each call, warm-up
 * included, and is timed too: the two medians then come from the same minutes of the
 * machine, whose load drifts 2x between runs seconds apart.
 */
export async function measure(
  call,
  { budgetMs = 2000, minReps = 5, maxReps = 300, check = false, label = "", capMs = Infinity, partner } = {},
) {
  const start = performance.now();
  let calls = 0;
  const progress = (ms) => {
    // progress on stderr, so a parent that has to kill a slow child can still say
    // how long the calls took
    calls++;
    if (process.env.PEER_BENCH_CHILD) {
      const rss_mb = Math.round(sampleRss() / 2 ** 20);
      process.stderr.write(`#progress ${JSON.stringify({ label, call: calls, ms, rss_mb })}\n`);
    }
  };
  const limit = 0.95 * capMs;
  const capS = Math.round(capMs / 1000);
  const tooSlow = (ms, firstMs) =>
    new TooSlow(
      `too slow: a call took ${Math.round(ms)} ms (first call ${Math.round(firstMs)} ms), so warm-up + 5 timed calls do not fit in the ${capS} s per-workload cap`,
      firstMs,
    );
  let t0 = performance.now();
  let first = await call();
  const firstMs = performance.now() - t0;
  progress(firstMs);
  const sum = check ? checksum(first) : undefined;
  first = undefined; // as torch_bench.py's `del first`: the outputs of one call must not outlive the next
  sampleRss();
  if (performance.now() - start + minReps * 0.5 * firstMs > limit) throw tooSlow(firstMs, firstMs);
  let last = firstMs;
  // Warm up until the JIT has settled, for every system alike: a slow call needs one more run,
  // a call of microseconds needs thousands before V8's optimising tiers take over (and torch's
  // native code needs none), so fast calls are warmed up for about half a second.
  const warmMs = firstMs > 2000 ? 0 : 500;
  const minWarm = firstMs > 2000 ? 0 : firstMs > 300 ? 1 : 3;
  let warm = 0;
  for (; warm < minWarm || (performance.now() - start < warmMs && warm < 20000); warm++) {
    await partner?.();
    t0 = performance.now();
    await call();
    last = performance.now() - t0;
    if (last > 20) progress(last);
    sampleRss();
    if (performance.now() - start + minReps * last > limit) throw tooSlow(last, firstMs);
  }
  const reps = Math.max(minReps, Math.min(maxReps, Math.floor(budgetMs / Math.max(last, 0.001))));
  const times = [], partnerTimes = [];
  for (let i = 0; i < reps; i++) {
    if (partner) {
      t0 = performance.now();
      await partner();
      partnerTimes.push(performance.now() - t0);
    }
    t0 = performance.now();
    await call();
    const ms = performance.now() - t0;
    times.push(ms);
    // a report line per call of microseconds would cost more than the call (a pipe write that
    // wakes the parent); the kill report needs only the slow ones
    if (ms > 20) progress(ms);
    sampleRss();
    const left = Math.max(0, minReps - times.length);
    if (left > 0 && performance.now() - start + left * ms > limit) throw tooSlow(ms, firstMs);
    if (times.length >= minReps && performance.now() - start > limit) break; // enough calls; stop at the cap
  }
  const result = { median_ms: medianOf(times), reps: times.length, warmups: warm + 1, first_ms: firstMs, checksum: sum };
  if (partner) result.partner_median_ms = medianOf(partnerTimes);
  return result;
}

function medianOf(times) {
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

const round3 = (x) => Math.round(x * 1000) / 1000;

export function msg(e) {
  const s = e && e.message ? e.message : String(e);
  return s.split("\n")[0].slice(0, 400);
}

/**
 * Run one workload (all its variants, or only `args.variant`) in this process.
 * `impl(cfg, inputs)` returns either `{ error }` or `{ variants: { name: call },
 * partners?: { name: call }, cleanup? }`. Returns `{ variantName: entry }` where entry is
 * `{ median_ms, reps, peak_rss_mb, checksum?, partner_median_ms? }` or `{ error, first_call_ms? }`,
 * or `{ error }` for the whole workload. A variant's partner is timed alternately with it (measure).
 */
async function runVariants(name, size, impl, args) {
  const cfg = SIZES[name][size];
  if (!impl) return { error: "not implemented" };
  let built;
  try {
    built = await impl(cfg, makeInputs(name, cfg));
  } catch (e) {
    return { error: `setup failed: ${msg(e)}` };
  }
  if (built.error) return { error: built.error };
  const out = {};
  for (const [vname, call] of Object.entries(built.variants)) {
    if (args.variant && vname !== args.variant) continue;
    try {
      const m = await measure(call, {
        budgetMs: args.budgetMs,
        check: args.check,
        label: vname,
        capMs: args.timeoutS * 1000,
        partner: built.partners?.[vname],
      });
      out[vname] = { median_ms: round3(m.median_ms), reps: m.reps, peak_rss_mb: peakRssMb() };
      if (m.partner_median_ms !== undefined) out[vname].partner_median_ms = round3(m.partner_median_ms);
      if (args.check) out[vname].checksum = m.checksum;
    } catch (e) {
      out[vname] = { error: e instanceof TooSlow ? e.message : `failed: ${msg(e)}`, peak_rss_mb: peakRssMb() };
      if (e instanceof TooSlow) out[vname].first_call_ms = Math.round(e.firstMs);
    }
  }
  try {
    built.cleanup?.();
  } catch {}
  return { variants: out };
}

/**
 * One result entry from per-variant entries: the best variant's median and peak
 * memory, and a note listing every variant.
 */
function combine(name, size, variants, multi) {
  const base = { workload: name, size };
  const ok = Object.keys(variants).filter((v) => variants[v].median_ms !== undefined);
  const bad = Object.keys(variants).filter((v) => variants[v].median_ms === undefined);
  if (ok.length === 0) {
    const errs = bad.map((v) => (multi ? `${v}: ${variants[v].error}` : variants[v].error));
    const out = { ...base, error: errs.join("; ") || "no result" };
    const firsts = bad.map((v) => variants[v].first_call_ms).filter((x) => x !== undefined);
    if (firsts.length) out.first_call_ms = Math.min(...firsts);
    const peaks = bad.map((v) => variants[v].peak_rss_mb).filter((x) => x !== undefined);
    if (peaks.length) out.peak_rss_mb = Math.max(...peaks);
    return out;
  }
  ok.sort((a, b) => variants[a].median_ms - variants[b].median_ms);
  const best = variants[ok[0]];
  const out = { ...base, median_ms: best.median_ms, peak_rss_mb: best.peak_rss_mb };
  if (best.partner_median_ms !== undefined) out.partner_median_ms = best.partner_median_ms;
  const notes = [];
  if (multi) {
    notes.push(`best=${ok[0]}`);
    for (const v of ok) notes.push(`${v} ${variants[v].median_ms} ms (n=${variants[v].reps})`);
    for (const v of bad) notes.push(`${v}: ${variants[v].error}`);
  } else {
    notes.push(`n=${best.reps}`);
  }
  out.note = notes.join("; ");
  const sums = {};
  for (const v of ok) if (variants[v].checksum) sums[v] = variants[v].checksum;
  if (Object.keys(sums).length) out.checksum = sums;
  return out;
}

/** Run a child (this script, one workload, maybe one variant) and parse its output. */
function runChild(script, rest, name, variant, args) {
  const extra = ["--only", name, "--child", ...(variant ? ["--variant", variant] : [])];
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...rest, ...extra], {
    encoding: "utf8",
    env: { ...process.env, PEER_BENCH_CHILD: "1" },
    timeout: (args.timeoutS + 60) * 1000, // the child stops itself at the cap; this is a backstop
    maxBuffer: 64 * 2 ** 20,
  });
  const line = (r.stdout || "").trim().split("\n").filter((l) => l.startsWith("{")).pop();
  try {
    const parsed = line ? JSON.parse(line) : null;
    if (parsed && parsed.child) return parsed.child;
  } catch {}
  const prog = (r.stderr || "")
    .split("\n")
    .filter((l) => l.startsWith("#progress "))
    .map((l) => JSON.parse(l.slice(10)));
  const seen = prog.length
    ? `; calls finished: ${prog.slice(0, 8).map((p) => `${Math.round(p.ms)} ms`).join(", ")}`
    : "; no call finished";
  const why =
    r.error && r.error.code === "ETIMEDOUT"
      ? `too slow: killed after ${args.timeoutS + 60} s${seen}`
      : r.error
        ? msg(r.error)
        : `child exited with ${r.signal ?? r.status}: ${(r.stderr || "")
            .split("\n")
            .filter((l) => l.trim() && !l.startsWith("#progress "))
            .slice(-3)
            .join(" | ")
            .slice(0, 400)}${seen}`;
  const entry = { error: why };
  if (prog.length) entry.first_call_ms = Math.round(prog[0].ms);
  return variant ? { variants: { [variant]: entry } } : { error: why, first_call_ms: entry.first_call_ms };
}

/**
 * Entry point of a peer script. `impls` maps workload name to an implementation;
 * `variantNames` lists the variants every implementation offers (e.g. jit, eager);
 * `setup` (async) initializes the library once per process.
 *
 * By default every workload (and every variant of it) runs in its own child
 * process, so peak RSS is its own, a crash is contained, and the variants of a
 * workload get the same per-workload time cap each.
 */
export async function main({ system, scriptUrl, impls, setup, version, variantNames = [], argv }) {
  const args = parseArgs(argv);
  const names = args.only ?? WORKLOADS;
  const multi = variantNames.length > 1;
  const results = [];
  if (args.child) {
    await setup?.(args);
    const r = await runVariants(names[0], args.size, impls[names[0]], args);
    process.stdout.write(JSON.stringify({ system, child: r }) + "\n");
    return;
  }
  if (args.inprocess) {
    await setup?.(args);
    for (const name of names) {
      const r = await runVariants(name, args.size, impls[name], args);
      results.push(r.error ? { workload: name, size: args.size, error: r.error } : combine(name, args.size, r.variants, multi));
    }
  } else {
    const script = fileURLToPath(scriptUrl);
    const rest = (argv ?? process.argv.slice(2)).filter((a, i, arr) => {
      // children get one workload (and one variant) each
      if (a === "--only" || a.startsWith("--only=") || a === "--variant") return false;
      if (i > 0 && (arr[i - 1] === "--only" || arr[i - 1] === "--variant")) return false;
      return true;
    });
    for (const name of names) {
      let entry;
      if (multi && !args.variant) {
        const variants = {};
        let wholeError = null;
        for (const v of variantNames) {
          const r = runChild(script, rest, name, v, args);
          if (r.error) wholeError = r.error; // e.g. not implemented: same for every variant
          else Object.assign(variants, r.variants);
          if (r.error) break;
        }
        entry = wholeError
          ? { workload: name, size: args.size, error: wholeError }
          : combine(name, args.size, variants, multi);
      } else {
        const r = runChild(script, rest, name, args.variant, args);
        entry = r.error
          ? { workload: name, size: args.size, error: r.error, ...(r.first_call_ms !== undefined ? { first_call_ms: r.first_call_ms } : {}) }
          : combine(name, args.size, r.variants, multi);
      }
      results.push(entry);
      process.stderr.write(`[${system}] ${name}/${args.size}: ${JSON.stringify(entry)}\n`);
    }
  }
  const out = { system, results };
  if (version) out.version = version;
  process.stdout.write(JSON.stringify(out) + "\n");
}
