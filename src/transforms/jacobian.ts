/**
 * Jacobians as compositions: jacrev is vmap over a vjp with the rows of the identity, jacfwd is
 * vmap over a jvp with its columns, hessian is jacfwd of jacrev.
 */
import type { Randomness } from "../core/primitive.js";
import { Tensor } from "../core/tensor.js";
import { moveDim } from "../primitives/batching.js";
import * as lax from "../primitives/lax.js";
import { eyeTensor } from "../primitives/kernel.js";
import { flatten, unflatten, type TreeDef } from "../tree/tree.js";
import { jvp } from "./jvp.js";
import { checkArgnums } from "./util.js";
import { vjp } from "./vjp.js";
import { vmap } from "./vmap.js";
import { checkOptions } from "../core/options.js";

export interface JacOptions {
  argnums?: number | number[];
  hasAux?: boolean;
}
type JacrevOptions = JacOptions & { chunkSize?: number };
type JacfwdOptions = JacOptions & { randomness?: Randomness };
type HessianOptions = { argnums?: number | number[] };

/** Columns [start, start + n) of the identity of size total, shaped [total, ...shape]. */
function basisBlock(total: number, start: number, shape: readonly number[], dtype: Tensor["dtype"]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return lax.reshape(lax.slice(eyeTensor(total, dtype), [0, start], [total, n]), [total, ...shape]);
}

/** Rows [start, start + n) of a [total, ...rest] tensor. */
function rows(x: Tensor, start: number, n: number): Tensor {
  return lax.slice(x, x.shape.map((_, i) => (i === 0 ? start : 0)), x.shape.map((s, i) => (i === 0 ? n : s)));
}

/** Example 0 of a batched result (a view). */
function firstRow(x: Tensor): Tensor {
  return lax.reshape(rows(x, 0, 1), x.shape.slice(1));
}

function offsets(leaves: Tensor[]): number[] {
  let o = 0;
  return leaves.map((l) => { const s = o; o += l.numel; return s; });
}

/** The function of the differentiated arguments only, the others held fixed. */
function partialOf(func: (...a: any[]) => any, args: unknown[], nums: number[]) {
  return (...diff: unknown[]) => {
    const full = [...args];
    nums.forEach((a, i) => { full[a] = diff[i]; });
    return func(...full);
  };
}

/**
 * Assemble jac[i][j] (output leaf i, input leaf j, each [...out_i.shape, ...in_j.shape]) into
 * the output structure, with one entry per argnum inside when argnums is an array.
 */
function assemble(jac: Tensor[][], outDef: ReturnType<typeof flatten>[1], inDef: ReturnType<typeof flatten>[1], single: boolean): unknown {
  return unflatten(outDef, jac.map((row) => {
    const perArg = unflatten(inDef, row) as unknown[];
    return single ? perArg[0] : perArg;
  }));
}

export function jacrev<F extends (...args: any[]) => any>(func: F, opts: JacrevOptions = {}): (...args: Parameters<F>) => any {
  const { argnums = 0, hasAux = false, chunkSize } = checkOptions("jacrev", opts, { argnums: true, hasAux: true, chunkSize: true });
  return (...args) => {
    const nums = checkArgnums(argnums, args.length, "jacrev");
    const [out, vjpFn, aux] = vjp(partialOf(func, args, nums), nums.map((a) => args[a]), { hasAux }, "jacrev");
    const [oLeaves, oDef] = flatten(out) as [Tensor[], any];
    const [iLeaves, iDef] = flatten(nums.map((a) => args[a])) as [Tensor[], any];
    const total = oLeaves.reduce((n, o) => n + o.numel, 0);
    const oOff = offsets(oLeaves);
    const basis = unflatten(oDef, oLeaves.map((o, i) => basisBlock(total, oOff[i], o.shape, o.dtype)));
    // one vjp per output element, all in one batched backward pass
    const cols = flatten(vmap((ct: unknown) => vjpFn(ct), { chunkSize })(basis))[0] as Tensor[];
    const jac = oLeaves.map((o, i) => cols.map((c, j) => lax.reshape(rows(c, oOff[i], o.numel), [...o.shape, ...iLeaves[j].shape])));
    const result = assemble(jac, oDef, iDef, typeof argnums === "number");
    return hasAux ? [result, aux] : result;
  };
}

export function jacfwd<F extends (...args: any[]) => any>(func: F, opts: JacfwdOptions = {}): (...args: Parameters<F>) => any {
  const { argnums = 0, hasAux = false, randomness = "error" } = checkOptions("jacfwd", opts, { argnums: true, hasAux: true, randomness: true });
  return (...args) => {
    const nums = checkArgnums(argnums, args.length, "jacfwd");
    const primals = nums.map((a) => args[a]);
    const [iLeaves, iDef] = flatten(primals) as [Tensor[], any];
    const total = iLeaves.reduce((n, x) => n + x.numel, 0);
    const iOff = offsets(iLeaves);
    const tangents = unflatten(iDef, iLeaves.map((x, j) => basisBlock(total, iOff[j], x.shape, x.dtype)));
    const f = partialOf(func, args, nums);
    // One jvp per input element, batched. The Jacobian's structure comes from the tangent
    // outputs (the primal output may differ per column under randomness "different"). Aux is
    // taken from the first column, as torch.func.jacfwd does; its non-tensor leaves are kept
    // aside, since only tensors can carry a batch dim out of vmap.
    let auxDef: TreeDef | null = null;
    let auxOther: unknown[] = [];
    const [tanOut, auxTensors] = vmap((t: unknown) => {
      const r = jvp(f, primals, t as unknown[], { hasAux });
      if (!hasAux) return [r[1], []];
      const [leaves, def] = flatten(r[2]);
      auxDef = def;
      auxOther = leaves.map((l) => (l instanceof Tensor ? null : l));
      return [r[1], leaves.filter((l) => l instanceof Tensor)];
    }, { inDims: [0], outDims: [0, 0], randomness })(tangents) as [unknown, Tensor[]];
    const [tLeaves, oDef] = flatten(tanOut) as [Tensor[], any];
    const jac = tLeaves.map((t) => iLeaves.map((x, j) => {
      const block = rows(t, iOff[j], x.numel); // [n_j, ...out_i.shape]
      return lax.reshape(moveDim(block, 0, block.ndim - 1), [...t.shape.slice(1), ...x.shape]);
    }));
    let k = 0;
    const aux = auxDef ? unflatten(auxDef, auxOther.map((l) => (l === null ? firstRow(auxTensors[k++]) : l))) : undefined;
    const result = assemble(jac, oDef, iDef, typeof argnums === "number");
    return hasAux ? [result, aux] : result;
  };
}

export function hessian<F extends (...args: any[]) => any>(func: F, opts: HessianOptions = {}): (...args: Parameters<F>) => any {
  checkOptions("hessian", opts, { argnums: true });
  return jacfwd(jacrev(func, opts), opts);
}
