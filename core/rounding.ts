/**
 * Truncation, fractional parts, C's remainder and linear interpolation, with
 * PyTorch's semantics. `trunc`, `frac` and `lerp` are compositions (exact:
 * `x - trunc(x)` has no rounding error, and `lerp` uses PyTorch's two
 * one-sided formulas); `fmod` is a primitive because the sign fix-up of the
 * Python-style `mod` would round (fmod(-1e-20, 1) must stay -1e-20).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf, operands, type TensorLike } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { alu, constant } from "./ops/build.ts";
import { isFloat } from "./ir/dtype.ts";
import type { Node } from "./ir/ir.ts";

function c(value: number, like: Node): Node {
  return constant(value, like.dtype, like.shape);
}

function truncNode(n: Node): Node {
  return alu("where", alu("cmplt", n, c(0, n)), alu("ceil", n), alu("floor", n));
}

/**
 * Rounds toward zero (torch.trunc); integers are returned unchanged.
 * @param x the tensor
 * @returns the integral part of each element, as `x`'s dtype
 * @example Toward zero
 * ```ts
 * import { tensor, trunc } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(trunc(tensor([2.7, -2.7, 0.5])).toArray(), [2, -2, 0]);
 * ```
 */
export function trunc(x: Tensor): Tensor {
  const n = nodeOf("trunc", x);
  return isFloat(n.dtype) ? wrap(truncNode(n)) : x;
}

/**
 * The fractional part `x - trunc(x)`, with x's sign (torch.frac).
 * @param x a float tensor
 * @returns the fractional parts
 * @example
 * ```ts
 * import { frac, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(frac(tensor([2.5, -2.25])).toArray(), [0.5, -0.25]);
 * ```
 */
export function frac(x: Tensor): Tensor {
  const n = nodeOf("frac", x);
  if (!isFloat(n.dtype)) {
    throw new TypeError(
      `frac() expected a float tensor: found ${n.dtype}: integers have no fractional part, convert with .float() first`,
    );
  }
  return wrap(alu("add", n, alu("neg", truncNode(n))));
}

/**
 * Linear interpolation `start + weight · (end - start)` (torch.lerp), with
 * PyTorch's formula `end - (end - start) · (1 - weight)` for |weight| >= 0.5,
 * so that weight 1 gives exactly `end`.
 * @param start the values at weight 0
 * @param end the values at weight 1
 * @param weight a tensor or a number (broadcast with the others)
 * @returns the interpolated values (float)
 * @example Halfway, and the ends exactly
 * ```ts
 * import { lerp, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(lerp(tensor([0, 10]), tensor([1, 20]), 0.5).toArray(), [0.5, 15]);
 * assertEquals(lerp(tensor([0.1]), tensor([0.3]), 1).toArray(), [Math.fround(0.3)]);
 * ```
 */
export function lerp(start: Tensor, end: Tensor, weight: TensorLike): Tensor {
  nodeOf("lerp", start, 0);
  nodeOf("lerp", end, 1);
  const [s, e, w] = operands("lerp", [start, end, weight], "float32").map(floatNode);
  const diff = alu("add", e, alu("neg", s));
  const low = alu("add", s, alu("mul", w, diff));
  const high = alu("add", e, alu("neg", alu("mul", diff, alu("add", c(1, w), alu("neg", w)))));
  const small = alu("cmplt", alu("abs", w), c(0.5, w));
  return wrap(alu("where", small, low, high));
}

/**
 * C's remainder `a - trunc(a / b)·b`, with the dividend's sign (torch.fmod;
 * `mod` is Python's, with the divisor's sign). Exact; NaN where b is 0 for
 * floats, 0 for integers.
 * @param a the dividends (a tensor or number)
 * @param b the divisors (a tensor or number, broadcast with `a`)
 * @returns fmod(a, b)
 * @example
 * ```ts
 * import { fmod, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(fmod(tensor([-7, 7]), 3).toArray(), [-1, 1]);
 * ```
 */
export function fmod(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("fmod", [a, b]);
  if (x.dtype === "bool") {
    throw new TypeError(
      'fmod() expected numeric operands: found bool and bool: cast with .astype("int32")',
    );
  }
  return wrap(alu("fmod", x, y));
}
