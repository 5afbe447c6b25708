/**
 * A backend-neutral description of one fused kernel: typed index and value
 * expression trees over loop variables and input buffers. Every codegen
 * target renders the same description.
 * @module
 */
import type { AluOp } from "../core/ops/elementwise.ts";
import type { ReduceKind } from "../core/ops/reductions.ts";
import type { DType } from "../core/ir/dtype.ts";
import type { Shape } from "../core/ir/shape.ts";
import type { Node } from "../core/ir/ir.ts";
import type { LinalgArgs } from "../core/ops/linalg.ts";
import type { AttentionArgs } from "../core/ops/attention.ts";
import { structureOf } from "./_vexpr_map.ts";

/** A loop variable running over `[0, extent)`. */
export interface LoopVar {
  readonly v: string;
  readonly extent: number;
}

/** An integer index expression. */
export type IExpr =
  | number
  | LoopVar
  | { readonly op: "+" | "-" | "*" | "/" | "%"; readonly a: IExpr; readonly b: IExpr }
  | {
    readonly op: "index";
    readonly x: VExpr;
    readonly extent: number;
    /**
     * The id of the gather or scatter node whose index this is: a runtime constant (not part of
     * the kernel's structure) that an out-of-range error reports (`IndexRangeError`).
     */
    readonly site: number;
  };

/** A value expression. */
export type VExpr =
  | { readonly k: "load"; readonly input: number; readonly index: IExpr; readonly dtype: DType }
  | { readonly k: "const"; readonly value: number; readonly dtype: DType }
  | {
    readonly k: "alu";
    readonly op: AluOp;
    readonly args: readonly VExpr[];
    readonly dtype: DType;
  }
  | { readonly k: "cast"; readonly x: VExpr; readonly dtype: DType }
  | {
    readonly k: "pad";
    readonly conds: readonly { readonly i: IExpr; readonly lo: number; readonly hi: number }[];
    readonly x: VExpr;
    readonly fill: number;
    readonly dtype: DType;
  }
  | {
    readonly k: "reduce";
    readonly op: ReduceKind;
    readonly vars: readonly LoopVar[];
    readonly body: VExpr;
    readonly dtype: DType;
  }
  | { readonly k: "acc"; readonly dtype: DType };

/** A strided view of an input buffer: element (idx) is at `offset + Σ idx·strides`. */
export interface StridedOperand {
  readonly input: number;
  readonly offset: number;
  readonly strides: readonly number[];
  /**
   * WGSL only: the operand computed where the tiles read it (an implicit
   * im2col), `value` at `vars` (its batch axes, rows, columns); `input`,
   * `offset` and `strides` are then unused.
   */
  readonly fused?: { readonly value: VExpr; readonly vars: readonly LoopVar[] };
}

/** One fused kernel. */
export interface Kernel {
  /**
   * `loop`: one value per output element; `matmul`: a blocked product plus an epilogue; `host`:
   * a `linalg` routine run on its inputs' buffers (`body` is unused); `scatter`: zeros, then one
   * value per element of the updates (the loops run over the updates) added at `scatter.target`;
   * `sort`: the sorting permutation of each row (the last axis) of input 0; `scan`: the running
   * sum, product or log-sum-exp of each row (the last axis) of input 0; `attention`: a flash
   * attention part over its inputs' buffers (`core/ops/attention.ts`; `body` is unused).
   */
  readonly kind: "loop" | "matmul" | "host" | "scatter" | "sort" | "scan" | "attention";
  /** The nodes whose buffers the kernel reads, in input order. */
  readonly inputs: readonly Node[];
  /** The node whose buffer the kernel writes. */
  readonly output: Node;
  /** Output shape and dtype. */
  readonly shape: Shape;
  readonly dtype: DType;
  /** Loop variables over the output (a scatter's: over its updates), outermost first. */
  readonly loops: readonly LoopVar[];
  /** The value stored at each output element (`acc` is the matmul sum there). */
  readonly body: VExpr;
  /** For `matmul`: the operands as strided views over `[...batch, m, k]` and `[...batch, k, n]`. */
  readonly matmul?: {
    readonly a: StridedOperand;
    readonly b: StridedOperand;
    readonly k: number;
    /**
     * WGSL only: the epilogue reads the product through reshapes and permutes
     * (a conv's `[G, O/G, N·L]` product stored as `[N, O, H, W]`). `loops`
     * run over the product, `outer` gives the kernel's loops from them, and
     * `at` the product's flat index from the kernel's loops.
     */
    readonly view?: {
      readonly loops: readonly LoopVar[];
      readonly outer: readonly IExpr[];
      readonly at: IExpr;
    };
  };
  /** For `host`: the routine and its parameters. */
  readonly host?: LinalgArgs;
  /**
   * For `scatter`: the flat output position each loop iteration adds its value to. `mode`
   * `into` adds into the output's values (no zeros first); `apply` stores the value there
   * instead and zeroes that position of the second-last input (the sums); its last input is
   * where the JS form copies the value (the table's Wasm copy, when given; the Wasm form,
   * which writes the Wasm copy itself, ignores it): _donate_scatter.ts.
   */
  readonly scatter?: { readonly target: IExpr; readonly mode?: "into" | "apply" };
  /** For `sort`: the order (rows are the last axis of input 0, a buffer). */
  readonly sort?: { readonly descending: boolean };
  /** For `scan`: the combining operation (rows are the last axis of input 0, a buffer). */
  readonly scan?: { readonly op: "sum" | "logaddexp" | "linear" };
  /** For `attention`: the part, scale, causal flag and mask kind. */
  readonly attention?: AttentionArgs;
  /** The primitives fused into this kernel (for `explain`). */
  readonly fused: readonly Node[];
  /**
   * CPU loop kernels only: further outputs of the same shape and dtype, each
   * `body` stored at every output element into the buffer of input `input`
   * (which the kernel writes, never reads): sibling kernels merged into one
   * pass over their shared inputs (jit/_siblings.ts).
   */
  readonly siblings?: readonly Sibling[];
}

/** A further output of a loop kernel: its value per element and the input slot it is stored in. */
export interface Sibling {
  readonly input: number;
  readonly body: VExpr;
}

/**
 * Every value a kernel stores, as one expression for walks over them all
 * (constants are numbered in this order): its body alone, or an `add` node
 * over its body and its siblings' bodies that is never emitted itself.
 * @param k the kernel
 * @returns the expression
 */
export function storedValues(k: Kernel): VExpr {
  if (k.siblings === undefined) return k.body;
  return { k: "alu", op: "add", args: [k.body, ...k.siblings.map((s) => s.body)], dtype: k.dtype };
}

/** A kernel's cache key for every code generator: its structure, not its rendered source. */
export function kernelKey(k: Kernel): string {
  const mm = k.matmul &&
    [k.matmul.a, k.matmul.b].map((o) =>
      o.fused === undefined
        ? `${o.input}@${o.offset}:${o.strides}`
        : `${o.fused.vars.map((l) => l.extent)}=${structureOf(o.fused.value)}`
    );
  const loops = k.loops.map((l) => `${l.v}<${l.extent}`).join();
  const inputs = k.inputs.map((n) => n.dtype).join();
  // NOTE: every field a code generator reads belongs here (a scatter's target, a sort's order):
  // two kernels that differ only in one would otherwise share compiled code
  const target = k.scatter &&
    structureOf({ k: "load", input: -1, index: k.scatter.target, dtype: "int32" });
  const view = k.matmul?.view &&
    structureOf({ k: "load", input: -1, index: k.matmul.view.at, dtype: "int32" });
  const kind = `${k.kind}${k.host ? JSON.stringify(k.host) : ""}${
    k.attention ? JSON.stringify(k.attention) : ""
  }${target ?? ""}${k.sort ? k.sort.descending : ""}${k.scan?.op ?? ""}${view ?? ""}${
    k.scatter?.mode ?? ""
  }`;
  // (the stored values as one expression: values the siblings share are named once)
  const siblings = k.siblings === undefined
    ? ""
    : `${k.siblings.map((s) => s.input)}=${structureOf(storedValues(k))}`;
  return `${kind}|${k.dtype}[${k.shape}]|${inputs}|${loops}|${mm ?? ""}:${k.matmul?.k}|${
    structureOf(k.body)
  }|${siblings}`;
}

function isNum(e: IExpr): e is number {
  return typeof e === "number";
}

/** The largest value an index expression can take (indices are non-negative). */
export function maxOf(e: IExpr): number {
  if (isNum(e)) return e;
  if ("v" in e) return e.extent - 1;
  switch (e.op) {
    case "+":
      return maxOf(e.a) + maxOf(e.b);
    case "-":
      return maxOf(e.a);
    case "*":
      return maxOf(e.a) * maxOf(e.b);
    case "/":
      return Math.floor(maxOf(e.a) / maxOf(e.b));
    case "%":
      return Math.min(maxOf(e.a), maxOf(e.b) - 1);
    case "index":
      return e.extent - 1;
  }
}

/** a + b, folded. */
export function iadd(a: IExpr, b: IExpr): IExpr {
  if (isNum(a) && isNum(b)) return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return { op: "+", a, b };
}

/** a - b, folded. */
export function isub(a: IExpr, b: IExpr): IExpr {
  if (isNum(a) && isNum(b)) return a - b;
  if (b === 0) return a;
  return { op: "-", a, b };
}

/** a * b, folded. */
export function imul(a: IExpr, b: IExpr): IExpr {
  if (isNum(a) && isNum(b)) return a * b;
  if (a === 0 || b === 0) return 0;
  if (a === 1) return b;
  if (b === 1) return a;
  return { op: "*", a, b };
}

/** `a` as `k + Σ coef·var` with non-negative coefficients, or undefined when not of that form. */
function affineTerms(a: IExpr): { k: number; terms: [LoopVar, number][] } | undefined {
  if (isNum(a)) return { k: a, terms: [] };
  if ("v" in a) return { k: 0, terms: [[a, 1]] };
  if (a.op === "+") {
    const x = affineTerms(a.a);
    const y = affineTerms(a.b);
    return x && y && { k: x.k + y.k, terms: [...x.terms, ...y.terms] };
  }
  if (a.op === "-" && isNum(a.b)) {
    const x = affineTerms(a.a);
    return x && { k: x.k - a.b, terms: x.terms };
  }
  if (a.op === "*" && (isNum(a.a) || isNum(a.b))) {
    const [f, e] = isNum(a.a) ? [a.a, a.b] : [a.b as number, a.a];
    const x = affineTerms(e);
    return x && f >= 0 ? { k: x.k * f, terms: x.terms.map(([v, c]) => [v, c * f]) } : undefined;
  }
  return undefined;
}

/**
 * Splits an affine `a` into `q·c + r` with `0 ≤ r < c` for every value of its
 * variables: `(kk·(i+d) + oo·s) mod i -> kk·d + oo·s` when that stays below i
 * (the index maps of sliding windows, kept affine so the Wasm tier takes them).
 */
function splitBy(a: IExpr, c: number): { q: IExpr; r: IExpr } | undefined {
  const t = affineTerms(a);
  if (t === undefined || t.k < 0) return undefined;
  let q: IExpr = Math.floor(t.k / c);
  let r: IExpr = t.k % c;
  let top = r;
  for (const [v, coef] of t.terms) {
    q = iadd(q, imul(v, Math.floor(coef / c)));
    r = iadd(r, imul(v, coef % c));
    top += (coef % c) * (v.extent - 1);
  }
  return top < c ? { q, r } : undefined;
}

/** floor(a / c) for a constant c > 0, folded (x*c/c -> x, small/c -> 0, affine splits). */
export function idiv(a: IExpr, c: number): IExpr {
  if (c === 1) return a;
  if (isNum(a)) return Math.floor(a / c);
  if (maxOf(a) < c) return 0;
  if (!("v" in a) && a.op === "*" && a.b === c) return a.a;
  const split = splitBy(a, c);
  if (split !== undefined) return split.q;
  return { op: "/", a, b: c };
}

/** a mod c for a constant c > 0, folded (x mod c -> x when x < c, affine splits). */
export function imod(a: IExpr, c: number): IExpr {
  if (c === 1) return 0;
  if (isNum(a)) return a % c;
  if (maxOf(a) < c) return a;
  const split = splitBy(a, c);
  if (split !== undefined) return split.r;
  return { op: "%", a, b: c };
}
