/**
 * One element at a time: gathers (loads at a checked, data-dependent index)
 * and scatters (adds at such an index). Values are computed in vectors with
 * four equal lanes (so every elementwise op has the Wasm form of the SIMD
 * kernels) and lane 0 is stored. Each value and checked index is computed in
 * the loop where it first varies (an embedding's row index once per row).
 * A scatter is scalar so that updates with equal targets all add. A
 * reduction (a sum or a max, not nested in another) loops over its axes
 * where it is computed, its body in the innermost loop: a sum accumulates in
 * float64 and rounds once, like the reference (cross-entropy's loss, a sum
 * over a gather of the log-probabilities, runs here). An index
 * out of range traps (`unreachable`): the runtime then runs the JavaScript
 * reference, whose error names the index.
 * @module
 */
import { elementwiseOps } from "../../../core/ops/elementwise.ts";
import { isMissing } from "../../../core/ops/primitive.ts";
import type { IExpr, Kernel, VExpr } from "../../kernel.ts";
import { laneOf, wasmRoutines } from "./_alu.ts";
import { Fn, I32, op, simd, V128, wasmModule } from "./_emit.ts";
import { sizeOf } from "../../../core/ir/shape.ts";
import { reductionOf } from "../../../core/ops/reductions.ts";
import { exactProducts } from "./_matmul_loop.ts";
import { VMath } from "./_math.ts";

type Item = VExpr | Extract<IExpr, { op: "index" }>;
type Reduce = Extract<VExpr, { k: "reduce" }>;

/**
 * Whether a reduction has a scalar form here: a float32 sum or max whose
 * body is not a product the reference keeps exact (a matmul as a loop).
 */
function reducible(r: Reduce): boolean {
  const kind = reductionOf[r.op].wasm;
  return (kind === "f64sum" || kind === "f32max") && r.dtype === "float32" &&
    r.body.dtype === "float32" && !exactProducts.has(r.body);
}

/**
 * Whether a kernel reads at a data-dependent index (a gather).
 * @param e the kernel's body
 * @returns true when some load's index holds an `index` expression
 */
export function gathers(e: VExpr): boolean {
  return items(e).some((x) => !("k" in x));
}

/** Every value and checked index below `e`, operands first. */
function items(e: VExpr, target?: IExpr): Item[] {
  const out: Item[] = [];
  const seen = new Set<Item>();
  const ix = (i: IExpr): void => {
    if (typeof i === "number" || "v" in i || seen.has(i as Item)) return;
    if (i.op === "index") {
      seen.add(i);
      val(i.x);
      out.push(i);
    } else (ix(i.a), ix(i.b));
  };
  const val = (x: VExpr): void => {
    if (seen.has(x)) return;
    seen.add(x);
    if (x.k === "load") ix(x.index);
    else if (x.k === "alu") x.args.forEach(val);
    else if (x.k === "cast" || x.k === "pad") val(x.x);
    else if (x.k === "reduce") val(x.body);
    out.push(x);
  };
  val(e);
  if (target !== undefined) ix(target);
  return out;
}

/**
 * Renders a gather or scatter kernel as scalar Wasm: `f0(out, in0, …, constants)`.
 * @param k the kernel (float32 or int32 output)
 * @param vectorisable whether a value has a vector form (mod.ts's check)
 * @param shared import the memory as shared
 * @returns the module bytes, or undefined when some value has no form here
 */
export function renderScalar(
  k: Kernel,
  vectorisable: (e: VExpr) => boolean,
  shared = false,
): Uint8Array<ArrayBuffer> | undefined {
  const all = items(k.body, k.scatter?.target);
  // the constants parameter holds the body's constants, numbered as constantValues walks them
  const consts = new Map<VExpr, number>();
  const walked = new Set<VExpr>();
  const walk = (e: VExpr): void => {
    if (walked.has(e)) return;
    walked.add(e);
    if (e.k === "const") consts.set(e, consts.size);
    if (e.k === "alu") e.args.forEach(walk);
    else if (e.k === "cast") walk(e.x);
    else if (e.k === "reduce") walk(e.body);
  };
  walk(k.body);
  const ok = (x: Item) =>
    "k" in x
      ? ["load", "const", "alu", "cast"].includes(x.k) && vectorisable(x) &&
          (x.k !== "const" || consts.has(x)) || x.k === "reduce" && reducible(x)
      : x.x.dtype === "int32";
  if ((k.dtype !== "float32" && k.dtype !== "int32") || !all.every(ok)) return undefined;
  if (k.scatter?.mode === "apply" && k.dtype !== "float32") return undefined;
  if (k.loops.some((l) => l.extent === 0)) return undefined;
  const nIn = k.inputs.length;
  const f = new Fn(nIn + 2);
  const m = new VMath(f);
  // the loops' variables, then "p": the flat position in the loops (the output's, but a scatter's)
  const level = new Map<string, number>(k.loops.map((l, d) => [l.v, d + 1]));
  level.set("p", k.loops.length + 1);
  const vars = [...k.loops, k.loops].map(() => f.local(I32));
  const memo = new Map<Item, number>();
  // where each item is computed: the output loop it first varies in, and the reduction whose
  // loops it varies in (computed in that reduction's innermost loop), if any
  const depth = new Map<Item, number>();
  const inside = new Map<Item, Reduce | undefined>();
  const owner = new Map<string, Reduce>();
  for (const x of all) if ("k" in x && x.k === "reduce") x.vars.forEach((v) => owner.set(v.v, x));
  let nested = false;
  const join = (a: Reduce | undefined, b: Reduce | undefined) => {
    if (a !== undefined && b !== undefined && a !== b) nested = true;
    return a ?? b;
  };
  const iDepth = (i: IExpr): [number, Reduce | undefined] => {
    if (typeof i === "number") return [0, undefined];
    if ("v" in i) {
      const r = owner.get(i.v);
      return r !== undefined ? [0, r] : [Math.min(level.get(i.v)!, k.loops.length), undefined];
    }
    if (i.op === "index") return [depth.get(i)!, inside.get(i)];
    const [a, b] = [iDepth(i.a), iDepth(i.b)];
    return [Math.max(a[0], b[0]), join(a[1], b[1])];
  };
  for (const x of all) {
    const of = "k" in x
      ? (x.k === "alu"
        ? x.args
        : x.k === "cast" || x.k === "reduce"
        ? [x.k === "cast" ? x.x : x.body]
        : [])
      : [x.x];
    let [d, r] = "k" in x && x.k === "load" ? iDepth(x.index) : [0, undefined];
    for (const a of of) [d, r] = [Math.max(d, depth.get(a)!), join(r, inside.get(a))];
    // a reduction is computed where its body's other variables are: outside its own loops
    if ("k" in x && x.k === "reduce") r = r === x ? undefined : join(r, x);
    depth.set(x, d);
    inside.set(x, r);
  }
  // a reduction inside another one's loops is left to the JavaScript reference
  if (nested) return undefined;
  const lanes = contiguousLanes(k, all, depth);
  const index = (i: IExpr): void => {
    if (typeof i === "number") f.i32(i);
    else if ("v" in i) f.get(vars[level.get(i.v)! - 1]);
    else if (i.op === "index") f.get(memo.get(i)!);
    else {
      index(i.a), index(i.b);
      const code = { "+": op.i32Add, "-": op.i32Sub, "*": op.i32Mul, "/": 0x6d, "%": 0x6f }[i.op];
      f.emit(code);
    }
  };
  const emit = (x: Item): void => {
    if (!("k" in x)) {
      // j = i < 0 ? i + extent : i; trap unless 0 <= j < extent (unsigned)
      const j = f.local(I32);
      f.get(memo.get(x.x)!).v(simd.i32x4ExtractLane, 0).tee(j).i32(0).emit(op.i32LtS);
      f.open(op.if).get(j).i32(x.extent).emit(op.i32Add).set(j).end();
      f.get(j).i32(x.extent).emit(0x4f /* i32.ge_u */).open(op.if).emit(0x00).end();
      return void memo.set(x, j);
    }
    if (x.k === "const") {
      f.get(nIn + 1).mem(simd.load32Splat, 4 * consts.get(x)!);
      if (x.dtype === "bool") f.f32x4(0).v(simd.f32x4Ne);
    } else if (x.k === "load") {
      const bytes = x.dtype === "bool" ? 1 : 4;
      f.get(x.input + 1);
      index(x.index);
      if (bytes === 4) f.i32(2).emit(op.i32Shl);
      f.emit(op.i32Add);
      // four consecutive elements in the vectorised innermost loop
      if (bytes === 4) {
        f.mem(lanes && depth.get(x) === k.loops.length ? simd.load : simd.load32Splat);
      } else f.mem(simd.load8Splat).i32x4(0).v(simd.i32x4Ne);
    } else if (x.k === "cast") {
      const [from, v] = [x.x.dtype, memo.get(x.x)!];
      if (x.dtype === from) f.get(v);
      else if (x.dtype === "bool") {
        f.get(v).f32x4(0).v(from === "int32" ? simd.i32x4Ne : simd.f32x4Ne);
      } else if (from === "int32") f.get(v).v(simd.f32x4ConvertI32x4S);
      else if (x.dtype === "int32") f.get(v).i32x4(1).v(simd.and);
      else f.get(v).f32x4(1).v(simd.and);
    } else if (x.k === "reduce") return void memo.set(x, reduce(x));
    else if (x.k === "alu") {
      const form = elementwiseOps[x.op].kernel.wasm;
      const lane = laneOf(x.args[x.args.length - 1].dtype)!;
      const routine = isMissing(form) ? undefined : form[lane]!;
      wasmRoutines[routine!](f, m, x.args.map((a) => memo.get(a)!), x.args[0].dtype);
    }
    memo.set(x, m.keep());
  };
  /** A sum (in float64, rounded once, as the reference) or a max over the reduction's loops. */
  const reduce = (r: Reduce): number => {
    const sum = reductionOf[r.op].wasm === "f64sum";
    const acc = f.local(V128);
    f.f32x4(reductionOf[r.op].identity("float32")).set(acc);
    const open = (d: number): void => {
      if (d < r.vars.length) {
        const i = f.local(I32);
        vars.push(i);
        level.set(r.vars[d].v, vars.length);
        f.loop(i, () => f.i32(0), () => f.i32(r.vars[d].extent), 1, () => open(d + 1));
        return;
      }
      for (const y of all) if (inside.get(y) === r) emit(y);
      const v = memo.get(r.body)!;
      if (sum) f.get(acc).get(v).v(simd.f64x2PromoteLowF32x4).v(simd.f64x2Add).set(acc);
      else {
        // like the reference: take v when v > acc or v is NaN
        m.select(
          v,
          () => f.get(acc).get(v).v(simd.f32x4Pmax),
          () => f.get(v).get(v).v(simd.f32x4Ne),
        );
        f.set(acc);
      }
    };
    open(0);
    if (!sum) return acc;
    f.get(acc).v(simd.f32x4DemoteF64x2Zero);
    return m.shuffle([0, 0, 0, 0], true);
  };
  const [at, p] = [f.local(I32), vars[k.loops.length]];
  const store = (): void => {
    const v = memo.get(k.body)!;
    const float = k.dtype === "float32";
    if (lanes) return storeLanes(v);
    if (k.scatter?.mode === "apply") {
      // out[t] = value; sums[t] = 0 (input nIn - 2; the last input, the JS form's mirror, is unused)
      index(k.scatter.target);
      f.i32(2).emit(op.i32Shl).set(at);
      f.get(0).get(at).emit(op.i32Add).get(v).v(simd.f32x4ExtractLane, 0).emit(op.f32Store, 2, 0);
      f.get(nIn - 1).get(at).emit(op.i32Add).i32(0).emit(0x36, 2, 0);
      return void f.get(p).i32(1).emit(op.i32Add).set(p);
    }
    // out[p] = value, or a scatter's out[target] += value
    f.get(0);
    if (k.scatter === undefined) f.get(p);
    else index(k.scatter.target);
    f.i32(2).emit(op.i32Shl, op.i32Add).tee(at);
    if (k.scatter !== undefined) f.get(at).emit(float ? op.f32Load : 0x28, 2, 0);
    f.get(v).v(float ? simd.f32x4ExtractLane : simd.i32x4ExtractLane, 0);
    if (k.scatter !== undefined) f.emit(float ? 0x92 : op.i32Add);
    f.emit(float ? op.f32Store : 0x36, 2, 0).get(p).i32(1).emit(op.i32Add).set(p);
  };
  /** Four lanes' values at four consecutive targets: out[t..t+3] = v, or += v (and sums zeroed). */
  const storeLanes = (v: number): void => {
    const float = k.dtype === "float32";
    f.get(0);
    if (k.scatter === undefined) f.get(p);
    else index(k.scatter.target);
    f.i32(2).emit(op.i32Shl).tee(at).emit(op.i32Add);
    if (k.scatter !== undefined && k.scatter.mode !== "apply") {
      f.get(0).get(at).emit(op.i32Add).mem(simd.load).get(v).v(
        float ? simd.f32x4Add : simd.i32x4Add,
      );
    } else f.get(v);
    f.mem(simd.store);
    if (k.scatter?.mode === "apply") {
      f.get(nIn - 1).get(at).emit(op.i32Add).f32x4(0).mem(simd.store);
    }
    f.get(p).i32(4).emit(op.i32Add).set(p);
  };
  const nest = (d: number): void => {
    for (const x of all) if (depth.get(x) === d && inside.get(x) === undefined) emit(x);
    if (d === k.loops.length) return store();
    const extent = k.loops[d].extent;
    const step = lanes && d === k.loops.length - 1 ? 4 : 1;
    f.loop(vars[d], () => f.i32(0), () => f.i32(extent), step, () => nest(d + 1));
  };
  f.i32(0).set(p);
  // a scatter adds into zeros: memory.fill(out, 0, bytes) (`into` and `apply`: into the output)
  if (k.scatter !== undefined && k.scatter.mode === undefined) {
    f.get(0).i32(0).i32(4 * sizeOf(k.shape)).emit(0xfc, 0x0b, 0);
  }
  nest(0);
  return wasmModule([f], shared);
}

/**
 * Whether the innermost loop can run four iterations at once: its extent is
 * a multiple of 4, nothing reduces, no checked index varies in it, and
 * every load varying in it, and the output or scatter target, is at four
 * consecutive elements (coefficient 1 of the loop's variable and of `p`).
 * Four consecutive targets are distinct, so a scatter adds in the same
 * order as one element at a time: the same bits.
 */
function contiguousLanes(
  k: Kernel,
  all: readonly Item[],
  depth: ReadonlyMap<Item, number>,
): boolean {
  const inner = k.loops.length;
  if (inner === 0 || k.loops[inner - 1].extent % 4 !== 0) return false;
  const v = k.loops[inner - 1].v;
  // the coefficient of the innermost variable (and p) in an index, or undefined when not linear
  const coef = (i: IExpr): number | undefined => {
    if (typeof i === "number") return 0;
    if ("v" in i) return i.v === v || i.v === "p" ? 1 : 0;
    if (i.op === "index") return depth.get(i)! < inner ? 0 : undefined;
    const [a, b] = [coef(i.a), coef(i.b)];
    if (a === undefined || b === undefined) return undefined;
    if (i.op === "+") return a + b;
    if (i.op === "-") return a - b;
    if (a === 0 && b === 0) return 0;
    if (i.op !== "*") return undefined;
    if (typeof i.b === "number") return a * i.b;
    return typeof i.a === "number" ? b * i.a : undefined;
  };
  for (const x of all) {
    if (!("k" in x)) {
      if (depth.get(x)! >= inner) return false;
    } else if (x.k === "reduce" || x.k === "pad") return false;
    else if (x.k === "load" && depth.get(x)! >= inner) {
      if (x.dtype === "bool" || coef(x.index) !== 1) return false;
    }
  }
  return k.scatter === undefined || coef(k.scatter.target) === 1;
}
