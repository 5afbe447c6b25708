/**
 * The expression renderer behind `mod.ts`: turns a kernel's value
 * expression into WGSL statements, one invocation's worth, and counts the
 * loop iterations that invocation runs (lavapipe silently stops an
 * invocation after 65,535 in all, so the planner checks the count). A
 * reduction is a serial loop, or, at the top level of a cooperative pass,
 * a loop strided over the workgroup's threads plus a tree in shared memory.
 * @module
 */
import type { DType } from "../../../core/ir/dtype.ts";
import type { IExpr, LoopVar, VExpr } from "../../kernel.ts";
import { HelperSet, wgslCast, type WgslType } from "../../../core/ops/_wgsl_helpers.ts";
import { elementwiseOps } from "../../../core/ops/elementwise.ts";
import { reductionOf } from "../../../core/ops/reductions.ts";

/** Threads of a cooperative workgroup (the default WebGPU limit). */
export const WG = 256;
/** The most workgroups along one dispatch axis (the default WebGPU limit). */
export const MAX_GROUPS = 65535;

/** Workgroup counts covering `n` groups in two dimensions (`x` is the row width). */
export function grid(n: number): [number, number, number] {
  const x = Math.min(Math.max(n, 1), MAX_GROUPS);
  const y = Math.ceil(n / x);
  if (y > MAX_GROUPS) {
    throw new RangeError(`WebGPU cannot dispatch ${n} workgroups: the limit is ${MAX_GROUPS ** 2}`);
  }
  return [x, y, 1];
}

/** A reduction expression. */
export type ReduceExpr = Extract<VExpr, { k: "reduce" }>;

/** The element type of a WGSL buffer: a value type, or f16 (float16, computed in f32). */
export type WgslStorage = WgslType | "f16";

/**
 * The WGSL type computing a dtype (bool as 0/1 in i32; float16 in f32, each
 * result rounded to half as PyTorch's CPU kernels do); float64 has none.
 */
export function wgslType(dtype: DType): WgslType {
  switch (dtype) {
    case "float32":
    case "float16":
      return "f32";
    case "int32":
    case "bool":
      return "i32";
    case "float64":
      throw new TypeError(
        "WebGPU kernels cannot use float64: WGSL has no 64-bit floats: " +
          "use float32 on webgpu, or run float64 code on the cpu device",
      );
    default:
      return dtype satisfies never;
  }
}

/** The WGSL type of a buffer holding a dtype: f16 for float16, else its value type. */
export function wgslStorage(dtype: DType): WgslStorage {
  return dtype === "float16" ? "f16" : wgslType(dtype);
}

/** `value` as stored in a buffer of type `t`. */
export function wgslStore(value: string, t: WgslStorage): string {
  return t === "f16" ? `f16(${value})` : value;
}

/** A block of statements; names of expressions computed in it (visible to nested blocks). */
export class Scope {
  /** The statements. */
  readonly lines: string[] = [];
  readonly #names = new Map<VExpr, string>();
  /** A block inside `parent` (or the function body). */
  constructor(readonly parent?: Scope) {}
  /** The variable holding `e`, if computed here or in an enclosing block. */
  lookup(e: VExpr): string | undefined {
    return this.#names.get(e) ?? this.parent?.lookup(e);
  }
  /** Records that `name` holds `e`. */
  bind(e: VExpr, name: string): void {
    this.#names.set(e, name);
  }
}

/** Where the threads of a cooperative pass split the reductions of its top block. */
export interface Cooperation {
  /** The function's top block: its reductions are shared by the workgroup. */
  readonly root: Scope;
  /** The range of each top-level reduction's flat index (default: all of it). */
  readonly lo?: string;
  readonly hi?: string;
  /** The range's length (for the iteration count). */
  readonly span?: number;
}

/** Renders value expressions of one pass. */
export class Renderer {
  /** Helper functions used. */
  readonly helpers: HelperSet = new HelperSet();
  /** Constants' bit patterns, read as `lt_c[i]`. */
  readonly constants: number[] = [];
  /** Buffers read (virtual input numbers) and their types, in binding order. */
  readonly reads: number[] = [];
  readonly readTypes: WgslStorage[] = [];
  /** Whether a gathered index is checked (binds the error buffer). */
  checksIndex = false;
  /** Loop iterations one invocation runs. */
  iterations = 0;
  /** Top-level reductions of a cooperative pass, with their iterations per thread. */
  readonly rootReduces: { e: ReduceExpr; iterations: number }[] = [];
  /** Shared arrays used: "f32", "i32" (values) and "idx" (argmax positions). */
  readonly shared: Set<string> = new Set();
  #tmp = 0;
  #weight = 1;

  /** A renderer; `coop` makes top-level reductions cooperative. */
  constructor(readonly coop?: Cooperation) {}

  /** The variable holding `e`'s value, computing it in `scope` when new. */
  value(e: VExpr, scope: Scope): string {
    const known = scope.lookup(e);
    if (known !== undefined) return known;
    const raw = this.#render(e, scope);
    // a float16 result is rounded to half; loads, constants and pads hold halves already
    const rounds = e.dtype === "float16" && (e.k === "alu" || e.k === "cast" || e.k === "reduce" ||
      e.k === "acc");
    const expr = rounds ? `${this.helpers.use("lt_h")}(${raw})` : raw;
    if (e.k === "acc" && !rounds) return expr;
    const name = `t${this.#tmp++}`;
    scope.lines.push(`let ${name} = ${expr};`);
    scope.bind(e, name);
    return name;
  }

  /** An index expression (i32). */
  index(e: IExpr, scope: Scope): string {
    if (typeof e === "number") return e < 0 ? `(${e})` : String(e);
    if ("v" in e) return e.v;
    if (e.op === "index") {
      this.checksIndex = true;
      const x = this.value(e.x, scope);
      const i = wgslType(e.x.dtype) === "i32" ? x : `${this.helpers.use("lt_f2i")}(${x})`;
      // the node's id is a constant: kernels of one structure share their pipeline
      return `lt_index(${i}, ${e.extent}, ${this.constant(e.site, "i32")})`;
    }
    return `(${this.index(e.a, scope)} ${e.op} ${this.index(e.b, scope)})`;
  }

  /** A constant of type `t`, as an expression reading the constants buffer. */
  constant(value: number, t: WgslType): string {
    const bits = t === "f32" ? new Uint32Array(new Float32Array([value]).buffer)[0] : value >>> 0;
    this.constants.push(bits);
    return `bitcast<${t}>(lt_c[${this.constants.length - 1}])`;
  }

  /** The array holding (virtual) input `input`, bound on first use. */
  read(input: number, dtype: DType): string {
    if (!this.reads.includes(input)) {
      this.reads.push(input);
      this.readTypes.push(wgslStorage(dtype));
    }
    return `lt_in${input}`;
  }

  /** Element `index` of input `input`, as a value (halves widen to f32). */
  load(input: number, dtype: DType, index: string): string {
    const x = `${this.read(input, dtype)}[${index}]`;
    return dtype === "float16" ? `f32(${x})` : x;
  }

  /** Statements binding `vars` (row-major) from the flat index `flat`. */
  unflatten(vars: readonly LoopVar[], flat: string, scope: Scope): void {
    let stride = 1;
    for (let d = vars.length - 1; d >= 0; d--) {
      const { v, extent } = vars[d];
      const q = stride === 1 ? flat : `(${flat} / ${stride})`;
      scope.lines.push(`let ${v} = ${extent === 1 ? "0" : d === 0 ? q : `${q} % ${extent}`};`);
      stride *= extent;
    }
  }

  #render(e: VExpr, scope: Scope): string {
    switch (e.k) {
      case "const":
        return this.constant(e.value, wgslType(e.dtype));
      case "acc":
        return "lt_acc";
      case "load":
        return this.load(e.input, e.dtype, this.index(e.index, scope));
      case "cast": {
        const to = e.dtype === "bool" ? "bool" : wgslType(e.dtype);
        return wgslCast(this.value(e.x, scope), wgslType(e.x.dtype), to, this.helpers);
      }
      case "alu": {
        const args = e.args.map((a) => this.value(a, scope));
        const types = e.args.map((a) => wgslType(a.dtype));
        return this.#selfOp(e, args, types[0]) ??
          elementwiseOps[e.op].kernel.wgsl(args, types, this.helpers);
      }
      case "pad":
        return this.#pad(e, scope);
      case "reduce":
        return this.#reduce(e, scope);
    }
  }

  /**
   * NOTE: x - x, x == x and x / x on one float value are written out, since
   * GPU compilers may fold them to 0, true and 1 even for NaN and infinities
   * (isFinite and the softmax shift rely on x - x).
   */
  #selfOp(e: Extract<VExpr, { k: "alu" }>, args: string[], t: WgslType): string | undefined {
    if (t !== "f32" || e.args.length !== 2) return undefined;
    const [a, b] = e.args;
    const negated = (x: VExpr, y: VExpr) => y.k === "alu" && y.op === "neg" && y.args[0] === x;
    if (e.op === "add" && (negated(a, b) || negated(b, a))) {
      return `${this.helpers.use("lt_selfsub")}(${args[negated(a, b) ? 0 : 1]})`;
    }
    if (a !== b) return undefined;
    if (e.op === "cmpeq") return `select(1, 0, ${this.helpers.use("lt_isnan")}(${args[0]}))`;
    if (e.op === "div") return `${this.helpers.use("lt_selfdiv")}(${args[0]})`;
    return undefined;
  }

  #pad(e: Extract<VExpr, { k: "pad" }>, scope: Scope): string {
    const t = wgslType(e.dtype);
    const name = `t${this.#tmp++}`;
    const cond = e.conds.map((c) => {
      const i = this.index(c.i, scope);
      return `${i} >= ${c.lo} && ${i} < ${c.hi}`;
    }).join(" && ") || "true";
    const inner = new Scope(scope);
    const x = this.value(e.x, inner);
    scope.lines.push(
      `var ${name}: ${t} = ${this.constant(e.fill, t)};`,
      `if (${cond}) {`,
      ...inner.lines.map((l) => `  ${l}`),
      `  ${name} = ${x};`,
      "}",
    );
    return name;
  }

  #reduce(e: ReduceExpr, scope: Scope): string {
    const t = wgslType(e.body.dtype);
    const total = e.vars.reduce((n, v) => n * v.extent, 1);
    if (total === 0) return e.op === "argmax" ? "0" : this.#init(e.op, e.body.dtype, t);
    const coop = this.coop !== undefined && scope === this.coop.root ? this.coop : undefined;
    const a = `a${this.#tmp++}`;
    const f = `${a}f`;
    const span = coop?.span ?? total;
    const trips = coop === undefined ? total : Math.ceil(span / WG);
    const before = this.iterations;
    const weight = this.#weight;
    this.iterations += weight * trips;
    this.#weight = weight * trips;
    const inner = new Scope(scope);
    this.unflatten(e.vars, f, inner);
    const v = this.value(e.body, inner);
    this.#weight = weight;
    const isArg = e.op === "argmax";
    const head = [`var ${a}: ${t} = ${this.#init(e.op, e.body.dtype, t)};`];
    if (isArg) head.push(`var ${a}i: i32 = ${coop === undefined ? 0 : total};`);
    const loop = coop === undefined
      ? `for (var ${f}: i32 = 0; ${f} < ${total}; ${f}++) {`
      : `for (var ${f}: i32 = ${coop.lo ?? "0"} + l; ${f} < ${coop.hi ?? total}; ${f} += ${WG}) {`;
    const body = [...inner.lines, this.#step(e.op, t, a, v, f)];
    scope.lines.push(...head, loop, ...body.map((l) => `  ${l}`), "}");
    if (coop === undefined) return isArg ? `${a}i` : a;
    const result = this.#tree(e.op, t, a, scope);
    this.iterations += 8;
    this.rootReduces.push({ e, iterations: this.iterations - before });
    return isArg ? `select(${result}i, 0, ${result}i == ${total})` : result;
  }

  /** The reduction's identity for `dtype` values, as a WGSL literal of type `t`. */
  #init(op: ReduceExpr["op"], dtype: DType, t: WgslType): string {
    const x = reductionOf[op].identity(dtype);
    if (!Number.isFinite(x)) return `${x < 0 ? "-" : ""}${this.helpers.use("lt_inf")}()`;
    if (t === "i32") return x === -2147483648 ? "(-2147483647 - 1)" : String(x);
    return Number.isInteger(x) ? x.toFixed(1) : String(x);
  }

  /** `combine(v, a)` of the reduction (ties keep `a`, as the JS kernels do). */
  #combine(op: ReduceExpr["op"], t: WgslType, a: string, v: string): string {
    return elementwiseOps[reductionOf[op].combine].kernel.wgsl([v, a], [t, t], this.helpers);
  }

  /** One element `v` (at flat position `f`) folded into accumulator `a`, as the JS kernels do. */
  #step(op: ReduceExpr["op"], t: WgslType, a: string, v: string, f: string): string {
    if (reductionOf[op].nan !== "first") return `${a} = ${this.#combine(op, t, a, v)};`;
    // argmax: the first best value's index, or the first NaN's
    const isnan = () => this.helpers.use("lt_isnan");
    const better = t === "f32"
      ? `${v} > ${a} || (${isnan()}(${v}) && !${isnan()}(${a}))`
      : `${v} > ${a}`;
    return `if (${better}) { ${a} = ${v}; ${a}i = ${f}; }`;
  }

  /** Combines the threads' accumulators through shared memory; returns the variable with the result. */
  #tree(op: ReduceExpr["op"], t: WgslType, a: string, scope: Scope): string {
    const sh = `lt_sh_${t}`;
    this.shared.add(t);
    const pairs = [`${sh}[l] = ${a};`];
    if (op === "argmax") {
      this.shared.add("idx");
      pairs.push(`lt_sh_idx[l] = ${a}i;`);
    }
    const h = `${a}h`;
    const x = `${sh}[l]`;
    const y = `${sh}[l + ${h}]`;
    let merge: string[];
    if (op === "argmax") {
      const [i, j] = ["lt_sh_idx[l]", `lt_sh_idx[l + ${h}]`];
      const tie = `(${y} == ${x} && ${j} < ${i})`;
      let better = `${y} > ${x} || ${tie}`;
      if (t === "f32") {
        const n = this.helpers.use("lt_isnan");
        better = `(${n}(${y}) && (!${n}(${x}) || ${j} < ${i})) || ` +
          `(!${n}(${x}) && !${n}(${y}) && (${y} > ${x} || ${tie}))`;
      }
      merge = [`if (${better}) { ${x} = ${y}; ${i} = ${j}; }`];
    } else {
      merge = [`${x} = ${this.#combine(op, t, y, x)};`]; // combine(x, y), as before the tree
    }
    const r = `t${this.#tmp++}`;
    scope.lines.push(
      ...pairs,
      "workgroupBarrier();",
      `for (var ${h}: i32 = ${WG / 2}; ${h} > 0; ${h} = ${h} / 2) {`,
      `  if (l < ${h}) { ${merge.join(" ")} }`,
      "  workgroupBarrier();",
      "}",
      `let ${r} = ${sh}[0];`,
      ...(op === "argmax" ? [`let ${r}i = lt_sh_idx[0];`] : []),
      "workgroupBarrier();",
    );
    return r;
  }

  /** Declarations of the pass's bindings, shared arrays and helpers (`out` written: atomics for a scatter). */
  declarations(out: WgslStorage | "atomic<u32>" | "atomic<i32>"): string[] {
    const decl = (i: number, access: string, name: string, type: string) =>
      `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<${type}>;`;
    const lines = [decl(0, "read_write", "lt_out", out)];
    this.reads.forEach((r, i) => lines.push(decl(i + 1, "read", `lt_in${r}`, this.readTypes[i])));
    let next = this.reads.length + 1;
    if (this.constants.length > 0) lines.push(decl(next++, "read", "lt_c", "u32"));
    if (this.checksIndex) {
      lines.push(decl(next, "read_write", "lt_err", "atomic<i32>"), indexHelper);
    }
    for (const s of this.shared) {
      lines.push(`var<workgroup> lt_sh_${s}: array<${s === "idx" ? "i32" : s}, ${WG}>;`);
    }
    const helpers = this.helpers.source();
    return helpers === "" ? lines : [...lines, helpers];
  }
}

// a bad gathered index records (index, extent, the gather's node id) once and reads element 0;
// the backend raises it
const indexHelper = `fn lt_index(i: i32, n: i32, site: i32) -> i32 {
  let j = select(i, i + n, i < 0);
  if (j < 0 || j >= n) {
    if (atomicExchange(&lt_err[0], 1) == 0) {
      atomicStore(&lt_err[1], i);
      atomicStore(&lt_err[2], n);
      atomicStore(&lt_err[3], site);
    }
    return 0;
  }
  return j;
}`;
