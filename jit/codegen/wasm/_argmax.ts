/**
 * argmax in Wasm loop kernels, like the JS reference: the first index of
 * the largest value, or of the first NaN. With lanes along the reduction
 * each lane keeps its own best value and index (a masked partial vector at
 * the end), then the lanes are folded, ties going to the smaller index;
 * otherwise each lane reduces its own output serially.
 * @module
 */
import type { VExpr } from "../../kernel.ts";
import { simd, V128 } from "./_emit.ts";
import type { LoopEmitter } from "./_loops.ts";
import { lanesAlong } from "./_plan.ts";
import { within } from "./_reduce.ts";
import { reductionOf } from "../../../core/ops/reductions.ts";

type Reduce = Extract<VExpr, { k: "reduce" }>;

/**
 * Emits an argmax (its enclosing loops open).
 * @returns the local holding the int32 index in every lane
 */
export function emitArgmax(em: LoopEmitter, e: Reduce): number {
  const { f, m } = em;
  const v = em.plan.reduces.get(e)![0];
  if (v === undefined) {
    f.i32x4(0); // one element: index 0
    return m.keep();
  }
  const lanes = em.vec === undefined && lanesAlong(em.plan, v, (l) => within(l, e.body));
  const best = f.local(V128);
  const idx = f.local(V128);
  f.f32x4(reductionOf.argmax.identity("float32")).set(best).i32x4(0).set(idx);
  em.hoist(e.body);
  if (lanes) em.vec = v;
  const i = em.open1(v);
  const step = (valid: number) =>
    em.scoped(() => {
      const x = em.value(e.body);
      f.get(i).v(simd.i32x4Splat);
      if (lanes) f.v(simd.const, ...[0, 1, 2, 3].flatMap((n) => [n, 0, 0, 0])).v(simd.i32x4Add);
      const at = m.keep();
      // take x where x > best, or x is NaN and best is not
      f.get(x).get(best).v(simd.f32x4Gt);
      f.get(x).get(x).v(simd.f32x4Ne).get(best).get(best).v(simd.f32x4Eq).v(simd.and).v(simd.or);
      if (valid < 4) f.mask(valid).v(simd.and);
      const take = m.keep();
      m.select(x, best, take);
      f.set(best);
      m.select(at, idx, take);
      f.set(idx);
    });
  const full = lanes ? v.extent - (v.extent % 4) : v.extent;
  f.loop(i, () => f.i32(0), () => f.i32(full), lanes ? 4 : 1, () => step(4));
  if (full < v.extent) {
    f.i32(full).set(i);
    step(v.extent - full);
  }
  em.close1(v);
  if (!lanes) return idx;
  em.vec = undefined;
  for (const perm of [[2, 3, 0, 1], [1, 0, 3, 2]]) {
    f.get(best);
    const b = m.shuffle(perm, true);
    f.get(idx);
    const ib = m.shuffle(perm, true);
    // b wins when larger, a NaN against a number, or tied (equal or both NaN) at a smaller index
    f.get(b).get(best).v(simd.f32x4Gt);
    f.get(b).get(b).v(simd.f32x4Ne).get(best).get(best).v(simd.f32x4Eq).v(simd.and).v(simd.or);
    f.get(b).get(best).v(simd.f32x4Eq);
    f.get(b).get(b).v(simd.f32x4Ne).get(best).get(best).v(simd.f32x4Ne).v(simd.and).v(simd.or);
    f.get(ib).get(idx).v(simd.i32x4LtS).v(simd.and).v(simd.or);
    const take = m.keep();
    m.select(b, best, take);
    f.set(best);
    m.select(ib, idx, take);
    f.set(idx);
  }
  return idx;
}
