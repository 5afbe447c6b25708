/**
 * The reduction primitives, each declared once (identity per dtype, combine, NaN rule, gradient,
 * Wasm accumulator): every code generator reads these rows and knows no identity or combine itself.
 * @module
 */
import { type DType, isFloat } from "../ir/dtype.ts";
import type { Node } from "../ir/ir.ts";
import * as b from "./build.ts";
import { c, mul, neg } from "./arith.ts";
import type { ArithOp } from "./arith.ts";
import { type BatchRule, type Missing, missing, type VjpRule } from "./primitive.ts";
import { moveAxis } from "./_batch_axes.ts";

/** The reductions that drop their axes (sum, NaN-propagating max, product over the listed axes). */
export type ReduceOp = "reduceSum" | "reduceMax" | "reduceProd";

/** A reduction's accumulator kind, as kernels see it. */
export type ReduceKind = "sum" | "prod" | "max" | "argmax";

/**
 * A reduction: accumulator `kind`; `identity` per dtype (the value over an empty axis too); the
 * primitive folding a value in, `acc = combine(value, acc)` (ties keep acc); `nan`: `propagates`
 * through combine, or `first` (argmax: the first NaN's index wins); gradient, vmap rule; Wasm
 * accumulator (`jit/codegen/wasm/_reduce.ts`, `_argmax.ts`) or why there is none.
 */
export interface Reduction {
  readonly kind: ReduceKind;
  readonly identity: (dtype: DType) => number;
  readonly combine: ArithOp;
  readonly nan: "propagates" | "first";
  readonly vjp: VjpRule;
  readonly batch: BatchRule;
  readonly wasm: "f64sum" | "f32max" | "f32argmax" | Missing;
}

/** The lowest value of a dtype: max's identity. */
function lowest(dtype: DType): number {
  return isFloat(dtype) ? -Infinity : dtype === "int32" ? -2147483648 : 0;
}

/** A reduced `n` spread back over the shape of `x` (the reduced axes kept as size 1, expanded). */
function spreader(x: Node, axes: readonly number[]): (n: Node) => Node {
  return (n) => b.expand(b.reshape(n, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))), x.shape);
}

/** vmap of a reduction over `axes`: batch axis first, the same reduction over `axes + 1`. */
const reduceBatch: BatchRule = ([x], [d], { op, arg }, out) => {
  const front = moveAxis(x, d, 0, 0);
  const axes = (arg as number[]).map((a) => a + 1);
  return [b.reduce(op as ReduceOp, front, axes, out.dtype), 0];
};
/** vmap of argmax along `axis`: batch axis first, argmax along `axis + 1`. */
const argmaxBatch: BatchRule = ([x], [d], { arg }) => [
  b.argmax(moveAxis(x, d, 0, 0), (arg as number) + 1),
  0,
];

/** Every reduction primitive. */
export const reductions: { readonly [K in ReduceOp | "argmax"]: Reduction } = {
  reduceSum: {
    kind: "sum",
    identity: () => 0,
    combine: "add",
    nan: "propagates",
    vjp: (ct, { src: [x], arg }) => [spreader(x, arg as number[])(ct)],
    batch: reduceBatch,
    wasm: "f64sum",
  },
  reduceProd: {
    kind: "prod",
    identity: () => 1,
    combine: "mul",
    nan: "propagates",
    // d prod / dx_i = ∏_{j≠i} x_j, zero-aware like PyTorch. With P the product of the
    // non-zero entries, Z the number of zeros and S the sum of the zero entries (0, but
    // with derivative 1 at each zero, so second derivatives stay right):
    // Z = 0: P/x_i; Z = 1: P at the zero, P/x_i·S elsewhere; Z = 2: P·(S - x_i) at the
    // zeros, 0 elsewhere; Z > 2: 0
    vjp: (ct, { src: [x], arg }) => {
      const axes = arg as number[];
      const spread = spreader(x, axes);
      const isZero = b.alu("cmpeq", x, c(0, x));
      const nonZero = b.alu("where", isZero, c(1, x), x);
      const p = spread(b.reduce("reduceProd", nonZero, axes));
      const zeros = spread(b.reduce("reduceSum", b.cast(isZero, x.dtype), axes));
      const s = spread(b.reduce("reduceSum", b.alu("where", isZero, x, c(0, x)), axes));
      const count = (k: number) => b.alu("cmpeq", zeros, c(k, x));
      const others = b.alu("div", p, nonZero);
      const twoZeros = b.alu("where", count(2), mul(p, b.alu("add", s, neg(x))), c(0, x));
      const atZero = b.alu("where", count(1), p, twoZeros);
      const oneZero = b.alu("where", count(1), mul(others, s), c(0, x));
      const offZero = b.alu("where", count(0), others, oneZero);
      return [mul(spread(ct), b.alu("where", isZero, atZero, offZero))];
    },
    batch: reduceBatch,
    wasm: missing("no vector product yet: products run on the JavaScript tier"),
  },
  reduceMax: {
    kind: "max",
    identity: lowest,
    combine: "maximum",
    nan: "propagates",
    // ties share the gradient equally (like torch.amax)
    vjp: (ct, { src: [x], arg }, out) => {
      const axes = arg as number[];
      const spread = spreader(x, axes);
      const hit = b.alu("cmpeq", x, spread(out));
      const count = b.reduce("reduceSum", b.cast(hit, x.dtype), axes);
      return [b.alu("where", hit, spread(b.alu("div", ct, count)), c(0, x))];
    },
    batch: reduceBatch,
    wasm: "f32max",
  },
  argmax: {
    kind: "argmax",
    identity: lowest,
    combine: "maximum",
    nan: "first",
    vjp: () => [undefined],
    batch: argmaxBatch,
    wasm: "f32argmax",
  },
};

/** Whether `op` is a reduction primitive. */
export function isReduction(op: string): op is keyof typeof reductions {
  return Object.hasOwn(reductions, op);
}

/** The reduction of each accumulator kind. */
export const reductionOf = Object.fromEntries(
  Object.values(reductions).map((r) => [r.kind, r]),
) as {
  readonly [K in ReduceKind]: Reduction;
};
