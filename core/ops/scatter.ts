/**
 * Scatter-add into zeros, the one way every scatter is built (gather's
 * gradient, `scatterAdd`, `indexAdd`, `embedding`'s gradient): the
 * `scatterAdd` primitive on the CPU, linear in the number of updates; a fused
 * compare-and-sum elsewhere, since WGSL has no float atomics and a kernel per
 * output element must look at every update.
 * @module
 */
import type { Node } from "../ir/ir.ts";
import * as b from "./build.ts";

/**
 * Zeros shaped like `index` but `size` long on `axis`, with `out[…index[…i…]…] += updates[…i…]`
 * (negative indices count from the end; `updates` and `index` have equal shapes).
 */
export function scatterInto(updates: Node, index: Node, axis: number, size: number): Node {
  const shape = index.shape.map((d, i) => (i === axis ? size : d));
  if (updates.device === "cpu") return b.scatterAdd(updates, index, axis, shape);
  const e = [...index.shape.slice(0, axis + 1), size, ...index.shape.slice(axis + 1)];
  const spread = (x: Node) =>
    b.expand(b.reshape(x, [...x.shape.slice(0, axis + 1), 1, ...x.shape.slice(axis + 1)]), e);
  const wrapped = b.alu(
    "where",
    b.alu("cmplt", index, b.constant(0, "int32", index.shape, index.device)),
    b.alu("add", index, b.constant(size, "int32", index.shape, index.device)),
    index,
  );
  const positions = b.expand(
    b.reshape(b.iota(size, index.device), e.map((d, i) => (i === axis + 1 ? d : 1))),
    e,
  );
  const hits = b.alu(
    "where",
    b.alu("cmpeq", spread(wrapped), positions),
    spread(updates),
    b.constant(0, updates.dtype, e, updates.device),
  );
  return b.reduce("reduceSum", hits, [axis]);
}
