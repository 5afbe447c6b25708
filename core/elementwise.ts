/**
 * Elementwise math: unary functions and binary operators with NumPy
 * broadcasting and PyTorch-like dtype promotion. JS numbers are accepted
 * wherever a tensor is.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { broadcastNode, floatNode, nodeOf, operands, type TensorLike } from "./_convert.ts";
import { broadcastShapes } from "./ir/shape.ts";
import { isTensor, wrap } from "./_wrap.ts";
import { fmtValue } from "./ir/errors.ts";
import { alu, cast, constant } from "./ops/build.ts";
import type { AluOp } from "./ops/elementwise.ts";
import { isFloat } from "./ir/dtype.ts";
import type { Node } from "./ir/ir.ts";

function binary(op: AluOp, name: string, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(name, [a, b]);
  return wrap(alu(op, x, y));
}

function floatUnary(op: AluOp, name: string, x: Tensor): Tensor {
  return wrap(alu(op, floatNode(nodeOf(name, x))));
}

function sameUnary(op: AluOp, name: string, x: Tensor): Tensor {
  return wrap(alu(op, nodeOf(name, x)));
}

/**
 * Elementwise `a + b` with broadcasting.
 * @example Adding a number
 * ```ts
 * import { add, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(add(tensor([1, 2]), 10).toArray(), [11, 12]);
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("add", [a, b]);
  // NOTE: bool + bool is logical or (1 + 1 must stay 1 in a bool tensor)
  return wrap(alu(x.dtype === "bool" ? "maximum" : "add", x, y));
}

/** Elementwise `a - b` with broadcasting (not for two bools, like PyTorch). */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("sub", [a, b]);
  if (x.dtype === "bool") {
    throw new TypeError(
      "sub() expected numeric operands: found bool and bool: use logicalXor() for booleans",
    );
  }
  return wrap(alu("add", x, alu("neg", y)));
}

/** Elementwise `a * b` with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary("mul", "mul", a, b);
}

/** Elementwise true division `a / b` (integers give float32, like PyTorch). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("div", [a, b], "float32");
  return wrap(alu("div", x, y));
}

/**
 * Elementwise `a ** b`. A float tensor squared (`b` the number 2) is
 * `a * a`, as in PyTorch: exact, and a multiply in every kernel tier.
 * @example
 * ```ts
 * import { pow, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(pow(tensor([1.5, -3]), 2).toArray(), [2.25, 9]);
 * assertEquals(pow(2, tensor([0.5, 3])).toArray(), [Math.SQRT2, 8].map(Math.fround));
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("pow", [a, b]);
  if (b === 2 && isTensor(a) && isFloat(x.dtype) && x.dtype === y.dtype) {
    return wrap(alu("mul", x, x));
  }
  return wrap(alu("pow", x, y));
}

/** Elementwise maximum (NaN if either is NaN). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary("maximum", "maximum", a, b);
}

/** Elementwise minimum (NaN if either is NaN). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary("minimum", "minimum", a, b);
}

/** Elementwise remainder with the divisor's sign (torch.remainder, Python's %). */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return binary("mod", "mod", a, b);
}

/** `a < b` as bool. */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return binary("cmplt", "lt", a, b);
}

/** `a > b` as bool. */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("gt", [a, b]);
  return wrap(alu("cmplt", y, x));
}

/** `a == b` as bool. */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return binary("cmpeq", "eq", a, b);
}

/** `a != b` as bool (true when either is NaN). */
export function ne(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("ne", [a, b]);
  return wrap(notNode(alu("cmpeq", x, y)));
}

function notNode(x: Node): Node {
  return alu("cmpeq", x, constant(0, x.dtype, x.shape));
}

/** `a <= b` as bool (false when either is NaN). */
export function le(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("le", [a, b]);
  return wrap(alu("maximum", alu("cmplt", x, y), alu("cmpeq", x, y)));
}

/** `a >= b` as bool (false when either is NaN). */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("ge", [a, b]);
  return wrap(alu("maximum", alu("cmplt", y, x), alu("cmpeq", x, y)));
}

/** Elementwise selection: `cond ? a : b` (cond is cast to bool), broadcasting all three. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  [cond, a, b].forEach((v, i) => {
    if (isTensor(v) || typeof v === "number" || typeof v === "boolean") return;
    throw new TypeError(
      `where() expected a Tensor or a number at position ${i}: found ${fmtValue(v)}`,
    );
  });
  const [c] = operands("where", [cond]);
  const [x, y] = operands("where", [a, b]);
  const shape = broadcastShapes("where", c.shape, x.shape);
  return wrap(
    alu(
      "where",
      broadcastNode(cast(c, "bool"), shape),
      broadcastNode(x, shape),
      broadcastNode(y, shape),
    ),
  );
}

/** Logical not (nonzero is true). */
export function logicalNot(x: TensorLike): Tensor {
  const [n] = operands("logicalNot", [x]);
  return wrap(notNode(n));
}

/** Logical and of the truth values. */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("logicalAnd", [a, b]).map((n) => cast(n, "bool"));
  return wrap(alu("mul", x, y));
}

/** Logical or of the truth values. */
export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("logicalOr", [a, b]).map((n) => cast(n, "bool"));
  return wrap(alu("maximum", x, y));
}

/** Logical exclusive or of the truth values. */
export function logicalXor(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands("logicalXor", [a, b]).map((n) => cast(n, "bool"));
  return ne(wrap(x), wrap(y));
}

/** `-x` (not for bool, like PyTorch: use logicalNot). */
export function neg(x: Tensor): Tensor {
  if (nodeOf("neg", x).dtype === "bool") {
    throw new TypeError(
      "neg() expected a numeric tensor: found bool: use logicalNot() to invert a mask",
    );
  }
  return sameUnary("neg", "neg", x);
}
/** e^x. */
export function exp(x: Tensor): Tensor {
  return floatUnary("exp", "exp", x);
}
/** e^x - 1, accurate near 0. */
export function expm1(x: Tensor): Tensor {
  return floatUnary("expm1", "expm1", x);
}
/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return floatUnary("log", "log", x);
}
/** log(1 + x), accurate near 0. */
export function log1p(x: Tensor): Tensor {
  return floatUnary("log1p", "log1p", x);
}
/** Square root (NaN below 0). */
export function sqrt(x: Tensor): Tensor {
  return floatUnary("sqrt", "sqrt", x);
}
/** 1 / sqrt(x). */
export function rsqrt(x: Tensor): Tensor {
  return wrap(alu("recip", alu("sqrt", floatNode(nodeOf("rsqrt", x)))));
}
/** 1 / x. */
export function reciprocal(x: Tensor): Tensor {
  return floatUnary("recip", "reciprocal", x);
}
/** Sine. */
export function sin(x: Tensor): Tensor {
  return floatUnary("sin", "sin", x);
}
/** Cosine. */
export function cos(x: Tensor): Tensor {
  return floatUnary("cos", "cos", x);
}
/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  return floatUnary("tanh", "tanh", x);
}
/** The error function. */
export function erf(x: Tensor): Tensor {
  return floatUnary("erf", "erf", x);
}
/** |x|. */
export function abs(x: Tensor): Tensor {
  return sameUnary("abs", "abs", x);
}
/** -1, 0 or 1 by the sign of x. */
export function sign(x: Tensor): Tensor {
  return sameUnary("sign", "sign", x);
}
/** x². */
export function square(x: Tensor): Tensor {
  const n = nodeOf("square", x);
  return wrap(alu("mul", n, n));
}

function rounding(op: AluOp, name: string, x: Tensor): Tensor {
  const n = nodeOf(name, x);
  return isFloat(n.dtype) ? wrap(alu(op, n)) : x;
}
/** Rounds down. */
export function floor(x: Tensor): Tensor {
  return rounding("floor", "floor", x);
}
/** Rounds up. */
export function ceil(x: Tensor): Tensor {
  return rounding("ceil", "ceil", x);
}
/** Rounds half to even, like torch.round. */
export function round(x: Tensor): Tensor {
  return rounding("round", "round", x);
}
/** Whether each element is NaN. */
export function isNaN(x: Tensor): Tensor {
  return wrap(alu("isnan", nodeOf("isNaN", x)));
}
/** Whether each element is finite (not NaN or ±Infinity). */
export function isFinite(x: Tensor): Tensor {
  const n = nodeOf("isFinite", x);
  return eq(wrap(alu("add", n, alu("neg", n))), 0);
}
