/**
 * WGSL helpers of the hyperbolic, inverse-trigonometric and special-function
 * primitives, in float32 and without loops (lavapipe stops an invocation
 * after 65,535 loop iterations in all; these run inside reduction loops).
 * They follow the float64 JS forms (core/ops/_special_math.ts, Math.*):
 * - sinh/cosh: a Taylor polynomial below 1 (e^x - e^-x cancels there),
 *   (h/2)·h with h = e^(|x|/2) above 20 (no early overflow);
 * - asinh/acosh: log1p of arguments without cancellation, log(x) + ln 2
 *   where x² would overflow;
 * - atan2: C's special cases (signed zeros, infinities) spelled out, the
 *   Cephes' atanf of the smaller over the larger magnitude elsewhere;
 * - erfc: Numerical Recipes' erfcc (relative error below 1.2e-7) with
 *   x = h + l split so e^(-x²) does not lose the rounding error of x²;
 * - erfinv: Giles' single-precision polynomials (relative error about 4e-7);
 * - lgamma: the Taylor series of lgamma(2 + t) on [0.5, 2.5] (exact zeros
 *   at 1 and 2), Stirling's series after shifting x to >= 7 elsewhere, the
 *   reflection formula below 0;
 * - digamma/trigamma: shifted to >= 6 and asymptotic series (truncation
 *   below 1e-8), reflection below 0 (digamma) or 0.5 (trigamma);
 * - tfmod: C's fmod (the dividend's sign), exact like `lt_fmod`.
 * Each is within a few float32 ulp of the float64 function except where
 * the function itself is ill-conditioned (near the zeros of lgamma and
 * digamma below 1, and where the builtins' exp/log lose accuracy for large
 * arguments, up to 1e-5 relative).
 * @module
 */
import { LGAMMA2, LGAMMA2_F32_TERMS } from "./_special_math.ts";

/** lgamma(2 + t) = Σ c_k t^k, k = 1…14 (c_1 = 1 - γ, c_k = (-1)^k (ζ(k) - 1)/k), for |t| <= 0.5. */
const LGAMMA2_F32 = LGAMMA2.slice(0, LGAMMA2_F32_TERMS);

/** Horner in `t` over `c` (highest power last), times t. */
function horner(c: readonly number[], t: string): string {
  let s = `${c[c.length - 1].toExponential(12)}`;
  for (let i = c.length - 2; i >= 0; i--) s = `(${c[i].toExponential(12)} + ${t} * ${s})`;
  return `${t} * ${s}`;
}

/** Unrolled shifts: while z < limit, fold z into acc and step z by 1 (no loop). */
function shifts(n: number, body: string): string {
  return Array.from({ length: n }, () => `  ${body}`).join("\n");
}

/** Helper functions; each calls only the base helpers and those above it. */
export const specialHelpers = {
  lt_copysign: `fn lt_copysign(v: f32, s: f32) -> f32 {
  return select(-abs(v), abs(v), (bitcast<u32>(s) >> 31u) == 0u);
}`,
  lt_sinh: `fn lt_sinh(x: f32) -> f32 {
  let a = abs(x);
  if (lt_isnan(x) || a < 1.0) {
    let z = x * x;
    return x + x * z * (0.16666667 + z * (8.3333333e-3 + z * (1.984127e-4 + z * 2.7557319e-6)));
  }
  if (a < 20.0) {
    let e = exp(a);
    return lt_copysign(0.5 * (e - 1.0 / e), x);
  }
  let h = exp(0.5 * a);
  return lt_copysign((0.5 * h) * h, x);
}`,
  lt_cosh: `fn lt_cosh(x: f32) -> f32 {
  let a = abs(x);
  if (lt_isnan(x)) { return x; }
  if (a < 20.0) {
    let e = exp(a);
    return 0.5 * (e + 1.0 / e);
  }
  let h = exp(0.5 * a);
  return (0.5 * h) * h;
}`,
  lt_asinh: `fn lt_asinh(x: f32) -> f32 {
  let a = abs(x);
  if (lt_isnan(x) || a < 2.44140625e-4) { return x; }
  if (a > 1e18) { return lt_copysign(lt_log(a) + 0.6931471805599453, x); }
  return lt_copysign(lt_log1p(a + a * a / (1.0 + sqrt(1.0 + a * a))), x);
}`,
  lt_acosh: `fn lt_acosh(x: f32) -> f32 {
  if (lt_isnan(x) || x < 1.0) { return lt_nan(); }
  if (x > 1e18) { return lt_log(x) + 0.6931471805599453; }
  let t = x - 1.0;
  return lt_log1p(t + sqrt(t * (t + 2.0)));
}`,
  // atan on [0, 1] (Cephes atanf: reduced by π/4 above tan(π/8), then a polynomial)
  lt_atan01: `fn lt_atan01(t: f32) -> f32 {
  let big = t > 0.41421356;
  let u = select(t, (t - 1.0) / (t + 1.0), big);
  let z = u * u;
  let p = (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z
    - 3.33329491539e-1) * z * u + u;
  return select(p, 0.785398163397448 + p, big);
}`,
  lt_atan2: `fn lt_atan2(y: f32, x: f32) -> f32 {
  if (lt_isnan(x) || lt_isnan(y)) { return lt_nan(); }
  let xNegative = (bitcast<u32>(x) >> 31u) == 1u;
  if (y == 0.0) { return select(y, lt_copysign(3.14159265358979, y), xNegative); }
  if (lt_isinf(x)) {
    if (lt_isinf(y)) { return lt_copysign(select(0.785398163397448, 2.35619449019234, xNegative), y); }
    return select(lt_copysign(0.0, y), lt_copysign(3.14159265358979, y), xNegative);
  }
  if (x == 0.0 || lt_isinf(y)) { return lt_copysign(1.5707963267949, y); }
  // atan of the smaller over the larger magnitude, then the octant (lavapipe's atan and
  // atan2 lose 170 ulp on small results)
  let ax = abs(x);
  let ay = abs(y);
  var a = lt_atan01(min(ax, ay) / max(ax, ay));
  if (ay > ax) { a = 1.5707963267949 - a; }
  if (xNegative) { a = 3.14159265358979 - a; }
  return lt_copysign(a, y);
}`,
  lt_log2: `fn lt_log2(x: f32) -> f32 {
  if (x > 0.5 && x < 2.0) { return lt_log1p(x - 1.0) * 1.4426950408889634; }
  if (x == 0.0) { return -lt_inf(); }
  if (lt_isnan(x) || x < 0.0) { return lt_nan(); }
  return select(log2(x), x, lt_isinf(x));
}`,
  lt_log10: `fn lt_log10(x: f32) -> f32 {
  return lt_log(x) * 0.4342944819032518;
}`,
  lt_erfc: `fn lt_erfc(x: f32) -> f32 {
  if (lt_isnan(x)) { return x; }
  let z = abs(x);
  if (z < 0.5) { return 1.0 - lt_erf(x); }
  if (z > 10.5) { return select(2.0, 0.0, x > 0.0); }
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let h = bitcast<f32>(bitcast<u32>(z) & 0xfffff000u);
  let r = t * exp(-h * h) * exp(-(z - h) * (z + h) + p);
  return select(2.0 - r, r, x >= 0.0);
}`,
  lt_erfinv: `fn lt_erfinv(p: f32) -> f32 {
  if (lt_isnan(p) || abs(p) > 1.0) { return lt_nan(); }
  if (abs(p) == 1.0) { return p * lt_inf(); }
  var w = -lt_log((1.0 - p) * (1.0 + p));
  var r: f32;
  if (w < 5.0) {
    w = w - 2.5;
    r = 2.81022636e-08;
    r = 3.43273939e-07 + r * w; r = -3.5233877e-06 + r * w; r = -4.39150654e-06 + r * w;
    r = 0.00021858087 + r * w; r = -0.00125372503 + r * w; r = -0.00417768164 + r * w;
    r = 0.246640727 + r * w; r = 1.50140941 + r * w;
  } else {
    w = sqrt(w) - 3.0;
    r = -0.000200214257;
    r = 0.000100950558 + r * w; r = 0.00134934322 + r * w; r = -0.00367342844 + r * w;
    r = 0.00573950773 + r * w; r = -0.0076224613 + r * w; r = 0.00943887047 + r * w;
    r = 1.00167406 + r * w; r = 2.83297682 + r * w;
  }
  return r * p;
}`,
  // sin(πx) for the reflection formulas, reduced exactly (x - round(x))
  lt_sinpi: `fn lt_sinpi(x: f32) -> f32 {
  let n = round(x);
  let s = sin(3.14159265358979 * (x - n));
  return select(s, -s, abs(n - 2.0 * floor(0.5 * n)) == 1.0);
}`,
  lt_lgamma2: `fn lt_lgamma2(t: f32) -> f32 {
  return ${horner(LGAMMA2_F32, "t")};
}`,
  lt_lgammapos: `fn lt_lgammapos(x: f32) -> f32 {
  if (x < 0.5) { return lt_lgamma2(x) - lt_log1p(x) - lt_log(x); }
  if (x < 1.5) { return lt_lgamma2(x - 1.0) - lt_log1p(x - 1.0); }
  if (x <= 2.5) { return lt_lgamma2(x - 2.0); }
  if (lt_isinf(x)) { return x; }
  var z = x;
  var p = 1.0;
${shifts(5, "if (z < 7.0) { p = p * z; z = z + 1.0; }")}
  let w = 1.0 / (z * z);
  let s = (0.083333333 - w * (2.7777778e-3 - w * 7.9365079e-4)) / z;
  return (z - 0.5) * lt_log(z) - z + 0.91893853320467 + s - lt_log(p);
}`,
  lt_lgamma: `fn lt_lgamma(x: f32) -> f32 {
  if (lt_isnan(x)) { return x; }
  if (x <= 0.0) {
    if (floor(x) == x) { return lt_inf(); }
    return lt_log(3.14159265358979 / abs(lt_sinpi(x))) - lt_lgammapos(1.0 - x);
  }
  return lt_lgammapos(x);
}`,
  lt_digammapos: `fn lt_digammapos(x: f32) -> f32 {
  var z = x;
  var acc = 0.0;
${shifts(6, "if (z < 6.0) { acc = acc - 1.0 / z; z = z + 1.0; }")}
  let w = 1.0 / (z * z);
  return acc + lt_log(z) - 0.5 / z - w * (0.083333333 - w * (8.3333333e-3 - w * 3.9682540e-3));
}`,
  lt_digamma: `fn lt_digamma(x: f32) -> f32 {
  if (lt_isnan(x)) { return x; }
  if (x == 0.0) { return lt_copysign(lt_inf(), -x); }
  if (x < 0.0) {
    if (floor(x) == x || lt_isinf(x)) { return lt_nan(); }
    let r = x - round(x);
    let c = cos(3.14159265358979 * r);
    return lt_digammapos(1.0 - x) - 3.14159265358979 * c / sin(3.14159265358979 * r);
  }
  if (lt_isinf(x)) { return x; }
  return lt_digammapos(x);
}`,
  lt_trigamma: `fn lt_trigamma(x: f32) -> f32 {
  if (lt_isnan(x) || x == -lt_inf()) { return lt_nan(); }
  if (lt_isinf(x)) { return 0.0; }
  var z = x;
  var acc = 0.0;
  var sign = 1.0;
  if (x < 0.5) {
    let s = lt_sinpi(x);
    acc = -9.86960440108936 / (s * s);
    sign = -1.0;
    z = 1.0 - x;
  }
${shifts(6, "if (z < 6.0) { acc = acc + 1.0 / (z * z); z = z + 1.0; }")}
  let w = 1.0 / (z * z);
  let series = 1.0 + 0.5 / z + w * (0.16666667 - w * (0.033333333 - w * 0.023809524));
  return sign * (acc + series / z);
}`,
  // C's fmod: the exact a - trunc(a / b)·b, with the dividend's sign (lt_fmod before its fix-up)
  lt_tfmod: `fn lt_tfmod(a: f32, b: f32) -> f32 {
  if (lt_isnan(a) || lt_isnan(b) || lt_isinf(a) || b == 0.0) { return lt_nan(); }
  if (lt_isinf(b)) { return a; }
  let r = lt_truncrem(a, b);
  return select(r, lt_copysign(0.0, a), r == 0.0);
}`,
  lt_itfmod: `fn lt_itfmod(a: i32, b: i32) -> i32 {
  if (b == 0 || b == -1) { return 0; }
  return a % b;
}`,
} as const;
