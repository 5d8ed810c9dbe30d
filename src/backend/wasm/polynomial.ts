// Polynomials in a vector for the transcendental sequences, in float32 or float64 lanes.

import { type Code, ValType } from "./assembler.js";
import { constant } from "./constants.js";

/** Which lanes: four float32s or two float64s. */
export type Width = "f32" | "f64";

const mul = (f: Code, w: Width): Code => (w === "f32" ? f.f32x4Mul() : f.f64x2Mul());
const add = (f: Code, w: Width): Code => (w === "f32" ? f.f32x4Add() : f.f64x2Add());

/** Locals holding x, x^2, x^4, ... (`count` powers) of the vector in local `x`. */
export function powers(f: Code, w: Width, x: number, count: number): number[] {
  const p = [x];
  while (p.length < count) {
    const next = f.local(ValType.v128);
    mul(f.get(p[p.length - 1]).get(p[p.length - 1]), w).set(next);
    p.push(next);
  }
  return p;
}

/**
 * Pushes the polynomial of `count` coefficients in x, by Estrin's scheme: P = L + x^(2^j) H with L
 * the 2^j lowest terms, recursively, a dependency chain of about log2 of the degree multiply-adds
 * where Horner's rule has one per degree (the loop runs several elements' chains at once only as
 * far as the core's reorder window reaches). `p` holds x, x^2, x^4, ...; `push(i)` pushes
 * coefficient i, highest power first.
 */
export function estrin(f: Code, w: Width, p: readonly number[], count: number, push: (i: number) => void, first = 0): void {
  if (count === 1) {
    push(first);
    return;
  }
  let level = 0;
  while (2 ** (level + 1) < count) level++;
  const high = count - 2 ** level; // how many of the coefficients (highest first) are H's
  estrin(f, w, p, count - high, push, first + high);
  f.get(p[level]);
  estrin(f, w, p, high, push, first);
  add(mul(f, w), w);
}

/** The polynomial with constant coefficients `c` (highest power first): see estrin. */
export function polynomial(f: Code, w: Width, p: readonly number[], c: readonly number[]): void {
  estrin(f, w, p, c.length, (i) => constant(f, c[i], w));
}
