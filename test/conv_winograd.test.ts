// 3 x 3 convolutions at stride 1 on the wasm backend run Winograd's F(2x2, 3x3) (src/backend/wasm/
// winograd.ts), and so do their input and filter gradients, through its transforms transposed.
// Every case checks that the path ran and compares the results with the definition in float64: paddings 0 to 3, odd and even output sizes (tiles past the edge),
// channel counts that are not a multiple of the gemm's tile, groups, and per-example filters
// and per-example filter gradients under vmap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, Tensor, backendNames, getBackend, grad, setBackend, tensor, vjp, vmap } from "../src/index.js";
import { wasmBackend } from "../src/backend/wasm/index.js";
import { winogradSettings } from "../src/backend/wasm/winograd.js";
import { assertNear, uniformStream } from "./helpers/check.js";

type Ran = { convs: number; inputGrads: number; filterGrads: number };

/**
 * Runs f on the wasm backend with every channel count taking the path; returns how many
 * convolutions, input gradients and filter gradients it ran, or null without wasm.
 */
function onWinograd(f: () => void, settings: Partial<typeof winogradSettings> = {}): Ran | null {
  if (!backendNames().includes("wasm")) return null;
  const prev = getBackend(), saved = { ...winogradSettings };
  const { conv3x3, conv3x3InputGrad, conv3x3WeightGrad } = wasmBackend;
  const ran: Ran = { convs: 0, inputGrads: 0, filterGrads: 0 };
  const counted = <A extends unknown[]>(run: (...args: A) => boolean, key: keyof Ran) => (...args: A): boolean => {
    const done = run(...args);
    if (done) ran[key]++;
    return done;
  };
  Object.assign(wasmBackend, {
    conv3x3: counted(conv3x3, "convs"), conv3x3InputGrad: counted(conv3x3InputGrad, "inputGrads"), conv3x3WeightGrad: counted(conv3x3WeightGrad, "filterGrads"),
  });
  Object.assign(winogradSettings, { minChannels: 1 }, settings);
  setBackend("wasm");
  try {
    f();
  } finally {
    setBackend(prev);
    Object.assign(winogradSettings, saved);
    Object.assign(wasmBackend, { conv3x3, conv3x3InputGrad, conv3x3WeightGrad });
  }
  return ran;
}

const randomArray = (n: number, seed: number): Float32Array => {
  const next = uniformStream(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
};

interface Case { n: number; c: number; h: number; w: number; o: number; pad: [number, number]; groups: number }

/** y = conv(x, w) and, for a cotangent dy, dx and dw, by the definition in float64. */
function naive(x: Float32Array, w: Float32Array, dy: Float32Array, k: Case) {
  const { n, c, h, w: wd, o, pad: [ph, pw], groups } = k;
  const cg = c / groups, og = o / groups, oh = h + 2 * ph - 2, ow = wd + 2 * pw - 2;
  const y = new Float64Array(n * o * oh * ow), dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let i = 0; i < n; i++) for (let oc = 0; oc < o; oc++) for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) {
    const yi = ((i * o + oc) * oh + a) * ow + b;
    for (let cc = 0; cc < cg; cc++) for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) {
      const r = a + u - ph, col = b + v - pw;
      if (r < 0 || r >= h || col < 0 || col >= wd) continue;
      const xi = ((i * c + Math.floor(oc / og) * cg + cc) * h + r) * wd + col, wi = ((oc * cg + cc) * 3 + u) * 3 + v;
      y[yi] += x[xi] * w[wi];
      dx[xi] += dy[yi] * w[wi];
      dw[wi] += dy[yi] * x[xi];
    }
  }
  return { y, dx, dw, yShape: [n, o, oh, ow] };
}

const cases: Case[] = [
  { n: 2, c: 8, h: 6, w: 6, o: 8, pad: [0, 0], groups: 1 },
  { n: 3, c: 9, h: 7, w: 11, o: 10, pad: [1, 1], groups: 1 },
  { n: 1, c: 16, h: 5, w: 9, o: 6, pad: [2, 1], groups: 2 },
  { n: 2, c: 12, h: 13, w: 4, o: 7, pad: [1, 0], groups: 1 },
  { n: 2, c: 5, h: 19, w: 18, o: 3, pad: [0, 2], groups: 1 },
  // outputs a whole number of tile groups wide, so the input gradient's last tile reaches past them
  { n: 2, c: 8, h: 10, w: 18, o: 8, pad: [0, 0], groups: 1 },
];

test("3 x 3 convolutions at stride 1 and both their gradients match the definition", () => {
  cases.forEach((k, at) => {
    const { n, c, h, w, o, pad, groups } = k;
    const xs = randomArray(n * c * h * w, 10 + at), ws = randomArray(o * (c / groups) * 9, 20 + at);
    const dys = randomArray(n * o * (h + 2 * pad[0] - 2) * (w + 2 * pad[1] - 2), 30 + at);
    const { y, dx, dw, yShape } = naive(xs, ws, dys, k);
    const ran = onWinograd(() => {
      const [out, back] = vjp((x: Tensor, wt: Tensor) => F.conv2d(x, wt, undefined, { padding: pad, groups }),
        [tensor(xs).reshape([n, c, h, w]), tensor(ws).reshape([o, c / groups, 3, 3])]);
      assert.deepEqual((out as Tensor).shape, yShape);
      assertNear((out as Tensor).toTypedArray(), y, 1e-5, `y of ${JSON.stringify(k)}`);
      const [gx, gw] = back(tensor(dys).reshape(yShape)) as Tensor[];
      assertNear(gx.toTypedArray(), dx, 1e-5, `dx of ${JSON.stringify(k)}`);
      assertNear(gw.toTypedArray(), dw, 1e-5, `dw of ${JSON.stringify(k)}`);
    });
    if (ran) assert.deepEqual(ran, { convs: 1, inputGrads: 1, filterGrads: 1 }, `the forward and both gradients of ${JSON.stringify(k)} took Winograd's path`);
  });
});

test("padding past 2 takes the path too, and images too large for the scratch take im2col", () => {
  const k: Case = { n: 2, c: 4, h: 5, w: 6, o: 4, pad: [3, 1], groups: 1 };
  const xs = randomArray(2 * 4 * 5 * 6, 40), ws = randomArray(4 * 4 * 9, 41);
  const yLength = 2 * 4 * (5 + 6 - 2) * (6 + 2 - 2);
  const dys = randomArray(yLength, 42);
  const { y, dx, yShape } = naive(xs, ws, dys, k);
  const run = () => {
    const [out, back] = vjp((x: Tensor) => F.conv2d(x, tensor(ws).reshape([4, 4, 3, 3]), undefined, { padding: k.pad }), tensor(xs).reshape([2, 4, 5, 6]));
    assertNear((out as Tensor).toTypedArray(), y, 1e-5, "y");
    assertNear((back(tensor(dys).reshape(yShape))[0] as Tensor).toTypedArray(), dx, 1e-5, "dx");
  };
  const both = onWinograd(run);
  if (both) assert.deepEqual(both, { convs: 1, inputGrads: 1, filterGrads: 0 }, "the forward and the input gradient");
  const neither = onWinograd(run, { maxImageFloats: 100 });
  if (neither) assert.deepEqual(neither, { convs: 0, inputGrads: 0, filterGrads: 0 }, "neither");
});

test("per-example filters under vmap (the batch folded into groups) match a loop over examples", () => {
  const B = 3, c = 6, h = 7, w = 8, o = 5;
  const xs = randomArray(B * c * h * w, 50), ws = randomArray(B * o * c * 9, 51);
  const ran = onWinograd(() => {
    const X = tensor(xs).reshape([B, c, h, w]), W = tensor(ws).reshape([B, o, c, 3, 3]);
    const got = vmap((x, wt) => F.conv2d(x.unsqueeze(0), wt, undefined, { padding: 1 }).squeeze(0))(X, W).toTypedArray();
    const size = o * h * w;
    for (let i = 0; i < B; i++) {
      const k: Case = { n: 1, c, h, w, o, pad: [1, 1], groups: 1 };
      const { y } = naive(xs.subarray(i * c * h * w, (i + 1) * c * h * w), ws.subarray(i * o * c * 9, (i + 1) * o * c * 9), new Float32Array(size), k);
      assertNear(got.subarray(i * size, (i + 1) * size), y, 1e-5, `example ${i}`);
    }
  });
  if (ran) assert.equal(ran.convs, 1, "one convolution, of B groups");
});

test("per-example filter gradients under vmap (the examples as groups) match a loop over examples", () => {
  const B = 3, c = 6, h = 7, w = 8, o = 5;
  const xs = randomArray(B * c * h * w, 60), ws = randomArray(o * c * 9, 61), ts = randomArray(B * o * h * w, 62);
  const k: Case = { n: 1, c, h, w, o, pad: [1, 1], groups: 1 };
  const ran = onWinograd(() => {
    const loss = (wt: Tensor, x: Tensor, t: Tensor) => F.conv2d(x.unsqueeze(0), wt, undefined, { padding: 1 }).squeeze(0).mul(t).sum();
    const got = vmap(grad(loss), { inDims: [null, 0, 0] })(tensor(ws).reshape([o, c, 3, 3]), tensor(xs).reshape([B, c, h, w]), tensor(ts).reshape([B, o, h, w])) as Tensor;
    const size = o * c * 9;
    for (let i = 0; i < B; i++) {
      const { dw } = naive(xs.subarray(i * c * h * w, (i + 1) * c * h * w), ws, ts.subarray(i * o * h * w, (i + 1) * o * h * w), k);
      assertNear(got.toTypedArray().subarray(i * size, (i + 1) * size), dw, 1e-5, `example ${i}`);
    }
  });
  if (ran) assert.equal(ran.filterGrads, 1, "one filter gradient, of B groups");
});

/** Non-finite elements the same (NaN for NaN, each infinity itself), finite ones within tolerance. */
function assertSameNonFinite(got: ArrayLike<number>, expected: Float64Array, what: string): void {
  const finite: [number[], number[]] = [[], []];
  for (let i = 0; i < expected.length; i++) {
    if (Number.isFinite(expected[i])) {
      finite[0].push(got[i]);
      finite[1].push(expected[i]);
    } else {
      assert.ok(Object.is(got[i], expected[i]), `${what}: element ${i} is ${got[i]}, expected ${expected[i]}`);
    }
  }
  assert.ok(finite[1].length > 0 && finite[1].length < expected.length, `${what}: some elements finite and some not`);
  assertNear(finite[0], finite[1], 1e-5, what);
}

test("an infinity or NaN in x, w or dy gives what the direct convolution gives, not a tile of NaN", () => {
  const k: Case = { n: 2, c: 8, h: 9, w: 10, o: 8, pad: [1, 1], groups: 1 };
  const xs = randomArray(2 * 8 * 9 * 10, 70), ws = randomArray(8 * 8 * 9, 71), dys = randomArray(2 * 8 * 9 * 10, 72);
  /** a copy of a with the given elements replaced */
  const spoilt = (a: Float32Array, values: [number, number][]): Float32Array => {
    const b = a.slice();
    for (const [at, v] of values) b[at] = v;
    return b;
  };
  // the last: in 2 groups, an infinity in the second only, after the first's filter gradient is written
  const cases: [string, Float32Array, Float32Array, Float32Array, number][] = [
    ["x", spoilt(xs, [[(0 * 8 + 1) * 90 + 3 * 10 + 4, Infinity], [(1 * 8 + 2) * 90, NaN]]), ws, dys, 1],
    ["w", xs, spoilt(ws, [[5 * 72 + 3 * 9 + 4, -Infinity]]), dys, 1],
    ["dy", xs, ws, spoilt(dys, [[(1 * 8 + 6) * 90 + 45, Infinity]]), 1],
    ["x of group 2", spoilt(xs, [[(1 * 8 + 6) * 90 + 50, Infinity]]), ws.subarray(0, 8 * 4 * 9), dys, 2],
  ];
  for (const [what, x, w, dy, groups] of cases) {
    const ref = naive(x, w, dy, { ...k, groups });
    const ran = onWinograd(() => {
      const [out, back] = vjp((a: Tensor, b: Tensor) => F.conv2d(a, b, undefined, { padding: k.pad, groups }),
        [tensor(x).reshape([2, 8, 9, 10]), tensor(w).reshape([8, 8 / groups, 3, 3])]);
      const [gx, gw] = back(tensor(dy).reshape(ref.yShape)) as Tensor[];
      for (const [name, got, expected] of [["y", out as Tensor, ref.y], ["dx", gx, ref.dx], ["dw", gw, ref.dw]] as const) {
        if (expected.every(Number.isFinite)) assertNear(got.toTypedArray(), expected, 1e-5, `${name} with ${what} spoilt`);
        else assertSameNonFinite(got.toTypedArray(), expected, `${name} with ${what} spoilt`);
      }
    });
    if (ran) assert.ok(ran.convs + ran.inputGrads + ran.filterGrads < 3, `im2col took over for ${what}`);
  }
});
