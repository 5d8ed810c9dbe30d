/** Small helpers shared by the transforms. */

/** Normalise argnums against the argument count. */
export function checkArgnums(argnums: number | readonly number[], nargs: number, transform: string): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  if (list.length === 0) throw new Error(`${transform}: argnums must not be empty`);
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -nargs || a >= nargs) {
      throw new Error(`${transform}: argnums ${a} is out of range: the function was called with ${nargs} argument(s)`);
    }
    return a < 0 ? a + nargs : a;
  });
  if (new Set(out).size !== out.length) throw new Error(`${transform}: argnums must be unique, got ${JSON.stringify(list)} (with ${nargs} argument(s))`);
  return out;
}
