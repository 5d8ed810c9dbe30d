/** Every example runs (at small sizes) and every check it makes against its reference passes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as basics from "../examples/tensor_basics.js";
import * as recipe from "../examples/vmap_recipe.js";
import * as perSampleCnn from "../examples/per_sample_grads_cnn.js";
import * as ensembling from "../examples/ensembling.js";
import * as jacobians from "../examples/jacobians_hessians.js";
import * as ntk from "../examples/ntk.js";
import * as maml from "../examples/maml.js";

const examples = { basics, recipe, perSampleCnn, ensembling, jacobians, ntk, maml };

for (const [name, ex] of Object.entries(examples)) {
  test(`example ${name} runs and its checks pass`, () => {
    const report = ex.run({ quiet: true, small: true });
    assert.ok(report.checks.length > 0, "the example checks something");
    for (const c of report.checks) assert.ok(c.ok, `${c.what}: ${c.detail}`);
  });
}
