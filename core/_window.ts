/**
 * Sliding windows as views: the index maps behind convolution (im2col) and
 * pooling, built from reshape, expand, pad and strided slices only (the
 * trick tinygrad's `_pool` uses), so they fuse into the kernels that read them
 * and their gradients (col2im) come from the views' own rules.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { broadcastTo, pad, reshape } from "./movement.ts";
import { slice, type SliceSpec } from "./indexing.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";

/** A slice spec that keeps axes before `axis` whole and applies `spec` at `axis`. */
function at(axis: number, spec: SliceSpec): SliceSpec[] {
  return [...Array(axis).fill(null), spec];
}

/** The number of windows of size `k` (dilation `d`) at stride `s` in a length `i`. */
export function windowCount(i: number, k: number, s: number, d: number): number {
  return Math.floor((i - d * (k - 1) - 1) / s) + 1;
}

/**
 * Replaces axis `axis` (length i) by two axes `[k, o]`:
 * `out[…, kk, oo, …] = x[…, oo·s + kk·d, …]` (the caller checks that o ≥ 1).
 * @param x the tensor
 * @param axis the axis to unfold
 * @param k the window size
 * @param s the stride
 * @param d the dilation
 * @returns the unfolded view
 */
export function unfoldAxis(x: Tensor, axis: number, k: number, s: number, d: number): Tensor {
  const shape = x.shape;
  const i = shape[axis];
  const o = windowCount(i, k, s, d);
  const before = shape.slice(0, axis);
  const after = shape.slice(axis + 1);
  if (d === 1 && k <= s) {
    // windows do not overlap: split the axis into [o, s] rows and keep the first k of each
    const need = o * s;
    const fitted = need > i
      ? pad(x, [...before.map(() => [0, 0] as [number, number]), [0, need - i]])
      : slice(x, ...at(axis, [0, need]));
    const rows = slice(reshape(fitted, [...before, o, s, ...after]), ...at(axis + 1, [0, k]));
    const perm = rows.shape.map((_, j) => j === axis ? axis + 1 : j === axis + 1 ? axis : j);
    return rows.permute(perm);
  }
  // repeat the axis e times, then read it as rows of length i + d: row kk starts kk·d later
  const e = Math.ceil((k * (i + d)) / i);
  const repeated = broadcastTo(reshape(x, [...before, 1, i, ...after]), [
    ...before,
    e,
    i,
    ...after,
  ]);
  const flat = slice(
    reshape(repeated, [...before, e * i, ...after]),
    ...at(axis, [0, k * (i + d)]),
  );
  const rows = reshape(flat, [...before, k, i + d, ...after]);
  return slice(rows, ...at(axis + 1, [0, o * s, s]));
}

/** Reads a per-axis option: a number for every axis or one number per axis. */
export function perAxis(
  op: string,
  name: string,
  value: number | readonly number[] | undefined,
  fallback: number,
  n: number,
  min: number,
): number[] {
  const values = value === undefined
    ? Array(n).fill(fallback)
    : typeof value === "number"
    ? Array(n).fill(value)
    : [...value];
  if (
    values.length !== n || values.some((v) => !Number.isInteger(v) || v < min)
  ) {
    throw new RangeError(
      `${op}() expected ${name} to be an integer ≥ ${min} or ${n} of them: found ${
        fmtValue(value)
      }`,
    );
  }
  return values;
}

/** Checks that `x` has `nd` spatial axes after [N, C] (or [C] unbatched) and returns it batched. */
export function batched(op: string, x: Tensor, nd: number): [Tensor, boolean] {
  if (x.shape.length === nd + 2) return [x, false];
  if (x.shape.length === nd + 1) return [reshape(x, [1, ...x.shape]), true];
  const axes = nd === 1
    ? "[N, C, L] or [C, L]"
    : `[N, C, ${"HWD".slice(0, nd).split("").join(", ")}]`;
  throw new RangeError(
    `${op}() expected a ${nd + 2}-d input ${axes} (or ${nd + 1}-d unbatched): found shape ${
      fmtShape(x.shape)
    }`,
  );
}

/**
 * Pads (or, for negative widths, crops) the spatial axes 2… of `x`.
 * @param x the tensor `[N, C, ...spatial]`
 * @param widths `[before, after]` per spatial axis
 * @param value the fill value
 * @returns the padded tensor
 */
export function padSpatial(
  x: Tensor,
  widths: readonly (readonly [number, number])[],
  value: number,
): Tensor {
  const grow = widths.map(([l, r]) => [Math.max(l, 0), Math.max(r, 0)] as [number, number]);
  let y = grow.some(([l, r]) => l > 0 || r > 0) ? pad(x, [[0, 0], [0, 0], ...grow], value) : x;
  widths.forEach(([l, r], j) => {
    if (l < 0 || r < 0) {
      const n = y.shape[j + 2];
      y = slice(y, ...at(j + 2, [Math.max(-l, 0), n - Math.max(-r, 0)]));
    }
  });
  return y;
}
