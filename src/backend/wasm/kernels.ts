// SIMD kernels over the scratch memory (heap.ts), assembled at run time: elementwise ops
// (comparisons write bool bytes, where reads them), reductions, batched dot products, im2col and
// col2im, each built for float32 (f32x4 lanes) and float64 (f64x2 lanes) by the same builder code
// from a description of the element type (FloatType); the transcendental ops are float32 only, but exp, log and sigmoid.
// Every pointer is a byte address in the memory and every stride counts elements.
// Unit strides (and stride 0, a broadcast scalar) take the SIMD path; any other stride takes a
// scalar loop, as do the last n % lanes elements.

import { Code, ModuleBuilder, ValType } from "./assembler.js";
import { nonFiniteKernel, packColsKernel, packRowsKernel, zeroSpansKernel } from "./pack_kernels.js";
import { FLOAT64_TRANSCENDENTAL_OPS, HOST_FUNCTIONS, TRANSCENDENTAL_BINARY_OPS, TRANSCENDENTAL_OPS } from "./transcendental.js";
import { copyPlanesKernel, winogradGradientKernel, winogradInputAdjointKernel, winogradInputKernel, winogradOutputKernel } from "./winograd_kernels.js";

const { i32, f64, v128 } = ValType;

/** The float instructions that Code names `${prefix}${Op}` at every type and width. */
const FLOAT_OPS = ["Add", "Sub", "Mul", "Div", "Min", "Max", "Neg", "Abs", "Sqrt", "Ceil", "Floor", "Trunc", "Nearest", "Eq", "Ne", "Lt", "Le", "Gt", "Ge"] as const;

/**
 * Code's float instructions at one type and width (f32x4, f32, f64x2 or f64) under common
 * names, chaining as Code's own do, so that one sequence serves every type and width.
 */
export type Floats = { [K in (typeof FLOAT_OPS)[number] as Uncapitalize<K>]: () => Floats } & {
  /** The type of a local holding one value: v128, f32 or f64. */
  readonly type: ValType;
  local(): number;
  get(local: number): Floats;
  set(local: number): Floats;
  tee(local: number): Floats;
  const(value: number): Floats;
  zero(): Floats;
  load(offset?: number): Floats;
  store(offset?: number): Floats;
  /** Pops a, b and a mask (a condition for a scalar): a where it is set, else b. */
  select(): Floats;
  /** Pops a, b: b where a < b, else a (pmax), and b where b < a, else a (pmin). One instruction on x86 for vectors, where max and min, which order NaN and -0, are eight; a NaN a passes. */
  pmax(): Floats;
  pmin(): Floats;
};

function floats(f: Code, prefix: "f32x4" | "f64x2" | "f32" | "f64"): Floats {
  const vector = prefix === "f32x4" || prefix === "f64x2";
  const scalar = prefix === "f32x4" || prefix === "f32" ? "f32" : "f64";
  const type = vector ? v128 : ValType[scalar];
  const x = { type, local: () => f.local(type) } as Floats;
  const emit = (name: string, ins: (...args: number[]) => unknown): void => {
    (x as unknown as Record<string, unknown>)[name] = (...args: number[]) => { ins(...args); return x; };
  };
  emit("get", (l) => f.get(l));
  emit("set", (l) => f.set(l));
  emit("tee", (l) => f.tee(l));
  emit("const", (v) => f[`${prefix}Const`](v));
  emit("zero", () => (vector ? f.v128ConstZero() : f[`${scalar}Const`](0)));
  emit("load", (offset = 0) => (vector ? f.v128Load(offset) : f[`${scalar}Load`](offset)));
  emit("store", (offset = 0) => (vector ? f.v128Store(offset) : f[`${scalar}Store`](offset)));
  emit("select", () => (vector ? f.v128Bitselect() : f.select()));
  for (const op of FLOAT_OPS) emit(op[0].toLowerCase() + op.slice(1), () => f[`${prefix}${op}`]());
  for (const [name, Op, test] of [["pmax", "Pmax", "lt"], ["pmin", "Pmin", "gt"]] as const) {
    emit(name, () => {
      if (vector) return f[`${prefix as "f32x4" | "f64x2"}${Op}`]();
      const a = x.local(), b = x.local();
      return x.set(b).set(a).get(b).get(a).get(a).get(b)[test]().select();
    });
  }
  return x;
}

/**
 * What the kernel builders need to know of an element type beyond Floats: its size, the lanes
 * of a vector, and the few sequences that differ by more than an instruction's name.
 */
interface FloatType {
  /** Prefix of its kernels' export names. */
  prefix: string;
  bytes: number;
  /** log2 of bytes: an element index shifted left by it is a byte offset. */
  shift: number;
  /** Elements per vector. */
  lanes: number;
  /**
   * Vectors a max or min reduction keeps in flight, each in its own accumulator: wasm's NaN-
   * propagating max and min are long instruction sequences on x86, and one chain of them through
   * f64x2s ran slower than the js loop (max over the rows of 1000 x 1000: 1.6 ms against 1.3;
   * four chains 0.55 ms). float32 keeps its one chain of four lanes.
   */
  chains: number;
  vec: "f32x4" | "f64x2";
  scalar: "f32" | "f64";
  /** The scalar on the stack in every lane. */
  splat(f: Code): void;
  /** The element `offset` bytes past the address on the stack, in every lane. */
  loadSplat(f: Code, offset: number): void;
  /** The element past the address on the stack into lane 0, the others zero. */
  loadZero(f: Code, offset: number): void;
  /** Pops an address and a vector: the vector with lane `lane` replaced by the element there. */
  loadLane(f: Code, lane: number, offset: number): void;
  extractLane(f: Code, lane: number): void;
  /** Stores the lane masks on the stack as bytes of 1 or 0 (`offset` past the address below them); `mask` is a v128 local to work in. */
  storeBools(f: Code, mask: number, offset: number): void;
  /** The lanes' bool bytes (`offset` past the address on the stack) as lane masks, all ones where nonzero; `zero` holds a zero vector. */
  loadBools(f: Code, offset: number, zero: number): void;
  /** Two elements (`offset` past the address on the stack) as an f64x2, one as an f64, and an f64 stored as an element: sums run in float64. */
  pairF64(f: Code, offset: number): void;
  oneF64(f: Code, offset: number): void;
  storeF64(f: Code, offset: number): void;
  /** Stores a vector's int32 indices, one per lane, kept in every 32 bits of its lane in the v128 local `index`. */
  storeIndices(f: Code, index: number): void;
}

const F32: FloatType = {
  prefix: "", bytes: 4, shift: 2, lanes: 4, chains: 1, vec: "f32x4", scalar: "f32",
  splat: (f) => f.f32x4Splat(),
  loadSplat: (f, offset) => f.v128Load32Splat(offset),
  loadZero: (f, offset) => f.v128Load32Zero(offset),
  loadLane: (f, lane, offset) => f.v128Load32Lane(lane, offset),
  extractLane: (f, lane) => f.f32x4ExtractLane(lane),
  // negated to 1, narrowed twice, lane 0 (four bytes) stored
  storeBools: (f, mask, offset) => f.i32x4Neg().tee(mask).get(mask).i16x8NarrowI32x4U().tee(mask).get(mask).i8x16NarrowI16x8U().v128Store32Lane(0, offset),
  loadBools: (f, offset, zero) => f.v128Load32Zero(offset).i16x8ExtendLowI8x16U().i32x4ExtendLowI16x8U().get(zero).i32x4Ne(),
  pairF64: (f, offset) => f.v128Load64Zero(offset).f64x2PromoteLowF32x4(),
  oneF64: (f, offset) => f.f32Load(offset).f64PromoteF32(),
  storeF64: (f, offset) => f.f32DemoteF64().f32Store(offset),
  storeIndices: (f, index) => f.get(index).v128Store(),
};

const F64: FloatType = {
  prefix: "f64_", bytes: 8, shift: 3, lanes: 2, chains: 4, vec: "f64x2", scalar: "f64",
  splat: (f) => f.f64x2Splat(),
  loadSplat: (f, offset) => f.v128Load64Splat(offset),
  loadZero: (f, offset) => f.v128Load64Zero(offset),
  loadLane: (f, lane, offset) => f.v128Load64Lane(lane, offset),
  extractLane: (f, lane) => f.f64x2ExtractLane(lane),
  // negated to 1 (bytes 0 and 8), those two bytes gathered and stored
  storeBools: (f, mask, offset) => f.i64x2Neg().tee(mask).get(mask).i8x16Shuffle([0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8]).v128Store16Lane(0, offset),
  // two bytes (splatted, so nothing past them is read), widened to 64 bits
  loadBools: (f, offset, zero) => f.v128Load16Splat(offset).i16x8ExtendLowI8x16U().i32x4ExtendLowI16x8U().i64x2ExtendLowI32x4U().get(zero).i64x2Ne(),
  pairF64: (f, offset) => f.v128Load(offset),
  oneF64: (f, offset) => f.f64Load(offset),
  storeF64: (f, offset) => f.f64Store(offset),
  // int32 lanes 0 and 2 hold the two indices
  storeIndices: (f, index) => f.get(index).get(index).i32x4Shuffle([0, 2, 0, 2]).v128Store64Lane(0),
};

/**
 * An elementwise op as a SIMD and a scalar instruction sequence over operands on the stack
 * (given Floats at the kernel's type and width), and what the kernel runs once before its loops
 * (`prologue`, to set up constants). A `bool` op (a comparison) leaves lane masks (an i32 0 or 1
 * for the scalar) and its kernel writes a byte each.
 */
export interface ElementOp {
  vec(f: Code, x: Floats): void;
  scalar(f: Code, x: Floats): void;
  prologue?(f: Code): void;
  bool?: true;
  /** Vectors per loop iteration (default UNROLL): 1 for long bodies, where the loop's overhead is lost anyway. */
  unroll?: number;
  /** Built for float32 only: a float64 transcendental op runs JS's Math functions, accurate to float64, where these sequences are not. */
  float32Only?: true;
  /** The float64 kernel's op, where it is not this one at another width (exp's float64 sequence). */
  float64?: ElementOp;
}

/** An op whose SIMD and scalar sequences are the same. */
const same = (seq: (x: Floats) => unknown): ElementOp => ({ vec: (_f, x) => seq(x), scalar: (_f, x) => seq(x) });
/** A comparison. */
const compare = (seq: (x: Floats) => unknown): ElementOp => ({ ...same(seq), bool: true });
const float32Only = <T extends Record<string, ElementOp>>(ops: T) =>
  Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, { ...op, float32Only: true }])) as { [K in keyof T]: T[K] & { float32Only: true } };

export const BINARY_OPS = {
  add: same((x) => x.add()),
  sub: same((x) => x.sub()),
  mul: same((x) => x.mul()),
  div: same((x) => x.div()),
  // wasm's min and max propagate NaN, as PyTorch's maximum and minimum do
  maximum: same((x) => x.max()),
  minimum: same((x) => x.min()),
  // a & (b > 0 ? all ones : 0), and a select of a or 0
  reluBackward: {
    vec: (f, x) => { x.zero().gt(); f.v128And(); },
    scalar: (_f, x) => { const b = x.local(); x.set(b).zero().get(b).zero().gt().select(); },
  },
  // a (1 - b b) and a (b (1 - b)), b through a local
  tanhBackward: same((x) => { const b = x.local(); x.set(b).const(1).get(b).get(b).mul().sub().mul(); }),
  sigmoidBackward: same((x) => { const b = x.local(); x.set(b).get(b).const(1).get(b).sub().mul().mul(); }),
  ...float32Only(TRANSCENDENTAL_BINARY_OPS),
  // false wherever an operand is NaN, except ne
  eq: compare((x) => x.eq()),
  ne: compare((x) => x.ne()),
  lt: compare((x) => x.lt()),
  le: compare((x) => x.le()),
  gt: compare((x) => x.gt()),
  ge: compare((x) => x.ge()),
} satisfies Record<string, ElementOp>;

export const UNARY_OPS = {
  neg: same((x) => x.neg()),
  abs: same((x) => x.abs()),
  sqrt: same((x) => x.sqrt()),
  // x * x: the operand goes through a local to be used twice
  square: same((x) => { const t = x.local(); x.tee(t).get(t).mul(); }),
  relu: same((x) => x.zero().max()),
  floor: same((x) => x.floor()),
  ceil: same((x) => x.ceil()),
  trunc: same((x) => x.trunc()),
  // nearest integer, halves to even
  round: same((x) => x.nearest()),
  // 1 where x > 0, -1 where x < 0, else x itself (±0, NaN)
  sign: same((x) => {
    const v = x.local();
    x.set(v).const(1).const(-1).get(v).get(v).zero().lt().select();
    x.get(v).zero().gt().select();
  }),
  ...float32Only(TRANSCENDENTAL_OPS),
  ...FLOAT64_TRANSCENDENTAL_OPS,
} satisfies Record<string, ElementOp>;

export type WasmBinaryOp = keyof typeof BINARY_OPS;
export type WasmUnaryOp = keyof typeof UNARY_OPS;
/** The ops of a table that have float64 kernels. */
type Float64Ops<T> = { [K in keyof T]: T[K] extends { float32Only: true } ? never : K }[keyof T];
export type WasmBinaryOp64 = Float64Ops<typeof BINARY_OPS>;
export type WasmUnaryOp64 = Float64Ops<typeof UNARY_OPS>;

/** The kernels over one float type's elements: float32, or float64 (without the transcendental ops but exp, log and sigmoid). */
export interface FloatKernels<B extends string = WasmBinaryOp, U extends string = WasmUnaryOp> {
  /** o[r * n + i] = op(a[r * ars + i * as], b[r * brs + i * bs]) for r < rows, i < n (bytes for a comparison) */
  binary: Record<B, (a: number, as: number, ars: number, b: number, bs: number, brs: number, o: number, n: number, rows: number) => void>;
  /** o[r * n + i] = op(x[r * xrs + i * xs]) for r < rows, i < n */
  unary: Record<U, (x: number, xs: number, xrs: number, o: number, n: number, rows: number) => void>;
  /** o[r * n + i] = c[r * crs + i * cs] ? a[...] : b[...] (strided as binary's) with c bytes, for r < rows, i < n */
  where(c: number, cs: number, crs: number, a: number, as: number, ars: number, b: number, bs: number, brs: number, o: number, n: number, rows: number): void;
  /** o[r * n + i] = clamp(x, lo, hi) of the elements at [r * xrs + i * xs] and so on (strided as binary's), as the backend's clamp */
  clamp(x: number, xs: number, xrs: number, lo: number, ls: number, lrs: number, hi: number, hs: number, hrs: number, o: number, n: number, rows: number): void;
  /** o[t] = sum over i < k of a[t * aStep + i] * b[t * bStep + i], for t < count */
  dots(a: number, aStep: number, b: number, bStep: number, k: number, count: number, o: number): void;
  /** o[t] = sum over i < n of x[t * step + i], accumulated in float64 (four partial sums), for t < count */
  sumRows(x: number, step: number, n: number, count: number, o: number): void;
  /** o[j] = sum over r < rows of x[r * step + j], accumulated in float64 in order of r, for j < n */
  sumCols(x: number, step: number, rows: number, n: number, o: number): void;
  /** o[t] = max (min) over i < n of x[t * step + i], NaN if any is NaN, for t < count; n >= 1 */
  maxRows(x: number, step: number, n: number, count: number, o: number): void;
  minRows(x: number, step: number, n: number, count: number, o: number): void;
  /** o[j] = max (min) over r < rows of x[r * step + j], NaN if any is NaN, for j < n; rows >= 1 */
  maxCols(x: number, step: number, rows: number, n: number, o: number): void;
  minCols(x: number, step: number, rows: number, n: number, o: number): void;
  /**
   * o[t] = the index i < n (an int32) of the first max (min) of x[t * step + i], for t < count:
   * a NaN counts as the extreme and the first NaN wins; -0 and +0 tie. n >= 1
   */
  argmaxRows(x: number, step: number, n: number, count: number, o: number): void;
  argminRows(x: number, step: number, n: number, count: number, o: number): void;
  /** o[j] = the row r < rows (an int32) of the first max (min) of x[r * step + j], as argmaxRows, for j < n; rows >= 1 */
  argmaxCols(x: number, step: number, rows: number, n: number, o: number): void;
  argminCols(x: number, step: number, rows: number, n: number, o: number): void;
  /** softmax (logSoftmax) of `count` rows of n elements, row t at x + t * step, into rows of n at o; n >= 1 */
  softmaxRows(x: number, step: number, n: number, count: number, o: number): void;
  logSoftmaxRows(x: number, step: number, n: number, count: number, o: number): void;
  /** Their vjps: rows of cotangents g and outputs y (steps apart) into rows of n at o: y (g - sum(g y)), or g - e^y sum(g); n >= 1 */
  softmaxBackwardRows(g: number, gStep: number, y: number, yStep: number, n: number, count: number, o: number): void;
  logSoftmaxBackwardRows(g: number, gStep: number, y: number, yStep: number, n: number, count: number, o: number): void;
  /** o[t] = logSoftmax of the row at x + t * step picked at its index, the int32 at idx + t * idxStep (in range), for t < count; n >= 1 */
  logSoftmaxGatherRows(x: number, step: number, n: number, count: number, idx: number, idxStep: number, o: number): void;
  /** Its vjp for cotangents g (one per row): rows g (onehot(index) - softmax(x)) of n at o; n >= 1 */
  logSoftmaxGatherBackwardRows(g: number, gStep: number, x: number, step: number, n: number, count: number, idx: number, idxStep: number, o: number): void;
  /** layerNorm's normalization of `count` rows of n at x (step apart) into rows at o, eps the element at epsAt; n >= 1 */
  layerNormRows(x: number, step: number, n: number, count: number, o: number, epsAt: number): void;
  /** layerNormRows times rows of weights w plus rows of biases b, steps apart */
  layerNormAffineRows(x: number, step: number, n: number, count: number, o: number, epsAt: number, w: number, wStep: number, b: number, bStep: number): void;
  /** Its vjp for rows of cotangents g at inputs x: r (g - mean(g) - y mean(g y)); n >= 1 */
  layerNormBackwardRows(g: number, gStep: number, x: number, xStep: number, n: number, count: number, o: number, epsAt: number): void;
  /** layerNormBackwardRows of g w, for rows of weights w steps apart: the vjp of layerNormAffineRows with respect to x */
  layerNormAffineBackwardRows(g: number, gStep: number, x: number, xStep: number, n: number, count: number, o: number, epsAt: number, w: number, wStep: number): void;
  /**
   * im2col of `images` images of imageSize elements at x, by a convRows table of `rows` [src, lo,
   * hi] triples at `table`: per image and table row, ow columns at o (src read with stride sw).
   */
  im2col(x: number, images: number, imageSize: number, table: number, rows: number, ow: number, sw: number, o: number): void;
  /** Its transpose: adds each row of columns at cols into the images at o (zeroed by the caller). */
  col2im(cols: number, images: number, imageSize: number, table: number, rows: number, ow: number, sw: number, o: number): void;
}

/** The float32 kernels (FloatKernels, at the top level), the float64 ones under f64, and the float32-only ones. */
export interface Kernels extends FloatKernels {
  f64: FloatKernels<WasmBinaryOp64, WasmUnaryOp64>;
  /** The gemm's packing of staged rows and of staged columns into panels (pack_kernels.ts; packRows also transposes for transpose.ts). */
  packRows(src: number, ld: number, groups: number, kc: number, dst: number, panelBytes: number, shift: number, step: number): void;
  /** packRows of doubles */
  packRowsF64(src: number, ld: number, groups: number, kc: number, dst: number, panelBytes: number, shift: number, step: number): void;
  packCols(src: number, ld: number, lines: number, groups: number, dst: number, panelBytes: number, shift: number, n: number): void;
  /** zeroSpans of panels 4 floats wide (the gemm's A panels) and 8 wide (its B panels) */
  zeroSpans4(at: number, panelBytes: number, panels: number, kc: number, stepBytes: number, out: number): void;
  zeroSpans8(at: number, panelBytes: number, panels: number, kc: number, stepBytes: number, out: number): void;
  /** zeroSpans of panels 4 doubles wide (both of the float64 gemm's) */
  zeroSpansF64(at: number, panelBytes: number, panels: number, kc: number, stepBytes: number, out: number): void;
  /** 1 if a float (a double) of the rows is infinite or NaN, else 0 */
  nonFinite(at: number, rows: number, vectors: number, strideBytes: number): number;
  nonFiniteF64(at: number, rows: number, vectors: number, strideBytes: number): number;
  /** Winograd's F(2x2, 3x3) convolution: staging into a padded image and the two transforms (winograd_kernels.ts). */
  copyPlanes(src: number, srcChanBytes: number, srcRowBytes: number, channels: number, h: number, w: number, dst: number, dstChanBytes: number, dstRowBytes: number): void;
  winogradInput(src: number, rowBytes: number, chanBytes: number, channels: number, tileRows: number, groups: number, dst: number, planeBytes: number, lineBytes: number): void;
  winogradOutput(src: number, planeBytes: number, lineBytes: number, channels: number, tileRows: number, groups: number, dst: number, rowBytes: number, chanBytes: number): void;
  winogradGradient(src: number, rowBytes: number, chanBytes: number, channels: number, tileRows: number, groups: number, dst: number, planeBytes: number, lineBytes: number): void;
  winogradInputAdjoint(src: number, planeBytes: number, lineBytes: number, channels: number, tileRows: number, groups: number, dst: number, rowBytes: number, chanBytes: number): void;
}

/** FloatKernels' kernels besides the op tables: each one's parameter count and builder. */
const FLOAT_KERNELS: Record<Exclude<keyof FloatKernels, "binary" | "unary">, [number, (f: Code, t: FloatType) => void]> = {
  where: [12, whereKernel],
  clamp: [12, clampKernel],
  dots: [7, dotsKernel],
  sumRows: [5, sumRowsKernel],
  sumCols: [5, sumColsKernel],
  maxRows: [5, (f, t) => extremeRowsKernel(f, t, "max")],
  minRows: [5, (f, t) => extremeRowsKernel(f, t, "min")],
  maxCols: [5, (f, t) => extremeColsKernel(f, t, "max")],
  minCols: [5, (f, t) => extremeColsKernel(f, t, "min")],
  argmaxRows: [5, (f, t) => argRowsKernel(f, t, "max")],
  argminRows: [5, (f, t) => argRowsKernel(f, t, "min")],
  // a NaN v is never <= (>=) best, so it replaces a number; a tie, -0 against +0 included, does not
  argmaxCols: [5, (f, t) => argColsKernel(f, t, "le")],
  argminCols: [5, (f, t) => argColsKernel(f, t, "ge")],
  softmaxRows: [5, (f, t) => softmaxRowsKernel(f, t, false)],
  logSoftmaxRows: [5, (f, t) => softmaxRowsKernel(f, t, true)],
  softmaxBackwardRows: [7, (f, t) => softmaxBackwardRowsKernel(f, t, false)],
  logSoftmaxBackwardRows: [7, (f, t) => softmaxBackwardRowsKernel(f, t, true)],
  logSoftmaxGatherRows: [7, logSoftmaxGatherRowsKernel],
  logSoftmaxGatherBackwardRows: [9, logSoftmaxGatherBackwardRowsKernel],
  layerNormRows: [6, (f, t) => layerNormRowsKernel(f, t, false)],
  layerNormAffineRows: [10, (f, t) => layerNormRowsKernel(f, t, true)],
  layerNormBackwardRows: [8, (f, t) => layerNormBackwardRowsKernel(f, t, false)],
  layerNormAffineBackwardRows: [10, (f, t) => layerNormBackwardRowsKernel(f, t, true)],
  im2col: [8, im2colKernel],
  col2im: [8, col2imKernel],
};

/** The ops of a table that type t has kernels for. */
const opsOf = (ops: Record<string, ElementOp>, t: FloatType): [string, ElementOp][] =>
  Object.entries(ops).flatMap(([name, op]): [string, ElementOp][] => (t === F32 ? [[name, op]] : op.float64 ? [[name, op.float64]] : op.float32Only ? [] : [[name, op]]));
/** A unary op's sequence at type t, for kernels that build on it (softmax's exp and log). */
const unaryOpAt = (name: WasmUnaryOp64, t: FloatType): ElementOp => opsOf({ [name]: UNARY_OPS[name] }, t)[0][1];

/** The FloatKernels of type t, exported as `${t.prefix}binary_add`, `${t.prefix}sumRows` and so on. */
function floatKernels(mod: ModuleBuilder, t: FloatType): void {
  const func = (name: string, arity: number) => mod.func(t.prefix + name, new Array<ValType>(arity).fill(i32));
  for (const [name, op] of opsOf(BINARY_OPS, t)) binaryKernel(func(`binary_${name}`, 9), op, t);
  for (const [name, op] of opsOf(UNARY_OPS, t)) unaryKernel(func(`unary_${name}`, 6), op, t);
  for (const [name, [arity, build]] of Object.entries(FLOAT_KERNELS)) build(func(name, arity), t);
}

/** The whole kernel module; with `relaxedSimd`, its polynomials take fused multiply-adds. */
export function buildKernels(relaxedSimd: boolean): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ relaxedSimd });
  floatKernels(mod, F32);
  packRowsKernel(mod.func("packRows", [i32, i32, i32, i32, i32, i32, i32, i32]));
  packRowsKernel(mod.func("packRowsF64", [i32, i32, i32, i32, i32, i32, i32, i32]), true);
  packColsKernel(mod.func("packCols", [i32, i32, i32, i32, i32, i32, i32, i32]));
  zeroSpansKernel(mod.func("zeroSpans4", [i32, i32, i32, i32, i32, i32]), 1);
  zeroSpansKernel(mod.func("zeroSpans8", [i32, i32, i32, i32, i32, i32]), 2);
  zeroSpansKernel(mod.func("zeroSpansF64", [i32, i32, i32, i32, i32, i32]), 2, true);
  nonFiniteKernel(mod.func("nonFinite", [i32, i32, i32, i32], [i32]));
  nonFiniteKernel(mod.func("nonFiniteF64", [i32, i32, i32, i32], [i32]), true);
  copyPlanesKernel(mod.func("copyPlanes", [i32, i32, i32, i32, i32, i32, i32, i32, i32]));
  winogradInputKernel(mod.func("winogradInput", [i32, i32, i32, i32, i32, i32, i32, i32, i32]));
  winogradOutputKernel(mod.func("winogradOutput", [i32, i32, i32, i32, i32, i32, i32, i32, i32]));
  winogradGradientKernel(mod.func("winogradGradient", [i32, i32, i32, i32, i32, i32, i32, i32, i32]));
  winogradInputAdjointKernel(mod.func("winogradInputAdjoint", [i32, i32, i32, i32, i32, i32, i32, i32, i32]));
  floatKernels(mod, F64);
  return mod.encode();
}

/** The imports of the kernel module: the scratch memory and the host functions its code calls. */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, ...HOST_FUNCTIONS } };
}

export function kernelsFrom(instance: WebAssembly.Instance): Kernels {
  const e = instance.exports as Record<string, never>;
  // what floatKernels exported for type t
  const floatKernelsOf = (t: FloatType) => {
    const table = (group: string, ops: Record<string, ElementOp>) => Object.fromEntries(opsOf(ops, t).map(([n]) => [n, e[`${t.prefix}${group}_${n}`]]));
    const rest = Object.fromEntries(Object.keys(FLOAT_KERNELS).map((n) => [n, e[t.prefix + n]]));
    return { binary: table("binary", BINARY_OPS), unary: table("unary", UNARY_OPS), ...rest };
  };
  return {
    ...(floatKernelsOf(F32) as unknown as FloatKernels),
    f64: floatKernelsOf(F64) as unknown as FloatKernels<WasmBinaryOp64, WasmUnaryOp64>,
    packRows: e.packRows, packRowsF64: e.packRowsF64, packCols: e.packCols, zeroSpans4: e.zeroSpans4, zeroSpans8: e.zeroSpans8, zeroSpansF64: e.zeroSpansF64,
    nonFinite: e.nonFinite, nonFiniteF64: e.nonFiniteF64,
    copyPlanes: e.copyPlanes, winogradInput: e.winogradInput, winogradOutput: e.winogradOutput, winogradGradient: e.winogradGradient,
    winogradInputAdjoint: e.winogradInputAdjoint,
  };
}

/** local = local << t.shift: an element count or stride in bytes. */
function toBytes(f: Code, t: FloatType, local: number, into = local): void {
  f.get(local).i32Const(t.shift).i32Shl().set(into);
}

/** An operand of an elementwise kernel's rows, as vectorLoops reads it. */
interface RowOperand {
  /** The local holding its stride along a row, in elements. */
  stride: number;
  /** The local holding its pointer, advanced by `step` bytes per vector. */
  p: number;
  step: number;
  /** A vector's elements `offset` bytes past p (or a condition's lane masks) onto the stack. */
  vec(offset: number): void;
  /** The element at p broadcast to every lane, for stride 0; without it, stride 0 takes the scalar loop. */
  splat?(): void;
}

/** Vectors per iteration of an elementwise kernel's main loop: fewer pointer updates and branches per store. */
const UNROLL = 4;

/**
 * The vector part of a row of n elements, `lanes` per vector: one loop per combination of the
 * operands' strides, each operand read by vector loads (stride 1) or as a splat made once per row
 * (stride 0); any other stride leaves the whole row to the scalar loop. `body(loads, u)` gets one
 * loader per operand and stores the u-th vector of an iteration (u < unroll) at `u * out.step`
 * bytes past out.p; the loop then advances every pointer. Sets i to the elements left for the
 * scalar loop.
 */
function vectorLoops(
  f: Code, lanes: number, n: number, i: number, operands: RowOperand[], out: { p: number; step: number },
  body: (loads: (() => void)[], u: number) => void, unroll = UNROLL,
): void {
  const splats = operands.map((x) => (x.splat ? f.local(v128) : -1));
  f.get(n).set(i);
  const pass = (loads: ((u: number) => void)[], steps: number[], width: number): void => {
    for (let u = 0; u < width; u++) body(loads.map((load) => () => load(u)), u);
    operands.forEach((x, k) => { if (steps[k]) f.addTo(x.p, width * steps[k]); });
    f.addTo(out.p, width * out.step);
  };
  const loop = (loads: ((u: number) => void)[], steps: number[]): void => {
    // unroll vectors at a time, then one at a time: n / lanes vectors in all
    f.get(n).i32Const(Math.log2(lanes * unroll)).i32ShrU().set(i);
    f.countdown(i, () => pass(loads, steps, unroll));
    if (unroll > 1) {
      f.get(n).i32Const(Math.log2(lanes)).i32ShrU().i32Const(unroll - 1).i32And().set(i);
      f.countdown(i, () => pass(loads, steps, 1));
    }
    f.get(n).i32Const(lanes - 1).i32And().set(i);
  };
  const choose = (loads: ((u: number) => void)[], steps: number[]): void => {
    const k = loads.length;
    if (k === operands.length) return loop(loads, steps);
    const x = operands[k];
    f.get(x.stride).i32Const(1).i32Eq().if();
    choose([...loads, (u) => x.vec(u * x.step)], [...steps, x.step]);
    if (x.splat) {
      f.else().get(x.stride).i32Eqz().if();
      x.splat();
      f.set(splats[k]);
      choose([...loads, () => f.get(splats[k])], [...steps, 0]);
      f.end();
    }
    f.end();
  };
  choose([], []);
}

/** A float operand: vector loads, or a splat of one element. */
const floatOperand = (f: Code, t: FloatType, stride: number, p: number): RowOperand => ({
  stride, p, step: 16,
  vec: (offset) => f.get(p).v128Load(offset),
  splat: () => { floats(f.get(p), t.scalar).load(); t.splat(f); },
});

/**
 * o[r * n + j] = op(a[r * ars + j * as], b[r * brs + j * bs]) for r < rows, j < n: a plane per
 * call, so short rows (an outer product's, a broadcast bias's) do not pay a call each. o holds
 * elements of type t, or bytes for a bool op.
 */
function binaryKernel(f: Code, op: ElementOp, t: FloatType): void {
  const [a, as, ars, b, bs, brs, o, n, rows] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const pa = f.local(i32), pb = f.local(i32), i = f.local(i32);
  const asBytes = f.local(i32), bsBytes = f.local(i32);
  op.prologue?.(f);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const mask = op.bool ? f.local(v128) : -1;
  const storeVec = (u: number): void => {
    if (!op.bool) f.v128Store(16 * u);
    else t.storeBools(f, mask, t.lanes * u);
  };
  const storeScalar = (): void => {
    if (!op.bool) S.store();
    else f.i32Store8();
    f.addTo(o, op.bool ? 1 : t.bytes);
  };
  toBytes(f, t, ars);
  toBytes(f, t, brs);
  toBytes(f, t, as, asBytes);
  toBytes(f, t, bs, bsBytes);
  f.countdown(rows, () => {
    f.get(a).set(pa).get(b).set(pb);
    vectorLoops(f, t.lanes, n, i, [floatOperand(f, t, as, pa), floatOperand(f, t, bs, pb)], { p: o, step: op.bool ? t.lanes : 16 }, ([loadA, loadB], u) => {
      f.get(o);
      loadA();
      loadB();
      op.vec(f, V);
      storeVec(u);
    }, op.unroll ?? UNROLL);
    f.countdown(i, () => {
      S.get(o).get(pa).load().get(pb).load();
      op.scalar(f, S);
      storeScalar();
      f.get(pa).get(asBytes).i32Add().set(pa).get(pb).get(bsBytes).i32Add().set(pb);
    });
    f.get(a).get(ars).i32Add().set(a).get(b).get(brs).i32Add().set(b);
  });
}

/**
 * o[r * n + j] = c[r * crs + j * cs] ? a[r * ars + j * as] : b[r * brs + j * bs] for r < rows,
 * j < n, with c bytes (widened to lane masks).
 */
function whereKernel(f: Code, t: FloatType): void {
  const [c, cs, crs, a, as, ars, b, bs, brs, o, n, rows] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const pc = f.local(i32), pa = f.local(i32), pb = f.local(i32), i = f.local(i32);
  const asBytes = f.local(i32), bsBytes = f.local(i32), zero = f.local(v128);
  const S = floats(f, t.scalar);
  f.v128ConstZero().set(zero);
  toBytes(f, t, ars);
  toBytes(f, t, brs);
  toBytes(f, t, as, asBytes);
  toBytes(f, t, bs, bsBytes);
  const cond: RowOperand = {
    stride: cs, p: pc, step: t.lanes,
    vec: (offset) => t.loadBools(f.get(pc), offset, zero),
    // a byte's i32 lanes all ones or all zeros: a mask of any lane width
    splat: () => f.get(pc).i32Load8U().i32x4Splat().get(zero).i32x4Ne(),
  };
  f.countdown(rows, () => {
    f.get(c).set(pc).get(a).set(pa).get(b).set(pb);
    vectorLoops(f, t.lanes, n, i, [cond, floatOperand(f, t, as, pa), floatOperand(f, t, bs, pb)], { p: o, step: 16 }, ([loadC, loadA, loadB], u) => {
      f.get(o);
      loadA();
      loadB();
      loadC();
      f.v128Bitselect().v128Store(16 * u);
    });
    f.countdown(i, () => {
      S.get(o).get(pa).load().get(pb).load().get(pc);
      f.i32Load8U().select();
      S.store();
      f.addTo(o, t.bytes);
      f.get(pc).get(cs).i32Add().set(pc).get(pa).get(asBytes).i32Add().set(pa).get(pb).get(bsBytes).i32Add().set(pb);
    });
    f.get(c).get(crs).i32Add().set(c).get(a).get(ars).i32Add().set(a).get(b).get(brs).i32Add().set(b);
  });
}

/**
 * o[r * n + j] = clamp(x, lo, hi) at x[r * xrs + j * xs], lo[r * lrs + j * ls], hi[...] for r <
 * rows, j < n: m = pmax(x, lo) (lo where x < lo, else x), then pmin(m, hi), then NaN where lo or
 * hi is NaN.
 */
function clampKernel(f: Code, t: FloatType): void {
  const [x, xs, xrs, lo, ls, lrs, hi, hs, hrs, o, n, rows] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const px = f.local(i32), pl = f.local(i32), ph = f.local(i32), i = f.local(i32);
  const xsBytes = f.local(i32), lsBytes = f.local(i32), hsBytes = f.local(i32);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const vector = { l: V.local(), h: V.local(), m: V.local() }, scalar = { l: S.local(), h: S.local(), m: S.local() };
  // x, lo, hi on the stack -> the clamped value, for a vector or a scalar
  const body = (F: Floats, { l, h, m }: typeof vector, or: () => void): void => {
    F.set(h).set(l).get(l).pmax().get(h).pmin().set(m);
    F.const(NaN).get(m).get(l).get(l).ne().get(h).get(h).ne();
    or();
    F.select();
  };
  for (const local of [xrs, lrs, hrs]) toBytes(f, t, local);
  toBytes(f, t, xs, xsBytes);
  toBytes(f, t, ls, lsBytes);
  toBytes(f, t, hs, hsBytes);
  f.countdown(rows, () => {
    f.get(x).set(px).get(lo).set(pl).get(hi).set(ph);
    const operands = [floatOperand(f, t, xs, px), floatOperand(f, t, ls, pl), floatOperand(f, t, hs, ph)];
    vectorLoops(f, t.lanes, n, i, operands, { p: o, step: 16 }, ([loadX, loadL, loadH], u) => {
      f.get(o);
      loadX();
      loadL();
      loadH();
      body(V, vector, () => f.v128Or());
      f.v128Store(16 * u);
    });
    f.countdown(i, () => {
      S.get(o).get(px).load().get(pl).load().get(ph).load();
      body(S, scalar, () => f.i32Or());
      S.store();
      f.addTo(o, t.bytes);
      f.get(px).get(xsBytes).i32Add().set(px).get(pl).get(lsBytes).i32Add().set(pl).get(ph).get(hsBytes).i32Add().set(ph);
    });
    f.get(x).get(xrs).i32Add().set(x).get(lo).get(lrs).i32Add().set(lo).get(hi).get(hrs).i32Add().set(hi);
  });
}

/** o[r * n + j] = op(x[r * xrs + j * xs]) for r < rows, j < n. */
function unaryKernel(f: Code, op: ElementOp, t: FloatType): void {
  const [x, xs, xrs, o, n, rows] = [0, 1, 2, 3, 4, 5];
  const px = f.local(i32), i = f.local(i32), xsBytes = f.local(i32);
  op.prologue?.(f);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  toBytes(f, t, xrs);
  toBytes(f, t, xs, xsBytes);
  // a stride-0 row (one value broadcast) is rare for a unary op: no splat loop, so one copy of a long op
  const operand: RowOperand = { stride: xs, p: px, step: 16, vec: (offset) => f.get(px).v128Load(offset) };
  f.countdown(rows, () => {
    f.get(x).set(px);
    vectorLoops(f, t.lanes, n, i, [operand], { p: o, step: 16 }, ([load], u) => {
      f.get(o);
      load();
      op.vec(f, V);
      f.v128Store(16 * u);
    }, op.unroll ?? UNROLL);
    f.countdown(i, () => {
      S.get(o).get(px).load();
      op.scalar(f, S);
      S.store().get(px).get(xsBytes);
      f.i32Add().set(px).addTo(o, t.bytes);
    });
    f.get(x).get(xrs).i32Add().set(x);
  });
}

/** Horizontal sum of the vector in local v onto the stack, as a scalar: lanes added in pairs, then the pairs. */
function sumLanes(f: Code, t: FloatType, v: number): void {
  const S = floats(f, t.scalar);
  for (let lane = 0; lane < t.lanes; lane += 2) {
    t.extractLane(f.get(v), lane);
    t.extractLane(f.get(v), lane + 1);
    S.add();
  }
  for (let pair = 1; pair < t.lanes / 2; pair++) S.add();
}

function dotsKernel(f: Code, t: FloatType): void {
  const [a, aStep, b, bStep, k, count, o] = [0, 1, 2, 3, 4, 5, 6];
  const pa = f.local(i32), pb = f.local(i32), i = f.local(i32), acc0 = f.local(v128), acc1 = f.local(v128);
  const tail = f.local(i32), s = f.local(ValType[t.scalar]);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  // the main loop takes two vectors of a and b per iteration
  const perIteration = 2 * t.lanes;
  toBytes(f, t, aStep);
  toBytes(f, t, bStep);
  // Short dot products (no vector part) four at a time: one sum would wait on its own adds,
  // four independent ones keep the float unit busy (a 1024 x 5 matrix-vector product).
  f.get(k).i32Const(perIteration).i32LtS().if();
  f.get(bStep).i32Eqz().if();
  shortMatvec(f, t, { a, aStep, b, k, count, o });
  f.else();
  shortDotsByFour(f, t, { a, aStep, b, bStep, k, count, o });
  f.end();
  f.end();
  f.countdown(count, () => {
    f.get(a).set(pa).get(b).set(pb);
    f.v128ConstZero().set(acc0).v128ConstZero().set(acc1);
    // two accumulators hide the add latency
    f.get(k).i32Const(Math.log2(perIteration)).i32ShrU().set(i);
    f.countdown(i, () => {
      V.get(acc0).get(pa).load().get(pb).load().mul().add().set(acc0);
      V.get(acc1).get(pa).load(16).get(pb).load(16).mul().add().set(acc1);
      f.addTo(pa, 32).addTo(pb, 32);
    });
    V.get(acc0).get(acc1).add().set(acc0);
    sumLanes(f, t, acc0);
    f.set(s);
    f.get(k).i32Const(perIteration - 1).i32And().set(tail);
    f.countdown(tail, () => {
      S.get(s).get(pa).load().get(pb).load().mul().add().set(s);
      f.addTo(pa, t.bytes).addTo(pb, t.bytes);
    });
    S.get(o).get(s).store();
    f.addTo(o, t.bytes);
    f.get(a).get(aStep).i32Add().set(a).get(b).get(bStep).i32Add().set(b);
  });
}

/**
 * Of dotsKernel's count dot products, all but count % 4 by groups of four (scalar: k is short),
 * advancing a, b and o past them and leaving the rest in count. Every argument is a local; the
 * steps are in bytes.
 */
function shortDotsByFour(f: Code, t: FloatType, { a, aStep, b, bStep, k, count, o }: Record<"a" | "aStep" | "b" | "bStep" | "k" | "count" | "o", number>): void {
  const quads = f.local(i32), i = f.local(i32);
  const pa = [0, 1, 2, 3].map(() => f.local(i32)), pb = [0, 1, 2, 3].map(() => f.local(i32));
  const S = floats(f, t.scalar);
  const sums = [0, 1, 2, 3].map(() => S.local());
  f.get(count).i32Const(2).i32ShrU().set(quads);
  f.countdown(quads, () => {
    for (let j = 0; j < 4; j++) {
      if (j === 0) f.get(a).set(pa[0]).get(b).set(pb[0]);
      else f.get(pa[j - 1]).get(aStep).i32Add().set(pa[j]).get(pb[j - 1]).get(bStep).i32Add().set(pb[j]);
      S.zero().set(sums[j]);
    }
    f.get(k).set(i);
    f.countdown(i, () => {
      for (let j = 0; j < 4; j++) {
        S.get(sums[j]).get(pa[j]).load().get(pb[j]).load().mul().add().set(sums[j]);
        f.addTo(pa[j], t.bytes).addTo(pb[j], t.bytes);
      }
    });
    for (let j = 0; j < 4; j++) S.get(o).get(sums[j]).store(t.bytes * j);
    f.addTo(o, 4 * t.bytes);
    f.get(pa[3]).get(aStep).i32Add().get(k).i32Const(t.shift).i32Shl().i32Sub().set(a);
    f.get(pb[3]).get(bStep).i32Add().get(k).i32Const(t.shift).i32Shl().i32Sub().set(b);
  });
  f.get(count).i32Const(3).i32And().set(count);
}

/**
 * shortDotsByFour's case of one shared vector b (bStep 0, a matrix-vector product): a vector's
 * worth of rows of a at a time, one in each lane, so each of b's elements (splatted once per call)
 * takes one multiply and one add per that many rows. One loop per k, each with its loads at fixed
 * offsets. Leaves count % lanes in count.
 */
function shortMatvec(f: Code, t: FloatType, { a, aStep, b, k, count, o }: Record<"a" | "aStep" | "b" | "k" | "count" | "o", number>): void {
  const groups = f.local(i32), rows = Array.from({ length: t.lanes - 1 }, () => f.local(i32)), v = f.local(v128), acc = f.local(v128);
  const maxK = 2 * t.lanes - 1;
  const w = Array.from({ length: maxK }, () => f.local(v128));
  const V = floats(f, t.vec);
  for (let i = 0; i < maxK; i++) {
    f.i32Const(i).get(k).i32LtS().if().get(b);
    t.loadSplat(f, t.bytes * i);
    f.set(w[i]).end();
  }
  f.get(count).i32Const(Math.log2(t.lanes)).i32ShrU().set(groups);
  for (let K = 0; K <= maxK; K++) {
    f.get(k).i32Const(K).i32Eq().if();
    f.countdown(groups, () => {
      rows.forEach((r, j) => f.get(j === 0 ? a : rows[j - 1]).get(aStep).i32Add().set(r));
      f.v128ConstZero().set(acc);
      for (let i = 0; i < K; i++) {
        t.loadZero(f.get(a), t.bytes * i);
        f.set(v);
        rows.forEach((r, j) => { t.loadLane(f.get(r).get(v), j + 1, t.bytes * i); f.set(v); });
        V.get(acc).get(v).get(w[i]).mul().add().set(acc);
      }
      f.get(o).get(acc).v128Store().addTo(o, 16);
      f.get(rows[t.lanes - 2]).get(aStep).i32Add().set(a);
    });
    f.end();
  }
  f.get(count).i32Const(t.lanes - 1).i32And().set(count);
}

/**
 * Sums in float64 (float32 elements widened): four partial sums (two f64x2 accumulators) over a
 * row, added at the end, so a float64 row's rounding error grows as n/4 rather than the n of a
 * sum in order (the js backend's); columns add each column's rows in order, as js does.
 */
function sumRowsKernel(f: Code, t: FloatType): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), i = f.local(i32), acc0 = f.local(v128), acc1 = f.local(v128), s = f.local(f64);
  // acc += two elements `offset` bytes past p, widened to float64
  const addPair = (acc: number, offset: number): void => { f.get(acc).get(p); t.pairF64(f, offset); f.f64x2Add().set(acc); };
  toBytes(f, t, step);
  f.countdown(count, () => {
    f.get(x).set(p).v128ConstZero().set(acc0).v128ConstZero().set(acc1);
    f.get(n).i32Const(2).i32ShrU().set(i);
    f.countdown(i, () => {
      addPair(acc0, 0);
      addPair(acc1, 2 * t.bytes);
      f.addTo(p, 4 * t.bytes);
    });
    f.get(acc0).get(acc1).f64x2Add().set(acc0);
    f.get(acc0).f64x2ExtractLane(0).get(acc0).f64x2ExtractLane(1).f64Add().set(s);
    f.get(n).i32Const(3).i32And().set(i);
    f.countdown(i, () => {
      f.get(s).get(p);
      t.oneF64(f, 0);
      f.f64Add().set(s);
      f.addTo(p, t.bytes);
    });
    t.storeF64(f.get(o).get(s), 0);
    f.addTo(o, t.bytes);
    f.get(x).get(step).i32Add().set(x);
  });
}

function sumColsKernel(f: Code, t: FloatType): void {
  const [x, step, rows, n, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), r = f.local(i32), j = f.local(i32), s = f.local(f64);
  // a cache line of each row at a time (16 floats or 8 doubles: four columns at a time read
  // 0.73 ns an element over 1024 x 1024 floats), then four columns, then one
  const line = 64 / t.bytes;
  const accs = Array.from({ length: line / 2 }, () => f.local(v128));
  toBytes(f, t, step);
  // `cols` columns at a time: each row adds them, as float64, into cols / 2 f64x2 accumulators
  const group = (cols: number, count: () => void): void => {
    const acc = accs.slice(0, cols / 2);
    count();
    f.set(j).countdown(j, () => {
      f.get(x).set(p).get(rows).set(r);
      for (const a of acc) f.v128ConstZero().set(a);
      f.countdown(r, () => {
        for (const [half, a] of acc.entries()) {
          f.get(a).get(p);
          t.pairF64(f, 2 * t.bytes * half);
          f.f64x2Add().set(a);
        }
        f.get(p).get(step).i32Add().set(p);
      });
      for (let lane = 0; lane < cols; lane++) t.storeF64(f.get(o).get(acc[lane >> 1]).f64x2ExtractLane(lane & 1), lane * t.bytes);
      f.addTo(o, cols * t.bytes).addTo(x, cols * t.bytes);
    });
  };
  group(line, () => f.get(n).i32Const(Math.log2(line)).i32ShrU());
  group(4, () => f.get(n).i32Const(2).i32ShrU().i32Const(line / 4 - 1).i32And());
  f.get(n).i32Const(3).i32And().set(j);
  f.countdown(j, () => {
    f.get(x).set(p).get(rows).set(r);
    f.f64Const(0).set(s);
    f.countdown(r, () => {
      f.get(s).get(p);
      t.oneF64(f, 0);
      f.f64Add().set(s);
      f.get(p).get(step).i32Add().set(p);
    });
    t.storeF64(f.get(o).get(s), 0);
    f.addTo(o, t.bytes).addTo(x, t.bytes);
  });
}

/**
 * Into the scalar local s, the max (min) of the n >= 1 elements from the local p, which is left
 * past them: t.chains vectors at a time, then one at a time, then the scalar tail. Every lane of
 * every accumulator starts from the first element, so no identity value is needed. The vectors
 * take pmax (pmin), one instruction on x86 where wasm's max is eight, and a running test for NaN;
 * then the two cases pmax gets wrong are mended: a NaN makes the result NaN, and a result of ±0
 * (pmax keeps the zero it met first where max takes +0, and min -0) is found again by the exact
 * scalar loop, a second pass over the rows whose extreme is zero.
 */
function rowExtreme(f: Code, t: FloatType, op: "max" | "min", p: number, n: number, s: number): void {
  const i = f.local(i32), start = f.local(i32), accs = Array.from({ length: t.chains }, () => f.local(v128)), acc = accs[0];
  const v = f.local(v128), nan = f.local(v128);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const pick = (): void => void V[op === "max" ? "pmax" : "pmin"]();
  const step = (width: number): void => {
    for (let k = 0; k < width; k++) {
      V.get(p).load(16 * k).set(v);
      f.get(accs[k]).get(v);
      pick();
      f.set(accs[k]);
      V.get(v).get(v).ne();
      f.get(nan).v128Or().set(nan);
    }
    f.addTo(p, 16 * width);
  };
  f.get(p).set(start);
  f.v128ConstZero().set(nan);
  S.get(p).load();
  t.splat(f);
  f.set(acc);
  if (t.chains > 1) {
    for (const other of accs.slice(1)) f.get(acc).set(other);
    f.get(n).i32Const(Math.log2(t.lanes * t.chains)).i32ShrU().set(i);
    f.countdown(i, () => step(t.chains));
    f.get(n).i32Const(Math.log2(t.lanes)).i32ShrU().i32Const(t.chains - 1).i32And().set(i);
  } else {
    f.get(n).i32Const(Math.log2(t.lanes)).i32ShrU().set(i);
  }
  f.countdown(i, () => step(1));
  for (const other of accs.slice(1)) {
    f.get(acc).get(other);
    pick();
    f.set(acc);
  }
  for (let lane = 0; lane < t.lanes; lane++) {
    t.extractLane(f.get(acc), lane);
    if (lane > 0) S[op]();
  }
  f.set(s);
  f.get(n).i32Const(t.lanes - 1).i32And().set(i);
  f.countdown(i, () => {
    S.get(s).get(p).load()[op]().set(s);
    f.addTo(p, t.bytes);
  });
  f.get(nan).v128AnyTrue().if();
  S.const(NaN).set(s);
  f.else();
  S.get(s).zero().eq();
  f.if();
  S.get(start).load().set(s);
  f.get(n).i32Const(1).i32Sub().set(i);
  f.countdown(i, () => {
    f.addTo(start, t.bytes);
    S.get(s).get(start).load()[op]().set(s);
  });
  f.end();
  f.end();
}

function extremeRowsKernel(f: Code, t: FloatType, op: "max" | "min"): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), s = f.local(ValType[t.scalar]);
  toBytes(f, t, step);
  f.countdown(count, () => {
    f.get(x).set(p);
    rowExtreme(f, t, op, p, n, s);
    floats(f.get(o).get(s), t.scalar).store();
    f.addTo(o, t.bytes);
    f.get(x).get(step).i32Add().set(x);
  });
}

/**
 * One pass along a row of n elements for the row kernels: each pointer local is set to its
 * row start (a local holding it), `vector()` runs for each vector and `scalar()` for each element
 * left, the pointers advancing past it. i counts.
 */
function rowPass(f: Code, t: FloatType, n: number, i: number, pointers: [number, number][], vector: () => void, scalar: () => void): void {
  for (const [p, start] of pointers) f.get(start).set(p);
  f.get(n).i32Const(Math.log2(t.lanes)).i32ShrU().set(i);
  f.countdown(i, () => {
    vector();
    for (const [p] of pointers) f.addTo(p, 16);
  });
  f.get(n).i32Const(t.lanes - 1).i32And().set(i);
  f.countdown(i, () => {
    scalar();
    for (const [p] of pointers) f.addTo(p, t.bytes);
  });
}

/** The scalar on the stack, splatted into the vector local v. */
function splatInto(f: Code, t: FloatType, v: number): void {
  t.splat(f);
  f.set(v);
}

/** The opening pass of the softmax-like row kernels, and what it leaves for the rest of the row. */
interface ExpSumRow {
  /** Emits, for the row at address local x: m = its max (rowExtreme's) and mv its splat, s = the sum of e = exp(x - m) in float lanes. */
  open(): void;
  /** scalar locals: the row's max and its sum of exponentials */
  m: number;
  s: number;
  /** m splatted */
  mv: number;
  /** a pass over the row: p walks x's row, q o's (each set to its row's start first) */
  pass(vector: () => void, scalar: () => void): void;
  p: number;
  q: number;
}

/**
 * Locals and code of ExpSumRow for rows of n elements at local x, storing each e into the row at
 * local o when `store` (softmax's); emits exp's prologue, so call it before the kernel's loop.
 */
function expSumRow(f: Code, t: FloatType, x: number, n: number, o: number, store: boolean): ExpSumRow {
  const exp = unaryOpAt("exp", t);
  const p = f.local(i32), q = f.local(i32), i = f.local(i32);
  const m = f.local(ValType[t.scalar]), s = f.local(ValType[t.scalar]), e = f.local(ValType[t.scalar]);
  const mv = f.local(v128), acc = f.local(v128), v = f.local(v128);
  exp.prologue?.(f);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const pass = (vector: () => void, scalar: () => void): void => rowPass(f, t, n, i, [[p, x], [q, o]], vector, scalar);
  const open = (): void => {
    f.get(x).set(p);
    rowExtreme(f, t, "max", p, n, m);
    S.get(m);
    splatInto(f, t, mv);
    f.v128ConstZero().set(acc);
    S.zero().set(s);
    // e is stored at q (pushed first, under the value)
    pass(() => {
      if (store) f.get(q);
      V.get(p).load().get(mv).sub();
      exp.vec(f, V);
      if (store) V.tee(v).store().get(v);
      V.get(acc).add().set(acc);
    }, () => {
      if (store) f.get(q);
      S.get(p).load().get(m).sub();
      exp.scalar(f, S);
      if (store) S.tee(e).store().get(e);
      S.get(s).add().set(s);
    });
    sumLanes(f, t, acc);
    S.get(s).add().set(s);
  };
  return { open, m, s, mv, pass, p, q };
}

/**
 * softmax, or logSoftmax, of rows: per row m and s (expSumRow's, which stores e for softmax),
 * then softmax e * (1 / s), logSoftmax (x - m) - log s. A row with a NaN or an infinite max
 * comes out NaN through its sum, as from the ops this fuses.
 */
function softmaxRowsKernel(f: Code, t: FloatType, log: boolean): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const ln = unaryOpAt("log", t);
  const c = f.local(v128);
  const { open, m, s, mv, pass, p, q } = expSumRow(f, t, x, n, o, !log);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  toBytes(f, t, step);
  f.countdown(count, () => {
    open();
    if (log) {
      // (x - m) - log s, rounded as the two subtractions of the ops
      S.get(s);
      ln.scalar(f, S);
      S.tee(s);
      splatInto(f, t, c);
      pass(() => void V.get(q).get(p).load().get(mv).sub().get(c).sub().store(), () => void S.get(q).get(p).load().get(m).sub().get(s).sub().store());
    } else {
      S.const(1).get(s).div().tee(s);
      splatInto(f, t, c);
      pass(() => void V.get(q).get(q).load().get(c).mul().store(), () => void S.get(q).get(q).load().get(s).mul().store());
    }
    f.get(x).get(step).i32Add().set(x);
    f.get(q).set(o);
  });
}

/** Pushes the address of element `index` of the row at local `row`, the index an int32 at the address in local `at`. */
function indexedAddress(f: Code, t: FloatType, row: number, at: number): void {
  f.get(row).get(at).i32Load().i32Const(t.shift).i32Shl().i32Add();
}

/**
 * crossEntropy's forward: logSoftmax of each row at x picked at its class index, an int32 at idx
 * (idxStep apart), into o (one float per row): (x[index] - m) - log s, rounded as logSoftmax's.
 */
function logSoftmaxGatherRowsKernel(f: Code, t: FloatType): void {
  const [x, step, n, count, idx, idxStep, o] = [0, 1, 2, 3, 4, 5, 6];
  const ln = unaryOpAt("log", t);
  const { open, m, s } = expSumRow(f, t, x, n, o, false);
  const S = floats(f, t.scalar);
  toBytes(f, t, step);
  f.get(idxStep).i32Const(2).i32Shl().set(idxStep);
  f.countdown(count, () => {
    open();
    f.get(o);
    indexedAddress(f, t, x, idx);
    S.load().get(m).sub().get(s);
    ln.scalar(f, S);
    S.sub().store();
    f.addTo(o, t.bytes);
    f.get(idx).get(idxStep).i32Add().set(idx);
    f.get(x).get(step).i32Add().set(x);
  });
}

/**
 * Its vjp for cotangents g (one per row, gStep apart): g (onehot(index) - softmax(x)) per row, into
 * rows of n at o: softmax's e = exp(x - m) stored and summed (expSumRow), scaled by -(g (1 / s)),
 * then g added at the index. The row's max and sum are found again rather than passed from the
 * forward: the row is in cache by then, and softmax from a logsumexp the forward gave back would
 * round at the logits' magnitude where x - m rounds at their differences'.
 */
function logSoftmaxGatherBackwardRowsKernel(f: Code, t: FloatType): void {
  const [g, gStep, x, step, n, count, idx, idxStep, o] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const c = f.local(v128), a = f.local(i32);
  const { open, s, pass, q } = expSumRow(f, t, x, n, o, true);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  for (const local of [gStep, step]) toBytes(f, t, local);
  f.get(idxStep).i32Const(2).i32Shl().set(idxStep);
  f.countdown(count, () => {
    open();
    S.get(g).load().const(1).get(s).div().mul().neg().tee(s);
    splatInto(f, t, c);
    pass(() => void V.get(q).get(q).load().get(c).mul().store(), () => void S.get(q).get(q).load().get(s).mul().store());
    indexedAddress(f, t, o, idx);
    f.tee(a);
    S.get(a).load().get(g).load().add().store();
    for (const [at, by] of [[g, gStep], [x, step], [idx, idxStep]]) f.get(at).get(by).i32Add().set(at);
    f.get(q).set(o);
  });
}

/**
 * The vjp of softmax (logSoftmax) at output rows y for cotangent rows g, into rows at o: per row
 * s = sum(g y) (sum(g)) in float lanes, then y (g - s) (g - e^y s).
 */
function softmaxBackwardRowsKernel(f: Code, t: FloatType, log: boolean): void {
  const [g, gStep, y, yStep, n, count, o] = [0, 1, 2, 3, 4, 5, 6];
  const exp = unaryOpAt("exp", t);
  const pg = f.local(i32), py = f.local(i32), q = f.local(i32), i = f.local(i32);
  const s = f.local(ValType[t.scalar]), acc = f.local(v128), c = f.local(v128);
  if (log) exp.prologue?.(f);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const pass = (vector: () => void, scalar: () => void): void => rowPass(f, t, n, i, [[pg, g], [py, y], [q, o]], vector, scalar);
  toBytes(f, t, gStep);
  toBytes(f, t, yStep);
  f.countdown(count, () => {
    f.v128ConstZero().set(acc);
    S.zero().set(s);
    pass(() => {
      V.get(pg).load();
      if (!log) V.get(py).load().mul();
      V.get(acc).add().set(acc);
    }, () => {
      S.get(pg).load();
      if (!log) S.get(py).load().mul();
      S.get(s).add().set(s);
    });
    sumLanes(f, t, acc);
    S.get(s).add().tee(s);
    splatInto(f, t, c);
    if (log) {
      pass(() => {
        f.get(q);
        V.get(pg).load().get(py).load();
        exp.vec(f, V);
        V.get(c).mul().sub().store();
      }, () => {
        f.get(q);
        S.get(pg).load().get(py).load();
        exp.scalar(f, S);
        S.get(s).mul().sub().store();
      });
    } else {
      pass(() => void V.get(q).get(py).load().get(pg).load().get(c).sub().mul().store(), () => void S.get(q).get(py).load().get(pg).load().get(s).sub().mul().store());
    }
    f.get(g).get(gStep).i32Add().set(g);
    f.get(y).get(yStep).i32Add().set(y);
    f.get(q).set(o);
  });
}

/**
 * Sets mu and r (scalar locals) and muv and rv (their splats) to the mean and 1 / sqrt(var + eps)
 * of the n elements at local x (the variance biased, by a second pass over x - mu; sums in float
 * lanes), eps being the element at address local epsAt. nf holds n as a float.
 */
function rowMoments(f: Code, t: FloatType, at: { x: number; n: number; nf: number; epsAt: number }, l: { p: number; i: number; mu: number; r: number; muv: number; rv: number }): void {
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const acc = f.local(v128), d = f.local(v128), s = S.local(), e = S.local();
  const sum = (vector: () => void, scalar: () => void): void => {
    f.v128ConstZero().set(acc);
    S.zero().set(s);
    rowPass(f, t, at.n, l.i, [[l.p, at.x]], () => { vector(); V.get(acc).add().set(acc); }, () => { scalar(); S.get(s).add().set(s); });
    sumLanes(f, t, acc);
    S.get(s).add().get(at.nf).div();
  };
  sum(() => void V.get(l.p).load(), () => void S.get(l.p).load());
  S.tee(l.mu);
  splatInto(f, t, l.muv);
  S.const(1);
  sum(() => void V.get(l.p).load().get(l.muv).sub().tee(d).get(d).mul(), () => void S.get(l.p).load().get(l.mu).sub().tee(e).get(e).mul());
  S.get(at.epsAt).load().add().sqrt().div().tee(l.r);
  splatInto(f, t, l.rv);
}

/** The float n of the i32 local n, into a new scalar local. */
function floatOf(f: Code, t: FloatType, n: number): number {
  const nf = f.local(ValType[t.scalar]);
  f.get(n);
  if (t.scalar === "f32") f.f32ConvertI32S();
  else f.f64ConvertI32S();
  f.set(nf);
  return nf;
}

/**
 * layerNorm's normalization of rows: (x - mean) r, r = 1 / sqrt(var + eps) (rowMoments); with
 * `affine`, times the row of weights w plus the row of biases b (rows steps apart, as x's), as
 * the multiply and add they fuse would round.
 */
function layerNormRowsKernel(f: Code, t: FloatType, affine: boolean): void {
  const [x, step, n, count, o, epsAt, w, wStep, b, bStep] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const p = f.local(i32), q = f.local(i32), pw = f.local(i32), pb = f.local(i32), i = f.local(i32), mu = f.local(ValType[t.scalar]), r = f.local(ValType[t.scalar]);
  const muv = f.local(v128), rv = f.local(v128);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  for (const local of affine ? [step, wStep, bStep] : [step]) toBytes(f, t, local);
  const nf = floatOf(f, t, n);
  const scaled = (L: Floats): void => void (affine ? L.get(pw).load().mul().get(pb).load().add() : L);
  f.countdown(count, () => {
    rowMoments(f, t, { x, n, nf, epsAt }, { p, i, mu, r, muv, rv });
    rowPass(f, t, n, i, [[p, x], [q, o], ...(affine ? [[pw, w], [pb, b]] as [number, number][] : [])], () => {
      V.get(q).get(p).load().get(muv).sub().get(rv).mul();
      scaled(V);
      V.store();
    }, () => {
      S.get(q).get(p).load().get(mu).sub().get(r).mul();
      scaled(S);
      S.store();
    });
    for (const [at, by] of affine ? [[x, step], [w, wStep], [b, bStep]] : [[x, step]]) f.get(at).get(by).i32Add().set(at);
    f.get(q).set(o);
  });
}

/**
 * Its vjp: per row s1 = sum(g), s2 = sum(g (x - mu)), then r (g - s1 / n - (x - mu) r^2 s2 / n);
 * with `affine`, of g w for the row of weights w (steps apart, as g's), the products made as read.
 */
function layerNormBackwardRowsKernel(f: Code, t: FloatType, affine: boolean): void {
  const [g, gStep, x, xStep, n, count, o, epsAt, w, wStep] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const pg = f.local(i32), px = f.local(i32), pw = f.local(i32), q = f.local(i32), i = f.local(i32);
  const mu = f.local(ValType[t.scalar]), r = f.local(ValType[t.scalar]), s1 = f.local(ValType[t.scalar]), s2 = f.local(ValType[t.scalar]);
  const muv = f.local(v128), rv = f.local(v128), acc1 = f.local(v128), acc2 = f.local(v128), av = f.local(v128), cv = f.local(v128);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  for (const local of affine ? [gStep, xStep, wStep] : [gStep, xStep]) toBytes(f, t, local);
  const nf = floatOf(f, t, n);
  const weighted: [number, number][] = affine ? [[pw, w]] : [];
  /** pushes g (times w) at pg (and pw) */
  const gw = (L: Floats): void => void (affine ? L.get(pg).load().get(pw).load().mul() : L.get(pg).load());
  f.countdown(count, () => {
    rowMoments(f, t, { x, n, nf, epsAt }, { p: px, i, mu, r, muv, rv });
    f.v128ConstZero().set(acc1).v128ConstZero().set(acc2);
    S.zero().set(s1).zero().set(s2);
    rowPass(f, t, n, i, [[pg, g], [px, x], ...weighted], () => {
      V.get(acc1);
      gw(V);
      V.add().set(acc1).get(acc2);
      gw(V);
      V.get(px).load().get(muv).sub().mul().add().set(acc2);
    }, () => {
      S.get(s1);
      gw(S);
      S.add().set(s1).get(s2);
      gw(S);
      S.get(px).load().get(mu).sub().mul().add().set(s2);
    });
    // a = s1 / n, c = r^2 s2 / n
    sumLanes(f, t, acc1);
    S.get(s1).add().get(nf).div().tee(s1);
    splatInto(f, t, av);
    sumLanes(f, t, acc2);
    S.get(s2).add().get(r).mul().get(r).mul().get(nf).div().tee(s2);
    splatInto(f, t, cv);
    rowPass(f, t, n, i, [[pg, g], [px, x], [q, o], ...weighted], () => {
      f.get(q);
      gw(V);
      V.get(av).sub().get(px).load().get(muv).sub().get(cv).mul().sub().get(rv).mul().store();
    }, () => {
      f.get(q);
      gw(S);
      S.get(s1).sub().get(px).load().get(mu).sub().get(s2).mul().sub().get(r).mul().store();
    });
    for (const [at, by] of affine ? [[g, gStep], [x, xStep], [w, wStep]] : [[g, gStep], [x, xStep]]) f.get(at).get(by).i32Add().set(at);
    f.get(q).set(o);
  });
}

function extremeColsKernel(f: Code, t: FloatType, op: "max" | "min"): void {
  const [x, step, rows, n, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), r = f.local(i32), j = f.local(i32), v = f.local(v128), nan = f.local(v128);
  toBytes(f, t, step);
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const pick = (): void => void V[op === "max" ? "pmax" : "pmin"]();
  // accs.length values `bytes` wide (vectors or scalars) over all rows, each from its first row,
  // so no identity value is needed, combined by `combine(acc, k)` with the row at p
  const pass = (lanes: Floats, bytes: number, accs: number[], combine: (acc: number, k: number) => void): void => {
    accs.forEach((acc, k) => lanes.get(x).load(k * bytes).set(acc));
    f.get(x).get(step).i32Add().set(p).get(rows).i32Const(1).i32Sub().set(r);
    f.countdown(r, () => {
      accs.forEach(combine);
      f.get(p).get(step).i32Add().set(p);
    });
  };
  const exact = (lanes: Floats, bytes: number) => (acc: number, k: number): void => void lanes.get(acc).get(p).load(k * bytes)[op]().set(acc);
  // `count` groups at a time. Vectors take pmax (pmin) as rowExtreme does, and a group is run
  // again exactly where it met a NaN or its extreme is ±0
  const columns = (count: () => void, bytes: number, lanes: Floats, accs: number[]): void => {
    count();
    f.set(j).countdown(j, () => {
      if (lanes === S) pass(S, bytes, accs, exact(S, bytes));
      else {
        f.v128ConstZero().set(nan);
        pass(V, bytes, accs, (acc, k) => {
          f.get(acc);
          V.get(p).load(k * bytes).tee(v);
          pick();
          f.set(acc);
          V.get(v).get(v).ne();
          f.get(nan).v128Or().set(nan);
        });
        f.get(nan);
        for (const acc of accs) {
          V.get(acc).zero().eq();
          f.v128Or();
        }
        f.v128AnyTrue().if();
        pass(V, bytes, accs, exact(V, bytes));
        f.end();
      }
      accs.forEach((acc, k) => lanes.get(o).get(acc).store(k * bytes));
      f.addTo(o, accs.length * bytes).addTo(x, accs.length * bytes);
    });
  };
  // four vectors of columns at a time (64 bytes, a cache line of each row: one vector at a time
  // took 0.75 ns an element over 1024 x 1024 floats), then one vector, then one column
  const accs = Array.from({ length: 4 }, () => V.local());
  columns(() => f.get(n).i32Const(Math.log2(t.lanes * 4)).i32ShrU(), 16, V, accs);
  columns(() => f.get(n).i32Const(Math.log2(t.lanes)).i32ShrU().i32Const(3).i32And(), 16, V, accs.slice(0, 1));
  columns(() => f.get(n).i32Const(t.lanes - 1).i32And(), t.bytes, S, [S.local()]);
}

/**
 * argmaxRows and argminRows, in two passes over each row: the extreme m as maxRows finds it
 * (NaN if any element is NaN), then the first element equal to m or NaN. == makes -0 and +0
 * tie, and when m is NaN only the NaN test can match; m is one of the elements (or one is NaN),
 * so the search always stops inside the row.
 */
function argRowsKernel(f: Code, t: FloatType, op: "max" | "min"): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const V = floats(f, t.vec), S = floats(f, t.scalar);
  const p = f.local(i32), i = f.local(i32), m = S.local(), ms = f.local(v128);
  const v = f.local(v128), s = S.local();
  toBytes(f, t, step);
  f.countdown(count, () => {
    f.get(x).set(p);
    rowExtreme(f, t, op, p, n, m);
    // pass 2, on the row now in cache: skip the vectors without a match (the break leaves p at
    // the first one that has one, or at the scalar tail), then step to the match element by element
    f.get(m);
    t.splat(f);
    f.set(ms);
    f.get(x).set(p).get(n).i32Const(Math.log2(t.lanes)).i32ShrU().set(i);
    f.block();
    f.countdown(i, () => {
      V.get(p).load().tee(v).get(ms).eq().get(v).get(v).ne();
      f.v128Or().v128AnyTrue().brIf(2);
      f.addTo(p, 16);
    });
    f.end();
    f.block().loop();
    S.get(p).load().tee(s).get(m).eq();
    f.brIf(1);
    S.get(s).get(s).ne();
    f.brIf(1);
    f.addTo(p, t.bytes).br(0);
    f.end().end();
    f.get(o).get(p).get(x).i32Sub().i32Const(t.shift).i32ShrU().i32Store().addTo(o, 4);
    f.get(x).get(step).i32Add().set(x);
  });
}

/** The instructions argColsKernel needs for a vector's columns or one column. */
interface ArgLanes {
  /** Columns at a time, and the bytes of their values. */
  width: number;
  bytes: number;
  value: ValType;
  index: ValType;
  /** Values from the address on the stack; the indices in local `index` to the address on the stack. */
  load(f: Code): void;
  store(f: Code, index: number): void;
  /** The mask (lanes of all ones, or 1) of where `v` replaces `best`: best is not NaN and not (v <= best) (>= for min). */
  takes(f: Code, v: number, best: number): void;
  /** Pops a, b, mask: a where the mask is set, else b. */
  select(f: Code): void;
  /** The index `row` (an i32 local), or 0, in every lane. */
  row(f: Code, row: number): void;
  zero(f: Code): void;
}

/** argColsKernel's vector and scalar lanes for type t, where `notBetter` (le for max, ge for min) says v does not replace best. */
const argLanes = (t: FloatType, notBetter: "le" | "ge"): [ArgLanes, ArgLanes] => [
  {
    width: t.lanes, bytes: 16, value: v128, index: v128,
    load: (f) => f.v128Load(), store: (f, index) => t.storeIndices(f, index),
    takes: (f, v, best) => { floats(f, t.vec).get(best).get(best).eq().get(v).get(best)[notBetter](); f.v128AndNot(); },
    select: (f) => f.v128Bitselect(),
    row: (f, row) => f.get(row).i32x4Splat(), zero: (f) => f.v128ConstZero(),
  },
  {
    width: 1, bytes: t.bytes, value: ValType[t.scalar], index: i32,
    load: (f) => floats(f, t.scalar).load(), store: (f, index) => f.get(index).i32Store(),
    takes: (f, v, best) => { floats(f, t.scalar).get(best).get(best).eq().get(v).get(best)[notBetter](); f.i32Eqz().i32And(); },
    select: (f) => f.select(),
    row: (f, row) => f.get(row), zero: (f) => f.i32Const(0),
  },
];

/**
 * argmaxCols and argminCols: a vector's columns at a time, then one, each keeping its best value
 * and that value's row down the rows; a NaN best is never replaced, so the first NaN wins.
 */
function argColsKernel(f: Code, t: FloatType, notBetter: "le" | "ge"): void {
  const [x, step, rows, n, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), r = f.local(i32), j = f.local(i32), row = f.local(i32);
  const [vec, scalar] = argLanes(t, notBetter);
  toBytes(f, t, step);
  const columns = (count: () => void, lanes: ArgLanes): void => {
    const best = f.local(lanes.value), v = f.local(lanes.value), index = f.local(lanes.index), take = f.local(lanes.index);
    count();
    f.set(j).countdown(j, () => {
      // start from the first row, so no identity value is needed
      f.get(x);
      lanes.load(f);
      f.set(best);
      lanes.zero(f);
      f.set(index);
      f.get(x).get(step).i32Add().set(p).i32Const(1).set(row).get(rows).i32Const(1).i32Sub().set(r);
      f.countdown(r, () => {
        f.get(p);
        lanes.load(f);
        f.set(v);
        lanes.takes(f, v, best);
        f.set(take).get(v).get(best).get(take);
        lanes.select(f);
        f.set(best);
        lanes.row(f, row);
        f.get(index).get(take);
        lanes.select(f);
        f.set(index).get(p).get(step).i32Add().set(p).addTo(row, 1);
      });
      f.get(o);
      lanes.store(f, index);
      // int32 indices out, elements in
      f.addTo(o, 4 * lanes.width).addTo(x, lanes.bytes);
    });
  };
  columns(() => f.get(n).i32Const(Math.log2(vec.width)).i32ShrU(), vec);
  columns(() => f.get(n).i32Const(vec.width - 1).i32And(), scalar);
}

/**
 * The walk shared by im2col and col2im over a convRows table: for each image (the local `image`
 * steps by imageSize) and each table row, `body` gets locals holding the byte address of the
 * row's first in-range image element (src + lo * sw), the in-range count hi - lo, lo and hi.
 */
function convRowsWalk(
  f: Code, t: FloatType, params: { images: number; imageSize: number; table: number; rows: number; sw: number },
  image: number, body: (p: number, n: number, lo: number, hi: number) => void,
): void {
  const { images, imageSize, table, rows, sw } = params;
  const r = f.local(i32), p = f.local(i32), n = f.local(i32), row = f.local(i32);
  const lo = f.local(i32), hi = f.local(i32);
  toBytes(f, t, imageSize);
  f.countdown(images, () => {
    f.get(table).set(row).get(rows).set(r);
    f.countdown(r, () => {
      f.get(row).i32Load(4).set(lo).get(row).i32Load(8).set(hi).get(hi).get(lo).i32Sub().set(n);
      // p = image + (src + lo * sw) elements
      f.get(image).get(row).i32Load().get(lo).get(sw).i32Mul().i32Add().i32Const(t.shift).i32Shl().i32Add().set(p);
      body(p, n, lo, hi);
      f.addTo(row, 12);
    });
    f.get(image).get(imageSize).i32Add().set(image);
  });
}

/**
 * One table row's n elements between an image (read or written with stride sw, swBytes in bytes)
 * and a line of columns (contiguous): line[j] = image[j * sw] for im2col, image[j * sw] += line[j]
 * for col2im (`toImage`). Both pointers advance past them; i is a scratch local.
 */
function rowCopy(f: Code, t: FloatType, image: number, line: number, n: number, sw: number, swBytes: number, i: number, toImage: boolean): void {
  const move = (x: Floats, imageStep: () => void, lineStep: number): void => {
    if (toImage) { f.get(image).get(image); x.load(); f.get(line); x.load().add().store(); }
    else { f.get(line).get(image); x.load().store(); }
    imageStep();
    f.addTo(line, lineStep);
  };
  f.get(n).set(i);
  f.get(sw).i32Const(1).i32Eq().if();
  f.get(n).i32Const(Math.log2(t.lanes)).i32ShrU().set(i);
  f.countdown(i, () => move(floats(f, t.vec), () => f.addTo(image, 16), 16));
  f.get(n).i32Const(t.lanes - 1).i32And().set(i);
  f.end();
  f.countdown(i, () => move(floats(f, t.scalar), () => f.get(image).get(swBytes).i32Add().set(image), t.bytes));
}

function im2colKernel(f: Code, t: FloatType): void {
  const [x, images, imageSize, table, rows, ow, sw, o] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = f.local(i32), swBytes = f.local(i32);
  const y = floats(f, t.scalar);
  toBytes(f, t, sw, swBytes);
  const zeros = (count: () => void): void => {
    count();
    f.set(i).countdown(i, () => { f.get(o); y.zero().store(); f.addTo(o, t.bytes); });
  };
  convRowsWalk(f, t, { images, imageSize, table, rows, sw }, x, (p, n, lo, hi) => {
    zeros(() => f.get(lo));
    rowCopy(f, t, p, o, n, sw, swBytes, i, false);
    zeros(() => f.get(ow).get(hi).i32Sub());
  });
}

function col2imKernel(f: Code, t: FloatType): void {
  const [cols, images, imageSize, table, rows, ow, sw, o] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = f.local(i32), swBytes = f.local(i32), q = f.local(i32);
  toBytes(f, t, sw, swBytes);
  convRowsWalk(f, t, { images, imageSize, table, rows, sw }, o, (p, n, lo) => {
    f.get(cols).get(lo).i32Const(t.shift).i32Shl().i32Add().set(q);
    rowCopy(f, t, p, q, n, sw, swBytes, i, true);
    f.get(cols).get(ow).i32Const(t.shift).i32Shl().i32Add().set(cols); // the next row of columns
  });
}
