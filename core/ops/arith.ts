/**
 * Elementwise primitives, part 1: arithmetic, comparison, selection, rounding. Their gradients use
 * these ops only, so `math.ts` can build on this file. Kinks follow PyTorch (|x|'(0) = 0, ties of
 * maximum/minimum share the gradient).
 * @module
 */
import type { Node } from "../ir/ir.ts";
import type { Elementwise, JsForm, KernelForms, VjpRule } from "./primitive.ts";
import { apply, binary, call, constant, definePrimitive, elementwiseBatch } from "./primitive.ts";
import { predicate, rt, sameAsBranches, unary } from "./primitive.ts";
import { isFloat, truthy, type WgslForm } from "./_wgsl_helpers.ts";

/** `value` broadcast like `like`. */
export function c(value: number, like: Node): Node {
  return constant(value, like.dtype, like.shape, like.device);
}
/** A unary op's rule from its derivative: d out = ct · f'(x). */
export function unaryVjp(derivative: (x: Node, out: Node) => Node): VjpRule {
  return (ct, { src }, out) => [mul(ct, derivative(src[0], out))];
}
/** A piecewise-constant unary op: cheap, no gradient. */
function piecewise<K extends string>(name: K, kernel: KernelForms): Elementwise<K> {
  return unary(name, { cost: "cheap", vjp: () => [undefined], kernel });
}

/** The gradient share of each input of maximum/minimum: 1 where it wins, 1/2 on ties. */
function share(ct: Node, wins: Node, ties: Node): Node {
  return where(ties, mul(ct, c(0.5, ct)), where(wins, ct, c(0, ct)));
}

/** A float op that is the identity on int32 (WGSL form). */
function float(name: string): WgslForm {
  return ([x], [t]) => isFloat(t) ? `${name}(${x})` : x;
}
const negate = ([x]: readonly string[]) => `(-${x})`;
/** An infix operator, the same text in JS and WGSL. */
function infix(op: string): JsForm & WgslForm {
  return ([a, b]) => `(${a} ${op} ${b})`;
}
/** An op whose WGSL form on int32 calls a helper (integer division by zero gives 0). */
function intHelper(float: WgslForm, name: "lt_idiv"): WgslForm {
  return (a, t, h) => isFloat(t[0]) ? float(a, t, h) : `${h.use(name)}(${a.join(", ")})`;
}

// deno-fmt-ignore
/** The name of an arithmetic primitive. */
export type ArithOp =
  | "neg" | "recip" | "abs" | "sign" | "floor" | "ceil" | "round" | "isnan" | "add" | "mul"
  | "div" | "maximum" | "minimum" | "mod" | "cmplt" | "cmpeq" | "where";

/** The arithmetic primitives (a name without its row, or a row without a rule, does not compile). */
export const arithOps: { readonly [K in ArithOp]: Elementwise<K> } = {
  neg: unary("neg", {
    cost: "cheap",
    vjp: (ct) => [neg(ct)], // d(-x) = -dx
    kernel: { js: negate, wasm: { f32: "f32.neg", i32: "i32.neg" }, wgsl: negate },
  }),
  // NOTE: recip is a primitive so 1/x needs no broadcast constant
  recip: unary("recip", {
    cost: "costly",
    vjp: unaryVjp((_x, out) => neg(mul(out, out))), // d(1/x) = -dx / x²
    kernel: {
      js: ([x]) => `(1 / ${x})`,
      wasm: { f32: "f32.recip" },
      wgsl: ([x], [t], h) => isFloat(t) ? `(1.0 / ${x})` : `${h.use("lt_idiv")}(1, ${x})`,
    },
  }),
  abs: unary("abs", {
    cost: "cheap",
    vjp: unaryVjp((x) => alu("sign", x)),
    kernel: { js: call("Math.abs"), wasm: { f32: "f32.abs", i32: "i32.abs" }, wgsl: call("abs") },
  }),
  // like torch.sign: 0 for NaN and for -0 (Math.sign keeps both)
  sign: piecewise("sign", {
    js: ([x]) => `((${x} > 0) - (${x} < 0))`,
    wasm: { f32: "f32.sign" },
    wgsl: ([x], [t]) =>
      isFloat(t) ? `(f32(${x} > 0.0) - f32(${x} < 0.0))` : `(i32(${x} > 0) - i32(${x} < 0))`,
  }),
  floor: piecewise("floor", {
    js: call("Math.floor"),
    wasm: { f32: "f32.floor" },
    wgsl: float("floor"),
  }),
  ceil: piecewise("ceil", {
    js: call("Math.ceil"),
    wasm: { f32: "f32.ceil" },
    wgsl: float("ceil"),
  }),
  // half to even, like torch.round (and WGSL's round)
  round: piecewise("round", {
    js: rt("roundHalfEven"),
    wasm: { f32: "f32.nearest" },
    wgsl: float("round"),
  }),
  isnan: predicate("isnan", 1, {
    js: ([x]) => `(${x} !== ${x} ? 1 : 0)`,
    wasm: { f32: "f32.isnan" },
    wgsl: ([x], [t], h) => isFloat(t) ? `select(0, 1, ${h.use("lt_isnan")}(${x}))` : "0",
  }),
  add: binary("add", {
    cost: "cheap",
    vjp: (ct) => [ct, ct],
    kernel: { js: infix("+"), wasm: { f32: "f32.add", i32: "i32.add" }, wgsl: infix("+") },
  }),
  mul: binary("mul", {
    cost: "cheap",
    vjp: (ct, { src: [x, y] }) => [mul(ct, y), mul(ct, x)],
    kernel: {
      // int32 products wrap like torch's (a float product would round above 2^53)
      js: ([a, b], dtype) => dtype === "int32" ? `Math.imul(${a}, ${b})` : `(${a} * ${b})`,
      wasm: { f32: "f32.mul", i32: "i32.mul" },
      wgsl: infix("*"),
    },
  }),
  div: binary("div", {
    cost: "costly",
    // d(x/y) = dx/y - x·dy/y²
    vjp: (ct, { src: [, y] }, out) => [alu("div", ct, y), neg(alu("div", mul(ct, out), y))],
    kernel: { js: infix("/"), wasm: { f32: "f32.div" }, wgsl: intHelper(infix("/"), "lt_idiv") },
  }),
  // NaN-propagating like torch.maximum; on bools (0/1) logical or
  maximum: binary("maximum", {
    cost: "cheap",
    vjp: (ct, { src: [x, y] }) => {
      const ties = alu("cmpeq", x, y);
      return [share(ct, alu("cmplt", y, x), ties), share(ct, alu("cmplt", x, y), ties)];
    },
    kernel: {
      js: (a, dtype) => dtype === "bool" ? `(${a[0]} | ${a[1]})` : rt("maximum")(a, dtype),
      wasm: { f32: "f32.max", i32: "i32.max", mask: "or" },
      wgsl: ([a, b], [t], h) => isFloat(t) ? `${h.use("lt_max")}(${a}, ${b})` : `max(${a}, ${b})`,
    },
  }),
  // NaN-propagating like torch.minimum; on bools (0/1) logical and
  minimum: binary("minimum", {
    cost: "cheap",
    vjp: (ct, { src: [x, y] }) => {
      const ties = alu("cmpeq", x, y);
      return [share(ct, alu("cmplt", x, y), ties), share(ct, alu("cmplt", y, x), ties)];
    },
    kernel: {
      js: (a, dtype) => dtype === "bool" ? `(${a[0]} & ${a[1]})` : rt("minimum")(a, dtype),
      wasm: { f32: "f32.min", i32: "i32.min", mask: "and" },
      wgsl: ([a, b], [t], h) => isFloat(t) ? `${h.use("lt_min")}(${a}, ${b})` : `min(${a}, ${b})`,
    },
  }),
  // Python-style remainder: the result has the divisor's sign (torch.remainder)
  mod: binary("mod", {
    cost: "cheap",
    // x mod y = x - floor(x/y)·y
    vjp: (ct, { src: [x, y] }) => [ct, neg(mul(ct, alu("floor", alu("div", x, y))))],
    kernel: {
      js: rt("remainder"),
      wasm: { f32: "f32.remainder", i32: "i32.remainder" },
      wgsl: ([a, b], [t], h) => `${h.use(isFloat(t) ? "lt_fmod" : "lt_imod")}(${a}, ${b})`,
    },
  }),
  cmplt: predicate("cmplt", 2, {
    js: ([a, b]) => `(${a} < ${b} ? 1 : 0)`,
    wasm: { f32: "f32.lt", i32: "i32.lt" },
    wgsl: ([a, b]) => `select(0, 1, ${a} < ${b})`,
  }),
  cmpeq: predicate("cmpeq", 2, {
    js: ([a, b]) => `(${a} === ${b} ? 1 : 0)`,
    wasm: { f32: "f32.eq", i32: "i32.eq", mask: "i32.eq" },
    wgsl: ([a, b]) => `select(0, 1, ${a} == ${b})`,
  }),
  where: definePrimitive("where", {
    arity: 3,
    shape: sameAsBranches,
    vjp: (ct, { src: [cond] }) => [undefined, where(cond, ct, c(0, ct)), where(cond, c(0, ct), ct)],
    batch: elementwiseBatch,
    cost: "cheap",
    kernel: {
      js: ([cond, a, b]) => `(${cond} !== 0 ? ${a} : ${b})`,
      wasm: { f32: "select", i32: "select", mask: "select" },
      wgsl: ([cond, a, b], [tc]) => `select(${b}, ${a}, ${truthy(cond, tc)})`,
    },
  }),
};

/** Makes the node of an arithmetic primitive (operands validated). */
export function alu(op: ArithOp, ...src: Node[]): Node {
  return apply(arithOps[op], src);
}
/** `x · y`. */
export function mul(x: Node, y: Node): Node {
  return alu("mul", x, y);
}
/** `-x`. */
export function neg(x: Node): Node {
  return alu("neg", x);
}
/** `cond ? a : b`. */
export function where(cond: Node, a: Node, b: Node): Node {
  return alu("where", cond, a, b);
}
