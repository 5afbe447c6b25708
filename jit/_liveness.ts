/**
 * Liveness of a compiled program's intermediates, known at schedule time:
 * after its last reader runs, an intermediate's Wasm block is freed and its
 * JS buffer is handed to a later kernel of the same dtype and size, so a
 * program holds only what is still to be read (what makes `checkpoint` pay).
 * @module
 */
import type { DataArray, DType } from "../core/ir/dtype.ts";
import type { Kernel } from "./kernel.ts";
import { sizeOf } from "../core/ir/shape.ts";
import { heap, type Value } from "./runtime/cpu/wasm/_runtime.ts";

/** A JS kernel's output buffer, reused across runs (shared by kernels whose outputs never overlap). */
export type Reuse = { buffer?: DataArray };

/** Where a compiled program's intermediates die, and which JS buffers they share. */
export interface Liveness {
  /** For each step, the earlier steps' outputs it reads last (free them after it). */
  readonly dies: readonly (readonly number[])[];
  /** For each step, its output's bytes (0 for a returned output: not an intermediate). */
  readonly bytes: readonly number[];
  /** For each step, the JS buffer its `keep` output goes to. */
  readonly reuse: readonly Reuse[];
}

const BYTES: Record<DType, number> = { float64: 8, float32: 4, float16: 2, int32: 4, bool: 1 };

/**
 * Plans a schedule's frees: a kernel's output dies after the last kernel
 * reading it, unless the program returns it (`returned`).
 * @param kernels the schedule, in run order
 * @param returned the nodes the program returns
 * @returns the plan
 */
export function liveness(kernels: readonly Kernel[], returned: ReadonlySet<unknown>): Liveness {
  const producer = new Map(kernels.map((k, i) => [k.output as unknown, i]));
  const last = kernels.map((k, i) => (returned.has(k.output) ? Infinity : i));
  kernels.forEach((k, i) => {
    for (const n of k.inputs) {
      const p = producer.get(n);
      if (p !== undefined && last[p] !== Infinity) last[p] = i;
    }
  });
  const dies = kernels.map(() => [] as number[]);
  last.forEach((at, i) => at !== Infinity && dies[at].push(i));
  const pool = new Map<string, Reuse[]>();
  const keyOf = (k: Kernel) => `${k.dtype}|${sizeOf(k.shape)}`;
  const reuse: Reuse[] = [];
  kernels.forEach((k, i) => {
    reuse.push((!returned.has(k.output) && pool.get(keyOf(k))?.pop()) || {});
    // NOTE: handed on only after step i ran: a kernel never writes a buffer it reads
    for (const d of dies[i]) {
      const free = pool.get(keyOf(kernels[d]));
      if (free === undefined) pool.set(keyOf(kernels[d]), [reuse[d]]);
      else free.push(reuse[d]);
    }
  });
  const bytes = kernels.map((k) => returned.has(k.output) ? 0 : BYTES[k.dtype] * sizeOf(k.shape));
  return { dies, bytes, reuse };
}

/**
 * After step `i` ran: counts its output's bytes and frees the intermediates
 * it read last (a Wasm block goes back to the heap; a JS buffer is reused
 * through `reuse`).
 * @param live the program's plan
 * @param i the step that ran
 * @param temps the steps' values so far
 * @param blocks the run's Wasm blocks (a freed one leaves the list)
 * @param tally bytes alive now, and their peak
 */
export function retire(
  live: Liveness,
  i: number,
  temps: Value[],
  blocks: number[],
  tally: { bytes: number; peak: number },
): void {
  tally.peak = Math.max(tally.peak, tally.bytes += live.bytes[i]);
  for (const d of live.dies[i]) {
    tally.bytes -= live.bytes[d];
    const at = temps[d].ptr === undefined ? -1 : blocks.indexOf(temps[d].ptr!);
    if (at >= 0) heap().free(blocks.splice(at, 1)[0]);
    temps[d] = {};
  }
}

let peak = 0;

/**
 * Records a program run's peak bytes of intermediates alive at once.
 * @param bytes the peak
 */
export function recordPeak(bytes: number): void {
  peak = bytes;
}

/**
 * The peak bytes of intermediates (kernel outputs the program does not
 * return) alive at once during the last compiled program's run (a `jit`
 * call, or an eager step replayed as a program).
 * @returns bytes; 0 before the first program runs
 */
export function lastProgramPeak(): number {
  return peak;
}
