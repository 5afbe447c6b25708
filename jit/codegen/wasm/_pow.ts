/**
 * torch.pow of float32 lanes in Wasm: |a|^b = 2^(b·log2|a|) computed in float64 lanes and
 * rounded once to float32, so it stays within 1 ulp of the JS reference (`Math.pow` in float64,
 * rounded), then C's special cases as lane selects. log2|a| = e + log2(m) from the float32 bits
 * (`VMath.split`: m in [√½, √2)), log(m) = 2·atanh(s) with s = (m-1)/(m+1) by
 * its series to s^19 (|s| < 0.172: truncation below 1e-16); 2^y = 2^n · 2^r with r = y - n in
 * [-½, ½] by the Taylor series of e^(r·ln2) to degree 13 and 2^n built from its bits. Special
 * cases, in the order applied: |a| = 1 gives 1; a negative sign (-0 and -inf included) with an odd
 * integer b negates; finite a < 0 with a non-integer b is NaN; b = ±0 gives 1 (NaN included).
 * @module
 */
import { simd } from "./_emit.ts";
import type { VMath } from "./_math.ts";
import { poly64 } from "./_trig.ts";

/** 1/(2k+1) for k = 9 … 1: atanh(s)/s - 1 = s²·Q(s²). */
const ATANH = [19, 17, 15, 13, 11, 9, 7, 5, 3].map((d) => 1 / d);
/** ln2^k / k! for k = 13 … 0: 2^r = Σ (r·ln2)^k / k!. */
const EXP2 = Array.from({ length: 14 }, (_, i) => 13 - i).map((k) => {
  let c = 1;
  for (let j = 1; j <= k; j++) c *= Math.LN2 / j;
  return c;
});
/** |y| beyond this is 0 or infinity in float32 (and 2^±160 is a normal float64). */
const CLAMP = 160;

/**
 * Emits pow(a, b) of the float32 vectors in locals `a` and `b`; the result is left on the stack.
 * @param m the function's vector math
 */
export function pow(m: VMath, a: number, b: number): void {
  const f = m.f;
  // |a| = m · 2^e in float32 lanes, exact (zero, infinity and NaN are fixed up below)
  f.get(a).v(simd.f32x4Abs);
  const ax = m.keep();
  const { m: mant, e: ef } = m.split(ax);
  m.inFloat64(
    [mant, ef, ax, b],
    simd.f64x2PromoteLowF32x4,
    simd.f32x4DemoteF64x2Zero,
    ([md, ed, axd, bd]) => {
      f.get(md).f64x2(1).v(simd.f64x2Sub).get(md).f64x2(1).v(simd.f64x2Add).v(simd.f64x2Div);
      const s = m.keep();
      f.get(s).get(s).v(simd.f64x2Mul);
      const s2 = m.keep();
      poly64(m, s2, ATANH);
      // log2|a| = e + 2·s·(1 + s²·Q(s²))·log2(e)
      f.get(s2).v(simd.f64x2Mul).f64x2(1).v(simd.f64x2Add).get(s).v(simd.f64x2Mul);
      f.f64x2(2 * Math.LOG2E).v(simd.f64x2Mul).get(ed).v(simd.f64x2Add);
      let t = m.keep();
      // log2 of 0, infinity and NaN
      const where = (value: number | (() => void), cond: () => void) => {
        m.select(value, t, cond);
        t = m.keep();
      };
      where(() => f.f64x2(-Infinity), () => f.get(axd).f64x2(0).v(simd.f64x2Eq));
      where(() => f.f64x2(Infinity), () => f.get(axd).f64x2(Infinity).v(simd.f64x2Eq));
      where(axd, () => f.get(axd).get(axd).v(simd.f64x2Ne));
      f.get(bd).get(t).v(simd.f64x2Mul);
      let y = m.keep();
      // clamp (NaN stays: its comparisons are false)
      m.select(() => f.f64x2(CLAMP), y, () => f.f64x2(CLAMP).get(y).v(simd.f64x2Lt));
      y = m.keep();
      m.select(() => f.f64x2(-CLAMP), y, () => f.get(y).f64x2(-CLAMP).v(simd.f64x2Lt));
      y = m.keep();
      f.get(y).v(simd.f64x2Nearest);
      const n = m.keep();
      f.get(y).get(n).v(simd.f64x2Sub);
      const r = m.keep();
      poly64(m, r, EXP2);
      // · 2^n, its float64 bits (n + 1023) << 52 (NaN's n converts to 0)
      f.get(n).v(simd.i32x4TruncSatF64x2SZero).i32x4(1023).v(simd.i32x4Add);
      f.v(simd.i64x2ExtendLowI32x4S).i32(52).v(simd.i64x2Shl).v(simd.f64x2Mul);
    },
  );
  let out = m.keep();
  const where = (value: number | (() => void), cond: () => void) => {
    m.select(value, out, cond);
    out = m.keep();
  };
  where(() => f.f32x4(1), () => f.get(ax).f32x4(1).v(simd.f32x4Eq));
  // b is an integer (±inf counts, NaN does not) and an odd one
  f.get(b).v(simd.f32x4Trunc).get(b).v(simd.f32x4Eq);
  const integer = m.keep();
  f.get(b).f32x4(0.5).v(simd.f32x4Mul);
  const half = m.keep();
  f.get(half).v(simd.f32x4Trunc).get(half).v(simd.f32x4Ne).get(integer).v(simd.and);
  const odd = m.keep();
  where(() => f.get(out).v(simd.f32x4Neg), () => {
    f.get(a).i32x4(0).v(simd.i32x4LtS).get(odd).v(simd.and);
  });
  where(() => f.f32x4(NaN), () => {
    f.get(a).f32x4(0).v(simd.f32x4Lt).get(a).f32x4(-Infinity).v(simd.f32x4Gt).v(simd.and);
    f.get(integer).v(simd.not).v(simd.and);
  });
  where(() => f.f32x4(1), () => f.get(b).f32x4(0).v(simd.f32x4Eq));
  f.get(out);
}
