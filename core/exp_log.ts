/**
 * Exponentials, logarithms and the special functions built on them, with
 * PyTorch's semantics (integers become float32). Which are primitives, and why:
 * - `log2` and `log10` are primitives so that powers of 2 and 10 give exact
 *   integers, as PyTorch's do (log(x) / ln 10 gives 2.9999999999999996 at 1000).
 * - `erfc` is a primitive: 1 - erf(x) has no relative accuracy in the tail.
 * - `erfinv`, `lgamma` and `digamma` are primitives (no composition exists);
 *   their float64 forms and accuracy are in core/ops/_special_math.ts. digamma's
 *   gradient uses the internal primitive `trigamma`, whose own gradient is
 *   composed (core/ops/special.ts).
 * - `exp2(x) = pow(2, x)`: C's pow is exact at integers and within an ulp
 *   elsewhere; the gradient is pow's, 2^x · ln 2.
 * - `logAddExp(a, b) = max(a, b) + log1p(e^-|a-b|)`, as PyTorch computes it
 *   (equal infinities give themselves, not NaN).
 * - `xlogy(x, y) = x · log(y)`, 0 where x = 0 and y is not NaN, with
 *   PyTorch's gradients (a custom rule: the masked composition would zero
 *   d/dx = log(y) at x = 0).
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
function not(mask: Node): Node {
  return alu("cmpeq", mask, constant(0, "bool", mask.shape));
}

/**
 * 2^x (torch.exp2), exact at integers.
 * @param x the exponents
 * @returns 2^x
 * @example
 * ```ts
 * import { exp2, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(exp2(tensor([3, -1, 0.5])).toArray(), [8, 0.5, Math.fround(Math.SQRT2)]);
 * ```
 */
export function exp2(x: Tensor): Tensor {
  const n = floatNode(nodeOf("exp2", x));
  return wrap(alu("pow", c(2, n), n));
}

/**
 * log(e^a + e^b) without overflow (torch.logaddexp).
 * @param a a tensor or number
 * @param b a tensor or number (broadcast with `a`)
 * @returns log(e^a + e^b)
 * @example
 * ```ts
 * import { logAddExp, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(logAddExp(tensor([1000]), tensor([1000])).item(), 1000 + Math.LN2, 1e-3);
 * ```
 */
export function logAddExp(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("logAddExp", [a, b], "float32").map(floatNode);
  const big = alu("maximum", x, y);
  const gap = alu("neg", alu("abs", alu("add", x, alu("neg", y))));
  const sum = alu("add", big, alu("log1p", alu("exp", gap)));
  // log(e^inf + e^inf) = inf (inf - inf would give NaN)
  const sameInfinity = alu(
    "minimum",
    alu("cmpeq", x, y),
    alu("cmpeq", alu("abs", x), c(Infinity, x)),
  );
  return wrap(alu("where", sameInfinity, x, sum));
}

/**
 * x · log(y), with 0 where x = 0 and y is not NaN (torch.xlogy): the
 * convention of entropies, 0 · log 0 = 0.
 * @param x a tensor or number
 * @param y a tensor or number (broadcast with `x`)
 * @returns x · log(y)
 * @example
 * ```ts
 * import { tensor, xlogy } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(xlogy(tensor([0, 2]), tensor([0, 1])).toArray(), [0, 0]);
 * ```
 */
export function xlogy(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = operands("xlogy", [x, y], "float32").map(floatNode);
  return xlogyVjp(wrap(a), wrap(b));
}

// PyTorch's gradients: d/dx = log(y), 0 where x = 0 and y <= 0; d/dy = x / y (NaN at 0/0)
const xlogyVjp = customVjp(
  (x: Tensor, y: Tensor) => {
    const [a, b] = [x.node, y.node];
    const zero = alu("minimum", alu("cmpeq", a, c(0, a)), not(alu("isnan", b)));
    return [wrap(alu("where", zero, c(0, a), alu("mul", a, alu("log", b)))), [a, b]];
  },
  ([a, b]: Node[], ct: Tensor) => {
    const masked = alu("minimum", alu("cmpeq", a, c(0, a)), alu("cmplt", b, c(0, b)));
    const atZero = alu(
      "maximum",
      masked,
      alu("minimum", alu("cmpeq", a, c(0, a)), alu("cmpeq", b, c(0, b))),
    );
    const dx = alu("where", atZero, c(0, a), alu("mul", ct.node, alu("log", b)));
    return [wrap(dx), wrap(alu("div", alu("mul", ct.node, a), b))];
  },
);

function special(
  op: "log2" | "log10" | "erfc" | "erfinv" | "lgamma" | "digamma",
  x: Tensor,
): Tensor {
  return wrap(alu(op, floatNode(nodeOf(op, x))));
}

/**
 * Base-2 logarithm (torch.log2), exact at powers of 2.
 * @param x the tensor
 * @returns log2(x)
 * @example
 * ```ts
 * import { log2, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(log2(tensor([8, 0.5])).toArray(), [3, -1]);
 * ```
 */
export function log2(x: Tensor): Tensor {
  return special("log2", x);
}

/**
 * Base-10 logarithm (torch.log10), exact at powers of 10.
 * @param x the tensor
 * @returns log10(x)
 * @example
 * ```ts
 * import { log10, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(log10(tensor([1000, 0.01], { dtype: "float64" })).toArray(), [3, -2]);
 * ```
 */
export function log10(x: Tensor): Tensor {
  return special("log10", x);
}

/**
 * The complementary error function 1 - erf(x), accurate in the tail (torch.erfc).
 * @param x the tensor
 * @returns erfc(x)
 * @example
 * ```ts
 * import { erfc, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(erfc(tensor([5], { dtype: "float64" })).item(), 1.5374597944280349e-12, 1e-24);
 * ```
 */
export function erfc(x: Tensor): Tensor {
  return special("erfc", x);
}

/**
 * The inverse error function (torch.erfinv): ±inf at ±1, NaN outside [-1, 1].
 * @param x the tensor
 * @returns y with erf(y) = x
 * @example
 * ```ts
 * import { erf, erfinv, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(erf(erfinv(tensor([0.3]))).item(), 0.3, 1e-6);
 * ```
 */
export function erfinv(x: Tensor): Tensor {
  return special("erfinv", x);
}

/**
 * log |Γ(x)| (torch.lgamma): +inf at 0 and the negative integers.
 * @param x the tensor
 * @returns lgamma(x)
 * @example
 * ```ts
 * import { lgamma, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(lgamma(tensor([5])).item(), Math.log(24), 1e-6);
 * ```
 */
export function lgamma(x: Tensor): Tensor {
  return special("lgamma", x);
}

/**
 * The digamma function ψ(x) = d/dx log Γ(x) (torch.digamma), differentiable
 * twice (trigamma, then a composed ψ'').
 * @param x the tensor
 * @returns ψ(x)
 * @example
 * ```ts
 * import { digamma, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(digamma(tensor([1])).item(), -0.5772156649015329, 1e-6);
 * ```
 */
export function digamma(x: Tensor): Tensor {
  return special("digamma", x);
}
