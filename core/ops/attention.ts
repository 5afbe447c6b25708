/**
 * The `attention` primitive: flash-style attention `softmax(q·kᵀ·scale + bias)·v` whose kernels
 * never write the `[..., L, S]` scores. A primitive because no composition of the others avoids
 * them: the composed form writes every score once (and keeps them for the gradient).
 *
 * One primitive, two parts (one node each; every part reads its operands as buffers):
 * - `forward` (sources `q, k, v[, mask]`): `[..., L, Ev + 1]`, the output rows and, in the last
 *   column, each row's log-sum-exp of the scores (all the backward keeps). Keys stream past each
 *   query row with a running maximum and sum (an online softmax).
 * - `backward` (sources `q, k, v[, mask], lse, delta, dO`): `[..., L·E + S·(E + Ev)]`, per batch
 *   element dQ (`[L, E]`) then dK with dV (`[S, E + Ev]`). FlashAttention-2's backward: each
 *   score is recomputed, `P = exp(s − lse)`, `dS = P ∘ (dO·vᵀ − delta)` with
 *   `delta = rowsum(dO ∘ O)`, and `dQ = scale·dS·k`, `dK = scale·dSᵀ·q`, `dV = Pᵀ·dO` (on the
 *   CPU in one pass over the tiles; WGSL computes dQ and dK, dV in passes of their own).
 *
 * `q`, `k`, `v`, `lse`, `delta` and `dO` share the batch axes; the mask has the same rank and
 * each of its axes is 1 (broadcast) or full. Causal is top-left aligned (query i sees keys
 * 0..i). The gradient is the frontend's (`core/attention.ts`, a `customVjp` around these nodes,
 * as for `linalg`), so the reverse rule below is never reached.
 * @module
 */
import { Node } from "../ir/ir.ts";
import type { BatchRule } from "./_batch_axes.ts";
import { moveAxis } from "./_batch_axes.ts";

/** Parameters of the `attention` primitive. */
export interface AttentionArgs {
  /** Which node: the output and log-sum-exp, or one side of the gradient. */
  readonly part: "forward" | "backward";
  /** Multiplies `q·kᵀ`. */
  readonly scale: number;
  /** Query i attends to keys 0..i only. */
  readonly causal: boolean;
  /** No mask, a bool one (false: masked out) or a float bias added to the scores. */
  readonly mask: "none" | "bool" | "add";
}

/** The sizes an attention node works on: batch (flattened), L, S, E, Ev. */
export interface AttentionDims {
  readonly batch: readonly number[];
  readonly n: number;
  readonly l: number;
  readonly s: number;
  readonly e: number;
  readonly ev: number;
}

/**
 * The sizes of an attention node (read from its `q`, `k` and `v` sources).
 * @param src the node's sources
 * @returns the batch axes and sizes
 */
export function attentionDims(
  src: readonly { readonly shape: readonly number[] }[],
): AttentionDims {
  const [q, k, v] = src.map((x) => x.shape);
  const batch = q.slice(0, -2);
  const [l, e] = q.slice(-2);
  return {
    batch,
    n: batch.reduce((a, d) => a * d, 1),
    l,
    s: k[k.length - 2],
    e,
    ev: v[v.length - 1],
  };
}

/**
 * Builds an `attention` node.
 * @param src `q, k, v[, mask]` (forward) or `q, k, v[, mask], lse, delta, dO` (backward)
 * @param arg the part, scale, causal flag and mask kind
 * @returns the node
 */
export function attention(src: readonly Node[], arg: AttentionArgs): Node {
  const { batch, l, s, e, ev } = attentionDims(src);
  const last = arg.part === "forward" ? [l, ev + 1] : [l * e + s * (e + ev)];
  return Node.make("attention", src[0].dtype, [...batch, ...last], src, { ...arg });
}

/** vmap: the batch axis first on every source (a mask that is not batched gets an axis of 1). */
export const attentionBatch: BatchRule = (src, dims, { arg }) => {
  const a = arg as AttentionArgs;
  const i = dims.findIndex((d) => d !== undefined);
  const size = src[i].shape[dims[i]!];
  const maskAt = a.mask === "none" ? -1 : 3;
  const front = src.map((x, j) =>
    moveAxis(x, dims[j], 0, j === maskAt && dims[j] === undefined ? 1 : size)
  );
  return [attention(front, a), 0];
};
