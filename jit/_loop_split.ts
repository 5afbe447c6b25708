/**
 * Loop splitting for the CPU kernels: an output axis read as `v / c` and
 * `v mod c` (the gradient of a pooling window, a stride's zeros) is walked
 * as two loops `[extent / c, c]` instead, so `v = c·hi + lo` and every index
 * becomes affine (`(c·hi + lo) / c -> hi`): the Wasm tier then takes the
 * kernel. The stores are unchanged: splitting an axis keeps row-major order.
 * @module
 */
import type { IExpr, LoopVar, VExpr } from "./kernel.ts";

type Found = (op: "/" | "%", a: IExpr, c: number) => void;

// NOTE: bodies are DAGs (a value used twice is one node): visit each node once, or a chain
// that reuses its running value (h = f(h, h)) takes exponential time
function visitIndex(e: IExpr, found: Found, seen: Set<VExpr>): void {
  if (typeof e === "number" || "v" in e) return;
  if (e.op === "index") return visitValue(e.x, found, seen);
  if ((e.op === "/" || e.op === "%") && typeof e.b === "number") found(e.op, e.a, e.b);
  visitIndex(e.a, found, seen);
  visitIndex(e.b, found, seen);
}

function visitValue(e: VExpr, found: Found, seen: Set<VExpr>): void {
  if (seen.has(e)) return;
  seen.add(e);
  switch (e.k) {
    case "load":
      return visitIndex(e.index, found, seen);
    case "alu":
      return e.args.forEach((a) => visitValue(a, found, seen));
    case "cast":
      return visitValue(e.x, found, seen);
    case "pad":
      e.conds.forEach((c) => visitIndex(c.i, found, seen));
      return visitValue(e.x, found, seen);
    case "reduce":
      return visitValue(e.body, found, seen);
    case "const":
    case "acc":
      return;
  }
  e satisfies never;
}

function varsOf(e: IExpr, out: Set<string>): Set<string> {
  if (typeof e === "number") return out;
  if ("v" in e) out.add(e.v);
  else if (e.op !== "index") {
    varsOf(e.a, out);
    varsOf(e.b, out);
  }
  return out;
}

/**
 * The output axes worth splitting: axis → factor c, for each loop variable
 * divided (or reduced mod) by a constant that divides its extent.
 * @param body the kernel body as lowered with `loops`
 * @param loops the output loops, one per axis
 * @returns the splits, or undefined when there are none
 */
export function loopSplits(
  body: VExpr,
  loops: readonly LoopVar[],
): Map<number, number> | undefined {
  return splitsWhere(body, loops, (extent, c) => extent % c === 0);
}

/**
 * The output axes read `/ c` or `% c` for a c that does not divide their
 * extent (a stride's zeros on an axis of odd length): the kernel is then
 * computed over extents rounded up to a multiple of c, where it splits, and
 * cropped (`jit/schedule.ts`).
 * @param body the kernel body as lowered with `loops`
 * @param loops the output loops, one per axis
 * @returns axis → c, or undefined when there are none
 */
export function raggedSplits(
  body: VExpr,
  loops: readonly LoopVar[],
): Map<number, number> | undefined {
  return splitsWhere(body, loops, (extent, c) => extent % c !== 0);
}

/**
 * Whether a kernel body still divides a loop variable (or takes it mod) by a constant.
 * @param body the kernel body
 * @returns true when some index is not affine for that reason
 */
export function divides(body: VExpr): boolean {
  let found = false;
  visitValue(body, () => void (found = true), new Set());
  return found;
}

function splitsWhere(
  body: VExpr,
  loops: readonly LoopVar[],
  fits: (extent: number, c: number) => boolean,
): Map<number, number> | undefined {
  const splits = new Map<number, number>();
  visitValue(body, (_op, a, c) => {
    for (const v of varsOf(a, new Set())) {
      const axis = loops.findIndex((l) => l.v === v);
      const extent = loops[axis]?.extent;
      if (axis >= 0 && !splits.has(axis) && c > 1 && c < extent && fits(extent, c)) {
        splits.set(axis, c);
      }
    }
  }, new Set());
  return splits.size > 0 ? splits : undefined;
}
