/**
 * Creating tensors: from nested arrays or TypedArrays, and the usual
 * factories (zeros, ones, full, arange, linspace, eye, *Like).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { Node } from "./ir/ir.ts";
import { wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { nodeOf } from "./_convert.ts";
import { constant } from "./ops/build.ts";
import { allocate, checkDType, type DataArray, type DType, dtypeOfArray } from "./ir/dtype.ts";
import { checkShape, sizeOf } from "./ir/shape.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { checkDevice, type Device } from "./device.ts";
import { stageNode } from "../jit/realize.ts";

/** Nested arrays of numbers or booleans, any depth. */
export type NestedArray = number | boolean | readonly NestedArray[];

/** Options of `tensor()`. */
export interface TensorOptions {
  /** The element type (default: float32 for numbers, bool for booleans, the array's type for TypedArrays). */
  dtype?: DType;
  /** Reshape flat data to this shape. */
  shape?: readonly number[];
  /** The device to place it on (default cpu; open others with `await device(...)` first). */
  device?: Device;
}

/** Anything `tensor()` accepts: nested arrays, a TypedArray or a number. */
export type TensorData =
  | NestedArray
  | DataArray
  | Int8Array
  | Int16Array
  | Uint16Array
  | Uint32Array
  | Uint8ClampedArray;

function pathOf(path: readonly number[]): string {
  return path.map((i) => `[${i}]`).join("");
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenNested(
  data: NestedArray,
  shape: readonly number[],
): { values: number[]; kind: DType } {
  const values: number[] = [];
  let allBool = true;
  const walk = (x: NestedArray, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (typeof x === "number") {
        allBool = false;
        values.push(x);
      } else if (typeof x === "boolean") {
        values.push(x ? 1 : 0);
      } else {
        const what = Array.isArray(x) ? "a nested array (too deep)" : fmtValue(x);
        throw new TypeError(
          `tensor() expected numbers or booleans: found ${what} at ${pathOf(path)}: ` +
            `convert the data to numbers first (NaN and Infinity are allowed)`,
        );
      }
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      const found = Array.isArray(x) ? `length ${x.length}` : fmtValue(x);
      throw new RangeError(
        `tensor() got a ragged nested array: expected length ${shape[depth]} at ${
          pathOf(path) || "the top level"
        } but found ${found}: every row must have the same length (inferred shape ${
          fmtShape(shape)
        })`,
      );
    }
    x.forEach((y, i) => walk(y, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  // NOTE: numbers give float32 even when whole: JS cannot tell 3.0 from 3, and
  // an int tensor from `tensor([1, 2])` would surprise (and refuse gradients)
  const kind: DType = values.length > 0 && allBool ? "bool" : "float32";
  return { values, kind };
}

function typedKind(data: ArrayLike<number>): DType {
  const d = dtypeOfArray(data as DataArray);
  return d === "bool" ? "int32" : d;
}

/**
 * Creates a tensor from nested arrays, a TypedArray or a number (copied).
 * @param data nested arrays of numbers/booleans, a TypedArray, or a scalar
 * @param options `dtype` and `shape`
 * @returns a new tensor
 * @example From nested arrays
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
 * assertEquals(x.shape, [2, 3]);
 * ```
 */
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  checkOptions("tensor", options, ["dtype", "shape", "device"]);
  const requested = options.dtype === undefined ? undefined : checkDType(options.dtype, "tensor");
  let values: ArrayLike<number>;
  let shape: number[];
  let kind: DType;
  if (ArrayBuffer.isView(data)) {
    values = data as ArrayLike<number>;
    shape = [values.length];
    kind = typedKind(values);
  } else {
    shape = inferShape(data as NestedArray);
    const flat = flattenNested(data as NestedArray, shape);
    values = flat.values;
    kind = flat.kind;
  }
  if (options.shape !== undefined) {
    const target = checkShape("tensor", options.shape);
    if (sizeOf(target) !== values.length) {
      throw new RangeError(
        `tensor() cannot shape ${values.length} values as ${fmtShape(target)} (${
          sizeOf(target)
        } elements): ` +
          `the shape must hold exactly the data`,
      );
    }
    shape = target;
  }
  const dtype = requested ?? kind;
  const on = checkDevice("tensor", options.device);
  const buffer = allocate(dtype, values.length);
  if (dtype === "bool") {
    for (let i = 0; i < values.length; i++) {
      buffer[i] = values[i] !== 0 ? 1 : 0;
    }
  } else buffer.set(values as ArrayLike<number>);
  const node = Node.fromBuffer(buffer, dtype, shape, on);
  stageNode(node);
  return wrap(node);
}

/** Options naming a dtype and a device. */
export interface DTypeOptions {
  /** The element type. */
  dtype?: DType;
  /** The device to place it on (default cpu; `*Like`: that of the model tensor). */
  device?: Device;
}

function dtypeFor(op: string, options: DTypeOptions, fallback: DType): DType {
  return options.dtype === undefined ? fallback : checkDType(options.dtype, op);
}

/** A tensor of `shape` filled with `value` (bool for a boolean, else float32, unless `dtype` says otherwise). */
export function full(
  shape: readonly number[],
  value: number | boolean,
  options: DTypeOptions = {},
): Tensor {
  const s = checkShape("full", shape);
  const inferred: DType = typeof value === "boolean" ? "bool" : "float32";
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new TypeError(`full() expected a number or boolean fill value: found ${fmtValue(value)}`);
  }
  const dtype = dtypeFor("full", checkOptions("full", options, ["dtype", "device"]), inferred);
  return wrap(constant(Number(value), dtype, s, checkDevice("full", options.device)));
}

function filled(op: string, shape: readonly number[], value: number, options: DTypeOptions) {
  checkOptions(op, options, ["dtype", "device"]);
  const s = checkShape(op, shape);
  const on = checkDevice(op, options.device);
  return wrap(constant(value, dtypeFor(op, options, "float32"), s, on));
}

/** A tensor of zeros (float32 unless `dtype` says otherwise). */
export function zeros(shape: readonly number[], options: DTypeOptions = {}): Tensor {
  return filled("zeros", shape, 0, options);
}

/** A tensor of ones (float32 unless `dtype` says otherwise). */
export function ones(shape: readonly number[], options: DTypeOptions = {}): Tensor {
  return filled("ones", shape, 1, options);
}

/** Zeros with the shape and dtype of `x`. */
export function zerosLike(x: Tensor, options: DTypeOptions = {}): Tensor {
  checkOptions("zerosLike", options, ["dtype", "device"]);
  const n = nodeOf("zerosLike", x);
  return zeros(n.shape, { dtype: options.dtype ?? n.dtype, device: options.device ?? n.device });
}

/** Ones with the shape and dtype of `x`. */
export function onesLike(x: Tensor, options: DTypeOptions = {}): Tensor {
  checkOptions("onesLike", options, ["dtype", "device"]);
  const n = nodeOf("onesLike", x);
  return ones(n.shape, { dtype: options.dtype ?? n.dtype, device: options.device ?? n.device });
}

/** `value` with the shape and dtype of `x`. */
export function fullLike(x: Tensor, value: number | boolean, options: DTypeOptions = {}): Tensor {
  checkOptions("fullLike", options, ["dtype", "device"]);
  const n = nodeOf("fullLike", x);
  return full(n.shape, value, {
    dtype: options.dtype ?? n.dtype,
    device: options.device ?? n.device,
  });
}

function fromValues(
  op: string,
  values: ArrayLike<number>,
  shape: number[],
  options: DTypeOptions & { fallback: DType },
): Tensor {
  const dtype = dtypeFor(op, options, options.fallback);
  const buffer = allocate(dtype, values.length);
  buffer.set(values);
  return wrap(Node.fromBuffer(buffer, dtype, shape, checkDevice(op, options.device)));
}

/**
 * Evenly spaced values in `[start, stop)`: `arange(n)` or `arange(start, stop, step)`.
 * Integer arguments give int32, fractional ones float32 (like PyTorch).
 */
export function arange(start: number, stop?: number, step = 1, options: DTypeOptions = {}): Tensor {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  for (const v of [lo, hi, step]) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(`arange() expected finite numbers: found ${fmtValue(v)}`);
    }
  }
  if (step === 0) throw new RangeError("arange() step must not be 0");
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const inferred = [lo, hi, step].every(Number.isInteger) ? "int32" : "float32";
  const values = Array.from({ length: n }, (_, i) => lo + i * step);
  checkOptions("arange", options, ["dtype", "device"]);
  return fromValues("arange", values, [n], { ...options, fallback: inferred });
}

/** `num` evenly spaced values from `start` to `stop` inclusive (float32 by default). */
export function linspace(
  start: number,
  stop: number,
  num: number,
  options: DTypeOptions = {},
): Tensor {
  checkOptions("linspace", options, ["dtype", "device"]);
  checkShape("linspace", [num]);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  // like PyTorch: the first half counts up from start, the second half down from stop
  // (a single point is `start`)
  const half = num === 1 ? 1 : Math.floor(num / 2);
  const values = Array.from(
    { length: num },
    (_, i) => (i < half ? start + i * step : stop - (num - 1 - i) * step),
  );
  return fromValues("linspace", values, [num], { ...options, fallback: "float32" });
}

/** The `n × m` identity matrix (m defaults to n). */
export function eye(n: number, m: number = n, options: DTypeOptions = {}): Tensor {
  checkShape("eye", [n, m]);
  const values = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  checkOptions("eye", options, ["dtype", "device"]);
  return fromValues("eye", values, [n, m], { ...options, fallback: "float32" });
}
