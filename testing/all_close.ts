/**
 * `assertAllClose`: elementwise comparison of tensors (or nested arrays)
 * within `rtol`/`atol`, failing with a table of the worst elements.
 * @module
 */
import { checkOptions, type DataArray, type DType, type NestedValues, Tensor } from "../mod.ts";
import { AssertionError } from "./assertion_error.ts";

/** What `assertAllClose` compares: a tensor, nested arrays, a typed array or a number. */
export type AllCloseValue = Tensor | NestedValues | DataArray;

/** Options of {@linkcode assertAllClose}. */
export interface AllCloseOptions {
  /**
   * Relative tolerance. Default as `torch.testing.assert_close`: 1.3e-6 when
   * either side is float32, 1e-7 for float64 and JS numbers, 0 for int32 and
   * bool.
   */
  rtol?: number;
  /** Absolute tolerance. Default: 1e-5 for float32, 1e-7 for float64, 0 for int32 and bool. */
  atol?: number;
  /** Whether NaN equals NaN (default true). */
  equalNaN?: boolean;
  /** Text appended to the first line of the failure message. */
  msg?: string;
}

/** The values of one side, flattened row-major, with its shape and dtype if known. */
interface Flat {
  shape: number[];
  values: ArrayLike<number>;
  dtype: DType | undefined;
}

const TOLERANCES: Record<DType, { rtol: number; atol: number }> = {
  float16: { rtol: 1e-3, atol: 1e-5 },
  float32: { rtol: 1.3e-6, atol: 1e-5 },
  float64: { rtol: 1e-7, atol: 1e-7 },
  int32: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};
const PRECISION: readonly DType[] = ["float16", "float32", "float64", "int32", "bool"];
/** How many mismatched elements the failure message lists. */
const SHOWN = 5;

function typedArrayDType(value: DataArray): DType {
  if (value instanceof Float32Array) return "float32";
  if (value instanceof Float64Array) return "float64";
  if (value instanceof Int32Array) return "int32";
  if (value instanceof Uint8Array) return "bool";
  return "float16";
}

function nestedShape(value: NestedValues, path: string, side: string): number[] {
  if (!Array.isArray(value)) return [];
  const inner = value.length > 0 ? nestedShape(value[0], `${path}[0]`, side) : [];
  value.forEach((item, i) => {
    const here = nestedShape(item, `${path}[${i}]`, side);
    if (here.join() !== inner.join()) {
      throw new TypeError(
        `assertAllClose() expected rectangular nested arrays: ${side}${path}[${i}] has shape ` +
          `${fmtIndex(here)} but ${side}${path}[0] has shape ${fmtIndex(inner)}`,
      );
    }
  });
  return [value.length, ...inner];
}

function flatten(value: AllCloseValue, side: string): Flat {
  if (value instanceof Tensor) {
    return { shape: value.shape, values: value.dataSync(), dtype: value.dtype };
  }
  if (ArrayBuffer.isView(value)) {
    return { shape: [value.length], values: value, dtype: typedArrayDType(value) };
  }
  if (typeof value !== "number" && typeof value !== "boolean" && !Array.isArray(value)) {
    throw new TypeError(
      `assertAllClose() expected a Tensor, nested arrays, a typed array or a number as ${side}: ` +
        `found ${value === null ? "null" : typeof value}`,
    );
  }
  const shape = nestedShape(value, "", side);
  const values: number[] = [];
  const collect = (v: NestedValues): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else values.push(Number(v));
  };
  collect(value);
  return { shape, values, dtype: undefined };
}

function defaults(a: DType | undefined, b: DType | undefined): { rtol: number; atol: number } {
  const known = [a ?? b ?? "float64", b ?? a ?? "float64"];
  return TOLERANCES[PRECISION.find((d) => known.includes(d))!];
}

function fmtIndex(index: readonly number[]): string {
  return `[${index.join(", ")}]`;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

function fmtValue(v: number): string {
  return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(8)));
}

function fmtDiff(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

function fmtTolerance(v: number): string {
  return v !== 0 && v < 1e-3 ? v.toExponential() : String(v);
}

/** A mismatched element and how far past the tolerance it is. */
interface Mismatch {
  at: number;
  excess: number;
}

/**
 * Asserts that `actual` and `expected` have the same shape and that every
 * pair of elements satisfies `|actual - expected| <= atol + rtol * |expected|`
 * (NumPy's `allclose` and `torch.testing.assert_close`). NaN equals NaN unless
 * `equalNaN` is false, and infinities must match exactly.
 *
 * Either side may be a tensor, nested JS arrays, a typed array or a number;
 * dtypes are not compared (use {@linkcode assertDType}). The failure says how
 * many elements differ, the greatest absolute and relative differences, and
 * lists the worst elements with their indices.
 *
 * @example Comparing a layer's output with PyTorch's numbers
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { assertAllClose } from "@lathe/lathe/testing";
 *
 * const y = tensor([[1, 2], [3, 4]]).sqrt();
 * assertAllClose(y, [[1, 1.4142135], [1.7320508, 2]]);
 * assertAllClose(y.mul(1.001), [[1, 1.4142135], [1.7320508, 2]], { rtol: 1e-2 });
 * assertAllClose(tensor([NaN, 1]), [NaN, 1]);
 * ```
 *
 * @example The failure message
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { assertAllClose } from "@lathe/lathe/testing";
 * import { assertThrows } from "@std/assert";
 *
 * assertThrows(
 *   () => assertAllClose(tensor([[1, 2], [3, 4]]), [[1, 2], [3, 4.5]]),
 *   Error,
 *   "1 of 4 elements differ (25.0%)",
 * );
 * ```
 *
 * @param actual the computed values
 * @param expected the reference values
 * @param options `rtol`, `atol`, `equalNaN` and a message suffix
 * @throws {AssertionError} when the shapes differ or any element is not close
 */
export function assertAllClose(
  actual: AllCloseValue,
  expected: AllCloseValue,
  options: AllCloseOptions = {},
): void {
  checkOptions("assertAllClose", options, ["rtol", "atol", "equalNaN", "msg"]);
  const a = flatten(actual, "actual");
  const e = flatten(expected, "expected");
  const tail = options.msg ? `: ${options.msg}` : "";
  if (a.shape.join() !== e.shape.join() || a.shape.length !== e.shape.length) {
    throw new AssertionError(
      `Shapes differ: actual ${fmtIndex(a.shape)}, expected ${fmtIndex(e.shape)}${tail}`,
    );
  }
  const { rtol, atol } = { ...defaults(a.dtype, e.dtype), ...definedOnly(options) };
  const equalNaN = options.equalNaN ?? true;
  const mismatches: Mismatch[] = [];
  let maxAbs = { value: 0, at: -1 };
  let maxRel = { value: 0, at: -1 };
  for (let i = 0; i < e.values.length; i++) {
    const x = a.values[i];
    const y = e.values[i];
    if (x === y || (equalNaN && Number.isNaN(x) && Number.isNaN(y))) continue;
    const finite = Number.isFinite(x) && Number.isFinite(y);
    const abs = Math.abs(x - y);
    const rel = abs / Math.abs(y);
    if (finite && abs > maxAbs.value) maxAbs = { value: abs, at: i };
    if (finite && rel > maxRel.value) maxRel = { value: rel, at: i };
    const allowed = atol + rtol * Math.abs(y);
    if (finite && abs <= allowed) continue;
    // NaN and infinities sort first
    mismatches.push({ at: i, excess: finite ? abs - allowed : Infinity });
  }
  if (mismatches.length === 0) return;
  const total = e.values.length;
  const percent = ((100 * mismatches.length) / total).toFixed(1);
  const where = (at: number) => fmtIndex(unravel(at, e.shape));
  const lines = [
    `Values are not close (rtol ${fmtTolerance(rtol)}, atol ${fmtTolerance(atol)}): ` +
    `${mismatches.length} of ${total} elements differ (${percent}%)${tail}`,
  ];
  if (maxAbs.at >= 0) {
    lines.push(
      `Greatest absolute difference: ${fmtDiff(maxAbs.value)} at ${where(maxAbs.at)} ` +
        `(up to ${fmtTolerance(atol)} allowed)`,
    );
  }
  if (maxRel.at >= 0) {
    lines.push(
      `Greatest relative difference: ${fmtDiff(maxRel.value)} at ${where(maxRel.at)} ` +
        `(up to ${fmtTolerance(rtol)} allowed)`,
    );
  }
  lines.push(worstTable(a.values, e.values, mismatches, where));
  throw new AssertionError(lines.join("\n"));
}

function definedOnly(options: AllCloseOptions): { rtol?: number; atol?: number } {
  const out: { rtol?: number; atol?: number } = {};
  for (const key of ["rtol", "atol"] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (!(v >= 0)) {
      throw new RangeError(`assertAllClose() expected ${key} >= 0: found ${v}`);
    }
    out[key] = v;
  }
  return out;
}

function worstTable(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  mismatches: Mismatch[],
  where: (at: number) => string,
): string {
  const worst = mismatches
    .slice()
    .sort((p, q) => q.excess - p.excess || p.at - q.at)
    .slice(0, SHOWN);
  const rows = [
    ["index", "actual", "expected", "abs diff", "rel diff"],
    ...worst.map(({ at }) => {
      const abs = Math.abs(actual[at] - expected[at]);
      return [
        where(at),
        fmtValue(actual[at]),
        fmtValue(expected[at]),
        fmtDiff(abs),
        fmtDiff(abs / Math.abs(expected[at])),
      ];
    }),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const text = rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c])).join("  "));
  const more = mismatches.length - worst.length;
  const head = `The worst ${worst.length === 1 ? "element" : `${worst.length} elements`}:`;
  return [head, ...text.map((l) => l.trimEnd()), ...(more > 0 ? [`  … and ${more} more`] : [])]
    .join("\n");
}
