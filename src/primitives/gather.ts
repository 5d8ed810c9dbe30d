/** gather and its transpose scatterAdd (torch.gather semantics along one dim). */
import { backend } from "../backend/registry.js";
import { definePrimitive, type Primitive } from "../core/primitive.js";
import { bind } from "../core/trace.js";
import { batchToFront } from "./batching.js";
import { produce, produceWritten, strided } from "./kernel.js";
import * as lax from "./lax.js";
import { sample, sampleIndex } from "./samples.js";

export const gatherP: Primitive<{ dim: number }> = definePrimitive<{ dim: number }>({
  name: "gather",
  impl: ([x, index], { dim }) => produceWritten(index.shape, x.dtype, (out) => backend().gather(strided(x), dim, strided(index), out)),
  jvp: ([, index], [t], { dim }) => (t ? lax.gather(t, dim, index) : null),
  vjp: (g, [x, index], { dim }) => [lax.scatterAdd(g, dim, index, [...x.shape]), null],
  batch: ([x, index], [dx, di], { dim }, ctx) => {
    const xb = batchToFront(x, dx, ctx.axisSize), ib = batchToFront(index, di, ctx.axisSize);
    return [bind(gatherP, [xb, ib], { dim: dim + 1 }), 0];
  },
  samples: () => [{ args: [sample([4, 3]), sampleIndex([5, 3], 4)], params: { dim: 0 } }, { args: [sample([3, 4]), sampleIndex([3, 2], 4)], params: { dim: 1 } }],
});

export const scatterAddP: Primitive<{ dim: number; shape: number[] }> = definePrimitive<{ dim: number; shape: number[] }>({
  name: "scatterAdd",
  impl: ([src, index], { dim, shape }) => produce(shape, src.dtype, (out) => backend().scatterAdd(strided(src), dim, strided(index), shape, out)),
  jvp: ([, index], [t], { dim, shape }) => (t ? lax.scatterAdd(t, dim, index, shape) : null),
  vjp: (g, [, index], { dim }) => [lax.gather(g, dim, index), null],
  batch: ([src, index], [ds, di], { dim, shape }, ctx) => {
    const sb = batchToFront(src, ds, ctx.axisSize), ib = batchToFront(index, di, ctx.axisSize);
    return [bind(scatterAddP, [sb, ib], { dim: dim + 1, shape: [ctx.axisSize, ...shape] }), 0];
  },
  samples: () => [{ args: [sample([5, 3]), sampleIndex([5, 3], 4)], params: { dim: 0, shape: [4, 3] } }],
});
