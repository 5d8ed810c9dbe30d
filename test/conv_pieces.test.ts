// The convolution primitives compute a piece of the batch at a time (src/primitives/conv_pieces.ts):
// some whole images, or a range of one image's groups. The harness's samples are small enough to
// be one piece, so these cases shrink the pieces until every split happens (one (image, group)
// per piece, several images with a remainder, ranges of groups with a remainder) and check the
// output, both gradients and per-example weight gradients against float64 loops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, Tensor, grad, tensor, vjp, vmap } from "../src/index.js";
import { convSettings } from "../src/primitives/conv_pieces.js";
import { assertNear, numel, uniformStream } from "./helpers/check.js";

interface Geometry { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number }

const randomValues = (n: number, seed: number): Float64Array => {
  const next = uniformStream(seed);
  return Float64Array.from({ length: n }, () => next() * 2 - 1);
};

const make = (v: Float64Array, shape: number[]): Tensor => tensor(v, { dtype: "float64" }).reshape(shape);

/**
 * y = conv(x, w), and for a cotangent dy the gradients dx and dw, by the definition: every
 * (output element, tap) pair that lands inside the image adds its product to all three.
 */
function naive(x: Float64Array, xs: number[], w: Float64Array, ws: number[], dy: Float64Array | null, g: Geometry) {
  const [N, C, H, W] = xs, [O, Cg, kh, kw] = ws, Og = O / g.groups;
  const oh = Math.floor((H + 2 * g.padding[0] - g.dilation[0] * (kh - 1) - 1) / g.stride[0]) + 1;
  const ow = Math.floor((W + 2 * g.padding[1] - g.dilation[1] * (kw - 1) - 1) / g.stride[1]) + 1;
  const y = new Float64Array(N * O * oh * ow), dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oi = 0; oi < oh; oi++) for (let oj = 0; oj < ow; oj++) {
    const yi = ((n * O + o) * oh + oi) * ow + oj;
    for (let ci = 0; ci < Cg; ci++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
      const r = oi * g.stride[0] - g.padding[0] + ki * g.dilation[0], c = oj * g.stride[1] - g.padding[1] + kj * g.dilation[1];
      if (r < 0 || r >= H || c < 0 || c >= W) continue;
      const xi = ((n * C + Math.floor(o / Og) * Cg + ci) * H + r) * W + c, wi = ((o * Cg + ci) * kh + ki) * kw + kj;
      y[yi] += x[xi] * w[wi];
      if (dy) {
        dx[xi] += dy[yi] * w[wi];
        dw[wi] += dy[yi] * x[xi];
      }
    }
  }
  return { y, dx, dw, yShape: [N, O, oh, ow] };
}

function withPieces(elements: number, f: () => void): void {
  const prev = convSettings.pieceElements;
  convSettings.pieceElements = elements;
  try { f(); } finally { convSettings.pieceElements = prev; }
}

const geometries: Geometry[] = [
  { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 1 },
  { stride: [1, 2], padding: [0, 1], dilation: [2, 1], groups: 3 },
];

test("conv2d and its gradients are the same whatever the pieces the batch is cut into", () => {
  for (const g of geometries) {
    const xs = [5, 6, 7, 6], ws = [6, 6 / g.groups, 3, 2];
    const x = randomValues(numel(xs), 1), w = randomValues(numel(ws), 2);
    const { yShape } = naive(x, xs, w, ws, null, g);
    const dy = randomValues(numel(yShape), 3);
    const ref = naive(x, xs, w, ws, dy, g);
    // columns per (image, group): k x l
    const kl = ws[1] * ws[2] * ws[3] * yShape[2] * yShape[3];
    // one (image, group) per piece; 2 images per piece and a remainder; groups 2 at a time; one piece
    for (const pieces of [1, Math.floor(2.5 * g.groups * kl), 2 * kl, 1e9]) {
      withPieces(pieces, () => {
        const what = `${JSON.stringify(g)}, pieces of ${pieces}`;
        const [y, back] = vjp((a: Tensor, b: Tensor) => F.conv2d(a, b, null, g), [make(x, xs), make(w, ws)]);
        assert.ok(y instanceof Tensor);
        assert.deepEqual(y.shape, yShape);
        assertNear(y.toTypedArray(), ref.y, 1e-12, `y, ${what}`);
        const [dx, dw] = back(make(dy, yShape)) as Tensor[];
        assertNear(dx.toTypedArray(), ref.dx, 1e-12, `dx, ${what}`);
        assertNear(dw.toTypedArray(), ref.dw, 1e-12, `dw, ${what}`);
      });
    }
  }
});

test("per-example weight gradients (vmap of grad, the batch folded into groups) match a loop over examples", () => {
  for (const g of geometries) {
    const B = 4, xs = [2, 6, 7, 6], ws = [6, 6 / g.groups, 3, 2];
    const w = randomValues(numel(ws), 4);
    const examples = Array.from({ length: B }, (_, i) => randomValues(numel(xs), 10 + i));
    const { yShape } = naive(examples[0], xs, w, ws, null, g);
    const cotangents = Array.from({ length: B }, (_, i) => randomValues(numel(yShape), 20 + i));
    // the gradient of sum(conv(x, w) * dy) with respect to w is dw for that cotangent
    const loss = (weight: Tensor, xi: Tensor, dyi: Tensor) => F.conv2d(xi, weight, null, g).mul(dyi).sum();
    const stack = (vs: Float64Array[], shape: number[]) => make(Float64Array.from(vs.flatMap((v) => [...v])), [B, ...shape]);
    const kl = ws[1] * ws[2] * ws[3] * yShape[2] * yShape[3];
    for (const pieces of [1, 2 * kl, 1e9]) {
      withPieces(pieces, () => {
        const dws = vmap(grad(loss), { inDims: [null, 0, 0] })(make(w, ws), stack(examples, xs), stack(cotangents, yShape)) as Tensor;
        assert.deepEqual(dws.shape, [B, ...ws]);
        const got = dws.toTypedArray();
        examples.forEach((xi, i) => {
          const ref = naive(xi, xs, w, ws, cotangents[i], g);
          assertNear(got.subarray(i * w.length, (i + 1) * w.length), ref.dw, 1e-12, `example ${i}, ${JSON.stringify(g)}, pieces of ${pieces}`);
        });
      });
    }
  }
});
