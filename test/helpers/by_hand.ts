/** The library's internal binary primitives (derivatives such as reluBackward), which take operands of one shape, with their operands broadcast first as the public ops do. */
import type { Tensor } from "../../src/index.js";
import { broadcastShapes } from "../../src/core/shape.js";

export const broadcastByHand = (op: (a: Tensor, b: Tensor) => Tensor) => (a: Tensor, b: Tensor): Tensor => {
  const shape = broadcastShapes(a.shape, b.shape)!;
  return op(a.expand(shape), b.expand(shape));
};
