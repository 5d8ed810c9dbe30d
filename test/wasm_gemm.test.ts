import { test } from "node:test";
import assert from "node:assert/strict";
import { gemm, gemmBatched } from "../src/backend/wasm/gemm.js";
import { wasmSimdAvailable } from "../src/backend/wasm/features.js";
import { wasmSettings } from "../src/backend/wasm/settings.js";

test("wasm SIMD is detected on Node 20", () => {
  assert.equal(wasmSimdAvailable(), true);
});

// Every test runs in both precisions: float64 results must be float64-accurate (tol), which a
// float32 round trip anywhere would miss by nine orders of magnitude.
for (const Floats of [Float32Array, Float64Array]) {
  const tol = Floats === Float32Array ? 1e-5 : 1e-13;
  /** A product rounded to the precision under test. */
  const round = Floats === Float32Array ? Math.fround : (x: number) => x;

  /** Deterministic values in [-1, 1) so failures reproduce. */
  function random(n: number, seed: number): Float32Array | Float64Array {
    const out = new Floats(n);
    let s = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      out[i] = s / 2 ** 31 - 1;
    }
    return out;
  }

  /** A strided view: element (i, j) lives at data[off + i*rs + j*cs]. */
  interface View { data: Float32Array | Float64Array; off: number; rs: number; cs: number }

  const rowMajor = (rows: number, cols: number, seed: number): View =>
    ({ data: random(rows * cols, seed), off: 0, rs: cols, cs: 1 });
  const colMajor = (rows: number, cols: number, seed: number): View =>
    ({ data: random(rows * cols, seed), off: 0, rs: 1, cs: rows });

  function check(M: number, N: number, K: number, A: View, B: View, cOff = 0): void {
    const c = new Floats(cOff + M * N + 3).fill(42);
    gemm(M, N, K, A.data, A.off, A.rs, A.cs, B.data, B.off, B.rs, B.cs, c, cOff);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0, scale = 0;
        for (let k = 0; k < K; k++) {
          const p = A.data[A.off + i * A.rs + k * A.cs] * B.data[B.off + k * B.rs + j * B.cs];
          sum += p;
          scale += Math.abs(p);
        }
        const got = c[cOff + i * N + j];
        // written so that NaN anywhere fails unless both are NaN
        const close = Number.isFinite(sum) ? Math.abs(got - sum) <= tol * scale + 1e-30 : Object.is(got, sum);
        if (!close) {
          assert.fail(`${M}x${N}x${K}: C[${i},${j}] = ${got}, expected ${sum}`);
        }
      }
    }
    // Nothing outside the output range is touched.
    for (let i = 0; i < cOff; i++) assert.equal(c[i], 42);
    for (let i = cOff + M * N; i < c.length; i++) assert.equal(c[i], 42);
  }

  test(`${Floats.name}: contiguous shapes, including empty, tiny and ragged tiles`, () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1], [0, 3, 4], [3, 0, 4], [0, 0, 0], [1, 1, 0], [2, 3, 1],
      [3, 5, 7], [4, 8, 4], [5, 9, 3], [17, 33, 65], [64, 64, 64],
      [130, 70, 257], [1, 300, 40], [300, 1, 40], [40, 300, 1],
      [5, 600, 3], [1030, 9, 5], [33, 520, 513],
    ];
    let seed = 1;
    for (const [M, N, K] of shapes) check(M, N, K, rowMajor(M, K, seed++), rowMajor(K, N, seed++));
  });

  test(`${Floats.name}: K = 0 zero-fills the output`, () => {
    const c = new Floats(6).fill(7);
    gemm(2, 3, 0, new Floats(0), 0, 0, 1, new Floats(0), 0, 3, 1, c, 0);
    assert.deepEqual([...c], [0, 0, 0, 0, 0, 0]);
  });

  test(`${Floats.name}: transposed operands`, () => {
    for (const [M, N, K] of [[3, 5, 7], [17, 33, 65], [130, 70, 257]]) {
      check(M, N, K, colMajor(M, K, 1), rowMajor(K, N, 2));
      check(M, N, K, rowMajor(M, K, 3), colMajor(K, N, 4));
      check(M, N, K, colMajor(M, K, 5), colMajor(K, N, 6));
    }
  });

  test(`${Floats.name}: stride-0 broadcasts`, () => {
    for (const [M, N, K] of [[3, 5, 7], [37, 45, 29], [64, 64, 64]]) {
      // Every row of A is the same vector; every column of B is the same vector.
      check(M, N, K, { data: random(K, 7), off: 0, rs: 0, cs: 1 }, rowMajor(K, N, 8));
      check(M, N, K, rowMajor(M, K, 9), { data: random(K, 10), off: 0, rs: 1, cs: 0 });
      // Every row of B is the same vector.
      check(M, N, K, rowMajor(M, K, 11), { data: random(N, 12), off: 0, rs: 0, cs: 1 });
      // A single scalar broadcast over all of A.
      check(M, N, K, { data: random(1, 13), off: 0, rs: 0, cs: 0 }, rowMajor(K, N, 14));
    }
  });

  test(`${Floats.name}: offsets, padded row strides and negative strides`, () => {
    for (const [M, N, K] of [[3, 5, 7], [21, 19, 70], [66, 130, 300]]) {
      // A is a window inside a wider matrix; B is read back to front, then
      // with only its rows in reverse order.
      const A: View = { data: random((M + 2) * (K + 5), 15), off: 2 * (K + 5) + 3, rs: K + 5, cs: 1 };
      const bData = random(K * N + 4, 16);
      check(M, N, K, A, { data: bData, off: bData.length - 1, rs: -N, cs: -1 }, 11);
      check(M, N, K, A, { data: bData, off: (K - 1) * N + 2, rs: -N, cs: 1 }, 5);
    }
  });

  test(`${Floats.name}: repeated calls reuse state correctly across sizes`, () => {
    for (const n of [70, 8, 200, 16, 70]) check(n, n, n, rowMajor(n, n, n), rowMajor(n, n, n + 1));
  });

  test(`${Floats.name}: batched, with a broadcast operand`, () => {
    const [batch, M, N, K] = [3, 9, 20, 33];
    const a = random(batch * M * K, 17), w = random(K * N, 18);
    const c = new Floats(batch * M * N);
    gemmBatched(batch, M, N, K, a, 0, M * K, K, 1, w, 0, 0, N, 1, c, 0);
    for (let t = 0; t < batch; t++) {
      const expected = new Floats(M * N);
      gemm(M, N, K, a, t * M * K, K, 1, w, 0, N, 1, expected, 0);
      assert.deepEqual(c.subarray(t * M * N, (t + 1) * M * N), expected);
    }
  });

  /** Runs f with A packed a cache block at a time (as for an A too large to pack whole). */
  function withBlockedA(f: () => void): void {
    const prev = wasmSettings.gemmWholeA;
    wasmSettings.gemmWholeA = 0;
    try { f(); } finally { wasmSettings.gemmWholeA = prev; }
  }

  test(`${Floats.name}: A packed a cache block at a time gives the same products as A packed whole`, () => {
    // M > MC and K > KC: several A blocks per block of C; N > NC: several blocks of C
    for (const [M, N, K] of [[130, 520, 300], [9, 20, 33], [260, 70, 513]]) {
      const A = rowMajor(M, K, M + 1), B = colMajor(K, N, N + 2);
      const whole = new Floats(M * N), blocked = new Floats(M * N);
      gemm(M, N, K, A.data, 0, A.rs, A.cs, B.data, 0, B.rs, B.cs, whole, 0);
      withBlockedA(() => gemm(M, N, K, A.data, 0, A.rs, A.cs, B.data, 0, B.rs, B.cs, blocked, 0));
      assert.deepEqual(blocked, whole, `[${M},${N},${K}]`);
      check(M, N, K, A, B);
      withBlockedA(() => check(M, N, K, A, B));
    }
  });

  test(`${Floats.name}: a batch sharing A (stride 0) packs it once and matches a float64 reference`, () => {
    // K > KC and N > NC, so the shared packed A is read at several column offsets and blocks;
    // each B differs, so a stale packing of anything but A would show
    const cases = [[3, 9, 520, 300], [4, 130, 20, 7], [2, 1, 33, 40]];
    const run = () => {
      for (const [batch, M, N, K] of cases) {
        const a = random(M * K, 21), b = random(batch * K * N, 22);
        const c = new Floats(batch * M * N);
        gemmBatched(batch, M, N, K, a, 0, 0, K, 1, b, 0, K * N, N, 1, c, 0);
        for (let t = 0; t < batch; t++) {
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let want = 0;
              for (let k = 0; k < K; k++) want += a[i * K + k] * b[t * K * N + k * N + j];
              const got = c[t * M * N + i * N + j];
              if (Math.abs(got - want) > tol * K) assert.fail(`batch ${t} of [${batch},${M},${N},${K}]: C[${i},${j}] is ${got}, float64 gives ${want}`);
            }
          }
        }
      }
    };
    run();
    withBlockedA(run); // too large to pack whole: each product packs its own blocks
  });

  test(`${Floats.name}: a batch sharing B matches a float64 reference: row-major As as one product, others as transposed products`, () => {
    // [batch, M, N, K]: row-major A_t run as one product of batch * M rows; column-major ones with
    // M * 4 <= K as the transposed products (B^T packed once), the others one by one. K > KC,
    // N > NC, N = 1 and M = 1 included.
    const cases = [[6, 10, 64, 256], [3, 1, 520, 300], [4, 8, 9, 32], [4, 9, 9, 32], [2, 20, 70, 100], [5, 3, 1, 40]];
    let seed = 90;
    for (const [batch, M, N, K] of cases) {
      for (const aColMajor of [false, true]) {
        const a = random(batch * M * K, seed++), b = random(K * N, seed++);
        const [aRs, aCs] = aColMajor ? [1, M] : [K, 1];
        const c = new Floats(batch * M * N + 2).fill(42);
        gemmBatched(batch, M, N, K, a, 0, M * K, aRs, aCs, b, 0, 0, N, 1, c, 1);
        assert.equal(c[0], 42, "word before C");
        assert.equal(c[batch * M * N + 1], 42, "word after C");
        for (let t = 0; t < batch; t++) {
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let want = 0;
              for (let k = 0; k < K; k++) want += a[t * M * K + i * aRs + k * aCs] * b[k * N + j];
              const got = c[1 + t * M * N + i * N + j];
              if (!(Math.abs(got - want) <= tol * K)) assert.fail(`[${batch},${M},${N},${K}] ${aColMajor ? "column" : "row"}-major batch ${t}: C[${i},${j}] is ${got}, float64 gives ${want}`);
            }
          }
        }
      }
    }
  });

  test(`${Floats.name}: NaN and infinity propagate`, () => {
    const n = 20;
    const a = random(n * n, 19), b = random(n * n, 20);
    a[3 * n + 5] = NaN;
    b[7 * n + 2] = Infinity;
    const c = new Floats(n * n);
    gemm(n, n, n, a, 0, n, 1, b, 0, n, 1, c, 0);
    for (let j = 0; j < n; j++) assert.ok(Number.isNaN(c[3 * n + j]));
    for (let i = 0; i < n; i++) if (i !== 3) assert.ok(!Number.isFinite(c[i * n + 2]));
  });

  /**
   * A row-major M x K matrix that is zero except where `keep(i, k)`; zeros alternate in sign. With
   * `powersOfTwo` the kept values are ±2^-3 ... ±2^3, floats whose low bits are all zero.
   */
  function sparse(M: number, K: number, seed: number, keep: (i: number, k: number) => boolean, powersOfTwo = false): View {
    const data = random(M * K, seed);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        if (!keep(i, k)) data[i * K + k] = (i + k) % 2 ? -0 : 0;
        else if (powersOfTwo) data[i * K + k] = 2 ** ((i % 7) - 3) * (i % 2 ? -1 : 1);
      }
    }
    return { data, off: 0, rs: K, cs: 1 };
  }

  /** The same matrix read column-major: element (i, j) of the result is element (j, i) of v. */
  const transposed = (v: View): View => ({ data: v.data, off: v.off, rs: v.cs, cs: v.rs });

  test(`${Floats.name}: A or B with runs of zero steps (diagonal, triangular, one-hot, banded, zero rows) matches the float64 reference`, () => {
    // The kernel skips the k steps where a panel of A rows, or of B columns, is all zeros; K > KC
    // makes whole cache blocks of K zero for some panels (nothing to add, or zeros to store).
    const hot = (k: number) => (i: number) => (i * 7919) % k;
    const patterns: [string, (i: number, k: number, K: number) => boolean][] = [
      ["diagonal", (i, k) => i === k],
      ["lower triangular", (i, k) => k <= i],
      ["upper triangular", (i, k) => k >= i],
      ["one-hot", (i, k, K) => k === hot(K)(i)],
      ["banded", (i, k) => Math.abs(i - k) <= 5],
      ["zero rows", (i, k) => i % 9 < 3],
      ["all zero", () => false],
    ];
    const run = () => {
      for (const [M, N, K] of [[130, 70, 130], [300, 70, 300], [37, 200, 300], [9, 20, 33]]) {
        for (const [name, keep] of patterns) {
          const powers = name === "one-hot";
          const sparseA = sparse(M, K, M + K, (i, k) => keep(i, k, K), powers);
          // the pattern over B's columns: B as rows (unit column stride, N >= 64) or as packed panels
          const sparseB = [sparse(K, N, N + K, (k, j) => keep(j, k, K), powers), transposed(sparse(N, K, N + K + 1, (j, k) => keep(j, k, K), powers))];
          const cases: [string, View, View][] = [
            ["A", sparseA, rowMajor(K, N, N)], ["A", sparseA, colMajor(K, N, N + 1)],
            ["B", rowMajor(M, K, M), sparseB[0]], ["B", colMajor(M, K, M + 1), sparseB[1]],
            ["A and B", sparseA, sparseB[0]],
          ];
          for (const [which, A, B] of cases) {
            try {
              check(M, N, K, A, B);
            } catch (e) {
              assert.fail(`${name} ${which}, [${M},${N},${K}], B ${B.rs === 1 ? "column" : "row"}-major: ${(e as Error).message}`);
            }
          }
        }
      }
    };
    run();
    withBlockedA(run);
  });

  test(`${Floats.name}: a diagonal A gives each product exactly, with zeros of the right sign`, () => {
    const [M, N] = [257, 80];
    const A = sparse(M, M, 31, (i, k) => i === k), B = rowMajor(M, N, 32);
    const c = new Floats(M * N);
    gemm(M, N, M, A.data, 0, A.rs, A.cs, B.data, 0, B.rs, B.cs, c, 0);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        // the only nonzero term is a float32 product, rounded once; a zero result is +0, as the
        // dense sum of +0 accumulator and signed zero products gives
        const want = round(A.data[i * M + i] * B.data[i * N + j]) + 0;
        assert.ok(Object.is(c[i * N + j], want), `C[${i},${j}] = ${c[i * N + j]}, expected ${want}`);
      }
    }
  });

  test(`${Floats.name}: a diagonal B gives each product exactly`, () => {
    const [M, N] = [90, 257];
    for (const B of [sparse(N, N, 33, (k, j) => k === j), transposed(sparse(N, N, 34, (j, k) => k === j))]) {
      const A = rowMajor(M, N, 35);
      const c = new Floats(M * N);
      gemm(M, N, N, A.data, 0, A.rs, A.cs, B.data, 0, B.rs, B.cs, c, 0);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const want = round(A.data[i * N + j] * B.data[B.off + j * B.rs + j * B.cs]) + 0;
          assert.ok(Object.is(c[i * N + j], want), `C[${i},${j}] = ${c[i * N + j]}, expected ${want}`);
        }
      }
    }
  });

  test(`${Floats.name}: zeros of either operand still meet the other's infinities and NaN: 0 * inf is NaN`, () => {
    const n = 68;
    // One special at a time in the dense operand, in its first and later panels, against a diagonal
    // other operand. As B, the dense operand is read transposed: the product is (dense @ diag)^T.
    for (const denseIsA of [true, false]) {
      for (const [r, k, special] of [[2, 5, Infinity], [40, 9, NaN], [67, 63, -Infinity]]) {
        for (const dense of [rowMajor(n, n, 44), colMajor(n, n, 45)]) {
          for (const diag of [sparse(n, n, 46, (i, j) => i === j), transposed(sparse(n, n, 47, (i, j) => i === j))]) {
            dense.data[dense.off + r * dense.rs + k * dense.cs] = special;
            const [A, B] = denseIsA ? [dense, diag] : [transposed(diag), transposed(dense)];
            const c = new Floats(n * n);
            gemm(n, n, n, A.data, A.off, A.rs, A.cs, B.data, B.off, B.rs, B.cs, c, 0);
            // element (row, j) of dense @ diag
            const at = (row: number, j: number) => (denseIsA ? c[row * n + j] : c[j * n + row]);
            const where = `${special} at dense[${r},${k}] as ${denseIsA ? "A" : "B"}`;
            for (let j = 0; j < n; j++) {
              const got = at(r, j);
              assert.ok(j === k && !Number.isNaN(special) ? Math.abs(got) === Infinity : Number.isNaN(got), `${where}: (dense @ diag)[${r},${j}] = ${got}`);
              assert.ok(Number.isFinite(at((r + 1) % n, j)), `${where}: (dense @ diag)[${(r + 1) % n},${j}] = ${at((r + 1) % n, j)}`);
            }
            check(n, n, n, A, B);
          }
        }
      }
    }
  });

  test(`${Floats.name}: a batch sharing one operand with one-hot others: exact, and NaN where the shared one's infinity meets their zeros`, () => {
    // The shared S [P, K] is finite, then has an infinity, at the same scratch: its finiteness is
    // found once per batch. The others O_t [K, Q] are one-hot, O_t[(q * 7 + t) % K, q] = 1 + t.
    // Shared as A: C_t = S @ O_t. Shared as B: C_t = O_t^T @ S^T with O_t^T column-major and few
    // rows, which runs as the transposed products, S packed once.
    const [batch, P, K, Q] = [4, 20, 40, 10];
    const o = new Floats(batch * K * Q);
    for (let t = 0; t < batch; t++) for (let q = 0; q < Q; q++) o[t * K * Q + ((q * 7 + t) % K) * Q + q] = 1 + t;
    for (const shared of ["A", "B"]) {
      for (const bad of [false, true]) {
        const S = random(P * K, 61);
        if (bad) S[3 * K + 17] = Infinity;
        const c = new Floats(batch * P * Q);
        if (shared === "A") gemmBatched(batch, P, Q, K, S, 0, 0, K, 1, o, 0, K * Q, Q, 1, c, 0);
        else gemmBatched(batch, Q, P, K, o, 0, K * Q, 1, Q, S, 0, 0, 1, K, c, 0);
        for (let t = 0; t < batch; t++) {
          for (let p = 0; p < P; p++) {
            for (let q = 0; q < Q; q++) {
              const k = (q * 7 + t) % K;
              const want = bad && p === 3 && k !== 17 ? NaN : round(S[p * K + k] * (1 + t));
              const got = shared === "A" ? c[t * P * Q + p * Q + q] : c[t * P * Q + q * P + p];
              assert.ok(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)), `shared ${shared}${bad ? " with an infinity" : ""}, batch ${t}: ${got} for S[${p}] against O[${q}], expected ${want}`);
            }
          }
        }
      }
    }
  });

  test(`${Floats.name}: a batch sharing a diagonal A gives each product exactly`, () => {
    // the shared packed A is scanned for zero steps afresh for every product of the batch
    const [batch, M, N] = [3, 70, 90];
    const A = sparse(M, M, 51, (i, k) => i === k), b = random(batch * M * N, 52);
    const c = new Floats(batch * M * N);
    gemmBatched(batch, M, N, M, A.data, 0, 0, M, 1, b, 0, M * N, N, 1, c, 0);
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const want = round(A.data[i * M + i] * b[t * M * N + i * N + j]);
          assert.equal(c[t * M * N + i * N + j], want, `batch ${t}: C[${i},${j}]`);
        }
      }
    }
  });
}
