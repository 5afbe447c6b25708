/**
 * Vector sin and cos for the Wasm kernels, computed in float64 lanes and
 * rounded once to float32, so they stay within 1 ulp of `Math.fround` of
 * `Math.sin`/`Math.cos` (the JS reference). Below |x| = 2^19 the argument
 * is reduced by a three-part Cody-Waite subtraction of k·π/2 (exact for
 * k < 2^20) and evaluated by Taylor polynomials on |r| <= π/4 (truncation
 * below 1e-11); a vector holding a larger, infinite or NaN lane calls the
 * imported `Math.sin`/`Math.cos` for its four lanes instead.
 * @module
 */
import { op, simd } from "./_emit.ts";
import type { VMath } from "./_math.ts";

/** Lanes below this magnitude take the polynomial path. */
const LIMIT = 524288;
const TWO_OVER_PI = 0.63661977236758134308;
// π/2 = P1 + P2 + P3: P1 and P2 have 33 significant bits, so k·P1 and k·P2 are exact (fdlibm)
const P1 = 1.57079632673412561417e+00;
const P2 = 6.07710050630396597660e-11;
const P3 = 2.02226624879595063154e-21;
/** sin r = r + r^3 · S(r^2), cos r = 1 - r^2/2 + r^4 · C(r^2) (Taylor). */
const S = [-1 / 39916800, 1 / 362880, -1 / 5040, 1 / 120, -1 / 6];
const C = [-1 / 3628800, 1 / 40320, -1 / 720, 1 / 24];

/**
 * Emits sin (or cos) of the float32 vector in local `x`; the result is left on the stack.
 * @param m the function's vector math
 * @param x the operand's local
 * @param cos cos instead of sin
 */
export function trig(m: VMath, x: number, cos: boolean): void {
  const f = m.f;
  m.inFloat64([x], simd.f64x2PromoteLowF32x4, simd.f32x4DemoteF64x2Zero, ([xd]) => {
    f.get(xd).f64x2(TWO_OVER_PI).v(simd.f64x2Mul).v(simd.f64x2Nearest);
    const k = m.keep();
    f.get(xd);
    for (const p of [P1, P2, P3]) f.get(k).f64x2(p).v(simd.f64x2Mul).v(simd.f64x2Sub);
    const r = m.keep();
    f.get(r).get(r).v(simd.f64x2Mul);
    const r2 = m.keep();
    // sin r
    poly64(m, r2, S);
    f.get(r2).v(simd.f64x2Mul).get(r).v(simd.f64x2Mul).get(r).v(simd.f64x2Add);
    const s = m.keep();
    // cos r
    poly64(m, r2, C);
    f.get(r2).v(simd.f64x2Mul).get(r2).v(simd.f64x2Mul);
    f.f64x2(1).get(r2).f64x2(0.5).v(simd.f64x2Mul).v(simd.f64x2Sub).v(simd.f64x2Add);
    const c = m.keep();
    // quadrant q = k (+1 for cos) mod 4: odd takes the other function, 2 and 3 negate
    f.get(k).v(simd.i32x4TruncSatF64x2SZero);
    if (cos) f.i32x4(1).v(simd.i32x4Add);
    const q = m.keep();
    const mask = (bit: number) => {
      f.get(q).i32x4(bit).v(simd.and).i32x4(0).v(simd.i32x4Ne).v(simd.i64x2ExtendLowI32x4S);
      return m.keep();
    };
    const odd = mask(1);
    const neg = mask(2);
    m.select(c, s, odd);
    const v = m.keep();
    m.select(() => f.get(v).v(simd.f64x2Neg), v, neg);
  });
  let y = m.keep();
  if (!cos) {
    // sin(±0) = ±0 (the reduction's x - 0·P1 turns -0 into +0)
    m.select(x, y, () => f.get(x).f32x4(0).v(simd.f32x4Eq));
    y = m.keep();
  }
  // a lane out of range (or NaN): the reference's function for all four lanes
  f.get(x).v(simd.f32x4Abs).f32x4(LIMIT).v(simd.f32x4Lt).v(simd.not).v(simd.anyTrue);
  f.open(op.if);
  for (let l = 0; l < 4; l++) {
    f.get(y);
    f.get(x).v(simd.f32x4ExtractLane, l).emit(op.f64PromoteF32);
    f.callImport(cos ? "cos" : "sin").emit(op.f32DemoteF64);
    f.v(simd.f32x4ReplaceLane, l).set(y);
  }
  f.end();
  f.get(y);
}

/** Horner in f64 lanes: c[0] · z^(n-1) + … + c[n-1], on the stack. */
export function poly64(m: VMath, z: number, c: readonly number[]): void {
  const f = m.f;
  f.f64x2(c[0]);
  for (let i = 1; i < c.length; i++) f.get(z).v(simd.f64x2Mul).f64x2(c[i]).v(simd.f64x2Add);
}
