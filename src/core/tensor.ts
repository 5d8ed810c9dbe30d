/**
 * The Tensor class. A concrete tensor is a strided view of a typed array; a tracer (see
 * trace.ts) is a Tensor with no storage that a transform carries through the user's function.
 * Public methods (add, matmul, ...) are attached by ops/methods.ts.
 */
import type { DType, TypedArray } from "./dtype.js";
import { allocUnwritten, dtypeOfArray, isFloat } from "./dtype.js";
import { contiguousStrides, numelOf, type Shape } from "./shape.js";
import type { Node } from "./node.js";
import { formatTensor } from "./format.js";
import { backend } from "../backend/registry.js";
import { storageExposed } from "./storage.js";

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Storage of a concrete tensor; null for tracers. The library reads it here; `data` is for users. */
  readonly storage: TypedArray | null;
  readonly strides: readonly number[];
  readonly offset: number;

  /** Tape autograd (torch.autograd): set on leaves by requiresGrad_, on results by recording. */
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The node that produced this tensor (null for leaves). */
  gradFn: Node | null = null;
  /** A leaf's accumulator node, made when it first enters a recorded graph. */
  gradAccumulator: Node | null = null;

  constructor(shape: Shape, dtype: DType, data: TypedArray | null, strides?: readonly number[], offset = 0) {
    this.shape = shape;
    this.dtype = dtype;
    this.storage = data;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
  }

  /**
   * The storage array (null for a tracer), which code outside the library may write into at any
   * time: once handed out, backends keep no copies of it (the wasm backend stops mirroring it),
   * so every write is seen by the next op, as with PyTorch's `p.data`. To read values use
   * toTypedArray() (a row-major copy); to write a whole tensor, nn.init.copyInto_.
   */
  get data(): TypedArray | null {
    if (this.storage) storageExposed(this.storage);
    return this.storage;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  /** Whether this is a leaf of the tape (a user-made tensor, or any tensor not requiring grad). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The concrete tensor behind this value: itself, or a tracer's primal where one is known. */
  concrete(op: string): Tensor {
    void op;
    return this;
  }

  /** A contiguous typed array of the elements, to read: it is the storage itself when that is contiguous. */
  contiguousData(): TypedArray {
    const t = this.concrete("data");
    const data = t.storage!;
    if (t.isContiguous()) return t.offset === 0 && data.length === t.numel ? data : data.subarray(t.offset, t.offset + t.numel);
    const out = allocUnwritten(t.dtype, t.numel);
    copyStrided(t, out);
    return out;
  }

  isContiguous(): boolean {
    let s = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== s) return false;
      s *= this.shape[i];
    }
    return true;
  }

  /** A row-major copy of the elements. */
  toTypedArray(): TypedArray {
    const t = this.concrete("toTypedArray()");
    const out = allocUnwritten(t.dtype, t.numel);
    copyStrided(t, out);
    return out;
  }

  /** The value of a one-element tensor. */
  item(): number | boolean {
    const t = this.concrete("item()");
    if (t.numel !== 1) {
      throw new Error(`item(): a Tensor with ${t.numel} elements (shape [${t.shape.join(", ")}]) cannot be converted to a number; item() needs exactly one element`);
    }
    const v = t.storage![t.offset];
    return t.dtype === "bool" ? v !== 0 : v;
  }

  /** Nested arrays of numbers (booleans for bool tensors); a number for 0-d tensors. */
  tolist(): unknown {
    const t = this.concrete("tolist()");
    const flat = t.toTypedArray();
    const conv = (v: number): number | boolean => (t.dtype === "bool" ? v !== 0 : v);
    if (t.ndim === 0) return conv(flat[0]);
    let pos = 0;
    const build = (d: number): unknown[] => {
      const out: unknown[] = [];
      for (let i = 0; i < t.shape[d]; i++) out.push(d === t.ndim - 1 ? conv(flat[pos++]) : build(d + 1));
      return out;
    };
    return build(0);
  }

  /**
   * Number contexts (`x > 0`, `Number(x)`, `+x`, `Math.max(x, 1)`) take a one-element tensor's
   * value, as PyTorch's `if x > 0:` and `float(x)` do; without this JavaScript would compare the
   * printed text and quietly get false. String contexts (`${x}`, "x: " + x) print the tensor.
   */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint !== "number") return this.toString();
    const op = "Number(x) (which x > 0 and +x call)";
    const t = this.concrete(op);
    if (t.numel !== 1) {
      throw new Error(`${op}: a Tensor with ${t.numel} elements (shape [${t.shape.join(", ")}]) has no single number; reduce it first (x.sum(), x.max()) or compare elementwise (x.gt(0))`);
    }
    return Number(t.storage![t.offset]);
  }

  toString(): string {
    const t = this.concrete("toString()");
    const suffixes: string[] = [];
    if (this.gradFn) suffixes.push(`grad_fn=<${this.gradFn.name}Backward>`);
    else if (this.requiresGrad) suffixes.push("requires_grad=True");
    return formatTensor(t.toTypedArray(), t.shape, t.dtype, suffixes);
  }

  /** Mark a leaf as requiring grad (in place), as torch's requires_grad_(). */
  requiresGrad_(flag = true): this {
    if (this.gradFn) throw new Error("requiresGrad_: only leaf tensors can change requiresGrad; use detach() first");
    if (flag && !isFloat(this.dtype)) {
      throw new Error(`requiresGrad_: only float tensors can require gradients, this one is ${this.dtype}; cast it first (x.to("float32"))`);
    }
    this.requiresGrad = flag;
    return this;
  }
}

/** Copy a concrete strided tensor into a contiguous array (element type converted by assignment). */
export function copyStrided(t: Tensor, out: TypedArray): void {
  backend().copy({ data: t.storage!, shape: t.shape, strides: t.strides, offset: t.offset }, { data: out, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 });
}

/** Wrap a typed array as a contiguous tensor of the given shape. */
export function fromData(data: TypedArray, shape: Shape, dtype: DType = dtypeOfArray(data)): Tensor {
  return new Tensor(shape, dtype, data);
}
