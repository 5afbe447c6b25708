/**
 * More activation functions, composed from primitives with PyTorch's
 * definitions, defaults and derivatives at 0: mish, selu, celu, logSigmoid,
 * softsign, tanhshrink, and the axis-wise glu and softmin.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { fmtValue } from "./ir/errors.ts";
import { normalizeAxis } from "./ir/shape.ts";
import { sigmoid } from "./activation.ts";
import { split } from "./movement.ts";
import { softmax } from "./reduce.ts";

function c(value: number, like: Node): Node {
  return b.constant(value, like.dtype, like.shape);
}
function f(name: string, x: Tensor): Node {
  return floatNode(nodeOf(name, x));
}
/** !(x > 0) as bool: true for NaN, which takes the exponential branch as in PyTorch's kernels. */
function nonPositive(x: Node): Node {
  const positive = b.alu("cmplt", c(0, x), x);
  return b.alu("cmpeq", positive, b.constant(0, "bool", x.shape));
}
/** α(e^(x/α) - 1) for x <= 0, else x (selu and celu before their scale). */
function eluNode(n: Node, alpha: number): Node {
  const low = nonPositive(n);
  // the unused branch gets 0, so e^x stays finite in its gradient at +inf
  const m = b.alu("where", low, n, c(0, n));
  const negative = b.alu("mul", b.alu("expm1", b.alu("div", m, c(alpha, n))), c(alpha, n));
  return b.alu("where", low, negative, n);
}

/**
 * x · tanh(softplus(x)) (torch.nn.functional.mish).
 * @param x the tensor
 * @returns mish(x)
 * @example
 * ```ts
 * import { mish, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(mish(tensor([1])).item(), Math.tanh(Math.log1p(Math.E)), 1e-6);
 * ```
 */
export function mish(x: Tensor): Tensor {
  const n = f("mish", x);
  // softplus(x) = x above 20 (the same value in float64); the clamp keeps e^x finite
  const big = b.alu("cmplt", c(20, n), n);
  const soft = b.alu("log1p", b.alu("exp", b.alu("where", big, c(0, n), n)));
  return wrap(b.alu("mul", n, b.alu("tanh", b.alu("where", big, n, soft))));
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * scale · elu(x, α) with PyTorch's constants (torch.nn.functional.selu);
 * the derivative at 0 is the left one, scale · α.
 * @param x the tensor
 * @returns selu(x)
 * @example
 * ```ts
 * import { selu, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(selu(tensor([1])).item(), 1.0507009873554805, 1e-6);
 * ```
 */
export function selu(x: Tensor): Tensor {
  const n = f("selu", x);
  const low = nonPositive(n);
  const m = b.alu("where", low, n, c(0, n));
  const e = b.alu("where", low, b.alu("mul", b.alu("expm1", m), c(SELU_ALPHA, n)), n);
  return wrap(b.alu("mul", e, c(SELU_SCALE, n)));
}

/**
 * max(0, x) + min(0, α(e^(x/α) - 1)) (torch.nn.functional.celu, default α = 1).
 * @param x the tensor
 * @param options `alpha`, not 0
 * @returns celu(x)
 * @example
 * ```ts
 * import { celu, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(celu(tensor([-1]), { alpha: 2 }).item(), 2 * Math.expm1(-0.5), 1e-6);
 * ```
 */
export function celu(x: Tensor, options: { alpha?: number } = {}): Tensor {
  const n = f("celu", x);
  const alpha = options.alpha ?? 1;
  if (typeof alpha !== "number" || !(alpha !== 0)) {
    throw new RangeError(
      `celu() expected a nonzero number for alpha: found ${fmtValue(alpha)}: the default is 1`,
    );
  }
  return wrap(eluNode(n, alpha));
}

/**
 * log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|), without overflow
 * (torch.nn.functional.logsigmoid).
 * @param x the tensor
 * @returns log σ(x)
 * @example
 * ```ts
 * import { logSigmoid, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(logSigmoid(tensor([-200])).item(), -200, 1e-3);
 * ```
 */
export function logSigmoid(x: Tensor): Tensor {
  const n = f("logSigmoid", x);
  const tail = b.alu("log1p", b.alu("exp", b.alu("neg", b.alu("abs", n))));
  return wrap(b.alu("add", b.alu("minimum", n, c(0, n)), b.alu("neg", tail)));
}

/**
 * x / (1 + |x|) (torch.nn.functional.softsign).
 * @param x the tensor
 * @returns softsign(x)
 * @example
 * ```ts
 * import { softsign, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(softsign(tensor([-3, 1])).toArray(), [-0.75, 0.5]);
 * ```
 */
export function softsign(x: Tensor): Tensor {
  const n = f("softsign", x);
  return wrap(b.alu("div", n, b.alu("add", b.alu("abs", n), c(1, n))));
}

/**
 * x - tanh(x) (torch.nn.functional.tanhshrink).
 * @param x the tensor
 * @returns tanhshrink(x)
 * @example
 * ```ts
 * import { tanhshrink, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(tanhshrink(tensor([1])).item(), 1 - Math.tanh(1), 1e-6);
 * ```
 */
export function tanhshrink(x: Tensor): Tensor {
  const n = f("tanhshrink", x);
  return wrap(b.alu("add", n, b.alu("neg", b.alu("tanh", n))));
}

/**
 * The gated linear unit a · sigmoid(b), with a and b the halves of `x` along
 * `axis` (torch.nn.functional.glu; default the last axis).
 * @param x a tensor whose `axis` has even size
 * @param axis the axis to halve
 * @returns a tensor with that axis halved
 * @example
 * ```ts
 * import { glu, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(glu(tensor([[2, 4, 0, 0]])).toArray(), [[1, 2]]);
 * ```
 */
export function glu(x: Tensor, axis: number = -1): Tensor {
  const n = f("glu", x);
  const a = normalizeAxis("glu", axis, n.shape.length);
  if (n.shape[a] % 2 !== 0) {
    throw new RangeError(
      `glu() expected an even size along axis ${axis}: found ${n.shape[a]} in shape [${
        n.shape.join(", ")
      }]: the axis is split into two equal halves`,
    );
  }
  const [first, gate] = split(wrap(n), n.shape[a] / 2, a);
  return wrap(b.alu("mul", first.node, sigmoid(gate).node));
}

/**
 * softmax(-x) along `axis` (torch.nn.functional.softmin; default the last axis).
 * @param x the tensor
 * @param axis the axis that sums to 1
 * @returns softmin(x)
 * @example
 * ```ts
 * import { softmin, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(softmin(tensor([0, Math.log(3)])).dataSync()[0], 0.75, 1e-6);
 * ```
 */
export function softmin(x: Tensor, axis: number = -1): Tensor {
  return softmax(wrap(b.alu("neg", f("softmin", x))), axis);
}
