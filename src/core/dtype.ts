/** Element types, their storage arrays, and PyTorch's promotion rules (int32 stands in for int64). */
export type DType = "float32" | "float64" | "int32" | "bool";
export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64";
}

export function checkDType(d: unknown, where: string): DType {
  if (typeof d === "string" && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new Error(`${where}: unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(", ")}`);
}

export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32": return new Float32Array(n);
    case "float64": return new Float64Array(n);
    case "int32": return new Int32Array(n);
    case "bool": return new Uint8Array(n);
  }
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Result dtype of a binary op between two tensors. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Result dtype of a tensor with a plain number: a number never widens a tensor's
 * category beyond what it needs (PyTorch's "wrapped number" rule).
 */
export function promoteWithScalar(t: DType, v: number | boolean): DType {
  if (typeof v === "boolean") return t;
  if (isFloat(t)) return t;
  if (!Number.isInteger(v)) return "float32";
  return t === "bool" ? "int32" : t;
}
