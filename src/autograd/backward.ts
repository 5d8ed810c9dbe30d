/**
 * The reverse pass shared by the grad transform and tape autograd: walk the graph from the
 * roots in reverse topological order, applying each primitive's vjp rule. The rules bind ops,
 * so the pass itself can be differentiated (createGraph, grad of grad) or batched (vmap).
 */
import { Node } from "../core/node.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";

/** Nodes reachable from the roots, parents before children (iterative: graphs can be deep). */
function topoOrder(roots: Node[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.parents.length) {
        top[1]++;
        const p = node.parents[i];
        if (p && !seen.has(p)) { seen.add(p); stack.push([p, 0]); }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order;
}

export interface BackwardOptions {
  /** keep saved values so the graph can be walked again */
  retainGraph: boolean;
  /** what to say when a freed graph is walked again */
  freedMessage: string;
}

/**
 * Propagate `cotangents` (one per root) back through the graph and return the accumulated
 * cotangent of each node in `wanted` (undefined where nothing flowed).
 */
export function backwardPass(roots: Node[], cotangents: Tensor[], wanted: Set<Node>, opts: BackwardOptions): Map<Node, Tensor> {
  const grads = new Map<Node, Tensor>();
  const accumulate = (n: Node, g: Tensor) => {
    const prev = grads.get(n);
    grads.set(n, prev ? lax.add(prev, g) : g);
  };
  roots.forEach((r, i) => accumulate(r, cotangents[i]));
  const order = topoOrder(roots);
  const result = new Map<Node, Tensor>();
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const g = grads.get(node);
    if (!g) continue;
    if (wanted.has(node)) result.set(node, g);
    grads.delete(node);
    if (!node.prim) continue;
    if (node.primals === null) throw new Error(opts.freedMessage);
    const needed = node.parents.map((p) => p !== null);
    const gs = (node.prim.vjp as Exclude<typeof node.prim.vjp, string>)(g, node.primals, node.params, node.out, needed);
    for (let i = 0; i < node.parents.length; i++) {
      const p = node.parents[i], gi = gs[i];
      if (p && gi) accumulate(p, gi);
    }
    if (!opts.retainGraph) node.primals = null;
  }
  return result;
}
