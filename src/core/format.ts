// Tensor printing that reproduces PyTorch's repr(tensor) (torch/_tensor_str.py)
// with the default print options. Pure string work: no Node-only APIs.

export type FormatDtype = "float32" | "float64" | "int32" | "bool";

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGEITEMS = 3;
const LINEWIDTH = 80;
const PREFIX = "tensor(";

/** Renders one element, right-aligned to the width shared by all elements. */
interface Formatter {
  width: number;
  format(value: number): string;
}

/** Element access in row-major order, with float32 values rounded as stored. */
type Reader = (flatIndex: number) => number;

/**
 * Formats a tensor exactly like PyTorch's `repr`. `values` is the row-major
 * contents (bools as 0/1); `suffixes` (e.g. "requires_grad=True") follow the data.
 */
export function formatTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: FormatDtype,
  suffixes: readonly string[] = [],
): string {
  const numel = shape.reduce((n, d) => n * d, 1);
  const extra: string[] = [];
  let body: string;
  if (numel === 0) {
    // Like NumPy, PyTorch shows the shape unless it is (0,), and the dtype
    // unless it is the default float one (nothing else can hint at it).
    if (shape.length !== 1) extra.push(`size=(${shape.join(", ")})`);
    if (dtype !== "float32") extra.push(`dtype=${dtype}`);
    body = "[]";
  } else {
    if (dtype === "float64") extra.push("dtype=float64");
    const read: Reader =
      dtype === "float32" ? (i) => Math.fround(values[i]) : (i) => values[i];
    body = tensorBody(read, shape, dtype, numel > THRESHOLD);
  }
  return addSuffixes(PREFIX + body, [...extra, ...suffixes], PREFIX.length);
}

/** Formats the bracketed data, choosing one formatter from the shown elements. */
function tensorBody(read: Reader, shape: readonly number[], dtype: FormatDtype, summarize: boolean): string {
  const strides = rowMajorStrides(shape);
  const formatter = makeFormatter(shownValues(read, shape, strides, summarize), dtype);
  if (shape.length === 0) return formatter.format(read(0));

  const render = (dim: number, offset: number, indent: number): string => {
    const items = axisItems(shape[dim], summarize);
    if (dim === shape.length - 1) {
      const cells = items.map((i) => (i === null ? " ..." : formatter.format(read(offset + i * strides[dim]))));
      return vectorStr(cells, formatter.width, indent);
    }
    const parts = items.map((i) => (i === null ? "..." : render(dim + 1, offset + i * strides[dim], indent + 1)));
    // A k-d block separates its sub-blocks with k-1 newlines (blank lines for k >= 3).
    const separator = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1);
    return "[" + parts.join(separator) + "]";
  };
  return render(0, 0, PREFIX.length);
}

/** Lays out one row, wrapping so that each line fits in LINEWIDTH. */
function vectorStr(cells: string[], width: number, indent: number): string {
  // Each element costs its width plus ", "; the ellipsis cell counts as one element.
  const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (width + 2)));
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += perLine) lines.push(cells.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

/** Indices shown along an axis; `null` stands for the "..." gap when summarised. */
function axisItems(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * EDGEITEMS) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: EDGEITEMS }, (_, i) => i);
  const tail = Array.from({ length: EDGEITEMS }, (_, i) => size - EDGEITEMS + i);
  return [...head, null, ...tail];
}

/** The elements that will be printed: PyTorch sizes its formatter on these only. */
function shownValues(read: Reader, shape: readonly number[], strides: number[], summarize: boolean): number[] {
  const out: number[] = [];
  const walk = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      out.push(read(offset));
      return;
    }
    for (const i of axisItems(shape[dim], summarize)) if (i !== null) walk(dim + 1, offset + i * strides[dim]);
  };
  walk(0, 0);
  return out;
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

/** Mirrors torch's _Formatter: picks int/fixed/scientific mode and a common width. */
function makeFormatter(shown: number[], dtype: FormatDtype): Formatter {
  if (dtype === "int32" || dtype === "bool") {
    const str = dtype === "bool" ? (v: number) => (v ? "True" : "False") : (v: number) => String(v);
    const width = maxLength(shown.map(str));
    return { width, format: (v) => str(v).padStart(width) };
  }

  // Mode and width come from the nonzero finite values; zeros and nan/inf
  // are printed in that mode but never widen the columns.
  const finite = shown.filter((v) => Number.isFinite(v) && v !== 0);
  let mode: "int" | "fixed" | "sci" = "int";
  let width = 1;
  if (finite.length > 0) {
    const abs = finite.map(Math.abs);
    const max = abs.reduce((a, b) => Math.max(a, b));
    const min = abs.reduce((a, b) => Math.min(a, b));
    const sci = max / min > 1000 || max > 1e8 || min < 1e-4;
    // Scientific wins over the integer form ("1.", "2.") when both apply.
    mode = sci ? "sci" : finite.every(Number.isInteger) ? "int" : "fixed";
    width = maxLength(finite.map((v) => floatStr(v, mode)));
  }
  return { width, format: (v) => floatStr(v, mode).padStart(width) };
}

/** Widest string, at least 1 (a loop: spreading huge arrays into Math.max overflows the stack). */
function maxLength(strs: string[]): number {
  return strs.reduce((w, s) => Math.max(w, s.length), 1);
}

/** One float in the given mode, as Python's "{:.4e}" / "{:.0f}" + "." / "{:.4f}". */
function floatStr(v: number, mode: "int" | "fixed" | "sci"): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (mode === "sci") return toExponential(v, PRECISION);
  if (mode === "int") return toFixed(v, 0) + ".";
  return toFixed(v, PRECISION);
}

// Python formats floats correctly rounded with ties to even on the exact binary
// value, and keeps the sign of -0; JS toFixed/toExponential round ties away
// from zero and drop -0. So round from the exact decimal expansion instead.

/** |v| as digits / 10^scale, exactly (every finite double is a finite decimal). */
function exactDecimal(v: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const hi = view.getUint32(0);
  const biased = hi >>> 20;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) mantissa |= 1n << 52n; // implicit leading bit of normal numbers
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** n / d rounded to nearest, ties to even. */
function roundHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twice = 2n * (n % d);
  return twice > d || (twice === d && q % 2n === 1n) ? q + 1n : q;
}

/** digits * 10^shift (shift may be negative), rounded half-even. */
function shiftDecimal(digits: bigint, shift: number): bigint {
  return shift >= 0 ? digits * 10n ** BigInt(shift) : roundHalfEven(digits, 10n ** BigInt(-shift));
}

function signOf(v: number): string {
  return v < 0 || Object.is(v, -0) ? "-" : "";
}

/** Python's "{:.<p>f}" for a finite value. */
function toFixed(v: number, p: number): string {
  const { digits, scale } = exactDecimal(v);
  const s = shiftDecimal(digits, p - scale).toString().padStart(p + 1, "0");
  const body = p === 0 ? s : s.slice(0, -p) + "." + s.slice(-p);
  return signOf(v) + body;
}

/** Python's "{:.<p>e}" for a finite value: mantissa with p decimals, exponent sign and >= 2 digits. */
function toExponential(v: number, p: number): string {
  let mantissa = "0".repeat(p + 1);
  let exp = 0;
  const { digits, scale } = exactDecimal(v);
  if (digits !== 0n) {
    const len = digits.toString().length;
    let q = shiftDecimal(digits, p + 1 - len);
    exp = len - 1 - scale;
    if (q.toString().length > p + 1) {
      // Rounding carried into a new digit (e.g. 9.99995 -> 10.0000).
      q /= 10n;
      exp += 1;
    }
    mantissa = q.toString();
  }
  const frac = p > 0 ? "." + mantissa.slice(1) : "";
  const expStr = (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  return signOf(v) + mantissa[0] + frac + "e" + expStr;
}

/** Appends suffixes after the data, wrapping onto a new line when one would pass LINEWIDTH. */
function addSuffixes(text: string, suffixes: readonly string[], indent: number): string {
  // PyTorch's own arithmetic, including its +1 (and +2 without a newline) slack.
  let lastLineLen = text.length - text.lastIndexOf("\n") + 1;
  let out = text;
  for (const suffix of suffixes) {
    if (lastLineLen + suffix.length + 2 > LINEWIDTH) {
      out += ",\n" + " ".repeat(indent) + suffix;
      lastLineLen = indent + suffix.length;
    } else {
      out += ", " + suffix;
      lastLineLen += suffix.length + 2;
    }
  }
  return out + ")";
}
