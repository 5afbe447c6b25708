/**
 * Batch-axis plumbing for the vmap rules: a batched value is a node and the axis that holds the
 * examples (`undefined`: the same value for every example). Built with `Node.make` directly so
 * `primitive.ts` (which `build.ts` imports) can use it without an import cycle.
 * @module
 */
import { Node, type Origin } from "../ir/ir.ts";

/** A value under vmap: the node, and its batch axis (`undefined`: not batched). */
export type Batched = readonly [node: Node, axis: number | undefined];

/**
 * Batches a sub-graph again inside a rule (customVjp's backward): `roots` are nodes of the traced
 * (unbatched) program; `bind` gives extra nodes their batched values.
 */
export type Rebatch = (roots: readonly Node[], bind: ReadonlyMap<Node, Batched>) => Batched[];

/**
 * A vmap rule: from the batched sources (`dims[i]` is source i's batch axis, `undefined` when it
 * is the same for every example), the unbatched node's origin and the unbatched node itself, the
 * batched result. Called only when some source is batched.
 */
export type BatchRule = (
  src: readonly Node[],
  dims: readonly (number | undefined)[],
  x: Origin,
  out: Node,
  rebatch: Rebatch,
) => Batched;

/** The batch size: the extent of the first batched source's batch axis. */
export function batchSize(src: readonly Node[], dims: readonly (number | undefined)[]): number {
  const i = dims.findIndex((d) => d !== undefined);
  return src[i].shape[dims[i]!];
}

/** `x` with its batch axis `axis` moved to position `to` (`undefined` axis: broadcast to `size`). */
export function moveAxis(x: Node, axis: number | undefined, to: number, size: number): Node {
  if (axis === undefined) {
    const shape = [...x.shape.slice(0, to), size, ...x.shape.slice(to)];
    if (x.op === "const") return Node.make("const", x.dtype, shape, [], x.arg as number, x.device);
    const ones = [...x.shape.slice(0, to), 1, ...x.shape.slice(to)];
    const r = Node.make("reshape", x.dtype, ones, [x], undefined);
    return size === 1 ? r : Node.make("expand", x.dtype, shape, [r], undefined);
  }
  if (axis === to) return x;
  const perm = [...x.shape.keys()].filter((i) => i !== axis);
  perm.splice(to, 0, axis);
  const shape = perm.map((p) => x.shape[p]);
  return Node.make("permute", x.dtype, shape, [x], perm);
}

/** Every source with its batch axis first (unbatched ones broadcast), and the batch size. */
export function toFront(
  src: readonly Node[],
  dims: readonly (number | undefined)[],
): { src: Node[]; size: number } {
  const size = batchSize(src, dims);
  return { src: src.map((s, i) => moveAxis(s, dims[i], 0, size)), size };
}

/**
 * The rule every elementwise primitive shares: move the batch axes first (broadcasting unbatched
 * operands, a view), then apply the op to operands of shape `[B, ...shape]`.
 */
export const elementwiseBatch: BatchRule = (src, dims, x, out) => {
  const { src: front, size } = toFront(src, dims);
  return [Node.make(x.op, out.dtype, [size, ...out.shape], front, x.arg as never), 0];
};
