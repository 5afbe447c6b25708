/**
 * The bridge between op functions and the `Tensor` class: op modules build
 * nodes and wrap them here, so they need `Tensor` only as a type and the
 * import graph stays acyclic.
 * @module
 */
import type { Node } from "./ir/ir.ts";
import type { Tensor } from "./tensor.ts";
import { dtypeGap, realize } from "../jit/realize.ts";

/** Pending chains deeper than this are realized as they are built. */
export const MAX_PENDING_DEPTH = 400;

let construct: ((node: Node) => Tensor) | undefined;
let tensorClass: (abstract new (...args: never[]) => Tensor) | undefined;

/** Registers the `Tensor` class (called once by tensor.ts). */
export function registerTensorClass(
  cls: abstract new (...args: never[]) => Tensor,
  make: (node: Node) => Tensor,
): void {
  tensorClass = cls;
  construct = make;
}

let staging = 0;

/** Runs `fn` while jit stages a program: nothing may be realized meanwhile. */
export function whileStaging<T>(fn: () => T): T {
  staging++;
  try {
    return fn();
  } finally {
    staging--;
  }
}

/** Whether jit is staging a program (tensor values are placeholders). */
export function isStaging(): boolean {
  return staging > 0;
}

/** Wraps a node in a Tensor, realizing very deep pending chains first (except while jit stages). */
export function wrap(node: Node): Tensor {
  const gap = node.device === "cpu" ? undefined : dtypeGap(node.device, node.dtype);
  if (gap !== undefined) {
    const made = `${node.dtype} tensor on ${node.device} (in ${node.op}())`;
    throw new TypeError(`Cannot make a ${made}: ${gap}`);
  }
  if (node.depth >= MAX_PENDING_DEPTH && staging === 0) realize([node]);
  return construct!(node);
}

/** Whether a value is a Tensor. */
export function isTensor(value: unknown): value is Tensor {
  return tensorClass !== undefined && value instanceof tensorClass;
}
