import { test } from "node:test";
import assert from "node:assert/strict";
import { heapF64, heapI32, heapKernels, markScratch, popScratch, pushScratch } from "../src/backend/wasm/heap.js";
import { packPanels, stageFloatsFor } from "../src/backend/wasm/pack.js";

/** Random int32 bits, so every float pattern (NaN payloads, denormals, -0) is moved. */
function randomBits(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out[i] = s | 0;
  }
  return out;
}

interface Case { n: number; kc: number; P: number; rs: number; ks: number; off?: number; stage?: number }

/**
 * Packs X[r, k] = x[off + r*rs + k*ks] and checks every panel slot against its definition:
 * slot (p*kc + k)*P + r holds X[p*P + r, k], or 0 past the n rows, bit for bit. The words around
 * the panels must be left alone. With `double` the elements are float64 (two words each) and
 * `stage` counts doubles.
 */
function check({ n, kc, P, rs, ks, off = 3, stage }: Case, seed: number, double = false): void {
  const w = double ? 2 : 1; // words per element
  const reach = off + Math.max(0, n - 1) * Math.abs(rs) + Math.max(0, kc - 1) * Math.abs(ks) + 1;
  const bits = randomBits(w * (reach + 5), seed);
  const x = double ? new Float64Array(bits.buffer) : bits;
  const panels = Math.ceil(n / P) * P * kc;
  const stageElements = stage ?? stageFloatsFor(w * n, kc);
  const mark = markScratch();
  try {
    const at = pushScratch((panels + 2) * 4 * w) / (4 * w);
    const stageAt = pushScratch(stageElements * 4 * w) / (4 * w);
    heapI32().fill(0x7fc01234, w * at, w * (at + panels + 2));
    packPanels(double ? heapF64() : heapI32(), x, off, rs, ks, n, kc, P, at + 1, stageAt, stageElements);
    const h = heapI32();
    assert.equal(h[w * (at + 1) - 1], 0x7fc01234, "word before the panels");
    assert.equal(h[w * (at + panels + 1)], 0x7fc01234, "word after the panels");
    for (let p = 0; p * P < n; p++) {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < P; r++) {
          const row = p * P + r, src = off + row * rs + k * ks, dst = at + 1 + (p * kc + k) * P + r;
          for (let half = 0; half < w; half++) {
            const want = row < n ? bits[w * src + half] : 0;
            const got = h[w * dst + half];
            if (got !== want) assert.fail(`${double ? "float64 " : ""}n=${n} kc=${kc} P=${P} rs=${rs} ks=${ks}: word ${half} of X[${row}, ${k}] packed as ${got}, expected ${want}`);
          }
        }
      }
    }
  } finally {
    popScratch(mark);
  }
}

test("packing contiguous rows (A row-major, B transposed) matches the panel definition", () => {
  let seed = 1;
  for (const P of [4, 8]) {
    for (const [n, kc] of [[4, 128], [8, 256], [5, 130], [13, 67], [130, 257], [1024, 9], [37, 64], [3, 1000]]) {
      check({ n, kc, P, rs: kc, ks: 1 }, seed++); // one memcpy per group
      check({ n, kc, P, rs: kc + 7, ks: 1 }, seed++); // a row at a time
    }
  }
});

test("packing contiguous columns (A transposed, narrow B) matches the panel definition", () => {
  let seed = 100;
  for (const P of [4, 8]) {
    for (const [n, kc] of [[64, 16], [128, 9], [72, 33], [100, 50], [1024, 7], [8, 200], [16, 65]]) {
      check({ n, kc, P, rs: 1, ks: n }, seed++);
      check({ n, kc, P, rs: 1, ks: n + 3 }, seed++);
    }
  }
});

test("packing in several staged groups, broadcast rows, and strides the element loop handles", () => {
  let seed = 200;
  // a stage just large enough for one group of P rows or one line forces many groups
  check({ n: 70, kc: 100, P: 8, rs: 100, ks: 1, stage: 800 }, seed++);
  check({ n: 70, kc: 100, P: 4, rs: 100, ks: 1, stage: 900 }, seed++);
  check({ n: 130, kc: 40, P: 8, rs: 1, ks: 130, stage: 136 }, seed++);
  check({ n: 130, kc: 40, P: 4, rs: 1, ks: 150, stage: 300 }, seed++);
  // every row the same (stride 0), every column the same
  check({ n: 40, kc: 100, P: 4, rs: 0, ks: 1 }, seed++);
  check({ n: 100, kc: 40, P: 8, rs: 1, ks: 0 }, seed++);
  // no unit stride, tiny blocks, empty blocks
  check({ n: 33, kc: 70, P: 8, rs: 2, ks: 71 }, seed++);
  check({ n: 3, kc: 5, P: 4, rs: 5, ks: 1 }, seed++);
  check({ n: 0, kc: 5, P: 4, rs: 5, ks: 1 }, seed++);
  check({ n: 9, kc: 0, P: 8, rs: 1, ks: 9 }, seed++);
});

test("packing narrow columns staged many lines at a time (a B with few columns, A^T with few rows) zeroes the rows past n", () => {
  let seed = 300;
  for (const P of [4, 8]) {
    // n not a multiple of 4 or of P: the kernel reads whole vectors past the last row
    for (const n of [1, 2, 3, 5, 6, 10, 13, 17, 30]) {
      for (const ks of [n, n + 1, 2 * n + 3, 0]) check({ n, kc: Math.floor(600 / n) + 40, P, rs: 1, ks }, seed++);
    }
  }
  // lines far apart go one by one; a small stage splits close lines into several copies
  check({ n: 70, kc: 30, P: 8, rs: 1, ks: 301 }, seed++);
  check({ n: 66, kc: 50, P: 4, rs: 1, ks: 66, stage: 200 }, seed++);
  check({ n: 10, kc: 300, P: 8, rs: 1, ks: 10, stage: 64 }, seed++);
  check({ n: 10, kc: 300, P: 8, rs: 1, ks: 13, stage: 16 }, seed++);
});

test("float64 packing (rows by the row kernel's float64 form, columns by the word kernels, other strides by the loop) matches the panel definition bit for bit", () => {
  let seed = 400;
  for (const [n, kc] of [[4, 128], [5, 130], [13, 67], [130, 257], [37, 64], [3, 1000]]) {
    check({ n, kc, P: 4, rs: kc, ks: 1 }, seed++, true);
    check({ n, kc, P: 4, rs: kc + 7, ks: 1 }, seed++, true);
  }
  for (const [n, kc] of [[64, 16], [128, 9], [72, 33], [100, 50], [1024, 7], [8, 200], [16, 65]]) {
    check({ n, kc, P: 4, rs: 1, ks: n }, seed++, true);
    check({ n, kc, P: 4, rs: 1, ks: n + 3 }, seed++, true);
  }
  // narrow lines staged many at a time, rows past n zeroed; a small stage; broadcasts; no unit stride
  for (const n of [1, 2, 3, 5, 6, 10, 13, 17, 30]) {
    for (const ks of [n, n + 1, 2 * n + 3, 0]) check({ n, kc: Math.floor(600 / n) + 40, P: 4, rs: 1, ks }, seed++, true);
  }
  check({ n: 66, kc: 50, P: 4, rs: 1, ks: 66, stage: 200 }, seed++, true);
  // a stage of one panel's rows forces many staged groups; an odd kc leaves a single step
  check({ n: 70, kc: 101, P: 4, rs: 101, ks: 1, stage: 404 }, seed++, true);
  check({ n: 9, kc: 77, P: 4, rs: 80, ks: 1 }, seed++, true);
  check({ n: 100, kc: 40, P: 4, rs: 1, ks: 0 }, seed++, true);
  check({ n: 40, kc: 100, P: 4, rs: 0, ks: 1 }, seed++, true);
  check({ n: 33, kc: 70, P: 4, rs: 2, ks: 71 }, seed++, true);
  check({ n: 0, kc: 5, P: 4, rs: 5, ks: 1 }, seed++, true);
});

/**
 * Runs a scan kernel over `panels` panels of kc steps, each step `width` elements (all of a
 * panel's steps contiguous), written by value(panel, k, lane) as float32 or float64.
 */
function scan<T>(double: boolean, panels: number, kc: number, width: number, value: (p: number, k: number, lane: number) => number, run: (at: number, out: number) => T): T {
  const bytes = double ? 8 : 4, mark = markScratch();
  try {
    const at = pushScratch(panels * kc * width * bytes), out = pushScratch(8 * panels);
    const h = double ? heapF64() : new Float32Array(heapI32().buffer);
    for (let p = 0; p < panels; p++) for (let k = 0; k < kc; k++) for (let l = 0; l < width; l++) h[at / bytes + (p * kc + k) * width + l] = value(p, k, l);
    return run(at, out);
  } finally {
    popScratch(mark);
  }
}

test("zeroSpans finds each panel's nonzero steps: -0 is zero, the smallest denormal is not (float32 and float64)", () => {
  const kc = 23;
  // panel p is nonzero at steps [lo(p), hi(p)) only, in one lane: `tiny` there, -0 elsewhere
  const lo = (p: number) => [0, 3, 11, 22, 5, 0][p], hi = (p: number) => [23, 4, 19, 23, 5, 0][p];
  for (const [name, double, width, kernel] of [["zeroSpans4", false, 4, "zeroSpans4"], ["zeroSpans8", false, 8, "zeroSpans8"], ["zeroSpansF64", true, 4, "zeroSpansF64"]] as const) {
    // a double whose only set bit is the low word's top bit: a mask that dropped it as a sign would call it zero
    for (const tiny of double ? [5e-324, 2 ** -1043, -(2 ** -1070), 1] : [1.4e-45, -1.4e-45, 1]) {
      const spans = scan(double, 6, kc, width, (p, k, l) => (k >= lo(p) && k < hi(p) && l === (p + k) % width ? tiny : -0), (at, out) => {
        const bytes = double ? 8 : 4;
        heapKernels()[kernel](at, kc * width * bytes, 6, kc, width * bytes, out);
        return [...heapI32().subarray(out / 4, out / 4 + 12)];
      });
      for (let p = 0; p < 6; p++) {
        const want = lo(p) < hi(p) ? [lo(p), hi(p)] : "empty";
        const got = spans[2 * p] < spans[2 * p + 1] ? [spans[2 * p], spans[2 * p + 1]] : "empty";
        assert.deepEqual(got, want, `${name}, ${tiny}: panel ${p}`);
      }
    }
  }
});

test("nonFinite finds an infinity or NaN anywhere, and only those (float32 and float64)", () => {
  const [rows, width] = [5, 8];
  for (const double of [false, true]) {
    const kernel = double ? heapKernels().nonFiniteF64 : heapKernels().nonFinite;
    const bytes = double ? 8 : 4;
    const run = (special: number, row: number, col: number) =>
      scan(double, 1, rows, width, (_, r, c) => (r === row && c === col ? special : r - c / 3), (at) => kernel(at, rows, (width * bytes) / 16, width * bytes));
    for (const special of [Infinity, -Infinity, NaN]) {
      for (const [r, c] of [[0, 0], [2, 5], [4, 7], [3, 1]]) assert.equal(run(special, r, c), 1, `${special} at [${r}, ${c}], ${double ? "float64" : "float32"}`);
    }
    // finite values with many exponent bits set: the largest finite, and (float64) one whose low word holds an infinity's high word
    const finite = double ? [Number.MAX_VALUE, new Float64Array(new Int32Array([0x7ff00000, 0]).buffer)[0], -0] : [3.4028234663852886e38, -0];
    for (const value of finite) assert.equal(run(value, 2, 3), 0, `${value}, ${double ? "float64" : "float32"}`);
  }
});
