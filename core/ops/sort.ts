/**
 * The stable sorting permutation of the last axis, the one way `sort`,
 * `argsort` and `topk` are built: the `argsort` primitive on the CPU (a
 * comparison sort, O(n log n) per row); off the CPU, ranks from comparisons,
 * O(n²) per row in two fused reductions (WGSL has no sort kernel yet).
 * NaN is the largest value, and ties keep their order, as torch's stable sort.
 * @module
 */
import type { Node } from "../ir/ir.ts";
import * as b from "./build.ts";

/** The int32 positions that sort each row of `x` (its last axis). */
export function argsortLast(x: Node, descending: boolean): Node {
  if (x.device === "cpu") return b.argsort(x, descending);
  const n = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const grid = [...lead, n, n]; // [..., i, j]: does element j come before element i?
  const xi = b.expand(b.reshape(x, [...lead, n, 1]), grid);
  const xj = b.expand(b.reshape(x, [...lead, 1, n]), grid);
  const i = b.expand(b.reshape(b.iota(n, x.device), [...lead.map(() => 1), n, 1]), grid);
  const j = b.expand(b.reshape(b.iota(n, x.device), [...lead.map(() => 1), 1, n]), grid);
  const no = b.constant(0, "bool", grid, x.device);
  const yes = b.constant(1, "bool", grid, x.device);
  const or = (p: Node, q: Node) => b.alu("where", p, yes, q);
  const and = (p: Node, q: Node) => b.alu("where", p, q, no);
  const not = (p: Node) => b.alu("where", p, no, yes);
  // a before c: a < c with NaN largest (descending: a > c with NaN first)
  const precedes = (a: Node, c: Node) =>
    or(b.alu("cmplt", a, c), and(b.alu("isnan", c), not(b.alu("isnan", a))));
  const first = descending ? precedes(xi, xj) : precedes(xj, xi);
  const tie = and(not(precedes(xi, xj)), not(precedes(xj, xi)));
  const before = or(first, and(tie, b.alu("cmplt", j, i)));
  const rank = b.reduce("reduceSum", b.cast(before, "int32"), [lead.length + 1]); // [..., i]
  // position r holds the i whose rank is r
  const ranks = b.expand(b.reshape(rank, [...lead, 1, n]), grid); // [..., r, i]
  const hit = b.alu("cmpeq", ranks, i);
  const zero = b.constant(0, "int32", grid, x.device);
  return b.reduce("reduceSum", b.alu("where", hit, j, zero), [lead.length + 1]);
}
