/**
 * Loops inside `vmap`: a `scan` or `whileLoop` called while `vmap` traces one example runs once,
 * on the whole batch. Its inputs (carry, xs, and the values its body reads from outside) are
 * batched with the primitives' rules as far as the traced program goes; the loop then runs outside
 * that `vmap` with a batched body (the example's body traced on stand-ins and rewritten by
 * `batchGraph`, so it is traced once per compile under `jit`), and its results come back as
 * stand-ins whose batched values `vmap` knows. A `whileLoop` whose predicate differs per example
 * runs until every example is done, each example's carry frozen from its own last step (as
 * `jax.vmap` of `while_loop`). Under a `grad` started inside the `vmap` (per-example gradients),
 * the batched scan's results get scan's reverse rule in the example's terms.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { type Node, traceLevel } from "./ir/ir.ts";
import * as b from "./ops/build.ts";
import { type Batched, batchGraph } from "./ops/batching.ts";
import { moveAxis } from "./ops/_batch_axes.ts";
import { wrap } from "./_wrap.ts";
import { type BatchFrame, batchFrame, batchTrace, exampleLeaf, inFrame } from "./vmap.ts";
import { capturedBy, type FlatScan, type FlatStep, specsOf, withScanVjp } from "./_scan_vjp.ts";

/**
 * The innermost vmap, when a loop can run batched in it: not when a transform started inside the
 * vmap (`vmap(grad(f))`) traces the loop, which then runs step by step in the example's terms.
 */
export function loopFrame(): BatchFrame | undefined {
  const frame = batchFrame();
  return frame !== undefined && traceLevel() === frame.level ? frame : undefined;
}

/**
 * `step` on batched arguments (batch axis 0 where `batched[i]`): traced on one example's
 * stand-ins, the outer values it reads bound to their batched values, and rewritten for the batch;
 * every result batched on axis 0.
 */
function batchedStep(
  step: FlatStep,
  batched: readonly boolean[],
  captured: ReadonlyMap<Node, Batched>,
  size: number,
): FlatStep {
  return (args) =>
    batchTrace(() => {
      const env = new Map<Node, Batched>(captured);
      const stand = args.map((t, i) => {
        if (!batched[i]) return t;
        const leaf = exampleLeaf(t.node, 0, size);
        env.set(leaf, [t.node, 0]);
        return wrap(leaf);
      });
      const frame = { env, size, level: traceLevel() };
      const outs = inFrame(frame, () => step(stand));
      return batchGraph(outs.map((t) => t.node), env).map(([n, axis]) =>
        wrap(moveAxis(n, axis, 0, size))
      );
    });
}

/** Stand-ins in the example's terms for batched results (batch axis `axis` of each). */
function standIns(frame: BatchFrame, results: readonly Tensor[], axis: (i: number) => number) {
  return results.map((r, i) => {
    const leaf = exampleLeaf(r.node, axis(i), frame.size);
    frame.env.set(leaf, [r.node, axis(i)]);
    return wrap(leaf);
  });
}

/** The batched values of `nodes` in `frame`, and the batched values of `step`'s outer reads. */
function enter(frame: BatchFrame, nodes: readonly Node[], step: FlatStep, specs: Tensor[][]) {
  const captured = capturedBy(step, specsOf(specs[0], specs[1]), false);
  const done = batchGraph([...nodes, ...captured], frame.env);
  const bound = new Map<Node, Batched>();
  captured.forEach((c, i) => {
    const [n, axis] = done[nodes.length + i];
    if (axis !== undefined) bound.set(c, [moveAxis(n, axis, 0, frame.size), 0]);
  });
  return { done: done.slice(0, nodes.length), bound, any: done.some(([, a]) => a !== undefined) };
}

/**
 * `scan` inside `vmap`, run once on the batch: the carry batched on axis 0, batched xs on axis 1
 * (axis 0 stays the step), the ys come back with the batch on axis 1.
 * @returns the flat results in the example's terms, or `undefined` when nothing is batched
 */
export function batchedScan(
  frame: BatchFrame,
  step: FlatStep,
  init: readonly Tensor[],
  xs: readonly Tensor[],
  n: number,
  reverse: boolean,
  scan: FlatScan,
): Tensor[] | undefined {
  const nc = init.length;
  const { done, bound, any } = enter(frame, [...init, ...xs].map((t) => t.node), step, [
    [...init],
    [...xs],
  ]);
  if (!any && bound.size === 0) return undefined;
  const size = frame.size;
  const carry = done.slice(0, nc).map(([node, axis]) => wrap(moveAxis(node, axis, 0, size)));
  const xsB = done.slice(nc).map(([node, axis]) =>
    wrap(axis === undefined ? node : moveAxis(node, axis, 1, size))
  );
  const batched = [...carry.map(() => true), ...done.slice(nc).map(([, a]) => a !== undefined)];
  const out = inFrame(
    undefined,
    () => scan(batchedStep(step, batched, bound, size), carry, xsB, n, reverse),
  );
  return standIns(frame, out, (i) => (i < nc ? 0 : 1));
}

/**
 * `whileLoop` inside `vmap`, run once on the batch: while any example's predicate holds, the
 * body runs on all of them and each example whose predicate is false keeps its carry.
 * @returns the final carry's leaves in the example's terms, or `undefined` when nothing is batched
 */
export function batchedWhile(
  frame: BatchFrame,
  test: (carry: readonly Tensor[]) => Tensor,
  body: FlatStep,
  init: readonly Tensor[],
  whileLoop: (test: (c: Tensor[]) => Tensor, body: FlatStep, init: Tensor[]) => Tensor[],
): Tensor[] | undefined {
  const both: FlatStep = (c) => [test(c), ...body(c)];
  const { done, bound, any } = enter(frame, init.map((t) => t.node), both, [[...init], []]);
  if (!any && bound.size === 0) return undefined;
  const size = frame.size;
  const carry = done.map(([node, axis]) => wrap(moveAxis(node, axis, 0, size)));
  const batchedTest = batchedStep((c) => [test(c)], carry.map(() => true), bound, size);
  const batchedBody = batchedStep(body, carry.map(() => true), bound, size);
  const out = inFrame(undefined, () =>
    whileLoop(
      (c) => batchedTest(c)[0].reshape([size]).ne(0).any(),
      (c) => {
        const go = batchedTest(c)[0].reshape([size]).ne(0);
        return batchedBody(c).map((next, i) => {
          const keep = b.reshape(go.node, [size, ...Array(next.shape.length - 1).fill(1)]);
          return wrap(b.alu("where", b.expand(keep, next.shape), next.node, c[i].node));
        });
      },
      carry,
    ));
  return standIns(frame, out, () => 0);
}

/**
 * `scan` under a `grad` started inside `vmap` (`vmap(grad(f))`): the batched scan, its results
 * wrapped with scan's reverse rule in the example's terms (whose reverse scan runs batched in
 * turn). The carries the forward saves are results too, so a second derivative reaches the
 * inputs through them.
 * @returns the flat results in the example's terms, or `undefined` when nothing is batched
 */
export function batchedScanVjp(
  frame: BatchFrame,
  step: FlatStep,
  init: readonly Tensor[],
  xs: readonly Tensor[],
  n: number,
  reverse: boolean,
  scan: FlatScan,
): Tensor[] | undefined {
  const nc = init.length;
  const withSaved: FlatStep = (args) => [...step(args), ...args.slice(0, nc)];
  const out = batchedScan(frame, withSaved, init, xs, n, reverse, scan);
  if (out === undefined) return undefined;
  const end = out.length - nc;
  const wrapped: Tensor[] = withScanVjp({
    step: withSaved,
    init,
    xs,
    captured: capturedBy(step, specsOf(init, xs)),
    n,
    reverse,
    results: out,
    saved: () => wrapped.slice(end),
    scan,
  });
  return wrapped.slice(0, end);
}
