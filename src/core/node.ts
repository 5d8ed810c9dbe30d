/**
 * A node of a reverse-mode graph: the primitive that ran, the primal values it saw, and the
 * nodes of its differentiable inputs. Both the grad transform and tape autograd build these
 * and share one backward pass (autograd/backward.ts).
 */
import type { Primitive } from "./primitive.js";
import type { Tensor } from "./tensor.js";

export class Node {
  /** Primal inputs; null after the graph was freed by a backward without retainGraph. */
  primals: Tensor[] | null;
  constructor(
    readonly prim: Primitive | null,
    primals: Tensor[],
    readonly params: unknown,
    readonly out: Tensor,
    readonly parents: (Node | null)[],
    /** For a leaf of tape autograd: the tensor whose .grad this node accumulates into. */
    readonly leaf: Tensor | null = null,
  ) {
    this.primals = primals;
  }

  get name(): string {
    return this.prim ? this.prim.name[0].toUpperCase() + this.prim.name.slice(1) : "AccumulateGrad";
  }

  static leafOf(t: Tensor): Node {
    return new Node(null, [], null, t, [], t);
  }
}
