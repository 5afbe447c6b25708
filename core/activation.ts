/**
 * Activation functions, composed from primitives (so they fuse and, once
 * transforms land, differentiate for free). NaN propagates like PyTorch.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir.ts";
import { fmtValue } from "./errors.ts";
import { promoteWithScalar } from "./dtype.ts";

function c(value: number, like: Node): Node {
  return b.constant(value, like.dtype, like.shape);
}

/** x <= 0 as bool, false for NaN. */
function nonPositive(x: Node): Node {
  return b.alu("maximum", b.alu("cmplt", x, c(0, x)), b.alu("cmpeq", x, c(0, x)));
}

/**
 * max(x, 0); NaN stays NaN, and the slope at 0 is 0 like PyTorch.
 * @example
 * ```ts
 * import { relu, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(relu(tensor([-1, 0, 2])).toArray(), [0, 0, 2]);
 * ```
 */
export function relu(x: Tensor): Tensor {
  const n = nodeOf("relu", x);
  return wrap(b.alu("where", nonPositive(n), c(0, n), n));
}

/** x for x > 0, else `slope * x` (default slope 0.01). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  const n = floatNode(nodeOf("leakyRelu", x));
  return wrap(b.alu("where", nonPositive(n), b.alu("mul", n, c(slope, n)), n));
}

/** 1 / (1 + e^-x). */
export function sigmoid(x: Tensor): Tensor {
  const n = floatNode(nodeOf("sigmoid", x));
  return wrap(b.alu("recip", b.alu("add", c(1, n), b.alu("exp", b.alu("neg", n)))));
}

/** x · sigmoid(x) (a.k.a. swish). */
export function silu(x: Tensor): Tensor {
  const n = floatNode(nodeOf("silu", x));
  return wrap(b.alu("mul", n, sigmoid(wrap(n)).node));
}

/** Options of `gelu`. */
export interface GeluOptions {
  /** `"none"` (default): the exact erf form; `"tanh"`: the tanh approximation (like PyTorch). */
  approximate?: "none" | "tanh";
}

/** Gaussian error linear unit: x·Φ(x), exact (erf) or with the tanh approximation. */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const n = floatNode(nodeOf("gelu", x));
  checkOptions("gelu", options, ["approximate"]);
  const approximate = options.approximate ?? "none";
  const half = b.alu("mul", n, c(0.5, n));
  if (approximate === "none") {
    const phi = b.alu("add", c(1, n), b.alu("erf", b.alu("mul", n, c(Math.SQRT1_2, n))));
    return wrap(b.alu("mul", half, phi));
  }
  if (approximate !== "tanh") {
    throw new TypeError(
      `gelu() expected approximate "none" or "tanh": found ${fmtValue(approximate)}`,
    );
  }
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  const cube = b.alu("mul", b.alu("mul", n, n), n);
  const inner = b.alu(
    "mul",
    b.alu("add", n, b.alu("mul", cube, c(0.044715, n))),
    c(Math.sqrt(2 / Math.PI), n),
  );
  return wrap(b.alu("mul", half, b.alu("add", c(1, n), b.alu("tanh", inner))));
}

/** log(1 + e^(βx))/β, linear above `threshold` (PyTorch's defaults β = 1, threshold = 20). */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  const n = floatNode(nodeOf("softplus", x));
  checkOptions("softplus", options, ["beta", "threshold"]);
  const beta = options.beta ?? 1;
  const bx = b.alu("mul", n, c(beta, n));
  const soft = b.alu("div", b.alu("log1p", b.alu("exp", bx)), c(beta, n));
  return wrap(b.alu("where", b.alu("cmplt", c(options.threshold ?? 20, n), bx), n, soft));
}

/** x for x > 0, else α(e^x - 1) (default α = 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  const n = floatNode(nodeOf("elu", x));
  return wrap(b.alu("where", nonPositive(n), b.alu("mul", b.alu("expm1", n), c(alpha, n)), n));
}

/**
 * Clamps into `[min, max]` (either bound optional; `max` wins when min > max);
 * NaN stays NaN. A fractional bound makes an int tensor float32, like PyTorch.
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  let n = nodeOf("clamp", x);
  if (min === undefined && max === undefined) {
    throw new TypeError("clamp() expected at least one of min and max: found neither");
  }
  for (const [name, bound] of [["min", min], ["max", max]] as const) {
    if (bound !== undefined && typeof bound !== "number") {
      throw new TypeError(`clamp() expected a number for ${name}: found ${fmtValue(bound)}`);
    }
    if (bound !== undefined) n = b.cast(n, promoteWithScalar(n.dtype, bound));
  }
  // where(), not maximum/minimum: the whole gradient passes at the bounds (PyTorch's min <= x <= max)
  if (min !== undefined) n = b.alu("where", b.alu("cmplt", n, c(min, n)), c(min, n), n);
  if (max !== undefined) n = b.alu("where", b.alu("cmplt", c(max, n), n), c(max, n), n);
  return wrap(n);
}

/** Alias of `clamp` (NumPy's name). */
export const clip: typeof clamp = clamp;
