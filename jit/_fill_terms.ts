/**
 * Terms of a padded sum read where they are only padding. `concat` is a sum
 * of padded pieces (`core/movement.ts`); a slice of it (the gradient of each
 * piece of a `stack`) reads one piece, and lowering every piece at every
 * slice made a 5,000-piece gradient kernel quadratic in size. Each node gets
 * the box outside which it equals its sum's identity (a pad's fill), once,
 * so lowering skips such terms where the index is known to lie outside.
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import type { OpArgs } from "../core/ops/registry.ts";
import { isFloat } from "../core/ir/dtype.ts";
import type { IExpr } from "./kernel.ts";

/** Per axis, `[lo, hi)`: outside this box the node is the identity of `op`. */
type Box = readonly (readonly [number, number])[];

const boxes = { add: new WeakMap<Node, Box | null>(), maximum: new WeakMap<Node, Box | null>() };

// x + -0 = x for every float (+0 would turn -0 into +0); x + 0 = x for integers;
// max(x, false) = x for bools
function isIdentity(op: "add" | "maximum", fill: number, node: Node): boolean {
  if (op === "add") {
    return isFloat(node.dtype) ? Object.is(fill, -0) : node.dtype !== "bool" && fill === 0;
  }
  return node.dtype === "bool" && fill === 0;
}

function boxOf(node: Node, op: "add" | "maximum"): Box | null {
  const known = boxes[op].get(node);
  if (known !== undefined) return known;
  let box: Box | null = null;
  if (node.op === "pad") {
    const { before, value } = node.arg as OpArgs["pad"];
    const src = node.src[0].shape;
    if (isIdentity(op, value, node)) box = src.map((d, i) => [before[i], before[i] + d]);
  } else if (node.op === op && node.src.length === 2) {
    const [a, b] = node.src.map((s) => boxOf(s, op));
    if (a !== null && b !== null) {
      box = a.map(([lo, hi], i) => [Math.min(lo, b[i][0]), Math.max(hi, b[i][1])]);
    }
  }
  boxes[op].set(node, box);
  return box;
}

/** Whether `node` is read at `idx` only where it is its sum's identity. */
function fillAt(node: Node, op: "add" | "maximum", idx: readonly IExpr[]): boolean {
  const box = boxOf(node, op);
  if (box === null || box.length !== idx.length) return false;
  return idx.some((e, d) => {
    const [lo, hi] = box[d];
    if (typeof e === "number") return e < lo || e >= hi;
    const top = upper(e);
    return top !== undefined && top < lo;
  });
}

/**
 * The largest value of an index where it is sure: sums of loop variables times
 * non-negative constants (`maxOf` assumes more: a negative step would bound it from below).
 */
function upper(e: IExpr): number | undefined {
  if (typeof e === "number") return e;
  if ("v" in e) return e.extent - 1;
  if (e.op === "index" || e.op === "/" || e.op === "%") return undefined;
  const [a, b] = [upper(e.a), upper(e.b)];
  if (a === undefined || b === undefined) return undefined;
  if (e.op === "+") return a + b;
  if (e.op === "-") return typeof e.b === "number" ? a - e.b : undefined;
  // a product with a non-negative constant factor
  const factor = typeof e.a === "number" ? e.a : typeof e.b === "number" ? e.b : -1;
  return factor >= 0 ? a * b : undefined;
}

/**
 * The term of an `add` (or a bool `maximum`) that is the whole value at
 * `idx`, when the other is padding there (`x + -0 -> x`); else `undefined`.
 * @param node an elementwise node about to be lowered at `idx`
 * @param idx the multi-index it is read at
 * @returns the source to lower instead of `node`, or `undefined`
 */
export function keptTerm(node: Node, idx: readonly IExpr[]): Node | undefined {
  if ((node.op !== "add" && node.op !== "maximum") || node.src.length !== 2) return undefined;
  const op = node.op;
  const [a, b] = node.src;
  if (a.shape.length !== node.shape.length || b.shape.length !== node.shape.length) {
    return undefined;
  }
  if (fillAt(b, op, idx)) return a;
  if (fillAt(a, op, idx)) return b;
  return undefined;
}
