// Run the whole test suite once per backend (wasm, then the js reference), as `npm test` does.
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const setup = pathToFileURL(path.join(root, "build/test/setup/backend.js")).href;
let failed = false;
for (const backend of ["wasm", "js"]) {
  console.log(`\n# test suite on the ${backend} backend`);
  const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", path.join(root, "build/test/")], {
    stdio: "inherit",
    env: { ...process.env, TFUNC_BACKEND: backend, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${setup}`.trim() },
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
