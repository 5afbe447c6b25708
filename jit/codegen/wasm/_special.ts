/**
 * Vector float32 forms of special-function primitives for the Wasm kernels,
 * built on `VMath`'s polynomials (exp, log, log1p, erf: each within 2 ulp)
 * with the same formulas as the WGSL helpers (core/ops/_wgsl_special.ts):
 * sinh and cosh (a Taylor polynomial below 1, (h/2)·h with h = e^(|x|/2)
 * above 20), asinh and acosh (log1p of arguments without cancellation,
 * log(x) + ln 2 beyond 1e18), log2 and log10 (log times a constant), erfc
 * (Numerical Recipes' erfcc with an exact split of x²), erfinv (Giles'
 * single-precision polynomials), atan2 (C's special cases, then Cephes'
 * atanf of the smaller over the larger magnitude), and lgamma, digamma and
 * trigamma (series near 1 and 2, unrolled shifts to the asymptotic series,
 * reflection with an exactly reduced sin(πx) from `_trig.ts`; no loops).
 * tests/wasm_special_test.ts sweeps them against the float64 functions and
 * tests/new_ops_test.ts holds them to the PyTorch fixture.
 * @module
 */
import { simd } from "./_emit.ts";
import type { VMath } from "./_math.ts";
import { trig } from "./_trig.ts";
import {
  GILES_HIGH,
  GILES_LOW,
  LGAMMA2,
  LGAMMA2_F32_TERMS,
} from "../../../core/ops/_special_math.ts";

const LN2 = 0.6931471805599453;

/** Stores `emit`'s stack top in a fresh local. */
function local(m: VMath, emit: () => void): number {
  emit();
  return m.keep();
}

/** |v| with the sign of s (v a local, s a local). */
function copysign(m: VMath, v: number, s: number): void {
  const f = m.f;
  m.select(() => f.get(s), () => f.get(v).v(simd.f32x4Abs), () => f.i32x4(-0x80000000));
}

/** x + x·z·(1/6 + z(1/120 + z(1/5040 + z/362880))), z = x²: sinh below 1. */
function sinhSmall(m: VMath, x: number): number {
  const f = m.f;
  const z = local(m, () => f.get(x).get(x).v(simd.f32x4Mul));
  m.poly(z, [2.7557319e-6, 1.984127e-4, 8.3333333e-3, 0.16666667]);
  return local(m, () => f.get(z).v(simd.f32x4Mul).get(x).v(simd.f32x4Mul).get(x).v(simd.f32x4Add));
}

/** e^|x| ± e^-|x|, halved (sign -1: sinh, +1: cosh), for |x| in a local; (h/2)·h above 20. */
function hyperbolic(m: VMath, a: number, sign: 1 | -1): number {
  const f = m.f;
  m.exp(a);
  const e = m.keep();
  f.get(e).f32x4(1).get(e).v(simd.f32x4Div).v(sign > 0 ? simd.f32x4Add : simd.f32x4Sub);
  const mid = local(m, () => f.f32x4(0.5).v(simd.f32x4Mul));
  const half = local(m, () => f.get(a).f32x4(0.5).v(simd.f32x4Mul));
  m.exp(half);
  const h = m.keep();
  const big = local(m, () => f.get(h).f32x4(0.5).v(simd.f32x4Mul).get(h).v(simd.f32x4Mul));
  m.select(big, mid, () => f.get(a).f32x4(20).v(simd.f32x4Ge));
  return m.keep();
}

/** Emits sinh of the local `x`; the result is left on the stack. */
export function sinh(m: VMath, x: number): void {
  const f = m.f;
  const small = sinhSmall(m, x);
  const a = local(m, () => f.get(x).v(simd.f32x4Abs));
  const r = hyperbolic(m, a, -1);
  const signed = local(m, () => copysign(m, r, x));
  m.select(small, signed, () => f.get(a).f32x4(1).v(simd.f32x4Lt));
}

/** Emits cosh of the local `x`. */
export function cosh(m: VMath, x: number): void {
  const a = local(m, () => m.f.get(x).v(simd.f32x4Abs));
  m.f.get(hyperbolic(m, a, 1));
}

/** log(a) + ln 2 (asinh and acosh beyond 1e18, where a² overflows). */
function logTwice(m: VMath, a: number): number {
  m.log(a);
  return local(m, () => m.f.f32x4(LN2).v(simd.f32x4Add));
}

/** Emits asinh of the local `x`: sign(x)·log1p(a + a²/(1 + √(1 + a²))). */
export function asinh(m: VMath, x: number): void {
  const f = m.f;
  const a = local(m, () => f.get(x).v(simd.f32x4Abs));
  const a2 = local(m, () => f.get(a).get(a).v(simd.f32x4Mul));
  f.get(a).get(a2).f32x4(1).get(a2).f32x4(1).v(simd.f32x4Add).v(simd.f32x4Sqrt).v(simd.f32x4Add);
  const arg = local(m, () => f.v(simd.f32x4Div).v(simd.f32x4Add));
  m.log1p(arg);
  const main = m.keep();
  const big = logTwice(m, a);
  const r = local(m, () => m.select(big, main, () => f.get(a).f32x4(1e18).v(simd.f32x4Gt)));
  const signed = local(m, () => copysign(m, r, x));
  // below 2^-12 asinh(x) = x in float32 (and ±0 keep their sign)
  m.select(x, signed, () => f.get(a).f32x4(2 ** -12).v(simd.f32x4Lt));
}

/** Emits acosh of the local `x`: log1p(t + √(t(t + 2))), t = x - 1 (NaN below 1). */
export function acosh(m: VMath, x: number): void {
  const f = m.f;
  const t = local(m, () => f.get(x).f32x4(1).v(simd.f32x4Sub));
  f.get(t).get(t).get(t).f32x4(2).v(simd.f32x4Add).v(simd.f32x4Mul).v(simd.f32x4Sqrt);
  const arg = local(m, () => f.v(simd.f32x4Add));
  m.log1p(arg);
  const main = m.keep();
  const big = logTwice(m, x);
  m.select(big, main, () => f.get(x).f32x4(1e18).v(simd.f32x4Gt));
}

/** Emits log(x)·k of the local `x` (log2: k = log2(e), log10: k = log10(e)). */
export function scaledLog(m: VMath, x: number, k: number): void {
  m.log(x);
  m.f.f32x4(k).v(simd.f32x4Mul);
}

/** erfcc's exponent polynomial in t = 1/(1 + z/2) (Numerical Recipes, relative error 1.2e-7). */
const ERFCC = [
  0.17087277,
  -0.82215223,
  1.48851587,
  -1.13520398,
  0.27886807,
  -0.18628806,
  0.09678418,
  0.37409196,
  1.00002368,
  -1.26551223,
];

/** Emits erfc of the local `x`. */
export function erfc(m: VMath, x: number): void {
  const f = m.f;
  const z = local(m, () => f.get(x).v(simd.f32x4Abs));
  const t = local(
    m,
    () => f.f32x4(1).f32x4(1).get(z).f32x4(0.5).v(simd.f32x4Mul).v(simd.f32x4Add).v(simd.f32x4Div),
  );
  m.poly(t, ERFCC);
  const p = m.keep();
  // z = h + l with h's low 12 bits cleared: h² is exact, so e^(-z²) keeps z²'s rounding error out
  const h = local(m, () => f.get(z).i32x4(-4096).v(simd.and));
  const hh = local(m, () => f.get(h).get(h).v(simd.f32x4Mul).v(simd.f32x4Neg));
  m.exp(hh);
  const e1 = m.keep();
  f.get(p).get(z).get(h).v(simd.f32x4Sub).get(z).get(h).v(simd.f32x4Add).v(simd.f32x4Mul);
  const rest = local(m, () => f.v(simd.f32x4Sub));
  m.exp(rest);
  const tail = local(m, () => f.get(e1).v(simd.f32x4Mul).get(t).v(simd.f32x4Mul));
  // past 10.5 the tail is 0 (the products above would give NaN at z = inf)
  const r = local(
    m,
    () => m.select(() => f.f32x4(0), tail, () => f.get(z).f32x4(10.5).v(simd.f32x4Gt)),
  );
  const signed = local(
    m,
    () =>
      m.select(
        () => f.f32x4(2).get(r).v(simd.f32x4Sub),
        r,
        () => f.get(x).f32x4(0).v(simd.f32x4Lt),
      ),
  );
  m.erf(x);
  const e = m.keep();
  m.select(
    () => f.f32x4(1).get(e).v(simd.f32x4Sub),
    signed,
    () => f.get(z).f32x4(0.5).v(simd.f32x4Lt),
  );
}

/** Emits erfinv of the local `x` (±inf at ±1, NaN beyond). */
export function erfinv(m: VMath, x: number): void {
  const f = m.f;
  f.f32x4(1).get(x).v(simd.f32x4Sub).f32x4(1).get(x).v(simd.f32x4Add).v(simd.f32x4Mul);
  const q = m.keep();
  m.log(q);
  const w = local(m, () => f.v(simd.f32x4Neg));
  const lo = local(m, () => f.get(w).f32x4(2.5).v(simd.f32x4Sub));
  m.poly(lo, GILES_LOW);
  const low = m.keep();
  const hi = local(m, () => f.get(w).v(simd.f32x4Sqrt).f32x4(3).v(simd.f32x4Sub));
  m.poly(hi, GILES_HIGH);
  const high = m.keep();
  f.get(x);
  m.select(high, low, () => f.get(w).f32x4(5).v(simd.f32x4Ge));
  const r = local(m, () => f.v(simd.f32x4Mul));
  m.select(
    () => f.get(x).f32x4(Infinity).v(simd.f32x4Mul),
    r,
    () => f.get(x).v(simd.f32x4Abs).f32x4(1).v(simd.f32x4Eq),
  );
}

/** atanf on [0, 1] (Cephes: reduced by π/4 above tan(π/8), then a polynomial in u²). */
function atan01(m: VMath, t: number): number {
  const f = m.f;
  const big = local(m, () => f.get(t).f32x4(0.41421356).v(simd.f32x4Gt));
  f.get(t).f32x4(1).v(simd.f32x4Sub).get(t).f32x4(1).v(simd.f32x4Add).v(simd.f32x4Div);
  const reduced = m.keep();
  const u = local(m, () => m.select(reduced, t, big));
  const z = local(m, () => f.get(u).get(u).v(simd.f32x4Mul));
  m.poly(z, [8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1]);
  const p = local(
    m,
    () => f.get(z).v(simd.f32x4Mul).get(u).v(simd.f32x4Mul).get(u).v(simd.f32x4Add),
  );
  m.select(() => f.get(p).f32x4(Math.PI / 4).v(simd.f32x4Add), p, big);
  return m.keep();
}

/**
 * Emits atan2(y, x) of the locals `y` and `x` with C's special cases
 * (signed zeros, infinities), Cephes' atanf of the smaller over the larger
 * magnitude elsewhere.
 */
export function atan2(m: VMath, y: number, x: number): void {
  const f = m.f;
  const ax = local(m, () => f.get(x).v(simd.f32x4Abs));
  const ay = local(m, () => f.get(y).v(simd.f32x4Abs));
  const xNegative = local(m, () => f.get(x).i32x4(0).v(simd.i32x4LtS));
  const t = local(
    m,
    () => f.get(ax).get(ay).v(simd.f32x4Pmin).get(ax).get(ay).v(simd.f32x4Pmax).v(simd.f32x4Div),
  );
  const a0 = atan01(m, t);
  const a1 = local(
    m,
    () =>
      m.select(
        () => f.f32x4(Math.PI / 2).get(a0).v(simd.f32x4Sub),
        a0,
        () => f.get(ay).get(ax).v(simd.f32x4Gt),
      ),
  );
  const a2 = local(
    m,
    () => m.select(() => f.f32x4(Math.PI).get(a1).v(simd.f32x4Sub), a1, xNegative),
  );
  const a = local(m, () => copysign(m, a2, y));
  const constant = (v: number) => local(m, () => f.f32x4(v));
  const signed = (v: number) => local(m, () => copysign(m, v, y));
  // lowest precedence first: x = 0 or |y| = inf; then |x| = inf; then y = 0; NaN stays NaN
  const inf = (v: number) => () => f.get(v).f32x4(Infinity).v(simd.f32x4Eq);
  let r = local(m, () =>
    m.select(signed(constant(Math.PI / 2)), a, () => {
      f.get(x).f32x4(0).v(simd.f32x4Eq);
      inf(ay)();
      f.v(simd.or);
    }));
  const corner = local(
    m,
    () => m.select(constant(3 * Math.PI / 4), constant(Math.PI / 4), xNegative),
  );
  const xInf = local(
    m,
    () =>
      m.select(
        signed(corner),
        () => m.select(signed(constant(Math.PI)), signed(constant(0)), xNegative),
        inf(ay),
      ),
  );
  r = local(m, () => m.select(xInf, r, inf(ax)));
  const onAxis = local(m, () => m.select(signed(constant(Math.PI)), y, xNegative));
  r = local(m, () => m.select(onAxis, r, () => f.get(y).f32x4(0).v(simd.f32x4Eq)));
  m.select(() => f.get(x).get(y).v(simd.f32x4Add), r, () => {
    f.get(x).get(x).v(simd.f32x4Ne).get(y).get(y).v(simd.f32x4Ne).v(simd.or);
  });
}

/** sin(π(x - round(x))) of the local `x` (exact reduction; sin² of it is sin²(πx)). */
function sinPiReduced(m: VMath, x: number, cos = false): number {
  const f = m.f;
  const r = local(
    m,
    () => f.get(x).get(x).v(simd.f32x4Nearest).v(simd.f32x4Sub).f32x4(Math.PI).v(simd.f32x4Mul),
  );
  trig(m, r, cos);
  return m.keep();
}

/** Six unrolled steps: where z < 6, fold `term(z)` into acc and step z by 1. */
function shiftUp(
  m: VMath,
  z: number,
  acc: number,
  term: (z: number) => void,
  limit: number,
  steps: number,
): void {
  const f = m.f;
  for (let i = 0; i < steps; i++) {
    const low = local(m, () => f.get(z).f32x4(limit).v(simd.f32x4Lt));
    m.select(() => term(z), acc, low);
    f.set(acc);
    m.select(() => f.get(z).f32x4(1).v(simd.f32x4Add), z, low);
    f.set(z);
  }
}

/** ψ(x) for x > 0: shifted to >= 6, then log(z) - 1/(2z) - Σ B2k/(2k z^2k). */
function digammaPositive(m: VMath, x: number): number {
  const f = m.f;
  const z = local(m, () => f.get(x));
  const acc = local(m, () => f.f32x4(0));
  shiftUp(
    m,
    z,
    acc,
    (v) => void f.get(acc).f32x4(1).get(v).v(simd.f32x4Div).v(simd.f32x4Sub),
    6,
    6,
  );
  const w = local(m, () => f.f32x4(1).get(z).get(z).v(simd.f32x4Mul).v(simd.f32x4Div));
  m.poly(w, [-1 / 252, 1 / 120, -1 / 12]);
  const s = local(m, () => f.get(w).v(simd.f32x4Mul));
  m.log(z);
  f.get(acc).v(simd.f32x4Add).f32x4(0.5).get(z).v(simd.f32x4Div).v(simd.f32x4Sub).get(s).v(
    simd.f32x4Add,
  );
  return m.keep();
}

/** Emits digamma of the local `x` (PyTorch's poles: ∓inf at ±0, NaN at negative integers). */
export function digamma(m: VMath, x: number): void {
  const f = m.f;
  const negative = local(m, () => f.get(x).f32x4(0).v(simd.f32x4Lt));
  const y = local(m, () => m.select(() => f.f32x4(1).get(x).v(simd.f32x4Sub), x, negative));
  const d = digammaPositive(m, y);
  // ψ(x) = ψ(1 - x) - π cot(πx) below 0
  const s = sinPiReduced(m, x);
  const c = sinPiReduced(m, x, true);
  f.get(d).f32x4(Math.PI).get(c).v(simd.f32x4Mul).get(s).v(simd.f32x4Div).v(simd.f32x4Sub);
  const reflected = m.keep();
  let r = local(m, () => m.select(reflected, d, negative));
  const pole = () => f.get(x).v(simd.f32x4Floor).get(x).v(simd.f32x4Eq).get(negative).v(simd.and);
  r = local(m, () => m.select(() => f.f32x4(NaN), r, pole));
  const zero = local(m, () => f.f32x4(Infinity));
  const minusX = local(m, () => f.get(x).v(simd.f32x4Neg));
  m.select(() => copysign(m, zero, minusX), r, () => f.get(x).f32x4(0).v(simd.f32x4Eq));
}

/** Emits trigamma of the local `x` (reflection below 1/2 with π²/sin²(πx), as PyTorch). */
export function trigamma(m: VMath, x: number): void {
  const f = m.f;
  const low = local(m, () => f.get(x).f32x4(0.5).v(simd.f32x4Lt));
  const s = sinPiReduced(m, x);
  const acc = local(
    m,
    () =>
      m.select(
        () => f.f32x4(-(Math.PI ** 2)).get(s).get(s).v(simd.f32x4Mul).v(simd.f32x4Div),
        () => f.f32x4(0),
        low,
      ),
  );
  const z = local(m, () => m.select(() => f.f32x4(1).get(x).v(simd.f32x4Sub), x, low));
  shiftUp(
    m,
    z,
    acc,
    (v) =>
      void f.get(acc).f32x4(1).get(v).get(v).v(simd.f32x4Mul).v(simd.f32x4Div).v(simd.f32x4Add),
    6,
    6,
  );
  const w = local(m, () => f.f32x4(1).get(z).get(z).v(simd.f32x4Mul).v(simd.f32x4Div));
  m.poly(w, [1 / 42, -1 / 30, 1 / 6]);
  f.get(w).v(simd.f32x4Mul).f32x4(1).v(simd.f32x4Add).f32x4(0.5).get(z).v(simd.f32x4Div).v(
    simd.f32x4Add,
  );
  f.get(z).v(simd.f32x4Div).get(acc).v(simd.f32x4Add);
  const r = m.keep();
  m.select(() => f.get(r).v(simd.f32x4Neg), r, low);
}

/** lgamma(2 + t) = t·Σ c_k t^(k-1) (|t| <= 1/2; the same series as the WGSL helper), highest order first. */
const LGAMMA2_F32 = LGAMMA2.slice(0, LGAMMA2_F32_TERMS).reverse();

function lgammaNear2(m: VMath, t: number): number {
  m.poly(t, LGAMMA2_F32);
  return local(m, () => m.f.get(t).v(simd.f32x4Mul));
}

/** lgamma for x > 0: the series near 1 and 2, Stirling's series after shifting to >= 7. */
function lgammaPositive(m: VMath, x: number): number {
  const f = m.f;
  const t1 = local(m, () => f.get(x).f32x4(1).v(simd.f32x4Sub));
  const t2 = local(m, () => f.get(x).f32x4(2).v(simd.f32x4Sub));
  m.log1p(x);
  const l0 = m.keep();
  m.log(x);
  const lx = m.keep();
  const s0 = lgammaNear2(m, x);
  const below = local(m, () => f.get(s0).get(l0).v(simd.f32x4Sub).get(lx).v(simd.f32x4Sub));
  m.log1p(t1);
  const l1 = m.keep();
  const s1 = lgammaNear2(m, t1);
  const near1 = local(m, () => f.get(s1).get(l1).v(simd.f32x4Sub));
  const near2 = lgammaNear2(m, t2);
  // Stirling: z = x + k >= 7, p = x(x+1)…(x+k-1)
  const z = local(m, () => f.get(x));
  const p = local(m, () => f.f32x4(1));
  shiftUp(m, z, p, (v) => void f.get(p).get(v).v(simd.f32x4Mul), 7, 5);
  const w = local(m, () => f.f32x4(1).get(z).get(z).v(simd.f32x4Mul).v(simd.f32x4Div));
  m.poly(w, [1 / 1260, -1 / 360, 1 / 12]);
  const series = local(m, () => f.get(z).v(simd.f32x4Div));
  m.log(z);
  const lz = m.keep();
  m.log(p);
  const lp = m.keep();
  f.get(z).f32x4(0.5).v(simd.f32x4Sub).get(lz).v(simd.f32x4Mul).get(z).v(simd.f32x4Sub);
  f.f32x4(0.91893853320467).v(simd.f32x4Add).get(series).v(simd.f32x4Add).get(lp).v(simd.f32x4Sub);
  const stirling = m.keep();
  const lt = (v: number) => () => f.get(x).f32x4(v).v(simd.f32x4Lt);
  let r = local(m, () => m.select(near2, stirling, () => f.get(x).f32x4(2.5).v(simd.f32x4Le)));
  r = local(m, () => m.select(near1, r, lt(1.5)));
  r = local(m, () => m.select(below, r, lt(0.5)));
  // +inf: Stirling gives inf - inf
  return local(m, () => m.select(x, r, () => f.get(x).f32x4(Infinity).v(simd.f32x4Eq)));
}

/** Emits lgamma of the local `x` (+inf at 0 and the negative integers). */
export function lgamma(m: VMath, x: number): void {
  const f = m.f;
  const nonPositive = local(m, () => f.get(x).f32x4(0).v(simd.f32x4Le));
  const y = local(m, () => m.select(() => f.f32x4(1).get(x).v(simd.f32x4Sub), x, nonPositive));
  const g = lgammaPositive(m, y);
  // log |Γ(x)| = log(π / |sin πx|) - lgamma(1 - x) below 0. NOTE: below 2^-60 that is taken
  // at x·2^32 plus 32 ln 2: π / |sin πx| overflows float32 below 2^-128 (it was +Infinity for
  // every negative subnormal) and πx loses bits among the subnormals
  const tiny = local(m, () => f.get(x).v(simd.f32x4Abs).f32x4(2 ** -60).v(simd.f32x4Lt));
  const xs = local(m, () => m.select(() => f.get(x).f32x4(2 ** 32).v(simd.f32x4Mul), x, tiny));
  const s = sinPiReduced(m, xs);
  const q = local(m, () => f.f32x4(Math.PI).get(s).v(simd.f32x4Abs).v(simd.f32x4Div));
  m.log(q);
  f.get(tiny).f32x4(32 * LN2).v(simd.and).v(simd.f32x4Add);
  const reflected = local(m, () => f.get(g).v(simd.f32x4Sub));
  const r = local(m, () => m.select(reflected, g, nonPositive));
  const pole = () =>
    f.get(x).v(simd.f32x4Floor).get(x).v(simd.f32x4Eq).get(nonPositive).v(simd.and);
  m.select(() => f.f32x4(Infinity), r, pole);
}
