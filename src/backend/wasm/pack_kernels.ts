// The gemm's packing kernels (see pack.ts): they rearrange a staged block of a matrix into the
// panels the gemm kernel reads (packRows also serves transpose.ts), and scan packed panels for
// the zero steps and the infinities that decide what the kernel may skip. Floats move as int32
// bits, so NaN payloads survive.
//
// A panel of P rows (P = 4 or 8) holds, for each k, the P values X[p*P .. p*P + P - 1, k]
// side by side. Both packing kernels work on groups of 4 rows: group q lands in panel q >> shift
// at float (q & shift) * 4 of each k's P values, where shift is 0 for P = 4 and 1 for P = 8.

import { type Code, ValType } from "./assembler.js";

const { i32, v128 } = ValType;

/** Pushes the address of row group q's first slot: dst + (q >> shift) * panelBytes + (q & shift) * 16. */
function groupSlot(f: Code, dst: number, q: number, shift: number, panelBytes: number): void {
  f.get(dst).get(q).get(shift).i32ShrU().get(panelBytes).i32Mul().i32Add();
  f.get(q).get(shift).i32And().i32Const(4).i32Shl().i32Add();
}

/**
 * packRows(src, ld, groups, kc, dst, panelBytes, shift, step): the staged rows are kc floats
 * each, ld bytes apart (groups * 4 of them); each 4 x 4 block is transposed with shuffles. A
 * row group's 4 floats for k + 1 land `step` bytes after those for k: P * 4 for the gemm's
 * panels; the width of the output for a plain transpose (P = 4, panelBytes = 16). With `double`
 * the elements are doubles, transposed 4 rows by 2 steps at a time (a group is then a whole
 * panel of the float64 gemm: shift 0).
 */
export function packRowsKernel(f: Code, double = false): void {
  const [src, ld, groups, kc, dst, panelBytes, shift, step] = [0, 1, 2, 3, 4, 5, 6, 7];
  const q = f.local(i32), k = f.local(i32), d = f.local(i32);
  const s = [f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
  const r = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const t = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  f.i32Const(0).set(q);
  f.block().get(groups).i32Eqz().brIf(0).loop();
  {
    f.get(src).set(s[0]);
    for (let i = 1; i < 4; i++) f.get(s[i - 1]).get(ld).i32Add().set(s[i]);
    groupSlot(f, dst, q, shift, panelBytes);
    f.set(d);
    f.get(kc).i32Const(double ? 1 : 2).i32ShrU().set(k);
    if (double) f.countdown(k, () => {
      for (let i = 0; i < 4; i++) f.get(s[i]).v128Load().set(r[i]);
      // two steps of four rows: the low doubles of each pair of rows, then the high ones
      for (const lanes of [[0, 1, 4, 5], [2, 3, 6, 7]] as const) {
        f.get(d).get(r[0]).get(r[1]).i32x4Shuffle(lanes).v128Store();
        f.get(d).get(r[2]).get(r[3]).i32x4Shuffle(lanes).v128Store(16);
        f.get(d).get(step).i32Add().set(d);
      }
      for (let i = 0; i < 4; i++) f.addTo(s[i], 16);
    });
    else f.countdown(k, () => {
      for (let i = 0; i < 4; i++) f.get(s[i]).v128Load().set(r[i]);
      // rows (a b c d) become columns: pairs of rows interleave, then pairs of pairs
      f.get(r[0]).get(r[1]).i32x4Shuffle([0, 4, 1, 5]).set(t[0]);
      f.get(r[0]).get(r[1]).i32x4Shuffle([2, 6, 3, 7]).set(t[1]);
      f.get(r[2]).get(r[3]).i32x4Shuffle([0, 4, 1, 5]).set(t[2]);
      f.get(r[2]).get(r[3]).i32x4Shuffle([2, 6, 3, 7]).set(t[3]);
      const columns: [number, number, readonly [number, number, number, number]][] = [
        [t[0], t[2], [0, 1, 4, 5]], [t[0], t[2], [2, 3, 6, 7]], [t[1], t[3], [0, 1, 4, 5]], [t[1], t[3], [2, 3, 6, 7]],
      ];
      for (const [x, y, lanes] of columns) {
        f.get(d).get(x).get(y).i32x4Shuffle(lanes).v128Store();
        f.get(d).get(step).i32Add().set(d);
      }
      for (let i = 0; i < 4; i++) f.addTo(s[i], 16);
    });
    f.get(kc).i32Const(double ? 1 : 3).i32And().set(k);
    f.countdown(k, () => {
      for (let i = 0; i < 4; i++) {
        if (double) f.get(d).get(s[i]).f64Load().f64Store(8 * i);
        else f.get(d).get(s[i]).i32Load().i32Store(4 * i);
        f.addTo(s[i], double ? 8 : 4);
      }
      f.get(d).get(step).i32Add().set(d);
    });
    f.get(src).get(ld).i32Const(2).i32Shl().i32Add().set(src);
    f.addTo(q, 1);
    f.get(q).get(groups).i32Sub().brIf(0);
  }
  f.end().end();
}

/**
 * packCols(src, ld, lines, groups, dst, panelBytes, shift, n): the staged block is `lines` lines
 * (one per k) of groups * 4 floats, ld bytes apart (any ld, even 0 or less than a line); a line
 * is already one k's values of all rows. Rows n and past are stored as zeros, whatever the
 * staged line holds there, so lines need no padding. Panels wholly below n are plain copies, a
 * panel's P floats at a time; only the groups of the last partial panel are masked.
 */
export function packColsKernel(f: Code): void {
  const [src, ld, lines, groups, dst, panelBytes, shift, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const q = f.local(i32), s = f.local(i32), d = f.local(i32), step = f.local(i32), lane = f.local(v128);
  const whole = f.local(i32), firstPartial = f.local(i32), count = f.local(i32);
  f.i32Const(16).get(shift).i32Shl().set(step);
  f.i32x4Const([0, 1, 2, 3]).set(lane);
  // the panels wholly below row n, and the first row group after them
  f.get(n).get(shift).i32Const(2).i32Add().i32ShrU().set(whole);
  f.get(whole).get(shift).i32Shl().set(firstPartial);
  f.countdown(lines, () => {
    f.get(src).set(s).get(dst).set(d).get(whole).set(count);
    // whole panels: one vector (P = 4) or two (P = 8) per panel
    f.get(shift).if();
    f.countdown(count, () => {
      f.get(d).get(s).v128Load().v128Store();
      f.get(d).get(s).v128Load(16).v128Store(16);
      f.addTo(s, 32).get(d).get(panelBytes).i32Add().set(d);
    });
    f.else();
    f.countdown(count, () => {
      f.get(d).get(s).v128Load().v128Store();
      f.addTo(s, 16).get(d).get(panelBytes).i32Add().set(d);
    });
    f.end();
    // the row groups of the partial panel: keep the lanes of rows q * 4 + lane < n
    f.get(firstPartial).set(q);
    f.block().get(q).get(groups).i32Sub().i32Eqz().brIf(0).loop();
    groupSlot(f, dst, q, shift, panelBytes);
    f.get(s).v128Load();
    f.get(n).get(q).i32Const(2).i32Shl().i32Sub().i32x4Splat().get(lane).i32x4GtS().v128And();
    f.v128Store();
    f.addTo(s, 16).addTo(q, 1);
    f.get(q).get(groups).i32Sub().brIf(0);
    f.end().end();
    f.get(src).get(ld).i32Add().set(src);
    f.get(dst).get(step).i32Add().set(dst);
  });
}

/**
 * zeroSpans(at, panelBytes, panels, kc, stepBytes, out), for panels of `vectors` vectors per step
 * (1 for the gemm's float32 A panels of MR = 4 rows, 2 for its B panels of NR = 8 columns and
 * for both float64 panels, 4 doubles wide): for each of `panels` panels (panelBytes apart, kc
 * steps stepBytes apart), stores as two int32 at out the span [lo, hi) of steps outside which
 * the panel is all zeros (either sign: `double` says where the sign bits are). The scans from
 * each end look at 4 steps at a time, then single steps; a dense panel stops both at once.
 */
export function zeroSpansKernel(f: Code, vectors: number, double = false): void {
  const [at, panelBytes, panels, kc, stepBytes, out] = [0, 1, 2, 3, 4, 5];
  const lo = f.local(i32), hi = f.local(i32), p = f.local(i32), magnitude = f.local(v128);
  /** Moves `end` (lo up, or hi down) past the zero steps next to it, without crossing the other. */
  const skipZeros = (end: number, direction: 1 | -1): void => {
    for (const n of [4, 1]) {
      f.block().loop();
      f.get(hi).get(lo).i32Sub().i32Const(n).i32LtS().brIf(1);
      // the n steps next to end: from lo going up, up to hi going down
      f.get(at);
      if (direction > 0) f.get(lo);
      else f.get(hi).i32Const(n).i32Sub();
      f.get(stepBytes).i32Mul().i32Add().set(p);
      for (let s = 0; s < n; s++) {
        for (let v = 0; v < vectors; v++) {
          f.get(p).v128Load(16 * v);
          if (s > 0 || v > 0) f.v128Or();
        }
        if (s < n - 1) f.get(p).get(stepBytes).i32Add().set(p);
      }
      f.get(magnitude).v128And().v128AnyTrue().brIf(1);
      f.addTo(end, direction * n).br(0);
      f.end().end();
    }
  };
  // every bit but the signs: a double's is the top bit of its high word
  if (double) f.i32x4Const([-1, 0x7fffffff, -1, 0x7fffffff]).set(magnitude);
  else f.i32Const(0x7fffffff).i32x4Splat().set(magnitude);
  f.countdown(panels, () => {
    f.i32Const(0).set(lo).get(kc).set(hi);
    skipZeros(lo, 1);
    skipZeros(hi, -1);
    f.get(out).get(lo).i32Store(0);
    f.get(out).get(hi).i32Store(4);
    f.addTo(out, 8);
    f.get(at).get(panelBytes).i32Add().set(at);
  });
}

/**
 * nonFinite(at, rows, vectors, strideBytes) -> i32: whether any of `rows` rows of `vectors`
 * vectors of floats (doubles when `double`), strideBytes apart, is infinite or NaN, that is has
 * every exponent bit set. Branch-free: the lanes' verdicts are or-ed together and tested once.
 */
export function nonFiniteKernel(f: Code, double = false): void {
  const [at, rows, vectors, stride] = [0, 1, 2, 3];
  const p = f.local(i32), i = f.local(i32), exponent = f.local(v128), found = f.local(v128);
  if (double) f.i32x4Const([0, 0x7ff00000, 0, 0x7ff00000]).set(exponent);
  else f.i32Const(0x7f800000).i32x4Splat().set(exponent);
  f.v128ConstZero().set(found);
  f.countdown(rows, () => {
    f.get(at).set(p).get(vectors).set(i);
    f.countdown(i, () => {
      f.get(found).get(p).v128Load().get(exponent).v128And().get(exponent);
      if (double) f.i64x2Eq();
      else f.i32x4Eq();
      f.v128Or().set(found);
      f.addTo(p, 16);
    });
    f.get(at).get(stride).i32Add().set(at);
  });
  f.get(found).v128AnyTrue();
}
