/**
 * Pytrees: arrays and plain objects of leaves. `null` and `undefined` are empty subtrees (no
 * leaves), as None is in JAX and torch.utils._pytree, so an optional argument or a missing bias
 * can sit in a pytree; anything else (a Tensor, a number, a string) is a leaf. Transforms
 * flatten their arguments and outputs with these and rebuild them after.
 */
export type TreeDef =
  | { kind: "leaf" }
  | { kind: "none"; value: null | undefined }
  | { kind: "array"; children: TreeDef[] }
  | { kind: "object"; keys: string[]; children: TreeDef[] };

const LEAF: TreeDef = { kind: "leaf" };

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function flatten(tree: unknown): [unknown[], TreeDef] {
  const leaves: unknown[] = [];
  const walk = (t: unknown): TreeDef => {
    if (t === null || t === undefined) return { kind: "none", value: t };
    if (Array.isArray(t)) return { kind: "array", children: t.map(walk) };
    if (isPlainObject(t)) {
      const keys = Object.keys(t);
      return { kind: "object", keys, children: keys.map((k) => walk(t[k])) };
    }
    leaves.push(t);
    return LEAF;
  };
  return [leaves, walk(tree)];
}

export function unflatten(def: TreeDef, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    if (d.kind === "leaf") return leaves[i++];
    if (d.kind === "none") return d.value;
    if (d.kind === "array") return d.children.map(build);
    const out: Record<string, unknown> = {};
    d.keys.forEach((k, j) => { out[k] = build(d.children[j]); });
    return out;
  };
  return build(def);
}

export function treeMap(f: (leaf: unknown) => unknown, tree: unknown): unknown {
  const [leaves, def] = flatten(tree);
  return unflatten(def, leaves.map(f));
}

export function leafCount(def: TreeDef): number {
  if (def.kind === "none") return 0;
  return def.kind === "leaf" ? 1 : def.children.reduce((n, c) => n + leafCount(c), 0);
}

/** Describe a tree's structure for error messages. */
export function describe(def: TreeDef): string {
  if (def.kind === "leaf") return "*";
  if (def.kind === "none") return String(def.value);
  if (def.kind === "array") return `[${def.children.map(describe).join(", ")}]`;
  return `{${def.keys.map((k, i) => `${k}: ${describe(def.children[i])}`).join(", ")}}`;
}

/**
 * Expand a prefix of `def` (such as vmap's inDims) to one value per leaf: a leaf of the prefix
 * applies to the whole subtree under it. Throws with `what` naming the mismatch.
 */
export function broadcastPrefix<T>(prefix: unknown, def: TreeDef, isPrefixLeaf: (x: unknown) => boolean, what: string): T[] {
  const out: T[] = [];
  const walk = (p: unknown, d: TreeDef, path: string): void => {
    if (isPrefixLeaf(p)) {
      for (let i = leafCount(d); i > 0; i--) out.push(p as T);
      return;
    }
    if (Array.isArray(p)) {
      if (d.kind !== "array" || d.children.length !== p.length) {
        throw new Error(`${what}: at ${path || "the top level"} the structure ${JSON.stringify(p)} has ${p.length} entries but the value there is ${describe(d)}`);
      }
      p.forEach((q, i) => walk(q, d.children[i], `${path}[${i}]`));
      return;
    }
    if (isPlainObject(p)) {
      const keys = Object.keys(p);
      if (d.kind !== "object" || keys.length !== d.keys.length || keys.some((k) => !d.keys.includes(k))) {
        throw new Error(`${what}: at ${path || "the top level"} the keys {${keys.join(", ")}} do not match the value there, ${describe(d)}`);
      }
      d.keys.forEach((k, i) => walk(p[k], d.children[i], `${path}.${k}`));
      return;
    }
    throw new Error(`${what}: at ${path || "the top level"} expected a number, null, an array or an object, got ${JSON.stringify(p)}`);
  };
  walk(prefix, def, "");
  return out;
}
