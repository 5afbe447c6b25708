/**
 * WGSL code generation: renders the scheduler's kernel description (the one
 * the JavaScript renderer reads) as WebGPU compute passes. Pure text, so it
 * is testable without a device; running the passes is `jit/runtime/webgpu/device.ts`'s job.
 *
 * - Elementwise and short reductions: one invocation per output element.
 * - Long reductions: a workgroup per output element, threads striding over
 *   the reduced elements, then a tree in shared memory; reductions too long
 *   even for that are split into partial results (a first pass) and
 *   finished by the kernel's own pass.
 * - Matmul: 16×16 tiles through shared memory, the epilogue applied in
 *   place; a long K is split into slices summed by a second pass.
 * - Scatter-add (atomic adds) and argsort (a merge sort): `_wgsl_order.ts`.
 *
 * NOTE: every invocation's loops run at most `MAX_ITERATIONS` times in all:
 * lavapipe (Mesa's software Vulkan) silently stops an invocation after
 * 65,535 iterations. Constants are read from a buffer, so the source
 * depends on the program's structure only.
 * @module
 */
import { sizeOf } from "../../../core/ir/shape.ts";
import type { DType } from "../../../core/ir/dtype.ts";
import { iadd, type IExpr, imul, type Kernel, type LoopVar, type VExpr } from "../../kernel.ts";
import {
  type Cooperation,
  grid,
  type ReduceExpr,
  Renderer,
  Scope,
  WG,
  type WgslStorage,
  wgslStorage,
  wgslStore,
  wgslType,
} from "./_render.ts";
import type { WgslType } from "../../../core/ops/_wgsl_helpers.ts";
import { mapValues, readsOf } from "../../_vexpr_map.ts";
import { renderScatter, renderSort } from "./_order.ts";
import { renderScan } from "./_scan.ts";
import { renderAttention } from "./_attention.ts";
import { flatOf, TILE, tiledMatmul } from "./_matmul.ts";

/** The most loop iterations one invocation may run (lavapipe stops at 65,535). */
export const MAX_ITERATIONS = 16384;
/** The longest K slice one matmul invocation accumulates. */
export const MAX_K_SLICE = 8192;
const ELEMENTWISE_WG = 64;

/** A buffer a pass binds: one of the kernel's inputs, a scratch buffer, or the kernel's output. */
export type WgslRef =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "scratch"; readonly index: number }
  | { readonly kind: "output" };

/** One compute dispatch. Bindings: 0 the written buffer, then `reads`, then constants and the error buffer if used. */
export interface WgslPass {
  /** The WGSL module (entry point `main`). */
  readonly source: string;
  /** The constants' bit patterns (empty: no constants binding). */
  readonly constants: Uint32Array;
  /** Workgroups to dispatch. */
  readonly workgroups: readonly [number, number, number];
  /** The buffers read, in binding order (from 1). */
  readonly reads: readonly WgslRef[];
  /** The buffer written (binding 0). */
  readonly write: WgslRef;
  /** Whether it checks gathered indices (binds the error buffer after the constants). */
  readonly checksIndex: boolean;
  /** The most loop iterations one invocation runs (at most `MAX_ITERATIONS`). */
  readonly iterations: number;
}

/** The passes computing one kernel, in order, and the scratch buffers they share. */
export interface WgslPlan {
  readonly passes: readonly WgslPass[];
  /** Element counts and types of the scratch buffers. */
  readonly scratch: readonly { readonly size: number; readonly type: WgslType }[];
}

/** Options of `renderWgsl`. */
export interface WgslOptions {
  /** The device's storage buffers per shader (WebGPU's default limit: 8). */
  readonly maxBuffers?: number;
}

/**
 * Renders one kernel as WGSL compute passes.
 * @param kernel the kernel description from the scheduler
 * @param options the device's limits
 * @returns the passes and their scratch buffers
 */
export function renderWgsl(kernel: Kernel, options: WgslOptions = {}): WgslPlan {
  const plan = new Planner(kernel, options.maxBuffers ?? 8);
  if (kernel.kind === "sort") return renderSort(kernel);
  if (kernel.kind === "scatter") return renderScatter(kernel);
  if (kernel.kind === "attention") return renderAttention(kernel, MAX_ITERATIONS);
  if (kernel.kind === "scan") {
    const n = kernel.shape[kernel.shape.length - 1] ?? 1;
    return renderScan(n === 0 ? 0 : sizeOf(kernel.shape) / n, n, kernel.dtype, kernel.scan!.op);
  }
  if (sizeOf(kernel.shape) > 0) {
    if (kernel.kind === "matmul") plan.matmul();
    else plan.loop(kernel.body);
  }
  return { passes: plan.passes, scratch: plan.scratch };
}

function tooLong(what: string, iterations: number): Error {
  return new RangeError(
    `WebGPU kernel needs ${iterations} loop iterations per invocation for ${what}: ` +
      `the limit is ${MAX_ITERATIONS} (software GPUs stop at 65,535 and give wrong results): ` +
      `split the computation into smaller steps`,
  );
}

/**
 * The positions a pass computes: the kernel's output, or (for a part of a
 * reduction's body computed ahead) the output times the reduced positions.
 * `p` is always the output's flat index; `q` the domain's, when it is larger.
 */
interface Domain {
  readonly loops: readonly LoopVar[];
  readonly size: number;
  /** Positions per output element (1: the kernel's own domain). */
  readonly inner: number;
}

/** The dtype of a scratch buffer holding `dtype` values: float16 results stay in f32 there. */
function scratchDType(dtype: DType): DType {
  return dtype === "float16" ? "float32" : dtype;
}

function flatVar(d: Domain): LoopVar {
  return { v: d.inner === 1 ? "p" : "q", extent: d.size };
}

class Planner {
  readonly passes: WgslPass[] = [];
  readonly scratch: { size: number; type: WgslType }[] = [];
  readonly #size: number;
  readonly #out: WgslStorage;
  readonly #domain: Domain;

  constructor(readonly kernel: Kernel, readonly maxBuffers: number) {
    this.#size = sizeOf(kernel.shape);
    this.#out = wgslStorage(kernel.dtype);
    this.#domain = { loops: kernel.loops, size: this.#size, inner: 1 };
  }

  #ref(input: number): WgslRef {
    const n = this.kernel.inputs.length;
    return input < n ? { kind: "input", index: input } : { kind: "scratch", index: input - n };
  }

  #pass(
    r: Renderer,
    out: WgslStorage,
    main: string[],
    workgroups: WgslPass["workgroups"],
    write: WgslRef,
  ) {
    const source = [...r.declarations(out), ...main].join("\n") + "\n";
    this.passes.push({
      source: /\bf16\b/.test(source) ? `enable f16;\n${source}` : source,
      constants: Uint32Array.from(r.constants),
      workgroups,
      reads: r.reads.map((i) => this.#ref(i)),
      write,
      checksIndex: r.checksIndex,
      iterations: r.iterations,
    });
  }

  /** A new scratch buffer; returns its virtual input number. */
  #newScratch(size: number, type: WgslType): number {
    this.scratch.push({ size, type });
    return this.kernel.inputs.length + this.scratch.length - 1;
  }

  #scratchRef(input: number): WgslRef {
    return { kind: "scratch", index: input - this.kernel.inputs.length };
  }

  /** Binds the domain's flat index (from `flat`), `p` and the loop variables. */
  #bind(d: Domain, flat: string, root: Scope, r: Renderer): void {
    const f = flatVar(d).v;
    if (flat !== f) root.lines.push(`let ${f} = ${flat};`);
    if (d.inner !== 1) root.lines.push(`let p = q / ${d.inner};`);
    r.unflatten(d.loops, f, root);
  }

  /**
   * A loop kernel: one invocation per element when its loops are short (or
   * there are many elements), else a workgroup per element, else the
   * longest top-level reduction split into partial results first.
   */
  loop(body: VExpr, write: WgslRef = { kind: "output" }, type = this.#out, d = this.#domain): void {
    const serial = this.#elementwise(body, d, type);
    // binding 0 is the output, and the constants and error buffers may follow the reads
    if (serial.r.reads.length + 3 > this.maxBuffers) return this.#spill(body, write, type, d);
    const { iterations } = serial.r;
    if (iterations <= MAX_ITERATIONS && (iterations < WG || d.size >= 2048)) {
      return this.#pass(serial.r, type, serial.main, serial.groups, write);
    }
    const coop = this.#cooperative(body, d, undefined, type);
    if (coop.r.iterations <= MAX_ITERATIONS) {
      return this.#pass(coop.r, type, coop.main, grid(d.size), write);
    }
    const heavy = coop.r.rootReduces.reduce<typeof coop.r.rootReduces[0] | undefined>(
      (x, y) => (x === undefined || y.iterations > x.iterations ? y : x),
      undefined,
    );
    if (heavy === undefined || heavy.e.op === "argmax") {
      const what = heavy === undefined ? "nested reductions" : "an argmax this long";
      throw tooLong(what, coop.r.iterations);
    }
    const split = this.#split(heavy.e, d);
    this.loop(mapValues(body, (e) => (e === heavy.e ? split : undefined)), write, type, d);
  }

  /**
   * A kernel reading more buffers than a shader may bind: computes the
   * subexpression reading the most buffers that still fit into a scratch
   * buffer first (over the reduced positions too when it is inside a
   * reduction), then the rest reading it.
   */
  #spill(body: VExpr, write: WgslRef, type: WgslStorage, d: Domain): void {
    const budget = this.maxBuffers - 3;
    const memo = new Map<VExpr, Set<number>>();
    let best: { e: VExpr; d: Domain; n: number } | undefined;
    const visit = (e: VExpr, at: Domain) => {
      const n = readsOf(e, memo).size;
      if (e !== body && n <= budget && n > (best?.n ?? 1)) best = { e, d: at, n };
      if (e.k === "alu") e.args.forEach((a) => visit(a, at));
      if (e.k === "cast") visit(e.x, at);
      if (e.k === "reduce") {
        const inner = e.vars.reduce((m, v) => m * v.extent, 1);
        const loops = [...at.loops, ...e.vars];
        visit(e.body, { loops, size: at.size * inner, inner: at.inner * inner });
      }
    };
    visit(body, d);
    if (best === undefined) {
      throw new RangeError(
        `WebGPU kernel reads ${readsOf(body, memo).size} buffers in one loop: ` +
          `the device binds at most ${this.maxBuffers} per shader`,
      );
    }
    const part = best;
    const partType = wgslType(part.e.dtype);
    const input = this.#newScratch(part.d.size, partType);
    this.loop(part.e, this.#scratchRef(input), partType, part.d);
    // the part's flat index where it was: p at the top, q over reduced positions
    const extra = part.d.loops.slice(d.loops.length);
    const index = extra.length === 0
      ? flatVar(d)
      : iadd(imul(flatVar(d), part.d.size / d.size), flatOf(extra));
    const load: VExpr = { k: "load", input, index, dtype: scratchDType(part.e.dtype) };
    this.loop(mapValues(body, (e) => (e === part.e ? load : undefined)), write, type, d);
  }

  #elementwise(body: VExpr, d: Domain, type: WgslStorage) {
    // serial rendering: reductions are loops in each invocation
    const r = new Renderer();
    const root = new Scope();
    const f = flatVar(d).v;
    this.#bind(d, f, root, r);
    const value = r.value(body, root);
    const groups = grid(Math.ceil(d.size / ELEMENTWISE_WG));
    const main = [
      `@compute @workgroup_size(${ELEMENTWISE_WG})`,
      "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
      `  let ${f} = (i32(wid.y) * ${groups[0]} + i32(wid.x)) * ${ELEMENTWISE_WG} + i32(lid);`,
      `  if (${f} >= ${d.size}) { return; }`,
      ...root.lines.map((l) => `  ${l}`),
      `  lt_out[${f}] = ${wgslStore(value, type)};`,
      "}",
    ];
    return { r, main, groups };
  }

  /** A workgroup per element of `d` (per slice of it when `split` is given). */
  #cooperative(
    body: VExpr,
    d: Domain,
    split: { slices: number; chunk: number; total: number } | undefined,
    type: WgslStorage,
  ) {
    const root = new Scope();
    const coop: Cooperation = split === undefined ? { root } : {
      root,
      lo: `s * ${split.chunk}`,
      hi: `min(${split.total}, s * ${split.chunk} + ${split.chunk})`,
      span: split.chunk,
    };
    const r = new Renderer(coop);
    const slices = split?.slices ?? 1;
    const count = d.size * slices;
    const [nx] = grid(count);
    if (split !== undefined) root.lines.push(`let s = g % ${slices};`);
    this.#bind(d, split === undefined ? "g" : `g / ${slices}`, root, r);
    const value = r.value(body, root);
    const main = [
      `@compute @workgroup_size(${WG})`,
      "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {",
      `  let g = i32(wid.y) * ${nx} + i32(wid.x);`,
      `  if (g >= ${count}) { return; }`,
      "  let l = i32(lid);",
      ...root.lines.map((line) => `  ${line}`),
      `  if (l == 0) { lt_out[g] = ${wgslStore(value, type)}; }`,
      "}",
    ];
    return { r, main };
  }

  /** A first pass of partial results for a long reduction; returns the reduction finishing them. */
  #split(e: ReduceExpr, d: Domain): VExpr {
    const total = e.vars.reduce((n, v) => n * v.extent, 1);
    const probe = new Renderer();
    probe.value(e.body, new Scope());
    const perElement = probe.iterations + 1;
    const chunk = WG * Math.max(1, Math.floor((MAX_ITERATIONS / 2) / perElement));
    const slices = Math.ceil(total / chunk);
    if (slices < 2) throw tooLong("a reduction with a heavy body", perElement * total);
    const type = wgslType(e.dtype);
    const input = this.#newScratch(d.size * slices, type);
    // partial results stay in f32 (no rounding to half before the last sum)
    const dtype = scratchDType(e.dtype);
    const part = dtype === e.dtype ? e : { ...e, dtype };
    const { r, main } = this.#cooperative(part, d, { slices, chunk, total }, type);
    if (r.iterations > MAX_ITERATIONS) throw tooLong("a reduction's partial sums", r.iterations);
    this.#pass(r, type, main, grid(d.size * slices), this.#scratchRef(input));
    const s: LoopVar = { v: `s${input}`, extent: slices };
    const index = iadd(imul(flatVar(d), slices), s);
    const load: VExpr = { k: "load", input, index, dtype };
    return { k: "reduce", op: e.op, vars: [s], body: load, dtype: e.dtype };
  }

  /**
   * A tiled matmul with its epilogue, or, when K is long (or the epilogue
   * heavy), K slices into scratch and the epilogue as a loop pass summing them.
   */
  matmul(): void {
    const k = this.kernel;
    const mm = k.matmul!;
    const epilogue = new Renderer();
    epilogue.value(k.body, new Scope());
    for (const o of [mm.a, mm.b]) if (o.fused) epilogue.value(o.fused.value, new Scope());
    const own = [mm.a, mm.b].filter((o) => o.fused === undefined).map((o) => o.input);
    const reads = new Set([...epilogue.reads, ...own]).size;
    const fused = mm.k <= MAX_K_SLICE && reads + 3 <= this.maxBuffers &&
      epilogue.iterations + mm.k * 17 / 16 + TILE <= MAX_ITERATIONS;
    const slices = fused ? 1 : Math.ceil(mm.k / MAX_K_SLICE);
    const wanted = mm.a.fused?.value.dtype ?? k.inputs[mm.a.input].dtype;
    const accType = wgslType(wanted);
    if (fused) return this.#tiled(1, accType, { kind: "output" });
    const index = this.#newScratch(this.#size * slices, accType);
    this.#tiled(slices, accType, this.#scratchRef(index));
    // the product's flat index at each output element
    const p: IExpr = mm.view?.at ?? { v: "p", extent: this.#size };
    const s: LoopVar = { v: "ks", extent: slices };
    const dtype = scratchDType(wanted);
    const sum: VExpr = slices === 1 ? { k: "load", input: index, index: p, dtype } : {
      k: "reduce",
      op: "sum",
      vars: [s],
      body: { k: "load", input: index, index: iadd(imul(s, this.#size), p), dtype },
      dtype,
    };
    // float16 slices are summed in f32, then rounded to half once
    const acc: VExpr = dtype === wanted ? sum : { k: "cast", x: sum, dtype: wanted };
    this.loop(mapValues(k.body, (e) => (e.k === "acc" ? acc : undefined)));
  }

  #tiled(slices: number, t: WgslType, write: WgslRef): void {
    const slice = slices === 1 ? this.kernel.matmul!.k : MAX_K_SLICE;
    const out = slices === 1 && write.kind === "output" ? this.#out : undefined;
    const { r, main, groups } = tiledMatmul(this.kernel, slices, slice, t, out);
    if (r.iterations > MAX_ITERATIONS) throw tooLong("a matmul", r.iterations);
    this.#pass(r, out ?? t, main, groups, write);
  }
}
