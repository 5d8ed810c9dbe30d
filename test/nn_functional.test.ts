// Functional NN ops (F) against independent references: naive loops written here, hand-computed
// values, finite differences in float64. Never against the implementation itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, grad, jvp, tensor, vmap, type Tensor } from "../src/index.js";
import { numel, uniformStream } from "./helpers/check.js";

// ---------------------------------------------------------------- helpers

/** Deterministic values in [-1, 1), independent of the library's generator. */
function randomValues(n: number, seed: number): number[] {
  const next = uniformStream(seed);
  return Array.from({ length: n }, () => next() * 2 - 1);
}


/** A float64 tensor of the given shape with its flat values. */
function make(values: number[], shape: number[]): Tensor {
  return tensor(Float64Array.from(values), { dtype: "float64" }).reshape(shape);
}

function assertClose(actual: Tensor, expected: number[], shape: number[], tol = 1e-9, msg = ""): void {
  assert.deepEqual([...actual.shape], shape, `${msg} shape`);
  const got = actual.toTypedArray();
  assert.equal(got.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], g = got[i];
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(g), `${msg} [${i}]: expected NaN, got ${g}`); continue; }
    assert.ok(Math.abs(g - e) <= tol * (1 + Math.abs(e)), `${msg} [${i}]: expected ${e}, got ${g}`);
  }
}

function assertThrows(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof Error && pattern.test(e.message) ? true : assert.fail(`message ${(e as Error).message} does not match ${pattern}`));
}

// ---------------------------------------------------------------- naive references

interface Conv { stride: number[]; lo: number[]; hi: number[]; dilation: number[]; groups: number }

/** 7 loops over (n, o, oh, ow, c, kh, kw): out[n,o,i,j] = b[o] + sum x[n, g*Cg+c, i*s-p+ki*d, ...] * w[o,c,ki,kj]. */
function naiveConv2d(x: number[], xs: number[], w: number[], ws: number[], b: number[] | null, g: Conv): [number[], number[]] {
  const [N, C, H, W] = xs, [O, Cg, KH, KW] = ws;
  const OH = Math.floor((H + g.lo[0] + g.hi[0] - g.dilation[0] * (KH - 1) - 1) / g.stride[0]) + 1;
  const OW = Math.floor((W + g.lo[1] + g.hi[1] - g.dilation[1] * (KW - 1) - 1) / g.stride[1]) + 1;
  const Og = O / g.groups;
  const out = new Array<number>(N * O * OH * OW).fill(0);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / Og);
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let acc = b ? b[o] : 0;
          for (let c = 0; c < Cg; c++) {
            for (let ki = 0; ki < KH; ki++) {
              for (let kj = 0; kj < KW; kj++) {
                const y = i * g.stride[0] - g.lo[0] + ki * g.dilation[0];
                const z = j * g.stride[1] - g.lo[1] + kj * g.dilation[1];
                if (y < 0 || y >= H || z < 0 || z >= W) continue;
                acc += x[((n * C + grp * Cg + c) * H + y) * W + z] * w[((o * Cg + c) * KH + ki) * KW + kj];
              }
            }
          }
          out[((n * O + o) * OH + i) * OW + j] = acc;
        }
      }
    }
  }
  return [out, [N, O, OH, OW]];
}

/** PyTorch's pooling output length (pooling_output_shape), including its ceil-mode rule. */
function poolOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

interface Pool { k: number[]; s: number[]; p: number[]; d: number[]; ceil: boolean }

/**
 * PyTorch's max_pool2d loop: the maximum over the window's positions inside the input, and the
 * flat input index of its first occurrence in row-major window order (strict >), which takes
 * the gradient.
 */
function naiveMaxPool(x: number[], [N, C, H, W]: number[], g: Pool): [number[], number[], number[]] {
  const OH = poolOut(H, g.k[0], g.s[0], g.p[0], g.d[0], g.ceil), OW = poolOut(W, g.k[1], g.s[1], g.p[1], g.d[1], g.ceil);
  const out: number[] = [], at: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    let m = -Infinity, best = -1;
    for (let ki = 0; ki < g.k[0]; ki++) for (let kj = 0; kj < g.k[1]; kj++) {
      const y = i * g.s[0] - g.p[0] + ki * g.d[0], z = j * g.s[1] - g.p[1] + kj * g.d[1];
      if (y < 0 || y >= H || z < 0 || z >= W) continue;
      const pos = ((n * C + c) * H + y) * W + z;
      if (best < 0 || x[pos] > m) { m = x[pos]; best = pos; }
    }
    out.push(m);
    at.push(best);
  }
  return [out, [N, C, OH, OW], at];
}

/** PyTorch's avg_pool2d loop: the divisor counts padding (clipped at H + p) unless countIncludePad is false. */
function naiveAvgPool(x: number[], [N, C, H, W]: number[], g: Pool, includePad: boolean, divisor?: number): [number[], number[]] {
  const OH = poolOut(H, g.k[0], g.s[0], g.p[0], 1, g.ceil), OW = poolOut(W, g.k[1], g.s[1], g.p[1], 1, g.ceil);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    let h0 = i * g.s[0] - g.p[0], w0 = j * g.s[1] - g.p[1];
    let h1 = Math.min(h0 + g.k[0], H + g.p[0]), w1 = Math.min(w0 + g.k[1], W + g.p[1]);
    const poolSize = (h1 - h0) * (w1 - w0);
    h0 = Math.max(h0, 0); w0 = Math.max(w0, 0); h1 = Math.min(h1, H); w1 = Math.min(w1, W);
    let acc = 0;
    for (let y = h0; y < h1; y++) for (let z = w0; z < w1; z++) acc += x[((n * C + c) * H + y) * W + z];
    out.push(acc / (divisor ?? (includePad ? poolSize : (h1 - h0) * (w1 - w0))));
  }
  return [out, [N, C, OH, OW]];
}

// ---------------------------------------------------------------- linear

test("linear matches x @ w^T + b over leading dims, and 1-d weights", () => {
  const xv = randomValues(2 * 3 * 4, 1), wv = randomValues(5 * 4, 2), bv = randomValues(5, 3);
  const expected: number[] = [];
  for (let r = 0; r < 6; r++) for (let o = 0; o < 5; o++) {
    let acc = bv[o];
    for (let i = 0; i < 4; i++) acc += xv[r * 4 + i] * wv[o * 4 + i];
    expected.push(acc);
  }
  assertClose(F.linear(make(xv, [2, 3, 4]), make(wv, [5, 4]), make(bv, [5])), expected, [2, 3, 5]);
  const noBias = expected.map((v, k) => v - bv[k % 5]);
  assertClose(F.linear(make(xv, [2, 3, 4]), make(wv, [5, 4])), noBias, [2, 3, 5]);
  assertClose(F.linear(make(xv, [2, 3, 4]), make(wv, [5, 4]), null), noBias, [2, 3, 5]);
  assertClose(F.linear(make(xv.slice(0, 4), [4]), make(wv, [5, 4])), noBias.slice(0, 5), [5]);
  const dot = xv.slice(0, 4).reduce((a, v, i) => a + v * wv[i], 0);
  assertClose(F.linear(make(xv.slice(0, 4), [4]), make(wv.slice(0, 4), [4])), [dot], []);
  assertThrows(() => F.linear(make(xv, [2, 3, 4]), make(wv, [4, 5])), /^linear: input's last dim must equal the weight's inFeatures \(5\): input \[2, 3, 4\], weight \[4, 5\]/);
  assertThrows(() => F.linear(make(xv, [2, 3, 4]), make(wv, [5, 4]), make(bv.slice(0, 3), [3])), /^linear: expected bias of shape \[5\]/);
  assertThrows(() => F.linear(tensor([1, 2], { dtype: "int32" }), make([1, 2], [1, 2])), /^linear: expected input to be a floating point tensor, got dtype int32/);
});

// ---------------------------------------------------------------- convolution

test("conv2d matches a naive 7-loop convolution for every stride/padding/dilation/groups, with and without bias", () => {
  const xs = [2, 4, 7, 6];
  const x = randomValues(numel(xs), 11);
  let cases = 0;
  for (const groups of [1, 2]) {
    const ws = [6, 4 / groups, 3, 2];
    const w = randomValues(numel(ws), 12 + groups), b = randomValues(6, 15);
    for (const stride of [1, 2]) for (const padding of [0, 1, "same"] as const) for (const dilation of [1, 2]) for (const bias of [true, false]) {
      if (padding === "same" && stride !== 1) continue;
      let lo: number[], hi: number[];
      if (padding === "same") {
        // PyTorch: total d * (k - 1), the odd element on the high side
        const total = [dilation * 2, dilation * 1];
        lo = total.map((t) => Math.floor(t / 2));
        hi = total.map((t, i) => t - lo[i]);
      } else lo = hi = [padding, padding];
      const [expected, shape] = naiveConv2d(x, xs, w, ws, bias ? b : null, { stride: [stride, stride], lo, hi, dilation: [dilation, dilation], groups });
      const out = F.conv2d(make(x, xs), make(w, ws), bias ? make(b, [6]) : undefined, { stride, padding, dilation, groups });
      assertClose(out, expected, shape, 1e-9, `stride ${stride} padding ${padding} dilation ${dilation} groups ${groups} bias ${bias}`);
      if (padding === "same") assert.deepEqual(out.shape.slice(2), [7, 6]);
      cases++;
    }
  }
  assert.equal(cases, 40);
});

test("conv2d: per-dim stride/padding/dilation, unbatched input, float32", () => {
  const xs = [1, 3, 6, 7], ws = [4, 3, 2, 3];
  const x = randomValues(numel(xs), 21), w = randomValues(numel(ws), 22);
  const g: Conv = { stride: [2, 1], lo: [1, 0], hi: [1, 0], dilation: [1, 2], groups: 1 };
  const [expected, shape] = naiveConv2d(x, xs, w, ws, null, g);
  assertClose(F.conv2d(make(x, xs), make(w, ws), null, { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }), expected, shape);
  // unbatched [C, H, W] gives [O, oh, ow]
  assertClose(F.conv2d(make(x, xs.slice(1)), make(w, ws), null, { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }), expected, shape.slice(1));
  // "valid" is no padding
  const [valid, vshape] = naiveConv2d(x, xs, w, ws, null, { stride: [1, 1], lo: [0, 0], hi: [0, 0], dilation: [1, 1], groups: 1 });
  assertClose(F.conv2d(make(x, xs), make(w, ws), null, { padding: "valid" }), valid, vshape);
  const f32 = F.conv2d(tensor(x).reshape(xs), tensor(w).reshape(ws));
  assert.equal(f32.dtype, "float32");
  assertClose(f32, valid, vshape, 1e-5);
});

test("conv2d: depthwise (groups = channels)", () => {
  const xs = [2, 3, 5, 5], ws = [6, 1, 3, 3];
  const x = randomValues(numel(xs), 31), w = randomValues(numel(ws), 32), b = randomValues(6, 33);
  const [expected, shape] = naiveConv2d(x, xs, w, ws, b, { stride: [1, 1], lo: [1, 1], hi: [1, 1], dilation: [1, 1], groups: 3 });
  assertClose(F.conv2d(make(x, xs), make(w, ws), make(b, [6]), { padding: 1, groups: 3 }), expected, shape);
});

test("conv1d matches the naive convolution (as a conv of height 1)", () => {
  const xs = [2, 4, 9];
  const x = randomValues(numel(xs), 41);
  const configs: { stride: number; padding: number | "same" | "valid"; dilation: number; groups: number }[] = [
    { stride: 1, padding: 0, dilation: 1, groups: 1 },
    { stride: 2, padding: 1, dilation: 2, groups: 2 },
    { stride: 1, padding: "same", dilation: 1, groups: 2 },
    { stride: 1, padding: "same", dilation: 3, groups: 1 },
    { stride: 3, padding: 2, dilation: 1, groups: 4 },
  ];
  for (const c of configs) {
    for (const k of [2, 3]) {
      const ws = [4, 4 / c.groups, k];
      const w = randomValues(numel(ws), 42 + k), b = randomValues(4, 44);
      const total = c.dilation * (k - 1);
      const lo = c.padding === "same" ? Math.floor(total / 2) : c.padding === "valid" ? 0 : c.padding;
      const hi = c.padding === "same" ? total - lo : lo;
      const [expected, shape] = naiveConv2d(x, [2, 4, 1, 9], w, [4, 4 / c.groups, 1, k], b, { stride: [1, c.stride], lo: [0, lo], hi: [0, hi], dilation: [1, c.dilation], groups: c.groups });
      const oshape = [shape[0], shape[1], shape[3]];
      assertClose(F.conv1d(make(x, xs), make(w, ws), make(b, [4]), c), expected, oshape, 1e-9, JSON.stringify({ ...c, k }));
      // unbatched [C, L]
      assertClose(F.conv1d(make(x.slice(0, 36), [4, 9]), make(w, ws), make(b, [4]), c), expected.slice(0, numel(oshape) / 2), oshape.slice(1));
    }
  }
});

test("conv errors name the op, the shapes and the problem", () => {
  const x = make(randomValues(5 * 64, 1), [1, 5, 8, 8]);
  assertThrows(() => F.conv2d(x, make(randomValues(8 * 27, 2), [8, 3, 3, 3]), null, { groups: 2 }),
    /^conv2d: expected input of shape \[N, C, H, W\] with C = 6 \(weight \[8, 3, 3, 3\] with groups 2\), got \[1, 5, 8, 8\]$/);
  assertThrows(() => F.conv2d(x, make(randomValues(9 * 5 * 9, 2), [9, 5, 3, 3]), null, { groups: 2 }),
    /^conv2d: weight's out channels \(9\) must be divisible by groups \(2\)/);
  assertThrows(() => F.conv2d(make([1, 2, 3, 4], [2, 2]), make(randomValues(9, 2), [1, 1, 3, 3])),
    /^conv2d: expected a 4-d input \[N, C, H, W\] \(or 3-d unbatched \[C, H, W\]\), got shape \[2, 2\]/);
  assertThrows(() => F.conv2d(x, make(randomValues(45, 2), [5, 9])), /^conv2d: expected a 4-d weight \[outChannels, inChannels \/ groups, kH, kW\], got shape \[5, 9\]/);
  assertThrows(() => F.conv2d(x, make(randomValues(45, 2), [1, 5, 3, 3]), make([1, 2], [2])), /^conv2d: expected bias of shape \[1\]/);
  assertThrows(() => F.conv2d(x, make(randomValues(45, 2), [1, 5, 3, 3]), null, { stride: 2, padding: "same" }),
    /^conv2d: padding "same" is not supported for strided convolutions/);
  assertThrows(() => F.conv2d(x, make(randomValues(45, 2), [1, 5, 3, 3]), null, { stride: 0 }), /^conv2d: stride must be a positive integer or an array of 2 of them, got 0/);
  assertThrows(() => F.conv2d(x, make(randomValues(45, 2), [1, 5, 3, 3]), null, { padding: [1, 2, 3] }), /^conv2d: padding must be a non-negative integer or an array of 2 of them/);
  assertThrows(() => F.conv2d(x, make(randomValues(45, 2), [1, 5, 3, 3]), null, { padding: "full" as "same" }), /^conv2d: padding must be "valid", "same"/);
  assertThrows(() => F.conv2d(x, make(randomValues(5 * 81, 2), [1, 5, 9, 9])), /^conv2d: the padded input size \[8, 8\] is smaller than the dilated kernel size \[9, 9\]/);
  assertThrows(() => F.conv2d(x.to("int32"), make(randomValues(45, 2), [1, 5, 3, 3])), /^conv2d: expected input to be a floating point tensor, got dtype int32/);
  assertThrows(() => F.conv1d(make(randomValues(10, 1), [1, 2, 5]), make(randomValues(9, 2), [3, 3, 1])),
    /^conv1d: expected input of shape \[N, C, L\] with C = 3 \(weight \[3, 3, 1\] with groups 1\), got \[1, 2, 5\]/);
});

test("grad of conv2d wrt input and weight matches central finite differences (float64)", () => {
  const xs = [2, 4, 5, 4], ws = [4, 2, 3, 2];
  const xv = randomValues(numel(xs), 51), wv = randomValues(numel(ws), 52), bv = randomValues(4, 53);
  const cv = randomValues(2 * 4 * 3 * 4, 54); // cotangent: loss = sum(conv * c)
  const opts = { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 };
  const loss = (x: number[], w: number[]): number => {
    const [out] = naiveConv2d(x, xs, w, ws, bv, { stride: [2, 1], lo: [1, 1], hi: [1, 1], dilation: [1, 2], groups: 2 });
    assert.equal(out.length, cv.length);
    return out.reduce((a, v, i) => a + v * cv[i], 0);
  };
  const c = make(cv, [2, 4, 3, 4]), b = make(bv, [4]);
  const f = (x: Tensor, w: Tensor): Tensor => F.conv2d(x, w, b, opts).mul(c).sum();
  const [gx, gw] = grad(f, { argnums: [0, 1] })(make(xv, xs), make(wv, ws)) as Tensor[];
  const eps = 1e-6;
  const fd = (vals: number[], which: 0 | 1): number[] => vals.map((_, i) => {
    const up = [...vals], down = [...vals];
    up[i] += eps; down[i] -= eps;
    return which === 0 ? (loss(up, wv) - loss(down, wv)) / (2 * eps) : (loss(xv, up) - loss(xv, down)) / (2 * eps);
  });
  assertClose(gx, fd(xv, 0), xs, 1e-6, "d/dx");
  assertClose(gw, fd(wv, 1), ws, 1e-6, "d/dw");
});

test("vmap(F.conv2d) over a batch of weights matches a loop", () => {
  const xs = [2, 3, 5, 5], ws = [4, 3, 3, 3];
  const x = make(randomValues(numel(xs), 61), xs);
  const wv = randomValues(5 * numel(ws), 62);
  const stacked = make(wv, [5, ...ws]);
  const out = vmap((w: Tensor) => F.conv2d(x, w, null, { padding: 1 }))(stacked) as Tensor;
  assert.deepEqual(out.shape, [5, 2, 4, 5, 5]);
  const expected: number[] = [];
  const xv = Array.from(x.toTypedArray());
  for (let m = 0; m < 5; m++) expected.push(...naiveConv2d(xv, xs, wv.slice(m * numel(ws), (m + 1) * numel(ws)), ws, null, { stride: [1, 1], lo: [1, 1], hi: [1, 1], dilation: [1, 1], groups: 1 })[0]);
  assertClose(out, expected, [5, 2, 4, 5, 5]);
  // inputs and weights both mapped, with groups
  const bx = randomValues(3 * numel(xs), 63), bw = randomValues(3 * 3 * 9, 64);
  const both = vmap((xi: Tensor, wi: Tensor) => F.conv2d(xi, wi, null, { groups: 3, stride: 2 }))(make(bx, [3, ...xs]), make(bw, [3, 3, 1, 3, 3])) as Tensor;
  const loop: number[] = [];
  for (let m = 0; m < 3; m++) {
    loop.push(...naiveConv2d(bx.slice(m * numel(xs), (m + 1) * numel(xs)), xs, bw.slice(m * 27, (m + 1) * 27), [3, 1, 3, 3], null, { stride: [2, 2], lo: [0, 0], hi: [0, 0], dilation: [1, 1], groups: 3 })[0]);
  }
  assertClose(both, loop, [3, 2, 3, 2, 2]);
});

// ---------------------------------------------------------------- pooling

test("maxPool2d matches naive loops with padding, stride, dilation and ceil mode", () => {
  const xs = [2, 3, 7, 6];
  const x = randomValues(numel(xs), 71);
  const configs: [Pool, Record<string, unknown>][] = [];
  for (const k of [2, 3]) for (const s of [1, 2, 3]) for (const p of [0, 1]) for (const d of [1, 2]) for (const ceil of [false, true]) {
    const g: Pool = { k: [k, k], s: [s, s], p: [p, p], d: [d, d], ceil };
    configs.push([g, { stride: s, padding: p, dilation: d, ceilMode: ceil }]);
  }
  configs.push([{ k: [3, 2], s: [2, 1], p: [1, 0], d: [1, 1], ceil: true }, { stride: [2, 1], padding: [1, 0], ceilMode: true }]);
  for (const [g, opts] of configs) {
    if (poolOut(7, g.k[0], g.s[0], g.p[0], g.d[0], g.ceil) < 1 || poolOut(6, g.k[1], g.s[1], g.p[1], g.d[1], g.ceil) < 1) continue;
    const [expected, shape] = naiveMaxPool(x, xs, g);
    assertClose(F.maxPool2d(make(x, xs), g.k[0] === g.k[1] ? g.k[0] : g.k, opts), expected, shape, 0, JSON.stringify(g));
  }
  // stride defaults to the kernel size; unbatched input
  const [e2, s2] = naiveMaxPool(x, xs, { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false });
  assertClose(F.maxPool2d(make(x, xs), 2), e2, s2, 0);
  assertClose(F.maxPool2d(make(x.slice(0, 126), [3, 7, 6]), 2), e2.slice(0, e2.length / 2), s2.slice(1), 0);
  // a hand-checked case
  const small = make([1, 5, 2, 0, 3, 4, 8, 6, 7], [1, 1, 3, 3]);
  assert.deepEqual(F.maxPool2d(small, 2, { stride: 1 }).tolist(), [[[[5, 5], [8, 7]]]]);
  assert.deepEqual(F.maxPool2d(small, 2, { ceilMode: true }).tolist(), [[[[5, 4], [8, 7]]]]);
});

test("avgPool2d matches naive loops (countIncludePad both ways, ceil mode, divisorOverride)", () => {
  const xs = [2, 2, 7, 6];
  const x = randomValues(numel(xs), 81);
  for (const k of [2, 3]) for (const s of [1, 2, 3]) for (const p of [0, 1]) for (const ceil of [false, true]) for (const include of [true, false]) {
    const g: Pool = { k: [k, k], s: [s, s], p: [p, p], d: [1, 1], ceil };
    const [expected, shape] = naiveAvgPool(x, xs, g, include);
    const out = F.avgPool2d(make(x, xs), k, { stride: s, padding: p, ceilMode: ceil, countIncludePad: include });
    assertClose(out, expected, shape, 1e-12, JSON.stringify({ k, s, p, ceil, include }));
  }
  const g: Pool = { k: [3, 2], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true };
  const [e, sh] = naiveAvgPool(x, xs, g, true, 5);
  assertClose(F.avgPool2d(make(x, xs), [3, 2], { stride: 2, padding: 1, ceilMode: true, divisorOverride: 5 }), e, sh, 1e-12);
  // hand-checked: with padding 1 and countIncludePad, the corner averages 1 real value over 4
  const small = make([4, 8, 12, 16], [1, 1, 2, 2]);
  assert.deepEqual(F.avgPool2d(small, 2, { stride: 2, padding: 1 }).tolist(), [[[[1, 2], [3, 4]]]]);
  assert.deepEqual(F.avgPool2d(small, 2, { stride: 2, padding: 1, countIncludePad: false }).tolist(), [[[[4, 8], [12, 16]]]]);
});

test("pool errors", () => {
  const x = make(randomValues(16, 1), [1, 1, 4, 4]);
  assertThrows(() => F.maxPool2d(x, 2, { padding: 2 }), /^maxPool2d: padding should be at most half of the kernel size, got padding \[2, 2\] for kernel \[2, 2\]/);
  assertThrows(() => F.maxPool2d(make([1, 2], [2]), 2), /^maxPool2d: expected a 4-d input \[N, C, H, W\] \(or 3-d unbatched \[C, H, W\]\), got shape \[2\]/);
  assertThrows(() => F.avgPool2d(x, 5), /^avgPool2d: output size is too small/);
  assertThrows(() => F.avgPool2d(x, 0), /^avgPool2d: kernelSize must be a positive integer/);
  assertThrows(() => F.maxPool2d(x.to("int32"), 2), /^maxPool2d: expected input to be a floating point tensor, got dtype int32/);
});

test("maxPool2d's gradient and tangent go to the first maximum of each window, as PyTorch's", () => {
  const xs = [2, 2, 7, 6];
  // five levels, so most windows have tied maxima
  const x = randomValues(numel(xs), 73).map((v) => Math.round(v * 2) / 2);
  for (const k of [2, 3]) for (const s of [1, 2]) for (const p of [0, 1]) for (const d of [1, 2]) for (const ceil of [false, true]) {
    const g: Pool = { k: [k, k], s: [s, s], p: [p, p], d: [d, d], ceil };
    if (poolOut(7, k, s, p, d, ceil) < 1 || poolOut(6, k, s, p, d, ceil) < 1) continue;
    const [, shape, at] = naiveMaxPool(x, xs, g);
    const cot = randomValues(numel(shape), 74), tan = randomValues(numel(xs), 75);
    const expectedGrad = new Array<number>(x.length).fill(0);
    at.forEach((pos, o) => { expectedGrad[pos] += cot[o]; });
    const pool = (t: Tensor): Tensor => F.maxPool2d(t, k, { stride: s, padding: p, dilation: d, ceilMode: ceil });
    const gx = grad((t: Tensor) => pool(t).mul(make(cot, shape)).sum())(make(x, xs)) as Tensor;
    assertClose(gx, expectedGrad, xs, 1e-12, `grad ${JSON.stringify(g)}`);
    const [, tangentOut] = jvp(pool, [make(x, xs)], [make(tan, xs)]) as [Tensor, Tensor];
    assertClose(tangentOut, at.map((pos) => tan[pos]), shape, 0, `jvp ${JSON.stringify(g)}`);
  }
  // all ties: the top-left element of every window
  const zeros = grad((t: Tensor) => F.maxPool2d(t, 2).sum())(make(new Array(16).fill(0), [1, 1, 4, 4])) as Tensor;
  assert.deepEqual(zeros.tolist(), [[[[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]]]);
});

test("grad of maxPool2d/avgPool2d routes the gradient to the window elements", () => {
  const x = make([1, 5, 2, 0, 3, 4, 8, 6, 7], [1, 1, 3, 3]);
  const gmax = grad((t: Tensor) => F.maxPool2d(t, 2, { stride: 1 }).sum())(x) as Tensor;
  // windows [[1, 5], [0, 3]], [[5, 2], [3, 4]], [[0, 3], [8, 6]], [[3, 4], [6, 7]]: maxima 5, 5, 8, 7
  assert.deepEqual(gmax.tolist(), [[[[0, 2, 0], [0, 0, 0], [1, 0, 1]]]]);
  const gavg = grad((t: Tensor) => F.avgPool2d(t, 2, { stride: 1 }).sum())(x) as Tensor;
  assert.deepEqual(gavg.tolist(), [[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]]);
});

// ---------------------------------------------------------------- activations

test("relu and gelu", () => {
  assert.deepEqual(F.relu(tensor([-1, 0, 2])).tolist(), [0, 0, 2]);
  const g = F.gelu(make([-1, 0, 1], [3]));
  // x * Phi(x): Phi(1) = 0.8413447460685429
  assertClose(g, [-(1 - 0.8413447460685429), 0, 0.8413447460685429], [3], 1e-12);
  const t = F.gelu(make([1], [1]), { approximate: "tanh" });
  assertClose(t, [0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715)))], [1], 1e-12);
});

test("gelu keeps its left tail, where 1 + erf(x / sqrt 2) (1 + tanh u for the tanh form) cancels, and its derivative is Phi(x) + x phi(x)", () => {
  // x Phi(x) and Phi(x) + x phi(x) from mpmath at 30 digits
  const xs = [-12.5, -10, -8, -3, 0.5, 2];
  const values = [-4.6657053735971417215e-35, -7.619853024160526066e-23, -4.9767684594174272988e-15, -0.00404969409489028358, 0.34573123063700655182, 1.9544997361036415856];
  const slopes = [-5.8316685544801553657e-34, -7.6184000964648140857e-22, -3.9796072610867959891e-14, -0.011945647204183927, 0.86749512465616284253, 1.0852318010781968967];
  const g = F.gelu(make(xs, [6])).toTypedArray();
  xs.forEach((x, i) => assert.ok(Math.abs(g[i] - values[i]) <= 1e-12 * Math.abs(values[i]), `gelu(${x}) = ${g[i]}, expected ${values[i]}`));
  const d = grad((t: Tensor) => F.gelu(t).sum())(make(xs, [6])) as Tensor;
  const dv = d.toTypedArray();
  xs.forEach((x, i) => assert.ok(Math.abs(dv[i] - slopes[i]) <= 1e-12 * Math.abs(slopes[i]), `gelu'(${x}) = ${dv[i]}, expected ${slopes[i]}`));
  // float32: the tail to a few ulps, not 0 (float32's 1 + erf(-5.66) rounds to 0)
  const g32 = F.gelu(tensor([-8, -3, 0.5])).toTypedArray();
  [-8, -3, 0.5].forEach((x, i) => {
    const want = values[xs.indexOf(x)];
    assert.ok(Math.abs(g32[i] - want) <= 2 ** -20 * Math.abs(want), `float32 gelu(${x}) = ${g32[i]}, expected ${want}`);
  });
  // the tanh form, x (1 + tanh u) / 2 from mpmath at 100 digits (1 + tanh u cancels to nothing in float32 and float64 alike at -10)
  const tanhValues = [-1.2040923482098059937e-37, -5.927640263880262026e-9, -0.0036373920817730188378, 0.84119199060827670478, 1.9545976940877750188];
  const tx = [-10, -5.5, -3, 1, 2];
  const gt = F.gelu(make(tx, [5]), { approximate: "tanh" }).toTypedArray();
  tx.forEach((x, i) => assert.ok(Math.abs(gt[i] - tanhValues[i]) <= 1e-12 * Math.abs(tanhValues[i]), `gelu tanh(${x}) = ${gt[i]}, expected ${tanhValues[i]}`));
  const gt32 = F.gelu(tensor([-10, -5.5]), { approximate: "tanh" }).toTypedArray();
  [0, 1].forEach((i) => assert.ok(Math.abs(gt32[i] - tanhValues[i]) <= 2 ** -18 * Math.abs(tanhValues[i]), `float32 gelu tanh(${tx[i]}) = ${gt32[i]}, expected ${tanhValues[i]}`));
  // its derivative against central differences of the textbook formula in float64
  const textbook = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  const dt = (grad((t: Tensor) => F.gelu(t, { approximate: "tanh" }).sum())(make([-2, -0.5, 0.3, 1.5], [4])) as Tensor).toTypedArray();
  [-2, -0.5, 0.3, 1.5].forEach((x, i) => {
    const fd = (textbook(x + 1e-6) - textbook(x - 1e-6)) / 2e-6;
    assert.ok(Math.abs(dt[i] - fd) <= 1e-8, `gelu tanh'(${x}) = ${dt[i]}, central difference ${fd}`);
  });
  // the second derivative phi(x) (2 - x^2), through the derivative's own rule
  const second = grad((t: Tensor) => (grad((u: Tensor) => F.gelu(u).sum())(t) as Tensor).sum())(make([-1, 0.5, 2], [3])) as Tensor;
  const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  assertClose(second, [-1, 0.5, 2].map((x) => phi(x) * (2 - x * x)), [3], 1e-12);
});

test("softmax sums to 1 in float64, logSoftmax = log(softmax), both stable for large inputs", () => {
  const xv = randomValues(3 * 4 * 5, 91).map((v) => v * 10);
  const x = make(xv, [3, 4, 5]);
  for (const dim of [0, 1, 2, -1]) {
    const s = F.softmax(x, dim);
    const sums = s.sum(dim).toTypedArray();
    for (const v of sums) assert.ok(Math.abs(v - 1) < 1e-14, `dim ${dim}: sum ${v}`);
    const ls = F.logSoftmax(x, dim);
    assertClose(ls, Array.from(s.log().toTypedArray()), [3, 4, 5], 1e-12);
  }
  // a hand-computed row along the last dim
  const row = [1, 2, 3], z = Math.exp(1) + Math.exp(2) + Math.exp(3);
  assertClose(F.softmax(make(row, [3]), 0), row.map((v) => Math.exp(v) / z), [3], 1e-14);
  // large inputs: no overflow, no NaN
  const big = make([1000, 999, -1000], [3]);
  const p = F.softmax(big, 0).toTypedArray();
  const e = 1 / (1 + Math.exp(-1));
  assertClose(make(Array.from(p), [3]), [e, 1 - e, 0], [3], 1e-12);
  const lp = F.logSoftmax(big, 0).toTypedArray();
  for (const v of lp) assert.ok(Number.isFinite(v), `logSoftmax not finite: ${v}`);
  assertClose(make(Array.from(lp), [3]), [-Math.log1p(Math.exp(-1)), -1 - Math.log1p(Math.exp(-1)), -2000 - Math.log1p(Math.exp(-1))], [3], 1e-12);
  // float32 too, and the gradient stays finite
  const f32 = F.logSoftmax(tensor([1000, 0]), 0).toTypedArray();
  assert.ok(f32.every(Number.isFinite));
  const g = grad((t: Tensor) => F.logSoftmax(t, 0).select(0, 1))(make([1000, 0], [2])) as Tensor;
  assertClose(g, [-1, 1], [2], 1e-12);
  assertThrows(() => F.softmax(x, 3), /^softmax: dim 3 is out of range for an input of shape \[3, 4, 5\]/);
  assertThrows(() => (F.softmax as (x: Tensor) => Tensor)(x), /^softmax: dim is required/);
});

test("softmax and logSoftmax of rows whose max is not finite are NaN, as PyTorch's; -inf entries are fine", () => {
  const rows: [number[], number[] | null, number[] | null][] = [
    // [row, softmax, logSoftmax]; null is a row of NaN
    [[Infinity, 1, 0], null, null],
    [[-Infinity, -Infinity], null, null],
    [[NaN, 1], null, null],
    [[Infinity, Infinity], null, null],
    [[0, -Infinity], [1, 0], [0, -Infinity]],
    [[-Infinity, 1], [0, 1], [-Infinity, 0]],
  ];
  for (const [row, soft, logSoft] of rows) {
    for (const [got, want, name] of [[F.softmax(make(row, [row.length]), 0), soft, "softmax"], [F.logSoftmax(make(row, [row.length]), 0), logSoft, "logSoftmax"]] as const) {
      const v = Array.from(got.toTypedArray());
      if (want === null) assert.ok(v.every(Number.isNaN), `${name}(${row}) = ${v}`);
      else assert.deepEqual(v, want, `${name}(${row})`);
    }
  }
});

// ---------------------------------------------------------------- losses

const logits = [[1, 2, 3], [1, 0, 0], [0.5, -1, 2], [0, 0, 0]];
const targets = [2, 0, 1, 2];
/** -log softmax(row)[t], computed directly. */
const nll = (row: number[], t: number): number => Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[t];

test("crossEntropy with class indices: every reduction against hand-computed values", () => {
  const input = make(logits.flat(), [4, 3]), target = tensor(targets, { dtype: "int32" });
  const per = logits.map((r, i) => nll(r, targets[i]));
  assertClose(F.crossEntropy(input, target, { reduction: "none" }), per, [4], 1e-12);
  assertClose(F.crossEntropy(input, target, { reduction: "sum" }), [per.reduce((a, b) => a + b)], [], 1e-12);
  assertClose(F.crossEntropy(input, target), [per.reduce((a, b) => a + b) / 4], [], 1e-12);
  // the first row: log(e + e^2 + e^3) - 3
  assertClose(F.crossEntropy(make([1, 2, 3], [3]), tensor(2, { dtype: "int32" })), [0.40760596444438], [], 1e-12);
  // float32 logits
  assertClose(F.crossEntropy(tensor(logits), target), [per.reduce((a, b) => a + b) / 4], [], 1e-6);
});

test("crossEntropy's float32 gradient depends on the logits' differences only: as accurate 1000 away from 0 as near it, and with logits far apart", () => {
  const u = uniformStream(71), rows = 8, C = 50;
  const tv = Array.from({ length: rows }, (_, i) => (i * 13) % C);
  for (const [offset, spread] of [[0, 8], [1000, 8], [-3000, 8], [0, 100]]) {
    // float32 logits, and the float64 softmax - onehot of those very values
    const x = tensor(Array.from({ length: rows * C }, () => offset + spread * (u() - 0.5))).reshape([rows, C]);
    const xv = Array.from(x.toTypedArray());
    const got = grad((l: Tensor) => F.crossEntropy(l, tensor(tv, { dtype: "int32" }), { reduction: "sum" }))(x).toTypedArray();
    for (let r = 0; r < rows; r++) {
      const row = xv.slice(r * C, (r + 1) * C), m = Math.max(...row);
      const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
      for (let k = 0; k < C; k++) {
        const want = Math.exp(row[k] - m) / s - (k === tv[r] ? 1 : 0);
        // a few float32 ulps of 1, the scale of the probabilities and of the one-hot
        assert.ok(Math.abs(got[r * C + k] - want) <= 2e-6, `offset ${offset}, spread ${spread}, row ${r}, class ${k}: ${got[r * C + k]}, want ${want}`);
      }
    }
  }
});

test("crossEntropy: ignoreIndex, class weights, label smoothing, probability targets, extra dims", () => {
  const input = make(logits.flat(), [4, 3]);
  const per = logits.map((r, i) => nll(r, targets[i]));
  // ignore the second sample
  const ignored = tensor([2, -100, 1, 2], { dtype: "int32" });
  assertClose(F.crossEntropy(input, ignored, { reduction: "none" }), [per[0], 0, per[2], per[3]], [4], 1e-12);
  assertClose(F.crossEntropy(input, ignored), [(per[0] + per[2] + per[3]) / 3], [], 1e-12);
  assertClose(F.crossEntropy(input, tensor([2, 5, 1, 5], { dtype: "int32" }), { ignoreIndex: 5 }), [(per[0] + per[2]) / 2], [], 1e-12);
  // weights: mean divides by the weights of the counted targets
  const w = [0.2, 1.5, 3];
  const wt = targets.map((t) => w[t]);
  const wsum = per.reduce((a, v, i) => a + v * wt[i], 0);
  assertClose(F.crossEntropy(input, tensor(targets, { dtype: "int32" }), { weight: make(w, [3]) }), [wsum / wt.reduce((a, b) => a + b)], [], 1e-12);
  assertClose(F.crossEntropy(input, tensor(targets, { dtype: "int32" }), { weight: make(w, [3]), reduction: "none" }), per.map((v, i) => v * wt[i]), [4], 1e-12);
  // label smoothing s: (1 - s) * nll + s / C * sum_c -logp_c (PyTorch's definition)
  const s = 0.1;
  const smooth = logits.map((r) => r.reduce((a, _, c) => a + nll(r, c), 0));
  const ls = per.map((v, i) => (1 - s) * v + (s / 3) * smooth[i]);
  assertClose(F.crossEntropy(input, tensor(targets, { dtype: "int32" }), { labelSmoothing: s, reduction: "none" }), ls, [4], 1e-12);
  assertClose(F.crossEntropy(input, tensor(targets, { dtype: "int32" }), { labelSmoothing: s }), [ls.reduce((a, b) => a + b) / 4], [], 1e-12);
  // smoothing with weights and an ignored sample, mean: both parts divide by the counted weights
  const tw = [2, -100, 1, 2], counted = [0, 2, 3];
  const wSmooth = logits.map((r) => r.reduce((a, _, c) => a + w[c] * nll(r, c), 0));
  const denom = counted.reduce((a, i) => a + w[tw[i]], 0);
  const nllPart = counted.reduce((a, i) => a + w[tw[i]] * per[i], 0) / denom;
  const smoothPart = counted.reduce((a, i) => a + wSmooth[i], 0) / denom;
  assertClose(F.crossEntropy(input, tensor(tw, { dtype: "int32" }), { labelSmoothing: s, weight: make(w, [3]) }), [(1 - s) * nllPart + (s / 3) * smoothPart], [], 1e-12);
  // probability targets: -sum p_c logp_c, mean over samples
  const probs = [[0.1, 0.2, 0.7], [1, 0, 0], [0.3, 0.3, 0.4], [0, 0.5, 0.5]];
  const soft = logits.map((r, i) => probs[i].reduce((a, p, c) => a + p * nll(r, c), 0));
  assertClose(F.crossEntropy(input, make(probs.flat(), [4, 3]), { reduction: "none" }), soft, [4], 1e-12);
  assertClose(F.crossEntropy(input, make(probs.flat(), [4, 3])), [soft.reduce((a, b) => a + b) / 4], [], 1e-12);
  const softSmooth = logits.map((r, i) => probs[i].reduce((a, p, c) => a + ((1 - s) * p + s / 3) * w[c] * nll(r, c), 0));
  assertClose(F.crossEntropy(input, make(probs.flat(), [4, 3]), { labelSmoothing: s, weight: make(w, [3]), reduction: "sum" }), [softSmooth.reduce((a, b) => a + b)], [], 1e-12);
  // [N, C, d]: classes on dim 1
  const x3 = make([1, 0.5, 2, -1, 3, 2], [1, 3, 2]); // sample 0, position 0: [1, 2, 3]; position 1: [0.5, -1, 2]
  assertClose(F.crossEntropy(x3, tensor([[2, 1]], { dtype: "int32" }), { reduction: "none" }), [nll([1, 2, 3], 2), nll([0.5, -1, 2], 1)], [1, 2], 1e-12);
});

test("nllLoss: gather of -input at the target, weights, ignoreIndex, reductions, unbatched", () => {
  const lp = [[-0.5, -1, -2], [-3, -0.1, -4]];
  const input = make(lp.flat(), [2, 3]);
  const t = tensor([2, 1], { dtype: "int32" });
  assertClose(F.nllLoss(input, t, { reduction: "none" }), [2, 0.1], [2], 1e-12);
  assertClose(F.nllLoss(input, t, { reduction: "sum" }), [2.1], [], 1e-12);
  assertClose(F.nllLoss(input, t), [1.05], [], 1e-12);
  assertClose(F.nllLoss(input, t, { weight: make([1, 2, 3], [3]) }), [(3 * 2 + 2 * 0.1) / 5], [], 1e-12);
  assertClose(F.nllLoss(input, tensor([0, -100], { dtype: "int32" })), [0.5], [], 1e-12);
  assertClose(F.nllLoss(input, tensor([-100, -100], { dtype: "int32" })), [NaN], []); // 0 / 0, as PyTorch
  assertClose(F.nllLoss(make([-0.5, -1, -2], [3]), tensor(1, { dtype: "int32" })), [1], [], 1e-12);
  // the gradient is -w[t] / total weight at the target, 0 elsewhere
  const g = grad((x: Tensor) => F.nllLoss(x, t))(input) as Tensor;
  assertClose(g, [0, 0, -0.5, 0, -0.5, 0], [2, 3], 1e-12);
});

test("loss errors name the op, the shapes and the problem", () => {
  const input = make(logits.flat(), [4, 3]);
  assertThrows(() => F.crossEntropy(input, tensor([0, 1, 2], { dtype: "int32" })), /^crossEntropy: expected target of shape \[4\] \(input \[4, 3\] without its class dim 1\), got \[3\]/);
  assertThrows(() => F.crossEntropy(input, tensor([0, 1, 3, 0], { dtype: "int32" })), /^crossEntropy: target 3 is out of bounds for 3 classes \(input \[4, 3\]\)/);
  assertThrows(() => F.nllLoss(input, tensor([0, 1, 2, 0])), /^nllLoss: expected an int32 target of class indices, got dtype float32/);
  assertThrows(() => F.nllLoss(input, tensor([0, 1, 2, 0], { dtype: "int32" }), { reduction: "avg" as "mean" }), /^nllLoss: reduction must be "none", "mean" or "sum", got "avg"/);
  assertThrows(() => F.nllLoss(input, tensor([0, 1, 2, 0], { dtype: "int32" }), { weight: make([1, 2], [2]) }), /^nllLoss: expected weight of shape \[3\]/);
  assertThrows(() => F.crossEntropy(input, make(randomValues(8, 1), [4, 2])), /^crossEntropy: expected a probability target with the input's shape \[4, 3\], got \[4, 2\]/);
  assertThrows(() => F.crossEntropy(input, tensor([0, 1, 2, 0], { dtype: "int32" }), { labelSmoothing: 2 }), /^crossEntropy: labelSmoothing must be a number in \[0, 1\], got 2/);
  assertThrows(() => F.mseLoss(tensor([1, 2], { dtype: "int32" }), tensor([1, 2])), /^mseLoss: expected input to be a floating point tensor, got dtype int32/);
});

test("mseLoss with each reduction, and broadcasting", () => {
  const a = make([1, 2, 3, 4], [2, 2]), b = make([0, 2, 5, 1], [2, 2]);
  assertClose(F.mseLoss(a, b, { reduction: "none" }), [1, 0, 4, 9], [2, 2], 0);
  assertClose(F.mseLoss(a, b, { reduction: "sum" }), [14], [], 0);
  assertClose(F.mseLoss(a, b), [3.5], [], 0);
  assertClose(F.mseLoss(a, make([1, 1], [2]), { reduction: "none" }), [0, 1, 4, 9], [2, 2], 0);
});

// ---------------------------------------------------------------- dropout

test("dropout: p = 0 and eval are the identity, p = 1 zeros, otherwise mask fraction p and mean preserved", () => {
  const x = make(new Array(20000).fill(1), [200, 100]);
  assert.equal(F.dropout(x, { p: 0 }), x);
  assert.equal(F.dropout(x, { p: 0.5, training: false }), x);
  assert.ok(F.dropout(x, { p: 1 }).toTypedArray().every((v) => v === 0));
  const y = Array.from(F.dropout(x, { p: 0.3 }).toTypedArray());
  const zeros = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zeros - 0.3) < 0.02, `zero fraction ${zeros}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-12), "kept values are scaled by 1 / (1 - p)");
  const mean = y.reduce((a, v) => a + v, 0) / y.length;
  assert.ok(Math.abs(mean - 1) < 0.03, `mean ${mean}`);
  const d = F.dropout(x);
  const half = d.toTypedArray().filter((v) => v === 0).length / x.numel;
  assert.ok(Math.abs(half - 0.5) < 0.02, `default p = 0.5, zero fraction ${half}`);
  assertThrows(() => F.dropout(x, { p: 1.5 }), /^dropout: probability has to be between 0 and 1, got 1.5/);
});

test("dropout under vmap follows the randomness mode", () => {
  const x = make(new Array(4 * 1000).fill(1), [4, 1000]);
  assertThrows(() => vmap((r: Tensor) => F.dropout(r))(x), /randomness/);
  const diff = vmap((r: Tensor) => F.dropout(r), { randomness: "different" })(x) as Tensor;
  const same = vmap((r: Tensor) => F.dropout(r), { randomness: "same" })(x) as Tensor;
  const rows = (t: Tensor) => t.unbind(0).map((r) => Array.from(r.toTypedArray()).join(","));
  const [d0, d1] = rows(diff), s = rows(same);
  assert.notEqual(d0, d1);
  assert.ok(s.every((r) => r === s[0]));
});

// ---------------------------------------------------------------- normalisation

/** Normalise groups of `inner` consecutive values (biased variance). */
function naiveLayerNorm(x: number[], inner: number, eps: number, w?: number[], b?: number[]): number[] {
  const out: number[] = [];
  for (let s = 0; s < x.length; s += inner) {
    const part = x.slice(s, s + inner);
    const mu = part.reduce((a, v) => a + v, 0) / inner;
    const v = part.reduce((a, u) => a + (u - mu) ** 2, 0) / inner;
    part.forEach((u, i) => out.push(((u - mu) / Math.sqrt(v + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0)));
  }
  return out;
}

test("layerNorm matches naive mean/var loops", () => {
  const x = randomValues(2 * 3 * 4, 101).map((v) => v * 3 + 1);
  const w = randomValues(12, 102), b = randomValues(12, 103);
  assertClose(F.layerNorm(make(x, [2, 3, 4]), [3, 4], make(w, [3, 4]), make(b, [3, 4])), naiveLayerNorm(x, 12, 1e-5, w, b), [2, 3, 4], 1e-12);
  assertClose(F.layerNorm(make(x, [2, 3, 4]), 4), naiveLayerNorm(x, 4, 1e-5), [2, 3, 4], 1e-12);
  assertClose(F.layerNorm(make(x, [2, 3, 4]), [4], null, make(b.slice(0, 4), [4]), { eps: 0.1 }), naiveLayerNorm(x, 4, 0.1, undefined, b), [2, 3, 4], 1e-12);
  assertThrows(() => F.layerNorm(make(x, [2, 3, 4]), [3]), /^layerNorm: given normalizedShape \[3\], expected input of shape \[\*, 3\], got \[2, 3, 4\]/);
  assertThrows(() => F.layerNorm(make(x, [2, 3, 4]), [4], make([1, 2], [2])), /^layerNorm: expected weight of shape \[4\] \(normalizedShape\), got \[2\]/);
});

/** Per-channel mean and biased variance of x [N, C, S] (S = the flattened spatial dims). */
function channelStats(x: number[], [N, C, S]: number[]): [number[], number[]] {
  const mu: number[] = [], v: number[] = [];
  for (let c = 0; c < C; c++) {
    let acc = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) acc += x[(n * C + c) * S + s];
    mu.push(acc / (N * S));
    let sq = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sq += (x[(n * C + c) * S + s] - mu[c]) ** 2;
    v.push(sq / (N * S));
  }
  return [mu, v];
}

function applyChannel(x: number[], [N, C, S]: number[], mu: number[], v: number[], eps: number, w: number[], b: number[]): number[] {
  return x.map((u, i) => {
    const c = Math.floor(i / S) % C;
    void N;
    return ((u - mu[c]) / Math.sqrt(v[c] + eps)) * w[c] + b[c];
  });
}

test("batchNorm: training uses batch statistics and updates the running ones in place; eval uses the running ones", () => {
  const dims = [3, 2, 2, 3]; // N, C, H, W
  const x = randomValues(numel(dims), 111).map((u) => u * 2 + 0.5);
  const w = [1.5, -0.5], b = [0.1, 0.2];
  const [mu, v] = channelStats(x, [3, 2, 6]);
  const rm = make([0.5, -0.5], [2]), rv = make([2, 3], [2]);
  const out = F.batchNorm(make(x, dims), rm, rv, make(w, [2]), make(b, [2]), { training: true, momentum: 0.2 });
  assertClose(out, applyChannel(x, [3, 2, 6], mu, v, 1e-5, w, b), dims, 1e-12);
  // running = 0.8 * running + 0.2 * stat, the variance unbiased (n = 18)
  assertClose(rm, [0.8 * 0.5 + 0.2 * mu[0], 0.8 * -0.5 + 0.2 * mu[1]], [2], 1e-12);
  assertClose(rv, [0.8 * 2 + 0.2 * v[0] * 18 / 17, 0.8 * 3 + 0.2 * v[1] * 18 / 17], [2], 1e-12);
  // eval mode: the running statistics, nothing updated
  const before = Array.from(rm.toTypedArray());
  const ev = F.batchNorm(make(x, dims), rm, rv, make(w, [2]), make(b, [2]));
  assertClose(ev, applyChannel(x, [3, 2, 6], before, Array.from(rv.toTypedArray()), 1e-5, w, b), dims, 1e-12);
  assertClose(rm, before, [2], 0);
  // [N, C] input, no affine, no running stats
  const x2 = randomValues(8, 112);
  const [m2, v2] = channelStats(x2, [4, 2, 1]);
  assertClose(F.batchNorm(make(x2, [4, 2]), null, null, null, null, { training: true }), applyChannel(x2, [4, 2, 1], m2, v2, 1e-5, [1, 1], [0, 0]), [4, 2], 1e-12);
  assertThrows(() => F.batchNorm(make(x2, [4, 2]), null, null), /^batchNorm: runningMean and runningVar are required when training is false/);
  assertThrows(() => F.batchNorm(make([1, 2], [1, 2]), null, null, null, null, { training: true }), /^batchNorm: expected more than 1 value per channel when training, got input of shape \[1, 2\]/);
  assertThrows(() => F.batchNorm(make(x2, [4, 2]), make([1, 2, 3], [3]), make([1, 2], [2])), /^batchNorm: expected runningMean of shape \[2\] \(one per channel of input \[4, 2\]\), got \[3\]/);
});

test("batchNorm under grad updates running stats from primal values; under vmap it leaves them alone", () => {
  const x = make(randomValues(8, 121), [4, 2]);
  const [mu] = channelStats(Array.from(x.toTypedArray()), [4, 2, 1]);
  const rm = make([0, 0], [2]), rv = make([1, 1], [2]);
  const g = grad((t: Tensor) => F.batchNorm(t, rm, rv, null, null, { training: true }).mul(t).sum())(x) as Tensor;
  assert.deepEqual(g.shape, [4, 2]);
  assertClose(rm, [0.1 * mu[0], 0.1 * mu[1]], [2], 1e-12);
  const before = Array.from(rm.toTypedArray());
  const out = vmap((t: Tensor) => F.batchNorm(t, rm, rv, null, null, { training: true }))(make(randomValues(16, 122), [2, 4, 2])) as Tensor;
  assert.deepEqual(out.shape, [2, 4, 2]);
  assertClose(rm, before, [2], 0);
});

// ---------------------------------------------------------------- embedding

test("embedding picks rows by index, any index shape", () => {
  const w = make([0, 1, 10, 11, 20, 21, 30, 31], [4, 2]);
  assert.deepEqual(F.embedding(tensor([[3, 0], [1, 1]], { dtype: "int32" }), w).tolist(), [[[30, 31], [0, 1]], [[10, 11], [10, 11]]]);
  assert.deepEqual(F.embedding(tensor(2, { dtype: "int32" }), w).tolist(), [20, 21]);
  const g = grad((t: Tensor) => F.embedding(tensor([1, 1, 3], { dtype: "int32" }), t).sum())(w) as Tensor;
  assert.deepEqual(g.tolist(), [[0, 0], [2, 2], [0, 0], [1, 1]]);
  assertThrows(() => F.embedding(tensor([4], { dtype: "int32" }), w), /^embedding: index 4 is out of range for a weight of 4 rows \(shape \[4, 2\]\)/);
  assertThrows(() => F.embedding(tensor([1]), w), /^embedding: expected int32 indices, got dtype float32/);
});

// ---------------------------------------------------------------- transforms through a small CNN

test("per-sample gradients of a small CNN: vmap(grad(loss)) matches a loop of grad", () => {
  const p = {
    w1: make(randomValues(4 * 1 * 3 * 3, 131), [4, 1, 3, 3]), b1: make(randomValues(4, 132), [4]),
    w2: make(randomValues(3 * 4 * 4, 133), [3, 4 * 2 * 2]), b2: make(randomValues(3, 134), [3]),
  };
  type P = typeof p;
  const net = (q: P, x: Tensor): Tensor => {
    const h = F.maxPool2d(F.relu(F.conv2d(x, q.w1, q.b1, { padding: 1 })), 3, { stride: 3, ceilMode: true }).flatten(1);
    return F.logSoftmax(F.linear(h, q.w2, q.b2), 1);
  };
  const loss = (q: P, x: Tensor, t: Tensor): Tensor => F.nllLoss(net(q, x.unsqueeze(0)), t.unsqueeze(0));
  const xs = make(randomValues(5 * 1 * 6 * 6, 135), [5, 1, 6, 6]);
  const ts = tensor([0, 2, 1, 1, 0], { dtype: "int32" });
  const batched = vmap(grad(loss), { inDims: [null, 0, 0] })(p, xs, ts) as P;
  for (let i = 0; i < 5; i++) {
    const one = grad(loss)(p, xs.select(0, i), ts.select(0, i)) as P;
    for (const k of Object.keys(p) as (keyof P)[]) {
      assertClose(batched[k].select(0, i), Array.from(one[k].toTypedArray()), [...p[k].shape], 1e-12, `${k}[${i}]`);
    }
  }
  // and the per-sample loss of the whole batch equals crossEntropy on the logits, computed by hand
  const logits = F.linear(F.maxPool2d(F.relu(F.conv2d(xs, p.w1, p.b1, { padding: 1 })), 3, { stride: 3, ceilMode: true }).flatten(1), p.w2, p.b2);
  const rows = logits.tolist() as number[][];
  const tv = [0, 2, 1, 1, 0];
  const expected = rows.map((r, i) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0)) - r[tv[i]]);
  assertClose(F.crossEntropy(logits, ts, { reduction: "none" }), expected, [5], 1e-12);
});

test("jvp through conv2d matches a central difference (float64)", async () => {
  const { jvp } = await import("../src/index.js");
  const xs = [1, 2, 5, 5], ws = [3, 2, 3, 3];
  const x = randomValues(numel(xs), 141), w = randomValues(numel(ws), 142), dw = randomValues(numel(ws), 143);
  const [out, tangent] = jvp((wt: Tensor) => F.conv2d(make(x, xs), wt, null, { stride: 2, padding: 1 }), [make(w, ws)], [make(dw, ws)]) as Tensor[];
  const eps = 1e-6;
  const g: Conv = { stride: [2, 2], lo: [1, 1], hi: [1, 1], dilation: [1, 1], groups: 1 };
  const [up, shape] = naiveConv2d(x, xs, w.map((v, i) => v + eps * dw[i]), ws, null, g);
  const [down] = naiveConv2d(x, xs, w.map((v, i) => v - eps * dw[i]), ws, null, g);
  assertClose(out, naiveConv2d(x, xs, w, ws, null, g)[0], shape);
  assertClose(tangent, up.map((u, i) => (u - down[i]) / (2 * eps)), shape, 1e-7);
});
