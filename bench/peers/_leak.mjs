import { init, defaultDevice, numpy as np, hessian, jacrev, vmap, grad } from "@jax-js/jax";
await init("wasm"); defaultDevice("wasm");
const A = np.array(new Float32Array(128*128).fill(0.01), {shape:[128,128]}); const x = np.ones([128]);
const f = (x) => np.sum(np.sin(x.ref).mul(np.matmul(A.ref, x)));
const tests = { hessian: () => hessian(f)(x.ref), grad: () => grad(f)(x.ref), sinmul: () => np.sin(x.ref).mul(x.ref), jacrev: () => jacrev((x)=>np.tanh(np.matmul(A.ref, x)))(x.ref) };
for (const [name, t] of Object.entries(tests)) {
  gc(); const h0 = process.memoryUsage().heapUsed;
  for (let k = 0; k < 1000; k++) await t().data();
  gc(); console.log(name, "heap growth KB/call", ((process.memoryUsage().heapUsed - h0)/1024/1000).toFixed(2), "refcounts", A.refCount, x.refCount);
}
