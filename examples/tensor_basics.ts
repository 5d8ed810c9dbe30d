/** Tensor basics: creation, printing, broadcasting, views, reductions, dtypes and errors. */
import { arange, manualSeed, matmul, ones, randn, tensor, zeros } from "../src/index.js";
import { Report } from "./util.js";

export function run({ quiet = false } = {}): Report {
  const r = new Report("Tensor basics", quiet);
  manualSeed(0);
  const x = tensor([[1, -0.5], [2, 3]]);
  r.log("x =", x);
  r.log("x.T =", x.T, " (a view: shares x's storage)");
  r.log("x + [10, 20] broadcasts:", x.add(tensor([10, 20])));
  r.log("x.sum(1) =", x.sum(1), " x.mean() =", x.mean(), " x.max(0) =", x.max(0));
  r.log("x @ x =", matmul(x, x));
  const i = arange(6).reshape([2, 3]);
  r.log("arange(6).reshape([2, 3]) =", i, ` dtype ${i.dtype}`);
  r.log("int32 + 2.5 promotes to", i.add(2.5).dtype, "; float32 + float64 gives", ones([1]).add(zeros([1], { dtype: "float64" })).dtype);
  r.log("randn([2, 3]) after manualSeed(0) =", randn([2, 3]));
  r.log("a large tensor is summarised:", arange(2000).reshape([40, 50]).toString().split("\n").slice(0, 3).join("\n"), "...");

  r.check("x @ x is [[0, -2], [8, 8]]", JSON.stringify(matmul(x, x).tolist()) === JSON.stringify([[0, -2], [8, 8]]));
  r.check("x.T.tolist() reads the view in row-major order", JSON.stringify(x.T.tolist()) === JSON.stringify([[1, 2], [-0.5, 3]]));
  try {
    matmul(tensor([[1, 2, 3]]), tensor([[1, 2]]));
    r.check("bad shapes throw", false);
  } catch (e) {
    r.log("matmul of [1, 3] and [1, 2] throws:", (e as Error).message);
    r.check("bad shapes throw a message naming the op and the shapes", /matmul: shapes \[1, 3\] and \[1, 2\]/.test((e as Error).message));
  }
  return r;
}
