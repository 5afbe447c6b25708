/**
 * Shapes: validation, sizes, strides, NumPy broadcasting and axis
 * normalisation, with the error messages users see.
 * @module
 */
import { fmtShape, fmtValue } from "./errors.ts";

/** A tensor's shape: non-negative integer sizes, outermost first. */
export type Shape = readonly number[];

/** The number of elements of a shape. */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/** Whether two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks a user-given shape: an array of non-negative integers.
 * @param op the operation, for the message
 * @param shape what the user passed
 * @returns the shape as a fresh array
 */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(
      `${op}() expected a shape (an array of sizes): found ${fmtValue(shape)}: pass e.g. [2, 3]`,
    );
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new RangeError(
        `${op}() expected non-negative integer sizes: found ${fmtValue(d)} in shape ${
          fmtShape(shape.map((x) => (typeof x === "number" ? x : NaN)))
        }: sizes must be whole numbers >= 0`,
      );
    }
  }
  return [...shape];
}

/**
 * NumPy broadcasting of two shapes (align from the right; sizes must match
 * or be 1).
 * @param op the operation, for the message
 * @param a the first shape
 * @param b the second shape
 * @returns the broadcast shape
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  const clashes: string[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) clashes.push(`axis ${i - n} (${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  if (clashes.length > 0) {
    throw new RangeError(
      `${op}() cannot broadcast shapes ${fmtShape(a)} and ${fmtShape(b)}: sizes differ at ${
        clashes.join(", ")
      }: sizes must be equal or 1 on each axis, counted from the right; reshape or transpose one operand`,
    );
  }
  return out;
}

/**
 * Normalises a possibly negative axis to `[0, ndim)`.
 * @param op the operation, for the message
 * @param axis the axis as given
 * @param ndim the number of dimensions
 * @returns the axis in `[0, ndim)`
 */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) {
    throw new TypeError(`${op}() expected an integer axis: found ${fmtValue(axis)}`);
  }
  if (axis < -ndim || axis >= ndim) {
    const range = ndim === 0 ? "none (the tensor is 0-d)" : `-${ndim} to ${ndim - 1}`;
    throw new RangeError(
      `${op}() axis ${axis} is out of range for a ${ndim}-d tensor: valid axes are ${range}`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Normalises `axis?: number | number[]` to a sorted list of distinct axes
 * (all axes when undefined).
 */
export function normalizeAxes(
  op: string,
  axis: number | readonly number[] | undefined,
  ndim: number,
): number[] {
  if (axis === undefined || axis === null) return [...Array(ndim).keys()];
  const list = typeof axis === "number" ? [axis] : [...axis];
  const axes = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(axes).size !== axes.length) {
    throw new RangeError(`${op}() got a repeated axis: ${fmtShape(list)}: list each axis once`);
  }
  return axes.sort((x, y) => x - y);
}
