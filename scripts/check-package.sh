#!/usr/bin/env bash
# Install the packed package into a fresh consumer project and use it the way a user would:
# an ES module import of "tfunc" in Node, and a TypeScript type check against its declarations.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && npm pack --silent --pack-destination "$tmp" >/dev/null)
cd "$tmp"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
npm install --no-audit --no-fund --silent ./tfunc-*.tgz "$root/node_modules/typescript" >/dev/null
cat > consumer.ts <<'TS'
import { grad, tensor, vmap, type Tensor } from "tfunc";
const f = (x: Tensor): Tensor => x.mul(x).sum();
const g = vmap(grad(f))(tensor([[1, 2], [3, 4]])) as Tensor;
const want = [[2, 4], [6, 8]];
if (JSON.stringify(g.tolist()) !== JSON.stringify(want)) throw new Error(`consumer: got ${g}`);
console.log("consumer project: import { tensor, vmap } from \"tfunc\" works:", g.toString().replace(/\s+/g, " "));
// Node's entry point turns on relaxed SIMD where Node keeps it behind a flag (Node 20): a module
// using f32x4.relaxed_madd must validate now, or the gemm runs without fused multiply-add
const relaxedProbe = new Uint8Array("0061736d01000000010401600000020f0103656e76066d656d6f7279020001030201000709010570726f626500000a430141004100fd0c00000000000000000000000000000000fd0c00000000000000000000000000000000fd0c00000000000000000000000000000000fd8502fd0b04000b".match(/../g)!.map((h) => parseInt(h, 16)));
if (!WebAssembly.validate(relaxedProbe)) throw new Error("consumer: relaxed SIMD is off after importing tfunc in Node");
console.log("consumer project: relaxed SIMD (fused multiply-add) is on in Node");
TS
npx tsc --strict --module nodenext --moduleResolution nodenext --target es2022 --lib es2022,dom consumer.ts
node consumer.js
