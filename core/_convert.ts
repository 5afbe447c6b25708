/**
 * Operand handling shared by the op functions: JS numbers as "weak"
 * scalars, dtype promotion and NumPy broadcasting, with the errors users see.
 * @module
 */
import { mixedDevices, type Node } from "./ir/ir.ts";
import type { Tensor } from "./tensor.ts";
import { type DType, isFloat, promoteTypes, promoteWithScalar } from "./ir/dtype.ts";
import { broadcastShapes, type Shape } from "./ir/shape.ts";
import { fmtValue } from "./ir/errors.ts";
import { isTensor } from "./_wrap.ts";
import * as b from "./ops/build.ts";

/** A tensor, or a plain JS number/boolean used as a scalar. */
export type TensorLike = Tensor | number | boolean;

/** The node of a tensor argument, with a clear error for anything else. */
export function nodeOf(op: string, x: unknown, position = 0): Node {
  if (isTensor(x)) return x.node;
  throw new TypeError(
    `${op}() expected a Tensor at position ${position}: found ${
      fmtValue(x)
    }: create one with tensor(...)`,
  );
}

function checkScalar(op: string, x: unknown, position: number): number {
  if (typeof x === "number") return x;
  if (typeof x === "boolean") return x ? 1 : 0;
  const text = Array.isArray(x) ? JSON.stringify(x) : "";
  const hint = !Array.isArray(x)
    ? ""
    : `: make a tensor of it first: tensor(${text.length <= 40 ? text : "[...]"})`;
  throw new TypeError(
    `${op}() expected a Tensor or a number at position ${position}: found ${fmtValue(x)}${hint}`,
  );
}

/** Reshapes (prepending size-1 axes) and expands a node to `shape`. */
export function broadcastNode(node: Node, shape: Shape): Node {
  if (node.shape.length === shape.length && node.shape.every((d, i) => d === shape[i])) return node;
  const padded = [...Array(shape.length - node.shape.length).fill(1), ...node.shape];
  return b.expand(b.reshape(node, padded), shape);
}

/**
 * Promotes and broadcasts operands to one dtype and shape (JS numbers do not
 * promote a tensor's dtype, like PyTorch's scalars).
 * @param op the op name, for messages
 * @param args tensors or numbers
 * @returns nodes of equal shape and dtype
 */
export function operands(op: string, args: readonly unknown[], minDType?: DType): Node[] {
  let dtype: DType | undefined;
  let shape: number[] = [];
  const tensors = args.map((x) => (isTensor(x) ? x.node : undefined));
  checkDevices(op, tensors);
  tensors.forEach((n) => {
    if (n === undefined) return;
    dtype = dtype === undefined ? n.dtype : promoteTypes(dtype, n.dtype);
    shape = broadcastShapes(op, shape, n.shape);
  });
  const scalars = args.map((x, i) => (tensors[i] === undefined ? checkScalar(op, x, i) : 0));
  args.forEach((x, i) => {
    if (tensors[i] !== undefined) return;
    const isBool = typeof x === "boolean";
    dtype = dtype === undefined
      ? (isBool ? "bool" : Number.isInteger(scalars[i]) ? "int32" : "float32")
      : isBool
      ? dtype
      : promoteWithScalar(dtype, scalars[i]);
  });
  if (tensors.every((t) => t === undefined) && !args.some((x) => typeof x === "boolean")) {
    dtype = "float32";
  }
  if (minDType !== undefined && !isFloat(dtype!) && isFloat(minDType)) dtype = minDType;
  return args.map((_, i) => {
    const n = tensors[i];
    if (n === undefined) return b.constant(scalars[i], dtype!, shape);
    return broadcastNode(b.cast(n, dtype!), shape);
  });
}

/** Checks that tensor operands share a device (constants, scalars broadcast, fit anywhere). */
function checkDevices(op: string, nodes: readonly (Node | undefined)[]): void {
  const first = nodes.findIndex((n) => n !== undefined && !n.neutral);
  nodes.forEach((n, i) => {
    if (n === undefined || n.neutral || n.device === nodes[first]!.device) return;
    throw new TypeError(mixedDevices(op, [nodes[first]!.device, n.device], [first, i]));
  });
}

/** A float version of a node (ints and bools become float32), for exp, log, division… */
export function floatNode(node: Node): Node {
  return isFloat(node.dtype) ? node : b.cast(node, "float32");
}
