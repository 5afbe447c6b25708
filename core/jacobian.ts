/**
 * Jacobians and Hessians of small functions of one tensor: `jacrev` (one
 * reverse pass per output element), `jacfwd` (one forward pass per input
 * element) and `hessian`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { grad, jvp, vjp } from "./autodiff.ts";
import { stack } from "./movement.ts";
import { tensor } from "./creation.ts";
import { isTensor } from "./_wrap.ts";
import { fmtValue } from "./errors.ts";

/** A function of one tensor. */
export type TensorFunction = (x: Tensor) => Tensor;

function oneHot(index: number, like: Tensor): Tensor {
  const data = new Float64Array(like.size);
  data[index] = 1;
  return tensor(data, { shape: like.shape }).astype(like.dtype);
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
 * The Jacobian by reverse mode: shape `[...out.shape, ...x.shape]`.
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
    const rows = Array.from({ length: y.size }, (_, i) => back(oneHot(i, y))[0] as Tensor);
    return stack(rows).reshape([...y.shape, ...x.shape]);
  };
}

/** The Jacobian by forward mode: shape `[...out.shape, ...x.shape]`. */
export function jacfwd(f: (x: Tensor) => Tensor): TensorFunction {
  return (x) => {
    const columns = Array.from({ length: x.size }, (_, i) => {
      const [out, t] = jvp(f, [x], [oneHot(i, x)]);
      checkOut("jacfwd", out);
      return t;
    });
    const outShape = columns[0].shape;
    return stack(columns, -1).reshape([...outShape, ...x.shape]);
  };
}

/** The Hessian of a scalar function: shape `[...x.shape, ...x.shape]`. */
export function hessian(f: (x: Tensor) => Tensor): TensorFunction {
  return jacrev(grad(f));
}
