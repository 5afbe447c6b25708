/**
 * The WGSL helper functions that elementwise primitives' WGSL forms call, and
 * the factories those forms are written with (the forms themselves are in the
 * primitive rows). Semantics follow the JS forms and `_scalar.ts`: NaN-propagating maximum/minimum, Python-style remainder,
 * C's pow, JavaScript's float-to-int conversion, integer division by zero
 * giving 0. NaN is tested on the bits, since GPU compilers may treat `x != x`
 * as false. NOTE: no helper loops: lavapipe stops an invocation after 65,535
 * loop iterations in all, and helpers run inside reduction loops.
 * @module
 */
import { specialHelpers } from "./_wgsl_special.ts";

/** A value's WGSL type: f32 for float32, i32 for int32 and for bool (0 or 1). */
export type WgslType = "f32" | "i32";

const sinCoeffs = "((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r";
const cosCoeffs =
  "((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0";
const fmodSteps = Array.from({ length: 25 }, () => "  r = lt_fmodbig(r, b);").join("\n");
const ipowSteps = Array.from(
  { length: 31 },
  () => "  r = select(r, r * q, (e & 1) != 0); q = q * q; e = e >> 1;",
).join("\n");

/** Helper functions, dependencies first (emission follows this order). */
const baseHelpers = {
  lt_nan: "fn lt_nan() -> f32 { return bitcast<f32>(0x7fc00000u); }",
  lt_inf: "fn lt_inf() -> f32 { return bitcast<f32>(0x7f800000u); }",
  // rounds to the nearest half (65520 and above overflow to inf, as PyTorch does)
  lt_h: `fn lt_h(x: f32) -> f32 {
  if (abs(x) >= 65520.0) { return sign(x) * lt_inf(); }
  return f32(f16(x));
}`,
  lt_isnan: "fn lt_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }",
  lt_isinf:
    "fn lt_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }",
  // x - x and x / x, which GPU compilers may fold to 0 and 1 even for NaN and infinities
  lt_selfsub: `fn lt_selfsub(x: f32) -> f32 {
  return select(0.0, lt_nan(), lt_isnan(x) || lt_isinf(x));
}`,
  lt_selfdiv: `fn lt_selfdiv(x: f32) -> f32 {
  return select(1.0, lt_nan(), lt_isnan(x) || lt_isinf(x) || x == 0.0);
}`,
  lt_max: `fn lt_max(a: f32, b: f32) -> f32 {
  return select(select(b, a, a > b), lt_nan(), lt_isnan(a) || lt_isnan(b));
}`,
  lt_min: `fn lt_min(a: f32, b: f32) -> f32 {
  return select(select(b, a, a < b), lt_nan(), lt_isnan(a) || lt_isnan(b));
}`,
  // expm1: a Taylor polynomial near 0 (exp(x) - 1 cancels there), exp(x) - 1 elsewhere
  lt_expm1: `fn lt_expm1(x: f32) -> f32 {
  if (abs(x) >= 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x * (0.5 + x * (1.6666667e-1 + x * (4.1666668e-2 + x * (8.3333338e-3
    + x * (1.3888889e-3 + x * (1.9841270e-4 + x * (2.4801587e-5 + x * 2.7557319e-6))))))));
}`,
  // log1p(x) = 2 atanh(s), s = x / (2 + x): a fast series for -0.5 < x < 1
  lt_log1p: `fn lt_log1p(x: f32) -> f32 {
  if (lt_isnan(x) || x < -1.0) { return lt_nan(); }
  if (x == -1.0) { return -lt_inf(); }
  if (x <= -0.5 || x >= 1.0) { return select(log(1.0 + x), x, lt_isinf(x)); }
  let s = x / (2.0 + x);
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * (0.11111111
    + z * (0.09090909 + z * (0.07692308 + z * (0.06666667 + z * 0.05882353))))))));
}`,
  // log near 1 through log1p: the builtin's error there is absolute, not relative
  lt_log: `fn lt_log(x: f32) -> f32 {
  if (x > 0.5 && x < 2.0) { return lt_log1p(x - 1.0); }
  if (x == 0.0) { return -lt_inf(); }
  if (lt_isnan(x) || x < 0.0) { return lt_nan(); }
  return select(log(x), x, lt_isinf(x));
}`,
  // tanh(|x|) = -expm1(-2|x|) / (2 + expm1(-2|x|)): no overflow, no cancellation near 0
  lt_tanh: `fn lt_tanh(x: f32) -> f32 {
  if (lt_isnan(x) || x == 0.0) { return x; }
  let e = lt_expm1(-2.0 * abs(x));
  let t = -e / (2.0 + e);
  return select(-t, t, x > 0.0);
}`,
  // 32×32 -> 64-bit product (hi, lo) from 16-bit halves
  lt_mul64: `fn lt_mul64(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, (mid << 16u) | (p00 & 0xffffu));
}`,
  // bits of 2/π (after a zero word), 32 from bit k of this table on
  lt_2opi: `fn lt_2opi(k: u32) -> u32 {
  var t = array<u32, 9>(0u, 0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u, 0xdb629599u,
    0x3c439041u, 0xfe5163abu, 0xdebbc561u);
  let w = k / 32u;
  let s = k % 32u;
  return (t[w] << s) | select(t[w + 1u] >> (32u - s), 0u, s == 0u);
}`,
  // Payne-Hanek for |x| >= 8192: x = m 2^e, x 2/π mod 4 from m times 96 bits of 2/π
  // (the bits before them add multiples of 4); returns (quadrant, remainder in [-π/4, π/4])
  lt_reduce: `fn lt_reduce(ax: f32) -> vec2<f32> {
  let bits = bitcast<u32>(ax);
  let m = (bits & 0x7fffffu) | 0x800000u;
  let k = (bits >> 23u) - 120u;
  let w0 = lt_2opi(k);
  let p1 = lt_mul64(m, lt_2opi(k + 32u));
  let p2 = lt_mul64(m, lt_2opi(k + 64u));
  let mid = p1.y + p2.x;
  let top = m * w0 + p1.x + select(0u, 1u, mid < p1.y);
  var q = f32(top >> 30u);
  var f = f32(top & 0x3fffffffu) * 9.313225746154785e-10 + f32(mid) * 2.168404344971009e-19;
  if (f >= 0.5) {
    f = f - 1.0;
    q = q + 1.0;
  }
  return vec2<f32>(q, f * 1.5707963267948966);
}`,
  // sin(x + shift π/2): reduction by π/2 (Cody-Waite below 8192, else Payne-Hanek)
  // and cephes' polynomials on [-π/4, π/4]
  lt_trig: `fn lt_trig(x: f32, shift: i32) -> f32 {
  if (lt_isnan(x) || lt_isinf(x)) { return lt_nan(); }
  var k = round(x * 0.63661977236);
  var r = ((x - k * 1.5703125) - k * 4.8375129699707031e-4) - k * 7.5497899548918821e-8;
  if (abs(x) >= 8192.0) {
    let qr = lt_reduce(abs(x));
    k = select(-qr.x, qr.x, x > 0.0);
    r = select(-qr.y, qr.y, x > 0.0);
  }
  let z = r * r;
  let q = (i32(k) + shift) & 3;
  let s = ${sinCoeffs};
  let c = ${cosCoeffs};
  return select(select(c, -s, q == 2), select(s, -c, q == 3), q == 0 || q == 3);
}`,
  // erf: Taylor series below 0.5, Abramowitz-Stegun 7.1.26 (error < 1.5e-7) above
  lt_erf: `fn lt_erf(x: f32) -> f32 {
  if (lt_isnan(x)) { return x; }
  let a = abs(x);
  if (a < 0.5) {
    let z = x * x;
    return 1.1283791671 * x * (1.0 + z * (-0.33333333 + z * (0.1 + z * (-0.02380952
      + z * (0.00462963 + z * (-0.00075758 + z * 0.00010683))))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
    + t * 1.061405429))));
  return sign(x) * (1.0 - p * exp(-a * a));
}`,
  // C's pow: 1 ** y and y ** 0 are 1, (-1) ** ±inf is 1, negative ** fraction is NaN
  lt_pow: `fn lt_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0) { return 1.0; }
  if (lt_isnan(a) || lt_isnan(b)) { return lt_nan(); }
  let m = abs(a);
  let integral = floor(b) == b;
  let odd = integral && abs(b) < 16777216.0 && (i32(b) & 1) == 1;
  let negative = (bitcast<u32>(a) >> 31u) == 1u;
  if (a < 0.0 && !lt_isinf(a) && !integral && !lt_isinf(b)) { return lt_nan(); }
  var r: f32;
  if (lt_isinf(b)) {
    if (m == 1.0) { return 1.0; }
    r = select(0.0, lt_inf(), (m > 1.0) == (b > 0.0));
  } else if (m == 0.0) {
    r = select(0.0, lt_inf(), b < 0.0);
  } else if (lt_isinf(m)) {
    r = select(0.0, lt_inf(), b > 0.0);
  } else if (b == 2.0) {
    r = m * m;
  } else if (b == 0.5) {
    r = sqrt(m);
  } else if (b == 1.0) {
    r = m;
  } else {
    r = exp2(b * log2(m));
  }
  return select(r, -r, negative && odd);
}`,
  // ToInt32 (JavaScript's x | 0): truncation modulo 2^32, 0 for NaN and infinities
  lt_f2i: `fn lt_f2i(x: f32) -> i32 {
  if (lt_isnan(x) || lt_isinf(x)) { return 0; }
  let t = trunc(x);
  var w = t - 4294967296.0 * trunc(t * 2.3283064365386963e-10);
  if (w >= 2147483648.0) { w = w - 4294967296.0; }
  if (w < -2147483648.0) { w = w + 4294967296.0; }
  return i32(w);
}`,
  // the top 12 significant bits of x (a product of two such halves is exact in f32)
  lt_hi12: "fn lt_hi12(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0xfffff000u); }",
  // a step of fmod for a quotient of 2^23 or more: reduces modulo b 2^k (k >= 11), taking
  // about 11 bits off the quotient (25 steps cover every f32 pair)
  lt_fmodbig: `fn lt_fmodbig(r: f32, b: f32) -> f32 {
  let ab = abs(b);
  let ar = abs(r);
  if (!(ar >= ab * 8388608.0)) { return r; }
  let c = ldexp(ab, frexp(ar).exp - frexp(ab).exp - 12);
  let q = trunc(ar / c);
  let qh = lt_hi12(q);
  let ql = q - qh;
  let ch = lt_hi12(c);
  let cl = c - ch;
  var m = (((ar - qh * ch) - qh * cl) - ql * ch) - ql * cl;
  if (m < 0.0) { m = m + c; }
  if (m >= c) { m = m - c; }
  return select(-m, m, r >= 0.0);
}`,
  // a - q b with the dividend's sign (C's fmod) for finite a and finite, nonzero b: large
  // quotients are folded first, then q = trunc(a / b) with the product split into exact halves
  // (WGSL's fma may round twice), corrected when the rounded quotient is one off
  lt_truncrem: `fn lt_truncrem(a: f32, b: f32) -> f32 {
  var r = a;
${fmodSteps}
  let q = trunc(r / b);
  let qh = lt_hi12(q);
  let ql = q - qh;
  let bh = lt_hi12(b);
  let bl = b - bh;
  r = (((r - qh * bh) - qh * bl) - ql * bh) - ql * bl;
  let s = select(-1.0, 1.0, a >= 0.0) * abs(b);
  if (abs(r) >= abs(b)) { r = r - s; }
  if (r != 0.0 && (r < 0.0) != (a < 0.0)) { r = r + s; }
  return r;
}`,
  // torch.remainder on floats: JS's exact a % b, then the divisor's sign
  lt_fmod: `fn lt_fmod(a: f32, b: f32) -> f32 {
  if (lt_isnan(a) || lt_isnan(b) || lt_isinf(a) || b == 0.0) { return lt_nan(); }
  var r = a;
  if (!lt_isinf(b)) { r = lt_truncrem(a, b); }
  return select(r, r + b, r != 0.0 && (r < 0.0) != (b < 0.0));
}`,
  lt_idiv: `fn lt_idiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  if (b == -1) { return -a; }
  return a / b;
}`,
  lt_imod: `fn lt_imod(a: i32, b: i32) -> i32 {
  if (b == 0 || b == -1) { return 0; }
  let r = a % b;
  return select(r, r + b, r != 0 && (r < 0) != (b < 0));
}`,
  lt_ipow: `fn lt_ipow(a: i32, b: i32) -> i32 {
  if (b < 0) { return select(select(0, 1, a == 1), select(1, -1, (b & 1) != 0), a == -1); }
  var r = 1;
  var q = a;
  var e = b;
${ipowSteps}
  return r;
}`,
} as const;

/** Every helper: the special functions' (`_wgsl_special.ts`) call the base ones, so come after. */
const helpers = { ...baseHelpers, ...specialHelpers } as const;

/** The name of a helper function. */
export type Helper = keyof typeof helpers;

/** Collects the helpers a kernel calls and renders them in dependency order. */
export class HelperSet {
  #used = new Set<Helper>();

  /** Marks `name` (and what it calls) as used; returns the name to call. */
  use(name: Helper): string {
    if (!this.#used.has(name)) {
      this.#used.add(name);
      // a helper's dependencies are the helpers its source calls
      for (const [d] of helpers[name].matchAll(/\blt_\w+(?=\()/g)) this.use(d as Helper);
    }
    return name;
  }

  /** The WGSL source of the used helpers. */
  source(): string {
    return (Object.keys(helpers) as Helper[]).filter((h) => this.#used.has(h)).map((h) =>
      helpers[h]
    ).join("\n");
  }
}

/**
 * An elementwise primitive's WGSL form: the expression, given the operands'
 * expressions and types (bool operands are i32 0/1) and the kernel's helper set.
 */
export type WgslForm = (a: readonly string[], t: readonly WgslType[], h: HelperSet) => string;

/** A float function; on an int32 operand it runs in f32 and truncates back, as JS kernels do. */
export function floatFn(call: (x: string, h: HelperSet) => string): WgslForm {
  return ([x], [t], h) => t === "f32" ? call(x, h) : `${h.use("lt_f2i")}(${call(`f32(${x})`, h)})`;
}
/** A float builtin of WGSL, such as `exp`. */
export function builtin(name: string): WgslForm {
  return floatFn((x) => `${name}(${x})`);
}
/** A unary helper function of this file (`extra`: more arguments after the operand). */
export function helper(name: Helper, extra = ""): WgslForm {
  return floatFn((x, h) => `${h.use(name)}(${x}${extra})`);
}
/** Whether a WGSL operand type is the float one. */
export function isFloat(t: WgslType): boolean {
  return t === "f32";
}
/** The WGSL condition that `x` (of type `t`) is not zero. */
export function truthy(x: string, t: WgslType): string {
  return isFloat(t) ? `!(${x} == 0.0)` : `(${x} != 0)`;
}

/** WGSL's conversion of a value of type `from` to dtype `to` (bool gives 0/1), as JS kernels do. */
export function wgslCast(
  x: string,
  from: WgslType,
  to: WgslType | "bool",
  h: HelperSet,
): string {
  if (to === "bool") return `select(0, 1, ${truthy(x, from)})`;
  if (from === to) return x;
  return to === "f32" ? `f32(${x})` : `${h.use("lt_f2i")}(${x})`;
}
