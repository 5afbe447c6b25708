/**
 * torch.remainder of float32 lanes in Wasm, bit for bit like the JS
 * reference (`a % b`, then `+ b` where the signs differ, in float64, rounded
 * once): the quotient is truncated in float64 lanes, where `q·b` and
 * `a - q·b` are exact while |a/b| < 2^28. There the float64 quotient never
 * rounds across an integer: a float32 a/b that is not an integer n lies at
 * least 2^-52·n from it (2^-25 when n = 1), beyond float64 rounding. A vector with a lane outside that
 * range (b zero, a or b infinite or NaN) calls the imported reference for
 * its four lanes.
 * @module
 */
import { op, simd } from "./_emit.ts";
import type { VMath } from "./_math.ts";

/**
 * Emits remainder(a, b) of int32 lanes (the reference's `| 0` of it): in
 * float64 lanes every step is exact (|a/b| < 2^31 never rounds across an
 * integer: it is at least 1/(n·|b|) >= 2^-31 from one, relatively), and a
 * zero divisor gives NaN there, which converts to 0 like `NaN | 0`.
 * @param m the function's vector math
 * @param a the dividend's local
 * @param b the divisor's local
 */
export function intRemainder(m: VMath, a: number, b: number): void {
  const f = m.f;
  m.inFloat64([a, b], simd.f64x2ConvertLowI32x4S, simd.i32x4TruncSatF64x2SZero, ([ad, bd]) => {
    f.get(ad).get(ad).get(bd).v(simd.f64x2Div).v(simd.f64x2Trunc).get(bd).v(simd.f64x2Mul);
    f.v(simd.f64x2Sub);
    const r = m.keep();
    m.select(() => f.get(r).get(bd).v(simd.f64x2Add), r, () => {
      f.get(r).f64x2(0).v(simd.f64x2Lt).get(bd).f64x2(0).v(simd.f64x2Lt).v(simd.xor);
      f.get(r).f64x2(0).v(simd.f64x2Ne).v(simd.and);
    });
  });
}

/**
 * Emits remainder(a, b) of the float32 vectors in locals `a` and `b`; the result is left on the stack.
 * @param m the function's vector math
 * @param a the dividend's local
 * @param b the divisor's local
 * @param truncated C's fmod instead (`a % b`: the dividend's sign, no fix-up)
 */
export function remainder(m: VMath, a: number, b: number, truncated = false): void {
  const f = m.f;
  m.inFloat64([a, b], simd.f64x2PromoteLowF32x4, simd.f32x4DemoteF64x2Zero, ([ad, bd]) => {
    const sign = (v: number) => void f.get(v).f64x2(0).v(simd.f64x2Lt);
    f.get(ad).get(bd).v(simd.f64x2Div).v(simd.f64x2Trunc);
    const q = m.keep();
    f.get(ad).get(q).get(bd).v(simd.f64x2Mul).v(simd.f64x2Sub);
    const r0 = m.keep();
    // a zero remainder keeps a's sign (like %), then torch adds b where the signs differ
    m.select(() => f.get(ad).f64x2(-0).v(simd.and), r0, () => f.get(r0).f64x2(0).v(simd.f64x2Eq));
    const r = m.keep();
    if (truncated) return void f.get(r);
    m.select(() => f.get(r).get(bd).v(simd.f64x2Add), r, () => {
      sign(r);
      sign(bd);
      f.v(simd.xor).get(r).f64x2(0).v(simd.f64x2Ne).v(simd.and);
    });
  });
  const y = m.keep();
  // fast lanes: 0 < |b| < Infinity, |a| < Infinity, |a| < 2^28 |b|
  f.get(b).v(simd.f32x4Abs).f32x4(0).v(simd.f32x4Gt);
  f.get(b).v(simd.f32x4Abs).f32x4(Infinity).v(simd.f32x4Lt).v(simd.and);
  f.get(a).v(simd.f32x4Abs).f32x4(Infinity).v(simd.f32x4Lt).v(simd.and);
  f.get(a).v(simd.f32x4Abs).f32x4(2 ** -28).v(simd.f32x4Mul).get(b).v(simd.f32x4Abs);
  f.v(simd.f32x4Lt).v(simd.and).v(simd.not).v(simd.anyTrue);
  f.open(op.if);
  for (let l = 0; l < 4; l++) {
    f.get(y);
    f.get(a).v(simd.f32x4ExtractLane, l).emit(op.f64PromoteF32);
    f.get(b).v(simd.f32x4ExtractLane, l).emit(op.f64PromoteF32);
    f.callImport(truncated ? "fmod" : "rem").emit(op.f32DemoteF64);
    f.v(simd.f32x4ReplaceLane, l).set(y);
  }
  f.end();
  f.get(y);
}
