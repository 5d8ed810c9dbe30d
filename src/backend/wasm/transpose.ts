// The wasm backend's transposing copy (a source contiguous along another dim than the
// destination: what contiguous() makes of a transposed or permuted view). Bands of source rows
// are staged into the scratch memory, transposed in 4 x 4 blocks by the gemm's packRows kernel
// (4 x 2 blocks of doubles by its float64 form), and copied out a row segment at a time. Floats
// move as int32 bits, so NaN payloads survive.

import type { StridedArray } from "../backend.js";
import { transposePlanes } from "../js/elementwise.js";
import { heapF64, heapI32, heapKernels, int32Bits, markScratch, popScratch, pushScratch, roundUp } from "./heap.js";
import { worthIt } from "./simd.js";

/**
 * Bytes staged per band (and as many for its transpose): planes up to 4 MB go in one band, so
 * the output is copied out in whole rows; larger ones in bands of whole source rows.
 */
const BAND_BYTES = 4 << 20;
/** The kernel transposes TILE x TILE blocks, which stay in L1 on both sides. */
const TILE = 64;
/** Planes narrower than this take the js tiles. */
const MIN_SIDE = 16;

/** The elements as the words the kernels move: 4-byte ones (float32, int32) as int32, doubles as float64; null for others. */
function wordsOf(x: StridedArray["data"]): Int32Array | Float64Array | null {
  if (x instanceof Int32Array || x instanceof Float64Array) return x;
  return x instanceof Float32Array ? int32Bits(x) : null;
}

/** Copies src into dst when the copy is a transpose of 4- or 8-byte elements of one type; false (nothing written) otherwise. */
export function transposeCopy(src: StridedArray, dst: StridedArray): boolean {
  if (src.data.constructor !== dst.data.constructor || !worthIt(dst.data.length)) return false;
  const s = wordsOf(src.data), d = wordsOf(dst.data);
  const planes = s && d ? transposePlanes(src, dst, MIN_SIDE) : null;
  if (!s || !d || !planes) return false;
  const bytes = s.BYTES_PER_ELEMENT, double = bytes === 8;
  // a plane is `rows` output rows; the source holds it as `cols` rows of `rows` elements, sCol apart
  const { rows, cols, sCol, dRow } = planes;
  const band = Math.min(cols, Math.max(4, Math.floor(BAND_BYTES / bytes / rows / 4) * 4));
  const mark = markScratch();
  try {
    const stage = pushScratch(rows * roundUp(band, 4) * bytes), out = pushScratch(rows * roundUp(band, 4) * bytes);
    if (stage < 0 || out < 0) return false;
    const h = double ? heapF64() : heapI32(), st = stage / bytes, ot = out / bytes;
    const k = heapKernels(), packRows = double ? k.packRowsF64 : k.packRows;
    planes.forEach((sBase, dBase) => {
      for (let j0 = 0; j0 < cols; j0 += band) {
        const n = Math.min(band, cols - j0), padded = roundUp(n, 4);
        if (sCol === rows) h.set(s.subarray(sBase + j0 * rows, sBase + (j0 + n) * rows), st);
        else for (let j = 0; j < n; j++) h.set(s.subarray(sBase + (j0 + j) * sCol, sBase + (j0 + j) * sCol + rows), st + j * rows);
        h.fill(0, st + n * rows, st + padded * rows);
        // out[i][j] = stage[j][i], `padded` elements per output row: each group of 4 staged rows
        // becomes a column 4 wide, a tile at a time
        for (let j = 0; j < padded; j += TILE) {
          for (let i = 0; i < rows; i += TILE) {
            const groups = Math.min(TILE, padded - j) / 4, steps = Math.min(TILE, rows - i);
            packRows((st + j * rows + i) * bytes, rows * bytes, groups, steps, (ot + i * padded + j) * bytes, 4 * bytes, 0, padded * bytes);
          }
        }
        if (n === cols && dRow === cols && padded === n) d.set(h.subarray(ot, ot + rows * n), dBase);
        else for (let i = 0; i < rows; i++) d.set(h.subarray(ot + i * padded, ot + i * padded + n), dBase + i * dRow + j0);
      }
    });
    return true;
  } finally {
    popScratch(mark);
  }
}
