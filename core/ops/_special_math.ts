/**
 * Scalar special functions in float64 for the JavaScript kernels (and, per
 * lane, the Wasm ones): `erfc`, `erfinv`, `lgamma`, `digamma` and
 * `trigamma` (the derivative of digamma, for its gradient).
 *
 * Accuracy against 40-digit mpmath (tests/special_math_test.ts keeps these):
 * - `erfc`: Cephes' rational approximations (ndtr.c) with e^(-x²) computed
 *   from an exact split of x² (x = h + l, h with 24 bits, so h² is exact):
 *   relative error below 1e-15 up to its underflow at x ≈ 27.2.
 * - `erfinv`: Giles' single-precision approximation refined by Halley steps
 *   on erf(x) - p, or on erfc(x) - (1 - |p|) for |p| > 0.5 (1 - |p| is exact
 *   there), so the tails keep relative accuracy: below 1e-15.
 * - `lgamma`: a Taylor series of lgamma(2 + t) (coefficients (-1)^k
 *   (ζ(k) - 1)/k) on [1.5, 2.5], the recurrences Γ(x + 1) = xΓ(x) into that
 *   range below 10, Stirling's series above and the reflection formula for
 *   x < 0. Near its zeros at 1 and 2 the error stays relative (the series
 *   takes t = x - 1 or x - 2, exact there): below 2e-15 for x > 0.
 * - `digamma`: PyTorch's algorithm (Cephes psi: recurrence to x >= 10,
 *   asymptotic series, reflection), with the same results at poles (±inf at
 *   0, NaN at negative integers).
 * - `trigamma`: recurrence to x >= 20 and the asymptotic series to B12
 *   (relative error below 1e-15 for x > 0). NOTE: PyTorch 1.13's trigamma
 *   stops its series at 1/x^7 after shifting only to x >= 6.5, an error up
 *   to 1e-8 relative; its digamma gradients are compared at that tolerance.
 * @module
 */
/** Horner: coef[0] x^n + … + coef[n]. */
export function polevl(x: number, coef: readonly number[]): number {
  let y = coef[0];
  for (let i = 1; i < coef.length; i++) y = y * x + coef[i];
  return y;
}

/** Like `polevl` with an implicit leading coefficient 1. */
export function p1evl(x: number, coef: readonly number[]): number {
  let y = x + coef[0];
  for (let i = 1; i < coef.length; i++) y = y * x + coef[i];
  return y;
}

// Cephes ndtr.c: erfc on [1, 8) and [8, inf), erf on [0, 1)
/** Cephes ndtr.c coefficients (also used by the samplers, core/_special.ts). */
export const ERFC_P = [
  2.46196981473530512524e-10,
  5.64189564831068821977e-1,
  7.46321056442269912687e0,
  4.86371970985681366614e1,
  1.96520832956077098242e2,
  5.26445194995477358631e2,
  9.34528527171957607540e2,
  1.02755188689515710272e3,
  5.57535335369399327526e2,
];
/** Cephes ndtr.c coefficients (also used by the samplers, core/_special.ts). */
export const ERFC_Q = [
  1.32281951154744992508e1,
  8.67072140885989742329e1,
  3.54937778887819891062e2,
  9.75708501743205489753e2,
  1.82390916687909736289e3,
  2.24633760818710981792e3,
  1.65666309194161350182e3,
  5.57535340817727675546e2,
];
/** Cephes ndtr.c coefficients (also used by the samplers, core/_special.ts). */
export const ERFC_R = [
  5.64189583547755073984e-1,
  1.27536670759978104416e0,
  5.01905042251180477414e0,
  6.16021097993053585195e0,
  7.40974269950448939160e0,
  2.97886665372100240670e0,
];
/** Cephes ndtr.c coefficients (also used by the samplers, core/_special.ts). */
export const ERFC_S = [
  2.26052863220117276590e0,
  9.39603524938001434673e0,
  1.20489539808096656605e1,
  1.70814450747565897222e1,
  9.60896809063285878198e0,
  3.36907645100081516050e0,
];
/** Cephes ndtr.c coefficients (also used by the samplers, core/_special.ts). */
export const ERF_T = [
  9.60497373987051638749e0,
  9.00260197203842689217e1,
  2.23200534594684319226e3,
  7.00332514112805075473e3,
  5.55923013010394962768e4,
];
/** Cephes ndtr.c coefficients (also used by the samplers, core/_special.ts). */
export const ERF_U = [
  3.35617141647503099647e1,
  5.21357949780152679795e2,
  4.59432382970980127987e3,
  2.26290000613890934246e4,
  4.92673942608635921086e4,
];

const SQRT_PI_OVER_2 = 0.886226925452758;

/** e^(-x²) without the rounding error of x² (x = h + l, h with 24 bits). */
function expMinusSquare(x: number): number {
  const h = Math.fround(x);
  const l = x - h;
  return Math.exp(-h * h) * Math.exp(-(2 * h + l) * l);
}

/**
 * The complementary error function 1 - erf(x), accurate in relative terms
 * in the upper tail.
 * @param x the argument
 * @returns erfc(x)
 */
export function erfc(x: number): number {
  if (x !== x) return x;
  const a = Math.abs(x);
  if (a < 1) {
    const z = x * x;
    return 1 - x * polevl(z, ERF_T) / p1evl(z, ERF_U);
  }
  if (a > 27.3) return x > 0 ? 0 : 2;
  const p = a < 8 ? polevl(a, ERFC_P) : polevl(a, ERFC_R);
  const q = a < 8 ? p1evl(a, ERFC_Q) : p1evl(a, ERFC_S);
  const y = expMinusSquare(a) * p / q;
  return x < 0 ? 2 - y : y;
}

/** erf(x) for |x| < 1 (Cephes), else 1 - erfc(x). */
function erf(x: number): number {
  if (Math.abs(x) >= 1) return x > 0 ? 1 - erfc(x) : erfc(-x) - 1;
  const z = x * x;
  return x * polevl(z, ERF_T) / p1evl(z, ERF_U);
}

/**
 * Giles' erfinv polynomials, highest order first: for w = -log((1 - p)(1 + p)) < 5 in w - 2.5, else
 * in √w - 3 (the float64 form here, and the Wasm and WGSL float32 forms, evaluate the same ones).
 */
export const GILES_LOW: readonly number[] = [
  2.81022636e-08,
  3.43273939e-07,
  -3.5233877e-06,
  -4.39150654e-06,
  0.00021858087,
  -0.00125372503,
  -0.00417768164,
  0.246640727,
  1.50140941,
];
/** See {@linkcode GILES_LOW}: the branch w >= 5. */
export const GILES_HIGH: readonly number[] = [
  -0.000200214257,
  0.000100950558,
  0.00134934322,
  -0.00367342844,
  0.00573950773,
  -0.0076224613,
  0.00943887047,
  1.00167406,
  2.83297682,
];

/**
 * Giles' single-precision erfinv ("Approximating the erfinv function", GPU
 * Gems 4, 2010): relative error about 4e-7 for |p| < 1 - 2^-24; the WGSL
 * kernels use the same polynomials.
 */
export function erfinvGiles(p: number): number {
  let w = -Math.log((1 - p) * (1 + p));
  const c = w < 5 ? GILES_LOW : GILES_HIGH;
  w = w < 5 ? w - 2.5 : Math.sqrt(w) - 3;
  let r = c[0];
  for (let k = 1; k < c.length; k++) r = c[k] + r * w;
  return r * p;
}

/**
 * The inverse error function: erfinv(erf(x)) = x; ±inf at ±1, NaN outside [-1, 1].
 * @param p the argument
 * @returns x with erf(x) = p
 */
export function erfinv(p: number): number {
  if (!(Math.abs(p) <= 1)) return NaN;
  if (Math.abs(p) === 1) return p * Infinity;
  if (p === 0) return p;
  const a = Math.abs(p);
  let x = erfinvGiles(a);
  // the tail: q = 1 - a is exact for a >= 0.5 (Sterbenz)
  const q = 1 - a;
  // Giles' polynomial is extrapolated for 1 - |p| < 2^-24: a few more steps there
  for (let i = 0; i < 10; i++) {
    // f(x) = erf(x) - a = q - erfc(x), f'(x) = 2/√π e^(-x²), f''/f' = -2x: Halley's step
    const f = a > 0.5 ? q - erfc(x) : erf(x) - a;
    const d = f * SQRT_PI_OVER_2 / expMinusSquare(x);
    const step = d / (1 + x * d);
    x -= step;
    if (Math.abs(step) <= 1e-17 * Math.abs(x)) break;
  }
  return p < 0 ? -x : x;
}

/**
 * lgamma(2 + t) = (1 - γ) t + Σ_{k>=2} (-1)^k (ζ(k) - 1)/k t^k, for |t| <= 0.5: the coefficients of
 * t^1, t^2, …, lowest order first (the float32 forms of Wasm and WGSL use the first
 * {@linkcode LGAMMA2_F32_TERMS}).
 */
export const LGAMMA2: readonly number[] = [
  0.42278433509846713,
  0.3224670334241132,
  -0.0673523010531981,
  0.020580808427784546,
  -0.007385551028673986,
  0.0028905103307415234,
  -0.001192753911703261,
  0.0005096695247430425,
  -0.00022315475845357939,
  9.945751278180853e-05,
  -4.492623673813314e-05,
  2.050721277567069e-05,
  -9.439488275268397e-06,
  4.374866789907488e-06,
  -2.039215753801366e-06,
  9.55141213040742e-07,
  -4.492469198764566e-07,
  2.1207184805554665e-07,
  -1.0043224823968099e-07,
  4.7698101693639804e-08,
  -2.2711094608943164e-08,
  1.0838659214896955e-08,
  -5.183475041970047e-09,
  2.4836745438024785e-09,
  -1.1921401405860912e-09,
  5.731367241678862e-10,
  -2.7595228851242334e-10,
  1.330476437424449e-10,
]; // deno-fmt-ignore

/** How many {@linkcode LGAMMA2} terms the float32 forms (Wasm, WGSL) sum. */
export const LGAMMA2_F32_TERMS = 14;

function lgammaNear2(t: number): number {
  let s = LGAMMA2[LGAMMA2.length - 1];
  for (let k = LGAMMA2.length - 2; k >= 0; k--) s = s * t + LGAMMA2[k];
  return s * t;
}

const HALF_LOG_2PI = 0.9189385332046728;

/** Stirling's series for x >= 10 (terms to 1/x^9: truncation below 1e-17). */
function stirling(x: number): number {
  const z = 1 / (x * x);
  const series = (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z * (1 / 1680 - z / 1188)))) / x;
  if (x > 1e17) return x * (Math.log(x) - 1);
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series;
}

/** sin(πx), exact in its argument reduction (x - round(x) is exact). */
function sinPi(x: number): number {
  const n = Math.round(x);
  const r = x - n;
  const s = Math.sin(Math.PI * r);
  return n % 2 === 0 ? s : -s;
}

/**
 * The log of the absolute value of the gamma function (torch.lgamma):
 * +inf at 0 and the negative integers.
 * @param x the argument
 * @returns log |Γ(x)|
 */
export function lgamma(x: number): number {
  if (x !== x) return x;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0) {
    if (Math.floor(x) === x) return Infinity;
    // reflection: Γ(x) Γ(1 - x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(sinPi(x))) - lgamma(1 - x);
  }
  if (x < 0.5) return lgammaNear2(x) - Math.log1p(x) - Math.log(x);
  if (x < 1.5) return lgammaNear2(x - 1) - Math.log1p(x - 1);
  if (x <= 2.5) return lgammaNear2(x - 2);
  if (x >= 10) return stirling(x);
  // Γ(x) = (x - 1)(x - 2)…(x - k) Γ(x - k) with x - k in (1.5, 2.5]
  let product = 1;
  let y = x;
  while (y > 2.5) {
    y -= 1;
    product *= y;
  }
  return Math.log(product) + lgammaNear2(y - 2);
}

const PSI_A = [
  8.33333333333333333333e-2,
  -2.10927960927960927961e-2,
  7.57575757575757575758e-3,
  -4.16666666666666666667e-3,
  3.96825396825396825397e-3,
  -8.33333333333333333333e-3,
  8.33333333333333333333e-2,
];
const PSI_10 = 2.25175258906672110764;

/**
 * The digamma function ψ(x) = d/dx log Γ(x) (torch.digamma): -inf at +0,
 * +inf at -0, NaN at the negative integers.
 * @param x the argument
 * @returns ψ(x)
 */
export function digamma(x: number): number {
  if (x !== x) return x;
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x === Infinity) return Infinity;
  if (x < 0) {
    if (Math.trunc(x) === x) return NaN;
    // reflection: ψ(1 - x) - ψ(x) = π / tan(πx), with x's exact fractional part
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * (x - Math.trunc(x)));
  }
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  if (x === 10) return result + PSI_10;
  let y = 0;
  if (x < 1e17) {
    const z = 1 / (x * x);
    y = z * polevl(z, PSI_A);
  }
  return result + Math.log(x) - 0.5 / x - y;
}

/**
 * The trigamma function ψ'(x), digamma's derivative (torch.polygamma(1, x)).
 * @param x the argument
 * @returns ψ'(x)
 */
export function trigamma(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === Infinity) return 0;
  let result = 0;
  let sign = 1;
  if (x < 0.5) {
    // reflection: ψ'(1 - x) + ψ'(x) = π² / sin²(πx) (as PyTorch computes it)
    const s = Math.sin(Math.PI * x);
    result -= (Math.PI * Math.PI) / (s * s);
    sign = -1;
    x = 1 - x;
  }
  let shift = 0;
  while (x < 20) {
    shift += 1 / (x * x);
    x += 1;
  }
  // ψ'(x) ~ 1/x + 1/(2x²) + Σ B_2k / x^(2k+1), B2…B12
  const z = 1 / (x * x);
  const series = 1 + 0.5 / x +
    z * (1 / 6 - z * (1 / 30 - z * (1 / 42 - z * (1 / 30 - z * (5 / 66 - z * (691 / 2730))))));
  return sign * (result + shift + series / x);
}
