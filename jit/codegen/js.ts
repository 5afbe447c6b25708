/**
 * JavaScript code generation: renders a kernel description as the source of
 * a function over TypedArrays. Pure text: compiling and running it is the
 * CPU backend's job. Constants are read from a parameter array, so the source
 * depends on the program's structure only, never on its values.
 * @module
 */
import type { DType } from "../../core/ir/dtype.ts";
import { elementwiseOps } from "../../core/ops/elementwise.ts";
import { reductionOf } from "../../core/ops/reductions.ts";
import type { IExpr, Kernel, LoopVar, VExpr } from "../kernel.ts";
import { type RowReuse, rowReuse } from "./wasm/_row.ts";
import { attentionSource } from "./_attention_js.ts";

/** A kernel's JavaScript source and the constants it reads. */
export interface JsKernelSource {
  /** The body of `function (rt, c, out, ...inputs)`. */
  readonly source: string;
  /** Values for the `c` parameter (constants and pad fills, in order). */
  readonly constants: readonly number[];
}

class Scope {
  readonly lines: string[] = [];
  readonly names = new Map<VExpr, string>();
  /**
   * `depth`: how many output loops are open here; `fence`: values inside
   * (a pad's branch) are never moved out of it, except loop invariants.
   */
  constructor(
    readonly parent: Scope | undefined,
    readonly depth: number = parent?.depth ?? 0,
    readonly fence = false,
  ) {}
  lookup(e: VExpr): string | undefined {
    return this.names.get(e) ?? this.parent?.lookup(e);
  }
}

/**
 * Renders one kernel as JavaScript.
 * @param kernel the kernel description
 * @returns the function body and its constants
 */
export function renderJs(kernel: Kernel): JsKernelSource {
  if (kernel.kind === "sort") return { source: sortSource(kernel), constants: [] };
  if (kernel.kind === "scan") return { source: scanSource(kernel), constants: [] };
  if (kernel.kind === "attention") return { source: attentionSource(kernel), constants: [] };
  let r = new Renderer();
  let body = kernel.kind === "matmul" ? r.matmul(kernel) : r.loop(kernel);
  if (body === undefined) body = (r = new Renderer()).loop(kernel, false)!;
  const head = r.constants.map((_, i) => `const c${i} = c[${i}];`);
  // loop-invariant values (scalars broadcast over the kernel) are computed once, before the loops
  const source = ['"use strict";', ...head, ...r.hoisted.lines, body].join("\n");
  return { source, constants: r.constants };
}

/**
 * Argsort of each row of input 0: a stable sort of the positions (ties keep
 * their order; NaN is the largest value, as in torch).
 */
function sortSource(kernel: Kernel): string {
  const n = kernel.shape[kernel.shape.length - 1] ?? 1;
  const sign = kernel.sort!.descending ? -1 : 1;
  return [
    '"use strict";',
    `const n = ${n};`,
    "const order = new Array(n);",
    "for (let base = 0; base < out.length; base += n) {",
    "for (let i = 0; i < n; i++) order[i] = i;",
    "order.sort((a, b) => {",
    "const x = in0[base + a];",
    "const y = in0[base + b];",
    "const c = x !== x ? (y !== y ? 0 : 1) : y !== y ? -1 : x < y ? -1 : x > y ? 1 : 0;",
    `return ${sign} * c || a - b;`,
    "});",
    "for (let i = 0; i < n; i++) out[base + i] = order[i];",
    "}",
  ].join("\n");
}

/**
 * The running scan of each row of input 0, in one pass accumulated in
 * float64 (as torch's CPU scans accumulate float32); int32 wraps like the
 * reference. log-sum-exp adds two terms stably: max(a, v) + log1p(e^-|a - v|),
 * with -inf ⊕ -inf = -inf and NaN kept; `linear` reads (a_i, b_i) pairs.
 */
function scanSource(kernel: Kernel): string {
  const n = kernel.shape[kernel.shape.length - 1] ?? 1;
  const int = kernel.dtype === "int32";
  const { op } = kernel.scan!;
  const step = op === "sum"
    ? (int ? "a = (a + in0[i]) | 0;" : "a += in0[i];")
    : op === "linear"
    ? (int
      ? "a = (Math.imul(in0[2 * i], a) + in0[2 * i + 1]) | 0;"
      : "a = in0[2 * i] * a + in0[2 * i + 1];")
    : "const v = in0[i];\na = a === v ? (v === -Infinity ? v : v + Math.LN2) : " +
      "Math.max(a, v) + Math.log1p(Math.exp(-Math.abs(a - v)));";
  return [
    '"use strict";',
    `for (let base = 0; base < out.length; base += ${n}) {`,
    `let a = ${op === "logaddexp" ? -Infinity : 0};`,
    `for (let i = base; i < base + ${n}; i++) {`,
    step,
    "out[i] = a;",
    "}",
    "}",
  ].join("\n");
}

/** Whether a value is the same at every loop iteration. */
function invariant(e: VExpr, memo: Map<VExpr, boolean>): boolean {
  let known = memo.get(e);
  if (known !== undefined) return known;
  switch (e.k) {
    case "const":
      known = true;
      break;
    case "acc":
    case "reduce":
      known = false;
      break;
    case "load":
      known = fixedIndex(e.index, memo);
      break;
    case "cast":
      known = invariant(e.x, memo);
      break;
    case "alu":
      known = e.args.every((a) => invariant(a, memo));
      break;
    case "pad":
      known = e.conds.every((c) => fixedIndex(c.i, memo)) && invariant(e.x, memo);
      break;
  }
  memo.set(e, known);
  return known;
}

function fixedIndex(i: IExpr, memo: Map<VExpr, boolean>): boolean {
  if (typeof i === "number") return true;
  if ("v" in i) return false;
  if (i.op === "index") return invariant(i.x, memo);
  return fixedIndex(i.a, memo) && fixedIndex(i.b, memo);
}

function fround(dtype: DType, expr: string): string {
  if (dtype === "float32") return `Math.fround(${expr})`;
  if (dtype === "float16") return `Math.f16round(${expr})`;
  if (dtype === "int32") return `(${expr} | 0)`;
  return expr;
}

class Renderer {
  readonly constants: number[] = [];
  /** Values computed once before the loops. */
  readonly hoisted: Scope = new Scope(undefined);
  #invariant = new Map<VExpr, boolean>();
  #tmp = 0;
  /** Output loop variables' levels (1 = outermost); reduction variables are absent. */
  readonly #level = new Map<string, number>();
  readonly #depths = new Map<VExpr, { d: number; bound: Set<string> }>();
  /** A row reduction whose pass stores a costly value in the output row (`acc` reads it back). */
  #row: RowReuse | undefined;
  /** The scope just outside the innermost output loop, where `#row`'s reduction stores. */
  #rowScope: Scope | undefined;

  /**
   * A loop kernel's loops; undefined when row reuse was planned but the reduction did not land
   * just outside the innermost loop (first reached inside a pad's branch): then render it
   * again with `reuse` false.
   */
  loop(k: Kernel, reuse = true): string | undefined {
    // one scope per loop level: a value goes to the outermost loop it varies along
    k.loops.forEach((l, d) => this.#level.set(l.v, d + 1));
    const depth = Math.max(1, k.loops.length); // a 0-d kernel's body still follows `let p`
    this.#level.set("p", depth);
    const levels = [this.hoisted];
    for (let d = 1; d <= depth; d++) levels.push(new Scope(levels[d - 1], d));
    // softmax: exp(x - max) kept at out[p + r] by the row's sum pass (once per row), read as out[p]
    const row = reuse && k.scatter === undefined && k.loops.length >= 2 ? rowReuse(k) : undefined;
    if (row !== undefined && this.#depthOf(row.reduce) === depth - 1) {
      [this.#row, this.#rowScope] = [row, levels[depth - 1]];
    }
    const value = this.value(this.#row?.body ?? k.body, levels[depth]);
    if (this.#row !== undefined && !levels[depth - 1].names.has(this.#row.reduce)) return;
    // a scatter adds each value at its target (repeated targets accumulate) into zeros
    const at = k.scatter && this.index(k.scatter.target, levels[depth]);
    const [sums, mirror] = [`in${k.inputs.length - 2}`, `in${k.inputs.length - 1}`];
    // sibling outputs first, at the same element (their bodies share values with the body)
    const siblings = k.siblings?.map((s) =>
      `in${s.input}[p] = ${this.value(s.body, levels[depth])};`
    );
    const store = k.scatter === undefined
      ? [...siblings ?? [], `out[p++] = ${value};`].join("\n")
      : k.scatter.mode === "apply"
      ? `{ const t = ${at}; out[t] = ${value}; ${sums}[t] = 0; if (${mirror}) ${mirror}[t] = out[t]; }\np++;`
      : `out[${at}] += ${value};\np++;`;
    return [
      ...(k.scatter === undefined || k.scatter.mode !== undefined ? [] : ["out.fill(0);"]),
      "let p = 0;",
      ...(k.loops.length === 0 ? levels[1].lines : []),
      ...k.loops.flatMap((l, d) => [
        `for (let ${l.v} = 0; ${l.v} < ${l.extent}; ${l.v}++) {`,
        ...levels[d + 1].lines,
      ]),
      store,
      ...k.loops.map(() => "}"),
    ].join("\n");
  }

  /**
   * The output loop level a value varies at, or undefined when it varies
   * along a reduction that encloses it (then it stays where it is used).
   */
  #depthOf(e: VExpr): number | undefined {
    const { d, bound } = this.#vars(e);
    return bound.size === 0 ? d : undefined;
  }

  /** The deepest output loop level a value reads, and the reduction variables it reads. */
  #vars(e: VExpr): { d: number; bound: Set<string> } {
    const known = this.#depths.get(e);
    if (known !== undefined) return known;
    const out = { d: 0, bound: new Set<string>() };
    const join = (x: { d: number; bound: Set<string> }) => {
      out.d = Math.max(out.d, x.d);
      x.bound.forEach((v) => out.bound.add(v));
    };
    const index = (i: IExpr): void => {
      if (typeof i === "number") return;
      if ("v" in i) {
        const l = this.#level.get(i.v);
        if (l === undefined) out.bound.add(i.v);
        else out.d = Math.max(out.d, l);
      } else if (i.op === "index") join(this.#vars(i.x));
      else {
        index(i.a);
        index(i.b);
      }
    };
    switch (e.k) {
      case "load":
        index(e.index);
        break;
      case "acc":
        out.d = this.#level.get("p")!;
        break;
      case "cast":
        join(this.#vars(e.x));
        break;
      case "pad":
        join(this.#vars(e.x));
        e.conds.forEach((c) => index(c.i));
        break;
      case "alu":
        e.args.forEach((a) => join(this.#vars(a)));
        break;
      case "reduce":
        join(this.#vars(e.body));
        for (const v of e.vars) out.bound.delete(v.v);
        break;
    }
    this.#depths.set(e, out);
    return out;
  }

  matmul(k: Kernel): string {
    const mm = k.matmul!;
    const nb = k.loops.length - 2;
    const [mVar, nVar] = [k.loops[nb], k.loops[nb + 1]];
    const batch = k.loops.slice(0, nb);
    const base = (o: typeof mm.a) =>
      [String(o.offset), ...batch.map((l, d) => `${l.v} * ${o.strides[d]}`)].join(" + ");
    const epi = new Scope(this.hoisted);
    const value = this.value(k.body, epi);
    const [sAm, sAk] = [mm.a.strides[nb], mm.a.strides[nb + 1]];
    const [sBk, sBn] = [mm.b.strides[nb], mm.b.strides[nb + 1]];
    const A = `in${mm.a.input}`;
    const B = `in${mm.b.input}`;
    if (mm.a.fused !== undefined || mm.b.fused !== undefined || mm.view !== undefined) {
      return this.#wgslReference(k, epi, value);
    }
    const open = [
      "let p = 0;",
      ...batch.map((l) => `for (let ${l.v} = 0; ${l.v} < ${l.extent}; ${l.v}++) {`),
      `const aBase = ${base(mm.a)};`,
      `const bBase = ${base(mm.b)};`,
      `for (let ${mVar.v} = 0; ${mVar.v} < ${mVar.extent}; ${mVar.v}++) {`,
      `const aRow = aBase + ${mVar.v} * ${sAm};`,
    ];
    const close = ["}", ...batch.map(() => "}")];
    const store = [...epi.lines, `out[p++] = ${value};`];
    if (sBn !== 1 && sBk === 1) {
      // B is transposed (x @ wᵀ, torch's linear): each output is a dot product of two contiguous rows
      const k4 = mm.k - (mm.k % 4);
      return [
        ...open,
        `for (let ${nVar.v} = 0; ${nVar.v} < ${nVar.extent}; ${nVar.v}++) {`,
        `const bRow = bBase + ${nVar.v} * ${sBn};`,
        "let s0 = 0, s1 = 0, s2 = 0, s3 = 0;",
        `for (let kk = 0; kk < ${k4}; kk += 4) {`,
        `const a = aRow + kk * ${sAk};`,
        `s0 += ${A}[a] * ${B}[bRow + kk];`,
        `s1 += ${A}[a + ${sAk}] * ${B}[bRow + kk + 1];`,
        `s2 += ${A}[a + ${2 * sAk}] * ${B}[bRow + kk + 2];`,
        `s3 += ${A}[a + ${3 * sAk}] * ${B}[bRow + kk + 3];`,
        "}",
        `for (let kk = ${k4}; kk < ${mm.k}; kk++) s0 += ${A}[aRow + kk * ${sAk}] * ${B}[bRow + kk];`,
        "const acc = (s0 + s1) + (s2 + s3);",
        ...store,
        "}",
        ...close,
      ].join("\n");
    }
    return [
      `const row = new Float64Array(${nVar.extent});`,
      ...open,
      "row.fill(0);",
      `for (let kk = 0; kk < ${mm.k}; kk++) {`,
      `const av = ${A}[aRow + kk * ${sAk}];`,
      `const bRow = bBase + kk * ${sBk};`,
      `for (let j = 0; j < ${nVar.extent}; j++) row[j] += av * ${B}[bRow + j * ${sBn}];`,
      "}",
      `for (let ${nVar.v} = 0; ${nVar.v} < ${nVar.extent}; ${nVar.v}++) {`,
      `const acc = row[${nVar.v}];`,
      ...store,
      "}",
      ...close,
    ].join("\n");
  }

  /**
   * The reference of a WGSL matmul that computes an operand in its tiles (an
   * implicit im2col) or stores through views: a plain triple loop.
   */
  #wgslReference(k: Kernel, epi: Scope, value: string): string {
    const mm = k.matmul!;
    const loops = mm.view?.loops ?? k.loops;
    const nb = loops.length - 2;
    const batch = loops.slice(0, nb);
    const inner = new Scope(this.hoisted);
    const operand = (o: typeof mm.a, rc: string[]) => {
      if (o.fused === undefined) {
        const at = [...batch.map((l) => l.v), ...rc].map((v, d) => `${v} * ${o.strides[d]}`);
        return `in${o.input}[${o.offset} + ${at.join(" + ")}]`;
      }
      o.fused.vars.forEach((l, d) => {
        const at = d < nb ? (l.extent === 1 ? "0" : batch[d].v) : rc[d - nb];
        inner.lines.push(`const ${l.v} = ${at};`);
      });
      return this.value(o.fused.value, inner);
    };
    const a = operand(mm.a, [loops[nb].v, "kk"]);
    const b = operand(mm.b, ["kk", loops[nb + 1].v]);
    const outer = new Scope(this.hoisted);
    if (mm.view !== undefined) {
      k.loops.forEach((l, d) =>
        outer.lines.push(`const ${l.v} = ${this.index(mm.view!.outer[d], outer)};`)
      );
    }
    const flat = k.loops.reduce((f, l) => `(${f}) * ${l.extent} + ${l.v}`, "0");
    return [
      ...(mm.view === undefined ? ["let p = 0;"] : []),
      ...loops.map((l) => `for (let ${l.v} = 0; ${l.v} < ${l.extent}; ${l.v}++) {`),
      "let acc = 0;",
      `for (let kk = 0; kk < ${mm.k}; kk++) {`,
      ...inner.lines,
      `acc += ${a} * ${b};`,
      "}",
      ...outer.lines,
      ...(mm.view === undefined ? [] : [`const p = ${flat};`]),
      ...epi.lines,
      `out[${mm.view === undefined ? "p++" : "p"}] = ${value};`,
      ...loops.map(() => "}"),
    ].join("\n");
  }

  index(e: IExpr, scope: Scope): string {
    if (typeof e === "number") return String(e);
    if ("v" in e) return e.v;
    if (e.op === "index") {
      // the node's id is a constant: kernels of one structure share their code
      return `rt.checkIndex(${this.value(e.x, scope)}, ${e.extent}, ${this.constant(e.site)})`;
    }
    const a = this.index(e.a, scope);
    const b = this.index(e.b, scope);
    if (e.op === "/") return `((${a} / ${b}) | 0)`;
    return `(${a} ${e.op} ${b})`;
  }

  constant(value: number): string {
    this.constants.push(value);
    return `c${this.constants.length - 1}`;
  }

  value(e: VExpr, at: Scope): string {
    const known = at.lookup(e);
    if (known !== undefined) return known;
    let scope = e.k !== "const" && invariant(e, this.#invariant) ? this.hoisted : at;
    const depth = this.#level.size > 0 && e.k !== "const" ? this.#depthOf(e) : undefined;
    if (depth !== undefined) {
      while (!scope.fence && scope.parent !== undefined && scope.parent.depth >= depth) {
        scope = scope.parent;
      }
    }
    const expr = this.render(e, scope);
    if (e.k === "const" || e.k === "acc" && fround(e.dtype, "acc") === "acc") return expr;
    const name = `t${this.#tmp++}`;
    scope.lines.push(`const ${name} = ${expr};`);
    scope.names.set(e, name);
    return name;
  }

  render(e: VExpr, scope: Scope): string {
    switch (e.k) {
      case "const":
        return this.constant(e.value);
      case "acc":
        return fround(e.dtype, this.#row === undefined ? "acc" : "out[p]");
      case "load":
        return `in${e.input}[${this.index(e.index, scope)}]`;
      case "cast":
        return castExpr(this.value(e.x, scope), e.dtype);
      case "alu": {
        const args = e.args.map((a) => this.value(a, scope));
        return fround(e.dtype, elementwiseOps[e.op].kernel.js(args, e.dtype));
      }
      case "pad":
        return this.pad(e, scope);
      case "reduce":
        return this.reduce(e, scope);
    }
  }

  pad(e: Extract<VExpr, { k: "pad" }>, scope: Scope): string {
    const name = `t${this.#tmp++}`;
    const fill = this.constant(e.fill);
    const cond = e.conds.map((c) => {
      const i = this.index(c.i, scope);
      return `${i} >= ${c.lo} && ${i} < ${c.hi}`;
    }).join(" && ");
    const inner = new Scope(scope, scope.depth, true);
    const x = this.value(e.x, inner);
    scope.lines.push(
      `let ${name} = ${fill};`,
      `if (${cond}) {`,
      ...inner.lines,
      `${name} = ${x};`,
      "}",
    );
    return name;
  }

  reduce(e: Extract<VExpr, { k: "reduce" }>, scope: Scope): string {
    const acc = `a${this.#tmp++}`;
    const inner = new Scope(scope);
    const v = this.value(e.body, inner);
    // only the copy run once per row stores (a copy inside a pad's branch runs per element)
    if (this.#row?.reduce === e && scope === this.#rowScope) {
      inner.lines.push(`out[p + ${e.vars[0].v}] = ${this.value(this.#row.value, inner)};`);
    }
    const lines = [...inner.lines];
    const r = reductionOf[e.op];
    const head = [`let ${acc} = ${r.identity(e.body.dtype)};`];
    if (r.nan === "first") {
      // argmax: the first best value's index, or the first NaN's
      head.push(`let ${acc}i = 0;`);
      const better = `${v} > ${acc} || (${v} !== ${v} && ${acc} === ${acc})`;
      lines.push(`if (${better}) { ${acc} = ${v}; ${acc}i = ${e.vars[0].v}; }`);
    } else {
      // the accumulator is a JS number whatever the dtype: combine as float64, round at the end
      lines.push(`${acc} = ${elementwiseOps[r.combine].kernel.js([v, acc], "float64")};`);
    }
    scope.lines.push(...head, ...openLoops(e.vars), ...lines, ...e.vars.map(() => "}"));
    return e.op === "argmax" ? `${acc}i` : fround(e.dtype, acc);
  }
}

function openLoops(vars: readonly LoopVar[]): string[] {
  return vars.map((l) => `for (let ${l.v} = 0; ${l.v} < ${l.extent}; ${l.v}++) {`);
}

function castExpr(x: string, dtype: DType): string {
  switch (dtype) {
    case "float32":
      return `Math.fround(${x})`;
    case "float64":
      return x;
    case "float16":
      return `Math.f16round(${x})`;
    case "int32":
      return `(${x} | 0)`;
    case "bool":
      return `(${x} !== 0 ? 1 : 0)`;
    default:
      return dtype satisfies never;
  }
}
