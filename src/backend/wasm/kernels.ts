// Float32 SIMD kernels over the scratch memory (heap.ts), assembled at run time: elementwise ops
// (comparisons write bool bytes, where reads them), reductions and batched dot products. Every
// pointer is a byte address in the memory and every stride counts elements. Unit strides (and
// stride 0, a broadcast scalar) take the SIMD path; any other stride takes a scalar loop, as do the
// last n % 4 elements.

import { Code, ModuleBuilder, ValType } from "./assembler.js";
import { nonFiniteKernel, packColsKernel, packRowsKernel, zeroSpansKernel } from "./pack_kernels.js";
import { HOST_FUNCTIONS, TRANSCENDENTAL_BINARY_OPS, TRANSCENDENTAL_OPS } from "./transcendental.js";
import { copyPlanesKernel, winogradGradientKernel, winogradInputAdjointKernel, winogradInputKernel, winogradOutputKernel } from "./winograd_kernels.js";

const { i32, f64, v128 } = ValType;

/**
 * An elementwise op as a SIMD and a scalar instruction sequence over operands on the stack, and
 * what the kernel runs once before its loops (`prologue`, to set up constants). A `bool` op (a
 * comparison) leaves lane masks (an i32 0 or 1 for the scalar) and its kernel writes a byte each.
 */
export interface ElementOp {
  vec(f: Code): void;
  scalar(f: Code): void;
  prologue?(f: Code): void;
  bool?: true;
  /** Vectors per loop iteration (default UNROLL): 1 for long bodies, where the loop's overhead is lost anyway. */
  unroll?: number;
}

/** A comparison: its f32x4 and f32 instructions. */
const compare = (vec: (f: Code) => Code, scalar: (f: Code) => Code): ElementOp => ({ vec, scalar, bool: true });

export const BINARY_OPS = {
  add: { vec: (f) => f.f32x4Add(), scalar: (f) => f.f32Add() },
  sub: { vec: (f) => f.f32x4Sub(), scalar: (f) => f.f32Sub() },
  mul: { vec: (f) => f.f32x4Mul(), scalar: (f) => f.f32Mul() },
  div: { vec: (f) => f.f32x4Div(), scalar: (f) => f.f32Div() },
  // wasm's min and max propagate NaN, as PyTorch's maximum and minimum do
  maximum: { vec: (f) => f.f32x4Max(), scalar: (f) => f.f32Max() },
  minimum: { vec: (f) => f.f32x4Min(), scalar: (f) => f.f32Min() },
  // a & (b > 0 ? all ones : 0), and a select of a or 0
  reluBackward: {
    vec: (f) => f.v128ConstZero().f32x4Gt().v128And(),
    scalar: (f) => { const b = f.local(ValType.f32); f.set(b).f32Const(0).get(b).f32Const(0).f32Gt().select(); },
  },
  ...TRANSCENDENTAL_BINARY_OPS,
  // false wherever an operand is NaN, except ne
  eq: compare((f) => f.f32x4Eq(), (f) => f.f32Eq()),
  ne: compare((f) => f.f32x4Ne(), (f) => f.f32Ne()),
  lt: compare((f) => f.f32x4Lt(), (f) => f.f32Lt()),
  le: compare((f) => f.f32x4Le(), (f) => f.f32Le()),
  gt: compare((f) => f.f32x4Gt(), (f) => f.f32Gt()),
  ge: compare((f) => f.f32x4Ge(), (f) => f.f32Ge()),
} satisfies Record<string, ElementOp>;

export const UNARY_OPS = {
  neg: { vec: (f) => f.f32x4Neg(), scalar: (f) => f.f32Neg() },
  abs: { vec: (f) => f.f32x4Abs(), scalar: (f) => f.f32Abs() },
  sqrt: { vec: (f) => f.f32x4Sqrt(), scalar: (f) => f.f32Sqrt() },
  // x * x: the operand goes through a local to be used twice
  square: { vec: (f) => { const t = f.local(v128); f.tee(t).get(t).f32x4Mul(); }, scalar: (f) => { const t = f.local(ValType.f32); f.tee(t).get(t).f32Mul(); } },
  relu: { vec: (f) => f.v128ConstZero().f32x4Max(), scalar: (f) => f.f32Const(0).f32Max() },
  floor: { vec: (f) => f.f32x4Floor(), scalar: (f) => f.f32Floor() },
  ceil: { vec: (f) => f.f32x4Ceil(), scalar: (f) => f.f32Ceil() },
  trunc: { vec: (f) => f.f32x4Trunc(), scalar: (f) => f.f32Trunc() },
  // nearest integer, halves to even
  round: { vec: (f) => f.f32x4Nearest(), scalar: (f) => f.f32Nearest() },
  // 1 where x > 0, -1 where x < 0, else x itself (±0, NaN)
  sign: {
    vec: (f) => {
      const x = f.local(v128);
      f.set(x).f32x4Const(1).f32x4Const(-1).get(x).get(x).v128ConstZero().f32x4Lt().v128Bitselect();
      f.get(x).v128ConstZero().f32x4Gt().v128Bitselect();
    },
    scalar: (f) => {
      const x = f.local(ValType.f32);
      f.set(x).f32Const(1).f32Const(-1).get(x).get(x).f32Const(0).f32Lt().select();
      f.get(x).f32Const(0).f32Gt().select();
    },
  },
  ...TRANSCENDENTAL_OPS,
} satisfies Record<string, ElementOp>;

export type WasmBinaryOp = keyof typeof BINARY_OPS;
export type WasmUnaryOp = keyof typeof UNARY_OPS;

export interface Kernels {
  /** o[r * n + i] = op(a[r * ars + i * as], b[r * brs + i * bs]) for r < rows, i < n (bytes for a comparison) */
  binary: Record<WasmBinaryOp, (a: number, as: number, ars: number, b: number, bs: number, brs: number, o: number, n: number, rows: number) => void>;
  /** o[r * n + i] = op(x[r * xrs + i * xs]) for r < rows, i < n */
  unary: Record<WasmUnaryOp, (x: number, xs: number, xrs: number, o: number, n: number, rows: number) => void>;
  /** o[r * n + i] = c[r * crs + i * cs] ? a[...] : b[...] (strided as binary's) with c bytes, for r < rows, i < n */
  where(c: number, cs: number, crs: number, a: number, as: number, ars: number, b: number, bs: number, brs: number, o: number, n: number, rows: number): void;
  /** o[t] = sum over i < k of a[t * aStep + i] * b[t * bStep + i], for t < count */
  dots(a: number, aStep: number, b: number, bStep: number, k: number, count: number, o: number): void;
  /** o[t] = sum over i < n of x[t * step + i], accumulated in float64, for t < count */
  sumRows(x: number, step: number, n: number, count: number, o: number): void;
  /** o[j] = sum over r < rows of x[r * step + j], accumulated in float64, for j < n */
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
  /**
   * im2col of `images` images of imageSize floats at x, by a convRows table of `rows` [src, lo,
   * hi] triples at `table`: per image and table row, ow columns at o (src read with stride sw).
   */
  im2col(x: number, images: number, imageSize: number, table: number, rows: number, ow: number, sw: number, o: number): void;
  /** Its transpose: adds each row of columns at cols into the images at o (zeroed by the caller). */
  col2im(cols: number, images: number, imageSize: number, table: number, rows: number, ow: number, sw: number, o: number): void;
  /** The gemm's packing of staged rows and of staged columns into panels (pack_kernels.ts; packRows also transposes for transpose.ts). */
  packRows(src: number, ld: number, groups: number, kc: number, dst: number, panelBytes: number, shift: number, step: number): void;
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

/** The whole kernel module. */
export function buildKernels(): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder();
  for (const [name, op] of Object.entries(BINARY_OPS)) binaryKernel(mod.func(`binary_${name}`, [i32, i32, i32, i32, i32, i32, i32, i32, i32]), op);
  for (const [name, op] of Object.entries(UNARY_OPS)) unaryKernel(mod.func(`unary_${name}`, [i32, i32, i32, i32, i32, i32]), op);
  whereKernel(mod.func("where", [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]));
  dotsKernel(mod.func("dots", [i32, i32, i32, i32, i32, i32, i32]));
  sumRowsKernel(mod.func("sumRows", [i32, i32, i32, i32, i32]));
  sumColsKernel(mod.func("sumCols", [i32, i32, i32, i32, i32]));
  extremeRowsKernel(mod.func("maxRows", [i32, i32, i32, i32, i32]), (f) => f.f32x4Max(), (f) => f.f32Max());
  extremeRowsKernel(mod.func("minRows", [i32, i32, i32, i32, i32]), (f) => f.f32x4Min(), (f) => f.f32Min());
  extremeColsKernel(mod.func("maxCols", [i32, i32, i32, i32, i32]), (f) => f.f32x4Max(), (f) => f.f32Max());
  extremeColsKernel(mod.func("minCols", [i32, i32, i32, i32, i32]), (f) => f.f32x4Min(), (f) => f.f32Min());
  argRowsKernel(mod.func("argmaxRows", [i32, i32, i32, i32, i32]), (f) => f.f32x4Max(), (f) => f.f32Max());
  argRowsKernel(mod.func("argminRows", [i32, i32, i32, i32, i32]), (f) => f.f32x4Min(), (f) => f.f32Min());
  argColsKernel(mod.func("argmaxCols", [i32, i32, i32, i32, i32]), ARG_MAX);
  argColsKernel(mod.func("argminCols", [i32, i32, i32, i32, i32]), ARG_MIN);
  im2colKernel(mod.func("im2col", [i32, i32, i32, i32, i32, i32, i32, i32]));
  col2imKernel(mod.func("col2im", [i32, i32, i32, i32, i32, i32, i32, i32]));
  packRowsKernel(mod.func("packRows", [i32, i32, i32, i32, i32, i32, i32, i32]));
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
  return mod.encode();
}

/** The imports of the kernel module: the scratch memory and the host functions its code calls. */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, ...HOST_FUNCTIONS } };
}

export function kernelsFrom(instance: WebAssembly.Instance): Kernels {
  const e = instance.exports as Record<string, never>;
  const pick = <K extends string>(prefix: string, names: K[]) =>
    Object.fromEntries(names.map((n) => [n, e[`${prefix}_${n}`]])) as Record<K, never>;
  return {
    binary: pick("binary", Object.keys(BINARY_OPS) as WasmBinaryOp[]),
    unary: pick("unary", Object.keys(UNARY_OPS) as WasmUnaryOp[]),
    where: e.where, dots: e.dots, sumRows: e.sumRows, sumCols: e.sumCols, maxRows: e.maxRows, minRows: e.minRows,
    maxCols: e.maxCols, minCols: e.minCols, argmaxRows: e.argmaxRows, argminRows: e.argminRows, argmaxCols: e.argmaxCols, argminCols: e.argminCols,
    im2col: e.im2col, col2im: e.col2im, packRows: e.packRows, packCols: e.packCols, zeroSpans4: e.zeroSpans4, zeroSpans8: e.zeroSpans8, zeroSpansF64: e.zeroSpansF64,
    nonFinite: e.nonFinite, nonFiniteF64: e.nonFiniteF64,
    copyPlanes: e.copyPlanes, winogradInput: e.winogradInput, winogradOutput: e.winogradOutput, winogradGradient: e.winogradGradient,
    winogradInputAdjoint: e.winogradInputAdjoint,
  };
}

/** An operand of an elementwise kernel's rows, as vectorLoops reads it. */
interface RowOperand {
  /** The local holding its stride along a row, in elements. */
  stride: number;
  /** The local holding its pointer, advanced by `step` bytes per vector. */
  p: number;
  step: number;
  /** The four elements `offset` bytes past p (or a condition's lane masks) onto the stack. */
  vec(offset: number): void;
  /** The element at p broadcast to four lanes, for stride 0; without it, stride 0 takes the scalar loop. */
  splat?(): void;
}

/** Vectors per iteration of an elementwise kernel's main loop: fewer pointer updates and branches per store. */
const UNROLL = 4;

/**
 * The vector part of a row of n elements: one loop per combination of the operands' strides, each
 * operand read by vector loads (stride 1) or as a splat made once per row (stride 0); any other
 * stride leaves the whole row to the scalar loop. `body(loads, u)` gets one loader per operand
 * and stores the u-th vector of an iteration (u < unroll) at `u * out.step` bytes past out.p;
 * the loop then advances every pointer. Sets i to the elements left for the scalar loop.
 */
function vectorLoops(
  f: Code, n: number, i: number, operands: RowOperand[], out: { p: number; step: number },
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
    // unroll vectors at a time, then one at a time: n / 4 vectors in all
    const shift = Math.log2(4 * unroll);
    f.get(n).i32Const(shift).i32ShrU().set(i);
    f.countdown(i, () => pass(loads, steps, unroll));
    if (unroll > 1) {
      f.get(n).i32Const(2).i32ShrU().i32Const(unroll - 1).i32And().set(i);
      f.countdown(i, () => pass(loads, steps, 1));
    }
    f.get(n).i32Const(3).i32And().set(i);
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

/** A float operand: vector loads, or a splat of one float. */
const floatOperand = (f: Code, stride: number, p: number): RowOperand =>
  ({ stride, p, step: 16, vec: (offset) => f.get(p).v128Load(offset), splat: () => f.get(p).f32Load().f32x4Splat() });

/**
 * o[r * n + j] = op(a[r * ars + j * as], b[r * brs + j * bs]) for r < rows, j < n: a plane per
 * call, so short rows (an outer product's, a broadcast bias's) do not pay a call each. o holds
 * floats, or bytes for a bool op.
 */
function binaryKernel(f: Code, op: ElementOp): void {
  const [a, as, ars, b, bs, brs, o, n, rows] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const pa = f.local(i32), pb = f.local(i32), i = f.local(i32);
  const asBytes = f.local(i32), bsBytes = f.local(i32);
  op.prologue?.(f);
  // four lane masks (all ones) to four bytes of 1: negated to 1, narrowed twice, lane 0 stored
  const mask = op.bool ? f.local(v128) : -1;
  const storeVec = (u: number): void => {
    if (!op.bool) f.v128Store(16 * u);
    else f.i32x4Neg().tee(mask).get(mask).i16x8NarrowI32x4U().tee(mask).get(mask).i8x16NarrowI16x8U().v128Store32Lane(0, 4 * u);
  };
  const storeScalar = (): void => {
    if (!op.bool) f.f32Store().addTo(o, 4);
    else f.i32Store8().addTo(o, 1);
  };
  f.get(ars).i32Const(2).i32Shl().set(ars).get(brs).i32Const(2).i32Shl().set(brs);
  f.get(as).i32Const(2).i32Shl().set(asBytes).get(bs).i32Const(2).i32Shl().set(bsBytes);
  f.countdown(rows, () => {
    f.get(a).set(pa).get(b).set(pb);
    vectorLoops(f, n, i, [floatOperand(f, as, pa), floatOperand(f, bs, pb)], { p: o, step: op.bool ? 4 : 16 }, ([loadA, loadB], u) => {
      f.get(o);
      loadA();
      loadB();
      op.vec(f);
      storeVec(u);
    }, op.unroll ?? UNROLL);
    f.countdown(i, () => {
      f.get(o).get(pa).f32Load().get(pb).f32Load();
      op.scalar(f);
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
function whereKernel(f: Code): void {
  const [c, cs, crs, a, as, ars, b, bs, brs, o, n, rows] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const pc = f.local(i32), pa = f.local(i32), pb = f.local(i32), i = f.local(i32);
  const asBytes = f.local(i32), bsBytes = f.local(i32), zero = f.local(v128);
  f.v128ConstZero().set(zero);
  f.get(ars).i32Const(2).i32Shl().set(ars).get(brs).i32Const(2).i32Shl().set(brs);
  f.get(as).i32Const(2).i32Shl().set(asBytes).get(bs).i32Const(2).i32Shl().set(bsBytes);
  const cond: RowOperand = {
    stride: cs, p: pc, step: 4,
    vec: (offset) => f.get(pc).v128Load32Zero(offset).i16x8ExtendLowI8x16U().i32x4ExtendLowI16x8U().get(zero).i32x4Ne(),
    splat: () => f.get(pc).i32Load8U().i32x4Splat().get(zero).i32x4Ne(),
  };
  f.countdown(rows, () => {
    f.get(c).set(pc).get(a).set(pa).get(b).set(pb);
    vectorLoops(f, n, i, [cond, floatOperand(f, as, pa), floatOperand(f, bs, pb)], { p: o, step: 16 }, ([loadC, loadA, loadB], u) => {
      f.get(o);
      loadA();
      loadB();
      loadC();
      f.v128Bitselect().v128Store(16 * u);
    });
    f.countdown(i, () => {
      f.get(o).get(pa).f32Load().get(pb).f32Load().get(pc).i32Load8U().select().f32Store().addTo(o, 4);
      f.get(pc).get(cs).i32Add().set(pc).get(pa).get(asBytes).i32Add().set(pa).get(pb).get(bsBytes).i32Add().set(pb);
    });
    f.get(c).get(crs).i32Add().set(c).get(a).get(ars).i32Add().set(a).get(b).get(brs).i32Add().set(b);
  });
}

/** o[r * n + j] = op(x[r * xrs + j * xs]) for r < rows, j < n. */
function unaryKernel(f: Code, op: ElementOp): void {
  const [x, xs, xrs, o, n, rows] = [0, 1, 2, 3, 4, 5];
  const px = f.local(i32), i = f.local(i32), xsBytes = f.local(i32);
  op.prologue?.(f);
  f.get(xrs).i32Const(2).i32Shl().set(xrs).get(xs).i32Const(2).i32Shl().set(xsBytes);
  // a stride-0 row (one value broadcast) is rare for a unary op: no splat loop, so one copy of a long op
  const operand: RowOperand = { stride: xs, p: px, step: 16, vec: (offset) => f.get(px).v128Load(offset) };
  f.countdown(rows, () => {
    f.get(x).set(px);
    vectorLoops(f, n, i, [operand], { p: o, step: 16 }, ([load], u) => {
      f.get(o);
      load();
      op.vec(f);
      f.v128Store(16 * u);
    }, op.unroll ?? UNROLL);
    f.countdown(i, () => {
      f.get(o).get(px).f32Load();
      op.scalar(f);
      f.f32Store().get(px).get(xsBytes).i32Add().set(px).addTo(o, 4);
    });
    f.get(x).get(xrs).i32Add().set(x);
  });
}

/** Horizontal sum of an f32x4 onto the stack as f32. */
function sumLanes(f: Code, v: number): void {
  f.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).f32Add();
  f.get(v).f32x4ExtractLane(2).get(v).f32x4ExtractLane(3).f32Add().f32Add();
}

function dotsKernel(f: Code): void {
  const [a, aStep, b, bStep, k, count, o] = [0, 1, 2, 3, 4, 5, 6];
  const pa = f.local(i32), pb = f.local(i32), i = f.local(i32), acc0 = f.local(v128), acc1 = f.local(v128);
  const tail = f.local(i32), s = f.local(ValType.f32);
  f.get(aStep).i32Const(2).i32Shl().set(aStep).get(bStep).i32Const(2).i32Shl().set(bStep);
  // Short dot products (k < 8: no vector part) four at a time: one sum would wait on its own
  // adds, four independent ones keep the float unit busy (a 1024 x 5 matrix-vector product).
  f.get(k).i32Const(8).i32LtS().if();
  f.get(bStep).i32Eqz().if();
  shortMatvecByFour(f, { a, aStep, b, k, count, o });
  f.else();
  shortDotsByFour(f, { a, aStep, b, bStep, k, count, o });
  f.end();
  f.end();
  f.countdown(count, () => {
    f.get(a).set(pa).get(b).set(pb);
    f.v128ConstZero().set(acc0).v128ConstZero().set(acc1);
    // two accumulators hide the add latency
    f.get(k).i32Const(3).i32ShrU().set(i);
    f.countdown(i, () => {
      f.get(acc0).get(pa).v128Load().get(pb).v128Load().f32x4Mul().f32x4Add().set(acc0);
      f.get(acc1).get(pa).v128Load(16).get(pb).v128Load(16).f32x4Mul().f32x4Add().set(acc1);
      f.addTo(pa, 32).addTo(pb, 32);
    });
    f.get(acc0).get(acc1).f32x4Add().set(acc0);
    sumLanes(f, acc0);
    f.set(s);
    f.get(k).i32Const(7).i32And().set(tail);
    f.countdown(tail, () => {
      f.get(s).get(pa).f32Load().get(pb).f32Load().f32Mul().f32Add().set(s);
      f.addTo(pa, 4).addTo(pb, 4);
    });
    f.get(o).get(s).f32Store();
    f.addTo(o, 4);
    f.get(a).get(aStep).i32Add().set(a).get(b).get(bStep).i32Add().set(b);
  });
}

/**
 * Of dotsKernel's count dot products, all but count % 4 by groups of four (scalar: k is short),
 * advancing a, b and o past them and leaving the rest in count. Every argument is a local; the
 * steps are in bytes.
 */
function shortDotsByFour(f: Code, { a, aStep, b, bStep, k, count, o }: Record<"a" | "aStep" | "b" | "bStep" | "k" | "count" | "o", number>): void {
  const quads = f.local(i32), i = f.local(i32);
  const pa = [0, 1, 2, 3].map(() => f.local(i32)), pb = [0, 1, 2, 3].map(() => f.local(i32));
  const sums = [0, 1, 2, 3].map(() => f.local(ValType.f32));
  f.get(count).i32Const(2).i32ShrU().set(quads);
  f.countdown(quads, () => {
    for (let j = 0; j < 4; j++) {
      if (j === 0) f.get(a).set(pa[0]).get(b).set(pb[0]);
      else f.get(pa[j - 1]).get(aStep).i32Add().set(pa[j]).get(pb[j - 1]).get(bStep).i32Add().set(pb[j]);
      f.f32Const(0).set(sums[j]);
    }
    f.get(k).set(i);
    f.countdown(i, () => {
      for (let j = 0; j < 4; j++) {
        f.get(sums[j]).get(pa[j]).f32Load().get(pb[j]).f32Load().f32Mul().f32Add().set(sums[j]);
        f.addTo(pa[j], 4).addTo(pb[j], 4);
      }
    });
    for (let j = 0; j < 4; j++) f.get(o).get(sums[j]).f32Store(4 * j);
    f.addTo(o, 16);
    f.get(pa[3]).get(aStep).i32Add().get(k).i32Const(2).i32Shl().i32Sub().set(a);
    f.get(pb[3]).get(bStep).i32Add().get(k).i32Const(2).i32Shl().i32Sub().set(b);
  });
  f.get(count).i32Const(3).i32And().set(count);
}

/**
 * shortDotsByFour's case of one shared vector b (bStep 0, a matrix-vector product): four rows of
 * a at a time in the lanes of one vector, so each of b's floats (splatted once per call) takes
 * one multiply and one add per four rows. One loop per k, each with its loads at fixed offsets.
 */
function shortMatvecByFour(f: Code, { a, aStep, b, k, count, o }: Record<"a" | "aStep" | "b" | "k" | "count" | "o", number>): void {
  const quads = f.local(i32), rows = [1, 2, 3].map(() => f.local(i32)), v = f.local(v128), acc = f.local(v128);
  const w = Array.from({ length: 7 }, () => f.local(v128));
  for (let i = 0; i < 7; i++) f.i32Const(i).get(k).i32LtS().if().get(b).v128Load32Splat(4 * i).set(w[i]).end();
  f.get(count).i32Const(2).i32ShrU().set(quads);
  for (let K = 0; K < 8; K++) {
    f.get(k).i32Const(K).i32Eq().if();
    f.countdown(quads, () => {
      rows.forEach((r, j) => f.get(j === 0 ? a : rows[j - 1]).get(aStep).i32Add().set(r));
      f.v128ConstZero().set(acc);
      for (let i = 0; i < K; i++) {
        f.get(a).v128Load32Zero(4 * i).set(v);
        rows.forEach((r, j) => f.get(r).get(v).v128Load32Lane(j + 1, 4 * i).set(v));
        f.get(acc).get(v).get(w[i]).f32x4Mul().f32x4Add().set(acc);
      }
      f.get(o).get(acc).v128Store().addTo(o, 16);
      f.get(rows[2]).get(aStep).i32Add().set(a);
    });
    f.end();
  }
  f.get(count).i32Const(3).i32And().set(count);
}

/** acc += the two floats at p, widened to float64 */
function addPairF64(f: Code, acc: number, p: number, offset: number): void {
  f.get(acc).get(p).v128Load64Zero(offset).f64x2PromoteLowF32x4().f64x2Add().set(acc);
}

function sumRowsKernel(f: Code): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), i = f.local(i32), acc0 = f.local(v128), acc1 = f.local(v128), s = f.local(f64);
  f.get(step).i32Const(2).i32Shl().set(step);
  f.countdown(count, () => {
    f.get(x).set(p).v128ConstZero().set(acc0).v128ConstZero().set(acc1);
    f.get(n).i32Const(2).i32ShrU().set(i);
    f.countdown(i, () => {
      addPairF64(f, acc0, p, 0);
      addPairF64(f, acc1, p, 8);
      f.addTo(p, 16);
    });
    f.get(acc0).get(acc1).f64x2Add().set(acc0);
    f.get(acc0).f64x2ExtractLane(0).get(acc0).f64x2ExtractLane(1).f64Add().set(s);
    f.get(n).i32Const(3).i32And().set(i);
    f.countdown(i, () => {
      f.get(s).get(p).f32Load().f64PromoteF32().f64Add().set(s);
      f.addTo(p, 4);
    });
    f.get(o).get(s).f32DemoteF64().f32Store().addTo(o, 4);
    f.get(x).get(step).i32Add().set(x);
  });
}

function sumColsKernel(f: Code): void {
  const [x, step, rows, n, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), r = f.local(i32), j = f.local(i32), s = f.local(f64);
  const acc = [f.local(v128), f.local(v128)];
  f.get(step).i32Const(2).i32Shl().set(step);
  // four columns at a time: each row adds one f32x4, widened into two f64x2 accumulators
  f.get(n).i32Const(2).i32ShrU().set(j);
  f.countdown(j, () => {
    f.get(x).set(p).get(rows).set(r);
    f.v128ConstZero().set(acc[0]).v128ConstZero().set(acc[1]);
    f.countdown(r, () => {
      addPairF64(f, acc[0], p, 0);
      addPairF64(f, acc[1], p, 8);
      f.get(p).get(step).i32Add().set(p);
    });
    for (let lane = 0; lane < 4; lane++) {
      f.get(o).get(acc[lane >> 1]).f64x2ExtractLane(lane & 1).f32DemoteF64().f32Store(lane * 4);
    }
    f.addTo(o, 16).addTo(x, 16);
  });
  f.get(n).i32Const(3).i32And().set(j);
  f.countdown(j, () => {
    f.get(x).set(p).get(rows).set(r);
    f.f64Const(0).set(s);
    f.countdown(r, () => {
      f.get(s).get(p).f32Load().f64PromoteF32().f64Add().set(s);
      f.get(p).get(step).i32Add().set(p);
    });
    f.get(o).get(s).f32DemoteF64().f32Store().addTo(o, 4).addTo(x, 4);
  });
}

/**
 * Into the f32 local s, the max (min) of the n >= 1 floats from the local p, which is left past
 * them. Every lane starts from the first element, so no identity value is needed.
 */
function rowExtreme(f: Code, vec: (f: Code) => void, scalar: (f: Code) => void, p: number, n: number, s: number): void {
  const i = f.local(i32), acc = f.local(v128);
  f.get(p).f32Load().f32x4Splat().set(acc);
  f.get(n).i32Const(2).i32ShrU().set(i);
  f.countdown(i, () => {
    f.get(acc).get(p).v128Load();
    vec(f);
    f.set(acc).addTo(p, 16);
  });
  f.get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1);
  scalar(f);
  f.get(acc).f32x4ExtractLane(2);
  scalar(f);
  f.get(acc).f32x4ExtractLane(3);
  scalar(f);
  f.set(s);
  f.get(n).i32Const(3).i32And().set(i);
  f.countdown(i, () => {
    f.get(s).get(p).f32Load();
    scalar(f);
    f.set(s).addTo(p, 4);
  });
}

function extremeRowsKernel(f: Code, vec: (f: Code) => void, scalar: (f: Code) => void): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), s = f.local(ValType.f32);
  f.get(step).i32Const(2).i32Shl().set(step);
  f.countdown(count, () => {
    f.get(x).set(p);
    rowExtreme(f, vec, scalar, p, n, s);
    f.get(o).get(s).f32Store().addTo(o, 4);
    f.get(x).get(step).i32Add().set(x);
  });
}

function extremeColsKernel(f: Code, vec: (f: Code) => void, scalar: (f: Code) => void): void {
  const [x, step, rows, n, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), r = f.local(i32), j = f.local(i32);
  f.get(step).i32Const(2).i32Shl().set(step);
  // `count` columns `bytes` wide at a time, each from its first row, so no identity value is needed
  const columns = (count: () => void, bytes: number, load: () => void, store: () => void, op: (f: Code) => void, acc: number): void => {
    count();
    f.set(j).countdown(j, () => {
      f.get(x);
      load();
      f.set(acc).get(x).get(step).i32Add().set(p).get(rows).i32Const(1).i32Sub().set(r);
      f.countdown(r, () => {
        f.get(acc).get(p);
        load();
        op(f);
        f.set(acc).get(p).get(step).i32Add().set(p);
      });
      f.get(o).get(acc);
      store();
      f.addTo(o, bytes).addTo(x, bytes);
    });
  };
  columns(() => f.get(n).i32Const(2).i32ShrU(), 16, () => f.v128Load(), () => f.v128Store(), vec, f.local(v128));
  columns(() => f.get(n).i32Const(3).i32And(), 4, () => f.f32Load(), () => f.f32Store(), scalar, f.local(ValType.f32));
}

/**
 * argmaxRows and argminRows, in two passes over each row: the extreme m as maxRows finds it
 * (NaN if any element is NaN), then the first element equal to m or NaN. == makes -0 and +0
 * tie, and when m is NaN only the NaN test can match; m is one of the elements (or one is NaN),
 * so the search always stops inside the row.
 */
function argRowsKernel(f: Code, vec: (f: Code) => void, scalar: (f: Code) => void): void {
  const [x, step, n, count, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), i = f.local(i32), m = f.local(ValType.f32), ms = f.local(v128);
  const v = f.local(v128), s = f.local(ValType.f32);
  f.get(step).i32Const(2).i32Shl().set(step);
  f.countdown(count, () => {
    f.get(x).set(p);
    rowExtreme(f, vec, scalar, p, n, m);
    // pass 2, on the row now in cache: skip the vectors without a match (the break leaves p at
    // the first one that has one, or at the scalar tail), then step to the match element by element
    f.get(m).f32x4Splat().set(ms);
    f.get(x).set(p).get(n).i32Const(2).i32ShrU().set(i);
    f.block();
    f.countdown(i, () => {
      f.get(p).v128Load().tee(v).get(ms).f32x4Eq().get(v).get(v).f32x4Ne().v128Or().v128AnyTrue().brIf(2);
      f.addTo(p, 16);
    });
    f.end();
    f.block().loop();
    f.get(p).f32Load().tee(s).get(m).f32Eq().brIf(1);
    f.get(s).get(s).f32Ne().brIf(1);
    f.addTo(p, 4).br(0);
    f.end().end();
    f.get(o).get(p).get(x).i32Sub().i32Const(2).i32ShrU().i32Store().addTo(o, 4);
    f.get(x).get(step).i32Add().set(x);
  });
}

/** The instructions argColsKernel needs for one column (scalar) or four (vector). */
interface ArgLanes {
  value: ValType;
  index: ValType;
  /** Values from the address on the stack; the indices to the address and index on the stack. */
  load(f: Code): void;
  store(f: Code): void;
  /** The mask (lanes of all ones, or 1) of where `v` replaces `best`: best is not NaN and not (v <= best) (>= for min). */
  takes(f: Code, v: number, best: number): void;
  /** Pops a, b, mask: a where the mask is set, else b. */
  select(f: Code): void;
  /** The index `row` (an i32 local), or 0, in every lane. */
  row(f: Code, row: number): void;
  zero(f: Code): void;
}

const argLanes = (notBetter: { vec: (f: Code) => Code; scalar: (f: Code) => Code }): [ArgLanes, ArgLanes] => [
  {
    value: v128, index: v128,
    load: (f) => f.v128Load(), store: (f) => f.v128Store(),
    takes: (f, v, best) => notBetter.vec(f.get(best).get(best).f32x4Eq().get(v).get(best)).v128AndNot(),
    select: (f) => f.v128Bitselect(),
    row: (f, row) => f.get(row).i32x4Splat(), zero: (f) => f.v128ConstZero(),
  },
  {
    value: ValType.f32, index: i32,
    load: (f) => f.f32Load(), store: (f) => f.i32Store(),
    takes: (f, v, best) => notBetter.scalar(f.get(best).get(best).f32Eq().get(v).get(best)).i32Eqz().i32And(),
    select: (f) => f.select(),
    row: (f, row) => f.get(row), zero: (f) => f.i32Const(0),
  },
];
// a NaN v is never <= (>=) best, so it replaces a number; a tie, -0 against +0 included, does not
const ARG_MAX = argLanes({ vec: (f) => f.f32x4Le(), scalar: (f) => f.f32Le() });
const ARG_MIN = argLanes({ vec: (f) => f.f32x4Ge(), scalar: (f) => f.f32Ge() });

/**
 * argmaxCols and argminCols: four columns at a time, then one, each keeping its best value and
 * that value's row down the rows; a NaN best is never replaced, so the first NaN wins.
 */
function argColsKernel(f: Code, [vec, scalar]: [ArgLanes, ArgLanes]): void {
  const [x, step, rows, n, o] = [0, 1, 2, 3, 4];
  const p = f.local(i32), r = f.local(i32), j = f.local(i32), row = f.local(i32);
  f.get(step).i32Const(2).i32Shl().set(step);
  const columns = (count: () => void, bytes: number, lanes: ArgLanes): void => {
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
      f.get(o).get(index);
      lanes.store(f);
      f.addTo(o, bytes).addTo(x, bytes);
    });
  };
  columns(() => f.get(n).i32Const(2).i32ShrU(), 16, vec);
  columns(() => f.get(n).i32Const(3).i32And(), 4, scalar);
}

/**
 * The walk shared by im2col and col2im over a convRows table: for each image (the local `image`
 * steps by imageSize) and each table row, `body` gets locals holding the byte address of the
 * row's first in-range image element (src + lo * sw), the in-range count hi - lo, lo and hi.
 */
function convRowsWalk(
  f: Code, params: { images: number; imageSize: number; table: number; rows: number; sw: number },
  image: number, body: (p: number, n: number, lo: number, hi: number) => void,
): void {
  const { images, imageSize, table, rows, sw } = params;
  const t = f.local(i32), r = f.local(i32), p = f.local(i32), n = f.local(i32);
  const lo = f.local(i32), hi = f.local(i32);
  f.get(imageSize).i32Const(2).i32Shl().set(imageSize);
  f.countdown(images, () => {
    f.get(table).set(t).get(rows).set(r);
    f.countdown(r, () => {
      f.get(t).i32Load(4).set(lo).get(t).i32Load(8).set(hi).get(hi).get(lo).i32Sub().set(n);
      // p = image + (src + lo * sw) * 4
      f.get(image).get(t).i32Load().get(lo).get(sw).i32Mul().i32Add().i32Const(2).i32Shl().i32Add().set(p);
      body(p, n, lo, hi);
      f.addTo(t, 12);
    });
    f.get(image).get(imageSize).i32Add().set(image);
  });
}

function im2colKernel(f: Code): void {
  const [x, images, imageSize, table, rows, ow, sw, o] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = f.local(i32), swBytes = f.local(i32);
  f.get(sw).i32Const(2).i32Shl().set(swBytes);
  const zeros = (count: () => void): void => {
    count();
    f.set(i).countdown(i, () => f.get(o).f32Const(0).f32Store().addTo(o, 4));
  };
  convRowsWalk(f, { images, imageSize, table, rows, sw }, x, (p, n, lo, hi) => {
    zeros(() => f.get(lo));
    f.get(n).set(i);
    f.get(sw).i32Const(1).i32Eq().if();
    f.get(n).i32Const(2).i32ShrU().set(i);
    f.countdown(i, () => f.get(o).get(p).v128Load().v128Store().addTo(p, 16).addTo(o, 16));
    f.get(n).i32Const(3).i32And().set(i);
    f.end();
    f.countdown(i, () => f.get(o).get(p).f32Load().f32Store().get(p).get(swBytes).i32Add().set(p).addTo(o, 4));
    zeros(() => f.get(ow).get(hi).i32Sub());
  });
}

function col2imKernel(f: Code): void {
  const [cols, images, imageSize, table, rows, ow, sw, o] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = f.local(i32), swBytes = f.local(i32), q = f.local(i32);
  f.get(sw).i32Const(2).i32Shl().set(swBytes);
  convRowsWalk(f, { images, imageSize, table, rows, sw }, o, (p, n, lo) => {
    f.get(cols).get(lo).i32Const(2).i32Shl().i32Add().set(q);
    f.get(n).set(i);
    f.get(sw).i32Const(1).i32Eq().if();
    f.get(n).i32Const(2).i32ShrU().set(i);
    f.countdown(i, () => f.get(p).get(p).v128Load().get(q).v128Load().f32x4Add().v128Store().addTo(p, 16).addTo(q, 16));
    f.get(n).i32Const(3).i32And().set(i);
    f.end();
    f.countdown(i, () => f.get(p).get(p).f32Load().get(q).f32Load().f32Add().f32Store().get(p).get(swBytes).i32Add().set(p).addTo(q, 4));
    f.get(cols).get(ow).i32Const(2).i32Shl().i32Add().set(cols); // the next row of columns
  });
}
