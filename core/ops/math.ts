/**
 * Elementwise primitives, part 2: exponentials, logarithms, roots,
 * trigonometric and special functions, and pow. Each is a primitive because
 * it needs its own kernel (a composition would lose accuracy or speed).
 * @module
 */
import type { Node } from "../ir/ir.ts";
import { apply, binary, type Elementwise, rt, unary } from "./primitive.ts";
import { builtin, helper, isFloat } from "./_wgsl_helpers.ts";
import { alu, c, mul, neg, unaryVjp, where } from "./arith.ts";

// deno-fmt-ignore
/** The name of a transcendental primitive. */
export type MathOp =
  "exp" | "expm1" | "log" | "log1p" | "sqrt" | "sin" | "cos" | "tanh" | "erf" | "pow";

/** The transcendental primitives (a name without its row, or a row without a rule, does not compile). */
export const mathOps: { readonly [K in MathOp]: Elementwise<K> } = {
  exp: unary("exp", {
    cost: "costly",
    vjp: unaryVjp((_x, out) => out), // d exp(x) = exp(x) dx
    kernel: { js: ([x]) => `Math.exp(${x})`, wasm: { f32: "exp" }, wgsl: builtin("exp") },
  }),
  // NOTE: expm1/log1p are primitives for accuracy near 0
  expm1: unary("expm1", {
    cost: "costly",
    // d expm1(x) = e^x dx (not expm1(x) + 1, which is 0 below x = -37)
    vjp: unaryVjp((x) => math("exp", x)),
    kernel: { js: ([x]) => `Math.expm1(${x})`, wasm: { f32: "expm1" }, wgsl: helper("lt_expm1") },
  }),
  log: unary("log", {
    cost: "costly",
    vjp: unaryVjp((x) => alu("recip", x)),
    kernel: { js: ([x]) => `Math.log(${x})`, wasm: { f32: "log" }, wgsl: helper("lt_log") },
  }),
  log1p: unary("log1p", {
    cost: "costly",
    vjp: unaryVjp((x) => alu("recip", alu("add", x, c(1, x)))),
    kernel: { js: ([x]) => `Math.log1p(${x})`, wasm: { f32: "log1p" }, wgsl: helper("lt_log1p") },
  }),
  sqrt: unary("sqrt", {
    cost: "costly",
    vjp: unaryVjp((_x, out) => alu("recip", mul(out, c(2, out)))), // dx / (2 sqrt(x))
    kernel: { js: ([x]) => `Math.sqrt(${x})`, wasm: { f32: "f32.sqrt" }, wgsl: builtin("sqrt") },
  }),
  sin: unary("sin", {
    cost: "cheap",
    vjp: unaryVjp((x) => math("cos", x)),
    kernel: { js: ([x]) => `Math.sin(${x})`, wasm: { f32: "sin" }, wgsl: helper("lt_trig", ", 0") },
  }),
  cos: unary("cos", {
    cost: "cheap",
    vjp: unaryVjp((x) => neg(math("sin", x))),
    kernel: { js: ([x]) => `Math.cos(${x})`, wasm: { f32: "cos" }, wgsl: helper("lt_trig", ", 1") },
  }),
  tanh: unary("tanh", {
    cost: "costly",
    // d tanh(x) = (1 - tanh²(x)) dx
    vjp: unaryVjp((_x, out) => alu("add", c(1, out), neg(mul(out, out)))),
    kernel: { js: ([x]) => `Math.tanh(${x})`, wasm: { f32: "tanh" }, wgsl: helper("lt_tanh") },
  }),
  erf: unary("erf", {
    cost: "costly",
    // d erf(x) = 2/√π · e^(-x²) dx
    vjp: unaryVjp((x) => mul(math("exp", neg(mul(x, x))), c(2 / Math.sqrt(Math.PI), x))),
    kernel: { js: rt("erf"), wasm: { f32: "erf" }, wgsl: helper("lt_erf") },
  }),
  // C's pow: 1 ** NaN and (-1) ** Infinity are 1, where Math.pow gives NaN
  pow: binary("pow", {
    cost: "cheap",
    // d(x^y) = y·x^(y-1) dx + x^y·log(x) dy, with PyTorch's masks at x = 0 and y = 0
    vjp: (ct, { src: [x, y] }, out) => {
      const yZero = alu("cmpeq", y, c(0, y));
      const dx = where(yZero, c(0, x), mul(y, math("pow", x, alu("add", y, c(-1, y)))));
      // dy = 0 where x = 0 and y >= 0; for y < 0 it stays x^y·log(x) = -inf (as in PyTorch)
      const xZero = alu("cmpeq", x, c(0, x));
      const logTerm = mul(out, math("log", x));
      const yNegative = alu("cmplt", y, c(0, y));
      const dy = where(xZero, where(yNegative, logTerm, c(0, x)), logTerm);
      return [mul(ct, dx), mul(ct, dy)];
    },
    kernel: {
      js: rt("pow"),
      // float32 lanes (jit/codegen/wasm/_pow.ts); int32 pow runs on the JavaScript tier
      wasm: { f32: "f32.pow" },
      wgsl: ([a, b], [t], h) => `${h.use(isFloat(t) ? "lt_pow" : "lt_ipow")}(${a}, ${b})`,
    },
  }),
};

/** Makes the node of a transcendental primitive (operands validated). */
export function math(op: MathOp, ...src: Node[]): Node {
  return apply(mathOps[op], src);
}
