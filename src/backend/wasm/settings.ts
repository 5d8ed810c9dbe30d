/** Size thresholds of the wasm backend: performance heuristics only, results do not depend on them. */
export interface WasmSettings {
  /**
   * Elementwise ops, reductions and dots (float32 or float64) on fewer elements run in JS, which
   * beats a wasm call there: staging a call costs about 2 us, which the JS loops' 1-3 ns an element
   * of arithmetic reach at about 1024 elements (add, mul, sum measured 1.4 against 2.4 us at 512,
   * even at 1024). Transcendental ops count four times their elements (simd.ts).
   */
  minKernelElements: number;
  /**
   * The gemm packs A whole (a block of up to 1024 rows, all of K) when that is at most this many
   * elements, and reuses it for every block of B and every product of a batch sharing A; a larger
   * A is packed a cache block at a time, bounding the scratch memory.
   */
  gemmWholeA: number;
}

/** Tests set minKernelElements to 0 so that every op a SIMD kernel covers runs the SIMD code. */
export const wasmSettings: WasmSettings = { minKernelElements: 1024, gemmWholeA: 1 << 21 };
