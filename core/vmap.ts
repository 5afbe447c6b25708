/**
 * `vmap`: vectorizes a function written for one example over a batch. The function is traced once
 * on one example (fresh leaves, like `grad`), and the traced program is rewritten for the whole
 * batch with each primitive's batching rule (`core/ops/batching.ts`), so the result is one batched
 * program that fuses and compiles like hand-batched code, and composes with `grad`, `jvp`, `jit`
 * and itself.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { type Node, traceLevel, withTrace } from "./ir/ir.ts";
import * as b from "./ops/build.ts";
import { type Batched, batchGraph } from "./ops/batching.ts";
import { moveAxis } from "./ops/_batch_axes.ts";
import { isTensor, wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { flatten, type Tree, unflatten } from "./tree.ts";
import type { AnyFunction } from "./transform_types.ts";

/**
 * Which axis of each tensor holds the examples: a number (negative counts from the end) for every
 * tensor of a subtree, `null` for tensors shared by all examples, or a tree of those matching the
 * value's structure (a prefix of it: a number stands for a whole subtree).
 */
export type AxisTree = number | null | readonly AxisTree[] | { readonly [key: string]: AxisTree };

/** Options of `vmap`. */
export interface VmapOptions {
  /**
   * The batch axis of each argument: one `AxisTree` for all of them, or a list with one entry per
   * argument (`[null, 0, 0]`: the first argument is shared). Default 0.
   */
  inAxes?: AxisTree;
  /** Where the batch axis goes in each output (an `AxisTree` over the result). Default 0. */
  outAxes?: AxisTree;
}

interface Leaf {
  tensor: Tensor;
  axis: number | null;
  path: string;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** A `vmap` being traced: the batched values of its stand-ins, its batch size, its trace level. */
export interface BatchFrame {
  readonly env: Map<Node, Batched>;
  readonly size: number;
  readonly level: number;
}

const frames: BatchFrame[] = [];

let vmapTraces = 0;

/** Runs `fn` as a vmap's trace (kept history, counted apart from grad's traces). */
export function batchTrace<T>(fn: () => T): T {
  return withTrace(() => {
    vmapTraces++;
    try {
      return fn();
    } finally {
      vmapTraces--;
    }
  });
}

/** Whether a transform other than `vmap` (`grad`, `vjp`, `jvp`) is tracing. */
export function isDifferentiating(): boolean {
  return traceLevel() > vmapTraces;
}

/** Whether a function is being traced for `vmap` (its values are one example's stand-ins). */
export function isBatching(): boolean {
  return frames.length > 0;
}

/** The innermost `vmap` being traced, if any. */
export function batchFrame(): BatchFrame | undefined {
  return frames[frames.length - 1];
}

/** Runs `fn` with `frame` as the innermost vmap (`undefined`: outside the innermost one). */
export function inFrame<T>(frame: BatchFrame | undefined, fn: () => T): T {
  const top = frame === undefined ? frames.pop() : undefined;
  if (frame !== undefined) frames.push(frame);
  try {
    return fn();
  } finally {
    if (frame !== undefined) frames.pop();
    else if (top !== undefined) frames.push(top);
  }
}

/** Calls `visit` on every tensor of `value` with its path, in `flatten`'s order. */
function leafPaths(value: unknown, path: string, visit: (t: Tensor, path: string) => void): void {
  if (isTensor(value)) visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => leafPaths(v, `${path}[${i}]`, visit));
  else if (isPlain(value)) {
    for (const key of Object.keys(value).sort()) leafPaths(value[key], `${path}.${key}`, visit);
  }
}

/** Pairs every tensor of `value` with its axis from `spec`, in `flatten`'s order. */
function pairAxes(what: string, spec: AxisTree, value: unknown, path: string, out: Leaf[]): void {
  if (spec === null || typeof spec === "number") {
    if (spec !== null && !Number.isInteger(spec)) {
      throw new TypeError(`vmap() ${what} at ${path} must be an integer or null: found ${spec}`);
    }
    leafPaths(value, path, (t, at) => out.push({ tensor: t, axis: spec, path: at }));
    return;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value) || value.length !== spec.length) {
      throw new TypeError(
        `vmap() ${what} at ${path} is a list of ${spec.length}: expected the value there to be ` +
          `a list of the same length, found ${fmtValue(value)}: use one axis for the whole subtree`,
      );
    }
    value.forEach((v, i) => pairAxes(what, spec[i], v, `${path}[${i}]`, out));
    return;
  }
  if (isPlain(spec) && isPlain(value)) {
    for (const key of Object.keys(value).sort()) {
      const sub = (spec as Record<string, AxisTree>)[key];
      if (sub === undefined) {
        throw new TypeError(
          `vmap() ${what} has no entry for ${path}.${key}: give every key an axis (or null)`,
        );
      }
      pairAxes(what, sub, value[key], `${path}.${key}`, out);
    }
    return;
  }
  throw new TypeError(
    `vmap() ${what} at ${path} is ${fmtValue(spec)}: expected a number, null, a list or an ` +
      `object matching the value there (found ${isTensor(value) ? "a Tensor" : fmtValue(value)})`,
  );
}

/** The axis `axis` of a rank-`rank` tensor, counted from 0 (checked). */
function normalize(what: string, axis: number, rank: number, path: string): number {
  if (axis < -rank || axis >= rank) {
    throw new RangeError(
      `vmap() ${what} ${axis} is out of range for ${path}, which has ${rank} ax${
        rank === 1 ? "is" : "es"
      } with the batch: use an axis in [${-rank}, ${rank - 1}]`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** The arguments' leaves with their batch axes, and the batch size they agree on. */
function batchedInputs(inAxes: AxisTree, args: readonly unknown[]): [Leaf[], number] {
  const leaves: Leaf[] = [];
  if (Array.isArray(inAxes)) {
    if (inAxes.length !== args.length) {
      throw new RangeError(
        `vmap() inAxes has ${inAxes.length} entries: expected one per argument (${args.length}): ` +
          `a list gives each argument's axes; use a single number for all`,
      );
    }
    args.forEach((a, i) => pairAxes("inAxes", inAxes[i], a, `argument ${i}`, leaves));
  } else {
    args.forEach((a, i) => pairAxes("inAxes", inAxes, a, `argument ${i}`, leaves));
  }
  let first: Leaf | undefined;
  for (const leaf of leaves) {
    if (leaf.axis === null) continue;
    leaf.axis = normalize("inAxes", leaf.axis, leaf.tensor.shape.length, leaf.path);
    if (first === undefined) first = leaf;
    else if (leaf.tensor.shape[leaf.axis] !== first.tensor.shape[first.axis!]) {
      const describe = (l: Leaf) =>
        `${l.path} (shape ${fmtShape(l.tensor.shape)}) has ${
          l.tensor.shape[l.axis!]
        } along axis ${l.axis}`;
      throw new RangeError(
        `vmap() expected one batch size: ${describe(first)} but ${describe(leaf)}: ` +
          `batch every input along an axis of the same size, or give shared inputs a null axis`,
      );
    }
  }
  if (first === undefined) {
    throw new TypeError(
      `vmap() expected at least one batched input: every inAxes entry is null (or there are no ` +
        `tensor arguments): give the batched argument an axis, e.g. inAxes: [0, null]`,
    );
  }
  return [leaves, first.tensor.shape[first.axis!]];
}

/** One example's stand-in for a batched input: a fresh leaf over example 0 (zeros when empty). */
export function exampleLeaf(x: Node, axis: number, size: number): Node {
  const shape = x.shape.filter((_, i) => i !== axis);
  if (size === 0) return b.leaf(b.constant(0, x.dtype, shape, x.device));
  const one = x.shape.map((d, i) => (i === axis ? 1 : d));
  const first = b.slice(x, x.shape.map(() => 0), x.shape.map(() => 1), one);
  return b.leaf(b.reshape(first, shape));
}

/**
 * Vectorizes `f` over a batch axis of its arguments: `vmap(f)(xs)` stacks `f(x)` for every example
 * `x` of `xs`, computed as one batched program (no loop). Arguments and results may be parameter
 * trees; `inAxes` says where each argument's batch axis is (`null`: shared by all examples), and
 * `outAxes` where to put it in the results. Composes with `grad` (per-example gradients), `jvp`,
 * `jit` and itself.
 * @param f the function of one example
 * @param options `inAxes` (default 0) and `outAxes` (default 0)
 * @returns the batched function, with `f`'s parameter and result types
 * @example Per-example gradients
 * ```ts
 * import { grad, type Tensor, tensor, vmap } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const loss = (w: Tensor, x: Tensor, y: Tensor) => w.mul(x).sum().sub(y).square();
 * const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
 * const g = perExample(tensor([1, 1]), tensor([[1, 2], [3, 4]]), tensor([0, 0]));
 * assertEquals(g.toArray(), [[6, 12], [42, 56]]);
 * ```
 * @example Nested: an outer product
 * ```ts
 * import { type Tensor, tensor, vmap } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const mulAll = vmap((a: Tensor) => vmap((c: Tensor) => a.mul(c))(tensor([1, 10])));
 * assertEquals(mulAll(tensor([2, 3])).toArray(), [[2, 20], [3, 30]]);
 * ```
 */
export function vmap<F extends AnyFunction>(
  f: F,
  options: VmapOptions = {},
): (...args: Parameters<F>) => ReturnType<F> {
  checkOptions("vmap", options, ["inAxes", "outAxes"]);
  return (...args: Parameters<F>): ReturnType<F> => {
    const [leaves, size] = batchedInputs(options.inAxes === undefined ? 0 : options.inAxes, args);
    return batchTrace(() => {
      const env = new Map<Node, Batched>();
      const stand = leaves.map(({ tensor, axis }) => {
        if (axis === null) return tensor;
        const leaf = exampleLeaf(tensor.node, axis, size);
        env.set(leaf, [tensor.node, axis]);
        return wrap(leaf);
      });
      let next = 0;
      const traced = args.map((a) => {
        const { leaves: ts, def } = flatten(a as Tree);
        return unflatten(def, ts.map(() => stand[next++]));
      });
      const frame = { env, size, level: traceLevel() };
      const out: ReturnType<F> = inFrame(frame, () => f(...traced));
      const outLeaves: Leaf[] = [];
      pairAxes(
        "outAxes",
        options.outAxes === undefined ? 0 : options.outAxes,
        out,
        "output",
        outLeaves,
      );
      const done = batchGraph(outLeaves.map((l) => l.tensor.node), env);
      const results = done.map(([node, axis], i) => {
        const { axis: want, path, tensor } = outLeaves[i];
        if (want === null) {
          if (axis === undefined) return tensor;
          throw new TypeError(
            `vmap() outAxes is null at ${path}, but that output depends on the batched inputs: ` +
              `give it an axis`,
          );
        }
        const to = normalize(
          "outAxes",
          want,
          node.shape.length + (axis === undefined ? 1 : 0),
          path,
        );
        return wrap(moveAxis(node, axis, to, size));
      });
      const { def } = flatten(out as Tree);
      return unflatten(def, results) as ReturnType<F>;
    });
  };
}
