/**
 * nn.init: in-place initialisers (PyTorch's torch.nn.init), drawing from the manualSeed generator,
 * and copyInto_, which writes values into a concrete tensor's storage (honouring its strides).
 */
import { backend } from "../backend/registry.js";
import { isFloat } from "../core/dtype.js";
import { shapeStr } from "../core/shape.js";
import { storageWritten } from "../core/storage.js";
import { Tensor } from "../core/tensor.js";
import { withGradMode } from "../core/trace.js";
import * as lax from "../primitives/lax.js";
import { checkOptions } from "../core/options.js";

function target(t: Tensor, op: string): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${t === null ? "null" : typeof t}`);
  if (t.storage === null) {
    throw new Error(`${op}: cannot write into a transformed value (a tracer inside vmap/grad); in-place updates need a concrete tensor`);
  }
  return t;
}

/**
 * Write src's values into dst's storage in place (dst keeps its identity, strides and dtype;
 * src is broadcast to dst's shape). Returns dst. Not recorded by autograd.
 */
export function copyInto_(dst: Tensor, src: Tensor | number): Tensor {
  target(dst, "copyInto_");
  const s = withGradMode(false, () => {
    let v = src instanceof Tensor ? src : scalarOf(src, dst);
    if (v.storage === null) v = v.concrete("copyInto_");
    if (v.shape.length > dst.shape.length || v.shape.some((d, i) => d !== 1 && d !== dst.shape[dst.shape.length - v.shape.length + i])) {
      throw new Error(`copyInto_: values of shape ${shapeStr(v.shape)} cannot be written into a tensor of shape ${shapeStr(dst.shape)}`);
    }
    if (v.shape.length < dst.shape.length) v = lax.reshape(v, [...new Array(dst.shape.length - v.shape.length).fill(1), ...v.shape]);
    // values read from dst's own storage (a shifted view of it) are read whole before the writes
    if (v.storage === dst.storage) v = new Tensor(v.shape, v.dtype, v.toTypedArray());
    return lax.expand(v, dst.shape);
  });
  backend().copy(s as never, dst as never);
  storageWritten(dst.storage!);
  return dst;
}

function scalarOf(v: number, like: Tensor): Tensor {
  const arr = like.dtype === "float64" ? new Float64Array(1) : like.dtype === "int32" ? new Int32Array(1) : like.dtype === "bool" ? new Uint8Array(1) : new Float32Array(1);
  arr[0] = v;
  return new Tensor([], like.dtype, arr);
}

/** Fill in place with values drawn by `draw(i)` for each element (row-major). */
function fillWith(t: Tensor, op: string, values: Float64Array): Tensor {
  target(t, op);
  copyInto_(t, new Tensor(t.shape, "float64", values));
  return t;
}

function draws(t: Tensor, kind: "uniform" | "normal"): Float64Array {
  // draw in the tensor's own float dtype, as PyTorch does
  const dtype = t.dtype === "float64" ? "float64" : "float32";
  const r = withGradMode(false, () => (kind === "uniform" ? lax.uniform([...t.shape], dtype) : lax.normal([...t.shape], dtype)));
  return Float64Array.from(r.toTypedArray() as ArrayLike<number>);
}

/** Uniform on [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  checkFloat(target(t, "uniform_"), "uniform_");
  return fillWith(t, "uniform_", draws(t, "uniform").map((u) => a + (b - a) * u));
}

/** Normal with the given mean and std. */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  checkFloat(target(t, "normal_"), "normal_");
  return fillWith(t, "normal_", draws(t, "normal").map((z) => mean + std * z));
}

export function constant_(t: Tensor, value: number): Tensor {
  target(t, "constant_");
  return copyInto_(t, value);
}
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** fan_in and fan_out of a weight [out, in, ...kernel] as PyTorch computes them. */
export function calculateFanInAndFanOut(t: Tensor | readonly number[]): [number, number] {
  const shape = t instanceof Tensor ? t.shape : t;
  if (shape.length < 2) throw new Error(`calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape ${shapeStr(shape)})`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1] * receptive, shape[0] * receptive];
}

export type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d": case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid": return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leaky_relu": { const a = param ?? 0.01; return Math.sqrt(2 / (1 + a * a)); }
    case "selu": return 3 / 4;
    default: throw new Error(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

export interface KaimingOptions {
  a?: number;
  mode?: "fanIn" | "fanOut";
  nonlinearity?: Nonlinearity;
}
const KAIMING_OPTIONS = { a: true, mode: true, nonlinearity: true } as const;

/** The fan that mode ("fanIn" or "fanOut") names; PyTorch's "fan_in" spelling gets a hint rather than the other fan. */
function kaimingFan(t: Tensor, mode: string, op: string): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === "fanIn") return fanIn;
  if (mode === "fanOut") return fanOut;
  const hint = mode === "fan_in" || mode === "fan_out" ? ` (options are camelCase: ${mode === "fan_in" ? "fanIn" : "fanOut"})` : "";
  throw new Error(`${op}: mode must be "fanIn" or "fanOut", got ${JSON.stringify(mode)}${hint}`);
}

/** Kaiming (He) uniform: bound = gain * sqrt(3 / fan). With a = sqrt(5) (nn.Linear's default) this is 1/sqrt(fanIn). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const { a = 0, mode = "fanIn", nonlinearity = "leaky_relu" } = checkOptions("kaimingUniform_", opts, KAIMING_OPTIONS);
  const fan = kaimingFan(t, mode, "kaimingUniform_");
  const bound = fan === 0 ? 0 : calculateGain(nonlinearity, a) * Math.sqrt(3 / fan);
  return uniform_(t, -bound, bound);
}

export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const { a = 0, mode = "fanIn", nonlinearity = "leaky_relu" } = checkOptions("kaimingNormal_", opts, KAIMING_OPTIONS);
  const fan = kaimingFan(t, mode, "kaimingNormal_");
  return normal_(t, 0, fan === 0 ? 0 : calculateGain(nonlinearity, a) / Math.sqrt(fan));
}

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** Check a tensor is a floating-point tensor (for initialisers of parameters). */
export function checkFloat(t: Tensor, op: string): void {
  if (!isFloat(t.dtype)) throw new Error(`${op}: expected a floating-point tensor, got ${t.dtype}`);
}
