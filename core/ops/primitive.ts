/**
 * What a primitive is: one typed row holding every rule every layer needs —
 * its result rule, reverse-mode rule, batching rule, cost class and its form
 * for each code generator (JavaScript, Wasm SIMD, WGSL). No field is
 * optional: a row without a rule for some backend does not compile, and a
 * deliberate gap is written down with its reason (`missing("why")`).
 *
 * The Wasm form names a vector routine (`WasmRoutine`) that the Wasm code
 * generator implements in an exhaustive table; the JS and WGSL forms are text
 * templates whose helpers (`rt.*` below, `lt_*` in `_wgsl_helpers.ts`) live
 * beside them in this layer, so no name is resolved by string in another one.
 * @module
 */
import { coerceScalar, type DType } from "../ir/dtype.ts";
import { Node, type Origin } from "../ir/ir.ts";
import type { Shape } from "../ir/shape.ts";
import type { WgslForm } from "./_wgsl_helpers.ts";
import { erf, maximum, minimum, pow, remainder, roundHalfEven } from "./_scalar.ts";
import { digamma, erfc, erfinv, lgamma, trigamma } from "./_special_math.ts";
import type { AluOp } from "./elementwise.ts";
import { type BatchRule, elementwiseBatch } from "./_batch_axes.ts";

export { elementwiseBatch };

/**
 * A reverse-mode rule: `ct` is the output's cotangent, `x` the node's
 * op/sources/params, `out` the node itself (its value); returns one
 * cotangent per source (`undefined`: no gradient flows there).
 */
export type VjpRule = (ct: Node, x: Origin, out: Node) => readonly (Node | undefined)[];

/** A rule left out on purpose: why it is absent, and what runs instead. */
export type Missing = { readonly missing: string };

/** Marks a rule as deliberately absent. */
export function missing(reason: string): Missing {
  return { missing: reason };
}

/** Whether a rule is a deliberate gap. */
export function isMissing<T>(rule: T | Missing): rule is Missing {
  return typeof rule === "object" && rule !== null && "missing" in rule;
}

export type { Batched, BatchRule } from "./_batch_axes.ts";

/**
 * Per-element cost: `costly` values are stored rather than recomputed (Wasm row reuse; a
 * large one read by several kernels is a buffer of its own, jit/schedule.ts), not unrolled.
 */
export type Cost = "cheap" | "costly";

/** The result's dtype and shape, from the operands (validated by the frontend). */
export type ResultRule = (src: readonly Node[]) => { readonly dtype: DType; readonly shape: Shape };

/** The result has the first operand's dtype and shape. */
export const sameAsInput: ResultRule = (src) => src[0];
/** A predicate: bool, with the first operand's shape. */
export const boolResult: ResultRule = (src) => ({ dtype: "bool", shape: src[0].shape });
/** A selection `f(cond, a, b)`: the dtype and shape of `a`. */
export const sameAsBranches: ResultRule = (src) => src[1];

/** The scalar helpers JS forms call as `rt.<name>` (the runtime passes this object). */
export const jsHelpers = Object.freeze({
  erf,
  roundHalfEven,
  maximum,
  minimum,
  pow,
  remainder,
  erfc,
  erfinv,
  lgamma,
  digamma,
  trigamma,
});

/** The name of a JS scalar helper. */
export type JsHelper = keyof typeof jsHelpers;

/** A JavaScript form: the expression from the operands' and the result dtype (rounded to it after). */
export type JsForm = (args: readonly string[], dtype: DType) => string;

/** A JS form calling one of `jsHelpers`. */
export function rt(name: JsHelper): JsForm {
  return (args) => `rt.${name}(${args.join(", ")})`;
}

/** A form calling function `name` on the operands (JS or WGSL). */
export function call(name: string): JsForm & WgslForm {
  return (args) => `${name}(${args.join(", ")})`;
}

// deno-fmt-ignore
/**
 * A vector routine of the Wasm code generator (`jit/codegen/wasm/_alu.ts` implements
 * each): an instruction such as `f32.add` (f32x4.add) or a polynomial such as
 * `exp`. `select` picks by a mask or a nonzero float condition.
 */
export type WasmRoutine =
  | "f32.neg" | "f32.recip" | "f32.sqrt" | "f32.abs" | "f32.floor" | "f32.ceil" | "f32.nearest"
  | "f32.sign" | "f32.add" | "f32.mul" | "f32.div" | "f32.max" | "f32.min" | "f32.lt" | "f32.eq"
  | "f32.isnan" | "f32.remainder" | "exp" | "expm1" | "log" | "log1p" | "tanh" | "erf" | "sin"
  | "cos" | "i32.neg" | "i32.abs" | "i32.add" | "i32.mul" | "i32.max" | "i32.min" | "i32.lt"
  | "i32.eq" | "i32.remainder" | "or" | "and" | "select" | "sinh" | "cosh" | "asinh" | "acosh"
  | "log2" | "log10" | "erfc" | "erfinv" | "atan2" | "lgamma" | "digamma" | "trigamma" | "f32.fmod"
  | "f32.pow";

/**
 * A Wasm form: the routine per lane type of the value operands, `f32` (float32), `i32` (int32,
 * wrapping like the reference) and `mask` (bool); kernels on a lane type without one run in JS.
 */
export type WasmForm = {
  readonly f32: WasmRoutine;
  readonly i32?: WasmRoutine;
  readonly mask?: WasmRoutine;
};

/**
 * A primitive's form for every code generator (a new target is a new required field): `js` is
 * the reference every other backend is tested against; `wasm` may be missing (then such kernels
 * run in JavaScript).
 */
export type KernelForms = {
  readonly js: JsForm;
  readonly wasm: WasmForm | Missing;
  readonly wgsl: WgslForm;
};

/**
 * Every rule of an elementwise primitive: its number of operands, result rule, reverse-mode rule
 * (in terms of other primitives), vmap rule (never missing: the factories fill in the shared
 * `elementwiseBatch`), cost class and kernel forms.
 */
export interface ElementwiseRules {
  readonly arity: 1 | 2 | 3;
  readonly shape: ResultRule;
  readonly vjp: VjpRule;
  readonly batch: BatchRule;
  readonly cost: Cost;
  readonly kernel: KernelForms;
}

/** An elementwise primitive: its name (the same string as its key in the table) and its rules. */
export interface Elementwise<K extends string = string> extends ElementwiseRules {
  readonly name: K;
}

/** Declares the elementwise primitive `name` with every rule of it. */
export function definePrimitive<K extends string>(
  name: K,
  rules: ElementwiseRules,
): Elementwise<K> {
  return { name, ...rules };
}

type Rules = ElementwiseRules;
type Forms = KernelForms;

/** The rules a family factory leaves to the row. */
export type OwnRules = Pick<ElementwiseRules, "vjp" | "cost" | "kernel">;

/** A unary primitive with the operand's dtype and shape. */
export function unary<K extends string>(name: K, rules: OwnRules): Elementwise<K> {
  return definePrimitive(name, { arity: 1, shape: sameAsInput, batch: elementwiseBatch, ...rules });
}
/** A binary primitive with the operands' dtype and shape. */
export function binary<K extends string>(name: K, rules: OwnRules): Elementwise<K> {
  return definePrimitive(name, { arity: 2, shape: sameAsInput, batch: elementwiseBatch, ...rules });
}
/** A cheap predicate (bool result, no gradient) of `n` operands. */
export function predicate<K extends string>(
  name: K,
  n: 1 | 2,
  kernel: KernelForms,
): Elementwise<K> {
  const vjp = () => Array<undefined>(n).fill(undefined);
  const batch = elementwiseBatch;
  return definePrimitive(name, { arity: n, shape: boolResult, vjp, batch, cost: "cheap", kernel });
}

/** Makes the node of an elementwise primitive `p` from its row (operands validated). */
export function apply(p: Elementwise, src: readonly Node[]): Node {
  const { dtype, shape } = p.shape(src);
  return Node.make(p.name as AluOp, dtype, shape, src, undefined);
}

/** A scalar value broadcast to `shape` (on `device` when realized alone). */
export function constant(value: number, dtype: DType, shape: Shape, device?: Node["device"]): Node {
  // stored as the dtype holds it: const 0.1 in float32 equals a loaded 0.1
  return Node.make("const", dtype, shape, [], coerceScalar(value, dtype), device);
}
