/**
 * `checkpoint` (rematerialisation, JAX's `jax.checkpoint`): trade compute
 * for memory in reverse mode.
 * @module
 */
import { isFloat } from "./ir/dtype.ts";
import type { Node } from "./ir/ir.ts";
import * as b from "./ops/build.ts";
import { vjpNodes } from "./autodiff.ts";
import { frontier } from "./_loop_body.ts";
import { wrap } from "./_wrap.ts";
import { flatten, type Tree, unflatten } from "./tree.ts";
import type { AnyFunction } from "./transform_types.ts";

/**
 * Makes `f` forget its forward values: under `grad`/`vjp` only its inputs
 * are saved for the backward pass, which runs `f`'s forward again to
 * differentiate it. Values and gradients are those of `f`; a compiled
 * program's peak memory (`kernelStats().programPeakBytes`) drops when the
 * recomputed part is large, e.g. a deep stack checkpointed in segments of
 * about √depth layers. Like `jax.checkpoint`, `f` takes and returns
 * parameter trees (tensors, arrays, plain objects); the forward is
 * recomputed once for all its outputs.
 * @param f the function to recompute in the backward pass
 * @returns a function with `f`'s parameters and values
 * @example Gradients are unchanged
 * ```ts
 * import { checkpoint, grad, type Tensor, tanh, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const block = checkpoint((x: Tensor) => tanh(tanh(x)));
 * const g = grad((x: Tensor) => block(x).sum())(tensor([0.5]));
 * const t = Math.tanh(0.5);
 * // d tanh(tanh x) = (1 - tanh²(tanh x)) (1 - tanh² x)
 * assertAlmostEquals(g.item(), (1 - Math.tanh(t) ** 2) * (1 - t * t), 1e-6);
 * ```
 * @example Trees in and out
 * ```ts
 * import { checkpoint, grad, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const block = checkpoint((p: { w: Tensor; b: Tensor }, x: Tensor) => ({
 *   y: x.mul(p.w).add(p.b),
 *   z: [x.square()],
 * }));
 * const loss = (p: { w: Tensor; b: Tensor }) => {
 *   const { y, z } = block(p, tensor([3]));
 *   return y.sum().add(z[0].sum());
 * };
 * const g = grad(loss)({ w: tensor([2]), b: tensor([1]) });
 * assertEquals([g.w.toArray(), g.b.toArray()], [[3], [1]]);
 * ```
 */
export function checkpoint<F extends AnyFunction>(
  f: F,
): (...inputs: Parameters<F>) => ReturnType<F> {
  return (...inputs: Parameters<F>): ReturnType<F> => {
    const flat = flatten(inputs as Tree);
    const floats = flat.leaves.filter((t) => isFloat(t.dtype)).map((t) => t.node);
    const out = f(...inputs) as Tree;
    const outs = flatten(out);
    // values `f` reads without taking them as inputs (closed over) get gradients too
    const captured = frontier(outs.leaves.map((t) => t.node), new Set(floats))
      .filter((n) => isFloat(n.dtype));
    const wrt = [...floats, ...captured];
    // the recomputed forward, made once (at the first output's backward)
    let again: { leaves: Node[]; outs: Node[] } | undefined;
    const backward = (k: number, ct: Node): (Node | undefined)[] => {
      // NOTE: nodes are not interned, so this forward is a second, fresh graph (scheduled where
      // the backward pass reads it) rather than the saved first one
      again ??= recompute(f, flat);
      const cts = again.outs.map((
        o,
        j,
      ) => (j === k ? ct : b.constant(0, o.dtype, o.shape, o.device)));
      const r = vjpNodes(again.outs, cts, [...again.leaves, ...captured]);
      return r;
    };
    const leaves = outs.leaves.map((t, k) =>
      isFloat(t.dtype) ? wrap(b.customVjp(wrt, t.node, (ct) => backward(k, ct))) : t
    );
    return unflatten(outs.def, leaves) as ReturnType<F>;
  };
}

/** `f` run again on fresh leaves for the float inputs: those leaves and its outputs' nodes. */
function recompute(
  f: AnyFunction,
  flat: ReturnType<typeof flatten>,
): { leaves: Node[]; outs: Node[] } {
  const leaves: Node[] = [];
  const args = flat.leaves.map((t) => {
    if (!isFloat(t.dtype)) return t;
    const leaf = b.leaf(t.node);
    leaves.push(leaf);
    return wrap(leaf);
  });
  const out = flatten(f(...(unflatten(flat.def, args) as unknown[])) as Tree);
  return { leaves, outs: out.leaves.map((t) => t.node) };
}
