/**
 * The tour (`npm start`): every seed use case, run and checked against the plain loop or the
 * closed form. Exits non-zero if any check fails.
 */
import * as ensembling from "./ensembling.js";
import * as jacobians from "./jacobians_hessians.js";
import * as maml from "./maml.js";
import * as ntk from "./ntk.js";
import * as perSampleCnn from "./per_sample_grads_cnn.js";
import * as recipe from "./vmap_recipe.js";
import * as basics from "./tensor_basics.js";
import type { Report } from "./util.js";

const examples: { run: (o?: { quiet?: boolean; small?: boolean }) => Report }[] = [basics, recipe, perSampleCnn, ensembling, jacobians, ntk, maml];

const start = performance.now();
let failed = 0, passed = 0;
for (const ex of examples) {
  const t0 = performance.now();
  const report = ex.run();
  for (const c of report.checks) (c.ok ? passed++ : failed++);
  console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`\nTour done in ${((performance.now() - start) / 1000).toFixed(1)} s: ${passed} checks passed, ${failed} failed.`);
if (failed) process.exit(1);
