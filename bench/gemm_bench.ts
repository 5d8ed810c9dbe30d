// GFLOP/s of the gemm on a single thread, float32 then float64: node build/bench/gemm_bench.js
import { gemm } from "../src/backend/wasm/gemm.js";
import { wasmRelaxedSimdAvailable, wasmSimdAvailable } from "../src/backend/wasm/features.js";

function bench(Floats: Float32ArrayConstructor | Float64ArrayConstructor, M: number, N: number, K: number, transposeB = false): void {
  const random = (n: number) => new Floats(n).map(() => Math.random() - 0.5);
  const a = random(M * K), b = random(K * N);
  const c = new Floats(M * N);
  const [brs, bcs] = transposeB ? [1, K] : [N, 1];
  const run = (): void => gemm(M, N, K, a, 0, K, 1, b, 0, brs, bcs, c, 0);

  // Enough repetitions per sample for ~20 ms, so timer resolution does not matter.
  const flops = 2 * M * N * K;
  const reps = Math.max(1, Math.round(4e8 / flops));
  for (let i = 0; i < 3 * reps; i++) run();
  const samples: number[] = [];
  for (let s = 0; s < 9; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    samples.push((performance.now() - t0) / reps);
  }
  samples.sort((x, y) => x - y);
  const median = samples[samples.length >> 1];
  const gflops = (ms: number): string => (flops / ms / 1e6).toFixed(2).padStart(6);
  const label = `${M}x${N}x${K}${transposeB ? " (B^T)" : ""}`;
  // The best sample shows the code's speed when other processes share the core.
  console.log(`${label.padEnd(22)} ${median.toFixed(3).padStart(9)} ms  ${gflops(median)} GFLOP/s  (best ${gflops(samples[0])})`);
}

console.log(`wasm SIMD: ${wasmSimdAvailable()}, relaxed SIMD (fused multiply-add): ${wasmRelaxedSimdAvailable()}`);
for (const Floats of [Float32Array, Float64Array]) {
  console.log(`\n${Floats === Float32Array ? "float32" : "float64"}`);
  bench(Floats, 512, 512, 512);
  bench(Floats, 512, 512, 512, true);
  bench(Floats, 1024, 1024, 1024);
  bench(Floats, 256, 256, 256);
  bench(Floats, 128, 128, 128);
  bench(Floats, 64, 784, 128);
  bench(Floats, 64, 128, 784);
  bench(Floats, 784, 64, 128);
  bench(Floats, 32, 32, 32);
  bench(Floats, 1, 1024, 1024);
  bench(Floats, 1024, 1, 1024);
}
