/**
 * Jacobians and Hessians of small functions of one tensor, each one batched pass (`vmap`) over
 * the basis vectors: `jacrev` (the reverse pass applied to every output direction at once),
 * `jacfwd` (the forward pass for every input direction at once) and `hessian`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { grad, jvp, vjp } from "./autodiff.ts";
import { vmap } from "./vmap.ts";
import { eye } from "./creation.ts";
import { isTensor } from "./_wrap.ts";
import { fmtValue } from "./ir/errors.ts";

/** A function of one tensor. */
export type TensorFunction = (x: Tensor) => Tensor;

/** Every basis direction of `like`'s space, stacked: shape `[like.size, ...like.shape]`. */
function basis(like: Tensor): Tensor {
  return eye(like.size, like.size, { dtype: like.dtype }).reshape([like.size, ...like.shape]);
}

function checkOut(name: string, out: unknown): Tensor {
  if (!isTensor(out)) {
    throw new TypeError(
      `${name}() expected the function to return a Tensor: found ${fmtValue(out)}`,
    );
  }
  return out;
}

/**
 * The Jacobian by reverse mode, one batched reverse pass over every output direction: shape
 * `[...out.shape, ...x.shape]`.
 * @example
 * ```ts
 * import { jacrev, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(jacrev((x) => x.mul(x))(tensor([1, 2])).toArray(), [[2, 0], [0, 4]]);
 * ```
 */
export function jacrev(f: (x: Tensor) => Tensor): TensorFunction {
  return (x) => {
    const [out, back] = vjp(f, x);
    const y = checkOut("jacrev", out);
    const rows = vmap((ct: Tensor) => back(ct)[0])(basis(y));
    return rows.reshape([...y.shape, ...x.shape]);
  };
}

/**
 * The Jacobian by forward mode, one batched forward pass over every input direction: shape
 * `[...out.shape, ...x.shape]`.
 * @example
 * ```ts
 * import { jacfwd, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(jacfwd((x) => x.mul(x).sum())(tensor([1, 2])).toArray(), [2, 4]);
 * ```
 */
export function jacfwd(f: (x: Tensor) => Tensor): TensorFunction {
  return (x) => {
    const column = (t: Tensor) => checkOut("jacfwd", jvp(f, [x], [t])[1]);
    const columns = vmap(column, { outAxes: -1 })(basis(x));
    return columns.reshape([...columns.shape.slice(0, -1), ...x.shape]);
  };
}

/** The Hessian of a scalar function: shape `[...x.shape, ...x.shape]`. */
export function hessian(f: (x: Tensor) => Tensor): TensorFunction {
  return jacrev(grad(f));
}
