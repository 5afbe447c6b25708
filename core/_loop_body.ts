/**
 * Compiling a loop body for `jit`: the body is traced once on placeholders, and the values of the
 * enclosing program it reads (its frontier: weights, inputs computed before the loop) become
 * arguments, computed once outside. Used by `scan`, `whileLoop` and `scan`'s reverse pass.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import type { DType } from "./ir/dtype.ts";
import { Node, pendingNodes } from "./ir/ir.ts";
import type { Shape } from "./ir/shape.ts";
import { wrap } from "./_wrap.ts";
import type { DataArray } from "./ir/dtype.ts";
import { collectHostSteps, compileHosted, type HostStep } from "../jit/_hosted.ts";
import type { Kernel } from "../jit/kernel.ts";

/** A value's dtype and shape. */
export type Spec = { readonly dtype: DType; readonly shape: Shape };

/** A compiled body: its placeholders and results, its program, and the outer values it reads. */
export interface Body {
  readonly ph: readonly Node[];
  readonly outs: readonly Node[];
  readonly run: (args: readonly DataArray[]) => DataArray[];
  readonly kernels: readonly Kernel[];
  /** Outer nodes the body reads, passed after the placeholders. */
  readonly captured: readonly Node[];
  /** How many host steps (inner loops) the body holds. */
  readonly inner: number;
}

/**
 * The outer nodes that the part of the graph below `roots` depending on `inner` reads (a body's
 * closed-over values: weights, results computed before it).
 */
export function frontier(roots: readonly Node[], inner: ReadonlySet<Node>): Node[] {
  const dep = new Map<Node, boolean>();
  const order = pendingNodes(roots);
  const reads = (s: Node) => inner.has(s) || dep.get(s) === true;
  for (const n of order) dep.set(n, inner.has(n) || n.src.some(reads));
  const captured = new Set<Node>();
  const consider = (n: Node) => {
    if (dep.get(n) !== true && !inner.has(n) && n.buffer === undefined && n.op !== "const") {
      captured.add(n);
    }
  };
  for (const n of order) if (dep.get(n) === true && !inner.has(n)) n.src.forEach(consider);
  roots.forEach(consider);
  return [...captured];
}

/** Compiles the graph from `ph` to `outs` (with inner loops `steps`), capturing outer values. */
export function compileGraph(
  ph: readonly Node[],
  outs: readonly Node[],
  steps: readonly HostStep[] = [],
): Body {
  const inner = new Set([...ph, ...steps.flatMap((s) => s.outputs)]);
  const captured = frontier([...outs, ...steps.flatMap((s) => s.inputs)], inner);
  const { run, kernels } = compileHosted([...ph, ...captured], outs, steps);
  return { ph, outs, run, kernels, captured, inner: steps.length };
}

/** Traces `body` once on placeholders of `specs` and compiles it. */
export function compileBody(specs: readonly Spec[], body: (args: Tensor[]) => Tensor[]): Body {
  const ph = specs.map((s) => Node.placeholder(s.dtype, s.shape));
  const [outTensors, steps] = collectHostSteps(() => body(ph.map(wrap)));
  return compileGraph(ph, outTensors.map((t) => t.node), steps);
}

/** The number of elements of a shape. */
export function sizeOfShape(shape: Shape): number {
  return shape.reduce((a, d) => a * d, 1);
}
