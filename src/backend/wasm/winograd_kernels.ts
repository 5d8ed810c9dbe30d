// The SIMD kernels of Winograd's F(2x2, 3x3) convolution (winograd.ts): the transform of 4 x 4
// input tiles (B^T d B), the transform back of 4 x 4 products into 2 x 2 outputs (A^T m A), and
// the copy of images into a zero-padded stage. A vector holds one value of four neighbouring
// tiles of a row, so the transforms are plain vector adds. Pointers are byte addresses.
//
//   B^T = [1  0 -1  0]      A^T = [1  1  1  0]
//         [0  1  1  0]            [0  1 -1 -1]
//         [0 -1  1  0]
//         [0  1  0 -1]
import { Code, ValType } from "./assembler.js";

const { i32, v128 } = ValType;

/**
 * copyPlanes(src, srcChanBytes, srcRowBytes, channels, h, w, dst, dstChanBytes, dstRowBytes):
 * copies `channels` planes of h rows of w floats from src to dst, each side with its own strides
 * between channels and rows: images into the zero-padded stages, and gradients out of them.
 */
export function copyPlanesKernel(f: Code): void {
  const [src, srcChanBytes, srcRowBytes, channels, h, w, dst, dstChanBytes, dstRowBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const r = f.local(i32), i = f.local(i32), p = f.local(i32), q = f.local(i32), from = f.local(i32), to = f.local(i32);
  f.countdown(channels, () => {
    f.get(src).set(from).get(dst).set(to).get(h).set(r);
    f.countdown(r, () => {
      f.get(from).set(p).get(to).set(q);
      f.get(w).i32Const(2).i32ShrU().set(i);
      f.countdown(i, () => f.get(q).get(p).v128Load().v128Store().addTo(p, 16).addTo(q, 16));
      f.get(w).i32Const(3).i32And().set(i);
      f.countdown(i, () => f.get(q).get(p).f32Load().f32Store().addTo(p, 4).addTo(q, 4));
      f.get(from).get(srcRowBytes).i32Add().set(from);
      f.get(to).get(dstRowBytes).i32Add().set(to);
    });
    f.get(src).get(srcChanBytes).i32Add().set(src);
    f.get(dst).get(dstChanBytes).i32Add().set(dst);
  });
}

/** The parameters (locals) of the two kernels that walk the tiles of staged images: input and gradient. */
interface TileWalk { src: number; rowBytes: number; chanBytes: number; channels: number; tileRows: number; groups: number; dst: number; lineBytes: number }

/**
 * For each staged channel (chanBytes apart, rows rowBytes apart), each of tileRows rows of tiles
 * and each group of four tiles in the row, body(p, q): p the byte address of the group's first
 * stage column in the tile row's first stage row (tile tx starts 2 columns after tile tx - 1,
 * tile row ty 2 rows after ty - 1), q where its four values go in a plane (channel c's tile t at
 * c * lineBytes + 4t).
 */
function forEachTileGroup(f: Code, w: TileWalk, body: (p: number, q: number) => void): void {
  const ty = f.local(i32), g = f.local(i32), chan = f.local(i32), rowP = f.local(i32), p = f.local(i32);
  const q = f.local(i32), line = f.local(i32);
  f.get(w.src).set(chan).get(w.dst).set(line);
  f.countdown(w.channels, () => {
    f.get(chan).set(rowP).get(line).set(q).get(w.tileRows).set(ty);
    f.countdown(ty, () => {
      f.get(rowP).set(p).get(w.groups).set(g);
      f.countdown(g, () => {
        body(p, q);
        // the next four tiles: 8 columns on in the stage, 4 floats on in each plane
        f.addTo(p, 32).addTo(q, 16);
      });
      f.get(rowP).get(w.rowBytes).i32Const(1).i32Shl().i32Add().set(rowP);
    });
    f.get(chan).get(w.chanBytes).i32Add().set(chan);
    f.get(line).get(w.lineBytes).i32Add().set(line);
  });
}

/** Splits the 8 floats at `at` + offset into the even and the odd ones: four tiles' values at columns 2tx and 2tx + 1. */
function evenOdd(f: Code, at: number, offset: number, even: number, odd: number): void {
  const lo = f.local(v128), hi = f.local(v128);
  f.get(at).v128Load(offset).set(lo).get(at).v128Load(offset + 16).set(hi);
  f.get(lo).get(hi).i32x4Shuffle([0, 2, 4, 6]).set(even);
  f.get(lo).get(hi).i32x4Shuffle([1, 3, 5, 7]).set(odd);
}

/** Stores 16 vectors, value(k) leaving the k-th on the stack, to q + k * planeBytes. */
function storePlanes(f: Code, q: number, planeBytes: number, value: (k: number) => void): void {
  const at = f.local(i32);
  f.get(q).set(at);
  for (let k = 0; k < 16; k++) {
    f.get(at);
    value(k);
    f.v128Store();
    if (k < 15) f.get(at).get(planeBytes).i32Add().set(at);
  }
}

/**
 * input(src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes): for
 * each staged channel and each of tileRows x groups * 4 tiles (tile (ty, tx) reads rows
 * 2ty..2ty+3, columns 2tx..2tx+3), writes the 16 values of B^T d B: value (a, b) of channel c's
 * tile t to dst + (4a + b) * planeBytes + c * lineBytes + 4t.
 */
export function winogradInputKernel(f: Code): void {
  const [src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const at = f.local(i32);
  // d[4r + k] = the four tiles' row r, column k; e = row a of B^T d, made just before its stores
  const d = Array.from({ length: 16 }, () => f.local(v128));
  const e = Array.from({ length: 4 }, () => f.local(v128));
  // (x, y, add): rows and columns of B^T combine as x - y or x + y
  const B: [number, number, boolean][] = [[0, 2, false], [1, 2, true], [2, 1, false], [1, 3, false]];
  const combine = (values: (i: number) => number, [x, y, add]: [number, number, boolean]): void => {
    f.get(values(x)).get(values(y));
    if (add) f.f32x4Add(); else f.f32x4Sub();
  };
  forEachTileGroup(f, { src, rowBytes, chanBytes, channels, tileRows, groups, dst, lineBytes }, (p, q) => {
    for (let r = 0; r < 4; r++) {
      f.get(p).get(rowBytes).i32Const(r).i32Mul().i32Add().set(at);
      evenOdd(f, at, 0, d[4 * r], d[4 * r + 1]);
      evenOdd(f, at, 8, d[4 * r + 2], d[4 * r + 3]);
    }
    storePlanes(f, q, planeBytes, (k) => {
      const a = Math.floor(k / 4);
      if (k % 4 === 0) {
        for (let col = 0; col < 4; col++) {
          combine((row) => d[4 * row + col], B[a]);
          f.set(e[col]);
        }
      }
      // then (B^T d) B along the row
      combine((col) => e[col], B[k % 4]);
    });
  });
}

/**
 * output(src, planeBytes, lineBytes, channels, tileRows, groups, dst, rowBytes, chanBytes): for
 * each channel (its tiles' 16 products at src + (4a + b) * planeBytes + c * lineBytes + 4t) and
 * tile, writes the 2 x 2 outputs A^T m A to rows 2ty, 2ty + 1 and columns 2tx, 2tx + 1 of
 * channel c at dst (rows rowBytes apart, channels chanBytes apart). Outputs past the end of a row
 * spill into the start of the next, which a later store overwrites: the groups of a tile row go
 * from last to first, and rows and channels in order. The last spill needs rowBytes + 32 bytes
 * of slack past the last channel.
 */
export function winogradOutputKernel(f: Code): void {
  const [src, planeBytes, lineBytes, channels, tileRows, groups, dst, rowBytes, chanBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const ty = f.local(i32), g = f.local(i32), line = f.local(i32), out = f.local(i32), rowOut = f.local(i32);
  const p = f.local(i32), q = f.local(i32), at = f.local(i32), store = f.local(i32), lastGroup = f.local(i32);
  const m = Array.from({ length: 16 }, () => f.local(v128));
  const s = Array.from({ length: 8 }, () => f.local(v128));
  const y0 = f.local(v128), y1 = f.local(v128);
  f.get(groups).i32Const(1).i32Sub().set(lastGroup);
  f.get(src).set(line).get(dst).set(out);
  f.countdown(channels, () => {
    f.get(out).set(rowOut).get(line).set(p).get(tileRows).set(ty);
    f.countdown(ty, () => {
      // from the last group of the tile row back to the first
      f.get(p).get(lastGroup).i32Const(4).i32Shl().i32Add().set(at);
      f.get(rowOut).get(lastGroup).i32Const(5).i32Shl().i32Add().set(q);
      f.get(groups).set(g);
      f.countdown(g, () => {
        f.get(at).set(p);
        for (let k = 0; k < 16; k++) {
          f.get(at).v128Load().set(m[k]);
          if (k < 15) f.get(at).get(planeBytes).i32Add().set(at);
        }
        // s = A^T m: row 0 = m0 + m1 + m2, row 1 = m1 - m2 - m3 (rows of m are a = 0..3)
        for (let b = 0; b < 4; b++) {
          f.get(m[b]).get(m[4 + b]).f32x4Add().get(m[8 + b]).f32x4Add().set(s[b]);
          f.get(m[4 + b]).get(m[8 + b]).f32x4Sub().get(m[12 + b]).f32x4Sub().set(s[4 + b]);
        }
        for (let i = 0; i < 2; i++) {
          const r = s.slice(4 * i, 4 * i + 4);
          f.get(r[0]).get(r[1]).f32x4Add().get(r[2]).f32x4Add().set(y0);
          f.get(r[1]).get(r[2]).f32x4Sub().get(r[3]).f32x4Sub().set(y1);
          // interleave: column 2tx then 2tx + 1, tile by tile
          f.get(q).get(rowBytes).i32Const(i).i32Mul().i32Add().set(store);
          f.get(store).get(y0).get(y1).i32x4Shuffle([0, 4, 1, 5]).v128Store(0);
          f.get(store).get(y0).get(y1).i32x4Shuffle([2, 6, 3, 7]).v128Store(16);
        }
        // back one group: 4 tiles of products, 8 columns of output
        f.get(p).i32Const(16).i32Sub().set(at);
        f.get(q).i32Const(32).i32Sub().set(q);
      });
      f.get(p).get(groups).i32Const(4).i32Shl().i32Add().set(p);
      f.get(rowOut).get(rowBytes).i32Const(1).i32Shl().i32Add().set(rowOut);
    });
    f.get(line).get(lineBytes).i32Add().set(line);
    f.get(out).get(chanBytes).i32Add().set(out);
  });
}

/**
 * gradient(src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes): the
 * transpose of output: for each channel of a staged gradient dy (zero past the outputs) and each
 * tile, the 16 values of A dy A^T, where dy is the tile's 2 x 2 block (rows 2ty, 2ty + 1,
 * columns 2tx, 2tx + 1), written as input writes its values.
 *   A dy A^T, with A = [1 0; 1 1; 1 -1; 0 -1]
 */
export function winogradGradientKernel(f: Code): void {
  const [src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const at = f.local(i32);
  // d[2i + j] = the four tiles' dy[i][j]; r[2a + j] = row a of A dy
  const d = Array.from({ length: 4 }, () => f.local(v128));
  const r = Array.from({ length: 8 }, () => f.local(v128));
  /** x, x + y, x - y or -y on the stack, by A's row (1 0, 1 1, 1 -1, 0 -1) */
  const combine = (x: number, y: number, row: number): void => {
    if (row === 0) f.get(x);
    else if (row === 1) f.get(x).get(y).f32x4Add();
    else if (row === 2) f.get(x).get(y).f32x4Sub();
    else f.get(y).f32x4Neg();
  };
  forEachTileGroup(f, { src, rowBytes, chanBytes, channels, tileRows, groups, dst, lineBytes }, (p, q) => {
    f.get(p).set(at);
    evenOdd(f, at, 0, d[0], d[1]);
    f.get(p).get(rowBytes).i32Add().set(at);
    evenOdd(f, at, 0, d[2], d[3]);
    for (let a = 0; a < 4; a++) for (let j = 0; j < 2; j++) {
      combine(d[j], d[2 + j], a);
      f.set(r[2 * a + j]);
    }
    storePlanes(f, q, planeBytes, (k) => combine(r[2 * Math.floor(k / 4)], r[2 * Math.floor(k / 4) + 1], k % 4));
  });
}

/**
 * inputAdjoint(src, planeBytes, lineBytes, channels, tileRows, groups, dst, rowBytes, chanBytes):
 * the transpose of input: for each channel and tile, B X B^T of its 16 values X (laid out as
 * input writes them), added into the 4 x 4 block of the stage the tile read (rows 2ty..2ty+3,
 * columns 2tx..2tx+3; rows rowBytes apart, channels chanBytes apart, zeroed by the caller).
 * Neighbouring tiles overlap by two columns: a row's four tiles add their columns 0 and 1 to the
 * even and odd columns they start at, and their columns 2 and 3 one tile further on, carried to
 * the next group of four (and after the last, to the 2 columns past it).
 *   B = [1 0 0 0; 0 1 -1 1; -1 1 1 0; 0 0 0 -1]
 */
export function winogradInputAdjointKernel(f: Code): void {
  const [src, planeBytes, lineBytes, channels, tileRows, groups, dst, rowBytes, chanBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const ty = f.local(i32), g = f.local(i32), line = f.local(i32), out = f.local(i32), rowOut = f.local(i32);
  const p = f.local(i32), q = f.local(i32), at = f.local(i32);
  const m = Array.from({ length: 16 }, () => f.local(v128));
  const row = Array.from({ length: 4 }, () => f.local(v128));
  const v = Array.from({ length: 4 }, () => f.local(v128));
  const carry = Array.from({ length: 8 }, () => f.local(v128));
  const even = f.local(v128), odd = f.local(v128);
  /** B's row i applied to four vectors x(0..3), left on the stack */
  const applyB = (x: (a: number) => number, i: number): void => {
    if (i === 0) f.get(x(0));
    else if (i === 1) f.get(x(1)).get(x(2)).f32x4Sub().get(x(3)).f32x4Add();
    else if (i === 2) f.get(x(1)).get(x(2)).f32x4Add().get(x(0)).f32x4Sub();
    else f.get(x(3)).f32x4Neg();
  };
  f.get(src).set(line).get(dst).set(out);
  f.countdown(channels, () => {
    f.get(out).set(rowOut).get(line).set(p).get(tileRows).set(ty);
    f.countdown(ty, () => {
      for (const c of carry) f.v128ConstZero().set(c);
      f.get(rowOut).set(q).get(groups).set(g);
      f.countdown(g, () => {
        f.get(p).set(at);
        for (let k = 0; k < 16; k++) {
          f.get(at).v128Load().set(m[k]);
          if (k < 15) f.get(at).get(planeBytes).i32Add().set(at);
        }
        for (let r = 0; r < 4; r++) {
          // row r of B X, then of (B X) B^T: the four tiles' values at columns 0..3 of their block
          for (let b = 0; b < 4; b++) {
            applyB((a) => m[4 * a + b], r);
            f.set(row[b]);
          }
          for (let c = 0; c < 4; c++) {
            applyB((b) => row[b], c);
            f.set(v[c]);
          }
          // columns 2tx and 2tx + 1 get the tile's 0 and 1 and the previous tile's 2 and 3
          f.get(v[0]).get(carry[2 * r]).get(v[2]).i32x4Shuffle([3, 4, 5, 6]).f32x4Add().set(even);
          f.get(v[1]).get(carry[2 * r + 1]).get(v[3]).i32x4Shuffle([3, 4, 5, 6]).f32x4Add().set(odd);
          f.get(q).get(rowBytes).i32Const(r).i32Mul().i32Add().set(at);
          f.get(at).get(at).v128Load(0).get(even).get(odd).i32x4Shuffle([0, 4, 1, 5]).f32x4Add().v128Store(0);
          f.get(at).get(at).v128Load(16).get(even).get(odd).i32x4Shuffle([2, 6, 3, 7]).f32x4Add().v128Store(16);
          f.get(v[2]).set(carry[2 * r]).get(v[3]).set(carry[2 * r + 1]);
        }
        f.addTo(p, 16).addTo(q, 32);
      });
      // the last group's last tile: its columns 2 and 3 land past the group
      for (let r = 0; r < 4; r++) {
        f.get(q).get(rowBytes).i32Const(r).i32Mul().i32Add().set(at);
        for (let j = 0; j < 2; j++) f.get(at).get(at).f32Load(4 * j).get(carry[2 * r + j]).f32x4ExtractLane(3).f32Add().f32Store(4 * j);
      }
      f.get(rowOut).get(rowBytes).i32Const(1).i32Shl().i32Add().set(rowOut);
    });
    f.get(line).get(lineBytes).i32Add().set(line);
    f.get(out).get(chanBytes).i32Add().set(out);
  });
}
