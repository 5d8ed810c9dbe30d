import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import path from "node:path"; import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
setWasmPaths(path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/"));
await tf.setBackend(process.argv[2]);
const B=4096, D=256;
const x = tf.randomNormal([B,D]); const y = tf.randomNormal([B,D]);
const variants = {
 split: () => { const xs = tf.split(x, B), ys = tf.split(y, B); return tf.stack(xs.map((xi,i)=>tf.dot(xi.reshape([D]), ys[i].reshape([D])))); },
 slice: () => { const out=[]; for (let i=0;i<B;i++) out.push(tf.dot(x.slice([i,0],[1,D]).reshape([D]), y.slice([i,0],[1,D]).reshape([D]))); return tf.stack(out); },
 gather: () => { const out=[]; for (let i=0;i<B;i++) out.push(tf.dot(x.gather(i), y.gather(i))); return tf.stack(out); },
 unstackSmall: () => { const xs = tf.unstack(x.slice([0,0],[512,D])); return tf.stack(xs.map(v=>v.sum())); },
};
for (const [k,f] of Object.entries(variants)) for (let r=0;r<2;r++){ const t0=performance.now(); const s = tf.tidy(f); await s.data(); s.dispose(); console.log(k, (performance.now()-t0).toFixed(1)); }
