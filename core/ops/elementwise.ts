/**
 * The elementwise primitive table: every elementwise primitive, keyed by its
 * name, each row carrying all its rules (see `primitive.ts`). The rows live in
 * family files (`arith.ts`, `math.ts`, `special.ts`); composite elementwise ops
 * (sub, sigmoid, gelu, …) are written over these in the frontend.
 * @module
 */
import type { Node } from "../ir/ir.ts";
import { apply, type Elementwise } from "./primitive.ts";
import { type ArithOp, arithOps } from "./arith.ts";
import { type MathOp, mathOps } from "./math.ts";
import { type SpecialOp, specialOps } from "./special.ts";

/** The name of an elementwise primitive. */
export type AluOp = ArithOp | MathOp | SpecialOp;

// a name in two families would silently shadow one row: a compile error instead
const disjoint: [(ArithOp & MathOp) | ((ArithOp | MathOp) & SpecialOp)] extends [never] ? true
  : never = true;
void disjoint;

/** Every elementwise primitive, by name. */
export const elementwiseOps: { readonly [K in AluOp]: Elementwise<K> } = {
  ...arithOps,
  ...mathOps,
  ...specialOps,
};

/** Whether `op` is an elementwise primitive. */
export function isElementwise(op: string): op is AluOp {
  return Object.hasOwn(elementwiseOps, op);
}

/** Makes the node of an elementwise primitive (operands of one shape and dtype, checked by the frontend). */
export function alu(op: AluOp, ...src: Node[]): Node {
  return apply(elementwiseOps[op], src);
}
