/**
 * The primitive layer as functions: each binds one primitive with no checking, promotion or
 * broadcasting (the public ops in ops/ do that). Rules are written with these.
 */
import type { DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { foldP, unfoldP, type FoldParams, type UnfoldParams } from "./conv.js";
import { convInputGradP, convP, convWeightGradP, type ConvInputGradParams, type ConvParams, type ConvWeightGradParams } from "./convolution.js";
import * as E from "./elementwise.js";
import { gatherP, scatterAddP } from "./gather.js";
import { matmulP } from "./linalg.js";
import { normalP, uniformP } from "./random.js";
import * as R from "./reduce.js";
import * as S from "./shape.js";
import { layerNormP } from "./layer_norm.js";
import { logSoftmaxGatherP } from "./log_softmax_gather.js";
import { logSoftmaxP, softmaxP } from "./softmax.js";

// wrappers read the primitive at call time: the primitive modules import this one (a cycle)
export const neg = (x: Tensor): Tensor => bind(E.negP, [x], null);
export const abs = (x: Tensor): Tensor => bind(E.absP, [x], null);
export const sign = (x: Tensor): Tensor => bind(E.signP, [x], null);
export const floor = (x: Tensor): Tensor => bind(E.floorP, [x], null);
export const ceil = (x: Tensor): Tensor => bind(E.ceilP, [x], null);
export const round = (x: Tensor): Tensor => bind(E.roundP, [x], null);
export const trunc = (x: Tensor): Tensor => bind(E.truncP, [x], null);
export const exp = (x: Tensor): Tensor => bind(E.expP, [x], null);
export const log = (x: Tensor): Tensor => bind(E.logP, [x], null);
export const log1p = (x: Tensor): Tensor => bind(E.log1pP, [x], null);
export const sqrt = (x: Tensor): Tensor => bind(E.sqrtP, [x], null);
export const sin = (x: Tensor): Tensor => bind(E.sinP, [x], null);
export const cos = (x: Tensor): Tensor => bind(E.cosP, [x], null);
export const tanh = (x: Tensor): Tensor => bind(E.tanhP, [x], null);
export const square = (x: Tensor): Tensor => bind(E.squareP, [x], null);
export const sigmoid = (x: Tensor): Tensor => bind(E.sigmoidP, [x], null);
export const erf = (x: Tensor): Tensor => bind(E.erfP, [x], null);
export const relu = (x: Tensor): Tensor => bind(E.reluP, [x], null);
export const gelu = (x: Tensor): Tensor => bind(E.geluP, [x], null);
export const geluDerivative = (x: Tensor): Tensor => bind(E.geluDerivativeP, [x], null);
export const geluTanh = (x: Tensor): Tensor => bind(E.geluTanhP, [x], null);
export const add = (x: Tensor, y: Tensor): Tensor => bind(E.addP, [x, y], null);
/** The sum of a rule's (co)tangent terms, any of which may be a symbolic zero (null): null when all are. */
export const addTerms = (...terms: (Tensor | null)[]): Tensor | null =>
  terms.reduce<Tensor | null>((sum, t) => (t ? (sum ? add(sum, t) : t) : sum), null);
export const sub = (x: Tensor, y: Tensor): Tensor => bind(E.subP, [x, y], null);
export const mul = (x: Tensor, y: Tensor): Tensor => bind(E.mulP, [x, y], null);
export const div = (x: Tensor, y: Tensor): Tensor => bind(E.divP, [x, y], null);
export const pow = (x: Tensor, y: Tensor): Tensor => bind(E.powP, [x, y], null);
export const maximum = (x: Tensor, y: Tensor): Tensor => bind(E.maximumP, [x, y], null);
export const reluBackward = (g: Tensor, x: Tensor): Tensor => bind(E.reluBackwardP, [g, x], null);
export const tanhBackward = (g: Tensor, y: Tensor): Tensor => bind(E.tanhBackwardP, [g, y], null);
export const sigmoidBackward = (g: Tensor, y: Tensor): Tensor => bind(E.sigmoidBackwardP, [g, y], null);
export const geluBackward = (g: Tensor, x: Tensor): Tensor => bind(E.geluBackwardP, [g, x], null);
export const minimum = (x: Tensor, y: Tensor): Tensor => bind(E.minimumP, [x, y], null);
export const clamp = (x: Tensor, lo: Tensor, hi: Tensor): Tensor => bind(E.clampP, [x, lo, hi], null);
export const eq = (x: Tensor, y: Tensor): Tensor => bind(E.eqP, [x, y], null);
export const ne = (x: Tensor, y: Tensor): Tensor => bind(E.neP, [x, y], null);
export const lt = (x: Tensor, y: Tensor): Tensor => bind(E.ltP, [x, y], null);
export const le = (x: Tensor, y: Tensor): Tensor => bind(E.leP, [x, y], null);
export const gt = (x: Tensor, y: Tensor): Tensor => bind(E.gtP, [x, y], null);
export const ge = (x: Tensor, y: Tensor): Tensor => bind(E.geP, [x, y], null);
export const where = (c: Tensor, x: Tensor, y: Tensor): Tensor => bind(E.whereP, [c, x, y], null);
export const cast = (x: Tensor, dtype: DType): Tensor => (x.dtype === dtype ? x : bind(E.castP, [x], { dtype }));

export const sum = (x: Tensor, axes: number[], keepdim: boolean): Tensor => bind(R.sumP, [x], { axes, keepdim });
export const prod = (x: Tensor, axes: number[], keepdim: boolean): Tensor => bind(R.prodP, [x], { axes, keepdim });
export const max = (x: Tensor, axes: number[], keepdim: boolean): Tensor => bind(R.maxP, [x], { axes, keepdim });
export const min = (x: Tensor, axes: number[], keepdim: boolean): Tensor => bind(R.minP, [x], { axes, keepdim });
export const argmax = (x: Tensor, axis: number | null, keepdim: boolean): Tensor => bind(R.argmaxP, [x], { axis, keepdim });
export const argmin = (x: Tensor, axis: number | null, keepdim: boolean): Tensor => bind(R.argminP, [x], { axis, keepdim });
export const softmax = (x: Tensor, axis: number): Tensor => bind(softmaxP, [x], { axis });
export const logSoftmax = (x: Tensor, axis: number): Tensor => bind(logSoftmaxP, [x], { axis });
/** layerNorm's normalization along the axis, times w plus b (both of x's shape) when given. */
export const layerNorm = (x: Tensor, axis: number, eps: number, affine?: [Tensor, Tensor]): Tensor => bind(layerNormP, affine ? [x, ...affine] : [x], { axis, eps });
/** gather(logSoftmax(x, axis), axis, index), index of size 1 along the axis and in range, in one pass. */
export const logSoftmaxGather = (x: Tensor, axis: number, index: Tensor): Tensor => bind(logSoftmaxGatherP, [x, index], { axis });

export const reshape = (x: Tensor, shape: readonly number[]): Tensor => (sameDims(x.shape, shape) ? x : bind(S.reshapeP, [x], { shape: [...shape] }));
export const permute = (x: Tensor, perm: number[]): Tensor => (perm.every((p, i) => p === i) ? x : bind(S.permuteP, [x], { perm }));
export const expand = (x: Tensor, shape: readonly number[]): Tensor => (sameDims(x.shape, shape) ? x : bind(S.expandP, [x], { shape: [...shape] }));
export const slice = (x: Tensor, starts: number[], sizes: number[]): Tensor => bind(S.sliceP, [x], { starts, sizes });
export const pad = (x: Tensor, lo: number[], hi: number[], value: number): Tensor => bind(S.padP, [x], { lo, hi, value });
export const flip = (x: Tensor, dims: number[]): Tensor => (dims.length ? bind(S.flipP, [x], { dims }) : x);
export const concat = (xs: Tensor[], axis: number): Tensor => (xs.length === 1 ? xs[0] : bind(S.concatP, xs, { axis }));

export const gather = (x: Tensor, dim: number, index: Tensor): Tensor => bind(gatherP, [x, index], { dim });
export const scatterAdd = (src: Tensor, dim: number, index: Tensor, shape: number[]): Tensor => bind(scatterAddP, [src, index], { dim, shape });
export const matmul = (a: Tensor, x: Tensor): Tensor => bind(matmulP, [a, x], null);
export const unfold = (x: Tensor, p: UnfoldParams): Tensor => bind(unfoldP, [x], p);
export const fold = (x: Tensor, p: FoldParams): Tensor => bind(foldP, [x], p);
export const conv = (x: Tensor, w: Tensor, p: ConvParams): Tensor => bind(convP, [x, w], p);
export const convInputGrad = (dy: Tensor, w: Tensor, p: ConvInputGradParams): Tensor => bind(convInputGradP, [dy, w], p);
export const convWeightGrad = (x: Tensor, dy: Tensor, p: ConvWeightGradParams): Tensor => bind(convWeightGradP, [x, dy], p);
export const uniform = (shape: number[], dtype: DType): Tensor => bind(uniformP, [], { shape, dtype });
export const normal = (shape: number[], dtype: DType): Tensor => bind(normalP, [], { shape, dtype });

export const zerosLike = (x: Tensor): Tensor => E.constLike(x, 0);

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
