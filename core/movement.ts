/**
 * Movement: reshape, transpose, broadcast, concatenate, pad, flip, tile.
 * All are views (index arithmetic in the generated kernels), never copies.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { broadcastNode, nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import * as b from "./ops/build.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { broadcastShapes, checkShape, normalizeAxis, sizeOf } from "./ir/shape.ts";
import { type DType, promoteTypes } from "./ir/dtype.ts";
import type { Node } from "./ir/ir.ts";
import { axesArg, singleAxis } from "./_options.ts";

/**
 * A shape given as one array or as separate sizes (torch's `reshape(2, 3)`).
 * @param op the method, for the message
 * @param args the arguments as passed
 * @returns the sizes
 */
export function shapeArgs(op: string, args: readonly unknown[]): readonly number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  if (args.every((a) => typeof a === "number")) return args as number[];
  throw new TypeError(
    `${op}() expected sizes as one array or as numbers: found ${
      args.map(fmtValue).join(", ")
    }: e.g. ${op}([2, 3]) or ${op}(2, 3)`,
  );
}

/**
 * The same elements in a new shape; one size may be -1 (inferred).
 * @example
 * ```ts
 * import { arange } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(arange(6).reshape([2, -1]).shape, [2, 3]);
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const node = nodeOf("reshape", x);
  if (!Array.isArray(shape)) checkShape("reshape", shape);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) {
    throw new RangeError(
      `reshape() got more than one -1 in ${fmtShape(shape)}: only one size can be inferred`,
    );
  }
  const known = checkShape("reshape", shape.map((d) => (d === -1 ? 1 : d)));
  const size = sizeOf(node.shape);
  const rest = sizeOf(known);
  let out = known;
  if (unknown === 1) {
    if (rest === 0 || size % rest !== 0) {
      throw new RangeError(
        `reshape() cannot infer -1 in ${fmtShape(shape)} for ${size} elements of shape ${
          fmtShape(node.shape)
        }: the other sizes must divide ${size}`,
      );
    }
    out = shape.map((d) => (d === -1 ? size / rest : d));
  } else if (rest !== size) {
    throw new RangeError(
      `reshape() cannot view shape ${fmtShape(node.shape)} (${size} elements) as ${
        fmtShape(shape)
      } (${rest} elements): the sizes must multiply to ${size}`,
    );
  }
  return wrap(b.reshape(node, out));
}

/** Flattens axes `startAxis..endAxis` (inclusive) into one. */
export function flatten(x: Tensor, startAxis: number = 0, endAxis: number = -1): Tensor {
  const shape = nodeOf("flatten", x).shape;
  if (shape.length === 0) return reshape(x, [1]);
  const s = normalizeAxis("flatten", startAxis, shape.length);
  const e = normalizeAxis("flatten", endAxis, shape.length);
  if (s > e) {
    throw new RangeError(
      `flatten() start axis ${startAxis} comes after end axis ${endAxis}: swap them`,
    );
  }
  return reshape(x, [...shape.slice(0, s), sizeOf(shape.slice(s, e + 1)), ...shape.slice(e + 1)]);
}

/** Reorders axes: output axis i is input axis `axes[i]`. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const node = nodeOf("permute", x);
  if (!Array.isArray(axes)) checkShape("permute", axes);
  const n = node.shape.length;
  const perm = axes.map((a) => normalizeAxis("permute", a, n));
  if (perm.length !== n || new Set(perm).size !== n) {
    throw new RangeError(
      `permute() expected a permutation of ${n} axes for shape ${fmtShape(node.shape)}: found ${
        fmtShape(axes)
      }: list every axis exactly once`,
    );
  }
  return wrap(b.permute(node, perm));
}

/** Swaps two axes (default: the last two; a 1-D tensor is returned as is). */
export function transpose(x: Tensor, axis0: number = -2, axis1: number = -1): Tensor {
  const n = nodeOf("transpose", x).shape.length;
  if (n < 2) return x;
  const a = normalizeAxis("transpose", axis0, n);
  const c = normalizeAxis("transpose", axis1, n);
  const perm = [...Array(n).keys()];
  [perm[a], perm[c]] = [perm[c], perm[a]];
  return permute(x, perm);
}

/** Removes size-1 axes (all of them, or the given ones; others are left alone like PyTorch). */
export function squeeze(
  x: Tensor,
  axis?: number | readonly number[] | { axis?: number | readonly number[] },
): Tensor {
  const shape = nodeOf("squeeze", x).shape;
  const list = axesArg("squeeze", axis);
  const axes = list === undefined
    ? shape.map((_, i) => i)
    : (typeof list === "number" ? [list] : list).map((a) =>
      normalizeAxis("squeeze", a, shape.length)
    );
  return reshape(x, shape.filter((d, i) => !(d === 1 && axes.includes(i))));
}

/** Inserts a size-1 axis at `axis` (negative counts from the end of the result). */
export function unsqueeze(x: Tensor, axis: number | { axis: number }): Tensor {
  const shape = [...nodeOf("unsqueeze", x).shape];
  const a = normalizeAxis("unsqueeze", singleAxis("unsqueeze", axis), shape.length + 1);
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Broadcasts to `shape` (NumPy rules); -1 keeps a size. A view, never a copy. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const node = nodeOf("broadcastTo", x);
  const lead = shape.length - node.shape.length;
  if (lead < 0) {
    throw new RangeError(
      `broadcastTo() cannot broadcast shape ${fmtShape(node.shape)} to fewer axes ${
        fmtShape(shape)
      }`,
    );
  }
  const newAxis = shape.findIndex((d, i) => d === -1 && i < lead);
  if (newAxis >= 0) {
    throw new RangeError(
      `broadcastTo() cannot keep the size (-1) of new leading axis ${newAxis} in ${
        fmtShape(shape)
      }: the tensor of shape ${fmtShape(node.shape)} has no such axis; give its size`,
    );
  }
  const target = checkShape(
    "broadcastTo",
    shape.map((d, i) => (d === -1 ? node.shape[i - lead] : d)),
  );
  const out = broadcastShapes("broadcastTo", node.shape, target);
  if (out.some((d, i) => d !== target[i])) {
    throw new RangeError(
      `broadcastTo() cannot broadcast shape ${fmtShape(node.shape)} to ${
        fmtShape(shape)
      }: only size-1 axes can grow`,
    );
  }
  return wrap(broadcastNode(node, target));
}

/** Joins tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis: number | { axis?: number } = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new TypeError(
      `concat() expected a non-empty array of tensors: found ${fmtValue(tensors)}`,
    );
  }
  const nodes = tensors.map((t, i) => nodeOf("concat", t, i));
  const first = nodes[0].shape;
  const a = normalizeAxis("concat", singleAxis("concat", axis, 0), first.length);
  nodes.forEach((n, i) => {
    if (n.shape.length !== first.length || n.shape.some((d, j) => j !== a && d !== first[j])) {
      throw new RangeError(
        `concat() expected shapes matching ${fmtShape(first)} except on axis ${a}: found ${
          fmtShape(n.shape)
        } at position ${i}`,
      );
    }
  });
  const dtype = nodes.map((n) => n.dtype).reduce(promoteTypes);
  return wrap(joined(nodes, a, dtype));
}

/** Pieces per kernel of `concat`. */
const GROUP = 64;

/**
 * `concat` of validated nodes. Up to `GROUP` pieces are one sum of padded pieces; more are
 * concatenated in groups whose results are buffers (a one-element `reduceMax` is the cut: a
 * reduction read through a pad is not fused), so each output element reads O(GROUP · log n)
 * pieces instead of all n, and no graph walk recurses n deep.
 */
function joined(nodes: readonly Node[], a: number, dtype: DType): Node {
  if (nodes.length > GROUP) {
    const groups: Node[] = [];
    for (let i = 0; i < nodes.length; i += GROUP) {
      const g = joined(nodes.slice(i, i + GROUP), a, dtype);
      // the cut passes gradients straight through (the max's own rule would compare values)
      const cut = b.reduce("reduceMax", b.reshape(g, [1, ...g.shape]), [0]);
      groups.push(b.customVjp([g], cut, (ct) => [ct]));
    }
    return joined(groups, a, dtype);
  }
  const first = nodes[0].shape;
  const total = nodes.reduce((s, n) => s + n.shape[a], 0);
  let offset = 0;
  // concat = sum of padded pieces: one fused kernel, no copies. NOTE: the fill is -0,
  // not 0: x + -0 = x for every float (0 would turn a -0 element into +0)
  const pieces = nodes.map((n) => {
    const before = first.map((_, j) => (j === a ? offset : 0));
    const after = first.map((_, j) => (j === a ? total - offset - n.shape[a] : 0));
    offset += n.shape[a];
    return b.pad(b.cast(n, dtype), before, after, -0);
  });
  return b.combine(dtype === "bool" ? "maximum" : "add", pieces);
}

/** Joins tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis: number | { axis?: number } = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new TypeError(
      `stack() expected a non-empty array of tensors: found ${fmtValue(tensors)}`,
    );
  }
  const first = nodeOf("stack", tensors[0]).shape;
  tensors.forEach((t, i) => {
    const s = nodeOf("stack", t, i).shape;
    if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
      throw new RangeError(
        `stack() expected every tensor to have shape ${fmtShape(first)}: found ${
          fmtShape(s)
        } at position ${i}`,
      );
    }
  });
  const a = normalizeAxis("stack", singleAxis("stack", axis, 0), first.length + 1);
  return concat(tensors.map((t) => unsqueeze(t, a)), a);
}

/** Pads with a constant: `widths[i] = [before, after]` for axis i (NumPy order; missing axes unpadded). */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  const node = nodeOf("pad", x);
  if (!Array.isArray(widths) || widths.length > node.shape.length) {
    throw new RangeError(
      `pad() expected up to ${node.shape.length} [before, after] pairs for shape ${
        fmtShape(node.shape)
      }: found ${fmtValue(widths)}`,
    );
  }
  const pairs = node.shape.map((_, i) => widths[i] ?? [0, 0]);
  for (const p of pairs) checkShape("pad", p);
  return wrap(b.pad(node, pairs.map((p) => p[0]), pairs.map((p) => p[1]), value));
}

/** Reverses the order of elements along the given axes (default all). */
export function flip(
  x: Tensor,
  axis?: number | readonly number[] | { axis?: number | readonly number[] },
): Tensor {
  const node = nodeOf("flip", x);
  const list = axesArg("flip", axis);
  const axes = list === undefined
    ? node.shape.map((_, i) => i)
    : (typeof list === "number" ? [list] : list).map((a) =>
      normalizeAxis("flip", a, node.shape.length)
    );
  return wrap(b.flip(node, axes));
}

/** Repeats the whole tensor `reps[i]` times along axis i (torch `repeat`, NumPy `tile`). */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  const node = nodeOf("tile", x);
  checkShape("tile", reps);
  const n = Math.max(reps.length, node.shape.length);
  const shape = [...Array(n - node.shape.length).fill(1), ...node.shape];
  const r = [...Array(n - reps.length).fill(1), ...reps];
  const interleaved = shape.flatMap((d) => [1, d]);
  const expanded = shape.flatMap((d, i) => [r[i], d]);
  const view = b.expand(b.reshape(node, interleaved), expanded);
  return wrap(b.reshape(view, shape.map((d, i) => d * r[i])));
}

/** Splits into pieces along `axis`: `sections` equal parts, or pieces of the given sizes. */
export function split(
  x: Tensor,
  sections: number | readonly number[],
  axis: number | { axis?: number } = 0,
): Tensor[] {
  const node = nodeOf("split", x);
  const a = normalizeAxis("split", singleAxis("split", axis, 0), node.shape.length);
  const n = node.shape[a];
  let sizes: number[];
  if (typeof sections === "number") {
    if (!Number.isInteger(sections) || sections <= 0 || n % sections !== 0) {
      throw new RangeError(
        `split() cannot split axis ${a} of size ${n} into ${sections} equal parts: pass sizes instead, e.g. [${
          n - 1
        }, 1]`,
      );
    }
    sizes = Array(sections).fill(n / sections);
  } else {
    sizes = checkShape("split", sections);
    const total = sizes.reduce((s, d) => s + d, 0);
    if (total !== n) {
      throw new RangeError(
        `split() sizes ${fmtShape(sizes)} add up to ${total}, not ${n} (axis ${a})`,
      );
    }
  }
  let offset = 0;
  return sizes.map((size) => {
    const start = node.shape.map((_, i) => (i === a ? offset : 0));
    offset += size;
    const shape = node.shape.map((d, i) => (i === a ? size : d));
    return wrap(b.slice(node, start, node.shape.map(() => 1), shape));
  });
}
