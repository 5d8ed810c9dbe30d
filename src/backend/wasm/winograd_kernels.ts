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
 * pad(src, channels, h, w, dst, chanBytes, rowBytes): copies `channels` images of h rows of w
 * floats (contiguous at src) to dst + c * chanBytes + r * rowBytes, into a stage zeroed by the caller.
 */
export function padKernel(f: Code): void {
  const [src, channels, h, w, dst, chanBytes, rowBytes] = [0, 1, 2, 3, 4, 5, 6];
  const r = f.local(i32), i = f.local(i32), q = f.local(i32), row = f.local(i32);
  f.countdown(channels, () => {
    f.get(dst).set(row).get(h).set(r);
    f.countdown(r, () => {
      f.get(row).set(q);
      f.get(w).i32Const(2).i32ShrU().set(i);
      f.countdown(i, () => f.get(q).get(src).v128Load().v128Store().addTo(src, 16).addTo(q, 16));
      f.get(w).i32Const(3).i32And().set(i);
      f.countdown(i, () => f.get(q).get(src).f32Load().f32Store().addTo(src, 4).addTo(q, 4));
      f.get(row).get(rowBytes).i32Add().set(row);
    });
    f.get(dst).get(chanBytes).i32Add().set(dst);
  });
}

/**
 * input(src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes): for
 * each staged channel (chanBytes apart, rows rowBytes apart) and each of tileRows x groups * 4
 * tiles (tile (ty, tx) reads rows 2ty..2ty+3, columns 2tx..2tx+3), writes the 16 values of
 * B^T d B: value (a, b) of channel c's tile t to dst + (4a + b) * planeBytes + c * lineBytes + 4t.
 */
export function winogradInputKernel(f: Code): void {
  const [src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const ty = f.local(i32), g = f.local(i32), chan = f.local(i32), rowP = f.local(i32), p = f.local(i32);
  const q = f.local(i32), line = f.local(i32), at = f.local(i32);
  const d = Array.from({ length: 16 }, () => f.local(v128));
  const e = Array.from({ length: 4 }, () => f.local(v128));
  const t0 = f.local(v128), t1 = f.local(v128);
  f.get(src).set(chan).get(dst).set(line);
  f.countdown(channels, () => {
    f.get(chan).set(rowP).get(line).set(q).get(tileRows).set(ty);
    f.countdown(ty, () => {
      f.get(rowP).set(p).get(groups).set(g);
      f.countdown(g, () => {
        // d[4r + k] = row r's value k of the four tiles: columns 2tx + k, tx = 4 tiles apart by 2
        for (let r = 0; r < 4; r++) {
          f.get(p).get(rowBytes).i32Const(r).i32Mul().i32Add().set(at);
          f.get(at).v128Load(0).set(t0).get(at).v128Load(16).set(t1);
          f.get(t0).get(t1).i32x4Shuffle([0, 2, 4, 6]).set(d[4 * r]);
          f.get(t0).get(t1).i32x4Shuffle([1, 3, 5, 7]).set(d[4 * r + 1]);
          f.get(at).v128Load(8).set(t0).get(at).v128Load(24).set(t1);
          f.get(t0).get(t1).i32x4Shuffle([0, 2, 4, 6]).set(d[4 * r + 2]);
          f.get(t0).get(t1).i32x4Shuffle([1, 3, 5, 7]).set(d[4 * r + 3]);
        }
        f.get(q).set(at);
        for (let a = 0; a < 4; a++) {
          // e = row a of B^T d: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) taken down the columns
          for (let k = 0; k < 4; k++) {
            const [x, y, op] = [[0, 2, "sub"], [1, 2, "add"], [2, 1, "sub"], [1, 3, "sub"]][a] as [number, number, string];
            f.get(d[4 * x + k]).get(d[4 * y + k]);
            if (op === "add") f.f32x4Add(); else f.f32x4Sub();
            f.set(e[k]);
          }
          // then (e B)[a][b] along the row
          const cols: [number, number, boolean][] = [[0, 2, false], [1, 2, true], [2, 1, false], [1, 3, false]];
          for (const [x, y, add] of cols) {
            f.get(at).get(e[x]).get(e[y]);
            if (add) f.f32x4Add(); else f.f32x4Sub();
            f.v128Store();
            f.get(at).get(planeBytes).i32Add().set(at);
          }
        }
        // the next four tiles: 8 columns on in the stage, 4 floats on in each plane
        f.addTo(p, 32).addTo(q, 16);
      });
      f.get(rowP).get(rowBytes).i32Const(1).i32Shl().i32Add().set(rowP);
    });
    f.get(chan).get(chanBytes).i32Add().set(chan);
    f.get(line).get(lineBytes).i32Add().set(line);
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
 * transpose of output: for each channel of a staged gradient dy (rows rowBytes apart, channels
 * chanBytes apart, zero past the outputs) and each tile, the 16 values of A dy A^T, where dy is
 * the tile's 2 x 2 block (rows 2ty, 2ty + 1, columns 2tx, 2tx + 1), written as input writes them.
 *   A dy A^T, with A = [1 0; 1 1; 1 -1; 0 -1]
 */
export function winogradGradientKernel(f: Code): void {
  const [src, rowBytes, chanBytes, channels, tileRows, groups, dst, planeBytes, lineBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const ty = f.local(i32), g = f.local(i32), chan = f.local(i32), rowP = f.local(i32), p = f.local(i32);
  const q = f.local(i32), line = f.local(i32), at = f.local(i32);
  // d[2i + j] = the four tiles' dy[i][j]; r[2a + j] = row a of A dy
  const d = Array.from({ length: 4 }, () => f.local(v128));
  const r = Array.from({ length: 8 }, () => f.local(v128));
  const t0 = f.local(v128), t1 = f.local(v128);
  /** x + y, x - y, or -y on the stack, by which of A's rows (1 1, 1 -1, 0 -1) */
  const combine = (x: number, y: number, row: number): void => {
    if (row === 0) f.get(x);
    else if (row === 1) f.get(x).get(y).f32x4Add();
    else if (row === 2) f.get(x).get(y).f32x4Sub();
    else f.get(y).f32x4Neg();
  };
  f.get(src).set(chan).get(dst).set(line);
  f.countdown(channels, () => {
    f.get(chan).set(rowP).get(line).set(q).get(tileRows).set(ty);
    f.countdown(ty, () => {
      f.get(rowP).set(p).get(groups).set(g);
      f.countdown(g, () => {
        for (let i = 0; i < 2; i++) {
          f.get(p).get(rowBytes).i32Const(i).i32Mul().i32Add().set(at);
          f.get(at).v128Load(0).set(t0).get(at).v128Load(16).set(t1);
          f.get(t0).get(t1).i32x4Shuffle([0, 2, 4, 6]).set(d[2 * i]);
          f.get(t0).get(t1).i32x4Shuffle([1, 3, 5, 7]).set(d[2 * i + 1]);
        }
        for (let a = 0; a < 4; a++) for (let j = 0; j < 2; j++) {
          combine(d[j], d[2 + j], a);
          f.set(r[2 * a + j]);
        }
        f.get(q).set(at);
        for (let a = 0; a < 4; a++) {
          for (let b = 0; b < 4; b++) {
            f.get(at);
            combine(r[2 * a], r[2 * a + 1], b);
            f.v128Store();
            f.get(at).get(planeBytes).i32Add().set(at);
          }
        }
        // the next four tiles: 8 columns on in the stage, 4 floats on in each plane
        f.addTo(p, 32).addTo(q, 16);
      });
      f.get(rowP).get(rowBytes).i32Const(1).i32Shl().i32Add().set(rowP);
    });
    f.get(chan).get(chanBytes).i32Add().set(chan);
    f.get(line).get(lineBytes).i32Add().set(line);
  });
}
