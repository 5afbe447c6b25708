/**
 * Wasm code generation: renders a kernel description as a WebAssembly SIMD
 * module, binary emitted directly (_emit.ts). Loop kernels run four
 * lanes along the innermost contiguous output axis or along a reduction
 * (_loops.ts, _reduce.ts, _argmax.ts), with vector
 * polynomials for exp, log, tanh, expm1, log1p and erf (_math.ts), sin and
 * cos (_trig.ts), remainder and fmod (_remainder.ts; these in loop
 * kernels only) and the special functions (_special.ts); pads compute
 * their value only in range. Matmuls use a
 * packed, register-blocked kernel (_matmul.ts), or a loop over k when
 * they are too small for packing to pay (_matmul_loop.ts). float32 and
 * int32 data run as f32x4 and i32x4 lanes, bools as lane masks (bytes in
 * memory); loop kernels may output any of them. A row reduction and its
 * consumer share a value the reduction's pass stored (_row.ts).
 * Gathers and scatters run one element at a time (_scalar.ts). Kernels
 * without a Wasm form (other non-affine indices, float64 data,
 * ops without a vector form such as pow, prod, bool pads) return
 * `undefined` and run on the JavaScript reference. Pure bytes: compiling
 * and running them is the CPU backend's job.
 *
 * Kernel functions take byte addresses in one memory (imported as `e.m`):
 * `f0(out, in0, …, inN-1, constants[, scratch])`.
 * @module
 */
import { elementwiseOps } from "../../../core/ops/elementwise.ts";
import { reductionOf } from "../../../core/ops/reductions.ts";
import { isMissing } from "../../../core/ops/primitive.ts";
import { laneOf } from "./_alu.ts";
import { type Kernel, storedValues, type VExpr } from "../../kernel.ts";
import { sizeOf } from "../../../core/ir/shape.ts";
import { Fn, wasmModule } from "./_emit.ts";
import { LoopEmitter } from "./_loops.ts";
import { coefOf, loopSteps, planLoops } from "./_plan.ts";
import { rowReuse } from "./_row.ts";
import { renderMatmul } from "./_matmul.ts";
import { matmulAsLoop, smallMatmul } from "./_matmul_loop.ts";
import { gathers, renderScalar } from "./_scalar.ts";

export { constantValues } from "./_plan.ts";

/** A kernel's Wasm module. */
export interface WasmKernel {
  /** The module: `f0` is the kernel. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Bytes of scratch memory it needs (0: it takes no scratch parameter). */
  readonly scratch: number;
  /** How a matmul splits over threads (absent: it does not). */
  readonly split?: WasmSplit;
}

/**
 * A kernel's split over threads by output rows: its f0 takes
 * `(out, in0, …, constants, scratch, m0, m1, epilogue)` and computes rows
 * [m0, m1) (one `scratch` block per thread). A matmul takes
 * `(out, in0, …, constants, packed, mode, scratch, m0, m1, epilogue)` (see
 * `renderMatmul` for `packed` and `mode`; 0 and 0 to pack as it goes),
 * computes those rows of every batch, then, when `epilogue` is not 0, runs
 * the epilogue over the whole output; `f5` is the epilogue alone,
 * `(out, in0, …, constants)`, when `epilogue` is true. A loop kernel splits
 * its outermost output loop (and ignores `scratch` and `epilogue`).
 */
export interface WasmSplit {
  /** Output rows (per batch, in a matmul): the extent of the split loop. */
  readonly rows: number;
  /** A share starts at a multiple of this (the matmul's register tile, or vector lanes). */
  readonly rowBlock: number;
  /** Multiply-adds in the whole product, or their equivalent in time for a loop kernel. */
  readonly work: number;
  /** Whether the module exports the epilogue as `f5`. */
  readonly epilogue: boolean;
  /**
   * An unbatched matmul: the bytes of B packed whole, its columns and
   * elements, for a pass that packs B once for all threads (mode 1, then 2).
   */
  readonly packB?: { readonly bytes: number; readonly columns: number; readonly elements: number };
}

/** Output elements from which a loop kernel can split over threads. */
const MIN_SPLIT_ELEMENTS = 1 << 16;
/**
 * Multiply-adds of a packed matmul that take as long as one loop-kernel
 * element (or reduction step): the runtime compares `work` with one threshold.
 */
const LOOP_WORK = 16;

/** Code generation choices. */
export interface WasmOptions {
  /**
   * Use relaxed-SIMD `f32x4.relaxed_madd` in matmuls and in softmax's exp (`VMath.expShifted`;
   * only if the engine validates it).
   */
  readonly relaxed: boolean;
  /** Import the memory as shared (the heap of a runtime with worker threads). */
  readonly shared?: boolean;
}

/**
 * Whether an elementwise op has a vector form on its operands' lanes (its
 * row's Wasm form names a routine for the value operands' lane type; a
 * selection's condition is a mask or float32).
 */
function vectorOp(e: Extract<VExpr, { k: "alu" }>): boolean {
  const form = elementwiseOps[e.op].kernel.wasm;
  const value = e.args[e.args.length - 1].dtype;
  const lane = laneOf(value);
  if (isMissing(form) || lane === undefined || form[lane] === undefined) return false;
  const cond = (d: string) => form[lane] === "select" && (d === "bool" || d === "float32");
  return e.args.every((a, i) => a.dtype === value || (i === 0 && cond(a.dtype)));
}

/** Casts with a vector form: `to<-from` (float32 to int32 wraps in the reference, so it has none). */
const casts = new Set([
  "bool<-float32",
  "bool<-int32",
  "float32<-bool",
  "float32<-int32",
  "int32<-bool",
]);

/**
 * Whether every value is float32 or int32 (or a bool, held as a lane mask)
 * and every op has a vector form.
 */
function vectorisable(e: VExpr, seen = new Set<VExpr>()): boolean {
  if (seen.has(e)) return true;
  seen.add(e);
  switch (e.k) {
    case "load":
      return e.dtype !== "float64";
    case "acc":
      return e.dtype === "float32";
    case "const":
      return e.dtype !== "float64";
    case "cast":
      return (e.dtype === e.x.dtype || casts.has(`${e.dtype}<-${e.x.dtype}`)) &&
        e.dtype !== "float64" && vectorisable(e.x, seen);
    case "alu":
      return vectorOp(e) && e.args.every((a) => vectorisable(a, seen));
    case "reduce":
      return !isMissing(reductionOf[e.op].wasm) && e.body.dtype === "float32" &&
        e.dtype === (e.op === "argmax" ? "int32" : "float32") && vectorisable(e.body, seen);
    case "pad":
      return (e.dtype === "float32" || e.dtype === "int32") && vectorisable(e.x, seen);
  }
}

/**
 * Renders one kernel as a Wasm module, or `undefined` when it has no Wasm form.
 * @param kernel the kernel description
 * @param options code generation choices
 * @returns the module bytes, or undefined
 */
export function renderWasm(kernel: Kernel, options: WasmOptions): WasmKernel | undefined {
  // int32 and bool outputs: loop kernels only (a product of int32 matrices wraps in the reference)
  // NOTE: scatters and gathers run one element at a time (_scalar.ts): a SIMD store of 4 lanes
  // would lose the adds of lanes with equal targets, and a gather's lanes read scattered rows
  // sibling outputs: elementwise loop kernels only (jit/_siblings.ts), else the JS form
  if (kernel.siblings !== undefined && (kernel.kind !== "loop" || gathers(storedValues(kernel)))) {
    return undefined;
  }
  if (kernel.kind === "scatter" || (kernel.kind === "loop" && gathers(kernel.body))) {
    const bytes = renderScalar(kernel, (e) => vectorisable(e), options.shared);
    return bytes && { bytes, scratch: 0 };
  }
  // NOTE: sorts and scans run in JS: a comparison sort has no SIMD form here, and a row's scan is
  // one serial chain of adds, as fast in JS (one pass, O(n))
  if (kernel.kind === "sort" || kernel.kind === "scan" || kernel.kind === "attention") {
    return undefined;
  }
  const exact = (kernel.dtype === "int32" || kernel.dtype === "bool") && kernel.kind === "loop";
  if (kernel.kind === "matmul" && smallMatmul(kernel)) kernel = matmulAsLoop(kernel);
  if ((kernel.dtype !== "float32" && !exact) || !vectorisable(storedValues(kernel))) {
    return undefined;
  }
  if (kernel.inputs.some((n) => n.dtype === "float64")) return undefined;
  const row = kernel.siblings === undefined ? rowReuse(kernel) : undefined;
  const rowPlan = row && planLoops(kernel, row.body);
  const rowVar = row && rowPlan?.reduces.get(row.reduce)?.[0];
  const outVar = rowPlan?.out[rowPlan.out.length - 1];
  const reuse = outVar?.names.length === 1 && outVar.names[0] === kernel.loops.at(-1)!.v &&
    rowVar !== undefined && coefOf(rowPlan!.store, outVar) === 1;
  // (sibling outputs: every stored value's loads and constants)
  const plan = reuse ? rowPlan! : planLoops({ ...kernel, body: storedValues(kernel) });
  if (plan === undefined) return undefined;
  const nIn = kernel.inputs.length;
  // element bytes of the output and each input (bools are bytes)
  const sizes = [kernel, ...kernel.inputs].map((n) => (n.dtype === "bool" ? 1 : 4));
  /** The kernel body emitted into `loop` (a row reduction's stored value reused where planned). */
  const emit = (loop: Fn, range?: { lo: number; hi: number }): number => {
    const em = new LoopEmitter(loop, plan, nIn, sizes);
    em.m.fma = options.relaxed;
    if (reuse) {
      const terms = plan.store.terms.map(([v, c]) => [v === outVar ? rowVar : v, c] as const);
      em.rowStore = { reduce: row!.reduce, value: row!.value, at: { c: plan.store.c, terms } };
    }
    let body = reuse ? row!.body : kernel.body;
    // softmax's division by its row sum: one reciprocal per row, then products (docs/memory.md)
    if (reuse && body.k === "alu" && body.op === "div" && body.args[1] === row!.reduce) {
      const r: VExpr = { k: "alu", op: "recip", args: [body.args[1]], dtype: "float32" };
      body = { ...body, op: "mul", args: [body.args[0], r] };
    }
    return em.kernel(body, range, kernel.siblings);
  };
  if (kernel.kind === "loop") {
    const elements = sizeOf(kernel.shape);
    const splits = plan.out.length > 0 && elements >= MIN_SPLIT_ELEMENTS;
    const loop = new Fn(nIn + (splits ? 6 : 2));
    const range = splits ? { lo: nIn + 3, hi: nIn + 4 } : undefined;
    const rowBlock = emit(loop, range);
    const bytes = wasmModule([loop], options.shared);
    if (!splits) return { bytes, scratch: 0 };
    const work = LOOP_WORK * loopSteps(plan);
    return {
      bytes,
      scratch: 0,
      split: { rows: plan.out[0].extent, rowBlock, work, epilogue: false },
    };
  }
  const loop = new Fn(nIn + 2);
  emit(loop);
  if (loop.importsUsed) return undefined; // a matmul module has several functions
  return renderMatmul(kernel, loop, options);
}
