// Turns on WebAssembly relaxed SIMD in Node versions that keep it behind a flag (Node 20), so the
// gemm gets fused multiply-add there too (15-20 % on matmul and the gemm-bound workloads), as it
// does by default in Node 22+ and current browsers. Node lets a program set V8 flags at run time,
// and V8 reads its wasm feature flags when a module is validated: this module runs before any
// kernel is built (the Node entry point imports it first). Imported only from src/node.ts, so
// browser builds never see node:v8.
import { setFlagsFromString } from "node:v8";
import { relaxedSimdValidates, wasmSimdAvailable } from "./features.js";

if (wasmSimdAvailable() && !relaxedSimdValidates()) {
  try {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    // a runtime that does not take V8 flags keeps plain SIMD
  }
}
