/**
 * Scatter-add into zeros, the one way every scatter is built (gather's
 * gradient, `scatterAdd`, `indexAdd`, `embedding`'s gradient): the
 * `scatterAdd` primitive, linear in the number of updates on every device
 * (a loop on the CPU, atomic adds in WGSL).
 * @module
 */
import type { Node } from "../ir/ir.ts";
import * as b from "./build.ts";

/**
 * Zeros shaped like `index` but `size` long on `axis`, with `out[…index[…i…]…] += updates[…i…]`
 * (negative indices count from the end; `updates` and `index` have equal shapes).
 */
export function scatterInto(updates: Node, index: Node, axis: number, size: number): Node {
  return b.scatterAdd(updates, index, axis, index.shape.map((d, i) => (i === axis ? size : d)));
}
