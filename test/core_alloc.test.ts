// Storage allocation: outputs that kernels overwrite come unzeroed, at any size; small arrays are
// views into shared blocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { allocArray, allocSettings, allocUnwritten, type DType, type TypedArray } from "../src/core/dtype.js";

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
        for (const n of [3, 1000, 5000]) {
          const a = allocUnwritten(dtype, n);
          assert.ok(a instanceof type, `${dtype} with minBytes ${minBytes}`);
          assert.equal(a.length, n);
          // arrays over the small ones' 4 KiB have a buffer of their own
          if (n * a.BYTES_PER_ELEMENT > 4096) assert.equal(a.byteOffset, 0);
        }
      }
    }
  } finally {
    Object.assign(allocSettings, saved);
  }
});

const TYPES: DType[] = ["float32", "float64", "int32", "bool"];

test("small arrays of every dtype and size, made interleaved, never share an element", () => {
  // sizes around the size classes' bounds (65 bytes to 4 KiB) and past them at both ends
  const lengths = [1, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 4096, 4097];
  const made: { a: TypedArray; mark: number }[] = [];
  for (let round = 0; round < 40; round++) {
    for (const n of lengths) {
      for (const dtype of TYPES) {
        const a = round % 2 ? allocArray(dtype, n) : allocUnwritten(dtype, n);
        assert.equal(a.length, n);
        assert.equal(a.byteOffset % 16, 0, `${dtype}[${n}] starts on a 16-byte boundary`);
        if (round % 2) assert.ok(a.every((v) => v === 0), `allocArray(${dtype}, ${n}) is zeroed`);
        const mark = made.length % 100 + 1;
        a.fill(mark);
        made.push({ a, mark });
      }
    }
  }
  for (const { a, mark } of made) assert.ok(a.every((v) => v === mark), `${a.constructor.name}[${a.length}] kept its values`);
});

test("small arrays share blocks; a kept one holds at most 32 times its bytes", () => {
  for (const dtype of TYPES) {
    for (const n of [17, 100, 300, 1000]) {
      const arrays = Array.from({ length: 16 }, () => allocArray(dtype, n));
      const bytes = arrays[0].byteLength;
      if (bytes <= 64 || bytes > 4096) continue;
      // a block holds 16 or more of a size: 16 made in a row span at most two blocks
      assert.ok(new Set(arrays.map((a) => a.buffer)).size <= 2, `16 ${dtype}[${n}] share blocks`);
      for (const a of arrays) assert.ok(a.buffer.byteLength <= 32 * bytes && a.buffer.byteLength <= 65536, `${dtype}[${n}]: a block of ${a.buffer.byteLength} bytes`);
    }
  }
  // beyond 4 KiB, and up to V8's 64 bytes kept on its own heap, every array has its own buffer
  for (const n of [4, 1025, 5000]) assert.notEqual(allocArray("float32", n).buffer, allocArray("float32", n).buffer);
});
