/**
 * einsum: Einstein summation. Each operand first takes its repeated-index diagonals and sums
 * the indices nobody else needs; the operands are then contracted left to right, each pair as
 * permute + reshape + one batched matmul [batch, M, K] @ [batch, K, N] (so an outer product
 * is a matmul with K = 1, never a broadcast multiply followed by a sum).
 */
import { type DType, promoteTypes } from "../core/dtype.js";
import { shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { checkTensor } from "./convert.js";
import { diagonal } from "./indexing.js";

/** A subscript letter, or "." + k for the k-th "..." dim (right-aligned across operands). */
type Label = string;

/** A tensor together with the label of each of its dims. */
interface Term { t: Tensor; labels: Label[] }

/** One side of the equation split into letters and the position of its "..." (or -1). */
interface Subscripts { letters: string[]; ellipsisAt: number; text: string }

const isLetter = (c: string): boolean => /^[a-zA-Z]$/.test(c);

function describe(label: Label): string {
  return label.startsWith(".") ? `"..." dim ${label.slice(1)}` : `'${label}'`;
}

export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== "string") throw new Error(`einsum: expected an equation string first, got ${typeof equation}`);
  // einsum(eq, [a, b]) as well as einsum(eq, a, b), as torch.einsum accepts
  const ops = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  if (ops.length === 0) throw new Error(`einsum: expected at least one operand for equation "${equation}"`);
  ops.forEach((t, i) => checkTensor(t, "einsum", `operand ${i}`));

  const { inputs, output } = parseEquation(equation, ops);
  const sizes = labelSizes(equation, inputs, ops);
  const dtype = ops.reduce<DType>((d, t) => promoteTypes(d, t.dtype), "bool");
  // matmul sums products: bool operands count in int32
  const cast = dtype === "bool" ? "int32" : dtype;

  let terms = ops.map((t, i) => takeDiagonals({ t: lax.cast(t, cast), labels: inputs[i] }));
  // sum each operand's private indices before any product
  terms = terms.map((term, i) => {
    const elsewhere = new Set([...output, ...terms.filter((_, j) => j !== i).flatMap((o) => o.labels)]);
    return sumAway(term, (l) => !elsewhere.has(l));
  });
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) {
    const later = new Set([...output, ...terms.slice(i + 1).flatMap((o) => o.labels)]);
    acc = contract(acc, terms[i], later);
  }
  acc = sumAway(acc, (l) => !output.includes(l));
  // the result's dims in output order; a size-1 broadcast index gets its full size
  const out = lax.permute(acc.t, output.map((l) => acc.labels.indexOf(l)));
  return lax.expand(out, output.map((l) => sizes.get(l)!));
}

// ---------------------------------------------------------------- parsing

function parseSubscripts(text: string, where: string, equation: string): Subscripts {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (isLetter(c)) { letters.push(c); continue; }
    if (c === "." && text.startsWith("...", i)) {
      if (ellipsisAt >= 0) throw new Error(`einsum: ${where} "${text}" contains more than one "..." (equation "${equation}")`);
      ellipsisAt = letters.length;
      i += 2;
      continue;
    }
    throw new Error(`einsum: invalid subscript '${c}' in ${where} "${text}" of equation "${equation}" (subscripts are letters a-z, A-Z, with at most one "..." per operand)`);
  }
  return { letters, ellipsisAt, text };
}

/** The labels of each operand's dims and of the output, with "..." expanded to ".k" labels. */
function parseEquation(equation: string, ops: Tensor[]): { inputs: Label[][]; output: Label[] } {
  const eq = equation.replace(/\s+/g, "");
  const arrow = eq.indexOf("->");
  if (arrow !== eq.lastIndexOf("->")) throw new Error(`einsum: equation "${equation}" contains more than one "->"`);
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(",");
  if (terms.length !== ops.length) {
    throw new Error(`einsum: equation "${equation}" has subscripts for ${terms.length} operand${terms.length === 1 ? "" : "s"} but ${ops.length} operand${ops.length === 1 ? " was" : "s were"} given`);
  }
  const subs = terms.map((text, i) => parseSubscripts(text, `operand ${i} subscripts`, equation));
  const ellipsisRanks = subs.map((s, i) => {
    const t = ops[i], n = s.letters.length;
    if (s.ellipsisAt < 0 && n !== t.ndim) {
      throw new Error(`einsum: operand ${i} has ${n} subscript${n === 1 ? "" : "s"} ("${s.text}") but ${t.ndim} dim${t.ndim === 1 ? "" : "s"} (shape ${shapeStr(t.shape)})`);
    }
    if (s.ellipsisAt >= 0 && n > t.ndim) {
      throw new Error(`einsum: operand ${i} has ${n} subscripts plus "..." ("${s.text}") but only ${t.ndim} dim${t.ndim === 1 ? "" : "s"} (shape ${shapeStr(t.shape)})`);
    }
    return s.ellipsisAt < 0 ? 0 : t.ndim - n;
  });
  const E = Math.max(0, ...ellipsisRanks);
  // an operand with fewer "..." dims lines them up with the last ones (broadcasting)
  const ellipsis = (rank: number): Label[] => Array.from({ length: rank }, (_, k) => `.${E - rank + k}`);
  const inputs = subs.map((s, i) => s.ellipsisAt < 0 ? [...s.letters] : [...s.letters.slice(0, s.ellipsisAt), ...ellipsis(ellipsisRanks[i]), ...s.letters.slice(s.ellipsisAt)]);
  return { inputs, output: arrow >= 0 ? explicitOutput(eq.slice(arrow + 2), inputs, E, equation) : implicitOutput(inputs, E) };
}

function explicitOutput(text: string, inputs: Label[][], E: number, equation: string): Label[] {
  const s = parseSubscripts(text, "output subscripts", equation);
  const seen = new Set<string>();
  for (const l of s.letters) {
    if (seen.has(l)) throw new Error(`einsum: output subscript '${l}' appears more than once in "${text}" (equation "${equation}")`);
    if (!inputs.some((labels) => labels.includes(l))) throw new Error(`einsum: output subscript '${l}' does not appear in any operand (equation "${equation}")`);
    seen.add(l);
  }
  if (s.ellipsisAt < 0) return s.letters; // "..." dims not in the output are summed
  const ell = Array.from({ length: E }, (_, k) => `.${k}`);
  return [...s.letters.slice(0, s.ellipsisAt), ...ell, ...s.letters.slice(s.ellipsisAt)];
}

/** NumPy's and PyTorch's implicit output: "..." dims, then the letters used once, sorted. */
function implicitOutput(inputs: Label[][], E: number): Label[] {
  const counts = new Map<Label, number>();
  for (const l of inputs.flat()) if (!l.startsWith(".")) counts.set(l, (counts.get(l) ?? 0) + 1);
  const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort();
  return [...Array.from({ length: E }, (_, k) => `.${k}`), ...once];
}

/** Each label's size; the same label must agree everywhere, up to PyTorch's broadcasting of 1. */
function labelSizes(equation: string, inputs: Label[][], ops: Tensor[]): Map<Label, number> {
  const sizes = new Map<Label, number>();
  const from = new Map<Label, number>();
  inputs.forEach((labels, i) => {
    labels.forEach((l, d) => {
      const n = ops[i].shape[d];
      const first = labels.indexOf(l);
      if (first !== d && ops[i].shape[first] !== n) {
        throw new Error(`einsum: subscript ${describe(l)} is repeated in operand ${i} (shape ${shapeStr(ops[i].shape)}) but its dims have sizes ${ops[i].shape[first]} and ${n} (equation "${equation}")`);
      }
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) { sizes.set(l, n); from.set(l, i); return; }
      if (n !== prev && n !== 1) {
        const j = from.get(l)!;
        throw new Error(`einsum: subscript ${describe(l)} has size ${prev} in operand ${j} (shape ${shapeStr(ops[j].shape)}) but size ${n} in operand ${i} (shape ${shapeStr(ops[i].shape)}) (equation "${equation}")`);
      }
    });
  });
  return sizes;
}

// ---------------------------------------------------------------- evaluation

/** Replace every repeated label by its diagonal ("ii" -> "i"), which diagonal() puts last. */
function takeDiagonals(term: Term): Term {
  let { t, labels } = term;
  for (;;) {
    const j = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (j < 0) return { t, labels };
    const i = labels.indexOf(labels[j]);
    t = diagonal(t, 0, i, j);
    labels = [...labels.filter((_, k) => k !== i && k !== j), labels[j]];
  }
}

/** Sum the dims whose label satisfies `drop`. */
function sumAway(term: Term, drop: (l: Label) => boolean): Term {
  const axes = term.labels.flatMap((l, k) => (drop(l) ? [k] : []));
  if (axes.length === 0) return term;
  return { t: lax.sum(term.t, axes, false), labels: term.labels.filter((l) => !drop(l)) };
}

/** Permute term's dims into `order`, expanding each to the size in `size`. */
function arrange(term: Term, order: Label[], size: (l: Label) => number): Tensor {
  const t = lax.permute(term.t, order.map((l) => term.labels.indexOf(l)));
  return lax.expand(t, order.map(size));
}

const product = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * Contract two terms, keeping the labels in `keep`: shared kept labels are the matmul's batch,
 * shared others its K, and each side's own labels its M and N.
 */
function contract(a: Term, b: Term, keep: Set<Label>): Term {
  a = sumAway(a, (l) => !keep.has(l) && !b.labels.includes(l));
  b = sumAway(b, (l) => !keep.has(l) && !a.labels.includes(l));
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => keep.has(l)), inner = shared.filter((l) => !keep.has(l));
  const left = a.labels.filter((l) => !b.labels.includes(l)), right = b.labels.filter((l) => !a.labels.includes(l));
  // a shared label of size 1 on one side broadcasts against the other side
  const size = (l: Label): number => {
    const ia = a.labels.indexOf(l), ib = b.labels.indexOf(l);
    if (ib < 0) return a.t.shape[ia];
    if (ia < 0) return b.t.shape[ib];
    return a.t.shape[ia] === 1 ? b.t.shape[ib] : a.t.shape[ia];
  };
  const [B, M, K, N] = [batch, left, inner, right].map((ls) => product(ls.map(size)));
  const a3 = lax.reshape(arrange(a, [...batch, ...left, ...inner], size), [B, M, K]);
  const b3 = lax.reshape(arrange(b, [...batch, ...inner, ...right], size), [B, K, N]);
  const labels = [...batch, ...left, ...right];
  return { t: lax.reshape(lax.matmul(a3, b3), labels.map(size)), labels };
}
