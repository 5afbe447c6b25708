/**
 * The primitive set: the op names and each op's typed parameters. Elementwise primitives are in
 * `elementwise.ts`, reductions in `reductions.ts`; the structural ones (movement, matmul, gather)
 * are lowered by the scheduler from these parameters.
 * @module
 */
import type { AluOp } from "./elementwise.ts";
import type { ReduceOp } from "./reductions.ts";
import type { LinalgArgs } from "./linalg.ts";
import type { AttentionArgs } from "./attention.ts";
import type { DType } from "../ir/dtype.ts";
import type { Node } from "../ir/ir.ts";

export type { ReduceOp };

/** Parameters of each primitive (a reduction's: the axes it sums over and drops). */
export interface OpArgs extends Record<AluOp, undefined>, Record<ReduceOp, readonly number[]> {
  /** A realized node: its data is `node.buffer`. */
  buffer: undefined;
  /** A scalar broadcast to the node's shape (never materialised). */
  const: number;
  /**
   * The value of its last source, with a user-given reverse rule for the
   * other sources (`customVjp`): autodiff never looks inside.
   */
  customVjp: { readonly backward: (ct: Node) => readonly (Node | undefined)[] };
  /** Identity: marks a transform's input (a fresh node each trace, never folded away). */
  identity: undefined;
  /** Identity for values; blocks gradients (autodiff treats it as a constant). */
  stopGradient: undefined;
  /** Conversion to the node's dtype. */
  cast: DType;
  /** Same elements, new shape (row-major order). */
  reshape: undefined;
  /** Axis permutation: output axis i is input axis `perm[i]`. */
  permute: readonly number[];
  /** Size-1 axes repeated to the node's shape (a view, never a copy). */
  expand: undefined;
  /** Constant padding before and after each axis. */
  pad: {
    readonly before: readonly number[];
    readonly after: readonly number[];
    readonly value: number;
  };
  /** A strided window: output index i reads input `start + i * step` per axis. */
  slice: { readonly start: readonly number[]; readonly step: readonly number[] };
  /** Reverses the listed axes. */
  flip: readonly number[];
  /** Index of the first maximum along one axis (dropped), as int32. */
  argmax: number;
  /** Batched matrix product `[...b, m, k] @ [...b, k, n]` (equal batch dims). */
  matmul: undefined;
  /** `out[..., i, ...] = src[..., index[..., i, ...], ...]` along `axis` (torch.gather). */
  gather: number;
  /** A dense decomposition or solve run as a host routine (`linalg.ts`): one kernel of its own. */
  linalg: LinalgArgs;
  /**
   * Zeros of the node's shape, then `out[…index[…i…]…] += updates[…i…]` along
   * `axis` for every element i of `updates` (sources `[updates, index]`, equal
   * shapes; repeated indices accumulate). A primitive because no composition
   * is linear in the number of updates: the compare-and-sum one is
   * O(updates × axis size) (an embedding's gradient over the vocabulary). Its CPU kernel runs
   * one update at a time in JS and Wasm (lanes with equal targets would lose adds).
   */
  scatterAdd: number;
  /**
   * The int32 permutation that sorts the last axis (stable; NaN counts as the
   * largest value, as in torch). A primitive because its CPU kernel sorts in
   * O(n log n) per row (WGSL: a merge sort); comparisons alone cost O(n²).
   */
  argsort: { readonly descending: boolean };
  /**
   * A running scan of the last axis (`ops/scan.ts`): `sum` and `logaddexp`
   * give `out[..., i] = x[..., 0] ⊕ … ⊕ x[..., i]`; `linear` reads pairs
   * `x[..., i, :] = (a_i, b_i)` and gives `out_i = a_i · out_(i-1) + b_i`
   * (`out_(-1) = 0`), which is cumprod and the gradients of products with no
   * division (so exact at zeros, to any order). A primitive because its CPU
   * kernel is one pass per row, O(n); masked prefix reductions (the form off
   * the CPU) cost O(n²).
   */
  cumulative: { readonly op: "sum" | "logaddexp" | "linear" };
  /**
   * Flash-style attention (`attention.ts`): the output and each row's log-sum-exp, or one side of
   * the gradient, without writing the `[..., L, S]` scores.
   */
  attention: AttentionArgs;
}

/** The name of any primitive. */
export type OpName = keyof OpArgs;
