// Storage allocation: outputs that kernels overwrite come unzeroed, at any size.
import { test } from "node:test";
import assert from "node:assert/strict";
import { allocSettings, allocUnwritten } from "../src/core/dtype.js";

test("allocUnwritten makes arrays over Node's 4 GiB Buffer limit", () => {
  // 2^30 + 4 float32s is 4 GiB + 16 bytes: Buffer.allocUnsafeSlow refuses it, a typed array does not.
  // Nothing is written, so the pages are never touched.
  const n = 2 ** 30 + 4;
  const a = allocUnwritten("float32", n);
  assert.ok(a instanceof Float32Array);
  assert.equal(a.length, n);
  const d = allocUnwritten("float64", 2 ** 29 + 2);
  assert.ok(d instanceof Float64Array);
  assert.equal(d.length, 2 ** 29 + 2);
});

test("allocUnwritten gives each dtype its array type and length", () => {
  const saved = { ...allocSettings };
  try {
    for (const minBytes of [0, 1 << 20]) {
      allocSettings.minBytes = minBytes;
      for (const [dtype, type] of [["float32", Float32Array], ["float64", Float64Array], ["int32", Int32Array], ["bool", Uint8Array]] as const) {
        const a = allocUnwritten(dtype, 1000);
        assert.ok(a instanceof type, `${dtype} with minBytes ${minBytes}`);
        assert.equal(a.length, 1000);
        assert.equal(a.byteOffset, 0);
      }
    }
  } finally {
    Object.assign(allocSettings, saved);
  }
});
