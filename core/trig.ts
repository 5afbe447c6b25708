/**
 * Trigonometric and hyperbolic functions beyond sin, cos and tanh, with
 * PyTorch's semantics (integers become float32). Which are primitives, and why:
 * - `atan2` is the primitive of the inverse family: `atan(x) = atan2(x, 1)`
 *   (fdlibm returns atan(x) itself there), `asin(x) = atan2(x, √((1-x)(1+x)))`
 *   and `acos(x) = atan2(√((1-x)(1+x)), x)`: (1 - x)(1 + x) has no
 *   cancellation near ±1, so these stay within a few ulp; asin and acos
 *   have custom gradients ±1/√((1-x)(1+x)) (±inf at ±1, where the chain
 *   rule meets inf·0).
 * - `sinh`, `cosh`, `asinh` and `acosh` are primitives: compositions over exp
 *   and log either cancel near 0 (e^x - e^-x), overflow early (x² for asinh
 *   of large x) or lose accuracy in their gradients.
 * - `tan = sin / cos` and `atanh(x) = (log1p(x) - log1p(-x)) / 2` are
 *   compositions: no cancellation (the two log1p have opposite signs), a
 *   few ulp, gradients by the quotient rule without cancellation.
 * - `sinc` and `deg2rad` are compositions: sinc is sin(πx)/(πx)
 *   as PyTorch computes it for |πx| >= 1 and its Taylor series below (whose
 *   gradient does not cancel, unlike PyTorch's: πx cos πx - sin πx loses
 *   half the digits at x = 1e-3). `hypot` is in norm.ts.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf, operands, type TensorLike } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { alu, constant } from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { customVjp } from "./custom_vjp.ts";

function c(value: number, like: Node): Node {
  return constant(value, like.dtype, like.shape);
}
function f(name: string, x: Tensor): Node {
  return floatNode(nodeOf(name, x));
}

/**
 * Tangent, as sin(x) / cos(x) (torch.tan).
 * @param x the angles in radians
 * @returns tan(x)
 * @example
 * ```ts
 * import { tan, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(tan(tensor([Math.PI / 4])).item(), 1, 1e-6);
 * ```
 */
export function tan(x: Tensor): Tensor {
  const n = f("tan", x);
  return wrap(alu("div", alu("sin", n), alu("cos", n)));
}

/**
 * Inverse hyperbolic tangent, (log1p(x) - log1p(-x)) / 2 (torch.atanh): ±inf
 * at ±1, NaN beyond.
 * @param x values in [-1, 1]
 * @returns atanh(x)
 * @example
 * ```ts
 * import { atanh, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(atanh(tensor([0.5])).item(), Math.atanh(0.5), 1e-6);
 * ```
 */
export function atanh(x: Tensor): Tensor {
  const n = f("atanh", x);
  const diff = alu("add", alu("log1p", n), alu("neg", alu("log1p", alu("neg", n))));
  return wrap(alu("mul", diff, c(0.5, n)));
}

/**
 * The normalized sinc function sin(πx) / (πx), 1 at 0 (torch.sinc).
 * @param x the tensor
 * @returns sinc(x)
 * @example
 * ```ts
 * import { sinc, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const [at0, atHalf] = sinc(tensor([0, 0.5])).toArray() as number[];
 * assertAlmostEquals(at0, 1);
 * assertAlmostEquals(atHalf, 2 / Math.PI, 1e-6);
 * ```
 */
export function sinc(x: Tensor): Tensor {
  const n = f("sinc", x);
  const p = alu("mul", n, c(Math.PI, n));
  const small = alu("cmplt", alu("abs", p), c(1, n));
  // |πx| < 1: sin(p)/p = Σ (-1)^k p^2k / (2k+1)!, whose gradient does not cancel
  // (p cos p - sin p does); each branch gets a harmless input where unused
  const ps = alu("where", small, p, c(0, n));
  const z = alu("mul", ps, ps);
  let series = c(SINC[0], n);
  for (const coef of SINC.slice(1)) series = alu("add", alu("mul", series, z), c(coef, n));
  const pl = alu("where", small, c(1, n), p);
  return wrap(alu("where", small, series, alu("div", alu("sin", pl), pl)));
}

/** (-1)^k / (2k+1)!, k = 8 … 0: truncation below 1e-17 for |p| < 1. */
const SINC = Array.from({ length: 9 }, (_, i) => {
  const k = 8 - i;
  let f = 1;
  for (let j = 2; j <= 2 * k + 1; j++) f *= j;
  return (k % 2 === 0 ? 1 : -1) / f;
});

/**
 * Degrees to radians, x · (π / 180) (torch.deg2rad).
 * @param x angles in degrees
 * @returns angles in radians
 * @example
 * ```ts
 * import { deg2rad, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(deg2rad(tensor([180])).item(), Math.PI, 1e-6);
 * ```
 */
export function deg2rad(x: Tensor): Tensor {
  const n = f("deg2rad", x);
  return wrap(alu("mul", n, c(Math.PI / 180, n)));
}

/**
 * The four-quadrant inverse tangent of y / x, in (-π, π] (torch.atan2),
 * with C's signed zeros and infinities.
 * @param y a tensor or number
 * @param x a tensor or number (broadcast with `y`)
 * @returns atan2(y, x)
 * @example
 * ```ts
 * import { atan2, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(atan2(tensor([1]), tensor([-1])).item(), 3 * Math.PI / 4, 1e-6);
 * ```
 */
export function atan2(y: TensorLike, x: TensorLike): Tensor {
  const [a, b] = operands("atan2", [y, x], "float32").map(floatNode);
  return wrap(alu("atan2", a, b));
}

/**
 * Inverse tangent, atan2(x, 1) (torch.atan).
 * @param x the tensor
 * @returns atan(x) in (-π/2, π/2)
 * @example
 * ```ts
 * import { atan, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(atan(tensor([1])).item(), Math.PI / 4, 1e-6);
 * ```
 */
export function atan(x: Tensor): Tensor {
  const n = f("atan", x);
  return wrap(alu("atan2", n, c(1, n)));
}

/** √((1 - x)(1 + x)): cos(asin x) without cancellation near ±1. */
function cosOfAsin(n: Node): Node {
  return alu("sqrt", alu("mul", alu("add", c(1, n), alu("neg", n)), alu("add", c(1, n), n)));
}

/**
 * Inverse sine, atan2(x, √((1-x)(1+x))) (torch.asin): NaN outside [-1, 1].
 * @param x the tensor
 * @returns asin(x) in [-π/2, π/2]
 * @example
 * ```ts
 * import { asin, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(asin(tensor([0.5])).item(), Math.PI / 6, 1e-6);
 * ```
 */
export function asin(x: Tensor): Tensor {
  return asinVjp(wrap(f("asin", x)));
}

// the gradients ±1/√(1 - x²): the chain rule through (1-x)(1+x) would give NaN at ±1 (inf·0)
const asinVjp = customVjp(
  (x: Tensor) => [wrap(alu("atan2", x.node, cosOfAsin(x.node))), x.node],
  (n: Node, ct: Tensor) => [wrap(alu("mul", ct.node, inverseCos(n)))],
);
const acosVjp = customVjp(
  (x: Tensor) => [wrap(alu("atan2", cosOfAsin(x.node), x.node)), x.node],
  (n: Node, ct: Tensor) => [wrap(alu("neg", alu("mul", ct.node, inverseCos(n))))],
);

/** 1/√((1 - x)(1 + x)) (PyTorch's 1 - x² cancels near ±1: 3e-6 off at 0.999 in float32). */
function inverseCos(n: Node): Node {
  return alu("recip", cosOfAsin(n));
}

/**
 * Inverse cosine, atan2(√((1-x)(1+x)), x) (torch.acos): NaN outside [-1, 1].
 * @param x the tensor
 * @returns acos(x) in [0, π]
 * @example
 * ```ts
 * import { acos, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(acos(tensor([0.5])).item(), Math.PI / 3, 1e-6);
 * ```
 */
export function acos(x: Tensor): Tensor {
  return acosVjp(wrap(f("acos", x)));
}

/**
 * Hyperbolic sine (torch.sinh).
 * @param x the tensor
 * @returns sinh(x)
 * @example
 * ```ts
 * import { sinh, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(sinh(tensor([1])).item(), Math.sinh(1), 1e-6);
 * ```
 */
export function sinh(x: Tensor): Tensor {
  return wrap(alu("sinh", f("sinh", x)));
}

/**
 * Hyperbolic cosine (torch.cosh).
 * @param x the tensor
 * @returns cosh(x)
 * @example
 * ```ts
 * import { cosh, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(cosh(tensor([1])).item(), Math.cosh(1), 1e-6);
 * ```
 */
export function cosh(x: Tensor): Tensor {
  return wrap(alu("cosh", f("cosh", x)));
}

/**
 * Inverse hyperbolic sine (torch.asinh).
 * @param x the tensor
 * @returns asinh(x)
 * @example
 * ```ts
 * import { asinh, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(asinh(tensor([1])).item(), Math.asinh(1), 1e-6);
 * ```
 */
export function asinh(x: Tensor): Tensor {
  return wrap(alu("asinh", f("asinh", x)));
}

/**
 * Inverse hyperbolic cosine (torch.acosh): NaN below 1.
 * @param x the tensor
 * @returns acosh(x)
 * @example
 * ```ts
 * import { acosh, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(acosh(tensor([2])).item(), Math.acosh(2), 1e-6);
 * ```
 */
export function acosh(x: Tensor): Tensor {
  return wrap(alu("acosh", f("acosh", x)));
}
