/**
 * Scatters and masked writes, as torch: `scatterAdd`, `scatter`, `indexAdd`,
 * `indexSelect`, `maskedFill`. Every scatter is one scatter-add into zeros
 * (`ops/scatter.ts`): linear in the number of updates on the CPU, so an
 * embedding's gradient costs batch × dim, not vocabulary × batch × dim.
 * Tensors are immutable: each returns a new tensor (torch's out-of-place forms).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { isStaging, wrap } from "./_wrap.ts";
import { tensor } from "./creation.ts";
import { broadcastTo } from "./movement.ts";
import { checkOptions } from "./_options.ts";
import * as b from "./ops/build.ts";
import { scatterInto } from "./ops/scatter.ts";
import type { Node } from "./ir/ir.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { broadcastShapes, normalizeAxis, shapesEqual } from "./ir/shape.ts";
import { checkIndexTensor, checkIndices } from "./_index_check.ts";
import { take } from "./indexing.ts";

/** Checks torch's scatter shapes and returns the sum of `src` at `index`, zero-padded to x's shape. */
function scatteredSum(op: string, x: Node, axis: number, index: Tensor, src: Node): Node {
  checkIndexTensor(op, index);
  const idx = index.node;
  const a = normalizeAxis(op, axis, x.shape.length);
  const fits = idx.shape.length === x.shape.length && src.shape.length === x.shape.length &&
    idx.shape.every((d, i) => d <= src.shape[i] && (i === a || d <= x.shape[i]));
  if (!fits) {
    throw new RangeError(
      `${op}() expected an index of the input's rank no larger than the source on every axis ` +
        `and than the input off axis ${a}: found input ${fmtShape(x.shape)}, index ${
          fmtShape(idx.shape)
        }, source ${fmtShape(src.shape)}`,
    );
  }
  if (src.dtype !== x.dtype) {
    throw new TypeError(
      `${op}() expected a source of the input's dtype ${x.dtype}: found ${src.dtype}: convert with .astype("${x.dtype}")`,
    );
  }
  // torch reads only the index-shaped corner of the source
  const used = b.slice(src, src.shape.map(() => 0), src.shape.map(() => 1), idx.shape);
  const sum = scatterInto(used, idx, a, x.shape[a]);
  checkIndices(op, idx, x.shape[a], sum);
  return b.pad(sum, sum.shape.map(() => 0), sum.shape.map((d, i) => x.shape[i] - d), 0);
}

/**
 * torch.scatter_add: `out = x`, then `out[…index[…i…]…] += src[…i…]` along
 * `axis` (the index replaces the coordinate on `axis`); repeated indices
 * accumulate. Gradients: `x` gets `ct`, `src` gets `ct` gathered at `index`.
 * @param x the input
 * @param axis the axis the index addresses
 * @param index int32, the rank of `x`, no larger than `src` (and than `x` off `axis`)
 * @param src the values added, the dtype of `x`
 * @returns a new tensor shaped like `x`
 * @example Counting into bins
 * ```ts
 * import { scatterAdd, tensor, zeros } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const bins = scatterAdd(zeros([3]), 0, tensor([0, 2, 0], { dtype: "int32" }), tensor([1, 1, 1]));
 * assertEquals(bins.toArray(), [2, 0, 1]);
 * ```
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const node = nodeOf("scatterAdd", x);
  const sum = scatteredSum("scatterAdd", node, axis, index, nodeOf("scatterAdd", src, 3));
  return wrap(b.alu("add", node, sum));
}

/**
 * torch.scatter: `x` with `out[…index[…i…]…] = src[…i…]` along `axis`, or the
 * number `src` at every indexed cell. NOTE: where an index repeats, torch
 * leaves which value lands unspecified; here the values add up (give
 * distinct indices, or use `scatterAdd` when a sum is meant).
 * @param x the input
 * @param axis the axis the index addresses
 * @param index int32, the rank of `x`, no larger than `src` (and than `x` off `axis`)
 * @param src the values written (the dtype of `x`), or one number
 * @returns a new tensor shaped like `x`
 * @example Writing a row's chosen columns
 * ```ts
 * import { scatter, tensor, zeros } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const out = scatter(zeros([2, 3]), 1, tensor([[2], [0]], { dtype: "int32" }), 7);
 * assertEquals(out.toArray(), [[0, 0, 7], [7, 0, 0]]);
 * ```
 */
export function scatter(x: Tensor, axis: number, index: Tensor, src: Tensor | number): Tensor {
  const node = nodeOf("scatter", x);
  checkIndexTensor("scatter", index);
  const ones = b.constant(1, node.dtype, index.node.shape, node.device);
  const hits = scatteredSum("scatter", node, axis, index, ones);
  const hit = b.alu("cmplt", b.constant(0, node.dtype, node.shape, node.device), hits);
  if (typeof src === "number") {
    return wrap(b.alu("where", hit, b.constant(src, node.dtype, node.shape, node.device), node));
  }
  const sum = scatteredSum("scatter", node, axis, index, nodeOf("scatter", src, 3));
  return wrap(b.alu("where", hit, sum, node));
}

/** Options of `indexAdd`. */
export interface IndexAddOptions {
  /** Scale of the added source (torch's `alpha`); 1 by default. */
  alpha?: number;
}

/**
 * torch.index_add: `x` with `source`'s slice k added at position `index[k]`
 * of `axis` (repeated indices accumulate).
 * @param x the input
 * @param axis the axis the index addresses
 * @param index 1-d int32
 * @param source shaped like `x` but `index.size` long on `axis`
 * @param options `alpha` scales the source
 * @returns a new tensor shaped like `x`
 * @example Adding rows
 * ```ts
 * import { indexAdd, ones, tensor, zeros } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const out = indexAdd(zeros([3, 2]), 0, tensor([2, 2], { dtype: "int32" }), ones([2, 2]));
 * assertEquals(out.toArray(), [[0, 0], [0, 0], [2, 2]]);
 * ```
 */
export function indexAdd(
  x: Tensor,
  axis: number,
  index: Tensor,
  source: Tensor,
  options: IndexAddOptions = {},
): Tensor {
  checkOptions("indexAdd", options, ["alpha"]);
  const node = nodeOf("indexAdd", x);
  const src = nodeOf("indexAdd", source, 3);
  const idx = checkIndex1d("indexAdd", index);
  const a = normalizeAxis("indexAdd", axis, node.shape.length);
  const want = node.shape.map((d, i) => (i === a ? idx.shape[0] : d));
  if (!shapesEqual(src.shape, want)) {
    throw new RangeError(
      `indexAdd() expected a source of shape ${fmtShape(want)} (the input's, with axis ${a} ` +
        `as long as the index): found ${fmtShape(src.shape)}`,
    );
  }
  const spread = b.expand(b.reshape(idx, want.map((d, i) => (i === a ? d : 1))), want);
  const scaled = options.alpha === undefined || options.alpha === 1
    ? source
    : source.mul(options.alpha);
  return scatterAdd(x, a, wrap(spread), scaled);
}

function checkIndex1d(op: string, index: Tensor): Node {
  checkIndexTensor(op, index);
  if (index.node.shape.length !== 1) {
    throw new RangeError(
      `${op}() expected a 1-d index: found shape ${
        fmtShape(index.node.shape)
      }: flatten it with .reshape([-1])`,
    );
  }
  return index.node;
}

/**
 * torch.index_select: the slices of `x` at positions `index` along `axis`.
 * @param x the input
 * @param axis the axis to pick along
 * @param index 1-d int32 (negative counts from the end)
 * @returns `x` with `axis` replaced by the index's length
 * @example Rows 2 and 0
 * ```ts
 * import { arange, indexSelect, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = arange(6).reshape([3, 2]);
 * assertEquals(indexSelect(x, 0, tensor([2, 0], { dtype: "int32" })).toArray(), [[4, 5], [0, 1]]);
 * ```
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const node = nodeOf("indexSelect", x);
  checkIndex1d("indexSelect", index);
  return take(x, index, normalizeAxis("indexSelect", axis, node.shape.length));
}

/**
 * torch.masked_fill: `value` where the boolean `mask` (broadcast to x's shape) is true.
 * @param x the input
 * @param mask bool, broadcastable to the shape of `x`
 * @param value the fill (a number or a 0-d tensor)
 * @returns a new tensor shaped like `x`
 * @example A causal mask
 * ```ts
 * import { maskedFill, ones, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const future = tensor([[false, true], [false, false]]);
 * assertEquals(maskedFill(ones([2, 2]), future, -Infinity).toArray(), [[1, -Infinity], [1, 1]]);
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  const node = nodeOf("maskedFill", x);
  const m = nodeOf("maskedFill", mask, 1);
  if (m.dtype !== "bool") {
    throw new TypeError(
      `maskedFill() expected a bool mask: found ${m.dtype}: compare first (x.eq(0)) or .astype("bool")`,
    );
  }
  if (!shapesEqual(broadcastShapes("maskedFill", node.shape, m.shape), node.shape)) {
    throw new RangeError(
      `maskedFill() expected a mask that broadcasts to the input's shape ${
        fmtShape(node.shape)
      }: found ${fmtShape(m.shape)}`,
    );
  }
  let fill: Node;
  if (typeof value === "number") fill = b.constant(value, node.dtype, node.shape, node.device);
  else {
    const v = nodeOf("maskedFill", value, 2);
    if (v.shape.length !== 0) {
      throw new RangeError(
        `maskedFill() expected a number or a 0-d tensor as the value: found shape ${
          fmtShape(v.shape)
        }: ${fmtValue(value)}`,
      );
    }
    fill = b.expand(b.reshape(b.cast(v, node.dtype), node.shape.map(() => 1)), node.shape);
  }
  const spread = b.expand(
    b.reshape(m, [
      ...node.shape.slice(0, node.shape.length - m.shape.length).map(() => 1),
      ...m.shape,
    ]),
    node.shape,
  );
  return wrap(b.alu("where", spread, fill, node));
}

/**
 * torch.masked_select: the elements of `x` where `mask` (broadcast with `x`)
 * is true, as a 1-d tensor in row-major order. Its length depends on the
 * mask's values, so the mask is read when this is called: not inside `jit`
 * (there, keep the shape static with `maskedFill` or `where`). Gradients flow
 * to the selected elements.
 * @param x the input
 * @param mask bool, broadcastable with `x`
 * @returns the selected elements, 1-d
 * @example
 * ```ts
 * import { maskedSelect, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([[1, 2], [3, 4]]);
 * assertEquals(maskedSelect(x, tensor([false, true])).toArray(), [2, 4]);
 * ```
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const node = nodeOf("maskedSelect", x);
  const m = nodeOf("maskedSelect", mask, 1);
  if (m.dtype !== "bool") {
    throw new TypeError(
      `maskedSelect() expected a bool mask: found ${m.dtype}: compare first (x.gt(0)) or .astype("bool")`,
    );
  }
  if (isStaging()) {
    throw new TypeError(
      "maskedSelect() gives a shape that depends on the mask's values, which jit does not know " +
        "while tracing: select outside jit, or keep the shape with maskedFill(x, mask.logicalNot(), 0) or where()",
    );
  }
  const shape = broadcastShapes("maskedSelect", node.shape, m.shape);
  const full = wrap(b.reshape(broadcastTo(x, shape).node, [shape.reduce((p, d) => p * d, 1)]));
  if (m.device !== "cpu") {
    throw new TypeError(
      `maskedSelect() reads the mask's values when called, on the cpu: found a mask on ${m.device}: ` +
        `pass a cpu mask (await toCpu(mask)); the selected tensor may stay on ${node.device}`,
    );
  }
  const bits = broadcastTo(mask, shape).dataSync();
  const picked: number[] = [];
  for (let i = 0; i < bits.length; i++) if (bits[i]) picked.push(i);
  return take(full, tensor(picked, { dtype: "int32", shape: [picked.length] }).to(node.device));
}
