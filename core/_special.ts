/**
 * Deterministic special functions for the samplers: `log` and `exp` (ports
 * of fdlibm, the same algorithms V8 uses), the normal CDF `ndtr` (Cephes)
 * and its inverse `ndtri` (Wichura's AS241). They use only IEEE basic
 * operations and `Math.sqrt`, all correctly rounded, so every JS engine
 * gives the same bits (`Math.log`/`Math.exp` are implementation-defined).
 * @module
 */
import {
  ERF_T,
  ERF_U,
  ERFC_P,
  ERFC_Q,
  ERFC_R,
  ERFC_S,
  p1evl,
  polevl,
} from "./ops/_special_math.ts";

const f64 = new Float64Array(1);
const w32 = new Int32Array(f64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

function highWord(x: number): number {
  f64[0] = x;
  return w32[HI];
}

function withHighWord(x: number, hi: number): number {
  f64[0] = x;
  w32[HI] = hi;
  return f64[0];
}

const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const LG = [
  6.666666666666735130e-01,
  3.999999999940941908e-01,
  2.857142874366239149e-01,
  2.222219843214978396e-01,
  1.818357216161805012e-01,
  1.531383769920937332e-01,
  1.479819860511658591e-01,
];

/** Natural logarithm (fdlibm `__ieee754_log`). */
export function log(x: number): number {
  let hx = highWord(x);
  let k = 0;
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (hx < 0x00100000) { // subnormal: scale up by 2^54
    k -= 54;
    x *= 18014398509481984;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHighWord(x, hx | (i ^ 0x3ff00000)); // normalize x or x/2 into [sqrt(2)/2, sqrt(2))
  k += i >> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) { // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    return k === 0 ? f - r : k * LN2_HI - ((r - k * LN2_LO) - f);
  }
  // log(1+f) = f - s*(f - R) with s = f/(2+f) and R a minimax polynomial in s^2
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG[1] + w * (LG[3] + w * LG[5]));
  const t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
  const r = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) return f - (hfsq - s * (hfsq + r));
    return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
  }
  if (k === 0) return f - s * (f - r);
  return k * LN2_HI - ((s * (f - r) - k * LN2_LO) - f);
}

const EXP_P = [
  1.66666666666666019037e-01,
  -2.77777777770155933842e-03,
  6.61375632143793436117e-05,
  -1.65339022054652515390e-06,
  4.13813679705723846039e-08,
];

/** The exponential (fdlibm `__ieee754_exp`). */
export function exp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 7.09782712893383973096e+02) return Infinity;
  if (x < -7.45133219101941108420e+02) return 0;
  const hx = highWord(x) & 0x7fffffff;
  const negative = x < 0;
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) { // |x| > ln2/2: x = k*ln2 + r
    if (hx < 0x3ff0a2b2) { // |x| < 1.5 ln2
      hi = negative ? x + LN2_HI : x - LN2_HI;
      lo = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = Math.trunc(1.44269504088896338700 * x + (negative ? -0.5 : 0.5));
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1 + x; // |x| < 2^-28
  }
  const t = x * x;
  const c = x - t * (EXP_P[0] + t * (EXP_P[1] + t * (EXP_P[2] + t * (EXP_P[3] + t * EXP_P[4]))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - ((lo - (x * c) / (2 - c)) - hi);
  if (k >= -1021) return withHighWord(y, highWord(y) + (k << 20));
  return withHighWord(y, highWord(y) + ((k + 1000) << 20)) * 9.33263618503218878990e-302;
}

function erf(x: number): number {
  if (Math.abs(x) > 1) return 1 - erfc(x);
  const z = x * x;
  return x * polevl(z, ERF_T) / p1evl(z, ERF_U);
}

function erfc(a: number): number {
  const x = Math.abs(a);
  if (x < 1) return 1 - erf(a);
  const z = exp(-a * a);
  const p = x < 8 ? polevl(x, ERFC_P) : polevl(x, ERFC_R);
  const q = x < 8 ? p1evl(x, ERFC_Q) : p1evl(x, ERFC_S);
  const y = z * p / q;
  return a < 0 ? 2 - y : y;
}

/** The standard normal CDF Φ(x), accurate in relative terms in the lower tail. */
export function ndtr(a: number): number {
  if (a === Infinity) return 1;
  if (a === -Infinity) return 0;
  const x = a * Math.SQRT1_2;
  const z = Math.abs(x);
  if (z < Math.SQRT1_2) return 0.5 + 0.5 * erf(x);
  const y = 0.5 * erfc(z);
  return x > 0 ? 1 - y : y;
}

// AS241 (PPND16): three rational approximations, each [numerator, denominator]
const CENTRAL = [[
  2.5090809287301226727e+3,
  3.3430575583588128105e+4,
  6.7265770927008700853e+4,
  4.5921953931549871457e+4,
  1.3731693765509461125e+4,
  1.9715909503065514427e+3,
  1.3314166789178437745e+2,
  3.3871328727963666080e+0,
], [
  5.2264952788528545610e+3,
  2.8729085735721942674e+4,
  3.9307895800092710610e+4,
  2.1213794301586595867e+4,
  5.3941960214247511077e+3,
  6.8718700749205790830e+2,
  4.2313330701600911252e+1,
  1.0,
]];
const INTERMEDIATE = [[
  7.74545014278341407640e-4,
  2.27238449892691845833e-2,
  2.41780725177450611770e-1,
  1.27045825245236838258e+0,
  3.64784832476320460504e+0,
  5.76949722146069140550e+0,
  4.63033784615654529590e+0,
  1.42343711074968357734e+0,
], [
  1.05075007164441684324e-9,
  5.47593808499534494600e-4,
  1.51986665636164571966e-2,
  1.48103976427480074590e-1,
  6.89767334985100004550e-1,
  1.67638483018380384940e+0,
  2.05319162663775882187e+0,
  1.0,
]];
const TAIL = [[
  2.01033439929228813265e-7,
  2.71155556874348757815e-5,
  1.24266094738807843860e-3,
  2.65321895265761230930e-2,
  2.96560571828504891230e-1,
  1.78482653991729133580e+0,
  5.46378491116411436990e+0,
  6.65790464350110377720e+0,
], [
  2.04426310338993978564e-15,
  1.42151175831644588870e-7,
  1.84631831751005468180e-5,
  7.86869131145613259100e-4,
  1.48753612908506148525e-2,
  1.36929880922735805310e-1,
  5.99832206555887937690e-1,
  1.0,
]];

/** The standard normal quantile Φ⁻¹(p) for p in (0, 1) (AS241, about 1e-16 relative error). */
export function ndtri(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * polevl(r, CENTRAL[0]) / polevl(r, CENTRAL[1]);
  }
  let r = Math.sqrt(-log(q < 0 ? p : 1 - p));
  const [num, den] = r <= 5 ? INTERMEDIATE : TAIL;
  r -= r <= 5 ? 1.6 : 5;
  const x = polevl(r, num) / polevl(r, den);
  return q < 0 ? -x : x;
}
