/**
 * The Wasm runtime: feature detection, module instantiation against the
 * one memory, and kernel launches (inputs made resident, constants and
 * scratch in a temporary block, the output copied out or kept resident).
 * A kernel of at least {@linkcode MIN_THREADED_WORK} multiply-adds (a
 * matmul, or their equivalent in a big loop kernel) can split its output
 * rows over the worker threads (_pool.ts) when they are ready; it does
 * when splitting measured faster than running alone (_split_tuning.ts).
 * A split loop kernel whose output is copied out to a host array copies each
 * chunk as it finishes, overlapping the copy with the workers' compute.
 * Smaller kernels run on the calling thread.
 * @module
 */
import type { DataArray } from "../../../../core/ir/dtype.ts";
import type { WasmSplit } from "../../../codegen/wasm/mod.ts";
import { Heap } from "./_memory.ts";
import {
  MAX_FLAGGED,
  type PoolKernel,
  readyWorkers,
  runParallel,
  runParallelCopy,
  threadCount,
  wantSharedMemory,
} from "./_pool.ts";
import { recordLaunch, splitPays } from "./_split_tuning.ts";
import { scalarImports } from "./_imports.ts";
import { syncHost } from "../../../../core/ir/_host.ts";
import { PACK_COLS } from "../../../codegen/wasm/_matmul.ts";

/** A kernel's exported function: byte addresses in, nothing out. */
export type WasmFn = (...addresses: number[]) => void;

/** A minimal module using `op` (0xfd-prefixed, LEB bytes) on three f32x4 constants. */
function probe(op: number[]): Uint8Array<ArrayBuffer> {
  const c = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0x00, ...c, ...c, ...c, 0xfd, ...op, 0x1a, 0x0b];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00],
    ...[0x0a, body.length + 2, 0x01, body.length, ...body],
  ]);
}

/** What the engine offers: SIMD (required) and relaxed SIMD (for FMA). */
function detect(): { simd: boolean; relaxed: boolean } {
  try {
    // bitselect pops three vectors and pushes one; relaxed_madd (0x105) likewise
    const simd = WebAssembly.validate(probe([0x52]));
    return { simd, relaxed: simd && WebAssembly.validate(probe([0x85, 0x02])) };
  } catch {
    return { simd: false, relaxed: false };
  }
}

/** Engine features, probed once. */
export const wasmFeatures: { readonly simd: boolean; readonly relaxed: boolean } = detect();

let theHeap: Heap | undefined;

/**
 * The memory every kernel runs in (made on first use: shared where worker
 * threads are available, unless `LATHE_THREADS=1`).
 */
export function heap(): Heap {
  return theHeap ??= new Heap(wantSharedMemory());
}

/**
 * Bytes of the Wasm memory and of the resident copies in it, and the stale
 * host arrays written back from their copies so far (`Heap.markStale`).
 * @returns zeros before the first Wasm kernel
 */
export function heapBytes(): { memory: number; resident: number; writeBacks: number } {
  if (theHeap === undefined) return { memory: 0, resident: 0, writeBacks: 0 };
  const { memory, cachedBytes, writeBacks } = theHeap;
  return { memory: memory.buffer.byteLength, resident: cachedBytes, writeBacks };
}

/**
 * Gives a new float32, int32 or bool array its resident copy in Wasm memory
 * (see `Heap.stage`).
 */
export function stage(array: DataArray): void {
  heap().stage(array);
}

/**
 * Drops `array`'s resident copy in Wasm memory, if it has one (see
 * `Heap.forget`): before the array is updated in place.
 */
export function forgetResident(array: DataArray): void {
  theHeap?.forget(array);
}

/**
 * A view of `array`'s resident copy in Wasm memory, if it has one: for an
 * in-place update that keeps the copy in step.
 */
export function residentView(array: DataArray): DataArray | undefined {
  const ptr = theHeap?.residentAt(array);
  if (ptr === undefined || array instanceof Float64Array) return undefined;
  const dtype = array instanceof Float32Array
    ? "float32"
    : array instanceof Int32Array
    ? "int32"
    : "bool";
  return theHeap!.view(dtype, ptr, array.length);
}

/** Frees a run's blocks and releases its pinned inputs. */
export function release(blocks: number[]): void {
  if (theHeap === undefined) return;
  for (const b of blocks) theHeap.free(b);
  blocks.length = 0;
  theHeap.unpin();
}

/** An instantiated kernel module. */
export interface Instantiated {
  /** The kernel (`f0`). */
  readonly fn: WasmFn;
  /** A matmul's epilogue alone (`f5`), if it has one. */
  readonly epilogue?: WasmFn;
  /** The module, for worker threads. */
  readonly pool: PoolKernel;
}

let modules = 0;

/**
 * Compiles and instantiates a kernel module against the heap's memory.
 * @returns its functions, or undefined where the engine refuses it
 *   (e.g. browsers limit synchronous compilation of large modules)
 */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): Instantiated | undefined {
  try {
    const module = new WebAssembly.Module(bytes);
    const e = { m: heap().memory, ...scalarImports };
    const instance = new WebAssembly.Instance(module, { e });
    const { f0, f5 } = instance.exports as { f0: WasmFn; f5?: WasmFn };
    return { fn: f0, epilogue: f5, pool: { module, id: modules++ } };
  } catch {
    return undefined;
  }
}

/**
 * Multiply-adds from which a kernel may split over threads (a 160³ matmul,
 * a loop kernel over 256K elements). Whether it does is measured per kernel
 * (_split_tuning.ts): a split costs ~50–100 µs of posting and waking
 * on an idle machine (bench/threads.ts on 2 cores: matmuls break even at
 * 256³, gain ×1.3–1.6 from 384³ up), and up to the whole kernel's time on
 * a busy one.
 */
export const MIN_THREADED_WORK = 1 << 22;

let threaded = 0;

/** Launches split over worker threads since start. */
export function threadedLaunches(): number {
  return threaded;
}

/** Where a value lives during a run: a JS array (maybe reused, so never cached), a Wasm block, or both. */
export interface Value {
  readonly array?: DataArray;
  readonly ptr?: number;
  readonly mutable?: boolean;
}

/** A kernel ready to launch in Wasm. */
export interface WasmLaunch {
  readonly fn: WasmFn;
  readonly scratch: number;
  readonly constants: Float32Array;
  readonly size: number;
  /** The output's element type (float32 when absent). */
  readonly elem?: "float32" | "int32" | "bool";
  /** A matmul's split over threads, with its module and epilogue. */
  readonly split?: WasmSplit;
  readonly pool?: PoolKernel;
  readonly epilogue?: WasmFn;
}

/**
 * What becomes of a kernel's output: `keep` leaves it in a Wasm block (that
 * `blocks` collects for the caller to free); `array` copies it out to a new
 * array; `cached` does too and keeps the block as that array's resident
 * copy, for a kernel that reads it next.
 */
export type Output = "keep" | "array" | "cached";

/** Bytes a block of `n` bytes takes in the arena (with slack for reads past its end). */
function padded(n: number): number {
  return Math.ceil(n / 64) * 64 + 64;
}

/**
 * Runs a Wasm kernel. Constants, scratch, small or mutable inputs and an
 * `array` output go to the launch arena (one block reused by every launch);
 * large inputs are acquired from the heap. An `array` or `cached` output
 * is copied out into `into` when given (a donated argument's buffer, whose
 * resident copy the output's block then replaces) instead of a new array.
 * With `at` (and output `keep`), the kernel writes the block at `at`, the caller's.
 * @returns the output, or undefined when memory ran out or it trapped (run it in JS then)
 */
export function launch(
  k: WasmLaunch,
  inputs: readonly Value[],
  output: Output,
  blocks: number[],
  into?: DataArray,
  at?: number,
): Value | undefined {
  const h = heap();
  const touched = h.touched;
  // an output too small to cache is copied out from the arena
  const outBytes = (k.elem === "bool" ? 1 : 4) * k.size;
  if (output === "cached" && outBytes < h.minCached) output = "array";
  const inArena = (v: Value) => v.ptr === undefined && (v.mutable || !h.cacheable(v.array!));
  const planned = k.split === undefined ? 1 : plannedThreads(k.split);
  // a loop kernel whose output is copied out copies each chunk as it finishes
  // (not into a donated argument's array: that copy is below)
  const copies = output !== "keep" && into === undefined && k.split !== undefined &&
    k.scratch === 0 && !k.split.epilogue;
  const way = planned === 1 ? "alone" : splitPays(k.fn, copies);
  const threads = way === "alone"
    ? 1
    : Math.min(1 + readyWorkers(h.memory, way === "split"), planned);
  const chunking = threads === 1 ? undefined : chunksOf(k, k.split!, threads);
  const packB = chunking?.sharedPacking ? padded(k.split!.packB!.bytes) : 0;
  const scratch = (threads === 1 ? k.scratch : padded(k.scratch) * threads) + packB;
  let bytes = padded(4 * k.constants.length) + scratch;
  for (const v of inputs) if (inArena(v)) bytes += padded(v.array!.byteLength);
  if (output === "array") bytes += padded(outBytes);
  const arena = h.arena(bytes);
  if (arena === undefined) return undefined;
  const args = [0];
  let next = arena + padded(4 * k.constants.length);
  for (const v of inputs) {
    let ptr = v.ptr;
    if (inArena(v)) {
      ptr = next;
      h.write(syncHost(v.array!), next);
      next += padded(v.array!.byteLength);
    } else if (ptr === undefined) ptr = h.acquire(v.array!, blocks);
    if (ptr === undefined) return undefined;
    args.push(ptr);
  }
  const out = output === "array" ? next : at ?? h.alloc(outBytes);
  if (out === undefined) return undefined;
  if (output === "array") next += padded(outBytes);
  if (next + scratch > arena + bytes) {
    throw new Error("wasm launch: arena overflow (internal error)");
  }
  args[0] = out;
  args.push(arena);
  h.f32.set(k.constants, arena >> 2);
  let array: DataArray | undefined;
  if (k.split !== undefined) {
    const t0 = planned > 1 ? performance.now() : 0;
    let alone: number | undefined;
    if (copies && threads > 1) array = splitCopy(k, k.split, args, out, threads);
    else {
      alone = split(k, k.split, args, next, chunking);
      // timed with the copy, as a split launch that copies out is
      if (copies) array = h.copyOut(k.elem ?? "float32", out, k.size);
    }
    // an output in memory not written before also times its page faults: not a fair probe
    const fresh = out + outBytes > touched;
    if (planned > 1 && !fresh) {
      recordLaunch(k.fn, copies, threads > 1, performance.now() - t0, alone);
    }
  } else {
    if (k.scratch > 0) args.push(next);
    try {
      k.fn.apply(undefined, args);
    } catch (e) {
      // a gather's index out of range traps: the JS reference the caller then runs names it
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      if (output !== "array" && at === undefined) h.free(out);
      return undefined;
    }
  }
  if (at !== undefined) return { ptr: at };
  if (output === "keep") {
    blocks.push(out);
    return { ptr: out };
  }
  if (into !== undefined) {
    // NOTE: the old resident copy may be this launch's input: no later kernel reads it (_donation.ts)
    h.forget(into, true);
    (into as Float32Array).set(h.view(k.elem ?? "float32", out, k.size) as Float32Array);
    array = into;
  }
  array ??= h.copyOut(k.elem ?? "float32", out, k.size);
  if (output === "cached") h.adopt(array, out);
  return { array };
}

/**
 * Threads a split kernel is meant to run on: 1 under the work threshold or
 * without a shared memory, else up to `threadCount()`.
 * @param split how the kernel splits
 * @returns the thread count, the calling one included
 */
export function plannedThreads(split: WasmSplit): number {
  const most = Math.floor(split.rows / split.rowBlock);
  if (split.work < MIN_THREADED_WORK || most < 2 || !heap().shared) return 1;
  return Math.min(threadCount(), most);
}

/**
 * Chunks of rows per thread, and the fewest rows in one: more chunks
 * balance a thread the OS delays.
 */
const CHUNKS_PER_THREAD = 2;
const MIN_CHUNK_ROWS = 64;
/** Work per chunk of a loop kernel (which packs nothing, so small chunks cost little). */
const LOOP_CHUNK_WORK = 1 << 21;
/**
 * Elements of B that chunks packing it again would cost, from which a
 * split matmul packs B once in a pass of its own (a second post and
 * wake-up, ~50 µs, against ~0.6 ns per element packed).
 */
const SHARED_PACKING = 1 << 17;

/** How a launch over several threads is cut: chunks of rows, and whether B is packed once for all. */
interface Chunking {
  readonly threads: number;
  readonly rows: number;
  readonly chunks: number;
  readonly sharedPacking: boolean;
}

function chunksOf(k: WasmLaunch, split: WasmSplit, threads: number): Chunking {
  const b = split.rowBlock;
  const even = Math.ceil(split.rows / threads);
  // a matmul is the kernel with scratch
  const want = k.scratch > 0
    ? Math.max(Math.ceil(split.rows / (threads * CHUNKS_PER_THREAD)), MIN_CHUNK_ROWS)
    : Math.ceil(split.rows * LOOP_CHUNK_WORK / split.work);
  // at most 0xffff chunks: the claim counter's width
  const rows = Math.ceil(Math.max(Math.min(want, even), split.rows / 0xffff) / b) * b;
  const chunks = Math.ceil(split.rows / rows);
  const packB = split.packB;
  const sharedPacking = packB !== undefined && (chunks - 1) * packB.elements >= SHARED_PACKING;
  return { threads, rows, chunks, sharedPacking };
}

/**
 * Runs a split kernel over `threads` threads claiming chunks of its output
 * rows (each thread with its own scratch), then a matmul's epilogue on the
 * calling thread. A matmul whose chunks would each pack much of B first
 * packs it once, in chunks of columns, into a block after the threads'
 * scratch (mode 1), then computes its rows from there (mode 2).
 * @returns for a launch over several threads, its time alone estimated from
 *   the calling thread's chunks (undefined when it ran none)
 */
function split(
  k: WasmLaunch,
  split: WasmSplit,
  args: number[],
  scratch: number,
  cut: Chunking | undefined,
): number | undefined {
  const matmul = k.scratch > 0;
  if (cut === undefined) {
    k.fn(...args, ...(matmul ? [0, 0] : []), scratch, 0, split.rows, 1);
    return undefined;
  }
  const { threads, rows } = cut;
  const own = Array.from({ length: threads - 1 }, (_, i) => scratch + (i + 1) * padded(k.scratch));
  threaded++;
  let alone = 0;
  /** Runs one parallel pass; adds its estimate alone (NaN when the calling thread ran no chunk). */
  const pass = (extra: number[], total: number, share: number) => {
    const chunks = Math.ceil(total / share);
    const job = { gen: 0, args: [...args, ...extra], scratch, total, rows: share, chunks };
    const mine = runParallel(k.pool!, job, own, k.fn);
    alone += mine.chunks === 0 ? NaN : (mine.ms * chunks) / mine.chunks;
  };
  if (cut.sharedPacking) {
    const packed = scratch + threads * padded(k.scratch);
    pass([packed, 1], split.packB!.columns, PACK_COLS);
    pass([packed, 2], split.rows, rows);
  } else pass(matmul ? [0, 0] : [], split.rows, rows);
  const t0 = performance.now();
  if (split.epilogue) k.epilogue!.apply(undefined, args);
  alone += performance.now() - t0;
  return Number.isNaN(alone) ? undefined : alone;
}

/**
 * Output bytes per chunk of a loop kernel copied out as it runs: small
 * enough that the calling thread and a worker share the copy and the
 * compute evenly (16 chunks for 4 MiB), large enough that launching a chunk
 * costs nothing.
 */
const COPY_CHUNK_BYTES = 1 << 18;

/**
 * Runs a split loop kernel over worker threads and copies its output out to
 * a new array chunk by chunk as the chunks finish (`runParallelCopy`, which
 * overlaps the copy, and the page faults of the new array, with the
 * workers' compute).
 * NOTE: run alone, a kernel runs whole and is then copied out: chunk by
 * chunk alone measured slower (docs/memory.md).
 * @returns the new array
 */
function splitCopy(
  k: WasmLaunch,
  split: WasmSplit,
  args: number[],
  out: number,
  threads: number,
): DataArray {
  const dtype = k.elem ?? "float32";
  const h = heap();
  const array = h.newArray(dtype, k.size);
  // the output is row-major: a row of the split loop is `inner` contiguous elements
  const inner = k.size / split.rows;
  const per = dtype === "bool" ? 1 : 4;
  const fit = Math.max(1, Math.floor(COPY_CHUNK_BYTES / (per * inner)));
  const rows = Math.ceil(Math.max(fit, split.rows / MAX_FLAGGED) / split.rowBlock) *
    split.rowBlock;
  const copy = (lo: number, hi: number) => h.copyRange(array, dtype, out, lo * inner, hi * inner);
  threaded++;
  const chunks = Math.ceil(split.rows / rows);
  const job = { gen: 0, args, scratch: 0, total: split.rows, rows, chunks };
  runParallelCopy(k.pool!, job, new Array(threads - 1).fill(0), k.fn, copy);
  return array;
}
