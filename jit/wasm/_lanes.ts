/**
 * The Wasm form of primitives without a vector polynomial: each of the four
 * lanes is widened to float64, passed to the imported JavaScript function
 * (the reference's own, so results equal the JS tier's), and narrowed back.
 * Correct, not fast: a call per lane costs about as much as the JS tier's
 * whole element (lgamma over 1M float32: 231 ms here, 136 ms on the JS
 * tier), so each op that uses it (lgamma, digamma, trigamma) wants a
 * vector polynomial like those of `_special.ts`.
 * @module
 */
import { type imported, op, simd } from "./_emit.ts";
import type { VMath } from "./_math.ts";

/**
 * Emits `name(args…)` lane by lane on float32 vectors in locals; the result is left on the stack.
 * @param m the function's vector math
 * @param name the imported scalar function
 * @param args the operands' locals (one per argument of the function)
 */
export function laneCall(m: VMath, name: keyof typeof imported, args: readonly number[]): void {
  const f = m.f;
  const y = m.tmp();
  f.get(args[0]).set(y);
  for (let l = 0; l < 4; l++) {
    f.get(y);
    for (const a of args) f.get(a).v(simd.f32x4ExtractLane, l).emit(op.f64PromoteF32);
    f.callImport(name).emit(op.f32DemoteF64);
    f.v(simd.f32x4ReplaceLane, l).set(y);
  }
  f.get(y);
}
