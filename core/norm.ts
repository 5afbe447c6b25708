/**
 * Vector norms and the functions built on them, with PyTorch's semantics:
 * `norm` (torch.linalg.vector_norm, and torch.norm's "fro"), `normalize`
 * (torch.nn.functional.normalize) and `cosineSimilarity`
 * (torch.nn.functional.cosine_similarity, normalizing first as PyTorch 1.13
 * does), and `hypot`, the 2-norm of two numbers: scaled by the larger
 * magnitude, so it neither overflows nor underflows, with PyTorch's gradient
 * as a custom rule (the composition's differs where an input is NaN or
 * infinite). Gradients follow PyTorch at 0: a zero vector's p-norm (p >= 1)
 * has gradient 0, ties of the ∞-norm share it.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf, operands, type TensorLike } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { fmtValue } from "./ir/errors.ts";
import { max, min, type ReduceOptions, sum } from "./reduce.ts";
import { abs, pow, sqrt, where } from "./elementwise.ts";
import { broadcastTo } from "./movement.ts";
import { alu, constant } from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { customVjp } from "./custom_vjp.ts";
import { broadcastShapes, normalizeAxes, normalizeAxis } from "./ir/shape.ts";

function c(value: number, like: Node): Node {
  return constant(value, like.dtype, like.shape);
}

/** Options of `norm`. */
export interface NormOptions extends ReduceOptions {
  /**
   * The order: a number (2 by default; Infinity is the largest magnitude,
   * -Infinity the smallest, 0 counts nonzero elements) or "fro" (2).
   */
  p?: number | "fro";
}

/** Divides where the denominator is nonzero; 0 elsewhere, with no NaN in either gradient. */
function safeRoot(s: Tensor, p: number): Tensor {
  const zero = s.eq(0);
  const safe = where(zero, 1, s);
  return where(zero, 0, p === 2 ? sqrt(safe) : pow(safe, 1 / p));
}

/**
 * The vector p-norm over `axis` (all elements by default), like
 * torch.linalg.vector_norm.
 * @param x the tensor (integers become float32)
 * @param options `p` (default 2), `axis`, `keepdims`
 * @returns the norms
 * @example
 * ```ts
 * import { norm, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([[3, 4], [-6, 8]]);
 * assertEquals(norm(x, { axis: 1 }).toArray(), [5, 10]);
 * assertEquals(norm(x, { p: 1 }).item(), 21);
 * assertEquals(norm(x, { p: Infinity, axis: 0 }).toArray(), [6, 8]);
 * ```
 */
export function norm(x: Tensor, options: NormOptions = {}): Tensor {
  const t = wrap(floatNode(nodeOf("norm", x)));
  const p = options.p === "fro" ? 2 : options.p ?? 2;
  if (typeof p !== "number" || Number.isNaN(p)) {
    throw new TypeError(
      `norm() expected p to be a number or "fro": found ${fmtValue(options.p)}`,
    );
  }
  const axis = normalizeAxes("norm", options.axis, t.ndim);
  const reduce = { axis, keepdims: options.keepdims };
  const a = abs(t);
  if (p === Infinity) return max(a, reduce);
  if (p === -Infinity) return min(a, reduce);
  if (p === 0) return sum(a.ne(0).astype(t.dtype), reduce);
  if (p === 1) return sum(a, reduce);
  if (p === 2) return safeRoot(sum(t.mul(t), reduce), 2);
  // PyTorch's gradient of |x|^p is 0 at x = 0 (also for p < 1, where the power rule gives inf)
  const zero = a.eq(0);
  const powered = p > 0 ? where(zero, 0, pow(where(zero, 1, a), p)) : pow(a, p);
  return safeRoot(sum(powered, reduce), p);
}

/** Options of `normalize`. */
export interface NormalizeOptions {
  /** The norm's order (default 2). */
  p?: number;
  /** The axis to normalize (default 1, like PyTorch). */
  axis?: number;
  /** The smallest denominator (default 1e-12). */
  eps?: number;
}

function checkEps(name: string, eps: unknown): number {
  if (typeof eps !== "number" || !(eps >= 0)) {
    throw new RangeError(`${name}() expected eps to be a number >= 0: found ${fmtValue(eps)}`);
  }
  return eps;
}

/**
 * x / max(‖x‖_p, eps) along `axis` (torch.nn.functional.normalize).
 * @param x the tensor
 * @param options `p` (2), `axis` (1), `eps` (1e-12)
 * @returns x scaled to unit norm along the axis
 * @example Rows to unit length
 * ```ts
 * import { normalize, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(normalize(tensor([[3, 4], [0, 0]])).toArray(), [[0.6, 0.8].map(Math.fround), [0, 0]]);
 * ```
 */
export function normalize(x: Tensor, options: NormalizeOptions = {}): Tensor {
  const t = wrap(floatNode(nodeOf("normalize", x)));
  const eps = checkEps("normalize", options.eps ?? 1e-12);
  const axis = normalizeAxis("normalize", options.axis ?? 1, t.ndim);
  const n = norm(t, { p: options.p ?? 2, axis, keepdims: true });
  // clamp_min: the gradient passes where the norm is at least eps
  return t.div(where(n.lt(eps), eps, n));
}

/**
 * The cosine of the angle between `a` and `b` along `axis`
 * (torch.nn.functional.cosine_similarity): each normalized by max(‖·‖, eps)
 * first, then their dot product.
 * @param a a tensor
 * @param b a tensor broadcastable with `a`
 * @param options `axis` (default 1, like PyTorch), `eps` (default 1e-8)
 * @returns the cosines, with `axis` removed
 * @example
 * ```ts
 * import { cosineSimilarity, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const cos = cosineSimilarity(tensor([[1, 0]]), tensor([[1, 1]]));
 * assertAlmostEquals(cos.item(), Math.SQRT1_2, 1e-6);
 * ```
 */
export function cosineSimilarity(
  a: Tensor,
  b: Tensor,
  options: { axis?: number; eps?: number } = {},
): Tensor {
  const na = floatNode(nodeOf("cosineSimilarity", a, 0));
  const nb = floatNode(nodeOf("cosineSimilarity", b, 1));
  const shape = broadcastShapes("cosineSimilarity", na.shape, nb.shape);
  const x = broadcastTo(wrap(na), shape);
  const y = broadcastTo(wrap(nb), shape);
  const eps = checkEps("cosineSimilarity", options.eps ?? 1e-8);
  const axis = normalizeAxis("cosineSimilarity", options.axis ?? 1, shape.length);
  const unit = (t: Tensor) => {
    const n = norm(t, { axis, keepdims: true });
    return t.div(where(n.lt(eps), eps, n));
  };
  return sum(unit(x).mul(unit(y)), { axis });
}

/**
 * The hypotenuse √(a² + b²) without overflow or underflow (torch.hypot):
 * m · √(1 + (n/m)²) with m, n the larger and smaller magnitude; +inf if
 * either is infinite. Its gradient is PyTorch's a/hypot, b/hypot (NaN at
 * the origin).
 * @param a a tensor or number
 * @param b a tensor or number (broadcast with `a`)
 * @returns √(a² + b²)
 * @example
 * ```ts
 * import { hypot, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(hypot(tensor([3, 5e30]), tensor([4, 12e30])).toArray(), [5, Math.fround(13e30)]);
 * ```
 */
export function hypot(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("hypot", [a, b], "float32").map(floatNode);
  return hypotVjp(wrap(x), wrap(y));
}

const hypotVjp = customVjp(
  (a: Tensor, b: Tensor) => {
    const ax = alu("abs", a.node);
    const ay = alu("abs", b.node);
    const big = alu("maximum", ax, ay);
    const small = alu("minimum", ax, ay);
    const zero = alu("cmpeq", big, c(0, big));
    const r = alu("div", small, alu("where", zero, c(1, big), big));
    const scaled = alu("mul", big, alu("sqrt", alu("add", c(1, r), alu("mul", r, r))));
    const inf = c(Infinity, big);
    const infinite = alu("maximum", alu("cmpeq", ax, inf), alu("cmpeq", ay, inf));
    const out = alu("where", infinite, inf, alu("where", zero, c(0, big), scaled));
    return [wrap(out), [a.node, b.node, out]];
  },
  ([a, b, out]: Node[], ct: Tensor) => [
    wrap(alu("div", alu("mul", ct.node, a), out)),
    wrap(alu("div", alu("mul", ct.node, b), out)),
  ],
);
