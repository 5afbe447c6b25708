/**
 * `checkpoint` (rematerialisation, JAX's `jax.checkpoint`): trade compute
 * for memory in reverse mode.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { customVjp } from "./custom_vjp.ts";
import { vjp } from "./autodiff.ts";

/**
 * Makes `f` forget its forward values: under `grad`/`vjp` only its inputs
 * are saved for the backward pass, which runs `f`'s forward again to
 * differentiate it. Values and gradients are those of `f`; a compiled
 * program's peak memory (`kernelStats().programPeakBytes`) drops when the
 * recomputed part is large, e.g. a deep stack checkpointed in segments of
 * about √depth layers. A checkpointed `f` takes tensors and returns one.
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
 */
export function checkpoint<A extends Tensor[]>(
  f: (...inputs: A) => Tensor,
): (...inputs: A) => Tensor {
  return customVjp(
    (...inputs: A): [Tensor, A] => [f(...inputs), inputs],
    // NOTE: nodes are not interned, so this forward is a second, fresh graph (scheduled where
    // the backward pass reads it) rather than the saved first one
    (inputs: A, ct: Tensor) => vjp(f, ...inputs)[1](ct),
  );
}
