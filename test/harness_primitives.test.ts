/**
 * One generic harness over every registered primitive (PyTorch OpInfo style): coverage of the
 * rules, jvp against central finite differences, vjp against jvp (<v, J u> = <J^T v, u>), the
 * batching rule against a loop over examples for every mapped subset and batch-dim position,
 * the rules under vmap, and second derivatives through the rules.
 */
import "../src/index.js";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { registry, type Primitive, type SampleInput } from "../src/core/primitive.js";
import { bind } from "../src/core/trace.js";
import { Tensor, jvp, vjp, vmap } from "../src/index.js";
import { Rng, assertNear, centralDiff, columnMajor, dot, fromArray, randTensor, stackAt, values } from "./helpers/check.js";

const isFloat = (t: Tensor): boolean => t.dtype === "float32" || t.dtype === "float64";
const differentiable = (p: Primitive): boolean => p.jvp !== "nonDifferentiable";

/** Float args that may be differentiated, as the sample says (default: every float arg). */
function diffArgsOf(s: SampleInput<unknown>): number[] {
  return s.diffArgs ?? s.args.map((a, i) => (isFloat(a) ? i : -1)).filter((i) => i >= 0);
}

/** The primitive as a function of its differentiable args, the others held at the sample. */
function asFunction(prim: Primitive, s: SampleInput<unknown>, diff: number[]): (...xs: Tensor[]) => Tensor {
  return (...xs) => {
    const args = [...s.args];
    diff.forEach((a, i) => { args[a] = xs[i]; });
    return bind(prim, args, s.params);
  };
}

/** Finite-difference step and tolerance for an output dtype. */
function fdSettings(out: Tensor): { eps: number; tol: number } {
  return out.dtype === "float64" ? { eps: 1e-6, tol: 1e-6 } : { eps: 1e-3, tol: 2e-3 };
}

const fmt = (s: SampleInput<unknown>): string => `args ${s.args.map((a) => `${a.dtype}[${a.shape.join(",")}]`).join(" ")} params ${JSON.stringify(s.params)}`;

/** Another example like x (same shape, dtype and domain): shuffled elements, floats scaled by ~±10%. */
function variant(rng: Rng, x: Tensor): Tensor {
  const v = values(x);
  for (let i = v.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  if (x.dtype === "bool") return fromArray(v.map(() => rng.int(2)), x.shape, "bool");
  if (isFloat(x)) return fromArray(v.map((a) => a * rng.uniform(0.9, 1.1)), x.shape, x.dtype);
  return fromArray(v, x.shape, x.dtype);
}

/** Mapped subsets of the args: each alone and all (every subset when there are at most 3 args). */
function subsets(n: number): number[][] {
  if (n <= 3) {
    const out: number[][] = [];
    for (let m = 1; m < 1 << n; m++) out.push([...Array(n).keys()].filter((i) => m & (1 << i)));
    return out;
  }
  return [...[...Array(n).keys()].map((i) => [i]), [...Array(n).keys()]];
}

type PositionMode = "first" | "middle" | "last" | "mixed";
/** Physical batch-dim position and the inDims entry used to ask for it (last as -1). */
function position(mode: PositionMode, rank: number, order: number): [number, number] {
  const last: [number, number] = [rank, -1];
  switch (mode) {
    case "first": return [0, 0];
    case "middle": { const m = Math.ceil(rank / 2); return [m, m]; }
    case "last": return last;
    case "mixed": return order % 2 === 0 ? last : [0, 0];
  }
}

const B = 3;

function checkBatching(prim: Primitive, s: SampleInput<unknown>, rng: Rng): void {
  const n = s.args.length;
  const examples = s.args.map((a) => [a, ...Array.from({ length: B - 1 }, () => variant(rng, a))]);
  for (const mapped of subsets(n)) {
    const seen = new Set<string>();
    for (const mode of ["first", "middle", "last", "mixed"] as PositionMode[]) {
      const pos = new Array<number | null>(n).fill(null), inDims = new Array<number | null>(n).fill(null);
      mapped.forEach((a, order) => { [pos[a], inDims[a]] = position(mode, s.args[a].ndim, order); });
      const key = JSON.stringify(pos);
      if (seen.has(key)) continue;
      seen.add(key);
      const what = `${prim.name} batch rule, ${fmt(s)}, inDims ${JSON.stringify(inDims)}`;
      const perExample = Array.from({ length: B }, (_, k) => bind(prim, s.args.map((a, i) => (pos[i] === null ? a : examples[i][k])), s.params));
      const expected = stackAt(perExample, 0);
      // the stacked inputs both contiguous and in a column-major (strided) layout
      for (const layout of [(t: Tensor) => t, columnMajor]) {
        const batchedArgs = s.args.map((a, i) => (pos[i] === null ? a : layout(stackAt(examples[i], pos[i]!))));
        const got = vmap((...as: Tensor[]) => bind(prim, as, s.params), { inDims })(...batchedArgs) as Tensor;
        const w = `${what}${layout === columnMajor ? " (column-major inputs)" : ""}`;
        assert.ok(got instanceof Tensor, `${w}: not a tensor`);
        assert.equal(got.dtype, expected.dtype, `${w}: dtype`);
        assert.deepEqual([...got.shape], [...expected.shape], `${w}: shape`);
        assertNear(values(got), values(expected), 1e-12, w);
      }
    }
  }
}

function checkJvp(prim: Primitive, s: SampleInput<unknown>, diff: number[], rng: Rng): void {
  const f = asFunction(prim, s, diff);
  const primals = diff.map((i) => s.args[i]);
  const tangents = primals.map((p) => randTensor(rng, p.shape, -1, 1, p.dtype));
  const [out, tout] = jvp(f, primals, tangents) as [Tensor, Tensor];
  const { eps, tol } = fdSettings(out);
  const fd = centralDiff((...xs) => [f(...xs)], primals, tangents, eps)[0];
  assert.deepEqual([...tout.shape], [...out.shape], `${prim.name} jvp: tangent shape`);
  assertNear(values(tout), fd, tol, `${prim.name} jvp vs finite differences, ${fmt(s)}`);
  // each input alone too (symbolic-zero tangents for the others)
  if (diff.length > 1) {
    diff.forEach((_, j) => {
      const g = (x: Tensor) => f(...primals.map((p, k) => (k === j ? x : p)));
      const [, tj] = jvp(g, [primals[j]], [tangents[j]]) as [Tensor, Tensor];
      const fdj = centralDiff((x) => [g(x)], [primals[j]], [tangents[j]], eps)[0];
      assertNear(values(tj), fdj, tol, `${prim.name} jvp in input ${diff[j]} alone, ${fmt(s)}`);
    });
  }
}

function checkVjp(prim: Primitive, s: SampleInput<unknown>, diff: number[], rng: Rng): void {
  const f = asFunction(prim, s, diff);
  const primals = diff.map((i) => s.args[i]);
  const u = primals.map((p) => randTensor(rng, p.shape, -1, 1, p.dtype));
  const [out, vjpFn] = vjp(f, primals) as [Tensor, (ct: unknown) => Tensor[]];
  const v = randTensor(rng, out.shape, -1, 1, out.dtype);
  const [, ju] = jvp(f, primals, u) as [Tensor, Tensor];
  const jtv = vjpFn(v);
  assert.equal(jtv.length, primals.length, `${prim.name} vjp: one cotangent per primal`);
  jtv.forEach((g, i) => {
    assert.deepEqual([...g.shape], [...primals[i].shape], `${prim.name} vjp: cotangent ${i} shape`);
    assert.equal(g.dtype, primals[i].dtype, `${prim.name} vjp: cotangent ${i} dtype`);
  });
  const lhs = dot(v, ju), rhs = jtv.reduce((acc, g, i) => acc + dot(g, u[i]), 0);
  const tol = out.dtype === "float64" ? 1e-10 : 1e-4;
  assertNear([rhs], [lhs], tol, `${prim.name} <v, J u> = <J^T v, u>, ${fmt(s)}`);
  // each input alone (the others are constants, so the rule is told their cotangents are not needed)
  if (diff.length > 1) {
    diff.forEach((_, j) => {
      const g = (x: Tensor) => f(...primals.map((p, k) => (k === j ? x : p)));
      const [, tj] = jvp(g, [primals[j]], [u[j]]) as [Tensor, Tensor];
      const [gj] = (vjp(g, [primals[j]])[1] as (c: unknown) => Tensor[])(v);
      assertNear([dot(gj, u[j])], [dot(v, tj)], tol, `${prim.name} vjp vs jvp in input ${diff[j]} alone, ${fmt(s)}`);
    });
  }
}

/** The kernel reads strided inputs: a column-major copy of every input gives the same output. */
function checkStridedImpl(prim: Primitive, s: SampleInput<unknown>): void {
  const a = bind(prim, s.args, s.params), b = bind(prim, s.args.map(columnMajor), s.params);
  assert.deepEqual([...b.shape], [...a.shape]);
  assert.deepEqual(values(b), values(a), `${prim.name}: column-major inputs, ${fmt(s)}`);
}

/** vmap over the jvp and the vjp of the primitive (the rules' own batching) against a loop. */
function checkRulesUnderVmap(prim: Primitive, s: SampleInput<unknown>, diff: number[], rng: Rng): void {
  const f = asFunction(prim, s, diff);
  const primals = diff.map((i) => s.args[i]);
  const ex = primals.map((p) => [p, ...Array.from({ length: B - 1 }, () => variant(rng, p))]);
  const tans = primals.map((p) => Array.from({ length: B }, () => randTensor(rng, p.shape, -1, 1, p.dtype)));
  const out0 = f(...primals);
  const cts = Array.from({ length: B }, () => randTensor(rng, out0.shape, -1, 1, out0.dtype));
  const k = primals.length;

  const jvpOf = (...xs: Tensor[]) => jvp(f, xs.slice(0, k), xs.slice(k))[1] as Tensor;
  const batchedJ = vmap(jvpOf)(...ex.map((e) => stackAt(e, 0)), ...tans.map((t) => stackAt(t, 0))) as Tensor;
  const loopJ = stackAt(Array.from({ length: B }, (_, b) => jvpOf(...ex.map((e) => e[b]), ...tans.map((t) => t[b]))), 0);
  assertNear(values(batchedJ), values(loopJ), 1e-12, `${prim.name} vmap(jvp) vs loop, ${fmt(s)}`);

  const vjpOf = (...xs: Tensor[]) => (vjp(f, xs.slice(0, k))[1] as (c: unknown) => Tensor[])(xs[k]);
  const batchedV = vmap(vjpOf)(...ex.map((e) => stackAt(e, 0)), stackAt(cts, 0)) as Tensor[];
  batchedV.forEach((g, i) => {
    const loop = stackAt(Array.from({ length: B }, (_, b) => vjpOf(...ex.map((e) => e[b]), cts[b])[i]), 0);
    assertNear(values(g), values(loop), 1e-12, `${prim.name} vmap(vjp) vs loop (cotangent ${i}), ${fmt(s)}`);
  });
  // the cotangent alone mapped (primals shared), which is how jacrev batches
  const sharedV = vmap((c: Tensor) => vjpOf(...primals, c))(stackAt(cts, 0)) as Tensor[];
  sharedV.forEach((g, i) => {
    const loop = stackAt(cts.map((c) => vjpOf(...primals, c)[i]), 0);
    assertNear(values(g), values(loop), 1e-12, `${prim.name} vmap over the cotangent only vs loop, ${fmt(s)}`);
  });
}

function checkSecondOrder(prim: Primitive, s: SampleInput<unknown>, diff: number[], rng: Rng): void {
  const f = asFunction(prim, s, diff);
  const primals = diff.map((i) => s.args[i]);
  const k = primals.length;
  const out0 = f(...primals);
  if (out0.dtype !== "float64") return; // finite differences of a float32 vjp are too coarse
  const v = randTensor(rng, out0.shape, -1, 1, out0.dtype);
  const u = primals.map((p) => randTensor(rng, p.shape, -1, 1, p.dtype));
  // g(x) = J(x)^T v: forward-over-reverse against finite differences of the vjp
  const g = (...xs: Tensor[]) => (vjp(f, xs)[1] as (c: unknown) => Tensor[])(v);
  const [, tg] = jvp(g, primals, u) as [Tensor[], Tensor[]];
  const fd = centralDiff(g, primals, u, 1e-5);
  tg.forEach((t, i) => assertNear(values(t), fd[i], 1e-6, `${prim.name} jvp of vjp vs finite differences (input ${diff[i]}), ${fmt(s)}`));
  // h(x, v) = J(x)^T v: reverse-over-reverse against forward-over-reverse, <w, J_h a> = <J_h^T w, a>
  const h = (...xs: Tensor[]) => (vjp(f, xs.slice(0, k))[1] as (c: unknown) => Tensor[])(xs[k]);
  const a = [...u, randTensor(rng, v.shape, -1, 1, v.dtype)];
  const w = primals.map((p) => randTensor(rng, p.shape, -1, 1, p.dtype));
  const [, ja] = jvp(h, [...primals, v], a) as [Tensor[], Tensor[]];
  const [, hVjp] = vjp(h, [...primals, v]) as [unknown, (c: unknown) => Tensor[]];
  const jtw = hVjp(w);
  const lhs = ja.reduce((acc, t, i) => acc + dot(w[i], t), 0);
  const rhs = jtw.reduce((acc, t, i) => acc + dot(t, a[i]), 0);
  assertNear([rhs], [lhs], 1e-10, `${prim.name} vjp of vjp against jvp of vjp, ${fmt(s)}`);
}

/** A non-differentiable primitive with a float output has a zero derivative, not an error. */
function checkZeroDerivative(prim: Primitive, s: SampleInput<unknown>, diff: number[], rng: Rng): void {
  const f = asFunction(prim, s, diff);
  const primals = diff.map((i) => s.args[i]);
  const [out, tout] = jvp(f, primals, primals.map((p) => randTensor(rng, p.shape, -1, 1, p.dtype))) as [Tensor, Tensor];
  if (!isFloat(out)) return;
  assert.ok(values(tout).every((x) => x === 0), `${prim.name}: non-differentiable, so its jvp must be zero`);
  const [, vjpFn] = vjp(f, primals) as [Tensor, (c: unknown) => Tensor[]];
  for (const g of vjpFn(randTensor(rng, out.shape, -1, 1, out.dtype))) {
    assert.ok(values(g).every((x) => x === 0), `${prim.name}: non-differentiable, so its vjp must be zero`);
  }
}

test("coverage: every primitive has every rule (or a named opt-out) and a sample", () => {
  assert.ok(registry.length >= 30, `only ${registry.length} primitives registered`);
  const names = new Set<string>();
  for (const p of registry) {
    assert.ok(!names.has(p.name), `primitive ${p.name} is registered twice`);
    names.add(p.name);
    assert.equal(typeof p.impl, "function", `${p.name}: impl`);
    assert.equal(typeof p.batch, "function", `${p.name}: batch rule`);
    assert.equal(typeof p.samples, "function", `${p.name}: samples`);
    for (const rule of ["jvp", "vjp"] as const) {
      assert.ok(typeof p[rule] === "function" || p[rule] === "nonDifferentiable", `${p.name}: ${rule} must be a rule or "nonDifferentiable"`);
    }
    assert.equal(p.jvp === "nonDifferentiable", p.vjp === "nonDifferentiable", `${p.name}: jvp and vjp must agree on being differentiable`);
    if (p.random) continue; // random primitives are tested under the vmap randomness modes
    const samples = p.samples();
    assert.ok(samples.length >= 1, `${p.name}: needs at least one sample`);
    for (const s of samples) {
      for (const a of s.args) {
        assert.ok(a instanceof Tensor && a.data !== null, `${p.name}: sample args must be concrete tensors`);
        assert.ok(a.dtype === "float64" || !isFloat(a), `${p.name}: float sample args must be float64, got ${a.dtype}`);
      }
    }
    if (differentiable(p)) assert.ok(samples.some((s) => diffArgsOf(s).length > 0), `${p.name}: a differentiable primitive needs a sample with a float arg`);
  }
});

for (const prim of registry) {
  if (prim.random) continue;
  describe(`primitive ${prim.name}`, () => {
    const samples = prim.samples();
    samples.forEach((s, si) => {
      const diff = diffArgsOf(s);
      const floatOut = isFloat(bind(prim, s.args, s.params));
      const seed = 1000 + registry.indexOf(prim) * 17 + si;
      test(`batch rule vs loop over examples (sample ${si})`, () => checkBatching(prim, s, new Rng(seed)));
      test(`impl on strided inputs (sample ${si})`, () => checkStridedImpl(prim, s));
      if (!diff.length || !floatOut) return; // nothing to differentiate (int/bool inputs or output)
      if (!differentiable(prim)) {
        test(`zero derivative (sample ${si})`, () => checkZeroDerivative(prim, s, diff, new Rng(seed + 1)));
        return;
      }
      test(`jvp vs central finite differences (sample ${si})`, () => checkJvp(prim, s, diff, new Rng(seed + 2)));
      test(`vjp vs jvp (sample ${si})`, () => checkVjp(prim, s, diff, new Rng(seed + 3)));
      test(`vmap of jvp and vjp vs loop (sample ${si})`, () => checkRulesUnderVmap(prim, s, diff, new Rng(seed + 4)));
      test(`second derivatives through the rules (sample ${si})`, () => checkSecondOrder(prim, s, diff, new Rng(seed + 5)));
    });
  });
}

describe("random primitives under vmap randomness modes", () => {
  const randoms = registry.filter((p) => p.random);
  test("there are random primitives (uniform, normal)", () => {
    assert.deepEqual(randoms.map((p) => p.name).sort(), ["normal", "uniform"]);
  });
  for (const prim of randoms) {
    const params = { shape: [4], dtype: "float64" };
    const draw = () => bind(prim, [], params);
    const x = fromArray([1, 2, 3, 4, 5], [5]);
    const rows = (t: Tensor) => Array.from({ length: t.shape[0] }, (_, i) => values(t).slice(i * 4, i * 4 + 4));
    test(`${prim.name}: "error" throws naming the op and the options`, () => {
      assert.throws(() => vmap((_x: Tensor) => draw())(x), new RegExp(`random.*${prim.name}.*randomness.*(different|same)`, "s"));
    });
    test(`${prim.name}: "different" gives each example its own draws in one call`, () => {
      const out = vmap((_x: Tensor) => draw(), { randomness: "different" })(x) as Tensor;
      assert.deepEqual([...out.shape], [5, 4]);
      const r = rows(out);
      for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) assert.notDeepEqual(r[i], r[j], `examples ${i} and ${j} drew the same numbers`);
    });
    test(`${prim.name}: "same" gives every example the same draws`, () => {
      const out = vmap((_x: Tensor) => draw(), { randomness: "same" })(x) as Tensor;
      assert.deepEqual([...out.shape], [5, 4]);
      const r = rows(out);
      for (let i = 1; i < 5; i++) assert.deepEqual(r[i], r[0]);
      assert.ok(new Set(r[0]).size === 4, "the draws within one example still differ");
    });
    test(`${prim.name}: "same" with chunkSize still gives every example the same draws`, () => {
      const out = vmap((_x: Tensor) => draw(), { randomness: "same", chunkSize: 2 })(x) as Tensor;
      const r = rows(out);
      for (let i = 1; i < 5; i++) assert.deepEqual(r[i], r[0], `chunked example ${i}`);
    });
    test(`${prim.name}: "different" with chunkSize gives distinct examples`, () => {
      const out = vmap((_x: Tensor) => draw(), { randomness: "different", chunkSize: 2 })(x) as Tensor;
      const r = rows(out);
      for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) assert.notDeepEqual(r[i], r[j], `chunked examples ${i} and ${j}`);
    });
    test(`${prim.name}: nested vmap, "different" outside and in`, () => {
      const inner = vmap((_y: Tensor) => draw(), { randomness: "different" });
      const out = vmap((y: Tensor) => inner(y), { randomness: "different" })(fromArray([1, 2, 3, 4, 5, 6], [2, 3])) as Tensor;
      assert.deepEqual([...out.shape], [2, 3, 4]);
      const all = values(out);
      const r = Array.from({ length: 6 }, (_, i) => all.slice(i * 4, i * 4 + 4));
      for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) assert.notDeepEqual(r[i], r[j]);
    });
    test(`${prim.name}: the outer vmap's "error" applies to an inner vmap's draws`, () => {
      const inner = vmap((_y: Tensor) => draw(), { randomness: "different" });
      assert.throws(() => vmap((y: Tensor) => inner(y))(fromArray([1, 2, 3, 4, 5, 6], [2, 3])), /randomness/);
    });
  }
  test("uniform draws lie in [0, 1) and normal draws look standard", () => {
    const u = values(vmap((_x: Tensor) => bind(randoms.find((p) => p.name === "uniform")!, [], { shape: [500], dtype: "float64" }), { randomness: "different" })(fromArray([0, 0], [2])) as Tensor);
    assert.ok(u.every((x) => x >= 0 && x < 1));
    const mu = u.reduce((a, b) => a + b, 0) / u.length;
    assert.ok(Math.abs(mu - 0.5) < 0.05, `uniform mean ${mu}`);
    const z = values(bind(randoms.find((p) => p.name === "normal")!, [], { shape: [2000], dtype: "float64" }));
    const m = z.reduce((a, b) => a + b, 0) / z.length;
    const v = z.reduce((a, b) => a + (b - m) ** 2, 0) / z.length;
    assert.ok(Math.abs(m) < 0.1 && Math.abs(v - 1) < 0.15, `normal mean ${m} var ${v}`);
  });
});
