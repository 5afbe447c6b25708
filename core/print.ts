/**
 * Tensor printing that matches PyTorch 1.13's `str(tensor)` / `repr(tensor)`
 * (torch/_tensor_str.py). Pure: it formats plain numbers (options checked by core/_options.ts).
 *
 * Numbers are formatted from their exact binary value with round-half-even,
 * like Python's `'{:.4f}'` / `'{:.4e}'`, so ties such as `0.03125` print
 * `0.0312` (JS `toFixed` would give `0.0313`).
 *
 * @module
 */

import { checkOptions } from "./_options.ts";

/** The dtypes Lathe has. */
export type PrintDType = "float16" | "float32" | "float64" | "int32" | "bool";

/** Options like torch.set_printoptions. */
export interface PrintOptions {
  /** Digits after the decimal point for floats (default 4). */
  precision?: number;
  /** Element count above which the output is summarised with `...` (default 1000). */
  threshold?: number;
  /** Items kept at each end of a summarised dimension (default 3). */
  edgeItems?: number;
  /** Characters per line before wrapping (default 80). */
  lineWidth?: number;
  /** Force scientific notation on (`true`) or off (`false`); automatic when unset. */
  sciMode?: boolean;
}

/** Options with torch's defaults filled in. */
type ResolvedOptions = Required<Omit<PrintOptions, "sciMode">> & Pick<PrintOptions, "sciMode">;

/** Mirror of torch's `_Formatter` state. */
interface Formatter {
  dtype: PrintDType;
  intMode: boolean;
  sciMode: boolean;
  width: number;
}

/** Everything the recursive printers need. */
interface Context {
  values: ArrayLike<number>;
  shape: readonly number[];
  strides: number[];
  opts: ResolvedOptions;
  summarize: boolean;
  fmt: Formatter;
}

const PREFIX = "tensor(";

/**
 * Formats values (row-major, already read from the tensor) like PyTorch's repr.
 *
 * @param values Row-major element values; bools as 0/1, float32 already f32-rounded.
 * @param shape Tensor shape (`[]` for a 0-d tensor).
 * @param dtype Element dtype; only float64, float16 (and empty non-float32 tensors) get a dtype suffix.
 * @param options Print options, as in `torch.set_printoptions`.
 * @returns The tensor's text, e.g. `tensor([1., 2.])`.
 * @example
 * ```ts
 * formatTensor([1, 2, 3, 4], [2, 2], "float32");
 * // "tensor([[1., 2.],\n        [3., 4.]])"
 * ```
 */
export function formatTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: PrintDType,
  options: PrintOptions = {},
): string {
  const numel = checkShape(values, shape);
  const opts = resolveOptions(options);
  const suffixes: string[] = [];
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(", ")})`);
    if (dtype !== "float32") suffixes.push(`dtype=${dtype}`);
    return addSuffixes(PREFIX + "[]", suffixes, opts.lineWidth);
  }
  if (dtype === "float64" || dtype === "float16") suffixes.push(`dtype=${dtype}`);
  const vals = dtype === "float32" ? Float32Array.from(values) : values;
  const strides = rowMajorStrides(shape);
  const summarize = numel > opts.threshold;
  const base = { values: vals, shape, strides, opts, summarize };
  const shown: number[] = [];
  collectShown(base, 0, 0, shown);
  const fmt = makeFormatter(shown, dtype, opts);
  const body = tensorStr({ ...base, fmt }, 0, 0, PREFIX.length);
  return addSuffixes(PREFIX + body, suffixes, opts.lineWidth);
}

/** Validates the shape against the value count and returns the element count. */
function checkShape(values: ArrayLike<number>, shape: readonly number[]): number {
  let numel = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid dimension ${d} in shape`);
    numel *= d;
  }
  if (values.length !== numel) {
    throw new Error(`got ${values.length} values for shape [${shape.join(", ")}]`);
  }
  return numel;
}

/** Fills in defaults (torch's "default" profile) and validates options. */
function resolveOptions(o: PrintOptions): ResolvedOptions {
  checkOptions("toString", o, ["precision", "threshold", "edgeItems", "lineWidth", "sciMode"]);
  const precision = o.precision ?? 4;
  const edgeItems = o.edgeItems ?? 3;
  if (!Number.isInteger(precision) || precision < 0 || precision > 100) {
    throw new Error(`precision must be an integer in [0, 100], got ${precision}`);
  }
  if (!Number.isInteger(edgeItems) || edgeItems < 1) {
    throw new Error(`edgeItems must be a positive integer, got ${edgeItems}`);
  }
  return {
    precision,
    threshold: o.threshold ?? 1000,
    edgeItems,
    lineWidth: o.lineWidth ?? 80,
    sciMode: o.sciMode,
  };
}

/** Row-major strides for a shape. */
function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Indices printed along a dimension of size `n`; -1 marks the `...` slot. */
function shownIndices(n: number, summarize: boolean, edge: number): number[] {
  const out: number[] = [];
  if (summarize && n > 2 * edge) {
    for (let i = 0; i < edge; i++) out.push(i);
    out.push(-1);
    for (let i = n - edge; i < n; i++) out.push(i);
  } else {
    for (let i = 0; i < n; i++) out.push(i);
  }
  return out;
}

/** Gathers the values that will be printed (torch's `get_summarized_data`). */
function collectShown(ctx: Omit<Context, "fmt">, offset: number, d: number, out: number[]): void {
  if (d === ctx.shape.length) {
    out.push(ctx.values[offset]);
    return;
  }
  for (const i of shownIndices(ctx.shape[d], ctx.summarize, ctx.opts.edgeItems)) {
    if (i >= 0) collectShown(ctx, offset + i * ctx.strides[d], d + 1, out);
  }
}

/** Builds the formatter state exactly as torch's `_Formatter.__init__`. */
function makeFormatter(vals: number[], dtype: PrintDType, opts: ResolvedOptions): Formatter {
  const p = opts.precision;
  const f: Formatter = { dtype, intMode: true, sciMode: false, width: 1 };
  if (dtype === "int32" || dtype === "bool") {
    for (const v of vals) f.width = Math.max(f.width, plainStr(v, dtype === "bool").length);
    return f;
  }
  const nz = vals.filter((v) => Number.isFinite(v) && v !== 0);
  if (nz.length === 0) return f; // torch returns before applying sci_mode
  let min = Infinity;
  let max = 0;
  for (const v of nz) [min, max] = [Math.min(min, Math.abs(v)), Math.max(max, Math.abs(v))];
  f.intMode = nz.every((v) => v === Math.ceil(v));
  const wide = max / min > 1000 || max > 1e8;
  let str: (v: number) => string;
  if (f.intMode && !wide) str = (v) => toFixed(v, 0) + ".";
  else if (wide || (!f.intMode && min < 1e-4)) {
    f.sciMode = true;
    str = (v) => toExponential(v, p);
  } else str = (v) => toFixed(v, p);
  for (const v of nz) f.width = Math.max(f.width, str(v).length);
  if (opts.sciMode !== undefined) f.sciMode = opts.sciMode;
  return f;
}

/** `str()` of an int or bool element. */
function plainStr(v: number, isBool: boolean): string {
  return isBool ? (v ? "True" : "False") : String(v);
}

/** Formats one element, right-aligned to the formatter width (`_Formatter.format`). */
function formatValue(ctx: Context, v: number): string {
  const f = ctx.fmt;
  const p = ctx.opts.precision;
  let s: string;
  if (f.dtype === "int32" || f.dtype === "bool") s = plainStr(v, f.dtype === "bool");
  else if (f.sciMode) s = toExponential(v, p);
  else if (f.intMode) s = toFixed(v, 0) + (Number.isFinite(v) ? "." : "");
  else s = toFixed(v, p);
  return s.padStart(f.width);
}

/** Recursive `_tensor_str_with_formatter`. */
function tensorStr(ctx: Context, offset: number, d: number, indent: number): string {
  const dims = ctx.shape.length - d;
  if (dims === 0) return formatValue(ctx, ctx.values[offset]);
  if (dims === 1) return vectorStr(ctx, offset, indent);
  const slices = shownIndices(ctx.shape[d], ctx.summarize, ctx.opts.edgeItems).map((i) =>
    i < 0 ? "..." : tensorStr(ctx, offset + i * ctx.strides[d], d + 1, indent + 1)
  );
  return "[" + slices.join("," + "\n".repeat(dims - 1) + " ".repeat(indent + 1)) + "]";
}

/** `_vector_str`: one innermost row, wrapped at the line width. */
function vectorStr(ctx: Context, offset: number, indent: number): string {
  const n = ctx.shape[ctx.shape.length - 1];
  const perLine = Math.max(1, Math.floor((ctx.opts.lineWidth - indent) / (ctx.fmt.width + 2)));
  const data = shownIndices(n, ctx.summarize, ctx.opts.edgeItems).map((i) =>
    i < 0 ? " ..." : formatValue(ctx, ctx.values[offset + i])
  );
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

/**
 * `_add_suffixes`: appends `, suffix` pieces, wrapping at the line width.
 * Wrapping is decided on torch's text (`dtype=torch.float64`), so line breaks
 * fall where PyTorch puts them even though we print `dtype=float64`.
 */
function addSuffixes(text: string, suffixes: string[], lineWidth: number): string {
  let out = text;
  let lastLen = text.length - text.lastIndexOf("\n") + 1; // torch's off-by-one kept
  for (const s of suffixes) {
    const len = s.length + (s.startsWith("dtype=") ? "torch.".length : 0);
    if (lastLen + len + 2 > lineWidth) {
      out += ",\n" + " ".repeat(PREFIX.length) + s;
      lastLen = PREFIX.length + len;
    } else {
      out += ", " + s;
      lastLen += len + 2;
    }
  }
  return out + ")";
}

/** Python's text for non-finite floats, or undefined when finite. */
function nonFinite(v: number): string | undefined {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return undefined;
}

/** Exact decimal form of |v|: |v| = digits / 10^scale. */
function exactDecimal(v: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp = biased === 0 ? -1074 : biased - 1075;
  if (biased !== 0) mant |= 1n << 52n;
  if (mant === 0n) return { digits: 0n, scale: 0 };
  while (exp < 0 && (mant & 1n) === 0n) {
    mant >>= 1n;
    exp++;
  }
  if (exp >= 0) return { digits: mant << BigInt(exp), scale: 0 };
  return { digits: mant * 5n ** BigInt(-exp), scale: -exp };
}

/** round_half_even(digits / 10^scale * 10^places) as an integer. */
function roundScaled(digits: bigint, scale: number, places: number): bigint {
  const shift = scale - places;
  if (shift <= 0) return digits * 10n ** BigInt(-shift);
  const div = 10n ** BigInt(shift);
  let q = digits / div;
  const twice = 2n * (digits % div);
  if (twice > div || (twice === div && (q & 1n) === 1n)) q += 1n;
  return q;
}

/** Sign prefix, keeping Python's `-` for negative zero. */
function signOf(v: number): string {
  return v < 0 || Object.is(v, -0) ? "-" : "";
}

/** Python `'{:.<p>f}'.format(v)`. */
function toFixed(v: number, p: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  const { digits, scale } = exactDecimal(v);
  const s = roundScaled(digits, scale, p).toString().padStart(p + 1, "0");
  return signOf(v) + (p > 0 ? s.slice(0, -p) + "." + s.slice(-p) : s);
}

/** Python `'{:.<p>e}'.format(v)`. */
function toExponential(v: number, p: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  const { digits, scale } = exactDecimal(v);
  let e = 0;
  let n = 0n;
  if (digits !== 0n) {
    e = digits.toString().length - 1 - scale;
    n = roundScaled(digits, scale, p - e);
    if (n.toString().length > p + 1) {
      n /= 10n;
      e++;
    }
  }
  const s = n.toString().padStart(p + 1, "0");
  const mant = p > 0 ? s[0] + "." + s.slice(1) : s;
  const exp = (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  return signOf(v) + mant + "e" + exp;
}
