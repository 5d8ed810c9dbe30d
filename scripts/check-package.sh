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
TS
npx tsc --strict --module nodenext --moduleResolution nodenext --target es2022 --lib es2022,dom consumer.ts
node consumer.js
