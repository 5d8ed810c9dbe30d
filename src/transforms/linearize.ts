/** linearize: the output at the primals, and a function evaluating the jvp there. */
import { jvp } from "./jvp.js";

/**
 * Returns [output, jvpFn] with jvpFn(...tangents) = J @ tangents. Each jvpFn call re-runs the
 * forward-mode pass (tfunc has no staging, so the linear map is not stored separately).
 */
export function linearize(func: (...args: any[]) => any, ...primals: unknown[]): [unknown, (...tangents: unknown[]) => unknown] {
  const out = func(...primals);
  return [out, (...tangents) => jvp(func, primals, tangents)[1]];
}
