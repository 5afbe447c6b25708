/**
 * Reductions over `{axis?: number | number[], keepdims?: boolean}` and the
 * numerically stable softmax family.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { fmtShape } from "./ir/errors.ts";
import { normalizeAxes, normalizeAxis, sizeOf } from "./ir/shape.ts";
import type { ReduceOp } from "./ops/registry.ts";
import { type AxisOptions, axisOptions, singleAxis } from "./_options.ts";

/** Which axes to reduce and whether to keep them as size 1 (`keepdim`, torch's name, also works). */
export type ReduceOptions = AxisOptions;

/**
 * A reduction's axes, in any of torch's forms: an axis (`1`), a list of axes
 * (`[0, 1]`) or options (`{ axis: 1, keepdims: true }`); all axes when omitted.
 */
export type AxisArg = number | readonly number[] | ReduceOptions;

/** Options of `variance` and `std`. */
export interface VarianceOptions extends AxisOptions {
  /** Subtracted from the count in the denominator (default 1, Bessel's correction, like PyTorch). */
  correction?: number;
}

function keep(
  node: Node,
  inShape: readonly number[],
  axes: readonly number[],
  keepdims: boolean,
): Node {
  if (!keepdims) return node;
  return b.reshape(node, inShape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

function reduceWith(
  name: string,
  op: ReduceOp,
  x: Tensor,
  arg: AxisArg | undefined,
  keepdims: unknown,
): Tensor {
  const node = nodeOf(name, x);
  const options = axisOptions(name, arg, keepdims);
  const axes = normalizeAxes(name, options.axis, node.shape.length);
  if (op === "reduceMax" && axes.some((a) => node.shape[a] === 0)) {
    throw new RangeError(
      `${name}() cannot reduce an empty axis of shape ${
        fmtShape(node.shape)
      }: there is no identity for ${name}`,
    );
  }
  const dtype = node.dtype === "bool" && op !== "reduceMax" ? "int32" : node.dtype;
  return wrap(keep(b.reduce(op, node, axes, dtype), node.shape, axes, options.keepdims ?? false));
}

/**
 * Sum of elements (bool and int32 sum as int32).
 * @example Column sums
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tensor([[1, 2], [3, 4]]).sum({ axis: 0 }).toArray(), [4, 6]);
 * assertEquals(tensor([[1, 2], [3, 4]]).sum(1).toArray(), [3, 7]); // torch's form
 * ```
 */
export function sum(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  return reduceWith("sum", "reduceSum", x, axis, keepdims);
}

/** Product of elements. */
export function prod(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  return reduceWith("prod", "reduceProd", x, axis, keepdims);
}

/** Maximum (NaN if any element is NaN). */
export function max(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  return reduceWith("max", "reduceMax", x, axis, keepdims);
}

/** Minimum (NaN if any element is NaN). */
export function min(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  const node = nodeOf("min", x);
  const negated = node.dtype === "bool"
    ? b.alu("cmpeq", node, b.constant(0, "bool", node.shape))
    : b.alu("neg", node);
  const m = reduceWith("min", "reduceMax", wrap(negated), axis, keepdims).node;
  return wrap(
    node.dtype === "bool" ? b.alu("cmpeq", m, b.constant(0, "bool", m.shape)) : b.alu("neg", m),
  );
}

/** Mean of elements (integers give float32). */
export function mean(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  const node = floatNode(nodeOf("mean", x));
  const options = axisOptions("mean", axis, keepdims);
  const axes = normalizeAxes("mean", options.axis, node.shape.length);
  const count = sizeOf(axes.map((a) => node.shape[a]));
  return wrap(inFloat32(node, (n) => {
    const total = keep(b.reduce("reduceSum", n, axes), n.shape, axes, options.keepdims ?? false);
    return b.alu("mul", total, b.constant(1 / count, n.dtype, total.shape));
  }));
}

/**
 * Computes `f` of a float16 node in float32 and rounds the result to half
 * once, as PyTorch's half kernels for means, variances and softmax do
 * (other dtypes run as they are).
 */
function inFloat32(node: Node, f: (n: Node) => Node): Node {
  return node.dtype === "float16" ? b.cast(f(b.cast(node, "float32")), "float16") : f(node);
}

/**
 * Variance with `correction` (default 1, unbiased, like torch.var). Torch's
 * positional `var(1, False)` (unbiased) is an error, not keepdims: pass
 * `{ axis: 1, correction: 0 }`.
 */
export function variance(
  x: Tensor,
  axis?: number | readonly number[] | VarianceOptions,
  unbiased?: never,
): Tensor {
  return wrap(varianceNode("variance", x, axis, unbiased));
}

function varianceNode(
  name: string,
  x: Tensor,
  axis: number | readonly number[] | VarianceOptions | undefined,
  unbiased: unknown,
): Node {
  if (unbiased !== undefined) {
    throw new TypeError(
      `${name}() takes the correction and keepdims as options: found a second argument ${
        String(unbiased)
      }: write ${name}(x, { axis: 1, correction: 0 }) for torch's var(1, unbiased=False)`,
    );
  }
  const options = axisOptions(name, axis, undefined, ["correction"]);
  return inFloat32(floatNode(nodeOf(name, x)), (node) => varianceOf(name, node, options));
}

function varianceOf(name: string, node: Node, options: VarianceOptions): Node {
  const axes = normalizeAxes(name, options.axis, node.shape.length);
  const count = sizeOf(axes.map((a) => node.shape[a]));
  const m = b.expand(keep(b.reduce("reduceSum", node, axes), node.shape, axes, true), node.shape);
  const centred = b.alu(
    "add",
    node,
    b.alu("neg", b.alu("mul", m, b.constant(1 / count, node.dtype, node.shape))),
  );
  const squares = b.reduce("reduceSum", b.alu("mul", centred, centred), axes);
  const denominator = Math.max(count - (options.correction ?? 1), 0);
  const v = b.alu("div", squares, b.constant(denominator, node.dtype, squares.shape));
  return keep(v, node.shape, axes, options.keepdims ?? false);
}

/** Standard deviation with `correction` (default 1, like torch.std). */
export function std(
  x: Tensor,
  axis?: number | readonly number[] | VarianceOptions,
  unbiased?: never,
): Tensor {
  return wrap(b.alu("sqrt", varianceNode("std", x, axis, unbiased)));
}

function argReduce(
  name: string,
  x: Tensor,
  negate: boolean,
  arg: number | ArgOptions | undefined,
  keepdims: unknown,
): Tensor {
  let node = nodeOf(name, x);
  const options = axisOptions(name, arg, keepdims);
  if (Array.isArray(options.axis)) {
    throw new TypeError(
      `${name}() takes one axis: found ${fmtShape(options.axis)}: reshape to merge the axes first`,
    );
  }
  if (negate) {
    node = node.dtype === "bool"
      ? b.alu("cmpeq", node, b.constant(0, "bool", node.shape))
      : b.alu("neg", node);
  }
  if (options.axis === undefined) {
    const flat = b.reshape(node, [sizeOf(node.shape)]);
    if (flat.shape[0] === 0) throw new RangeError(`${name}() of an empty tensor has no answer`);
    const out = b.argmax(flat, 0);
    return wrap(options.keepdims ? b.reshape(out, node.shape.map(() => 1)) : out);
  }
  const axis = normalizeAxis(name, options.axis as number, node.shape.length);
  if (node.shape[axis] === 0) throw new RangeError(`${name}() cannot reduce an empty axis ${axis}`);
  return wrap(keep(b.argmax(node, axis), node.shape, [axis], options.keepdims ?? false));
}

/** Options of `argmax` and `argmin`: one axis (`keepdim`, torch's name, also works). */
export interface ArgOptions {
  /** The axis (negative counts from the end); the flattened tensor when omitted. */
  axis?: number;
  /** Keep the reduced axis with size 1 (default false). */
  keepdims?: boolean;
  /** PyTorch's name for `keepdims` (accepted as an alias). */
  keepdim?: boolean;
}

/** Index of the first maximum (over the flattened tensor unless an axis is given), int32. */
export function argmax(x: Tensor, axis?: number | ArgOptions, keepdims?: boolean): Tensor {
  return argReduce("argmax", x, false, axis, keepdims);
}

/** Index of the first minimum (over the flattened tensor unless an axis is given), int32. */
export function argmin(x: Tensor, axis?: number | ArgOptions, keepdims?: boolean): Tensor {
  return argReduce("argmin", x, true, axis, keepdims);
}

/** Whether all elements are true (nonzero); true over an empty axis, like PyTorch. */
export function all(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  const options = axisOptions("all", axis, keepdims);
  // all(x) = (count of false elements == 0)
  const node = b.cast(nodeOf("all", x), "bool");
  const falses = countTrue("all", b.alu("cmpeq", node, b.constant(0, "bool", node.shape)), options);
  return wrap(b.alu("cmpeq", falses, b.constant(0, "int32", falses.shape)));
}

/** Whether any element is true (nonzero); false over an empty axis, like PyTorch. */
export function any(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  const options = axisOptions("any", axis, keepdims);
  // any(x) = (0 < count of true elements)
  const trues = countTrue("any", b.cast(nodeOf("any", x), "bool"), options);
  return wrap(b.alu("cmplt", b.constant(0, "int32", trues.shape), trues));
}

/** The int32 count of true elements of a bool node (0 over empty axes, unlike max/min). */
function countTrue(name: string, node: Node, options: ReduceOptions): Node {
  const axes = normalizeAxes(name, options.axis, node.shape.length);
  const count = b.reduce("reduceSum", node, axes, "int32");
  return keep(count, node.shape, axes, options.keepdims ?? false);
}

/** The row maximum with infinities replaced by 0, so `x - m` stays finite. */
function stableShift(node: Node, axes: number[]): Node {
  // the shift cancels out of the value, so its gradient is exactly zero: stop it
  const m = b.stopGradient(keep(b.reduce("reduceMax", node, axes), node.shape, axes, true));
  const finite = b.alu("cmpeq", b.alu("add", m, b.alu("neg", m)), b.constant(0, m.dtype, m.shape));
  return b.alu("where", finite, m, b.constant(0, m.dtype, m.shape));
}

/** log(sum(exp(x))) computed stably (subtracting the maximum first). */
export function logSumExp(x: Tensor, axis?: AxisArg, keepdims?: boolean): Tensor {
  const input = floatNode(nodeOf("logSumExp", x));
  const options = axisOptions("logSumExp", axis, keepdims);
  const axes = normalizeAxes("logSumExp", options.axis, input.shape.length);
  return wrap(inFloat32(input, (node) => {
    const m = stableShift(node, axes);
    const shifted = b.alu("add", node, b.alu("neg", b.expand(m, node.shape)));
    const s = keep(b.reduce("reduceSum", b.alu("exp", shifted), axes), node.shape, axes, true);
    const out = b.alu("add", b.alu("log", s), m);
    return options.keepdims ? out : b.reshape(out, out.shape.filter((_, i) => !axes.includes(i)));
  }));
}

/**
 * Softmax along `axis` (default -1), computed stably; one kernel over the last axis on the
 * CPU, three kernels at most.
 * @example Rows sum to one
 * ```ts
 * import { softmax, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const p = softmax(tensor([[1, 2, 3]])).dataSync();
 * assertAlmostEquals(p[0] + p[1] + p[2], 1, 1e-6);
 * ```
 */
export function softmax(x: Tensor, axis?: number | { axis?: number }): Tensor {
  const input = floatNode(nodeOf("softmax", x));
  const axes = [normalizeAxis("softmax", singleAxis("softmax", axis, -1), input.shape.length)];
  return wrap(inFloat32(input, (node) => {
    const shift = b.expand(stableShift(node, axes), node.shape);
    const e = b.alu("exp", b.alu("add", node, b.alu("neg", shift)));
    const s = keep(b.reduce("reduceSum", e, axes), node.shape, axes, true);
    return b.alu("div", e, b.expand(s, node.shape));
  }));
}

/** log(softmax(x)) along `axis` (default -1), computed stably. */
export function logSoftmax(x: Tensor, axis?: number | { axis?: number }): Tensor {
  const input = floatNode(nodeOf("logSoftmax", x));
  const axes = [
    normalizeAxis("logSoftmax", singleAxis("logSoftmax", axis, -1), input.shape.length),
  ];
  return wrap(inFloat32(input, (node) => {
    const shift = b.expand(stableShift(node, axes), node.shape);
    const shifted = b.alu("add", node, b.alu("neg", shift));
    const s = keep(b.reduce("reduceSum", b.alu("exp", shifted), axes), node.shape, axes, true);
    return b.alu("add", shifted, b.alu("neg", b.expand(b.alu("log", s), node.shape)));
  }));
}
