// Which WebAssembly SIMD features the engine has: SIMD128 (the wasm backend needs it) and relaxed
// SIMD, whose fused multiply-add the gemm and the polynomials of the elementwise kernels use.

import { ModuleBuilder } from "./assembler.js";

/** A tiny module that only validates if the engine supports (relaxed) SIMD128. */
function simdProbe(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder();
  const f = mod.func("probe", []);
  f.i32Const(0).v128ConstZero().v128ConstZero();
  if (relaxed) f.v128ConstZero().f32x4RelaxedMadd();
  else f.f32x4Add();
  f.v128Store();
  return mod.encode();
}

let simdAvailable: boolean | undefined;
let relaxedSimdAvailable: boolean | undefined;

export function wasmSimdAvailable(): boolean {
  simdAvailable ??= typeof WebAssembly === "object" && WebAssembly.validate(simdProbe(false));
  return simdAvailable;
}

/**
 * Whether the kernels are built with relaxed-SIMD fused multiply-add (Node 20 has it behind
 * --experimental-wasm-relaxed-simd, which the Node entry point sets: node_relaxed_simd.ts).
 * Decided when the first kernel is built, and kept.
 */
export function wasmRelaxedSimdAvailable(): boolean {
  relaxedSimdAvailable ??= wasmSimdAvailable() && relaxedSimdValidates();
  return relaxedSimdAvailable;
}

/** Whether the engine accepts relaxed SIMD now (not cached, unlike wasmRelaxedSimdAvailable). */
export function relaxedSimdValidates(): boolean {
  return WebAssembly.validate(simdProbe(true));
}
