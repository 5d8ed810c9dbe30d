// 3 x 3 convolutions at stride 1 on the wasm backend run Winograd's F(2x2, 3x3) (src/backend/wasm/
// winograd.ts), and so do their input gradients, as a convolution of dy with the filters turned.
// Every case checks that the path ran and compares the result with the definition in float64:
// paddings 0 to 3, odd and even output sizes (tiles past the edge), output channels that are not
// a multiple of the gemm's 4 rows, groups, and per-example filters under vmap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, Tensor, backendNames, getBackend, setBackend, tensor, vjp, vmap } from "../src/index.js";
import { wasmBackend } from "../src/backend/wasm/index.js";
import { winogradSettings } from "../src/backend/wasm/winograd.js";
import { assertNear, uniformStream } from "./helpers/check.js";

/** Runs f on the wasm backend with every channel count taking the path; returns how many convolutions it ran. */
function onWinograd(f: () => void, settings: Partial<typeof winogradSettings> = {}): number {
  if (!backendNames().includes("wasm")) return -1;
  const prev = getBackend(), saved = { ...winogradSettings }, conv3x3 = wasmBackend.conv3x3;
  let ran = 0;
  wasmBackend.conv3x3 = (...args) => {
    const done = conv3x3(...args);
    if (done) ran++;
    return done;
  };
  Object.assign(winogradSettings, { minChannels: 1 }, settings);
  setBackend("wasm");
  try {
    f();
  } finally {
    setBackend(prev);
    Object.assign(winogradSettings, saved);
    wasmBackend.conv3x3 = conv3x3;
  }
  return ran;
}

const randomArray = (n: number, seed: number): Float32Array => {
  const next = uniformStream(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
};

interface Case { n: number; c: number; h: number; w: number; o: number; pad: [number, number]; groups: number }

/** y = conv(x, w) and, for a cotangent dy, dx, by the definition in float64. */
function naive(x: Float32Array, w: Float32Array, dy: Float32Array, k: Case) {
  const { n, c, h, w: wd, o, pad: [ph, pw], groups } = k;
  const cg = c / groups, og = o / groups, oh = h + 2 * ph - 2, ow = wd + 2 * pw - 2;
  const y = new Float64Array(n * o * oh * ow), dx = new Float64Array(x.length);
  for (let i = 0; i < n; i++) for (let oc = 0; oc < o; oc++) for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) {
    const yi = ((i * o + oc) * oh + a) * ow + b;
    for (let cc = 0; cc < cg; cc++) for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) {
      const r = a + u - ph, col = b + v - pw;
      if (r < 0 || r >= h || col < 0 || col >= wd) continue;
      const xi = ((i * c + Math.floor(oc / og) * cg + cc) * h + r) * wd + col, wi = ((oc * cg + cc) * 3 + u) * 3 + v;
      y[yi] += x[xi] * w[wi];
      dx[xi] += dy[yi] * w[wi];
    }
  }
  return { y, dx, yShape: [n, o, oh, ow] };
}

const cases: Case[] = [
  { n: 2, c: 8, h: 6, w: 6, o: 8, pad: [0, 0], groups: 1 },
  { n: 3, c: 9, h: 7, w: 11, o: 10, pad: [1, 1], groups: 1 },
  { n: 1, c: 16, h: 5, w: 9, o: 6, pad: [2, 1], groups: 2 },
  { n: 2, c: 12, h: 13, w: 4, o: 7, pad: [1, 0], groups: 1 },
  { n: 2, c: 5, h: 19, w: 18, o: 3, pad: [0, 2], groups: 1 },
];

test("3 x 3 convolutions at stride 1 and their input gradients match the definition", () => {
  cases.forEach((k, at) => {
    const { n, c, h, w, o, pad, groups } = k;
    const xs = randomArray(n * c * h * w, 10 + at), ws = randomArray(o * (c / groups) * 9, 20 + at);
    const dys = randomArray(n * o * (h + 2 * pad[0] - 2) * (w + 2 * pad[1] - 2), 30 + at);
    const { y, dx, yShape } = naive(xs, ws, dys, k);
    const ran = onWinograd(() => {
      const W = tensor(ws).reshape([o, c / groups, 3, 3]);
      const [y32, back] = vjp((x: Tensor) => F.conv2d(x, W, undefined, { padding: pad, groups }), tensor(xs).reshape([n, c, h, w]));
      const out = y32 as Tensor;
      assert.deepEqual(out.shape, yShape);
      assertNear(out.toTypedArray(), y, 1e-5, `y of ${JSON.stringify(k)}`);
      assertNear((back(tensor(dys).reshape(yShape))[0] as Tensor).toTypedArray(), dx, 1e-5, `dx of ${JSON.stringify(k)}`);
    });
    if (ran >= 0) assert.equal(ran, 2, `the forward and the input gradient of ${JSON.stringify(k)} took Winograd's path`);
  });
});

test("padding past 2 leaves the input gradient to im2col, and images too large for the scratch leave both", () => {
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
  const forwardOnly = onWinograd(run);
  if (forwardOnly >= 0) assert.equal(forwardOnly, 1, "the forward only");
  const neither = onWinograd(run, { maxImageFloats: 100 });
  if (neither >= 0) assert.equal(neither, 0, "neither");
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
  if (ran >= 0) assert.equal(ran, 1, "one convolution, of B groups");
});
