/**
 * Index analysis for the Wasm kernels: every load's index as an affine form
 * of the loop variables, and loop nests coalesced (two adjacent loops merge
 * when every access walks them as one contiguous range, so an elementwise
 * kernel over [1024, 1024] becomes one loop of 1,048,576).
 * @module
 */
import type { IExpr, Kernel, VExpr } from "../../kernel.ts";

/** A loop after coalescing. */
export interface Var {
  readonly extent: number;
  /** The original loop variables it stands for, outermost first. */
  readonly names: readonly string[];
}

/** `c + Σ coef·var`, in elements. */
export interface Access {
  readonly c: number;
  readonly terms: readonly (readonly [Var, number])[];
}

/** A kernel's loops and accesses, ready for code generation. */
export interface Plan {
  /** Output loops, outermost first (extent-1 loops dropped). */
  readonly out: readonly Var[];
  /** Where each output element is stored. */
  readonly store: Access;
  /** Every load (and `acc`, read from the output in place) with its access. */
  readonly loads: ReadonlyMap<VExpr, Access>;
  /** Each reduction's loops. */
  readonly reduces: ReadonlyMap<VExpr, readonly Var[]>;
  /** Each constant's (and pad fill's) slot in the constants parameter (see `constantValues`). */
  readonly consts: ReadonlyMap<VExpr, number>;
  /** Each pad's conditions: the index it tests, as an access (`c` and terms, in elements). */
  readonly pads: ReadonlyMap<VExpr, readonly Access[]>;
}

/** The coefficient of `v` in an access (0 when it does not vary along it). */
export function coefOf(a: Access, v: Var): number {
  for (const [w, c] of a.terms) if (w === v) return c;
  return 0;
}

/**
 * Whether lanes may run along `v`: every load walks it contiguously, in
 * steps of 2 (not bool), or not at all (a pad whose condition varies along
 * it masks its lanes).
 */
export function lanesAlong(plan: Plan, v: Var, within?: (e: VExpr) => boolean): boolean {
  const mine = (e: VExpr) => within === undefined || within(e);
  return [...plan.loads].every(([e, a]) => {
    const c = coefOf(a, v);
    // a step of 2 (a stride-2 window): the even lanes of two vectors
    return !mine(e) || c === 0 || c === 1 || (c === 2 && e.k === "load" && e.dtype !== "bool");
  });
}

/** A linear form: coefficient per loop variable, the constant under "". */
export type Lin = Map<string, number>;
const CONST = "";

/** `e` as a linear form of the loop variables (`p` stands for `flat`), or undefined when not affine. */
export function linear(e: IExpr, flat: Lin): Lin | undefined {
  if (typeof e === "number") return new Map([[CONST, e]]);
  if ("v" in e) return e.v === "p" ? flat : new Map([[e.v, 1]]);
  if (e.op === "+" || e.op === "-") {
    const a = linear(e.a, flat);
    const b = linear(e.b, flat);
    if (a === undefined || b === undefined) return undefined;
    const out = new Map(a);
    const sign = e.op === "+" ? 1 : -1;
    for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + sign * v);
    return out;
  }
  if (e.op === "*") {
    const a = linear(e.a, flat);
    const b = linear(e.b, flat);
    if (a === undefined || b === undefined) return undefined;
    const kb = constantOf(b);
    if (kb !== undefined) return scale(a, kb);
    const ka = constantOf(a);
    return ka === undefined ? undefined : scale(b, ka);
  }
  return undefined; // division, modulo and gathered indices are not affine
}

function constantOf(l: Lin): number | undefined {
  for (const [k, v] of l) if (k !== CONST && v !== 0) return undefined;
  return l.get(CONST) ?? 0;
}

function scale(l: Lin, k: number): Lin {
  return new Map([...l].map(([n, v]) => [n, v * k]));
}

/** Visits every node of a value tree once, depth first, arguments in order. */
function walk(e: VExpr, seen: Set<VExpr>, visit: (e: VExpr) => void): void {
  if (seen.has(e)) return;
  seen.add(e);
  visit(e);
  if (e.k === "alu") { for (const a of e.args) walk(a, seen, visit); }
  else if (e.k === "cast" || e.k === "pad") walk(e.x, seen, visit);
  else if (e.k === "reduce") walk(e.body, seen, visit);
}

/**
 * Merges adjacent loops (outer d into inner d+1 when every access has
 * coef(d) = coef(d+1)·extent(d+1)) and drops loops of extent 1.
 */
function coalesce(
  names: readonly string[],
  extents: readonly number[],
  lins: readonly Lin[],
): Var[] {
  const groups: { names: string[]; extent: number }[] = [];
  for (let d = names.length - 1; d >= 0; d--) {
    if (extents[d] === 1) continue;
    const g = groups[0];
    const outer = g?.names[0];
    const merge = g !== undefined &&
      lins.every((l) => (l.get(names[d]) ?? 0) === (l.get(outer!) ?? 0) * extentOf(outer!));
    if (merge) {
      g.names.unshift(names[d]);
      g.extent *= extents[d];
    } else groups.unshift({ names: [names[d]], extent: extents[d] });
  }
  return groups;

  function extentOf(n: string): number {
    return extents[names.indexOf(n)];
  }
}

function access(lin: Lin, vars: readonly Var[]): Access {
  const terms: (readonly [Var, number])[] = [];
  for (const v of vars) {
    const coef = lin.get(v.names[v.names.length - 1]) ?? 0;
    if (coef !== 0) terms.push([v, coef]);
  }
  return { c: lin.get(CONST) ?? 0, terms };
}

/**
 * Analyses a loop kernel (or a matmul's epilogue).
 * @param kernel the kernel
 * @param body the body to emit: the kernel's, or a rewrite of it with the same constant nodes
 * @returns the plan, or undefined when an index is not affine
 */
export function planLoops(kernel: Kernel, body: VExpr = kernel.body): Plan | undefined {
  const strides: number[] = [];
  let s = 1;
  for (let d = kernel.loops.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= kernel.loops[d].extent;
  }
  const flat: Lin = new Map(kernel.loops.map((l, d) => [l.v, strides[d]]));
  const lins = new Map<VExpr, Lin>();
  const reduceNodes: Extract<VExpr, { k: "reduce" }>[] = [];
  // constants are numbered in the kernel body's order (see `constantValues`)
  const consts = new Map<VExpr, number>();
  walk(kernel.body, new Set(), (e) => {
    if (e.k === "const" || e.k === "pad") consts.set(e, consts.size);
  });
  let ok = true;
  const padLins = new Map<VExpr, Lin[]>();
  walk(body, new Set(), (e) => {
    if (e.k === "load") {
      const lin = linear(e.index, flat);
      if (lin === undefined) ok = false;
      else lins.set(e, lin);
    } else if (e.k === "acc") lins.set(e, flat);
    else if (e.k === "reduce") reduceNodes.push(e);
    else if (e.k === "pad") {
      const conds = e.conds.map((c) => linear(c.i, flat));
      if (conds.includes(undefined)) ok = false;
      else padLins.set(e, conds as Lin[]);
    }
  });
  if (!ok) return undefined;
  const all = [...lins.values(), ...[...padLins.values()].flat(), flat];
  const out = coalesce(kernel.loops.map((l) => l.v), kernel.loops.map((l) => l.extent), all);
  const reduces = new Map<VExpr, Var[]>();
  for (const r of reduceNodes) {
    reduces.set(r, coalesce(r.vars.map((v) => v.v), r.vars.map((v) => v.extent), all));
  }
  const vars = [...out, ...[...reduces.values()].flat()];
  const loads = new Map<VExpr, Access>();
  for (const [e, lin] of lins) loads.set(e, access(lin, vars));
  const pads = new Map([...padLins].map(([e, ls]) => [e, ls.map((l) => access(l, vars))]));
  return { out, store: access(flat, vars), loads, reduces, consts, pads };
}

/**
 * Steps a loop kernel takes: one per output element, plus each reduction's
 * steps times the output elements it runs for. A reduction that does not
 * vary along an output loop runs once before that loop (it is hoisted), so
 * softmax's row max and row sum count once per row, not once per element.
 * @param plan the kernel's plan
 * @returns the step count (the runtime's measure of a kernel's work)
 */
export function loopSteps(plan: Plan): number {
  const product = (vars: readonly Var[]) => vars.reduce((n, v) => n * v.extent, 1);
  let steps = product(plan.out);
  for (const [r, vars] of plan.reduces) {
    const free = new Set<Var>();
    walk(r, new Set(), (e) => {
      for (const a of [plan.loads.get(e), ...(plan.pads.get(e) ?? [])]) {
        for (const [v] of a?.terms ?? []) free.add(v);
      }
    });
    steps += product(plan.out.filter((v) => free.has(v))) * product(vars);
  }
  return steps;
}

/**
 * The values of a kernel's constants, in the order its Wasm code reads them.
 * @param body the kernel body
 * @returns one float32 value per constant node and pad fill (an int32 one's bits, for int32 lanes)
 */
export function constantValues(body: VExpr): Float32Array {
  const consts: Extract<VExpr, { k: "const" | "pad" }>[] = [];
  walk(body, new Set(), (e) => void ((e.k === "const" || e.k === "pad") && consts.push(e)));
  const values = new Float32Array(consts.length);
  const ints = new Int32Array(values.buffer);
  consts.forEach((e, i) => {
    const v = e.k === "pad" ? e.fill : e.value;
    if (e.dtype === "int32") ints[i] = v;
    else values[i] = v;
  });
  return values;
}
