/**
 * Elementwise primitives, part 3: the hyperbolic and inverse functions and
 * the special functions of issue 13. Each is a primitive because no
 * composition of the others is accurate (the frontend files say why, op by
 * op: core/trig.ts, core/exp_log.ts, core/rounding.ts); tan, asin, acos,
 * atan, atanh, exp2, trunc, frac, sinc, hypot and the rest are compositions.
 *
 * JS forms are `Math.*` or the float64 functions of `_special_math.ts`;
 * WGSL forms are the float32 helpers of `_wgsl_special.ts`; Wasm forms are
 * the same float32 formulas as vector code (jit/codegen/wasm/_special.ts; fmod in
 * float64 lanes like remainder). Gradients follow PyTorch's
 * formulas (derivatives.yaml), so they agree where its inputs are extreme
 * (except acosh's, which avoids the cancellation of x² - 1 near 1).
 * @module
 */
import type { Node } from "../ir/ir.ts";
import { apply, binary, call, type Elementwise, rt, unary } from "./primitive.ts";
import { helper, isFloat } from "./_wgsl_helpers.ts";
import { alu, c, mul, neg, unaryVjp, where } from "./arith.ts";
import { math } from "./math.ts";

// deno-fmt-ignore
/** The name of a special-function primitive. */
export type SpecialOp =
  | "atan2" | "sinh" | "cosh" | "asinh" | "acosh" | "log2" | "log10" | "fmod" | "erfc"
  | "erfinv" | "lgamma" | "digamma" | "trigamma";

/** x rounded toward zero (for fmod's gradient). */
function trunc(x: Node): Node {
  return where(alu("cmplt", x, c(0, x)), alu("ceil", x), alu("floor", x));
}

/** 1 / √x. */
function rsqrt(x: Node): Node {
  return alu("recip", math("sqrt", x));
}

/**
 * ψ''(x), trigamma's derivative, composed (no kernel of its own: it only
 * appears in third derivatives of lgamma): -2 Σ_{k<10} (x+k)^-3 and the
 * asymptotic series at z = x + 10 (truncation below 1e-11 relative), with
 * the reflection ψ''(x) = ψ''(1-x) - 2π³ cot(πx) / sin²(πx) below 1/2.
 */
function tetragamma(x: Node): Node {
  const low = alu("cmplt", x, c(0.5, x));
  // each branch gets an input where it is finite, so unused branches keep gradients finite
  const y = where(low, alu("add", c(1, x), neg(x)), x);
  let sum = c(0, x);
  let z = y;
  for (let k = 0; k < 10; k++) {
    sum = alu("add", sum, alu("recip", mul(mul(z, z), z)));
    z = alu("add", z, c(1, x));
  }
  const w = alu("recip", mul(z, z));
  // ψ''(z) ~ -1/z² - 1/z³ - 1/(2z⁴) + 1/(6z⁶) - 1/(6z⁸) + 3/(10z¹⁰) - 5/(6z¹²)
  let series = c(-5 / 6, x);
  for (const k of [3 / 10, -1 / 6, 1 / 6, -1 / 2]) series = alu("add", mul(series, w), c(k, x));
  const tail = alu(
    "add",
    neg(mul(w, alu("add", c(1, x), alu("recip", z)))),
    mul(mul(w, w), series),
  );
  const direct = alu("add", tail, mul(sum, c(-2, x)));
  const r = where(low, x, c(0.25, x));
  const s = math("sin", mul(r, c(Math.PI, x)));
  const cot = alu("div", math("cos", mul(r, c(Math.PI, x))), s);
  const reflection = mul(alu("div", cot, mul(s, s)), c(-2 * Math.PI ** 3, x));
  return where(low, alu("add", direct, reflection), direct);
}

/** The special-function primitives (a name without its row, or a row without a rule, does not compile). */
export const specialOps: { readonly [K in SpecialOp]: Elementwise<K> } = {
  // atan2(y, x): the inverse trigonometric family's primitive (atan, asin, acos compose it)
  atan2: binary("atan2", {
    cost: "costly",
    // d atan2(y, x) = (x dy - y dx) / (x² + y²)
    vjp: (ct, { src: [y, x] }) => {
      const r2 = alu("add", mul(x, x), mul(y, y));
      return [alu("div", mul(ct, x), r2), alu("div", mul(ct, neg(y)), r2)];
    },
    kernel: {
      js: call("Math.atan2"),
      wasm: { f32: "atan2" },
      wgsl: ([y, x], _t, h) => `${h.use("lt_atan2")}(${y}, ${x})`,
    },
  }),
  sinh: unary("sinh", {
    cost: "costly",
    vjp: unaryVjp((x) => special("cosh", x)),
    kernel: { js: call("Math.sinh"), wasm: { f32: "sinh" }, wgsl: helper("lt_sinh") },
  }),
  cosh: unary("cosh", {
    cost: "costly",
    vjp: unaryVjp((x) => special("sinh", x)),
    kernel: { js: call("Math.cosh"), wasm: { f32: "cosh" }, wgsl: helper("lt_cosh") },
  }),
  asinh: unary("asinh", {
    cost: "costly",
    // d asinh(x) = dx / √(x² + 1)
    vjp: unaryVjp((x) => rsqrt(alu("add", mul(x, x), c(1, x)))),
    kernel: { js: call("Math.asinh"), wasm: { f32: "asinh" }, wgsl: helper("lt_asinh") },
  }),
  acosh: unary("acosh", {
    cost: "costly",
    // d acosh(x) = dx / √((x - 1)(x + 1)) (PyTorch's x² - 1 cancels near 1: 3e-5 off in
    // float32); below 1, PyTorch's x² - 1 (inf at -1, NaN between)
    vjp: unaryVjp((x) => {
      const product = mul(alu("add", x, c(-1, x)), alu("add", x, c(1, x)));
      return rsqrt(where(alu("cmplt", x, c(1, x)), alu("add", mul(x, x), c(-1, x)), product));
    }),
    kernel: { js: call("Math.acosh"), wasm: { f32: "acosh" }, wgsl: helper("lt_acosh") },
  }),
  // NOTE: log2 and log10 are primitives so powers of 2 and 10 give exact integers
  log2: unary("log2", {
    cost: "costly",
    vjp: (ct, { src: [x] }) => [alu("div", ct, mul(x, c(Math.LN2, x)))], // dx / (x ln 2)
    kernel: { js: call("Math.log2"), wasm: { f32: "log2" }, wgsl: helper("lt_log2") },
  }),
  log10: unary("log10", {
    cost: "costly",
    vjp: (ct, { src: [x] }) => [alu("div", ct, mul(x, c(Math.LN10, x)))], // dx / (x ln 10)
    kernel: { js: call("Math.log10"), wasm: { f32: "log10" }, wgsl: helper("lt_log10") },
  }),
  // C's fmod (torch.fmod): the dividend's sign; exact (mod's sign fix-up would round)
  fmod: binary("fmod", {
    cost: "costly",
    // a = trunc(a / b)·b + fmod(a, b), the quotient rounded in the dtype as PyTorch does (so
    // 1 / 0.001 counts 1000 in float64, though fmod(1, 0.001) leaves 999 b)
    vjp: (ct, { src: [a, b] }) => [ct, neg(mul(ct, trunc(alu("div", a, b))))],
    kernel: {
      // integer division by zero gives 0, as in the WGSL form
      js: ([a, b], dtype) => dtype === "int32" ? `((${a} % ${b}) | 0)` : `(${a} % ${b})`,
      wasm: { f32: "f32.fmod" },
      wgsl: ([a, b], [t], h) => `${h.use(isFloat(t) ? "lt_tfmod" : "lt_itfmod")}(${a}, ${b})`,
    },
  }),
  // NOTE: a primitive because 1 - erf(x) has no relative accuracy in the tail
  erfc: unary("erfc", {
    cost: "costly",
    // d erfc(x) = -2/√π · e^(-x²) dx
    vjp: unaryVjp((x) => mul(math("exp", neg(mul(x, x))), c(-2 / Math.sqrt(Math.PI), x))),
    kernel: { js: rt("erfc"), wasm: { f32: "erfc" }, wgsl: helper("lt_erfc") },
  }),
  erfinv: unary("erfinv", {
    cost: "costly",
    // d erfinv(x) = √π/2 · e^(erfinv(x)²) dx
    vjp: unaryVjp((_x, out) => mul(math("exp", mul(out, out)), c(Math.sqrt(Math.PI) / 2, out))),
    kernel: { js: rt("erfinv"), wasm: { f32: "erfinv" }, wgsl: helper("lt_erfinv") },
  }),
  lgamma: unary("lgamma", {
    cost: "costly",
    vjp: unaryVjp((x) => special("digamma", x)), // d lgamma(x) = ψ(x) dx
    kernel: { js: rt("lgamma"), wasm: { f32: "lgamma" }, wgsl: helper("lt_lgamma") },
  }),
  digamma: unary("digamma", {
    cost: "costly",
    vjp: unaryVjp((x) => special("trigamma", x)), // d ψ(x) = ψ'(x) dx
    kernel: { js: rt("digamma"), wasm: { f32: "digamma" }, wgsl: helper("lt_digamma") },
  }),
  // NOTE: internal (no frontend function): digamma's derivative, torch.polygamma(1, x)
  trigamma: unary("trigamma", {
    cost: "costly",
    vjp: unaryVjp(tetragamma), // d ψ'(x) = ψ''(x) dx
    kernel: { js: rt("trigamma"), wasm: { f32: "trigamma" }, wgsl: helper("lt_trigamma") },
  }),
};

/** Makes the node of a special-function primitive (operands validated). */
export function special(op: SpecialOp, ...src: Node[]): Node {
  return apply(specialOps[op], src);
}
