/**
 * Loop kernels in Wasm: the output loops (four lanes along the innermost
 * one when every access there is contiguous or invariant, or strided loads
 * are gathered lane by lane: `gathersLanes`), loop-invariant
 * values hoisted to the loop where they first vary, load addresses split
 * into a hoisted base plus the innermost term.
 * @module
 */
import type { Sibling, VExpr } from "../../kernel.ts";

type Reduce = Extract<VExpr, { k: "reduce" }>;
import { type Fn, I32, op, simd, V128 } from "./_emit.ts";
import { VMath } from "./_math.ts";
import { type Access, coefOf, lanesAlong, type Plan, type Var } from "./_plan.ts";
import { columnCopies, emitColumns, emitReduce, reduceKey } from "./_reduce.ts";
import { emitArgmax } from "./_argmax.ts";
import { laneOf, wasmRoutines } from "./_alu.ts";
import { cheapExps } from "./_cheap_exp.ts";
import { elementwiseOps } from "../../../core/ops/elementwise.ts";
import { reductionOf } from "../../../core/ops/reductions.ts";
import { isMissing } from "../../../core/ops/primitive.ts";

/** Locals (parameters) holding a share's bounds along the outermost output loop: [lo, hi). */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Emits one loop function `(out, in0, …, constants)`; in a matmul epilogue
 * `acc` is read from the output in place.
 */
export class LoopEmitter {
  readonly m: VMath;
  /** The loop the four lanes run along, if any. */
  vec: Var | undefined;
  /** Elements added to the vector loop's index (unrolled copies of a body). */
  laneOffset = 0;
  /** A value a row reduction's pass stores in the output row, read back later (_row.ts). */
  rowStore: { readonly reduce: VExpr; readonly value: VExpr; readonly at: Access } | undefined;
  readonly #consts: number;
  readonly #open = new Set<Var>();
  readonly #depth = new Map<Var, number>();
  readonly #locals = new Map<Var, number>();
  readonly #scopes: Map<unknown, number>[] = [new Map()];
  readonly #free = new Map<VExpr, Set<Var>>();
  /** Bounds (parameters) of the outermost output loop, until that loop is emitted. */
  #range: Range | undefined;
  /** The exps that may use the cheaper routine (wasm/_cheap_exp.ts). */
  #cheap = new Set<VExpr>();

  /**
   * @param sizes bytes per element of the output (0) and each input (i + 1):
   *   4, or 1 for bool (bytes holding 0 or 1)
   */
  constructor(readonly f: Fn, readonly plan: Plan, nIn: number, sizes?: readonly number[]) {
    this.m = new VMath(f);
    this.#consts = nIn + 1;
    this.#sizes = sizes ?? Array(nIn + 1).fill(4);
  }
  readonly #sizes: readonly number[];

  /**
   * Emits the whole kernel: the loops over the output and the store.
   * @param body the value stored at each output element
   * @param range parameters bounding the outermost output loop (a kernel split
   *   over threads; the plan must have an output loop)
   * @returns the multiple of which those bounds must be (but for the end):
   *   4 where that loop is the vector loop, else 1
   */
  kernel(body: VExpr, range?: Range, siblings: readonly Sibling[] = []): number {
    const out = this.plan.out;
    this.#range = range;
    this.#cheap = cheapExps(body);
    const inner = out[out.length - 1];
    const lanesOk = inner !== undefined &&
      (lanesAlong(this.plan, inner) || gathersLanes(this.plan, body, inner));
    // lanes along the output, unless it is short and a reduction could use them instead
    const vector = lanesOk && (inner.extent >= 4 || this.plan.reduces.size === 0);
    const bodies = [body, ...siblings.map((s) => s.body)];
    // sibling outputs (input `s.input`, parameter s.input + 1) first, then the output
    const storeAll = (lanes: number) => {
      for (const s of siblings) this.store(this.plan.store, this.value(s.body), lanes, s.input + 1);
      this.store(this.plan.store, this.value(body), lanes);
    };
    this.nest(vector ? out.slice(0, -1) : out, bodies, () => {
      if (!vector) return storeAll(1);
      for (const b of bodies) this.hoist(b);
      this.#prebase(this.plan.store, 0);
      for (const s of siblings) this.#prebase(this.plan.store, s.input + 1);
      this.vec = inner;
      const i = this.open1(inner);
      const full = inner.extent - (inner.extent % 4);
      // the last partial vector stores only its valid lanes (the output may be read in place)
      const store = (lanes: number) => this.scoped(() => storeAll(lanes));
      const r = this.#range;
      this.#range = undefined;
      const start = () => r === undefined ? this.f.i32(0) : this.f.get(r.lo);
      // min(hi, full)
      const end = () =>
        r === undefined
          ? this.f.i32(full)
          : this.f.get(r.hi).i32(full).get(r.hi).i32(full).emit(op.i32LtS, op.select);
      // a column reduction: several output vectors per pass over the rows
      const copies = r === undefined ? columnCopies(this, body, inner) : 1;
      const columns = () =>
        emitColumns(this, body as Reduce, copies, (v) => this.store(this.plan.store, v, 4));
      if (full > 0 && copies > 1) {
        this.f.loop(i, start, end, 4 * copies, () => this.scoped(columns));
      } else if (full > 0) this.f.loop(i, start, end, 4, () => store(4));
      if (full < inner.extent) {
        // split: only the share that ends past the last full vector
        if (r !== undefined) this.f.get(r.hi).i32(full).emit(op.i32GtS).open(op.if);
        this.f.i32(full).set(i);
        store(inner.extent - full);
        if (r !== undefined) this.f.end();
      }
      this.close1(inner);
      this.vec = undefined;
    });
    return vector && out.length === 1 ? 4 : 1;
  }

  /** Whether `e` is an exp that runs the cheaper routine (`_cheap_exp.ts`). */
  cheap(e: VExpr): boolean {
    return this.#cheap.has(e);
  }

  /**
   * Stores the first `lanes` lanes of local `v` at an output access (its loops open), into
   * parameter `param`'s buffer: the output (0), or a sibling output's input (i + 1).
   */
  store(a: Access, v: number, lanes: number, param = 0): void {
    const f = this.f;
    const byte = this.#sizes[param] === 1;
    if (byte) {
      // a mask as bytes 0 or 1 in the low four bytes
      f.get(v).i32x4(1).v(simd.and);
      const b = this.m.keep();
      f.get(b).get(b).v(simd.i16x8NarrowI32x4U);
      const h = this.m.keep();
      f.get(h).get(h).v(simd.i8x16NarrowI16x8U);
      v = this.m.keep();
    }
    const offset = this.#address(a, param);
    if (lanes === 4 && !byte) return void f.get(v).mem(simd.store, offset);
    if (lanes === 4) return void f.get(v).storeLane(0, offset);
    const addr = f.local(I32);
    f.set(addr);
    const size = byte ? 1 : 4;
    for (let l = 0; l < lanes; l++) f.get(addr).get(v).storeLane(l, offset + size * l, false, byte);
  }

  /** Scalar loops over `vars` (invariants of `bodies` hoisted before each), then `inner`. */
  nest(vars: readonly Var[], bodies: readonly VExpr[], inner: () => void): void {
    if (vars.length === 0) return inner();
    for (const b of bodies) this.hoist(b);
    const i = this.open1(vars[0]);
    const r = this.#range;
    this.#range = undefined;
    const start = () => r === undefined ? this.f.i32(0) : this.f.get(r.lo);
    const end = () => r === undefined ? this.f.i32(vars[0].extent) : this.f.get(r.hi);
    this.f.loop(i, start, end, 1, () => {
      this.scoped(() => this.nest(vars.slice(1), bodies, inner));
    });
    this.close1(vars[0]);
  }

  /** Runs `fn` in a new scope: values computed inside are forgotten after it. */
  scoped<T>(fn: () => T): T {
    this.#scopes.push(new Map());
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  /** Opens loop `v` (its index local is returned; the caller emits the loop). */
  open1(v: Var): number {
    let l = this.#locals.get(v);
    if (l === undefined) {
      l = this.f.local(I32);
      this.#locals.set(v, l);
    }
    this.#open.add(v);
    this.#depth.set(v, this.#depth.size);
    return l;
  }

  close1(v: Var): void {
    this.#open.delete(v);
    this.#depth.delete(v);
  }

  #lookup(key: unknown): number | undefined {
    for (let s = this.#scopes.length - 1; s >= 0; s--) {
      const hit = this.#scopes[s].get(key);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Records `local` as the value of `key` in the current scope. */
  remember(key: unknown, local: number): number {
    this.#scopes[this.#scopes.length - 1].set(key, local);
    return local;
  }

  /** The loop variables a value depends on. */
  free(e: VExpr): Set<Var> {
    let known = this.#free.get(e);
    if (known !== undefined) return known;
    known = new Set();
    const access = this.plan.loads.get(e);
    if (access !== undefined) { for (const [v] of access.terms) known.add(v); }
    const add = (x: VExpr) => this.free(x).forEach((v) => known!.add(v));
    if (e.k === "alu") e.args.forEach(add);
    else if (e.k === "cast") add(e.x);
    else if (e.k === "pad") {
      add(e.x);
      for (const a of this.plan.pads.get(e)!) for (const [v] of a.terms) known.add(v);
    } else if (e.k === "reduce") {
      add(e.body);
      for (const v of this.plan.reduces.get(e)!) known.delete(v);
    }
    this.#free.set(e, known);
    return known;
  }

  /** Computes, before a loop opens, every part of `e` that does not depend on it. */
  hoist(e: VExpr, seen = new Set<VExpr>()): void {
    if (seen.has(e) || this.#lookup(e) !== undefined) return;
    seen.add(e);
    if ([...this.free(e)].every((v) => this.#open.has(v))) {
      this.value(e);
      return;
    }
    const access = this.plan.loads.get(e);
    if (access !== undefined) this.#prebase(access, paramOf(e));
    if (e.k === "alu") e.args.forEach((a) => this.hoist(a, seen));
    else if (e.k === "cast") this.hoist(e.x, seen);
    else if (e.k === "reduce") this.hoist(e.body, seen);
  }

  /** Computes an access's address minus its innermost term once only that loop is still closed. */
  #prebase(a: Access, param: number): void {
    const closed = a.terms.filter(([v]) => !this.#open.has(v));
    if (closed.length === 1) this.#base(a, param, closed[0][0]);
  }

  #base(a: Access, param: number, last: Var | undefined): number {
    const rest = a.terms.filter(([v]) => v !== last);
    const key = `${param}:${a.c}:${rest.map(([v, c]) => `${this.#locals.get(v)}*${c}`).join()}`;
    const hit = this.#lookup(key);
    if (hit !== undefined) return hit;
    const size = this.#sizes[param];
    this.f.get(param);
    if (a.c !== 0) this.f.i32(size * a.c).emit(op.i32Add);
    for (const [v, c] of rest) {
      this.f.get(this.#locals.get(v)!).i32(size * c).emit(op.i32Mul, op.i32Add);
    }
    const l = this.f.local(I32);
    this.f.set(l);
    return this.remember(key, l);
  }

  /** Pushes the byte address of an access (its loops open); returns the memarg offset. */
  #address(a: Access, param: number): number {
    let last: Var | undefined;
    for (const [v] of a.terms) {
      if (last === undefined || this.#depth.get(v)! > this.#depth.get(last)!) last = v;
    }
    this.f.get(this.#base(a, param, last));
    const size = this.#sizes[param];
    if (last !== undefined) {
      const c = coefOf(a, last);
      this.f.get(this.#locals.get(last)!);
      if (c * size === 1) this.f.emit(op.i32Add);
      else if (c * size === 4) this.f.i32(2).emit(op.i32Shl, op.i32Add);
      else this.f.i32(size * c).emit(op.i32Mul, op.i32Add);
    }
    const step = this.vec === undefined ? 0 : coefOf(a, this.vec);
    return step === 1 || step === 2 ? size * step * this.laneOffset : 0;
  }

  /** Emits `e` (its loops open) and returns the local holding it. */
  value(e: VExpr): number {
    const hit = this.#lookup(e);
    if (hit !== undefined) return hit;
    const f = this.f;
    switch (e.k) {
      case "const":
        f.get(this.#consts).mem(simd.load32Splat, 4 * this.plan.consts.get(e)!);
        if (e.dtype === "bool") f.f32x4(0).v(simd.f32x4Ne);
        break;
      case "load":
      case "acc": {
        const access = this.plan.loads.get(e)!;
        const offset = this.#address(access, paramOf(e));
        const step = this.vec === undefined ? 0 : coefOf(access, this.vec);
        const lanes = step === 1;
        if (step !== 0 && step !== 1 && step !== 2) {
          this.#gather(offset, this.#sizes[paramOf(e)] * step);
        } else if (step === 2) {
          // NOTE: reads one element past the last lane's, inside the block's slack (_memory.ts)
          const at = f.local(I32);
          f.set(at).get(at).mem(simd.load, offset).get(at).mem(simd.load, offset + 16);
          f.shuffle([0, 2, 4, 6]);
        } else if (e.dtype !== "bool") f.mem(lanes ? simd.load : simd.load32Splat, offset);
        else {
          // four bytes 0 or 1 widened to lanes, or one byte in every lane; then a mask
          if (lanes) f.mem(simd.load32Zero, offset).v(simd.i16x8ExtendLowI8x16U);
          else f.mem(simd.load8Splat, offset);
          if (lanes) f.v(simd.i32x4ExtendLowI16x8U);
          f.i32x4(0).v(simd.i32x4Ne);
        }
        break;
      }
      case "cast": {
        const x = this.value(e.x);
        const from = e.x.dtype;
        if (e.dtype === from) f.get(x);
        else if (e.dtype === "bool") {
          f.get(x).f32x4(0).v(from === "int32" ? simd.i32x4Ne : simd.f32x4Ne);
        } else if (from === "int32") f.get(x).v(simd.f32x4ConvertI32x4S);
        else if (e.dtype === "int32") f.get(x).i32x4(1).v(simd.and); // a mask as 0 or 1
        else f.get(x).f32x4(1).v(simd.and);
        break;
      }
      case "alu":
        this.#alu(e, e.args.map((a) => this.value(a)));
        break;
      case "reduce": {
        // the same reduction reached through another view runs once (reduceKey), but for
        // the one that stores a row (reusing a twin would skip the store)
        const key = reduceKey(this.plan, e);
        const reuse = key !== undefined && this.rowStore?.reduce !== e;
        const twin = reuse ? this.#lookup(key) : undefined;
        if (twin !== undefined) return this.remember(e, twin);
        const v = reductionOf[e.op].wasm === "f32argmax"
          ? emitArgmax(this, e)
          : emitReduce(this, e);
        if (key !== undefined) this.remember(key, v);
        return this.remember(e, v);
      }
      case "pad":
        this.#pad(e);
        break;
    }
    return this.remember(e, this.m.keep());
  }

  #alu(e: Extract<VExpr, { k: "alu" }>, args: number[]): void {
    const form = elementwiseOps[e.op].kernel.wasm;
    const lane = laneOf(e.args[e.args.length - 1].dtype);
    const routine = isMissing(form) || lane === undefined ? undefined : form[lane];
    if (routine === undefined) {
      throw new Error(`wasm codegen: ${e.op} has no vector form (internal error)`);
    }
    // softmax's and sigmoid's exp: the ≤ 2 ulp exp (wasm/_cheap_exp.ts)
    if (routine === "exp" && this.#cheap.has(e)) return this.m.expShifted(args[0]);
    wasmRoutines[routine](this.f, this.m, args, e.args[0].dtype);
  }

  /**
   * A strided load into the lanes (the address is on the stack): lane l
   * reads `bytes`·l past lane 0 (see `gathersLanes`).
   */
  #gather(offset: number, bytes: number): void {
    const f = this.f;
    const at = f.local(I32);
    const v = f.local(V128);
    f.set(at).get(at).mem(simd.load32Splat, offset).set(v);
    for (let l = 1; l < 4; l++) {
      const to = offset + bytes * l;
      // (a memarg offset is unsigned: a negative step adds to the address)
      if (to >= 0) f.get(at).get(v).loadLane(l, to);
      else f.get(at).i32(to).emit(op.i32Add).get(v).loadLane(l, 0);
      f.set(v);
    }
    f.get(v);
  }

  /**
   * A pad: its value where every condition's index is in range, else its
   * fill. The value is computed only there (its loads may be out of range
   * elsewhere); where a condition varies along the lanes, see `#padLanes`.
   */
  #pad(e: Extract<VExpr, { k: "pad" }>): void {
    const f = this.f;
    const conds = this.plan.pads.get(e)!;
    const vec = this.vec;
    if (vec !== undefined && conds.some((a) => coefOf(a, vec) !== 0)) return this.#padLanes(e, vec);
    const res = f.local(V128);
    const t = f.local(I32);
    conds.forEach((a, n) => {
      f.i32(a.c);
      for (const [v, c] of a.terms) f.get(this.#locals.get(v)!).i32(c).emit(op.i32Mul, op.i32Add);
      f.tee(t).i32(e.conds[n].lo).emit(op.i32GeS).get(t).i32(e.conds[n].hi).emit(op.i32LtS);
      f.emit(op.i32And);
      if (n > 0) f.emit(op.i32And);
    });
    if (e.conds.length === 0) f.i32(1);
    f.open(op.if);
    this.scoped(() => f.get(this.value(e.x)).set(res));
    f.emit(op.else).get(this.#consts).mem(simd.load32Splat, 4 * this.plan.consts.get(e)!).set(res);
    f.end().get(res);
  }

  /**
   * A pad whose conditions vary along the lanes (a convolution's padded
   * rows): one in-range mask per lane; the value is computed when any lane
   * is in range and the fill blended into the others.
   *
   * NOTE: the value's loads then also read the out-of-range lanes. Those
   * read at most three elements past an in-range lane's address (loads
   * step 0 or 1 along the lanes), which stays inside the block's slack in
   * Wasm memory (`_memory.ts` keeps 64 bytes before the first block and
   * after every block), and are blended out.
   */
  #padLanes(e: Extract<VExpr, { k: "pad" }>, vec: Var): void {
    const f = this.f;
    const res = f.local(V128);
    const mask = f.local(V128);
    const t = f.local(V128);
    this.plan.pads.get(e)!.forEach((a, n) => {
      const step = coefOf(a, vec);
      f.i32(a.c + step * this.laneOffset);
      for (const [v, c] of a.terms) f.get(this.#locals.get(v)!).i32(c).emit(op.i32Mul, op.i32Add);
      f.v(simd.i32x4Splat);
      if (step !== 0) {
        const lanes = new Uint8Array(new Int32Array([0, step, 2 * step, 3 * step]).buffer);
        f.v(simd.const, ...lanes).v(simd.i32x4Add);
      }
      // lo − 1 < t and t < hi
      f.set(t).i32x4(e.conds[n].lo - 1).get(t).v(simd.i32x4LtS);
      f.get(t).i32x4(e.conds[n].hi).v(simd.i32x4LtS).v(simd.and);
      if (n > 0) f.get(mask).v(simd.and);
      f.set(mask);
    });
    const fill = () => f.get(this.#consts).mem(simd.load32Splat, 4 * this.plan.consts.get(e)!);
    f.get(mask).v(simd.anyTrue).open(op.if);
    this.scoped(() => {
      const x = this.value(e.x);
      this.m.select(x, fill, mask);
      f.set(res);
    });
    f.emit(op.else);
    fill();
    f.set(res).end().get(res);
  }
}

/** The parameter holding an access's buffer: `acc` reads the output (0), input i is i + 1. */
function paramOf(e: VExpr): number {
  return e.k === "load" ? e.input + 1 : 0;
}

/**
 * Whether the output's lanes may run along `v` with strided loads gathered
 * lane by lane (`#gather`): a loop kernel without reductions, a whole number
 * of vectors along `v` (no partial vector whose spare lanes would read past
 * the buffer), every other load contiguous or invariant along it, and no
 * gathered load under a pad whose condition varies along it (whose masked
 * lanes may read out of range). The other loads and the math then run four
 * lanes at a time, and the store is one vector (a transposed operand of a
 * concatenation: the attention's key gradient).
 */
function gathersLanes(plan: Plan, body: VExpr, v: Var): boolean {
  if (plan.reduces.size > 0 || v.extent % 4 !== 0) return false;
  const seen = [new Set<VExpr>(), new Set<VExpr>()];
  const ok = (e: VExpr, masked: boolean): boolean => {
    if (seen[+masked].has(e)) return true;
    seen[+masked].add(e);
    switch (e.k) {
      case "load": {
        const c = coefOf(plan.loads.get(e)!, v);
        if (c === 0 || c === 1) return true;
        return e.dtype !== "bool" && (c === 2 || !masked);
      }
      case "acc":
        return coefOf(plan.loads.get(e)!, v) === 1;
      case "const":
        return true;
      case "alu":
        return e.args.every((a) => ok(a, masked));
      case "cast":
        return ok(e.x, masked);
      case "pad":
        return ok(e.x, masked || plan.pads.get(e)!.some((a) => coefOf(a, v) !== 0));
      case "reduce":
        return false;
    }
  };
  return ok(body, false);
}
