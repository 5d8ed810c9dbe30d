import { test } from "node:test";
import assert from "node:assert/strict";
import { heapI32, markScratch, popScratch, pushScratch } from "../src/backend/wasm/heap.js";
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
 * slot (p*kc + k)*P + r holds X[p*P + r, k], or 0 past the n rows. The words around the
 * panels must be left alone.
 */
function check({ n, kc, P, rs, ks, off = 3, stage }: Case, seed: number): void {
  const reach = off + Math.max(0, n - 1) * Math.abs(rs) + Math.max(0, kc - 1) * Math.abs(ks) + 1;
  const x = randomBits(reach + 5, seed);
  const panels = Math.ceil(n / P) * P * kc;
  const stageFloats = stage ?? stageFloatsFor(n, kc);
  const mark = markScratch();
  try {
    const at = pushScratch((panels + 2) * 4) / 4;
    const stageAt = pushScratch(stageFloats * 4) / 4;
    const h = heapI32();
    h.fill(0x7fc01234, at, at + panels + 2);
    packPanels(h, x, off, rs, ks, n, kc, P, at + 1, stageAt, stageFloats);
    assert.equal(h[at], 0x7fc01234, "word before the panels");
    assert.equal(h[at + panels + 1], 0x7fc01234, "word after the panels");
    for (let p = 0; p * P < n; p++) {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < P; r++) {
          const row = p * P + r;
          const want = row < n ? x[off + row * rs + k * ks] : 0;
          const got = h[at + 1 + (p * kc + k) * P + r];
          if (got !== want) assert.fail(`n=${n} kc=${kc} P=${P} rs=${rs} ks=${ks}: X[${row}, ${k}] packed as ${got}, expected ${want}`);
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
