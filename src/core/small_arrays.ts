/**
 * Small arrays (65 bytes to 4 KiB) as views into shared blocks. V8 keeps typed arrays of up to 64
 * bytes on its heap, cheaply, but gives every larger one its own backing store: about 1-1.5 us
 * each here, more than a small op's kernel and the largest single cost of a call on a few thousand
 * floats (vmap of a dot over 1024 x 5: 3 of its 12 us, with more garbage collection on top).
 * A view into a block costs about 0.1 us, and the block's one allocation is shared by 16 or more.
 *
 * Nothing is reused: a block is garbage once all its views are, and its memory comes zeroed. The
 * cost is that a view kept alive keeps its whole block: blocks are by size class (powers of two)
 * and hold 16 arrays of their class's largest size, so a kept array holds at most 32 times its own
 * bytes, and never more than 64 KiB. Node pools its small Buffers the same way.
 */

const MIN_BYTES = 65, MAX_BYTES = 4096, PER_BLOCK = 16;
/** Views start on 16-byte boundaries: every element type is aligned, and SIMD copies too. */
const ALIGN = 16;

interface Block { buffer: ArrayBuffer; used: number }
/** The open block of each size class, by log2 of the class's largest size. */
const blocks: (Block | undefined)[] = [];

/** Whether an array of `bytes` bytes comes from a block. */
export const isSmall = (bytes: number): boolean => bytes >= MIN_BYTES && bytes <= MAX_BYTES;

type ArrayOver<T> = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T;

/** A zeroed array of `n` elements of `bytes` bytes in all (isSmall), viewing a block. */
export function smallArray<T>(type: ArrayOver<T>, n: number, bytes: number): T {
  const cls = 32 - Math.clz32(bytes - 1);
  let block = blocks[cls];
  if (!block || block.used + bytes > block.buffer.byteLength) blocks[cls] = block = { buffer: new ArrayBuffer(PER_BLOCK << cls), used: 0 };
  const out = new type(block.buffer, block.used, n);
  block.used += (bytes + ALIGN - 1) & -ALIGN;
  return out;
}
