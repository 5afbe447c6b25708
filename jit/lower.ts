/**
 * Lowering: turns the fused part of the graph below a kernel's output into
 * value and index expressions. Movement ops become index arithmetic,
 * elementwise ops become expression nodes, and reductions reached one-to-one
 * become inner loops; anything else is asked of the scheduler as a buffer.
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import type { OpArgs } from "../core/ops/registry.ts";
import { isElementwise } from "../core/ops/elementwise.ts";
import { isReduction, reductions } from "../core/ops/reductions.ts";
import { contiguousStrides, type Shape } from "../core/ir/shape.ts";
import { keptTerm } from "./_fill_terms.ts";
import { iadd, idiv, type IExpr, imod, imul, isub, type LoopVar, type VExpr } from "./kernel.ts";

/**
 * How a node is reached from the kernel output: `identity` through
 * elementwise ops only, `bijective` through one-to-one index maps, `other`
 * when elements may be read many times (broadcast, pad, slice, gather).
 */
export type Path = "identity" | "bijective" | "other";

/** What lowering asks of the scheduler. */
export interface LowerContext {
  /**
   * Whether `node` is read as a buffer (realized, produced earlier, or a
   * shared node too expensive to recompute, which this schedules first).
   */
  asBuffer(node: Node): boolean;
  /** The input slot of a buffer node. */
  inputSlot(node: Node): number;
  /** Makes `node` a buffer produced by an earlier kernel. */
  materialize(node: Node): void;
  /** Whether a reduction may be recomputed inside this kernel (used once). */
  mayInline(node: Node): boolean;
  /**
   * Whether a reduction read at `idx` through a broadcast (a row maximum
   * read by every element of its row) may be computed inside this kernel,
   * once per loop iteration it varies along.
   */
  mayHoist(node: Node, idx: readonly IExpr[]): boolean;
  /** The matmul this kernel computes as `acc`, if any. */
  readonly matmul: Node | undefined;
  /**
   * WGSL: the matmul may also be reached through reshapes and permutes; called
   * with the product's index there (undefined: through elementwise ops only).
   */
  readonly viewedAcc?: (idx: readonly IExpr[]) => void;
  /** The kernel's loop variables and the flat output position. */
  readonly loops: readonly LoopVar[];
  readonly flat: LoopVar;
  /** Primitives fused so far. */
  readonly fused: Set<Node>;
  /** Inner reductions numbered so far (names loop variables per kernel, so sources repeat). */
  reduceCount: number;
  /** The pad whose in-range value is being lowered (code generators compute it there only). */
  branch?: Node;
  /**
   * Set by lowering: a value that more than `MAX_BRANCHES` pads' branches would each compute
   * again (a tensor read by every piece of a `stack`); the scheduler makes it a buffer.
   */
  copied?: Node;
}

/** Pad branches of one kernel that may compute the same value before it becomes a buffer. */
const MAX_BRANCHES = 8;
/** The pad branch each lowered value was first computed in (`null`: outside every pad). */
const branchOf = new WeakMap<VExpr, Node | null>();
/** Per kernel, the branches each reused value is read in. */
const readIn = new WeakMap<LowerContext, Map<Node, Set<Node | null>>>();

function noteBranch(ctx: LowerContext, node: Node): void {
  let nodes = readIn.get(ctx);
  if (nodes === undefined) readIn.set(ctx, nodes = new Map());
  const seen = nodes.get(node) ?? new Set();
  nodes.set(node, seen.add(ctx.branch ?? null));
  if (seen.size > MAX_BRANCHES) ctx.copied ??= node;
}

// value expressions inside indices (gathers) are keyed by identity, not by shape
const valueIds = new WeakMap<VExpr, number>();
let nextValueId = 0;
function valueId(v: VExpr): string {
  let id = valueIds.get(v);
  if (id === undefined) {
    id = nextValueId++;
    valueIds.set(v, id);
  }
  return `#${id}`;
}

function exprKey(e: IExpr): string {
  if (typeof e === "number") return String(e);
  if ("v" in e) return e.v;
  if (e.op === "index") return `[${valueId(e.x)}<${e.extent}@${e.site}]`;
  return `(${exprKey(e.a)}${e.op}${exprKey(e.b)})`;
}

function indexKey(idx: readonly IExpr[]): string {
  return idx.map(exprKey).join(",");
}

/** Row-major flat index of a multi-index into `shape`. */
export function flatIndex(shape: Shape, idx: readonly IExpr[]): IExpr {
  const strides = contiguousStrides(shape);
  let flat: IExpr = 0;
  for (let d = 0; d < shape.length; d++) {
    flat = iadd(flat, imul(idx[d], shape[d] === 1 ? 0 : strides[d]));
  }
  return flat;
}

/**
 * Index arithmetic for a reshape: the index into `from` of element `idx` of
 * `to` (groups of axes with equal products map directly).
 */
export function reshapeIndex(from: Shape, to: Shape, idx: readonly IExpr[]): IExpr[] {
  // an empty tensor has no elements to index (and its group products are all 0)
  if (from.includes(0) || to.includes(0)) return from.map(() => 0);
  const out: IExpr[] = new Array(from.length);
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const gi = i;
    const gj = j;
    let pi = from[i] ?? 1;
    let pj = to[j] ?? 1;
    i++;
    j++;
    while (pi !== pj) {
      if (pi < pj) pi *= from[i++];
      else pj *= to[j++];
    }
    while (i < from.length && from[i] === 1 && (j >= to.length || to[j] !== 1)) i++;
    while (j < to.length && to[j] === 1 && (i >= from.length || from[i] !== 1)) j++;
    let flat: IExpr = 0;
    let stride = 1;
    for (let d = j - 1; d >= gj; d--) {
      flat = iadd(flat, imul(idx[d], to[d] === 1 ? 0 : stride));
      stride *= to[d];
    }
    // NOTE: a view is read in range wherever its value is used (a pad reads its source only
    // inside the padding's bounds), so the group's outermost axis needs no `mod`: this keeps a
    // shifted window's index affine, `(o + 1 - k) mod 14 -> o + 1 - k`
    let outer = gi;
    while (outer < i - 1 && from[outer] === 1) outer++;
    stride = 1;
    for (let d = i - 1; d >= gi; d--) {
      const q = idiv(flat, stride);
      out[d] = from[d] === 1 ? 0 : d === outer ? q : imod(q, from[d]);
      stride *= from[d];
    }
  }
  return out;
}

/** Lowers one node read at multi-index `idx` into a value expression. */
export function lowerNode(
  ctx: LowerContext,
  memo: Map<string, VExpr>,
  node: Node,
  idx: readonly IExpr[],
  path: Path,
): VExpr {
  const key = `${node.id}:${path === "other" ? "o" : "b"}:${indexKey(idx)}`;
  const hit = memo.get(key);
  if (hit !== undefined) {
    if (hit.k !== "load" && hit.k !== "const" && branchOf.get(hit) !== (ctx.branch ?? null)) {
      noteBranch(ctx, node);
    }
    return hit;
  }
  const value = lowerUncached(ctx, memo, node, idx, path);
  memo.set(key, value);
  if (!branchOf.has(value)) branchOf.set(value, ctx.branch ?? null);
  return value;
}

function load(ctx: LowerContext, node: Node, idx: readonly IExpr[]): VExpr {
  const identity = node.shape.length === ctx.loops.length &&
    idx.every((e, d) => e === ctx.loops[d] && node.shape[d] === ctx.loops[d].extent);
  const index = identity ? ctx.flat : flatIndex(node.shape, idx);
  return { k: "load", input: ctx.inputSlot(node), index, dtype: node.dtype };
}

function lowerUncached(
  ctx: LowerContext,
  memo: Map<string, VExpr>,
  node: Node,
  idx: readonly IExpr[],
  path: Path,
): VExpr {
  if (node === ctx.matmul && (path === "identity" || path === "bijective" && ctx.viewedAcc)) {
    ctx.fused.add(node);
    ctx.viewedAcc?.(idx);
    return { k: "acc", dtype: node.dtype };
  }
  if (ctx.asBuffer(node)) return load(ctx, node, idx);
  const lower = (n: Node, i: readonly IExpr[], p: Path) => lowerNode(ctx, memo, n, i, p);
  const op = node.op;
  if (isElementwise(op)) {
    // a concat's piece read outside itself is its padding: x + -0 -> x
    const kept = keptTerm(node, idx);
    if (kept !== undefined) return lower(kept, idx, path);
    ctx.fused.add(node);
    const args = node.src.map((s) => lower(s, idx, path));
    return { k: "alu", op, args, dtype: node.dtype };
  }
  const src = node.src[0];
  const bij: Path = path === "other" ? "other" : "bijective";
  switch (op) {
    case "const":
      return { k: "const", value: node.arg as number, dtype: node.dtype };
    case "cast":
      ctx.fused.add(node);
      return { k: "cast", x: lower(src, idx, path), dtype: node.dtype };
    case "identity":
    case "stopGradient":
      return lower(src, idx, path);
    case "customVjp":
      return lower(node.src[node.src.length - 1], idx, path);
    case "reshape":
      return lower(src, reshapeIndex(src.shape, node.shape, idx), bij);
    case "permute": {
      const perm = node.arg as OpArgs["permute"];
      const inIdx: IExpr[] = new Array(perm.length);
      perm.forEach((p, d) => (inIdx[p] = idx[d]));
      return lower(src, inIdx, bij);
    }
    case "flip": {
      const axes = node.arg as OpArgs["flip"];
      return lower(
        src,
        idx.map((e, d) => (axes.includes(d) ? isub(node.shape[d] - 1, e) : e)),
        bij,
      );
    }
    case "expand":
      return lower(src, idx.map((e, d) => (src.shape[d] === 1 ? 0 : e)), "other");
    case "slice": {
      const { start, step } = node.arg as OpArgs["slice"];
      return lower(src, idx.map((e, d) => iadd(start[d], imul(e, step[d]))), "other");
    }
    case "pad": {
      const { before, value } = node.arg as OpArgs["pad"];
      const all = idx.flatMap((i, d) =>
        src.shape[d] === node.shape[d] ? [] : [{ i, lo: before[d], hi: before[d] + src.shape[d] }]
      );
      // a known index decides its condition here (a slice of a concat reads one piece)
      if (all.some(({ i, lo, hi }) => typeof i === "number" && !(i >= lo && i < hi))) {
        return { k: "const", value, dtype: node.dtype };
      }
      const conds = all.filter((c) => typeof c.i !== "number");
      const outer = ctx.branch;
      if (conds.length > 0) ctx.branch = node;
      try {
        const x = lower(src, idx.map((e, d) => isub(e, before[d])), "other");
        return conds.length === 0 ? x : { k: "pad", conds, x, fill: value, dtype: node.dtype };
      } finally {
        ctx.branch = outer;
      }
    }
    case "gather": {
      const axis = node.arg as number;
      const at = lower(node.src[1], idx, path);
      const inIdx = idx.map((
        e,
        d,
      ) => (d === axis ? { op: "index" as const, x: at, extent: src.shape[d], site: node.id } : e));
      ctx.fused.add(node);
      return lower(src, inIdx, "other");
    }
  }
  if (isReduction(op)) {
    if (path !== "other" && ctx.mayInline(node)) return lowerReduce(ctx, memo, node, op, idx);
    if (path === "other" && ctx.mayHoist(node, idx)) return lowerReduce(ctx, memo, node, op, idx);
  }
  ctx.materialize(node);
  return load(ctx, node, idx);
}

function lowerReduce(
  ctx: LowerContext,
  memo: Map<string, VExpr>,
  node: Node,
  reduction: keyof typeof reductions,
  idx: readonly IExpr[],
): VExpr {
  ctx.fused.add(node);
  const src = node.src[0];
  const axes = node.op === "argmax" ? [node.arg as number] : (node.arg as readonly number[]);
  const id = ctx.reduceCount++;
  const vars: LoopVar[] = axes.map((a, i) => ({ v: `r${id}_${i}`, extent: src.shape[a] }));
  const inIdx: IExpr[] = [];
  let o = 0;
  for (let d = 0; d < src.shape.length; d++) {
    const r = axes.indexOf(d);
    inIdx.push(r >= 0 ? vars[r] : idx[o++]);
  }
  const body = lowerNode(ctx, memo, src, inIdx, "bijective");
  return { k: "reduce", op: reductions[reduction].kind, vars, body, dtype: node.dtype };
}
