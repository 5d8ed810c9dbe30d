/** Containers: nn.Sequential and nn.ModuleList. */
import { Module } from "./module.js";

/** Modules applied in order; children are named "0", "1", ... (or by the keys of an object). */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && !(first instanceof Module) && typeof first === "object" && first !== null) {
      for (const [name, m] of Object.entries(first)) {
        if (!(m instanceof Module)) throw new Error(`Sequential: "${name}" is not a Module`);
        this.registerModule(name, m);
      }
    } else {
      (modules as Module[]).forEach((m, i) => {
        if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} is not a Module (got ${m === null ? "null" : typeof m})`);
        this.registerModule(String(i), m);
      });
    }
  }
  get length(): number {
    return this.children().length;
  }
  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const c = this.children();
    const j = i < 0 ? i + c.length : i;
    if (!(j >= 0 && j < c.length)) throw new Error(`Sequential.at: index ${i} is out of range for ${c.length} modules`);
    return c[j];
  }
  /** Add a module at the end. */
  append(m: Module): this {
    this.registerModule(String(this.length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
  forward(x: any): any {
    // a second input would be dropped without a word (PyTorch's Sequential refuses it too)
    if (arguments.length !== 1) throw new Error(`Sequential: forward takes one input, got ${arguments.length}`);
    for (const m of this.children()) x = m.call(x);
    return x;
  }
}

/** A list of submodules, registered as "0", "1", ... (no forward of its own). */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const c = this.children();
    const j = i < 0 ? i + c.length : i;
    if (!(j >= 0 && j < c.length)) throw new Error(`ModuleList.at: index ${i} is out of range for ${c.length} modules`);
    return c[j];
  }
  append(m: Module): this {
    if (!(m instanceof Module)) throw new Error(`ModuleList.append: expected a Module, got ${m === null ? "null" : typeof m}`);
    this.registerModule(String(this.length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}
