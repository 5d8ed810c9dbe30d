/**
 * Reverse mode: a GradTracer carries a primal and the graph node that made it. After the
 * function returns, vjpFn walks that graph backwards (autograd/backward.ts).
 */
import { backwardPass } from "../autograd/backward.js";
import { isFloat } from "../core/dtype.js";
import { Node } from "../core/node.js";
import type { Primitive } from "../core/primitive.js";
import { sameShape, shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { Level, Tracer, bind, reverseModePaused, withLevel } from "../core/trace.js";
import { scalar } from "../primitives/kernel.js";
import * as lax from "../primitives/lax.js";
import { describe, flatten, unflatten } from "../tree/tree.js";
import { AUX_OPTIONS, splitAux, type AuxOptions } from "./jvp.js";
import { checkArgnums } from "./util.js";
import { checkOptions, type OptionNames } from "../core/options.js";

class GradLevel extends Level {
  constructor(depth: number, transform: string) {
    super(depth, transform);
  }

  process(prim: Primitive, args: Tensor[], params: unknown): Tensor {
    const primals = new Array<Tensor>(args.length);
    const parents = new Array<Node | null>(args.length);
    let any = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a instanceof GradTracer && a.level === this) {
        primals[i] = a.primal;
        parents[i] = a.node;
        any = true;
      } else {
        primals[i] = a;
        parents[i] = null;
      }
    }
    const out = bind(prim, primals, params);
    if (!any || prim.vjp === "nonDifferentiable" || !isFloat(out.dtype) || reverseModePaused(this)) return out;
    return new GradTracer(this, out, new Node(prim, primals, params, out, parents));
  }
}

class GradTracer extends Tracer {
  constructor(level: GradLevel, readonly primal: Tensor, readonly node: Node) {
    super(level, primal.shape, primal.dtype);
  }

  override concrete(op: string): Tensor {
    return this.primal.concrete(op);
  }
}

type VjpFn = (cotangents: unknown) => unknown[];

/** vjp(func, primals) returns [output, vjpFn] (and aux third with hasAux). */
export function vjp(func: (...args: any[]) => any, primals: Tensor | unknown[], opts: AuxOptions = {}, transform = "vjp"): [unknown, VjpFn, unknown?] {
  checkOptions(transform, opts, AUX_OPTIONS);
  const args = Array.isArray(primals) ? primals : [primals];
  const [pLeaves, pDef] = flatten(args);
  pLeaves.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${transform}: differentiated inputs must be Tensors, but input leaf ${i} is ${typeof p}`);
    if (!isFloat(p.dtype)) {
      throw new Error(`${transform}: input ${i} has dtype ${p.dtype}; only floating-point tensors can be differentiated (cast with .to("float32") or leave it out of argnums)`);
    }
  });
  return withLevel((depth) => new GradLevel(depth, transform), (level) => {
    const leafNodes = pLeaves.map((p) => Node.leafOf(p as Tensor));
    const wrapped = pLeaves.map((p, i) => new GradTracer(level, p as Tensor, leafNodes[i]));
    const [out, aux] = splitAux(func(...(unflatten(pDef, wrapped) as unknown[])), !!opts.hasAux, transform);
    const [oLeaves, oDef] = flatten(out);
    const outPrimals = oLeaves.map((o, i) => {
      if (!(o instanceof Tensor)) throw new Error(`${transform}: the function must return Tensors, but output ${i} is ${typeof o}`);
      return o instanceof GradTracer && o.level === level ? o.primal : o;
    }) as Tensor[];
    const outNodes = oLeaves.map((o) => (o instanceof GradTracer && o.level === level ? o.node : null));
    const wanted = new Set(leafNodes);

    const vjpFn: VjpFn = (cotangents) => {
      const [cLeaves, cDef] = flatten(cotangents);
      if (describe(cDef) !== describe(oDef)) {
        throw new Error(`${transform}: cotangents must have the structure of the output: got ${describe(cDef)} for output ${describe(oDef)}`);
      }
      const roots: Node[] = [], cts: Tensor[] = [];
      cLeaves.forEach((c, i) => {
        if (!(c instanceof Tensor) || !sameShape(c.shape, outPrimals[i].shape)) {
          throw new Error(`${transform}: cotangent ${i} must be a Tensor of the output's shape ${shapeStr(outPrimals[i].shape)}, got ${c instanceof Tensor ? shapeStr(c.shape) : typeof c}`);
        }
        const n = outNodes[i];
        if (n) { roots.push(n); cts.push(lax.cast(c, outPrimals[i].dtype)); }
      });
      const grads = backwardPass(roots, cts, wanted, { retainGraph: true, freedMessage: "" });
      return unflatten(pDef, leafNodes.map((n, i) => grads.get(n) ?? lax.zerosLike(pLeaves[i] as Tensor))) as unknown[];
    };
    const outTree = unflatten(oDef, outPrimals);
    return opts.hasAux ? [outTree, vjpFn, unwrapTree(aux, level)] : [outTree, vjpFn];
  });
}

function unwrapTree(tree: unknown, level: Level): unknown {
  const [leaves, def] = flatten(tree);
  return unflatten(def, leaves.map((l) => (l instanceof GradTracer && l.level === level ? l.primal : l)));
}

export interface GradOptions extends AuxOptions {
  argnums?: number | number[];
}
const GRAD_OPTIONS: OptionNames<GradOptions> = { argnums: true, hasAux: true };

/** The gradient and value of func at args, for grad and gradAndValue. */
function gradAndValueAt(func: (...a: any[]) => any, args: unknown[], opts: GradOptions, transform: string): [unknown, unknown, unknown] {
  const { argnums = 0, hasAux = false } = opts;
  const nums = checkArgnums(argnums, args.length, transform);
  const partial = (...diff: unknown[]) => {
    const full = [...args];
    nums.forEach((a, i) => { full[a] = diff[i]; });
    return func(...full);
  };
  const [out, vjpFn, aux] = vjp(partial, nums.map((a) => args[a]), { hasAux }, transform);
  if (!(out instanceof Tensor) || out.ndim !== 0 || !isFloat(out.dtype)) {
    const got = out instanceof Tensor ? `a ${out.dtype} tensor of shape ${shapeStr(out.shape)}` : typeof out;
    throw new Error(`${transform}: the function must return a 0-d float tensor (a scalar loss), got ${got}; reduce it first (e.g. .sum()) or use vjp/jacrev for non-scalar outputs`);
  }
  const grads = vjpFn(scalar(1, out.dtype));
  return [typeof argnums === "number" ? grads[0] : grads, out, aux];
}

/** grad(func) returns a function computing the gradient of func's scalar output. */
export function grad<F extends (...args: any[]) => any>(func: F, opts: GradOptions = {}): (...args: Parameters<F>) => any {
  checkOptions("grad", opts, GRAD_OPTIONS);
  return (...args) => {
    const [g, , aux] = gradAndValueAt(func, args, opts, "grad");
    return opts.hasAux ? [g, aux] : g;
  };
}

/** gradAndValue(func) returns [grads, value] (or [grads, [value, aux]] with hasAux). */
export function gradAndValue<F extends (...args: any[]) => any>(func: F, opts: GradOptions = {}): (...args: Parameters<F>) => any {
  checkOptions("gradAndValue", opts, GRAD_OPTIONS);
  return (...args) => {
    const [g, value, aux] = gradAndValueAt(func, args, opts, "gradAndValue");
    return opts.hasAux ? [g, [value, aux]] : [g, value];
  };
}
