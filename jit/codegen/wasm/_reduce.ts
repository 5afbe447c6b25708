/**
 * Reductions in Wasm loop kernels. Where the lanes are free and every
 * access is contiguous or invariant along the reduction's innermost loop,
 * the four lanes run along it (up to four accumulators, a masked partial
 * vector at the end, then the lanes folded); otherwise each lane reduces its
 * own output serially (a column reduction four output vectors per pass over
 * the rows: `emitColumns`). Sums accumulate in float64 (two f64x2 per float32
 * vector) and round once at the end, like the JS reference: the result does
 * not depend on the summation order, so a sum gives the same float32 in
 * every kernel it is fused into (jit and eager agree) and its error is
 * ~n·2⁻⁵³·Σ|x| before the final rounding. One exception: a sum of the
 * cheaper exp (softmax's, whose values already differ from the JS
 * reference's by up to 2 ulp) adds each four vectors in float32 first, which
 * keeps it within 2⁻²³ relative (its terms are never negative) at a fifth
 * less time for a softmax. Max follows the JS reference: NaN wins, else the
 * larger.
 * @module
 */
import type { VExpr } from "../../kernel.ts";
import { elementwiseOps } from "../../../core/ops/elementwise.ts";
import { reductionOf } from "../../../core/ops/reductions.ts";
import { simd, V128 } from "./_emit.ts";
import type { LoopEmitter } from "./_loops.ts";
import { lanesAlong, type Plan, type Var } from "./_plan.ts";
import { exactProducts } from "./_matmul_loop.ts";

type Reduce = Extract<VExpr, { k: "reduce" }>;
/** The Wasm accumulators of this file (argmax has its own, `_argmax.ts`). */
type Kind = "f64sum" | "f32max";

/** Whether a value costs enough per element that unrolling gains nothing. */
function heavy(e: VExpr): boolean {
  if (e.k === "alu") return elementwiseOps[e.op].cost === "costly" || e.args.some(heavy);
  return e.k === "cast" && heavy(e.x);
}

/** Whether `x` occurs in the tree `e`. */
export function within(x: VExpr, e: VExpr, seen = new Set<VExpr>()): boolean {
  if (e === x) return true;
  if (seen.has(e)) return false;
  seen.add(e);
  if (e.k === "alu") return e.args.some((a) => within(x, a, seen));
  if (e.k === "cast" || e.k === "pad") return within(x, e.x, seen);
  return e.k === "reduce" && within(x, e.body, seen);
}

/**
 * A structural key of a reduction: equal keys compute equal values in the
 * same enclosing loops. A kernel body can hold two copies of one reduction
 * reached through different views (logSumExp's row max, once inside the
 * shifted exp and once added back), which would otherwise run twice.
 * @param plan the kernel's plan (each load's access)
 * @param e the reduction
 * @returns the key, or undefined for a body with pads
 */
export function reduceKey(plan: Plan, e: Reduce): string | undefined {
  const names = new Map<Var, string>(plan.out.map((v, i) => [v, `o${i}`]));
  const key = (x: VExpr): string | undefined => {
    switch (x.k) {
      case "const":
        return `c${Object.is(x.value, -0) ? "-0" : x.value}${x.dtype}`;
      case "load":
      case "acc": {
        const a = plan.loads.get(x)!;
        const terms = a.terms.map(([v, c]) => `${names.get(v)}*${c}`);
        return `${x.k === "load" ? x.input : "acc"}[${a.c}+${terms.join("+")}]${x.dtype}`;
      }
      case "alu": {
        const args = x.args.map(key);
        return args.includes(undefined) ? undefined : `${x.op}(${args.join()})`;
      }
      case "cast": {
        const inner = key(x.x);
        return inner && `${x.dtype}(${inner})`;
      }
      case "reduce": {
        const vars = plan.reduces.get(x)!;
        vars.forEach((v) => names.set(v, `r${names.size}`));
        const body = key(x.body);
        const own = vars.map((v) => `${names.get(v)}:${v.extent}`).join();
        return body && `${x.op}{${own}}(${body})${x.dtype}`;
      }
      case "pad":
        return undefined;
    }
  };
  return key(e);
}

/**
 * Emits a reduction (its enclosing loops open).
 * @returns the local holding the result
 */
export function emitReduce(em: LoopEmitter, e: Reduce): number {
  return new Reducer(em, e).run();
}

class Reducer {
  readonly kind: Kind;
  /** The accumulator's start (and masked lanes' value). */
  readonly identity: number;

  constructor(readonly em: LoopEmitter, readonly e: Reduce) {
    const { wasm, identity } = reductionOf[e.op];
    if (wasm !== "f64sum" && wasm !== "f32max") {
      throw new Error(`wasm codegen: no ${e.op} (internal)`);
    }
    [this.kind, this.identity] = [wasm, identity("float32")];
  }

  run(): number {
    const { em, e } = this;
    const vars = em.plan.reduces.get(e)!;
    const inner = vars[vars.length - 1];
    if (inner === undefined) {
      // one term: the sum is 0 + term (an exact product rounds once, like x·y; -0 becomes +0)
      const b = e.body;
      const v = em.value(b.k === "alu" && exactProducts.has(b) ? { ...b } : b);
      if (this.kind === "f32max") return v;
      em.f.get(v).f32x4(0).v(simd.f32x4Add);
      return em.m.keep();
    }
    const tot = this.acc();
    const lanes = em.vec === undefined && lanesAlong(em.plan, inner, (l) => within(l, e.body));
    em.nest(vars.slice(0, -1), [e.body], () => {
      em.hoist(e.body);
      if (lanes) em.vec = inner;
      const i = em.open1(inner);
      if (lanes) this.lanes(inner, i, tot);
      else {em.f.loop(
          i,
          () => em.f.i32(0),
          () => em.f.i32(inner.extent),
          1,
          () => this.combine(tot, this.body()),
        );}
      em.close1(inner);
      if (lanes) em.vec = undefined;
    });
    return this.result(tot, lanes);
  }

  /**
   * The body in a fresh scope (lanes shifted by `offset` elements, if
   * given); for an exact product, its two factors.
   */
  body(offset?: number, lanes = 4): number | [number, number] {
    const em = this.em;
    const saved = em.laneOffset;
    em.laneOffset = offset ?? saved;
    const b = this.e.body;
    const row = em.rowStore?.reduce === this.e ? em.rowStore : undefined;
    if (row !== undefined && offset === undefined) {
      throw new Error("wasm codegen: a row store without lanes (internal error)");
    }
    const v = em.scoped((): number | [number, number] => {
      if (row !== undefined) em.store(row.at, em.value(row.value), lanes);
      return b.k === "alu" && exactProducts.has(b)
        ? [em.value(b.args[0]), em.value(b.args[1])]
        : em.value(b);
    });
    em.laneOffset = saved;
    return v;
  }

  /**
   * Lanes along the reduction: `u` accumulators over whole steps, single vectors, a masked rest.
   * A sum of the cheaper exp (softmax's) adds four vectors in float32 before each float64 step.
   */
  lanes(v: Var, i: number, tot: number[]): void {
    const { f, m } = this.em;
    const blocked = this.kind === "f64sum" && this.em.cheap(this.e.body);
    const u = heavy(this.e.body) && !blocked ? 1 : 4;
    const main = v.extent - (v.extent % (4 * u));
    const accs = [tot, ...Array.from({ length: blocked ? 0 : u - 1 }, () => this.acc())];
    f.loop(i, () => f.i32(0), () => f.i32(main), 4 * u, () => {
      if (blocked) return this.combine(tot, this.block());
      accs.forEach((acc, k) => this.combine(acc, this.body(4 * k)));
    });
    for (const acc of accs.slice(1)) this.merge(tot, acc);
    let k = 0;
    for (; main + 4 * k + 4 <= v.extent; k++) this.combine(tot, this.body(4 * k));
    const rest = v.extent - main - 4 * k;
    if (rest > 0) {
      const x = this.body(4 * k, rest);
      const masked = (v: number) => {
        m.select(v, () => f.f32x4(this.identity), () => f.mask(rest));
        return m.keep();
      };
      this.combine(tot, typeof x === "number" ? masked(x) : [masked(x[0]), masked(x[1])]);
    }
  }

  /**
   * `(b0 + b1) + (b2 + b3)` in float32 for the body at four vector offsets: for terms that are
   * never negative (exps), whose float32 sums are within 2 ulp of exact (relative error ≤ 2^-23),
   * so the row sum is too; summing each value in float64 cost about a fifth of a softmax.
   */
  block(): number {
    const { f, m } = this.em;
    const [a, b, c, d] = [0, 4, 8, 12].map((k) => this.body(k) as number);
    f.get(a).get(b).v(simd.f32x4Add).get(c).get(d).v(simd.f32x4Add).v(simd.f32x4Add);
    return m.keep();
  }

  /**
   * A fresh accumulator: two f64x2 (lanes 0-1, 2-3) for a sum; for max, the f32x4 maximum of
   * the values that are not NaN and a mask of the lanes that saw a NaN.
   */
  acc(): number[] {
    const { f } = this.em;
    const locals = [f.local(V128), f.local(V128)];
    f.f32x4(this.identity).set(locals[0]);
    f.f32x4(this.kind === "f64sum" ? this.identity : 0).set(locals[1]);
    return locals;
  }

  /** acc = acc ∘ v for a float32 vector v (or the float64 product of two). */
  combine(acc: number[], v: number | [number, number]): void {
    const { f } = this.em;
    if (this.kind === "f64sum") {
      const factors = typeof v === "number" ? [v] : v;
      for (const [half, lanes] of [[0, [0, 1, 2, 3]], [1, [2, 3, 0, 1]]] as const) {
        f.get(acc[half]);
        for (const x of factors) {
          f.get(x);
          if (half === 1) f.get(x).shuffle(lanes);
          f.v(simd.f64x2PromoteLowF32x4);
        }
        if (factors.length === 2) f.v(simd.f64x2Mul);
        f.v(simd.f64x2Add).set(acc[half]);
      }
      return;
    }
    if (typeof v !== "number") throw new Error("wasm codegen: a max of products (internal error)");
    // pmax(acc, v) = acc < v ? v : acc skips a NaN v, which the mask records (three instructions,
    // where selecting v when it is NaN took five)
    f.get(acc[0]).get(v).v(simd.f32x4Pmax).set(acc[0]);
    f.get(acc[1]).get(v).get(v).v(simd.f32x4Ne).v(simd.or).set(acc[1]);
  }

  /** acc = acc ∘ other (two accumulators of the same lanes). */
  merge(acc: number[], other: number[]): void {
    const f = this.em.f;
    if (this.kind === "f32max") {
      f.get(acc[0]).get(other[0]).v(simd.f32x4Pmax).set(acc[0]);
      f.get(acc[1]).get(other[1]).v(simd.or).set(acc[1]);
      return;
    }
    acc.forEach((l, k) => f.get(l).get(other[k]).v(simd.f64x2Add).set(l));
  }

  /** The float32 result: per lane, or (when lanes ran along the reduction) folded into every lane. */
  result(acc: number[], folded: boolean): number {
    const { f, m } = this.em;
    if (this.kind === "f32max") {
      // (l0 ∘ l2, l1 ∘ l3, …), then (l0 ∘ l2) ∘ (l1 ∘ l3) in every lane
      for (const perm of folded ? [[2, 3, 0, 1], [1, 0, 3, 2]] : []) {
        const shuffled = acc.map((l) => {
          f.get(l).get(l).shuffle(perm);
          return m.keep();
        });
        this.merge(acc, shuffled);
      }
      // like the JS reference, NaN wins: a lane that saw one is all ones, a NaN
      f.get(acc[0]).get(acc[1]).v(simd.or);
      return m.keep();
    }
    const [lo, hi] = acc;
    if (!folded) {
      f.get(lo).v(simd.f32x4DemoteF64x2Zero).get(hi).v(simd.f32x4DemoteF64x2Zero);
      return m.shuffle([0, 1, 4, 5]);
    }
    f.get(lo).get(hi).v(simd.f64x2Add).set(lo);
    f.get(lo).get(lo).get(lo).shuffle([2, 3, 0, 1]).v(simd.f64x2Add).v(simd.f32x4DemoteF64x2Zero);
    return m.shuffle([0, 0, 0, 0], true);
  }
}

/**
 * How many output vectors a reduction along outer axes computes per pass
 * over its rows (`emitColumns`): 4 for a sum or max over one loop with the
 * lanes along a whole number of 16 outputs (a bias gradient's column sums),
 * else 1.
 * @param em the emitter
 * @param body the kernel body
 * @param v the output loop the lanes run along
 * @returns 4 or 1
 */
export function columnCopies(em: LoopEmitter, body: VExpr, v: Var): number {
  if (body.k !== "reduce" || v.extent % 16 !== 0 || em.rowStore !== undefined) return 1;
  const kind = reductionOf[body.op].wasm;
  const vars = em.plan.reduces.get(body)!;
  return (kind === "f64sum" || kind === "f32max") && vars.length === 1 ? 4 : 1;
}

/**
 * A reduction along an outer loop with the lanes along the output, for
 * `copies` adjacent output vectors in one pass over the rows: each copy has
 * its own accumulators, so a pass reads whole cache lines (a row's 16
 * adjacent values) and the adds form independent chains. Each copy's body is
 * computed in its own scope at its lane offset (nothing is hoisted out of
 * the rows, where copies at other offsets would share it).
 * @param em the emitter, its vector loop open (stepping 4·copies)
 * @param e the reduction (the kernel body)
 * @param copies output vectors per pass
 * @param store stores a copy's result (its lane offset set)
 */
export function emitColumns(
  em: LoopEmitter,
  e: Reduce,
  copies: number,
  store: (v: number) => void,
): void {
  const r = new Reducer(em, e);
  const [inner] = em.plan.reduces.get(e)!;
  const accs = Array.from({ length: copies }, () => r.acc());
  const i = em.open1(inner);
  em.f.loop(i, () => em.f.i32(0), () => em.f.i32(inner.extent), 1, () => {
    accs.forEach((acc, k) => r.combine(acc, r.body(4 * k)));
  });
  em.close1(inner);
  const saved = em.laneOffset;
  accs.forEach((acc, k) => {
    const v = r.result(acc, false);
    em.laneOffset = 4 * k;
    store(v);
  });
  em.laneOffset = saved;
}
