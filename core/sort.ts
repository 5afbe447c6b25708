/**
 * Order along an axis: `sort` (values and indices), `argsort` and `topk`,
 * as torch's stable forms. Values are a gather of the input at the sorting
 * permutation, so gradients flow to the selected elements (a scatter-add).
 * NaN sorts as the largest value; ties keep their original order. The
 * `argsort` primitive sorts each row: in O(n log n) on the CPU, and by a
 * merge sort of ⌈log₂ n⌉ passes in WGSL.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { fmtValue } from "./ir/errors.ts";
import { normalizeAxis } from "./ir/shape.ts";

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** The axis to sort along (-1, the last, by default). */
  axis?: number;
  /** Largest first (false by default). */
  descending?: boolean;
}

/** Options of `topk`. */
export interface TopkOptions {
  /** The axis to pick along (-1, the last, by default). */
  axis?: number;
  /** The k largest (true, the default) or the k smallest. */
  largest?: boolean;
}

/** The permutation moving `axis` last, and its inverse. */
function moveLast(rank: number, axis: number): [number[], number[]] {
  const perm = [...Array(rank).keys()].filter((d) => d !== axis).concat(rank === 0 ? [] : [axis]);
  return [perm, perm.map((_, i) => perm.indexOf(i))];
}

/** Sorted positions (int32) and values of `x` along `axis`, before any slicing. */
function sorted(x: Node, axis: number, descending: boolean): [Node, Node] {
  const flat = x.shape.length === 0 ? b.reshape(x, [1]) : x;
  const [perm, back] = moveLast(flat.shape.length, axis);
  const moved = b.permute(flat, perm);
  const order = b.argsort(moved, descending);
  const last = moved.shape.length - 1;
  const values = b.gather(moved, order, last);
  const undo = (n: Node) => {
    const p = b.permute(n, back);
    return x.shape.length === 0 ? b.reshape(p, []) : p;
  };
  return [undo(order), undo(values)];
}

function sortArgs(
  op: string,
  x: Tensor,
  axisOrOptions: number | SortOptions,
): { node: Node; axis: number; descending: boolean } {
  // torch's positional dim, or options
  const options = typeof axisOrOptions === "number" ? { axis: axisOrOptions } : axisOrOptions;
  checkOptions(op, options, ["axis", "descending"]);
  const node = nodeOf(op, x);
  const axis = node.shape.length === 0
    ? 0
    : normalizeAxis(op, options.axis ?? -1, node.shape.length);
  return { node, axis, descending: options.descending ?? false };
}

/**
 * torch.sort(stable=True): the values along `axis` in order, and where each came from.
 * @param x the input
 * @param options the axis (-1 by default; torch's positional dim), or options `axis`, `descending`
 * @returns `[values, indices]`, both shaped like `x` (indices int32)
 * @example Ties keep their order
 * ```ts
 * import { sort, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const [values, indices] = sort(tensor([3, 1, 3, 2]), { descending: true });
 * assertEquals(values.toArray(), [3, 3, 2, 1]);
 * assertEquals(indices.toArray(), [0, 2, 3, 1]);
 * ```
 */
export function sort(x: Tensor, options: number | SortOptions = {}): [Tensor, Tensor] {
  const { node, axis, descending } = sortArgs("sort", x, options);
  const [order, values] = sorted(node, axis, descending);
  return [wrap(values), wrap(order)];
}

/**
 * torch.argsort(stable=True): the int32 positions that sort `x` along `axis`.
 * @param x the input
 * @param options the axis (-1 by default), or options `axis`, `descending`
 * @returns int32 indices shaped like `x`
 * @example
 * ```ts
 * import { argsort, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(argsort(tensor([[2, NaN, 1]])).toArray(), [[2, 0, 1]]);
 * ```
 */
export function argsort(x: Tensor, options: number | SortOptions = {}): Tensor {
  const { node, axis, descending } = sortArgs("argsort", x, options);
  return wrap(sorted(node, axis, descending)[0]);
}

/**
 * torch.topk (sorted): the `k` largest (or smallest) values along `axis` and
 * their positions; the gradient goes to the selected elements.
 * @param x the input
 * @param k how many, 0 to the axis size
 * @param axisOrOptions the axis (-1 by default), or options `axis`, `largest` (true by default)
 * @returns `[values, indices]`, `x`'s shape with `k` on `axis` (indices int32)
 * @example Top 2
 * ```ts
 * import { tensor, topk } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const [values, indices] = topk(tensor([1, 5, 3, 4]), 2);
 * assertEquals(values.toArray(), [5, 4]);
 * assertEquals(indices.toArray(), [1, 3]);
 * ```
 */
export function topk(
  x: Tensor,
  k: number,
  axisOrOptions: number | TopkOptions = {},
): [Tensor, Tensor] {
  const options = typeof axisOrOptions === "number" ? { axis: axisOrOptions } : axisOrOptions;
  checkOptions("topk", options, ["axis", "largest"]);
  const node = nodeOf("topk", x);
  const axis = node.shape.length === 0
    ? 0
    : normalizeAxis("topk", options.axis ?? -1, node.shape.length);
  const n = node.shape.length === 0 ? 1 : node.shape[axis];
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(
      `topk() expected k to be an integer from 0 to the axis size ${n}: found ${fmtValue(k)}`,
    );
  }
  const [order, values] = sorted(node, axis, options.largest ?? true);
  const cut = (t: Node) =>
    node.shape.length === 0 ? t : b.slice(
      t,
      t.shape.map(() => 0),
      t.shape.map(() => 1),
      t.shape.map((d, i) => (i === axis ? k : d)),
    );
  return [wrap(cut(values)), wrap(cut(order))];
}
