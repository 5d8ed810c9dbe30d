/**
 * Random primitives over a counter-based generator: draw i of a stream is a pure hash of
 * (seed, counter + i), so a batch of draws can be made in one kernel call and vmap can give
 * each example its own draws ("different") or share one ("same").
 */
import { allocArray, type DType } from "../core/dtype.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import { numelOf } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";

let seed = 0x2545f491;
let counter = 0;

export function manualSeed(s: number): void {
  if (!Number.isFinite(s)) throw new Error(`manualSeed: seed must be a finite number, got ${s}`);
  seed = (Math.floor(s) ^ 0x2545f491) >>> 0;
  counter = 0;
}

/** The generator's position (as torch.get_rng_state): restoring it repeats the next draws. */
export function getRngState(): { seed: number; counter: number } {
  return { seed, counter };
}

export function setRngState(state: { seed: number; counter: number }): void {
  seed = state.seed;
  counter = state.counter;
}

/** 32 random bits for position i of the stream (a few rounds of an integer hash). */
function bits(i: number): number {
  let h = (i ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16) ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Uniform in [0, 1) with 32 bits of resolution (Box-Muller's inputs). */
function uniform01(i: number): number {
  return bits(i) / 4294967296;
}

/**
 * Uniform in [0, 1) at the resolution of the output type, so rounding never gives 1.0: 24 bits
 * for float32 (exactly representable), 53 bits from the element's two stream positions for float64.
 */
function uniformFor(out: Float64Array | Float32Array, i: number): number {
  if (out instanceof Float32Array) return (bits(i) >>> 8) / 16777216;
  return ((bits(i) >>> 5) * 67108864 + (bits(i + 1) >>> 6)) / 9007199254740992;
}

export interface RandomParams { shape: number[]; dtype: DType }

function randomPrimitive(name: string, fill: (out: Float64Array | Float32Array, start: number) => void): Primitive<RandomParams> {
  const prim: Primitive<RandomParams> = definePrimitive<RandomParams>({
    name,
    random: true,
    impl: (_args, { shape, dtype }) => {
      const out = allocArray(dtype, numelOf(shape)) as Float32Array | Float64Array;
      fill(out, counter);
      counter += 2 * out.length;
      return new Tensor(shape, dtype, out);
    },
    jvp: "nonDifferentiable",
    vjp: "nonDifferentiable",
    batch: (_args, _dims, { shape, dtype }, ctx) => {
      if (ctx.randomness === "error") {
        throw new Error(`vmap: random operation (${name}) called under randomness="error"; pass {randomness: "different"} to vmap for independent draws per example, or "same" for one draw shared by every example`);
      }
      if (ctx.randomness === "same") return [bind(prim, [], { shape, dtype }), null];
      return [bind(prim, [], { shape: [ctx.axisSize, ...shape], dtype }), 0];
    },
    samples: () => [],
  });
  return prim;
}

export const uniformP = randomPrimitive("uniform", (out, start) => {
  for (let i = 0; i < out.length; i++) out[i] = uniformFor(out, start + 2 * i);
});

/** Box-Muller from two uniforms per element. */
export const normalP = randomPrimitive("normal", (out, start) => {
  for (let i = 0; i < out.length; i++) {
    const u1 = 1 - uniform01(start + 2 * i), u2 = uniform01(start + 2 * i + 1);
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
});
