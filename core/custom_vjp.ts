/**
 * `customVjp`: a function with a hand-written reverse rule, for numerically
 * stable composites (logSumExp, cross-entropy, BCE) or cheaper gradients.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { customVjp as customNode } from "./ops/build.ts";
import { nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";

/**
 * Defines `f` by a forward function returning `[output, residuals]` and a
 * backward function mapping `(residuals, outputCotangent)` to one cotangent
 * per input (`undefined` for none). Gradients use `backward` and never look
 * inside `forward`; `backward` may itself be differentiated. The result takes
 * the same parameters as `forward`.
 * @example A stable softplus gradient
 * ```ts
 * import { customVjp, grad, sigmoid, softplus, tensor, Tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const sp = customVjp(
 *   (x: Tensor) => [softplus(x), x] as [Tensor, Tensor],
 *   (x: Tensor, ct: Tensor) => [ct.mul(sigmoid(x))],
 * );
 * assertAlmostEquals(grad((x: Tensor) => sp(x).sum())(tensor([0])).item(), 0.5);
 * ```
 */
export function customVjp<A extends Tensor[], R>(
  forward: (...inputs: A) => [Tensor, R],
  backward: (residuals: R, cotangent: Tensor) => readonly (Tensor | undefined)[],
): (...inputs: A) => Tensor {
  return (...inputs: A): Tensor => {
    const nodes = inputs.map((t, i) => nodeOf("customVjp", t, i));
    const [out, residuals] = forward(...inputs);
    const value = nodeOf("customVjp", out);
    return wrap(customNode(nodes, value, (ct) => {
      const grads = backward(residuals, wrap(ct));
      if (!Array.isArray(grads) || grads.length !== nodes.length) {
        throw new TypeError(
          `customVjp() backward expected to return ${nodes.length} cotangent(s), one per input: found ${
            fmtValue(grads)
          }`,
        );
      }
      return grads.map((g, i) => {
        if (g === undefined) return undefined;
        const n = nodeOf("customVjp", g, i);
        const want = nodes[i].shape;
        if (n.shape.length !== want.length || n.shape.some((d, j) => d !== want[j])) {
          throw new RangeError(
            `customVjp() backward returned shape ${fmtShape(n.shape)} for input ${i}: expected ${
              fmtShape(want)
            }`,
          );
        }
        return n;
      });
    }));
  };
}
