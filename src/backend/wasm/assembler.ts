// A minimal WebAssembly binary module builder: just enough to emit the GEMM
// kernels at run time without a native toolchain. Only the sections and
// opcodes the kernels use are supported; see the WebAssembly core spec
// (binary format) and the SIMD / relaxed-SIMD proposals for the encodings.

export const ValType = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128. */
function uleb(out: number[], value: number): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
}

/** Signed LEB128 (32-bit). */
function sleb(out: number[], value: number): void {
  value |= 0;
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** out.push(...items) without the spread, which overflows the stack past about 100K arguments (a large code section). */
function append(out: number[], items: readonly number[]): void {
  for (const item of items) out.push(item);
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}

/**
 * Emits the instructions of one function body. Methods append opcodes and
 * return `this` so sequences read top to bottom like wasm text.
 */
export class Code {
  private readonly bytes: number[] = [];
  private readonly localTypes: ValType[] = [];

  /**
   * `imports` is the module's table of imported functions (a throwaway one for loose code);
   * `relaxedSimd`, whether mulAdd may fuse.
   */
  constructor(private readonly numParams: number, private readonly imports = new Imports(), private readonly relaxedSimd = false) {}

  /** Declares a local and returns its index (parameters come first). */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.numParams + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, opcode);
    return this;
  }

  /** A constant's bytes: typed arrays keep the platform's byte order, little-endian as wasm wants on every engine tfunc runs on. */
  private immediate(value: Float32Array | Float64Array | Int32Array): this {
    this.bytes.push(...new Uint8Array(value.buffer));
    return this;
  }

  private memarg(alignLog2: number, offset: number): this {
    uleb(this.bytes, alignLog2);
    uleb(this.bytes, offset);
    return this;
  }

  // Control flow. Blocks have no result (block type 0x40).
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { this.op(0x0c); uleb(this.bytes, depth); return this; }
  brIf(depth: number): this { this.op(0x0d); uleb(this.bytes, depth); return this; }
  /** Calls the host function env.`name` (imported on first use) with float64 params and result. */
  callHost(name: string, arity: number): this {
    this.op(0x10);
    uleb(this.bytes, this.imports.index(name, arity));
    return this;
  }

  /** `while (counter-- > 0) body()`, with the counter local preloaded. */
  countdown(counter: number, body: () => void): this {
    this.block().get(counter).i32Eqz().brIf(0).loop();
    body();
    return this.get(counter).i32Const(1).i32Sub().tee(counter).brIf(0).end().end();
  }

  /** local += value */
  addTo(local: number, value: number): this {
    return this.get(local).i32Const(value).i32Add().set(local);
  }

  // Locals.
  get(index: number): this { this.op(0x20); uleb(this.bytes, index); return this; }
  set(index: number): this { this.op(0x21); uleb(this.bytes, index); return this; }
  tee(index: number): this { this.op(0x22); uleb(this.bytes, index); return this; }

  // i32 arithmetic.
  i32Const(value: number): this { this.op(0x41); sleb(this.bytes, value); return this; }
  i32Eqz(): this { return this.op(0x45); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  i32Or(): this { return this.op(0x72); }
  i32Shl(): this { return this.op(0x74); }
  i32ShrU(): this { return this.op(0x76); }
  i32Eq(): this { return this.op(0x46); }
  i32LtS(): this { return this.op(0x48); }

  i32Load(offset = 0): this { return this.op(0x28).memarg(2, offset); }
  i32Store(offset = 0): this { return this.op(0x36).memarg(2, offset); }

  // Scalar float memory and arithmetic.
  f32Load(offset = 0): this { return this.op(0x2a).memarg(2, offset); }
  f32Store(offset = 0): this { return this.op(0x38).memarg(2, offset); }
  /** An unsigned byte as an i32. */
  i32Load8U(offset = 0): this { return this.op(0x2d).memarg(0, offset); }
  /** Stores the low byte of an i32. */
  i32Store8(offset = 0): this { return this.op(0x3a).memarg(0, offset); }
  f32Const(value: number): this { return this.op(0x43).immediate(new Float32Array([value])); }
  f64Const(value: number): this { return this.op(0x44).immediate(new Float64Array([value])); }
  f32Abs(): this { return this.op(0x8b); }
  f32Neg(): this { return this.op(0x8c); }
  f32Ceil(): this { return this.op(0x8d); }
  f32Floor(): this { return this.op(0x8e); }
  f32Trunc(): this { return this.op(0x8f); }
  f32Nearest(): this { return this.op(0x90); }
  f32Sqrt(): this { return this.op(0x91); }
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  f32Div(): this { return this.op(0x95); }
  f32Min(): this { return this.op(0x96); }
  f32Max(): this { return this.op(0x97); }
  f32Eq(): this { return this.op(0x5b); }
  f32Ne(): this { return this.op(0x5c); }
  f32Lt(): this { return this.op(0x5d); }
  f32Gt(): this { return this.op(0x5e); }
  f32Le(): this { return this.op(0x5f); }
  f32Ge(): this { return this.op(0x60); }
  /** Pops a condition and two values; keeps the first if the condition is nonzero, else the second. */
  select(): this { return this.op(0x1b); }
  f64Load(offset = 0): this { return this.op(0x2b).memarg(3, offset); }
  f64Store(offset = 0): this { return this.op(0x39).memarg(3, offset); }
  f64Abs(): this { return this.op(0x99); }
  f64Neg(): this { return this.op(0x9a); }
  f64Ceil(): this { return this.op(0x9b); }
  f64Floor(): this { return this.op(0x9c); }
  f64Trunc(): this { return this.op(0x9d); }
  f64Nearest(): this { return this.op(0x9e); }
  f64Sqrt(): this { return this.op(0x9f); }
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Div(): this { return this.op(0xa3); }
  f64Min(): this { return this.op(0xa4); }
  f64Max(): this { return this.op(0xa5); }
  f64Eq(): this { return this.op(0x61); }
  f64Ne(): this { return this.op(0x62); }
  f64Lt(): this { return this.op(0x63); }
  f64Gt(): this { return this.op(0x64); }
  f64Le(): this { return this.op(0x65); }
  f64Ge(): this { return this.op(0x66); }
  f32DemoteF64(): this { return this.op(0xb6); }
  f64PromoteF32(): this { return this.op(0xbb); }
  f32ConvertI32S(): this { return this.op(0xb2); }
  f64ConvertI32S(): this { return this.op(0xb7); }

  // SIMD128. Offsets are byte offsets folded into the memory operand.
  v128Load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128Load64Splat(offset = 0): this { return this.simd(0x0a).memarg(3, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  /** Stores 16-bit lane `lane` of the vector. */
  v128Store16Lane(lane: number, offset = 0): this { this.simd(0x59).memarg(1, offset); this.bytes.push(lane); return this; }
  /** Pops an address and a vector: the vector with lane `lane` replaced by the four bytes there. */
  v128Load32Lane(lane: number, offset = 0): this { this.simd(0x56).memarg(2, offset); this.bytes.push(lane); return this; }
  /** Stores 32-bit lane `lane` of the vector. */
  v128Store32Lane(lane: number, offset = 0): this { this.simd(0x5a).memarg(2, offset); this.bytes.push(lane); return this; }
  /** Four bytes into the low lane, zeros above. */
  v128Load32Zero(offset = 0): this { return this.simd(0x5c).memarg(2, offset); }
  /** Two floats into the low half, zeros above. */
  v128Load64Zero(offset = 0): this { return this.simd(0x5d).memarg(3, offset); }
  /** Picks four 32-bit lanes of the two operands: lanes 0-3 are the first's, 4-7 the second's. */
  i32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    this.simd(0x0d);
    for (const l of lanes) this.bytes.push(4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3);
    return this;
  }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4ExtractLane(lane: number): this { this.simd(0x1f); this.bytes.push(lane); return this; }
  f64x2ExtractLane(lane: number): this { this.simd(0x21); this.bytes.push(lane); return this; }
  f64x2ReplaceLane(lane: number): this { this.simd(0x22); this.bytes.push(lane); return this; }
  f64x2Splat(): this { return this.simd(0x14); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Neg(): this { return this.simd(0xe1); }
  f32x4Sqrt(): this { return this.simd(0xe3); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** b < a ? b : a, and a < b ? b : a: one instruction each on x64 (min and max order NaN and -0 at a cost); a NaN a passes. */
  f32x4Pmin(): this { return this.simd(0xea); }
  f32x4Pmax(): this { return this.simd(0xeb); }
  /** Lanewise a == b (a != b, a < b, ...) as all ones or all zeros. */
  f32x4Eq(): this { return this.simd(0x41); }
  f32x4Ne(): this { return this.simd(0x42); }
  f32x4Lt(): this { return this.simd(0x43); }
  f32x4Gt(): this { return this.simd(0x44); }
  f32x4Le(): this { return this.simd(0x45); }
  f32x4Ge(): this { return this.simd(0x46); }
  i32x4Neg(): this { return this.simd(0xa1); }
  i32x4Splat(): this { return this.simd(0x11); }
  i32x4Eq(): this { return this.simd(0x37); }
  i32x4Ne(): this { return this.simd(0x38); }
  /** Zero-extends the low 8 bytes to 16-bit lanes (the low 4 uint16 lanes to 32-bit ones). */
  i16x8ExtendLowI8x16U(): this { return this.simd(0x89); }
  i32x4ExtendLowI16x8U(): this { return this.simd(0xa9); }
  /** Narrows the int32 lanes of two vectors to uint16 (int16 to uint8), saturating: a's lanes first. */
  i16x8NarrowI32x4U(): this { return this.simd(0x86); }
  i8x16NarrowI16x8U(): this { return this.simd(0x66); }
  f32x4Ceil(): this { return this.simd(0x67); }
  f32x4Floor(): this { return this.simd(0x68); }
  f32x4Trunc(): this { return this.simd(0x69); }
  f32x4Nearest(): this { return this.simd(0x6a); }
  v128And(): this { return this.simd(0x4e); }
  /** a & ~b */
  v128AndNot(): this { return this.simd(0x4f); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Div(): this { return this.simd(0xf3); }
  /** min and max propagate NaN. */
  f64x2Min(): this { return this.simd(0xf4); }
  f64x2Max(): this { return this.simd(0xf5); }
  f64x2Abs(): this { return this.simd(0xec); }
  f64x2Neg(): this { return this.simd(0xed); }
  /** Lanewise a < b as all ones or all zeros. */
  f64x2Lt(): this { return this.simd(0x49); }
  f64x2Gt(): this { return this.simd(0x4a); }
  f64x2Eq(): this { return this.simd(0x47); }
  f64x2Ne(): this { return this.simd(0x48); }
  f64x2Le(): this { return this.simd(0x4b); }
  f64x2Ge(): this { return this.simd(0x4c); }
  f64x2Floor(): this { return this.simd(0x75); }
  f64x2Ceil(): this { return this.simd(0x74); }
  f64x2Trunc(): this { return this.simd(0x7a); }
  f64x2Nearest(): this { return this.simd(0x94); }
  f64x2Sqrt(): this { return this.simd(0xef); }
  /** As f32x4Pmin and f32x4Pmax. */
  f64x2Pmin(): this { return this.simd(0xf6); }
  f64x2Pmax(): this { return this.simd(0xf7); }
  /** Zero-extends the low two int32 lanes to int64 lanes. */
  i64x2ExtendLowI32x4U(): this { return this.simd(0xc9); }
  i64x2Neg(): this { return this.simd(0xc1); }
  i64x2Eq(): this { return this.simd(0xd6); }
  i64x2Ne(): this { return this.simd(0xd7); }
  /** Both lanes set to `value`. */
  f64x2Const(value: number): this { return this.simd(0x0c).immediate(new Float64Array(2).fill(value)); }
  /** All four lanes set to `value`. */
  f32x4Const(value: number): this { return this.simd(0x0c).immediate(new Float32Array(4).fill(value)); }
  /** The two float64 lanes rounded to float32 in lanes 0 and 1; lanes 2 and 3 are zero. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  /** Shifts each int64 lane left by an i32 count. */
  i64x2Shl(): this { return this.simd(0xcb); }
  i64x2ShrS(): this { return this.simd(0xcc); }
  i64x2ShrU(): this { return this.simd(0xcd); }
  i64x2Add(): this { return this.simd(0xce); }
  i64x2Sub(): this { return this.simd(0xd1); }
  v128Or(): this { return this.simd(0x50); }
  v128Xor(): this { return this.simd(0x51); }
  /** 1 if any bit is set, else 0 (an i32). */
  v128AnyTrue(): this { return this.simd(0x53); }
  /** Pops a, b, mask: bits of a where the mask is set, of b elsewhere. */
  v128Bitselect(): this { return this.simd(0x52); }
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  v128ConstZero(): this { return this.simd(0x0c).immediate(new Float32Array(4)); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** a * b + c, possibly fused (relaxed SIMD). */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  f64x2RelaxedMadd(): this { return this.simd(0x107); }

  /**
   * a * b + c of the vectors a, b on the stack and c, which `addend` pushes: relaxed SIMD's
   * multiply-add where the module may use it (one rounding where the engine fuses it), else a
   * multiply, then the addend, then an add.
   */
  mulAdd(lanes: "f32x4" | "f64x2", addend: () => void): this {
    if (this.relaxedSimd) {
      addend();
      return lanes === "f32x4" ? this.f32x4RelaxedMadd() : this.f64x2RelaxedMadd();
    }
    if (lanes === "f32x4") this.f32x4Mul();
    else this.f64x2Mul();
    addend();
    return lanes === "f32x4" ? this.f32x4Add() : this.f64x2Add();
  }

  /** The four int32 lanes given. */
  i32x4Const(lanes: readonly [number, number, number, number]): this { return this.simd(0x0c).immediate(Int32Array.from(lanes)); }
  /** Lanewise signed a > b as all ones or all zeros. */
  i32x4GtS(): this { return this.simd(0x3b); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Sub(): this { return this.simd(0xb1); }
  /** Shifts each int32 lane by an i32 count: left, or right copying the sign bit. */
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4ShrS(): this { return this.simd(0xac); }
  i32x4ShrU(): this { return this.simd(0xad); }
  /** Each signed int32 lane as a float32. */
  f32x4ConvertI32x4S(): this { return this.simd(0xfa); }
  /** Two bytes into every 16-bit lane. */
  v128Load16Splat(offset = 0): this { return this.simd(0x08).memarg(1, offset); }
  /** Pops an address and a vector: the vector with lane `lane` replaced by the eight bytes there. */
  v128Load64Lane(lane: number, offset = 0): this { this.simd(0x57).memarg(3, offset); this.bytes.push(lane); return this; }
  /** Stores 64-bit lane `lane` of the vector. */
  v128Store64Lane(lane: number, offset = 0): this { this.simd(0x5b).memarg(3, offset); this.bytes.push(lane); return this; }
  /** Picks sixteen bytes of the two operands: bytes 0-15 are the first's, 16-31 the second's. */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error("assembler: i8x16.shuffle takes 16 lanes");
    this.simd(0x0d);
    this.bytes.push(...lanes);
    return this;
  }

  /** Locals grouped into runs of equal type, as the binary format wants. */
  encode(): number[] {
    const out: number[] = [];
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(out, runs.length);
    for (const [count, t] of runs) {
      uleb(out, count);
      out.push(t);
    }
    append(out, this.bytes);
    out.push(0x0b);
    return out;
  }
}

/** The host functions a module imports, in import order: all take and return float64s. */
class Imports {
  readonly names: string[] = [];
  readonly arities: number[] = [];

  /** The function index of env.`name`: imports come first in a module's function index space. */
  index(name: string, arity: number): number {
    let i = this.names.indexOf(name);
    if (i < 0) {
      i = this.names.push(name) - 1;
      this.arities.push(arity);
    } else if (this.arities[i] !== arity) {
      throw new Error(`assembler: host function ${name} imported with ${this.arities[i]} and ${arity} params`);
    }
    return i;
  }
}

interface FuncDef {
  exportName: string;
  params: ValType[];
  results: ValType[];
  code: Code;
}

/**
 * A module importing one memory ("env"."memory", at least 1 page) and the host functions its
 * code calls (env.name, float64s in and out), and exporting functions that return nothing.
 */
export class ModuleBuilder {
  private readonly funcs: FuncDef[] = [];
  private readonly imports = new Imports();

  /** With `relaxedSimd`, its functions' mulAdd fuses (the engine must validate relaxed SIMD). */
  constructor(private readonly options: { relaxedSimd?: boolean } = {}) {}

  /** Adds an exported function; fill the returned Code with its body, which leaves the results on the stack. */
  func(exportName: string, params: ValType[], results: ValType[] = []): Code {
    const code = new Code(params.length, this.imports, this.options.relaxedSimd);
    this.funcs.push({ exportName, params, results, code });
    return code;
  }

  encode(): Uint8Array<ArrayBuffer> {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, body: number[]): void => {
      out.push(id);
      uleb(out, body.length);
      append(out, body);
    };
    const vec = <T>(items: T[], each: (body: number[], item: T, index: number) => void): number[] => {
      const body: number[] = [];
      uleb(body, items.length);
      items.forEach((item, i) => each(body, item, i));
      return body;
    };

    // One type per function (imports first) keeps the builder trivial; duplicates are legal.
    const { names, arities } = this.imports;
    const hostTypes = arities.map((n) => ({ params: new Array<ValType>(n).fill(ValType.f64), results: [ValType.f64] }));
    const types = [...hostTypes, ...this.funcs.map((f) => ({ params: f.params, results: f.results }))];
    section(1, vec(types, (b, t) => {
      b.push(0x60);
      uleb(b, t.params.length);
      b.push(...t.params);
      uleb(b, t.results.length);
      b.push(...t.results);
    }));
    section(2, vec([...names, "memory"], (b, field, i) => {
      name(b, "env");
      name(b, field);
      if (i < names.length) {
        b.push(0x00); // a function of type i
        uleb(b, i);
      } else {
        b.push(0x02, 0x00, 1); // memory; limits: min only, 1 page
      }
    }));
    section(3, vec(this.funcs, (b, _f, i) => uleb(b, names.length + i)));
    section(7, vec(this.funcs, (b, f, i) => {
      name(b, f.exportName);
      b.push(0x00);
      uleb(b, names.length + i);
    }));
    section(10, vec(this.funcs, (b, f) => {
      const body = f.code.encode();
      uleb(b, body.length);
      append(b, body);
    }));
    return new Uint8Array(out);
  }
}
