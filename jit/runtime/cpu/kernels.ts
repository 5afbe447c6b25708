/**
 * The CPU backend: runs each kernel as Wasm SIMD when codegen/wasm has a
 * form for it (the default), else as JavaScript from codegen/js, the
 * reference. Both are compiled once per kernel structure (cached by
 * `kernelKey`, so a loop re-running the same program compiles nothing new). Buffers stay
 * TypedArrays; Wasm kernels work on resident copies (wasm/_memory.ts).
 * `LATHE_CPU=js` (read once, only if env access is already granted) or
 * `setCpuBackend("js")` forces the reference.
 * @module
 */
import { allocate, type DataArray, type DType } from "../../../core/ir/dtype.ts";
import { runLinalg } from "../../../core/ops/linalg.ts";
import { lapackHost, runsInLapack } from "./lapack.ts";
import { sizeOf } from "../../../core/ir/shape.ts";
import { type Kernel, kernelKey, storedValues } from "../../kernel.ts";
import type { Node } from "../../../core/ir/ir.ts";
import { syncHost } from "../../../core/ir/_host.ts";
import { type JsKernelSource, renderJs } from "../../codegen/js.ts";
import { envVar } from "../_env.ts";
import { runtimeJs } from "./js.ts";
import { constantValues, renderWasm } from "../../codegen/wasm/mod.ts";
import {
  forgetResident,
  heap,
  heapBytes,
  instantiate,
  launch,
  type Output,
  plannedThreads,
  release,
  stage,
  threadedLaunches,
  type Value,
  wasmFeatures,
  type WasmLaunch,
} from "./wasm/_runtime.ts";
import { poolJobs } from "./wasm/_pool.ts";
import { declinedSplits } from "./wasm/_split_tuning.ts";
import { lastProgramPeak } from "../../_liveness.ts";
import { blasLibrary, blasProduct, type BlasRun, blasStep } from "./blas.ts";
import { flashTiles } from "./_flash_blas.ts";

/** The kernel tiers of the CPU: `wasm` (SIMD, where a kernel has a Wasm form) or `js` (the reference). */
export type CpuBackend = "wasm" | "js";

type JsKernel = (
  rt: typeof runtimeJs,
  c: Float64Array,
  out: DataArray,
  ...inputs: DataArray[]
) => void;

interface Compiled {
  readonly js: JsKernel;
  readonly wasm: Omit<WasmLaunch, "constants"> | undefined;
  /** The Wasm module's bytes (for `explain`'s listing). */
  readonly bytes: Uint8Array | undefined;
}

function envBackend(): CpuBackend {
  return envVar("LATHE_CPU") === "js" ? "js" : "wasm";
}

let chosen: CpuBackend = envBackend();
let fma = true;
let blas = true;

/**
 * Chooses the CPU kernel tier (for comparisons and tests; `wasm` is the default).
 * @param backend `wasm`: SIMD kernels where available, JS elsewhere; `js`: the reference only
 * @param options `fma: false` keeps matmuls and softmax's exp off relaxed-SIMD fused multiply-add; `blas: false`
 *   keeps large matmuls off the native BLAS tier (used only where FFI is granted and a
 *   library loads)
 * @example Run the same kernel on both tiers
 * ```ts
 * import { explain, setCpuBackend, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([1, 2, 3]);
 * setCpuBackend("js");
 * assertEquals(explain(x.mul(2)).kernels[0].backend, "js");
 * const reference = x.mul(2).toArray();
 * setCpuBackend("wasm");
 * assertEquals(x.mul(2).toArray(), reference);
 * ```
 */
export function setCpuBackend(
  backend: CpuBackend,
  options: { fma?: boolean; blas?: boolean } = {},
): void {
  // NOTE: core/_options.ts is above this layer; the same rule, written out
  const unknown = Object.keys(options).find((k) => k !== "fma" && k !== "blas");
  if (unknown !== undefined) {
    throw new TypeError(
      `setCpuBackend(): unknown option "${unknown}": known options: "fma", "blas"`,
    );
  }
  chosen = backend;
  fma = options.fma ?? true;
  blas = options.blas ?? true;
}

/**
 * The CPU tier in effect: `wasm` needs an engine with Wasm SIMD.
 * @returns `wasm` or `js`
 * @example
 * ```ts
 * import { cpuBackend } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * assert(["wasm", "js"].includes(cpuBackend()));
 * ```
 */
export function cpuBackend(): CpuBackend {
  return chosen === "wasm" && wasmFeatures.simd ? "wasm" : "js";
}

/** The tier choices in effect, as a key (compiled programs depend on them). */
export function cpuConfig(): string {
  return `${cpuBackend()}|${fma}|${blas}`;
}

const MAX_CACHED = 4096;
const cache = new Map<string, Compiled>();
const counters = { compiled: 0, launched: 0, wasm: 0, js: 0, blas: 0, rowUpdates: 0 };

/**
 * Kernels compiled and launched since start, and launches per tier (for
 * tests and `explain`): `blas` counts matmul kernels whose product ran in
 * the native BLAS tier (one launch each; a fused epilogue then runs as a loop
 * kernel and counts as that launch's `wasm` or `js`); `threaded` counts Wasm
 * launches split over worker threads, and `workerJobs` the shares workers ran;
 * `declinedSplits` counts launches of kernels able to split that ran on the
 * calling thread because splitting measured slower. `wasmMemoryBytes` is the
 * size of the Wasm memory the kernels run in, `residentBytes` the part held
 * by resident copies of tensors (docs/memory.md). `programPeakBytes` is the
 * peak bytes of intermediates alive at once in the last compiled program's
 * run (what `checkpoint` lowers). `rowUpdates` counts scatter-adds run as
 * updates of only the rows used of a donated table (`jit`'s `donate`);
 * `hostWriteBacks` counts copies of such a table from its updated Wasm copy
 * back to its host array, made only when the host values are read (not
 * after each update).
 */
export function kernelStats(): {
  compiled: number;
  launched: number;
  cached: number;
  wasm: number;
  js: number;
  blas: number;
  threaded: number;
  workerJobs: number;
  declinedSplits: number;
  rowUpdates: number;
  hostWriteBacks: number;
  wasmMemoryBytes: number;
  residentBytes: number;
  programPeakBytes: number;
} {
  const bytes = heapBytes();
  return {
    ...counters,
    cached: cache.size,
    threaded: threadedLaunches(),
    workerJobs: poolJobs(),
    declinedSplits: declinedSplits(),
    hostWriteBacks: bytes.writeBacks,
    wasmMemoryBytes: bytes.memory,
    residentBytes: bytes.resident,
    programPeakBytes: lastProgramPeak(),
  };
}

/** A check of each kernel's output (`debugNans`): kernel, input arrays, output array. */
type OutputCheck = (kernel: Kernel, inputs: readonly DataArray[], out: DataArray) => void;
let outputCheck: OutputCheck | undefined;

/**
 * Sets (or, with `undefined`, removes) a check run on every kernel's output
 * before it is stored: `debugNans` uses it.
 * @param check the check
 */
export function setOutputCheck(check: OutputCheck | undefined): void {
  outputCheck = check;
}

/** Runs `debugNans`'s check of a step's output, when one is set. */
export function checkStep(k: Kernel, inputs: readonly Value[], out: Value): void {
  if (outputCheck !== undefined) checkOutput(k, inputs, out);
}

/** Whether `debugNans`'s check is set (it reads a step's inputs after the step ran). */
export function outputChecked(): boolean {
  return outputCheck !== undefined;
}

function checkOutput(k: Kernel, inputs: readonly Value[], out: Value): void {
  const array = out.array ?? arraysOf(k, [out], [k.output])[0];
  outputCheck!(k, arraysOf(k, inputs), array);
}

/** A kernel with its compiled forms and this instance's constants. */
export interface Step {
  readonly compiled: Compiled;
  /** The JS kernel's constants (rendered when the JS form first runs). */
  readonly constants: () => Float64Array;
  readonly wasm: WasmLaunch | undefined;
  readonly kernel: Kernel;
  readonly size: number;
  /** The native BLAS tier, for a large matmul where it is available. */
  readonly blas?: BlasStep;
}

const noConstants = new Float64Array(0);

/** A `linalg` routine's step (LAPACK where the BLAS tier is on and has it, else its JS form), or attention's BLAS tiles. */
function hostStep(kernel: Kernel): Step {
  const [arg, shapes, native] = [kernel.host!, kernel.inputs.map((n) => n.shape), nativeHost()];
  const js: JsKernel = kernel.attention // the tiles (only where they run: `attentionTier`)
    ? (_rt, _c, out, ...ins) => void flashTiles(kernel, ins, out, blas)
    : (_rt, _c, out, ...ins) => {
      if (!(native && lapackHost(arg, ins, shapes, out))) runLinalg(arg, ins, shapes, out);
    };
  const [compiled, size] = [{ js, wasm: undefined, bytes: undefined }, sizeOf(kernel.shape)];
  return { compiled, constants: () => noConstants, wasm: undefined, kernel, size };
}

const nativeHost = () => cpuBackend() === "wasm" && blas;
const blasOn = () => nativeHost() && blasLibrary() !== undefined;
/** Where attention kernels run: BLAS tiles, Wasm tiles (float32 on the Wasm tier), or in JS. */
export const attentionTier = (d: DType): "blas" | "wasm" | "js" =>
  blasOn() ? "blas" : d === "float32" && cpuBackend() === "wasm" ? "wasm" : "js";

/** A kernel's step: its compiled forms (compiled once per structure) and constants. */
export function prepare(kernel: Kernel): Step {
  if (kernel.host || (kernel.attention && attentionTier(kernel.dtype) !== "js")) {
    return hostStep(kernel);
  }
  const tier = cpuBackend() === "js" ? "js" : fma && wasmFeatures.relaxed ? "fma" : "wasm";
  const key = `${tier}|${kernelKey(kernel)}`;
  let compiled = cache.get(key);
  let js: JsKernelSource | undefined;
  if (compiled === undefined) {
    const source = (js = renderJs(kernel)).source;
    const params = ["rt", "c", "out", ...kernel.inputs.map((_, i) => `in${i}`)];
    const w = tier === "js"
      ? undefined
      : renderWasm(kernel, { relaxed: tier === "fma", shared: heap().shared });
    const m = w === undefined ? undefined : instantiate(w.bytes);
    compiled = {
      bytes: m === undefined ? undefined : w!.bytes,
      js: new Function(...params, source) as JsKernel,
      wasm: m === undefined ? undefined : {
        fn: m.fn,
        scratch: w!.scratch,
        size: sizeOf(kernel.shape),
        elem: kernel.dtype as "float32" | "int32" | "bool",
        split: w!.split,
        pool: m.pool,
        epilogue: m.epilogue,
      },
    };
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
    counters.compiled++;
  }
  const size = sizeOf(kernel.shape);
  const wasm = compiled.wasm &&
    { ...compiled.wasm, constants: constantValues(storedValues(kernel)) };
  const native = cpuBackend() === "wasm" && blas ? blasStep(kernel, prepare) : undefined;
  let values: Float64Array | undefined;
  const constants = () => (values ??= Float64Array.from((js ??= renderJs(kernel)).constants));
  return { compiled, constants, wasm, kernel, size, blas: native };
}

/**
 * Which tier runs a kernel (compiling it if needed).
 * @param kernel a scheduled kernel
 * @returns `blas` (the product; its epilogue runs as a loop kernel), `wasm` or `js`
 */
export function kernelBackend(kernel: Kernel): CpuBackend | "blas" {
  if (kernel.kind === "host") return nativeHost() && runsInLapack(kernel.host!) ? "blas" : "js";
  if (kernel.attention) return attentionTier(kernel.dtype);
  const step = prepare(kernel);
  return step.blas !== undefined ? "blas" : step.wasm === undefined ? "js" : "wasm";
}

/**
 * The Wasm module a kernel runs as (compiling it if needed).
 * @param kernel a scheduled kernel
 * @returns its bytes, or `undefined` when it runs in JS or BLAS
 */
export function kernelWasm(kernel: Kernel): Uint8Array | undefined {
  const step = prepare(kernel);
  return step.blas === undefined && step.wasm !== undefined ? step.compiled.bytes : undefined;
}

/**
 * The threads a kernel runs on (compiling it if needed): more than 1 for a
 * big Wasm kernel split over worker threads (while they boot, it runs on
 * fewer).
 * @param kernel a scheduled kernel
 * @returns the thread count, the calling one included
 */
export function kernelThreads(kernel: Kernel): number {
  const step = prepare(kernel);
  const split = step.blas === undefined ? step.wasm?.split : undefined;
  return split === undefined ? 1 : plannedThreads(split);
}

/**
 * Runs one step: in Wasm when it has a form there and memory allows, else
 * in JS (Wasm blocks read through fresh views). In JS a `keep` output
 * reuses `reuse.buffer` across runs (so its values change: it is marked
 * mutable); the others get a new array, or `into` (a donated argument's
 * buffer, whose stale Wasm copy is then dropped).
 */
export function execute(
  step: Step,
  inputs: readonly Value[],
  output: Output,
  blocks: number[],
  reuse?: { buffer?: DataArray },
  into?: DataArray,
): Value {
  if (step.blas !== undefined) {
    return executeBlas(step, step.blas, inputs, output, blocks, reuse, into);
  }
  counters.launched++;
  if (step.wasm !== undefined) {
    const v = launch(step.wasm, inputs, output, blocks, into);
    if (v !== undefined) {
      counters.wasm++;
      return v;
    }
  }
  counters.js++;
  const k = step.kernel;
  const arrays = arraysOf(k, inputs);
  const result = outputArray(step, output, reuse, into);
  step.compiled.js(runtimeJs, step.constants(), result.array, ...arrays);
  return result;
}

/**
 * A JS or BLAS step's output: `into` (its resident copy dropped: the step
 * writes it), a kept one reuses `reuse.buffer` (so it is mutable), else new.
 */
function outputArray(
  step: Step,
  output: Output,
  reuse?: { buffer?: DataArray },
  into?: DataArray,
) {
  if (into !== undefined) {
    forgetResident(into);
    return { array: into, mutable: false };
  }
  const kept = output === "keep" && reuse !== undefined;
  const { dtype } = step.kernel;
  return {
    array: kept ? (reuse.buffer ??= allocate(dtype, step.size)) : allocate(dtype, step.size),
    mutable: kept,
  };
}

/**
 * Counts a Wasm launch made outside `execute` (a pass of a donated table's
 * row update; `rows`: its second pass).
 */
export function countWasmLaunch(rows = false): void {
  counters.launched++;
  counters.wasm++;
  if (rows) counters.rowUpdates++;
}

/**
 * Runs a JS step that writes `out` in place (a donated table's row
 * update, _donate_scatter.ts): its last input is `mirror` (the table's Wasm
 * copy, updated alongside, or none).
 */
export function executeInPlace(
  step: Step,
  inputs: readonly Value[],
  out: DataArray,
  mirror: DataArray | undefined,
): void {
  counters.launched++;
  counters.js++;
  counters.rowUpdates++;
  const arrays = arraysOf(step.kernel, inputs);
  syncHost(out);
  step.compiled.js(runtimeJs, step.constants(), out, ...arrays, mirror as DataArray);
}

/** Inputs (or other values of `nodes`) as arrays (Wasm blocks read through fresh views). */
function arraysOf(k: Kernel, inputs: readonly Value[], nodes = k.inputs): DataArray[] {
  return inputs.map((v, i) => {
    if (v.array !== undefined) return syncHost(v.array);
    const dtype = nodes[i].dtype as "float32" | "int32" | "bool";
    return heap().view(dtype, v.ptr!, sizeOf(nodes[i].shape));
  });
}

// --- the native BLAS tier (jit/runtime/cpu/blas.ts) ------------------------------

type BlasStep = BlasRun<Step>;

/**
 * Runs a matmul's product in BLAS, then its epilogue (if any) as a loop
 * kernel over the product. On the Wasm tier a float32 product goes straight
 * into Wasm memory (a kept output stays there; an epilogue reads it in
 * place); else it is a host array, passed as mutable (copied in, not cached).
 */
function executeBlas(
  step: Step,
  native: BlasStep,
  inputs: readonly Value[],
  output: Output,
  blocks: number[],
  reuse?: { buffer?: DataArray },
  into?: DataArray,
): Value {
  counters.blas++;
  const epi = native.epilogue;
  const inWasm = cpuBackend() === "wasm" && native.plan.dtype === "float32" &&
    (epi !== undefined || output === "keep");
  // NOTE: allocate before taking views of the inputs: growing the memory detaches them
  const ptr = inWasm ? heap().alloc(4 * step.size) : undefined;
  const arrays = arraysOf(step.kernel, inputs);
  const product = ptr !== undefined
    ? heap().view("float32", ptr, step.size)
    : epi === undefined
    ? outputArray(step, output, reuse, into).array
    : (native.product ??= allocate(native.plan.dtype, step.size));
  blasProduct(native.plan, arrays, product);
  if (epi === undefined) {
    counters.launched++;
    if (ptr === undefined) return { array: product, mutable: output === "keep" && !!reuse };
    blocks.push(ptr);
    return { ptr };
  }
  const last: Value = ptr === undefined ? { array: product, mutable: true } : { ptr };
  try {
    // one launch: the epilogue's (counted as wasm or js)
    const epiInputs = [...epi.inputs.map((i) => inputs[i]), last];
    return execute(epi.step, epiInputs, output, blocks, reuse, into);
  } finally {
    if (ptr !== undefined) heap().free(ptr);
  }
}

// -----------------------------------------------------------------------------

/**
 * Makes a new tensor's data resident in Wasm memory at once (the Wasm tier
 * only), so that the first kernel reading it copies nothing in: the copy
 * is paid where the tensor is made, as where a tensor's data lives in Wasm
 * memory from creation (docs/memory.md).
 * @param buffer the tensor's host array
 */
export function stageBuffer(buffer: DataArray): void {
  const wasmType = buffer instanceof Float32Array || buffer instanceof Int32Array ||
    buffer instanceof Uint8Array;
  if (wasmType && cpuBackend() === "wasm") stage(buffer);
}

function bufferOf(node: Node): DataArray {
  if (node.buffer === undefined) {
    throw new Error(
      "Cannot read tensor values while jit traces a function: the value depends on a traced argument: " +
        "move dataSync()/item()/printing out of the jitted function, or mark the argument static",
    );
  }
  return node.buffer;
}

/**
 * Runs kernels in order; each one's output node gets its buffer.
 * @param kernels a schedule from `schedule()`
 */
export function runKernels(kernels: readonly Kernel[]): void {
  const blocks: number[] = [];
  const readLater = new Set(kernels.flatMap((k) => k.inputs));
  for (const kernel of kernels) {
    const step = prepare(kernel);
    const output = readLater.has(kernel.output) ? "cached" : "array";
    try {
      const values = kernel.inputs.map((n) => ({ array: bufferOf(n) }));
      const v = execute(step, values, output, blocks);
      if (outputCheck !== undefined) checkOutput(kernel, values, v);
      kernel.output.setBuffer(v.array!);
    } finally {
      release(blocks);
    }
  }
}
