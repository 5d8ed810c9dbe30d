/** Preloaded by `npm test` (NODE_OPTIONS=--import) to run the whole suite on one backend. */
import { getBackend, setBackend } from "../../src/index.js";
import { wasmSettings } from "../../src/backend/wasm/settings.js";
import { wasmRelaxedSimdAvailable } from "../../src/backend/wasm/features.js";
import { allocSettings } from "../../src/core/dtype.js";
import { winogradSettings } from "../../src/backend/wasm/winograd.js";

const name = process.env.TFUNC_BACKEND;
if (name) setBackend(name);
if (name && getBackend() !== name) throw new Error(`test setup: backend ${name} was not selected`);
// the pass that should test the gemm's fused multiply-add must really have it
if (process.env.TFUNC_EXPECT_RELAXED_SIMD === "1" && !wasmRelaxedSimdAvailable()) {
  throw new Error("test setup: relaxed SIMD was asked for but the engine does not validate it");
}
// On the wasm backend every float op a SIMD kernel covers runs there, however small: the size
// threshold is a performance heuristic that must not change results.
if (name === "wasm") wasmSettings.minKernelElements = 0;
// Likewise every 3 x 3 convolution at stride 1 takes Winograd's algorithm, however few its channels.
if (name === "wasm") winogradSettings.minChannels = 1;
// Kernels promise to write every element of an unzeroed output: poison such outputs, of any
// size, so an element one forgets shows up as NaN or 77 in the results the tests check.
allocSettings.minBytes = 0;
allocSettings.poison = true;
