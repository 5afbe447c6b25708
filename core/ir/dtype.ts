/**
 * Data types: float32 (the default, like PyTorch), float64, float16, int32
 * and bool, their TypedArray storage and PyTorch-like promotion. float16
 * lives in a `Float16Array`, so it needs a runtime that has one.
 * @module
 */

/** The element types a tensor can hold. */
export type DType = "float16" | "float32" | "float64" | "int32" | "bool";

/** Every dtype, in promotion order (bool < int32 < float16 < float32 < float64). */
export const dtypes: readonly DType[] = ["bool", "int32", "float16", "float32", "float64"];

/** The TypedArray that stores each dtype. */
export type TypedArrayFor<D extends DType> = D extends "float32" ? Float32Array
  : D extends "float64" ? Float64Array
  : D extends "float16" ? Float16Array
  : D extends "int32" ? Int32Array
  : Uint8Array;

/** Any buffer a tensor can live in. */
export type DataArray = Float16Array | Float32Array | Float64Array | Int32Array | Uint8Array;

const rank: Record<DType, number> = { bool: 0, int32: 1, float16: 2, float32: 3, float64: 4 };

// NOTE: looked up, not referenced, so that loading Lathe works where they are missing
const half = globalThis as { Float16Array?: typeof Float16Array; Math: Partial<typeof Math> };

/**
 * The `Float16Array` constructor, or an error saying that float16 needs one.
 * @returns the constructor
 */
export function float16Array(): typeof Float16Array {
  const F16 = half.Float16Array;
  if (F16 === undefined || half.Math.f16round === undefined) {
    throw new TypeError(
      "float16 tensors need Float16Array and Math.f16round, which this runtime lacks: " +
        "use a runtime that has them (Deno 2, Node 24+, current browsers), or use float32",
    );
  }
  return F16;
}

/**
 * Rounds a number to the nearest float16 (ties to even; overflow gives ±Infinity).
 * @param value the number
 * @returns the float16 value, as a number
 */
export function f16round(value: number): number {
  float16Array();
  return half.Math.f16round!(value);
}

/**
 * Checks that a value names a dtype.
 * @param value what the user passed
 * @param op the operation, for the message
 * @returns the dtype
 */
export function checkDType(value: unknown, op: string): DType {
  if (typeof value === "string" && value in rank) return value as DType;
  throw new TypeError(
    `${op}() expected a dtype: found ${JSON.stringify(value)}: use one of ${dtypes.join(", ")}`,
  );
}

/** Whether a dtype holds floating-point numbers. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

/**
 * The dtype of a binary op's result (PyTorch's promotion: int op float gives
 * float, float16 op float32 gives float32, float32 op float64 gives
 * float64, bool op int gives int).
 */
export function promoteTypes(a: DType, b: DType): DType {
  return rank[a] >= rank[b] ? a : b;
}

/**
 * The dtype when a tensor meets a plain JS number: the number does not
 * promote the tensor, except that a fractional number turns an integer or
 * bool tensor into float32 and any number turns bool into int32 (PyTorch's
 * "weak" scalars).
 */
export function promoteWithScalar(dtype: DType, value: number): DType {
  if (isFloat(dtype)) return dtype;
  if (!Number.isInteger(value)) return "float32";
  return dtype === "bool" ? "int32" : dtype;
}

/** Allocates a zeroed buffer for `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): DataArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "float16":
      return new (float16Array())(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
    default:
      return dtype satisfies never;
  }
}

/** The dtype of an existing buffer. */
export function dtypeOfArray(array: DataArray): DType {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  if (half.Float16Array !== undefined && array instanceof half.Float16Array) return "float16";
  if (array instanceof Int32Array) return "int32";
  return "bool";
}

/** Converts one JS number to how `dtype` stores it (rounding, truncation, 0/1). */
export function coerceScalar(value: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return Math.fround(value);
    case "float64":
      return value;
    case "float16":
      return f16round(value);
    case "int32":
      return Math.trunc(value) | 0;
    case "bool":
      return value !== 0 ? 1 : 0;
    default:
      return dtype satisfies never;
  }
}
