/**
 * The one rule for options bags and axis arguments, so plain JavaScript
 * callers (no type checker) get an error instead of a silently ignored key:
 * an unknown option names the closest known one, and an axis may be given
 * torch's way (`sum(1)`, `sum([0, 1])`) or as options (`sum({ axis: 1 })`).
 * `keepdim` (torch) is accepted as an alias of `keepdims`.
 * @module
 */
import { fmtValue } from "./ir/errors.ts";

/** A tensor (checked by shape, not class, so that this module stays dependency-free). */
function isTensor(value: object): boolean {
  return "node" in value && "dtype" in value;
}

/** Keys users bring from PyTorch, NumPy or other libraries, and Lathe's name for them. */
const habits: Record<string, string> = {
  dim: "axis",
  dims: "axis",
  axes: "axis",
  keepDims: "keepdims",
  keep_dims: "keepdims",
  keepdim: "keepdims",
  unbiased: "correction",
  ddof: "correction",
  weight_decay: "weightDecay",
};

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

function suggestion(key: string, allowed: readonly string[]): string | undefined {
  const habit = habits[key];
  if (habit !== undefined && allowed.includes(habit)) return habit;
  const lower = key.toLowerCase();
  const same = allowed.find((k) => k.toLowerCase() === lower);
  if (same !== undefined) return same;
  // a shared start of 4 letters (or all of a short key): "reduce" -> "reduction"
  const shared = Math.min(4, lower.length);
  const prefix = allowed.find((k) =>
    lower.length >= 3 && k.toLowerCase().startsWith(lower.slice(0, shared))
  );
  if (prefix !== undefined) return prefix;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.ceil(key.length / 2)) + 1;
  for (const k of allowed) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/**
 * Checks an options bag: `undefined` or a plain object whose keys are all
 * in `allowed` (an unknown key is an error naming the closest allowed one).
 * @param op the operation, for the message (e.g. `sum`)
 * @param options what the caller passed
 * @param allowed the option names the operation knows
 * @returns the options (an empty object for `undefined`)
 * @example An unknown key names the closest known one
 * ```ts
 * import { checkOptions } from "@lathe/lathe";
 * import { assertThrows } from "@std/assert";
 * assertThrows(
 *   () => checkOptions("myLayer", { biass: true }, ["bias"]),
 *   TypeError,
 *   'myLayer(): unknown option "biass": did you mean "bias"?',
 * );
 * ```
 */
export function checkOptions<T extends object>(
  op: string,
  options: T | undefined,
  allowed: readonly string[],
): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== "object" || Array.isArray(options) || isTensor(options as object)) {
    throw new TypeError(
      `${op}() expected an options object {${allowed.join(", ")}}: found ${fmtValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = suggestion(key, allowed);
    const known = allowed.length === 0
      ? "it takes no options"
      : `known options: ${allowed.map((k) => `"${k}"`).join(", ")}`;
    throw new TypeError(
      near === undefined
        ? `${op}(): unknown option "${key}": ${known}`
        : `${op}(): unknown option "${key}": did you mean "${near}"?`,
    );
  }
  return options;
}

/** Axes and keepdims, as every reduction takes them. */
export interface AxisOptions {
  /** An axis or list of axes (negative counts from the end); all when omitted. */
  axis?: number | readonly number[];
  /** Keep reduced axes with size 1 (default false). */
  keepdims?: boolean;
  /** PyTorch's name for `keepdims` (accepted as an alias). */
  keepdim?: boolean;
}

/**
 * Reads a reduction's axis argument in any of torch's forms: `undefined`
 * (all axes), a number, an array of numbers, or an options object with
 * `axis`, `keepdims` (alias `keepdim`) and the op's `extra` keys; a boolean
 * `keepdims` may follow a numeric axis, as in `sum(x, 1, true)`.
 * @returns the options, `keepdims` resolved
 */
export function axisOptions<T extends AxisOptions>(
  op: string,
  arg: number | readonly number[] | T | undefined,
  keepdims: unknown,
  extra: readonly string[] = [],
): T {
  let options: T;
  if (arg === undefined || arg === null) options = {} as T;
  else if (typeof arg === "number") options = { axis: arg } as T;
  else if (Array.isArray(arg)) options = { axis: arg as readonly number[] } as T;
  else if (typeof arg === "object" && !isTensor(arg as object)) {
    options = { ...checkOptions(op, arg as T, ["axis", "keepdims", "keepdim", ...extra]) };
  } else {
    throw new TypeError(
      `${op}() expected an axis (a number or an array of numbers) or options {axis, keepdims}: ` +
        `found ${fmtValue(arg)}: e.g. ${op}(1) or ${op}({ axis: 1, keepdims: true })`,
    );
  }
  if (keepdims !== undefined) {
    if (typeof keepdims !== "boolean" || (typeof arg === "object" && !Array.isArray(arg))) {
      throw new TypeError(
        `${op}() expected keepdims (true or false) after an axis: found ${fmtValue(keepdims)}` +
          `: pass ${op}(axis, true) or ${op}({ axis, keepdims: true })`,
      );
    }
    options.keepdims = keepdims;
  }
  if (options.keepdim !== undefined) {
    if (options.keepdims !== undefined && options.keepdims !== options.keepdim) {
      throw new TypeError(
        `${op}() got keepdims ${options.keepdims} and its alias keepdim ${options.keepdim}: give one`,
      );
    }
    options.keepdims = options.keepdim;
  }
  return options;
}

/**
 * Reads a single-axis argument: a number, or options `{axis}` (plus `extra`
 * keys); `undefined` gives `fallback`.
 * @returns the axis as given (normalise it with the tensor's rank)
 */
export function singleAxis(op: string, arg: unknown, fallback?: number): number {
  if (arg === undefined && fallback !== undefined) return fallback;
  if (typeof arg === "number") return arg;
  if (typeof arg === "object" && arg !== null && !Array.isArray(arg) && !isTensor(arg)) {
    const axis = checkOptions(op, arg as { axis?: unknown }, ["axis"]).axis;
    if (typeof axis === "number") return axis;
    if (axis === undefined && fallback !== undefined) return fallback;
  }
  throw new TypeError(
    `${op}() expected one axis (a number, or options {axis}): found ${
      fmtValue(arg)
    }: e.g. ${op}(x, 1)`,
  );
}

/**
 * Reads an optional axis-list argument: a number, an array, or options
 * `{axis}` (for `flip` and `squeeze`).
 * @returns the axes as given, `undefined` for all
 */
export function axesArg(
  op: string,
  arg: number | readonly number[] | { axis?: number | readonly number[] } | undefined,
): number | readonly number[] | undefined {
  if (typeof arg !== "object" || arg === null || Array.isArray(arg)) {
    return arg as number | readonly number[] | undefined;
  }
  return checkOptions(op, arg as { axis?: number | readonly number[] }, ["axis"]).axis;
}
