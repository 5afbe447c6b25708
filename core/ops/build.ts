/**
 * Node builders for every primitive: the only way nodes are made. They assume
 * validated operands (the frontend checks user input and says what is wrong)
 * and fold the trivial cases (`reshape` to the same shape returns its input).
 * @module
 */
import { type Device, Node } from "../ir/ir.ts";
import type { DType } from "../ir/dtype.ts";
import { type Shape, shapesEqual } from "../ir/shape.ts";
import type { OpArgs, ReduceOp } from "./registry.ts";
import { constant } from "./primitive.ts";

import { alu } from "./elementwise.ts";

export { alu };
export { constant } from "./primitive.ts";

/** The same constant as `x` with another shape or dtype (on x's device). */
function refold(x: Node, dtype: DType, shape: Shape): Node {
  return constant(x.arg as number, dtype, shape, x.device);
}

/** Converts to `dtype` (identity when equal). */
export function cast(x: Node, dtype: DType): Node {
  if (x.dtype === dtype) return x;
  if (x.op === "const") return refold(x, dtype, x.shape);
  return Node.make("cast", dtype, x.shape, [x], dtype);
}

/** Same elements in a new shape of equal size. */
export function reshape(x: Node, shape: Shape): Node {
  if (shapesEqual(x.shape, shape)) return x;
  if (x.op === "const") return refold(x, x.dtype, shape);
  if (x.op === "reshape") return reshape(x.src[0], shape);
  return Node.make("reshape", x.dtype, [...shape], [x], undefined);
}

/** Output axis i is input axis `perm[i]`. */
export function permute(x: Node, perm: readonly number[]): Node {
  if (perm.every((p, i) => p === i)) return x;
  const shape = perm.map((p) => x.shape[p]);
  if (x.op === "const") return refold(x, x.dtype, shape);
  return Node.make("permute", x.dtype, shape, [x], [...perm]);
}

/** Repeats size-1 axes to `shape` (same rank). */
export function expand(x: Node, shape: Shape): Node {
  if (shapesEqual(x.shape, shape)) return x;
  if (x.op === "const") return refold(x, x.dtype, shape);
  return Node.make("expand", x.dtype, [...shape], [x], undefined);
}

/** Constant padding (non-negative widths) before and after each axis. */
export function pad(
  x: Node,
  before: readonly number[],
  after: readonly number[],
  value: number,
): Node {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  return Node.make("pad", x.dtype, shape, [x], { before: [...before], after: [...after], value });
}

/** A strided window of `shape`: index i on each axis reads `start + i * step`. */
export function slice(
  x: Node,
  start: readonly number[],
  step: readonly number[],
  shape: Shape,
): Node {
  if (shapesEqual(x.shape, shape) && start.every((s) => s === 0) && step.every((s) => s === 1)) {
    return x;
  }
  if (x.op === "const") return refold(x, x.dtype, shape);
  return Node.make("slice", x.dtype, [...shape], [x], { start: [...start], step: [...step] });
}

/** Reverses the given axes. */
export function flip(x: Node, axes: readonly number[]): Node {
  const real = axes.filter((a) => x.shape[a] > 1);
  if (real.length === 0) return x;
  return Node.make("flip", x.dtype, x.shape, [x], real);
}

/** A reduction over `axes` (dropped from the shape). */
export function reduce(
  op: ReduceOp,
  x: Node,
  axes: readonly number[],
  dtype: DType = x.dtype,
): Node {
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const src = cast(x, dtype);
  if (axes.length === 0) return src;
  return Node.make(op, dtype, shape, [src], [...axes]);
}

/** Index of the first maximum along `axis` (dropped), int32. */
export function argmax(x: Node, axis: number): Node {
  const shape = x.shape.filter((_, i) => i !== axis);
  return Node.make("argmax", "int32", shape, [x], axis);
}

/** `[...b, m, k] @ [...b, k, n]` with equal batch dims and dtypes. */
export function matmul(a: Node, b: Node): Node {
  const shape = [...a.shape.slice(0, -1), b.shape[b.shape.length - 1]];
  return Node.make("matmul", a.dtype, shape, [a, b], undefined);
}

/** torch.gather: `out[…i…] = src[…index[…i…]…]` along `axis`; out has the index's shape. */
export function gather(src: Node, index: Node, axis: number): Node {
  return Node.make("gather", src.dtype, index.shape, [src, index], axis);
}

/**
 * Zeros of `shape` with `updates` added at `index` along `axis` (torch's
 * `scatter_add` into zeros); `index` has the updates' shape, which matches
 * `shape` off `axis`.
 */
export function scatterAdd(updates: Node, index: Node, axis: number, shape: Shape): Node {
  return Node.make("scatterAdd", updates.dtype, [...shape], [updates, index], axis);
}

/** The stable sorting permutation of the last axis, int32 (NaN largest). */
export function argsort(x: Node, descending: boolean): Node {
  return Node.make("argsort", "int32", x.shape, [x], { descending });
}

/** The running `op` of the last axis (`ops/scan.ts`). */
export function cumulative(x: Node, op: OpArgs["cumulative"]["op"]): Node {
  const shape = op === "linear" ? x.shape.slice(0, -1) : x.shape;
  return Node.make("cumulative", x.dtype, shape, [x], { op });
}

/** The same values, seen by autodiff as a constant. */
export function stopGradient(x: Node): Node {
  return Node.make("stopGradient", x.dtype, x.shape, [x], undefined);
}

/** An identity view that gives a transform its own leaf for an input. */
export function leaf(x: Node): Node {
  return Node.make("identity", x.dtype, x.shape, [x], undefined);
}

/** The int32 vector `[0, 1, …, n-1]` (uploaded to `device` when first read there). */
export function iota(n: number, device: Device = "cpu"): Node {
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  return Node.fromBuffer(values, "int32", [n], device);
}

/** `value` with a custom reverse rule for `inputs` (see `customVjp`). */
export function customVjp(
  inputs: readonly Node[],
  value: Node,
  backward: (ct: Node) => readonly (Node | undefined)[],
): Node {
  return Node.make("customVjp", value.dtype, value.shape, [...inputs, value], { backward });
}

/**
 * `terms[0] op terms[1] op …` for an associative `op` (`add`, `maximum`), as a left fold in runs
 * of 8 joined by a balanced tree: the graph is O(log n) deep however many terms there are (a
 * plain fold of thousands of terms is as deep, and every walk over it recurses that deep), and
 * up to 8 terms keep the fold's order (and its rounding).
 */
export function combine(op: "add" | "maximum", terms: readonly Node[]): Node {
  let level: Node[] = [];
  for (let i = 0; i < terms.length; i += 8) {
    let acc = terms[i];
    for (let j = i + 1; j < Math.min(i + 8, terms.length); j++) {
      acc = alu(op, acc, terms[j]);
    }
    level.push(acc);
  }
  while (level.length > 1) {
    const next: Node[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(alu(op, level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}
