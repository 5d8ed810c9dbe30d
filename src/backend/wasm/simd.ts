// Backend kernels that run the SIMD code of kernels.ts on float32 or float64 operands (all of one
// type; mixed dtypes, and float64 transcendental ops but exp, log and sigmoid, stay on the js backend): operands are copied
// into the scratch memory for the call (unless they are mirrored: resident.ts) and the output
// copied back, which still beats the JS loops. Each function returns false when it does not handle
// the case, and the caller then runs the js kernel.

import type { TypedArray } from "../../core/dtype.js";
import { contiguousStrides, numelOf } from "../../core/shape.js";
import type { BinaryOp, ReduceOp, StridedArray, UnaryOp } from "../backend.js";
import { coalesce, forEachRow } from "../js/iterate.js";
import { type FloatArray, type HeapArray, heapKernels as instance, heapLike, markScratch, popScratch, pushScratch } from "./heap.js";
import { BINARY_OPS, type FloatKernels, UNARY_OPS } from "./kernels.js";
import { isMirrored, mirrorAddresses } from "./resident.js";
import { TRANSCENDENTAL_BINARY_OPS, TRANSCENDENTAL_OPS } from "./transcendental.js";
import { wasmSettings } from "./settings.js";

/** A kernel's operand or result: floats, int32 indices (argmax's), or bools (a comparison's result, where's condition). */
type KernelArray = HeapArray;

/**
 * Runs `body` with the heap addresses of the operands' elements: for each input, the byte
 * address that element 0 of its array has in its mirror, or would have in scratch (only the
 * elements its view reads are copied), and the output's address, copied out afterwards.
 * Returns false if the memory is full.
 */
function staged(inputs: StridedArray[], out: KernelArray, body: (bases: number[], o: number) => void): boolean {
  const mark = markScratch();
  try {
    const bases = mirrorAddresses(inputs.map((x) => x.data as KernelArray));
    for (let k = 0; k < inputs.length; k++) {
      if (bases[k] >= 0) continue;
      const x = inputs[k], data = x.data as KernelArray, size = data.BYTES_PER_ELEMENT;
      const [lo, hi] = extent(x);
      const addr = pushScratch((hi - lo) * size);
      if (addr < 0) return false;
      // (a view of the whole array costs more than the copy of a small one)
      heapLike(data).set(lo === 0 && hi === data.length ? data : data.subarray(lo, hi), addr / size);
      bases[k] = addr - lo * size;
    }
    const size = out.BYTES_PER_ELEMENT;
    const o = pushScratch(out.length * size);
    if (o < 0) return false;
    body(bases, o);
    out.set(heapLike(out).subarray(o / size, o / size + out.length));
    return true;
  } finally {
    popScratch(mark);
  }
}

/** The range [lo, hi) of array indices a strided view reads (empty for an empty view). */
function extent(x: StridedArray): [number, number] {
  if (x.shape.includes(0)) return [x.offset, x.offset];
  let lo = x.offset, hi = x.offset;
  x.shape.forEach((size, d) => {
    const reach = (size - 1) * x.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  return [lo, hi + 1];
}

/** Whether `n` elements repay a wasm call: `weight` is what an element costs the js loop, in arithmetic ops. */
export const worthIt = (n: number, weight = 1): boolean => n * weight >= wasmSettings.minKernelElements;
/** exp, tanh, erf, pow, ...: 5-20 ns an element in the js loops (crossing the wasm kernels at about 256 elements) */
const TRANSCENDENTAL_WEIGHT = 4;
const weightOf = (op: string): number => (op in TRANSCENDENTAL_OPS || op in TRANSCENDENTAL_BINARY_OPS ? TRANSCENDENTAL_WEIGHT : 1);

/**
 * The kernels for arrays that are all float32 or all float64 (`like` says which), or undefined
 * when one of `others` is of another type. Their binary and unary tables lack the ops a type has
 * no kernel for.
 */
export function kernelsFor(like: TypedArray, ...others: TypedArray[]): FloatKernels<string, string> | undefined {
  const type = like.constructor;
  if (!(like instanceof Float32Array || like instanceof Float64Array) || others.some((x) => x.constructor !== type)) return undefined;
  return like instanceof Float32Array ? instance() : instance().f64;
}

export function unaryFloat(op: UnaryOp, x: StridedArray, out: TypedArray): boolean {
  const kernel = op in UNARY_OPS && worthIt(out.length, weightOf(op)) ? kernelsFor(x.data, out)?.unary[op] : undefined;
  if (!kernel) return false;
  const size = out.BYTES_PER_ELEMENT;
  return chunked(x.shape, [x], out as FloatArray, ([xb], ob, offs, rows, rs, n, inner) => kernel(xb + offs[0] * size, inner[0], rs[0], ob + offs[1] * size, n, rows));
}

/** Float operands of one type, and a result of that type or, for a comparison, a bool one. */
export function binaryFloat(op: BinaryOp, a: StridedArray, b: StridedArray, out: TypedArray): boolean {
  if (!(op in BINARY_OPS) || !worthIt(out.length, weightOf(op))) return false;
  const bool = "bool" in BINARY_OPS[op as keyof typeof BINARY_OPS];
  if (bool && !(out instanceof Uint8Array)) return false;
  const kernel = kernelsFor(a.data, b.data, ...(bool ? [] : [out]))?.binary[op];
  if (!kernel) return false;
  const size = a.data.BYTES_PER_ELEMENT, outSize = out.BYTES_PER_ELEMENT;
  return chunked(a.shape, [a, b], out as KernelArray, ([ab, bb], ob, offs, rows, rs, n, inner) =>
    kernel(ab + offs[0] * size, inner[0], rs[0], bb + offs[1] * size, inner[1], rs[1], ob + offs[2] * outSize, n, rows));
}

/** where(c, a, b) with a bool c and float a and b (and result) of one type. */
export function whereFloat(c: StridedArray, a: StridedArray, b: StridedArray, out: TypedArray): boolean {
  const kernel = c.data instanceof Uint8Array && worthIt(out.length) ? kernelsFor(a.data, b.data, out)?.where : undefined;
  if (!kernel) return false;
  const size = out.BYTES_PER_ELEMENT;
  return chunked(c.shape, [c, a, b], out as FloatArray, ([cb, ab, bb], ob, offs, rows, rs, n, inner) =>
    kernel(cb + offs[0], inner[0], rs[0], ab + offs[1] * size, inner[1], rs[1], bb + offs[2] * size, inner[2], rs[2], ob + offs[3] * size, n, rows));
}

/** clamp(x, lo, hi) with x, lo, hi and the result floats of one type. */
export function clampFloat(x: StridedArray, lo: StridedArray, hi: StridedArray, out: TypedArray): boolean {
  const kernel = worthIt(out.length) ? kernelsFor(x.data, lo.data, hi.data, out)?.clamp : undefined;
  if (!kernel) return false;
  const size = out.BYTES_PER_ELEMENT;
  return chunked(x.shape, [x, lo, hi], out as FloatArray, ([xb, lb, hb], ob, offs, rows, rs, n, inner) =>
    kernel(xb + offs[0] * size, inner[0], rs[0], lb + offs[1] * size, inner[1], rs[1], hb + offs[2] * size, inner[2], rs[2], ob + offs[3] * size, n, rows));
}

/**
 * Sum, max, min, argmax or argmin over the trailing nReduced dims when they form one strided
 * run: rows of unit stride, or columns, where the kept dims are the contiguous ones.
 */
export function reduceFloat(op: ReduceOp, x: StridedArray, nReduced: number, out: TypedArray): boolean {
  const arg = op === "argmax" || op === "argmin";
  const k = kernelsFor(x.data, ...(arg ? [] : [out]));
  if (op === "prod" || !k || (arg && !(out instanceof Int32Array))) return false;
  const r = x.shape.length - nReduced;
  const run = coalesce(x.shape.slice(r), [x.strides.slice(r)]);
  const m = numelOf(x.shape.slice(r));
  if (m === 0 || run.shape.length !== 1 || !worthIt(m * out.length)) return false;
  const s = run.strides[0][0];
  const kept = r > 0 ? x.shape.slice(0, r) : [1];
  const operand = { data: x.data, offset: x.offset, strides: r > 0 ? x.strides.slice(0, r) : [0], trail: { shape: [m], strides: [s] } };
  const size = x.data.BYTES_PER_ELEMENT, outSize = out.BYTES_PER_ELEMENT;
  if (s === 1) {
    const rows = { sum: k.sumRows, max: k.maxRows, min: k.minRows, argmax: k.argmaxRows, argmin: k.argminRows }[op];
    return chunked(kept, [operand], out as KernelArray, ([xb], ob, offs, count, rs, n, inner) => {
      for (let r = 0; r < count; r++) rows(xb + (offs[0] + r * rs[0]) * size, inner[0], m, n, ob + (offs[1] + r * n) * outSize);
    });
  }
  // columns: the innermost kept dim (of size > 1) must be contiguous
  let last = kept.length - 1;
  while (last >= 0 && kept[last] === 1) last--;
  if (last >= 0 && operand.strides[last] !== 1) return false;
  const cols = { sum: k.sumCols, max: k.maxCols, min: k.minCols, argmax: k.argmaxCols, argmin: k.argminCols }[op];
  return chunked(kept, [operand], out as KernelArray, ([xb], ob, offs, count, rs, n) => {
    for (let r = 0; r < count; r++) cols(xb + (offs[0] + r * rs[0]) * size, s, m, n, ob + (offs[1] + r * n) * outSize);
  });
}

/** An operand whose last dim a row kernel consumes whole (unit stride unless of size 1), over the leading dims. */
function rowOperand(x: StridedArray): Operand {
  const r = x.shape.length - 1;
  return { data: x.data, offset: x.offset, strides: r > 0 ? x.strides.slice(0, r) : [0], trail: { shape: [x.shape[r]], strides: [1] } };
}

/**
 * The kernels for a row kernel on these float operands (of one type, rows of unit stride) whose
 * `elements` repay the call (by default the output's), or undefined.
 */
function rowKernels(xs: StridedArray[], out: TypedArray, elements = out.length): FloatKernels<string, string> | undefined {
  const r = xs[0].shape.length - 1, n = xs[0].shape[r];
  const fit = n > 0 && xs.every((x) => n === 1 || x.strides[r] === 1) && worthIt(elements, TRANSCENDENTAL_WEIGHT);
  return fit ? kernelsFor(out, ...xs.map((x) => x.data)) : undefined;
}

/**
 * Runs a row kernel over the rows of xs (their last dims, which may differ: a row of n floats
 * beside one index) into out, whole rows per chunk: `call(bases, steps, n, count, o)` for each
 * run of `count` rows, the operands' rows at bases[k] + t * steps[k] (steps in elements), n the
 * first operand's row length, and the output's `width` elements a row (n by default) at o, contiguous.
 */
function runRowKernel(xs: StridedArray[], out: TypedArray, call: (bases: number[], steps: number[], n: number, count: number, o: number) => void, width?: number): boolean {
  const r = xs[0].shape.length - 1, n = xs[0].shape[r], K = xs.length, w = width ?? n, size = out.BYTES_PER_ELEMENT;
  return chunked(r > 0 ? xs[0].shape.slice(0, r) : [1], xs.map(rowOperand), out as FloatArray, (bases, ob, offs, rows, rs, count, inner) => {
    for (let j = 0; j < rows; j++) call(bases.map((b, k) => b + (offs[k] + j * rs[k]) * xs[k].data.BYTES_PER_ELEMENT), inner.slice(0, K), n, count, ob + (offs[K] + j * count) * w * size);
  }, w);
}

/** softmax or logSoftmax along x's last dim. */
export function softmaxFloat(x: StridedArray, log: boolean, out: TypedArray): boolean {
  const k = rowKernels([x], out);
  const rows = log ? k?.logSoftmaxRows : k?.softmaxRows;
  return !!rows && runRowKernel([x], out, ([xb], [step], n, count, o) => rows(xb, step, n, count, o));
}

/** Their vjps, along the last dim of g and y. */
export function softmaxBackwardFloat(g: StridedArray, y: StridedArray, log: boolean, out: TypedArray): boolean {
  const k = rowKernels([g, y], out);
  const rows = log ? k?.logSoftmaxBackwardRows : k?.softmaxBackwardRows;
  return !!rows && runRowKernel([g, y], out, ([gb, yb], [gs, ys], n, count, o) => rows(gb, gs, yb, ys, n, count, o));
}

/** logSoftmax along x's last dim picked at index (int32, in range, a last dim of 1): crossEntropy's forward. */
export function logSoftmaxGatherFloat(x: StridedArray, index: StridedArray, out: TypedArray): boolean {
  const k = rowKernels([x], out, numelOf(x.shape));
  return !!k && runRowKernel([x, index], out, ([xb, ib], [xs, is], n, count, o) => k.logSoftmaxGatherRows(xb, xs, n, count, ib, is, o), 1);
}

/** Its vjp for cotangents g (a last dim of 1), rows along x's last dim. */
export function logSoftmaxGatherBackwardFloat(g: StridedArray, x: StridedArray, index: StridedArray, out: TypedArray): boolean {
  const k = g.data.constructor === out.constructor ? rowKernels([x], out) : undefined;
  return !!k && runRowKernel([x, g, index], out, ([xb, gb, ib], [xs, gs, is], n, count, o) => k.logSoftmaxGatherBackwardRows(gb, gs, xb, xs, n, count, ib, is, o));
}

/** layerNorm's normalization along x's last dim, times w plus b (of x's shape) when given. */
export function layerNormFloat(x: StridedArray, eps: number, out: TypedArray, w?: StridedArray, b?: StridedArray): boolean {
  const xs = w && b ? [x, w, b] : [x];
  const k = rowKernels(xs, out);
  return !!k && withEps(out, eps, (at) => runRowKernel(xs, out, ([xb, wb, bb], [step, ws, bs], n, count, o) =>
    (w ? k.layerNormAffineRows(xb, step, n, count, o, at, wb, ws, bb, bs) : k.layerNormRows(xb, step, n, count, o, at))));
}

/** Its vjp, along the last dim of g and x, of g w when w (of x's shape) is given. */
export function layerNormBackwardFloat(g: StridedArray, x: StridedArray, eps: number, out: TypedArray, w?: StridedArray): boolean {
  const xs = w ? [g, x, w] : [g, x];
  const k = rowKernels(xs, out);
  return !!k && withEps(out, eps, (at) => runRowKernel(xs, out, ([gb, xb, wb], [gs, xstep, ws], n, count, o) =>
    (w ? k.layerNormAffineBackwardRows(gb, gs, xb, xstep, n, count, o, at, wb, ws) : k.layerNormBackwardRows(gb, gs, xb, xstep, n, count, o, at))));
}

/** Runs `body` with the address of eps, as an element of out's type, in the scratch memory (the kernels' parameters are all int32). */
function withEps(out: TypedArray, eps: number, body: (at: number) => boolean): boolean {
  const mark = markScratch();
  try {
    const at = pushScratch(16);
    if (at < 0) return false;
    heapLike(out as FloatArray)[at / out.BYTES_PER_ELEMENT] = eps;
    return body(at);
  } finally {
    popScratch(mark);
  }
}

/**
 * The matmul shapes the packed gemm handles badly. K = 1 is an outer product (per-sample weight
 * gradients): the elementwise product of A broadcast along columns with B broadcast along rows.
 * N = 1 or M = 1 with both operands contiguous along K is one dot product per output element
 * (a matrix-vector product, vmap of dot): the gemm would pack the matrix for a single pass.
 */
export function matmulFloat(a: StridedArray, b: StridedArray, out: TypedArray): boolean {
  const k = kernelsFor(a.data, b.data, out);
  if (!k) return false;
  const r = a.shape.length;
  const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[r - 1];
  if (K === 1) {
    const shape = [...a.shape.slice(0, r - 1), N];
    return binaryFloat("mul",
      { data: a.data, shape, strides: [...a.strides.slice(0, r - 1), 0], offset: a.offset },
      { data: b.data, shape, strides: [...b.strides.slice(0, r - 2), 0, b.strides[r - 1]], offset: b.offset }, out);
  }
  if ((M !== 1 && N !== 1) || a.strides[r - 1] !== 1 || b.strides[r - 2] !== 1 || !worthIt(out.length * K)) return false;
  // the output's dims: the batch, then whichever of M and N is not 1 (a's rows or b's columns)
  const rowsOfA = N === 1;
  const lead = [...a.shape.slice(0, r - 2), rowsOfA ? M : N];
  const operand = (x: StridedArray, alongLead: number) =>
    ({ data: x.data, offset: x.offset, strides: [...x.strides.slice(0, r - 2), alongLead], trail: { shape: [K], strides: [1] } });
  const dots = k.dots, size = out.BYTES_PER_ELEMENT;
  return chunked(lead, [operand(a, rowsOfA ? a.strides[r - 2] : 0), operand(b, rowsOfA ? 0 : b.strides[r - 1])], out as FloatArray,
    ([ab, bb], ob, offs, rows, rs, n, inner) => {
      for (let i = 0; i < rows; i++) dots(ab + (offs[0] + i * rs[0]) * size, inner[0], bb + (offs[1] + i * rs[1]) * size, inner[1], K, n, ob + (offs[2] + i * n) * size);
    });
}

/**
 * The size of a staged chunk, in bytes of the operands' floats (of the output's elements, or of
 * the largest operand's when an output element reads many): 1 MB, which measured faster here than
 * L2-sized chunks of 128 KB, mostly because copying out into fresh (not yet faulted) pages costs
 * less in long runs. In bytes, as the reasons are: a float64 chunk holds half the elements of a
 * float32 one and takes the same room in the caches.
 */
export const CHUNK_BYTES = 2 ** 20;

/**
 * Outputs of more than this many bytes' worth of floats (16 MB, half the last-level cache here)
 * go out in chunks of 2 CHUNK_BYTES: their copy-out runs at memory speed, which larger copies reach
 * (a 25 MB outer product of per-sample gradients 4.1-4.5 -> 3.5-3.8 ms), while smaller outputs,
 * written into cache, did better with the chunk in L2 (jacrev of 1024 x 1024: 4.4-4.7 against
 * 5.0-5.9 ms).
 */
export const BIG_OUTPUT_BYTES = 16 * 2 ** 20;

/**
 * An operand of a chunked kernel: a strided view over the output's (leading) dims, optionally
 * with trailing dims the kernel consumes whole (a reduced run, a dot product's K).
 */
interface Operand {
  readonly data: TypedArray;
  readonly offset: number;
  readonly strides: readonly number[];
  readonly trail?: { readonly shape: readonly number[]; readonly strides: readonly number[] };
}

/**
 * One plane of a chunk for a kernel: `rows` rows of `n` output elements. offs are the operands'
 * element offsets of its first element (relative to their arrays; the output's, last, relative
 * to the staged chunk), rowStrides and inner their steps between rows and along a row. The
 * output's rows are contiguous (its row stride is n).
 */
type Plane = (bases: number[], o: number, offs: readonly number[], rows: number, rowStrides: readonly number[], n: number, inner: readonly number[]) => void;

/**
 * Runs a kernel over `lead` (the output's shape, output contiguous) in chunks of about CHUNK_BYTES
 * of the operands' floats, each staged on its own so the copies and the kernel work in cache. A chunk is
 * a range of one dim of the operands' coalesced layout (the split dim: the first whose trailing
 * dims fit in a chunk), whole along the dims after it, at one index of the dims before it.
 * An output `width` > 1 makes each position of lead a row of that many output elements (softmax's
 * rows); plane's output offsets still count positions.
 */
function chunked(lead: readonly number[], operands: Operand[], out: KernelArray, plane: Plane, width = 1): boolean {
  if (out.length === 0) return true;
  const positions = out.length / width;
  const K = operands.length;
  const c = coalesce(lead, [...operands.map((x) => x.strides), contiguousStrides(lead)]);
  if (c.shape.length === 1) {
    const done = oneRun(c, operands, out, plane);
    if (done !== undefined) return done;
  }
  // each output element reads `weight` elements of an operand with trailing dims (a sum's run)
  let weight = 1;
  for (const x of operands) if (x.trail) weight = Math.max(weight, numelOf(x.trail.shape));
  let d = 0, tail = positions / c.shape[0];
  // in elements of the widest operand (the floats: a condition's or a comparison's bools are narrower)
  const bytes = Math.max(...operands.map((x) => x.data.BYTES_PER_ELEMENT));
  const chunk = (out.length * bytes > BIG_OUTPUT_BYTES ? 2 * CHUNK_BYTES : CHUNK_BYTES) / bytes;
  while (tail * weight > chunk && d < c.shape.length - 1) tail /= c.shape[++d];
  const per = Math.max(1, Math.floor(chunk / (tail * weight)));
  const trailShape = c.shape.slice(d + 1);
  const chunkViews = (offs: readonly number[], count: number): StridedArray[] => operands.map((x, k) => ({
    data: x.data,
    shape: [count, ...trailShape, ...(x.trail?.shape ?? [])],
    strides: [...c.strides[k].slice(d), ...(x.trail?.strides ?? [])],
    offset: offs[k],
  }));
  // a chunk copies the whole span its views read: when that adds up to many times the elements
  // (a column of a wide matrix, a transpose cut into thin chunks), the js loops are cheaper. A
  // mirrored operand (staged mirrors it now if it can) is read in place, with no copies to weigh:
  // without that exception, float64's smaller chunks would leave the columns of a square matrix to js.
  const chunks = (positions / (tail * c.shape[d])) * Math.ceil(c.shape[d] / per);
  const start = [...operands.map((x) => x.offset), 0];
  const first = chunkViews(start, Math.min(per, c.shape[d]));
  for (let k = 0; k < K; k++) {
    if (isMirrored(operands[k].data as KernelArray)) continue;
    const [lo, hi] = extent(first[k]);
    const read = positions * numelOf(operands[k].trail?.shape ?? []);
    if (chunks * (hi - lo) > 4 * read + 64) return false;
  }
  let staged0 = false;
  const runChunks = (offs: readonly number[]): void => {
    for (let i0 = 0; i0 < c.shape[d]; i0 += per) {
      const count = Math.min(per, c.shape[d] - i0);
      const at = offs.map((v, k) => v + i0 * c.strides[k][d]);
      const views = i0 === 0 && offs === start ? first : chunkViews(at, count); // the first chunk's views were made for the check above
      const shape = views[0].shape.slice(0, 1 + trailShape.length);
      const strides = [...c.strides.slice(0, K).map((s) => s.slice(d)), contiguousStrides(shape)];
      const whole = count * tail === positions;
      const ok = staged(views, whole ? out : out.subarray(at[K] * width, (at[K] + count * tail) * width), (bases, o) =>
        forEachPlane(shape, strides, [...at.slice(0, K), 0], (offs2, rows, rowStrides, n, inner) => plane(bases, o, offs2, rows, rowStrides, n, inner)));
      if (!ok) {
        if (!staged0) throw new OutOfScratch();
        throw new Error("wasm backend: out of WebAssembly memory in the middle of a kernel");
      }
      staged0 = true;
    }
  };
  try {
    if (d === 0) runChunks(start);
    else forEachRow(c.shape.slice(0, d), c.strides.map((s) => s.slice(0, d)), start, (offs, n, inner) => {
      for (let j = 0; j < n; j++) runChunks(offs.map((v, k) => v + j * inner[k]));
    });
  } catch (e) {
    if (e instanceof OutOfScratch) return false;
    throw e;
  }
  return true;
}

/**
 * chunked's fast path, for most small ops: every operand one strided run (with its trailing dims)
 * and all of it one chunk, staged whole with none of the chunk bookkeeping (which cost more than
 * the kernel at 1K floats). undefined when it is too big, or an operand's span too sparse for a copy.
 */
function oneRun(c: { shape: number[]; strides: number[][] }, operands: Operand[], out: KernelArray, plane: Plane): boolean | undefined {
  const n = c.shape[0], inner = c.strides.map((s) => s[0]);
  const views = operands.map((x, k): StridedArray => ({
    data: x.data, offset: x.offset, shape: [n, ...(x.trail?.shape ?? [])], strides: [inner[k], ...(x.trail?.strides ?? [])],
  }));
  let bytes = out.length * out.BYTES_PER_ELEMENT;
  for (const v of views) {
    const read = numelOf(v.shape);
    bytes = Math.max(bytes, read * v.data.BYTES_PER_ELEMENT);
    const [lo, hi] = extent(v);
    if (hi - lo > 4 * read + 64 && !isMirrored(v.data as KernelArray)) return undefined;
  }
  if (bytes > CHUNK_BYTES) return undefined;
  const offs = [...operands.map((x) => x.offset), 0];
  return staged(views, out, (bases, o) => plane(bases, o, offs, 1, inner.map(() => 0), n, inner));
}

/** The first chunk did not fit in the scratch memory: nothing was written, the js code can run. */
class OutOfScratch extends Error {}

/** Calls `plane` for every plane (the last two dims, or one row) of `shape`. */
function forEachPlane(
  shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[],
  plane: (offs: readonly number[], rows: number, rowStrides: readonly number[], n: number, inner: readonly number[]) => void,
): void {
  const q = shape.length;
  if (q === 1) {
    plane(offsets, 1, strides.map(() => 0), shape[0], strides.map((s) => s[0]));
    return;
  }
  const inner = strides.map((s) => s[q - 1]);
  forEachRow(shape.slice(0, q - 1), strides.map((s) => s.slice(0, q - 1)), offsets, (offs, rows, rowStrides) =>
    plane(offs, rows, rowStrides, shape[q - 1], inner));
}
