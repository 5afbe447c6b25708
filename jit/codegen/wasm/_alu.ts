/**
 * The Wasm forms of the elementwise primitives: one emitter per vector
 * routine a primitive's row may name (`WasmRoutine` in core/ops/primitive.ts;
 * the table is exhaustive, so a routine without an emitter does not compile).
 * Each leaves one v128 on the stack from the operands' locals.
 * @module
 */
import type { WasmForm, WasmRoutine } from "../../../core/ops/primitive.ts";
import * as sp from "./_special.ts";
import type { DType } from "../../../core/ir/dtype.ts";
import { type Fn, simd } from "./_emit.ts";
import type { VMath } from "./_math.ts";
import { trig } from "./_trig.ts";
import { intRemainder, remainder } from "./_remainder.ts";
import { pow } from "./_pow.ts";

/** The operands' locals, and the dtype of the first (a selection's condition: bool or float32). */
type Emit = (f: Fn, m: VMath, args: readonly number[], first: DType) => void;

function un(code: number): Emit {
  return (f, _m, [a]) => void f.get(a).v(code);
}
function bin(code: number): Emit {
  return (f, _m, [a, b]) => void f.get(a).get(b).v(code);
}

/** Every vector routine. */
export const wasmRoutines: { readonly [K in WasmRoutine]: Emit } = {
  "f32.neg": un(simd.f32x4Neg),
  "f32.recip": (f, _m, [a]) => void f.f32x4(1).get(a).v(simd.f32x4Div),
  "f32.sqrt": un(simd.f32x4Sqrt),
  "f32.abs": un(simd.f32x4Abs),
  "f32.floor": un(simd.f32x4Floor),
  "f32.ceil": un(simd.f32x4Ceil),
  "f32.nearest": un(simd.f32x4Nearest), // ties to even, like torch.round
  // (x > 0) - (x < 0): 0 for ±0 and NaN
  "f32.sign": (f, _m, [a]) => {
    f.get(a).f32x4(0).v(simd.f32x4Gt).f32x4(1).v(simd.and);
    f.get(a).f32x4(0).v(simd.f32x4Lt).f32x4(1).v(simd.and).v(simd.f32x4Sub);
  },
  "f32.add": bin(simd.f32x4Add),
  "f32.mul": bin(simd.f32x4Mul),
  "f32.div": bin(simd.f32x4Div),
  "f32.max": (_f, m, [a, b]) => m.maxMin(a, b, true),
  "f32.min": (_f, m, [a, b]) => m.maxMin(a, b, false),
  "f32.lt": bin(simd.f32x4Lt),
  "f32.eq": bin(simd.f32x4Eq),
  "f32.isnan": (f, _m, [a]) => void f.get(a).get(a).v(simd.f32x4Ne),
  "f32.remainder": (_f, m, [a, b]) => remainder(m, a, b),
  exp: (_f, m, [a]) => m.exp(a),
  expm1: (_f, m, [a]) => m.expm1(a),
  log: (_f, m, [a]) => m.log(a),
  log1p: (_f, m, [a]) => m.log1p(a),
  tanh: (_f, m, [a]) => m.tanh(a),
  erf: (_f, m, [a]) => m.erf(a),
  sin: (_f, m, [a]) => trig(m, a, false),
  cos: (_f, m, [a]) => trig(m, a, true),
  // int32 lanes wrap like the reference's `| 0` and `Math.imul`
  "i32.neg": un(simd.i32x4Neg),
  "i32.abs": un(simd.i32x4Abs),
  "i32.add": bin(simd.i32x4Add),
  "i32.mul": bin(simd.i32x4Mul),
  "i32.max": bin(simd.i32x4MaxS),
  "i32.min": bin(simd.i32x4MinS),
  "i32.lt": bin(simd.i32x4LtS),
  "i32.eq": bin(simd.i32x4Eq),
  "i32.remainder": (_f, m, [a, b]) => intRemainder(m, a, b),
  // special functions (_special.ts)
  sinh: (_f, m, [a]) => sp.sinh(m, a),
  cosh: (_f, m, [a]) => sp.cosh(m, a),
  asinh: (_f, m, [a]) => sp.asinh(m, a),
  acosh: (_f, m, [a]) => sp.acosh(m, a),
  log2: (_f, m, [a]) => sp.scaledLog(m, a, Math.LOG2E),
  log10: (_f, m, [a]) => sp.scaledLog(m, a, Math.LOG10E),
  erfc: (_f, m, [a]) => sp.erfc(m, a),
  erfinv: (_f, m, [a]) => sp.erfinv(m, a),
  "f32.fmod": (_f, m, [a, b]) => remainder(m, a, b, true),
  "f32.pow": (_f, m, [a, b]) => pow(m, a, b),
  atan2: (_f, m, [y, x]) => sp.atan2(m, y, x),
  lgamma: (_f, m, [a]) => sp.lgamma(m, a),
  digamma: (_f, m, [a]) => sp.digamma(m, a),
  trigamma: (_f, m, [a]) => sp.trigamma(m, a),
  or: bin(simd.or),
  and: bin(simd.and),
  select: (f, _m, [cond, a, b], first) => {
    f.get(a).get(b).get(cond);
    if (first !== "bool") f.f32x4(0).v(simd.f32x4Ne);
    f.v(simd.bitselect);
  },
};

/** The lane type holding a dtype's values, if it has one. */
export function laneOf(dtype: DType): keyof WasmForm | undefined {
  return lanes[dtype];
}
const lanes: Partial<Record<DType, keyof WasmForm>> = {
  float32: "f32",
  int32: "i32",
  bool: "mask",
};
