// Run the whole test suite once per backend (wasm, then the js reference), as `npm test` does.
// Where the engine keeps relaxed SIMD behind a flag (Node 20), the wasm pass runs a second time
// with the flag, so the gemm's fused multiply-add path (the default on Node 22+ and in browsers)
// is tested too.
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const setup = pathToFileURL(path.join(root, "build/test/setup/backend.js")).href;
const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";
const { wasmRelaxedSimdAvailable } = await import(pathToFileURL(path.join(root, "build/src/backend/wasm/features.js")).href);
const flagAccepted = spawnSync(process.execPath, [RELAXED_FLAG, "-e", ""], { stdio: "ignore" }).status === 0;

const passes = [{ backend: "wasm", flags: [] }, { backend: "js", flags: [] }];
if (!wasmRelaxedSimdAvailable() && flagAccepted) passes.splice(1, 0, { backend: "wasm", flags: [RELAXED_FLAG], relaxed: true });

let failed = false;
for (const { backend, flags, relaxed } of passes) {
  console.log(`\n# test suite on the ${backend} backend${relaxed ? " with relaxed SIMD (fused multiply-add)" : ""}`);
  const r = spawnSync(process.execPath, [...flags, "--test", "--test-reporter=spec", path.join(root, "build/test/")], {
    stdio: "inherit",
    env: {
      ...process.env,
      TFUNC_BACKEND: backend,
      TFUNC_EXPECT_RELAXED_SIMD: relaxed ? "1" : "",
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${setup}`.trim(),
    },
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
