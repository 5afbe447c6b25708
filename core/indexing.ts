/**
 * Indexing: NumPy-style slices (steps and negative indices), integer
 * indexing, `take`, `gather` and `oneHot`. Views and gathers are index
 * arithmetic inside kernels; out-of-range indices raise clear errors.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import * as b from "./ops/build.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { checkIndexTensor, checkIndices } from "./_index_check.ts";
import { normalizeAxis, sizeOf } from "./ir/shape.ts";
import { realize } from "../jit/realize.ts";
import type { DType } from "./ir/dtype.ts";

/**
 * One axis of a slice: an integer (selects and drops the axis), `null`
 * (the whole axis) or `[start, stop, step]` with any part `null`/omitted
 * (NumPy rules: negative indices count from the end, negative steps go back).
 */
export type SliceSpec =
  | number
  | null
  | readonly [start?: number | null, stop?: number | null, step?: number | null];

function bounds(
  op: string,
  spec: SliceSpec,
  n: number,
  axis: number,
): { start: number; step: number; size: number } {
  if (typeof spec === "number") {
    if (!Number.isInteger(spec)) {
      throw new TypeError(
        `${op}() expected an integer index on axis ${axis}: found ${spec}: indices must be whole numbers`,
      );
    }
    const i = spec < 0 ? spec + n : spec;
    if (i < 0 || i >= n) {
      throw new RangeError(
        `${op}() index ${spec} is out of range for axis ${axis} of size ${n}: use ${-n} to ${
          n - 1
        }`,
      );
    }
    return { start: i, step: 1, size: 1 };
  }
  if (spec === null) return { start: 0, step: 1, size: n };
  if (!Array.isArray(spec)) {
    throw new TypeError(
      `${op}() expected an integer, null or [start, stop, step] for axis ${axis}: found ${
        fmtValue(spec)
      }`,
    );
  }
  if (spec.some((part) => Array.isArray(part))) {
    throw new TypeError(
      `${op}() expected one spec per axis as separate arguments: found nested arrays on axis ${axis}: ` +
        `write x.slice([1, null], [null, null, 2]) for x[1:, ::2] (or spread a list: x.slice(...specs))`,
    );
  }
  const step = spec[2] ?? 1;
  if (!Number.isInteger(step) || step === 0) {
    throw new RangeError(
      `${op}() step must be a non-zero integer on axis ${axis}: found ${fmtValue(step)}`,
    );
  }
  const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number) => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) {
      throw new TypeError(`${op}() slice bounds must be integers: found ${v} on axis ${axis}`);
    }
    return clampTo(v < 0 ? v + n : v, lo, hi);
  };
  const start = step > 0 ? norm(spec[0], 0, 0, n) : norm(spec[0], n - 1, -1, n - 1);
  const stop = step > 0 ? norm(spec[1], n, 0, n) : norm(spec[1], -1, -1, n - 1);
  const size = Math.max(0, Math.ceil((stop - start) / step));
  return { start: size === 0 ? 0 : start, step, size };
}

/**
 * Slices with one spec per leading axis (missing axes are kept whole).
 * @example Every other column, rows reversed
 * ```ts
 * import { arange } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = arange(6).reshape([2, 3]);
 * assertEquals(x.slice([null, null, -1], [0, null, 2]).toArray(), [[3, 5], [0, 2]]);
 * ```
 */
export function slice(x: Tensor, ...specs: SliceSpec[]): Tensor {
  const node = nodeOf("slice", x);
  if (specs.length > node.shape.length) {
    throw new RangeError(
      `slice() got ${specs.length} specs for a ${node.shape.length}-d tensor of shape ${
        fmtShape(node.shape)
      }: ` +
        `give at most one per axis`,
    );
  }
  const parts = node.shape.map((n, d) => bounds("slice", d < specs.length ? specs[d] : null, n, d));
  const view = b.slice(
    node,
    parts.map((p) => p.start),
    parts.map((p) => p.step),
    parts.map((p) => p.size),
  );
  const kept = node.shape.map((_, d) => typeof specs[d] !== "number");
  return wrap(b.reshape(view, parts.filter((_, d) => kept[d]).map((p) => p.size)));
}

/**
 * The sub-tensor at `index` along `axis`, which is dropped: torch's
 * `select(dim, index)` order (`x.select(0, 1)` is row 1).
 * @example Row 1, then column 0
 * ```ts
 * import { arange } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = arange(6).reshape([2, 3]);
 * assertEquals(x.select(0, 1).toArray(), [3, 4, 5]);
 * assertEquals(x.select(1, 0).toArray(), [0, 3]);
 * ```
 */
export function select(x: Tensor, axis: number, index: number): Tensor {
  const shape = nodeOf("select", x).shape;
  if (index === undefined) {
    throw new TypeError(
      `select() expected an axis and an index, torch's order: found only ${
        fmtValue(axis)
      }: write select(x, 0, i) or x.select(0, i) for entry i along axis 0`,
    );
  }
  const a = normalizeAxis("select", axis, shape.length);
  bounds("select", index, shape[a], a); // so that a bad index is reported as select()'s
  return slice(x, ...Array.from({ length: a + 1 }, (_, d) => (d === a ? index : null)));
}

/** torch.gather: `out[…i…] = x[…index[…i…]…]` along `axis`; `index` has x's rank. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const src = nodeOf("gather", x);
  checkIndexTensor("gather", index);
  const idx = index.node;
  const a = normalizeAxis("gather", axis, src.shape.length);
  if (
    idx.shape.length !== src.shape.length || idx.shape.some((d, i) => i !== a && d > src.shape[i])
  ) {
    throw new RangeError(
      `gather() expected an index of rank ${src.shape.length} no larger than ${
        fmtShape(src.shape)
      } off axis ${a}: ` +
        `found ${fmtShape(idx.shape)}`,
    );
  }
  const out = b.gather(src, idx, a);
  checkIndices("gather", idx, src.shape[a], out);
  return wrap(out);
}

/** NumPy take: picks entries along `axis` (flattened when omitted) by an int32 index tensor of any shape. */
export function take(x: Tensor, index: Tensor, axis?: number): Tensor {
  const node = nodeOf("take", x);
  checkIndexTensor("take", index);
  const idx = index.node;
  const src = axis === undefined ? b.reshape(node, [sizeOf(node.shape)]) : node;
  const a = axis === undefined ? 0 : normalizeAxis("take", axis, node.shape.length);
  const pre = src.shape.slice(0, a);
  const post = src.shape.slice(a + 1);
  const count = sizeOf(idx.shape);
  const src3 = b.reshape(src, [sizeOf(pre), src.shape[a], sizeOf(post)]);
  const idx3 = b.expand(b.reshape(idx, [1, count, 1]), [sizeOf(pre), count, sizeOf(post)]);
  const out = b.gather(src3, idx3, 1);
  checkIndices("take", idx, src.shape[a], out);
  return wrap(b.reshape(out, [...pre, ...idx.shape, ...post]));
}

/**
 * One-hot encoding of int32 labels: a new last axis of size `numClasses`.
 * Labels outside `[0, numClasses)` raise an error naming the first bad one.
 */
export function oneHot(
  labels: Tensor,
  numClasses: number,
  options: { dtype?: DType } = {},
): Tensor {
  checkOptions("oneHot", options, ["dtype"]);
  const node = nodeOf("oneHot", labels);
  if (node.dtype !== "int32") {
    throw new TypeError(
      `oneHot() expected int32 labels: found ${node.dtype}: convert with .astype("int32")`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new RangeError(
      `oneHot() expected a positive integer numClasses: found ${fmtValue(numClasses)}`,
    );
  }
  realize([node]);
  const values = node.buffer;
  if (values === undefined) {
    throw new TypeError(
      `oneHot() checks labels on the cpu: found labels computed on ${node.device}: ` +
        `pass labels made on the cpu (moved with .to("${node.device}")), or await toCpu(labels) first`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= numClasses) {
      throw new RangeError(
        `oneHot() label ${
          values[i]
        } at flat position ${i} is out of range for ${numClasses} classes: labels must be in [0, ${
          numClasses - 1
        }]`,
      );
    }
  }
  const shape = [...node.shape, numClasses];
  const classes = b.expand(
    b.reshape(b.iota(numClasses, node.device), [...node.shape.map(() => 1), numClasses]),
    shape,
  );
  const hot = b.alu("cmpeq", b.expand(b.reshape(node, [...node.shape, 1]), shape), classes);
  return wrap(b.cast(hot, options.dtype ?? "int32"));
}
