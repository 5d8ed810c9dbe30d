/** Forward mode: a JvpTracer carries a primal and its tangent (null: a symbolic zero). */
import { isFloat } from "../core/dtype.js";
import type { Primitive } from "../core/primitive.js";
import { sameShape, shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { Level, Tracer, bind, withLevel } from "../core/trace.js";
import * as lax from "../primitives/lax.js";
import { flatten, unflatten, describe } from "../tree/tree.js";
import { checkOptions, type OptionNames } from "../core/options.js";

class JvpLevel extends Level {
  constructor(depth: number) {
    super(depth, "jvp");
  }

  process(prim: Primitive, args: Tensor[], params: unknown): Tensor {
    const primals = new Array<Tensor>(args.length);
    const tangents = new Array<Tensor | null>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const mine = a instanceof JvpTracer && a.level === this;
      primals[i] = mine ? a.primal : a;
      tangents[i] = mine ? a.tangent : null;
    }
    const out = bind(prim, primals, params);
    if (prim.jvp === "nonDifferentiable" || !isFloat(out.dtype)) return out;
    const t = prim.jvp(primals, tangents, params, out);
    return t === null ? out : new JvpTracer(this, out, t);
  }
}

class JvpTracer extends Tracer {
  constructor(level: JvpLevel, readonly primal: Tensor, readonly tangent: Tensor) {
    super(level, primal.shape, primal.dtype);
  }

  override concrete(op: string): Tensor {
    return this.primal.concrete(op);
  }
}

export interface AuxOptions {
  hasAux?: boolean;
}
export const AUX_OPTIONS: OptionNames<AuxOptions> = { hasAux: true };

/** Split f's result into [output, aux] when hasAux, checking the shape of the result. */
export function splitAux(result: unknown, hasAux: boolean, transform: string): [unknown, unknown] {
  if (!hasAux) return [result, undefined];
  if (!Array.isArray(result) || result.length !== 2) {
    throw new Error(`${transform}: with hasAux the function must return [output, aux], got ${Array.isArray(result) ? `an array of length ${result.length}` : typeof result}`);
  }
  return [result[0], result[1]];
}

/** jvp(func, primals, tangents) returns [output, tangent of output] (and aux third). */
export function jvp(func: (...args: any[]) => any, primals: unknown[], tangents: unknown[], opts: AuxOptions = {}): any[] {
  checkOptions("jvp", opts, AUX_OPTIONS);
  if (!Array.isArray(primals) || !Array.isArray(tangents)) throw new Error("jvp: primals and tangents must be arrays (one entry per argument of func)");
  const [pLeaves, pDef] = flatten(primals);
  const [tLeaves, tDef] = flatten(tangents);
  if (describe(pDef) !== describe(tDef)) {
    throw new Error(`jvp: tangents must have the structure of primals: got ${describe(tDef)} for primals ${describe(pDef)}`);
  }
  pLeaves.forEach((p, i) => {
    const t = tLeaves[i];
    if (!(p instanceof Tensor) || !(t instanceof Tensor)) throw new Error(`jvp: primal and tangent ${i} must be Tensors`);
    if (!isFloat(p.dtype)) throw new Error(`jvp: primal ${i} has dtype ${p.dtype}; only floating-point inputs can be differentiated`);
    if (!sameShape(p.shape, t.shape)) throw new Error(`jvp: tangent ${i} has shape ${shapeStr(t.shape)} but its primal has shape ${shapeStr(p.shape)}`);
    if (p.dtype !== t.dtype) throw new Error(`jvp: tangent ${i} has dtype ${t.dtype} but its primal has dtype ${p.dtype}; they must match (cast the tangent with .to("${p.dtype}"))`);
  });
  return withLevel((depth) => new JvpLevel(depth), (level) => {
    const wrapped = pLeaves.map((p, i) => new JvpTracer(level, p as Tensor, tLeaves[i] as Tensor));
    const [out, aux] = splitAux(func(...(unflatten(pDef, wrapped) as unknown[])), !!opts.hasAux, "jvp");
    const [oLeaves, oDef] = flatten(out);
    const prim: unknown[] = [], tan: unknown[] = [];
    oLeaves.forEach((o, i) => {
      if (!(o instanceof Tensor)) throw new Error(`jvp: the function must return Tensors, but output ${i} is ${typeof o}`);
      const mine = o instanceof JvpTracer && o.level === level;
      prim.push(mine ? o.primal : o);
      tan.push(mine ? o.tangent : lax.zerosLike(o));
    });
    const result = [unflatten(oDef, prim), unflatten(oDef, tan)];
    if (opts.hasAux) result.push(unwrapTree(aux, level));
    return result;
  });
}

function unwrapTree(tree: unknown, level: Level): unknown {
  const [leaves, def] = flatten(tree);
  return unflatten(def, leaves.map((l) => (l instanceof JvpTracer && l.level === level ? l.primal : l)));
}
