/** Size thresholds of the wasm backend: performance heuristics only, results do not depend on them. */
export interface WasmSettings {
  /** Float32 elementwise ops and reductions on fewer elements run in JS, which beats a wasm call there. */
  minKernelElements: number;
}

/** Tests set it to 0 so that every op a SIMD kernel covers runs the SIMD code. */
export const wasmSettings: WasmSettings = { minKernelElements: 64 };
