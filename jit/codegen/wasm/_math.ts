/**
 * Vectorised float32 math for the Wasm kernels: Cephes-style polynomials
 * evaluated on f32x4 lanes with plain multiplies and adds (no FMA, so every
 * engine gives the same bits). Each emitter reads its operand from a local
 * and leaves the result on the stack.
 *
 * Error bounds, in whole ulps from the correctly rounded result (`Math.fround`
 * of the float64 function), each checked on every float32 input by
 * bench/ulp_audit.ts (worst measured in docs/accuracy.md) and on dense sweeps
 * by tests/wasm_ulp_test.ts:
 *   exp ≤ 1 ulp, log ≤ 1 ulp, expm1 ≤ 2 ulp, log1p ≤ 2 ulp, tanh ≤ 2 ulp,
 *   erf ≤ 1 ulp below 1 and ≤ 2 ulp above;
 *   NaN, ±Infinity, ±0 and subnormal inputs and results follow Math.*.
 * The exp of softmax, logSoftmax, logSumExp and sigmoid (_cheap_exp.ts) is
 * the cheaper `expShifted`: ≤ 2 ulp (1.78 measured), 0 below 2^-126; the
 * contract and the measured errors of those ops are in docs/memory.md.
 * @module
 */
import { type Fn, simd, V128 } from "./_emit.ts";

const LOG2E = 1.44269504088896341;
/** 1.5·2^23: adding it rounds a float32 below 2^22 to an integer, kept in the low mantissa bits. */
const ROUND = 12582912;
// ln 2 split so that n * LN2_HI is exact for |n| < 2^9 (Cody and Waite)
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** e^r = 1 + r + r^2 * P(r) on |r| <= ln(2)/2 (Cephes expf). */
const EXP_P = [
  1.9875691500e-4,
  1.3981999507e-3,
  8.3334519073e-3,
  4.1665795894e-2,
  1.6666665459e-1,
  5.0000001201e-1,
];
/**
 * e^r = 1 + r * P(r) on |r| <= ln(2)/2: a least-squares fit weighted by e^-r at 200 Chebyshev
 * nodes (softmax's exp, `expShifted`).
 */
const EXP_SHIFTED_P = [
  8.26153066009283e-3,
  4.1898731142282486e-2,
  1.6668114066123962e-1,
  4.9999141693115234e-1,
  9.999995231628418e-1,
];
/** 1.5·2^23 + 127: adding it leaves n + 127 (the biased exponent of 2^n) in the low bits. */
const ROUND_BIASED = 12583039;
/** Below this e^x is subnormal (2^-126): `expShifted` returns 0 there. */
const EXP_SHIFTED_MIN = -87.33654;
/**
 * Inputs are clamped to this first (+Infinity too): from 127.5·ln 2 (88.3763) on, n rounds to
 * 128, whose 2^n built from the bits is +Infinity, and so is the result.
 */
const EXP_SHIFTED_CLAMP = 88.5;
/** log(1 + m) = m - m^2/2 + m^3 * P(m) on sqrt(1/2) - 1 <= m < sqrt(2) - 1 (Cephes logf). */
const LOG_P = [
  7.0376836292e-2,
  -1.1514610310e-1,
  1.1676998740e-1,
  -1.2420140846e-1,
  1.4249322787e-1,
  -1.6668057665e-1,
  2.0000714765e-1,
  -2.4999993993e-1,
  3.3333331174e-1,
];
/** tanh(x) = x + x^3 * P(x^2) on |x| < 0.625 (Cephes tanhf). */
const TANH_P = [
  -5.70498872745e-3,
  2.06390887954e-2,
  -5.37397155531e-2,
  1.33314422036e-1,
  -3.33332819422e-1,
];

/**
 * erf(x) = x + x·Q(x^2) on |x| < 1, the leading x added last, unrounded: a fit of erf(x)/x - 1
 * weighted for erf's relative error, each coefficient rounded to float32 before the next is
 * fitted (bench/erf_fit.py; 0.03·2^-24 relative in float64). Cephes erff's x·P(x^2) rounded
 * twice at erf's scale and its constant term was 1.2·2^-24 off: 3 ulp on 56 float32s a sign.
 */
const ERF_Q = [
  7.928027480375022e-5,
  -8.032684563659132e-4,
  5.190903786569834e-3,
  -2.6855187490582466e-2,
  1.1283618956804276e-1,
  -3.761262893676758e-1,
  1.2837916612625122e-1,
];
/**
 * erfc(x) = Q(t) on 1 <= x < 4 with t = (x - 2.5)·(2/3) in [-1, 1]: a
 * degree-14 Chebyshev fit (absolute error 1.0e-8 in float64; the sum of
 * |coefficients| is 0.2, so rounding stays near an ulp of erf there),
 * evaluated by `estrin`. No division and no exponential: a third fewer of
 * erf's instructions. Over every float32 of [1, 4.5): 5 results 2 ulp
 * from the correctly rounded erf, the rest within 1.
 */
const ERFC_T = [
  -2.5985707e-04,
  -9.70309e-05,
  2.0395177e-03,
  -1.5362172e-03,
  -4.676662e-03,
  1.0403473e-02,
  -6.6309697e-03,
  -9.574278e-03,
  3.1865895e-02,
  -4.639105e-02,
  4.3651935e-02,
  -2.8187223e-02,
  1.2252799e-02,
  -3.267277e-03,
  4.0695237e-04,
];

/** Emits vector math into one function; temporaries are fresh locals. */
export class VMath {
  /**
   * Whether `expShifted` may use relaxed-SIMD `f32x4.relaxed_madd` (fused where the hardware
   * has FMA, else a product and a sum: both keep its bounds). The other routines never do.
   */
  fma = false;

  constructor(readonly f: Fn) {}

  tmp(): number {
    return this.f.local(V128);
  }

  /** Pushes a local, or evaluates a callback that pushes a vector. */
  #push(x: number | (() => void)): void {
    if (typeof x === "number") this.f.get(x);
    else x();
  }

  /**
   * Estrin: c[0] * x^(n-1) + … + c[n-1], on the stack, as pairs
   * `c_2i + c_2i+1·x` (c_d the coefficient of x^d) joined by x², x⁴, … so
   * the dependent chain is ⌈log₂ n⌉ multiply-adds long, not n - 1 (Horner's
   * chain stalls a long polynomial's lanes).
   */
  estrin(x: number, c: readonly number[]): void {
    const f = this.f;
    const byDegree = [...c].reverse();
    let terms: (number | (() => void))[] = [];
    for (let d = 0; d < byDegree.length; d += 2) {
      if (d + 1 === byDegree.length) terms.push(() => f.f32x4(byDegree[d]));
      else {
        f.f32x4(byDegree[d + 1]).get(x).v(simd.f32x4Mul).f32x4(byDegree[d]).v(simd.f32x4Add);
        terms.push(this.keep());
      }
    }
    let power = x;
    while (terms.length > 1) {
      f.get(power).get(power).v(simd.f32x4Mul);
      power = this.keep();
      const next: (number | (() => void))[] = [];
      for (let i = 0; i < terms.length; i += 2) {
        if (i + 1 === terms.length) {
          next.push(terms[i]);
          continue;
        }
        this.#push(terms[i + 1]);
        f.get(power).v(simd.f32x4Mul);
        this.#push(terms[i]);
        f.v(simd.f32x4Add);
        next.push(this.keep());
      }
      terms = next;
    }
    this.#push(terms[0]);
  }

  /** Horner: c[0] * x^(n-1) + … + c[n-1], on the stack. */
  poly(x: number, c: readonly number[]): void {
    const f = this.f;
    f.f32x4(c[0]);
    for (let i = 1; i < c.length; i++) f.get(x).v(simd.f32x4Mul).f32x4(c[i]).v(simd.f32x4Add);
  }

  /**
   * Shuffles the two vectors on the stack (or, with `one`, the top one with
   * itself) by 32-bit lanes into a fresh local.
   */
  shuffle(lanes: readonly number[], one = false): number {
    if (one) {
      const t = this.keep();
      this.f.get(t).get(t);
    }
    this.f.shuffle(lanes);
    return this.keep();
  }

  /** Stores the stack top in a fresh local. */
  keep(): number {
    const l = this.tmp();
    this.f.set(l);
    return l;
  }

  /**
   * Computes in float64 lanes: for each half of the 32-bit lanes, `body`
   * gets its operands' two lanes widened by `widen` (an f64x2 conversion of
   * the low lanes) and leaves an f64x2 result, narrowed by `narrow` into the
   * low lanes; the two halves are then joined on the stack.
   * @param operands locals holding 32-bit-lane vectors
   * @param widen the f64x2 conversion (promote_low_f32x4 or convert_low_i32x4_s)
   * @param narrow the conversion back (demote_f64x2_zero or trunc_sat_f64x2_s_zero)
   * @param body the computation on the widened locals
   */
  inFloat64(
    operands: readonly number[],
    widen: number,
    narrow: number,
    body: (wide: number[]) => void,
  ): void {
    const f = this.f;
    const halves = [0, 1].map((half) => {
      const wide = operands.map((v) => {
        f.get(v);
        if (half === 1) f.get(v).shuffle([2, 3, 0, 1]);
        f.v(widen);
        return this.keep();
      });
      body(wide);
      f.v(narrow);
      return this.keep();
    });
    f.get(halves[0]).get(halves[1]).shuffle([0, 1, 4, 5]);
  }

  /** bitselect(a, b, mask): a where mask bits are set, else b. */
  select(a: number | (() => void), b: number | (() => void), mask: number | (() => void)): void {
    this.#push(a);
    this.#push(b);
    this.#push(mask);
    this.f.v(simd.bitselect);
  }

  /** 2^k for integer lanes k in [-126, 127] (i32x4 on the stack → f32x4). */
  pow2(): void {
    this.f.i32x4(127).v(simd.i32x4Add).i32(23).v(simd.i32x4Shl);
  }

  /**
   * Range reduction x = n ln2 + r, |r| <= ln2/2, with x clamped to [lo, hi]
   * (NaN stays NaN: pmax/pmin keep their first operand then). n is rounded
   * to even by adding 1.5·2^23, whose low bits then hold n as an integer
   * (cheaper than f32x4.nearest plus a saturating conversion).
   * Returns the locals n (float), ni (int32 lanes) and r.
   */
  #reduce(x: number, lo: number, hi: number): { n: number; ni: number; r: number } {
    const f = this.f;
    f.get(x).f32x4(lo).v(simd.f32x4Pmax).f32x4(hi).v(simd.f32x4Pmin);
    const xc = this.keep();
    f.get(xc).f32x4(LOG2E).v(simd.f32x4Mul).f32x4(ROUND).v(simd.f32x4Add);
    const t = this.keep();
    f.get(t).f32x4(ROUND).v(simd.f32x4Sub);
    const n = this.keep();
    f.get(t).f32x4(ROUND).v(simd.i32x4Sub);
    const ni = this.keep();
    f.get(xc).get(n).f32x4(LN2_HI).v(simd.f32x4Mul).v(simd.f32x4Sub);
    f.get(n).f32x4(LN2_LO).v(simd.f32x4Mul).v(simd.f32x4Sub);
    return { n, ni, r: this.keep() };
  }

  /** expm1(r) = r + r^2 * P(r) for the reduced argument. */
  #expm1Reduced(r: number): number {
    const f = this.f;
    this.poly(r, EXP_P);
    f.get(r).get(r).v(simd.f32x4Mul).v(simd.f32x4Mul).get(r).v(simd.f32x4Add);
    return this.keep();
  }

  /** The two factors 2^(n>>1) and 2^(n-(n>>1)) (so 2^n may be subnormal or 2^128). */
  #scales(ni: number): [number, number] {
    const f = this.f;
    f.get(ni).i32(1).v(simd.i32x4ShrS);
    const half = this.keep();
    f.get(half);
    this.pow2();
    const s1 = this.keep();
    f.get(ni).get(half).v(simd.i32x4Sub);
    this.pow2();
    return [s1, this.keep()];
  }

  /** e^x. */
  exp(x: number): void {
    const f = this.f;
    const { ni, r } = this.#reduce(x, -104, 89);
    const q = this.#expm1Reduced(r);
    const [s1, s2] = this.#scales(ni);
    f.get(q).f32x4(1).v(simd.f32x4Add).get(s1).v(simd.f32x4Mul).get(s2).v(simd.f32x4Mul);
  }

  /**
   * e^x within 2 ulp for the exps of softmax, logSoftmax, logSumExp (`x - max(x)` along a row,
   * so x <= 0) and sigmoid (`_cheap_exp.ts`): 22 vector operations against `exp`'s 32, 14 with
   * fused multiply-adds (`fma`). The
   * scale 2^n is built once from the rounded product's low bits, so results below 2^-126
   * (subnormal) are 0, and x from 127.5·ln 2 ≈ 88.376 up (e^x above 2.4e38, within a factor
   * 1.42 of the float32 maximum) gives Infinity: x is clamped to 88.5 first, whose 2^n is
   * +Infinity and its factor e^r positive (one operation, where a select of Infinity took four
   * instructions on x64); NaN stays NaN (the clamp keeps it).
   */
  expShifted(x: number): void {
    const f = this.f;
    // a·b + c for the two operands pushed by `ab` (fused with relaxed SIMD)
    const madd = (ab: () => void, c: () => void) => {
      ab();
      if (!this.fma) f.v(simd.f32x4Mul);
      c();
      f.v(this.fma ? simd.f32x4RelaxedMadd : simd.f32x4Add);
    };
    // pmin(x, c) = c < x ? c : x: NaN passes, +Infinity becomes c
    f.get(x).f32x4(EXP_SHIFTED_CLAMP).v(simd.f32x4Pmin);
    const xc = this.keep();
    madd(() => f.get(xc).f32x4(LOG2E), () => f.f32x4(ROUND_BIASED));
    const t = this.keep();
    f.get(t).f32x4(ROUND_BIASED).v(simd.f32x4Sub);
    const n = this.keep();
    // r = x - n ln2_hi - n ln2_lo (n ln2_hi is exact)
    madd(() => f.get(n).f32x4(-LN2_HI), () => f.get(xc));
    const r1 = this.keep();
    madd(() => f.get(n).f32x4(-LN2_LO), () => f.get(r1));
    const r = this.keep();
    f.get(t).i32(23).v(simd.i32x4Shl);
    const s = this.keep();
    // P(r) by Horner
    f.f32x4(EXP_SHIFTED_P[0]);
    for (const c of EXP_SHIFTED_P.slice(1)) {
      const p = this.keep();
      madd(() => f.get(p).get(r), () => f.f32x4(c));
    }
    const p = this.keep();
    // (1 + r P(r)) s: the same bits as s + (r s) P(r) for normal results (s is a power of 2), and
    // Infinity (not Infinity - Infinity) where s is
    madd(() => f.get(r).get(p), () => f.f32x4(1));
    f.get(s).v(simd.f32x4Mul);
    f.get(x).f32x4(EXP_SHIFTED_MIN).v(simd.f32x4Lt).v(simd.andnot);
  }

  /** e^x - 1, accurate near 0: 2^n expm1(r) + (2^n - 1), or e^x when that is large. */
  expm1(x: number): void {
    const f = this.f;
    const { n, ni, r } = this.#reduce(x, -30, 89);
    const q = this.#expm1Reduced(r);
    const [s1, s2] = this.#scales(ni);
    const big = () => {
      f.get(q).f32x4(1).v(simd.f32x4Add).get(s1).v(simd.f32x4Mul).get(s2).v(simd.f32x4Mul);
    };
    const small = () => {
      f.get(s1).get(s2).v(simd.f32x4Mul);
      const s = this.keep();
      f.get(s).get(q).v(simd.f32x4Mul).get(s).f32x4(1).v(simd.f32x4Sub).v(simd.f32x4Add);
    };
    // 2^n - 1 is exact while n <= 24; ±0 passes through with its sign
    this.select(big, small, () => f.get(n).f32x4(24).v(simd.f32x4Gt));
    const v = this.keep();
    this.select(x, v, () => f.get(x).f32x4(0).v(simd.f32x4Eq));
  }

  /**
   * x = m · 2^e for positive finite float32 lanes, exactly: locals `m` in [√½, √2) and `e`, an
   * integer in float32 lanes (subnormals are scaled by 2^23 first).
   */
  split(x: number): { m: number; e: number } {
    const f = this.f;
    f.get(x).f32x4(1.1754943508222875e-38).v(simd.f32x4Lt);
    const tiny = this.keep();
    this.select(() => f.get(x).f32x4(8388608).v(simd.f32x4Mul), x, tiny);
    const xs = this.keep();
    // x = m0 · 2^e0 with m0 in [0.5, 1)
    f.get(xs).i32(23).v(simd.i32x4ShrU).i32x4(126).v(simd.i32x4Sub).v(simd.f32x4ConvertI32x4S);
    f.get(tiny).f32x4(23).v(simd.and).v(simd.f32x4Sub);
    const e0 = this.keep();
    f.get(xs).i32x4(0x807fffff).v(simd.and).i32x4(0x3f000000).v(simd.or);
    const m0 = this.keep();
    f.get(m0).f32x4(0.707106781186547524).v(simd.f32x4Lt);
    const low = this.keep();
    // m0 < sqrt(1/2): 2m0 and e0 - 1
    this.select(() => f.get(m0).get(m0).v(simd.f32x4Add), m0, low);
    const m = this.keep();
    f.get(e0).get(low).f32x4(1).v(simd.and).v(simd.f32x4Sub);
    return { m, e: this.keep() };
  }

  /** Natural logarithm (NaN below 0, -Infinity at ±0). */
  log(x: number): void {
    const f = this.f;
    const split = this.split(x);
    const e = split.e;
    f.get(split.m).f32x4(1).v(simd.f32x4Sub);
    const m = this.keep();
    f.get(m).get(m).v(simd.f32x4Mul);
    const z = this.keep();
    this.poly(m, LOG_P);
    f.get(m).v(simd.f32x4Mul).get(z).v(simd.f32x4Mul);
    f.get(e).f32x4(LN2_LO).v(simd.f32x4Mul).v(simd.f32x4Add);
    f.get(z).f32x4(0.5).v(simd.f32x4Mul).v(simd.f32x4Sub);
    f.get(m).v(simd.f32x4Add);
    f.get(e).f32x4(LN2_HI).v(simd.f32x4Mul).v(simd.f32x4Add);
    const y = this.keep();
    // specials: +Infinity, ±0 → -Infinity, x < 0 or NaN → NaN
    this.select(x, y, () => f.get(x).f32x4(Infinity).v(simd.f32x4Eq));
    const y1 = this.keep();
    this.select(() => f.f32x4(-Infinity), y1, () => f.get(x).f32x4(0).v(simd.f32x4Eq));
    const y2 = this.keep();
    this.select(() => f.f32x4(NaN), y2, () => f.get(x).f32x4(0).v(simd.f32x4Ge).v(simd.not));
  }

  /** log(1 + x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded. */
  log1p(x: number): void {
    const f = this.f;
    f.get(x).f32x4(1).v(simd.f32x4Add);
    const u = this.keep();
    this.log(u);
    const l = this.keep();
    f.get(x).get(u).f32x4(1).v(simd.f32x4Sub).v(simd.f32x4Sub).get(u).v(simd.f32x4Div);
    const c = this.keep();
    // the correction is NaN only where u is 0 or infinite: drop it there
    f.get(l).get(c).get(c).get(c).v(simd.f32x4Eq).v(simd.and).v(simd.f32x4Add);
    const v = this.keep();
    this.select(x, v, () => f.get(x).f32x4(0).v(simd.f32x4Eq));
  }

  /** tanh: a polynomial below 0.625, else 1 - 2 / (e^(2|x|) + 1); then x's sign. */
  tanh(x: number): void {
    const f = this.f;
    f.get(x).v(simd.f32x4Abs);
    const ax = this.keep();
    f.get(ax).get(ax).v(simd.f32x4Mul);
    const z = this.keep();
    this.poly(z, TANH_P);
    f.get(z).v(simd.f32x4Mul).get(ax).v(simd.f32x4Mul).get(ax).v(simd.f32x4Add);
    const small = this.keep();
    f.get(ax).get(ax).v(simd.f32x4Add);
    const x2 = this.keep();
    this.exp(x2);
    f.f32x4(1).v(simd.f32x4Add);
    const d = this.keep();
    f.f32x4(1).f32x4(2).get(d).v(simd.f32x4Div).v(simd.f32x4Sub);
    const big = this.keep();
    this.select(small, big, () => f.get(ax).f32x4(0.625).v(simd.f32x4Lt));
    // copy the sign of x (NaN stays NaN)
    f.get(x).i32x4(-0x80000000).v(simd.and).v(simd.or);
  }

  /**
   * erf: |x| + |x|·Q(x²) below 1, 1 - Q((|x| - 2.5)·(2/3)) below 4, else 1
   * (erfc(4) is under half a float32 ulp of 1); then x's sign (NaN stays NaN).
   */
  erf(x: number): void {
    const f = this.f;
    f.get(x).v(simd.f32x4Abs);
    const ax = this.keep();
    f.get(ax).get(ax).v(simd.f32x4Mul);
    const z = this.keep();
    this.poly(z, ERF_Q);
    f.get(ax).v(simd.f32x4Mul).get(ax).v(simd.f32x4Add);
    const small = this.keep();
    f.get(ax).f32x4(2.5).v(simd.f32x4Sub).f32x4(2 / 3).v(simd.f32x4Mul);
    const t = this.keep();
    f.f32x4(1);
    this.estrin(t, ERFC_T);
    f.v(simd.f32x4Sub);
    const big = this.keep();
    this.select(small, big, () => f.get(ax).f32x4(1).v(simd.f32x4Lt));
    const v = this.keep();
    this.select(() => f.f32x4(1), v, () => f.get(ax).f32x4(4).v(simd.f32x4Ge));
    f.get(x).i32x4(-0x80000000).v(simd.and).v(simd.or);
  }

  /** torch.maximum / minimum: NaN if either is NaN, else the JS comparison's pick. */
  maxMin(a: number, b: number, max: boolean): void {
    const f = this.f;
    // pmax(b, a) = b < a ? a : b, which is NaN when b is NaN; fix the case where a is NaN
    this.select(
      a,
      () => f.get(b).get(a).v(max ? simd.f32x4Pmax : simd.f32x4Pmin),
      () => f.get(a).get(a).v(simd.f32x4Ne),
    );
  }
}
