// The gemm's packing kernels (see pack.ts): they rearrange a staged block of a matrix into the
// panels the gemm kernel reads. Floats move as int32 bits, so NaN payloads survive.
//
// A panel of P rows (P = 4 or 8) holds, for each k, the P values X[p*P .. p*P + P - 1, k]
// side by side. Both kernels work on groups of 4 rows: group q lands in panel q >> shift at
// float (q & shift) * 4 of each k's P values, where shift is 0 for P = 4 and 1 for P = 8.

import { type Code, ValType } from "./assembler.js";

const { i32, v128 } = ValType;

/** Pushes the address of row group q's first slot: dst + (q >> shift) * panelBytes + (q & shift) * 16. */
function groupSlot(f: Code, dst: number, q: number, shift: number, panelBytes: number): void {
  f.get(dst).get(q).get(shift).i32ShrU().get(panelBytes).i32Mul().i32Add();
  f.get(q).get(shift).i32And().i32Const(4).i32Shl().i32Add();
}

/**
 * packRows(src, ld, groups, kc, dst, panelBytes, shift): the staged rows are kc floats each, ld
 * bytes apart (groups * 4 of them); each 4 x 4 block is transposed with shuffles.
 */
export function packRowsKernel(f: Code): void {
  const [src, ld, groups, kc, dst, panelBytes, shift] = [0, 1, 2, 3, 4, 5, 6];
  const q = f.local(i32), k = f.local(i32), d = f.local(i32), step = f.local(i32);
  const s = [f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
  const r = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const t = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  f.i32Const(16).get(shift).i32Shl().set(step);
  f.i32Const(0).set(q);
  f.block().get(groups).i32Eqz().brIf(0).loop();
  {
    f.get(src).set(s[0]);
    for (let i = 1; i < 4; i++) f.get(s[i - 1]).get(ld).i32Add().set(s[i]);
    groupSlot(f, dst, q, shift, panelBytes);
    f.set(d);
    f.get(kc).i32Const(2).i32ShrU().set(k);
    f.countdown(k, () => {
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
    f.get(kc).i32Const(3).i32And().set(k);
    f.countdown(k, () => {
      for (let i = 0; i < 4; i++) {
        f.get(d).get(s[i]).i32Load().i32Store(4 * i);
        f.addTo(s[i], 4);
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
 * packCols(src, ld, lines, groups, dst, panelBytes, shift): the staged block is `lines` lines
 * (one per k) of groups * 4 floats, ld bytes apart; a line is already one k's values of all rows.
 */
export function packColsKernel(f: Code): void {
  const [src, ld, lines, groups, dst, panelBytes, shift] = [0, 1, 2, 3, 4, 5, 6];
  const q = f.local(i32), s = f.local(i32), step = f.local(i32);
  f.i32Const(16).get(shift).i32Shl().set(step);
  f.countdown(lines, () => {
    f.get(src).set(s).i32Const(0).set(q);
    f.block().get(groups).i32Eqz().brIf(0).loop();
    groupSlot(f, dst, q, shift, panelBytes);
    f.get(s).v128Load().v128Store();
    f.addTo(s, 16).addTo(q, 1);
    f.get(q).get(groups).i32Sub().brIf(0);
    f.end().end();
    f.get(src).get(ld).i32Add().set(src);
    f.get(dst).get(step).i32Add().set(dst);
  });
}
