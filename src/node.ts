/**
 * tfunc's entry point in Node (the package's "node" export): the API of index.ts, after turning on
 * the engine's relaxed SIMD where Node keeps it behind a flag. The import order matters: the flag
 * is set before index.ts and the kernels load.
 */
import "./backend/wasm/node_relaxed_simd.js";

export * from "./index.js";
