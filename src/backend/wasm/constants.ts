// Vector constants for the long instruction sequences of the transcendental functions: a sequence
// pushes each constant with `constant`, and a kernel's prologue sets them all up in locals once,
// before its loops (constants inside a loop would be rebuilt from immediates at every iteration).

import { Code, ValType } from "./assembler.js";

const { v128 } = ValType;

/** How a constant fills a vector: two float64s, four float32s, four int32s, or two int64s (below 2^31). */
export type Lanes = "f64" | "f32" | "i32" | "i64";

/** Pushes a vector of `value` in every lane: from the local the prologue set up, else inline. */
export function constant(f: Code, value: number, lanes: Lanes = "f64"): Code {
  const same = ([v, l]: readonly [number, Lanes, ...unknown[]]) => Object.is(v, value) && l === lanes;
  if (recording && !recording.some(same)) recording.push([value, lanes]);
  const local = hoisted.get(f)?.find(same)?.[2];
  return local === undefined ? pushConstant(f, value, lanes) : f.get(local);
}
function pushConstant(f: Code, value: number, lanes: Lanes): Code {
  if (lanes === "i64" && !(value >= 0 && value < 2 ** 31)) throw new Error(`constants: an int64 lane constant must be in [0, 2^31), got ${value}`);
  return lanes === "f64" ? f.f64x2Const(value) : lanes === "f32" ? f.f32x4Const(value)
    : lanes === "i32" ? f.i32x4Const([value, value, value, value]) : f.i32x4Const([value, 0, value, 0]);
}
const hoisted = new WeakMap<Code, [number, Lanes, number][]>();
/** Where `constant` notes the values it pushes while constantsOf runs. */
let recording: [number, Lanes][] | undefined;

/** The constants a sequence pushes, found by generating it once into a throwaway function. */
export function constantsOf(body: (f: Code) => void): [number, Lanes][] {
  recording = [];
  try {
    body(new Code(1));
    return recording;
  } finally {
    recording = undefined;
  }
}

/** Sets up `constants` in locals of f, once, before its loops. */
export function hoist(f: Code, constants: readonly [number, Lanes][]): void {
  if (hoisted.has(f)) return;
  hoisted.set(f, constants.map(([v, lanes]) => {
    const local = f.local(v128);
    pushConstant(f, v, lanes).set(local);
    return [v, lanes, local];
  }));
}
