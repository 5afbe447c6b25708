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
import type { Node } from "./ir/ir.ts";
import { fmtValue } from "./ir/errors.ts";
import { promoteWithScalar } from "./ir/dtype.ts";

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

function checkBound(name: string, label: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name}() expected a number for ${label}: found ${fmtValue(value)}`);
  }
  return value;
}

/**
 * min(max(x, lo), hi) with the gradient 1 strictly inside (lo, hi) and 0
 * elsewhere, NaN included (its value stays NaN), as PyTorch.
 */
function hardClamp(n: Node, lo: number, hi: number): Node {
  const inside = b.alu("minimum", b.alu("cmplt", c(lo, n), n), b.alu("cmplt", n, c(hi, n)));
  const high = b.alu("maximum", b.alu("cmplt", c(hi, n), n), b.alu("cmpeq", n, c(hi, n)));
  const outside = b.alu(
    "where",
    b.alu("cmplt", n, c(lo, n)),
    c(lo, n),
    b.alu("where", high, c(hi, n), b.stopGradient(n)),
  );
  return b.alu("where", inside, n, outside);
}

/** Options of `hardtanh`. */
export interface HardtanhOptions {
  /** The lower bound (default -1, torch's min_val). */
  min?: number;
  /** The upper bound (default 1, torch's max_val). */
  max?: number;
}

/**
 * Clamps into [min, max] (torch.nn.functional.hardtanh; defaults -1 and 1),
 * with gradient 1 strictly inside and 0 at and beyond the bounds; NaN stays NaN.
 * @param x the tensor
 * @param options the bounds
 * @returns the clamped values (float)
 * @example
 * ```ts
 * import { hardtanh, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hardtanh(tensor([-3, 0.5, 2])).toArray(), [-1, 0.5, 1]);
 * assertEquals(hardtanh(tensor([-3, 2]), { min: -2, max: 0 }).toArray(), [-2, 0]);
 * ```
 */
export function hardtanh(x: Tensor, options: HardtanhOptions = {}): Tensor {
  const n = floatNode(nodeOf("hardtanh", x));
  const lo = checkBound("hardtanh", "min", options.min ?? -1);
  const hi = checkBound("hardtanh", "max", options.max ?? 1);
  if (lo > hi) {
    throw new RangeError(
      `hardtanh() expected min <= max: found min ${lo} and max ${hi}: swap them`,
    );
  }
  return wrap(hardClamp(n, lo, hi));
}

/**
 * min(max(x, 0), 6) (torch.nn.functional.relu6), gradient 0 at the kinks.
 * @param x the tensor
 * @returns relu6(x) (float)
 * @example
 * ```ts
 * import { relu6, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(relu6(tensor([-1, 3, 8])).toArray(), [0, 3, 6]);
 * ```
 */
export function relu6(x: Tensor): Tensor {
  return wrap(hardClamp(floatNode(nodeOf("relu6", x)), 0, 6));
}

/**
 * relu6(x + 3) / 6 (torch.nn.functional.hardsigmoid): 0 below -3, 1 above 3.
 * @param x the tensor
 * @returns hardsigmoid(x) (float)
 * @example
 * ```ts
 * import { hardsigmoid, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hardsigmoid(tensor([-4, 0, 4])).toArray(), [0, 0.5, 1]);
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  const n = floatNode(nodeOf("hardsigmoid", x));
  return wrap(b.alu("div", hardClamp(b.alu("add", n, c(3, n)), 0, 6), c(6, n)));
}

/**
 * x · relu6(x + 3) / 6 (torch.nn.functional.hardswish), with PyTorch's
 * one-sided derivatives at ±3 (-0.5 at -3, 1 at 3).
 * @param x the tensor
 * @returns hardswish(x) (float)
 * @example
 * ```ts
 * import { hardswish, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hardswish(tensor([-4, 0, 1, 4])).toArray(), [0, 0, Math.fround(2 / 3), 4]);
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  const n = floatNode(nodeOf("hardswish", x));
  const below = b.alu("cmplt", n, c(-3, n));
  // PyTorch's branches: x < -3, -3 <= x < 3 (NaN too), x >= 3; the middle one gets a
  // finite input where unused, so its gradient stays finite at ±inf
  const atLeast3 = b.alu("maximum", b.alu("cmplt", c(3, n), n), b.alu("cmpeq", n, c(3, n)));
  const m = b.alu("where", b.alu("maximum", below, atLeast3), c(0, n), n);
  const middle = b.alu("div", b.alu("mul", m, b.alu("add", m, c(3, n))), c(6, n));
  const above = b.alu("where", atLeast3, n, middle);
  // x·0 below -3: -0 like PyTorch, and NaN at -inf
  return wrap(b.alu("where", below, b.alu("mul", n, c(0, n)), above));
}
