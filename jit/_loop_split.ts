/**
 * Loop splitting for the CPU kernels: an output axis read as `v / c` and
 * `v mod c` (the gradient of a pooling window, a stride's zeros) is walked
 * as two loops `[extent / c, c]` instead, so `v = c·hi + lo` and every index
 * becomes affine (`(c·hi + lo) / c -> hi`): the Wasm tier then takes the
 * kernel. The stores are unchanged: splitting an axis keeps row-major order.
 * @module
 */
import type { IExpr, LoopVar, VExpr } from "./kernel.ts";

function visitIndex(e: IExpr, found: (op: "/" | "%", a: IExpr, c: number) => void): void {
  if (typeof e === "number" || "v" in e) return;
  if (e.op === "index") return visitValue(e.x, found);
  if ((e.op === "/" || e.op === "%") && typeof e.b === "number") found(e.op, e.a, e.b);
  visitIndex(e.a, found);
  visitIndex(e.b, found);
}

function visitValue(e: VExpr, found: (op: "/" | "%", a: IExpr, c: number) => void): void {
  switch (e.k) {
    case "load":
      return visitIndex(e.index, found);
    case "alu":
      return e.args.forEach((a) => visitValue(a, found));
    case "cast":
      return visitValue(e.x, found);
    case "pad":
      e.conds.forEach((c) => visitIndex(c.i, found));
      return visitValue(e.x, found);
    case "reduce":
      return visitValue(e.body, found);
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
  const splits = new Map<number, number>();
  visitValue(body, (_op, a, c) => {
    for (const v of varsOf(a, new Set())) {
      const axis = loops.findIndex((l) => l.v === v);
      const extent = loops[axis]?.extent;
      if (axis >= 0 && !splits.has(axis) && c > 1 && c < extent && extent % c === 0) {
        splits.set(axis, c);
      }
    }
  });
  return splits.size > 0 ? splits : undefined;
}
