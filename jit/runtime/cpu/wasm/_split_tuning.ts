/**
 * Threads that pay for themselves: whether a kernel that can split over
 * worker threads does, decided by timing it both ways at run time rather
 * than by a fixed work threshold alone.
 *
 * Splitting costs a post to each worker and its wake-up, which on a busy
 * machine can take longer than the kernel (the OS may even deschedule the
 * calling thread while it wakes a worker, so that the "parallel" launch runs
 * serially). So each split-capable kernel is timed: its first launch (cold:
 * compiling, workers booting) runs split, the next {@linkcode PROBES}
 * alternately alone and split (alternated, so that both ways see the same
 * warm-up: the first calls of a process take page faults, and the engine
 * optimises the kernel, and a block of split probes before a block of alone
 * ones measured the warm-up, not the split); from then on it runs the way
 * whose moving average is lower, and every {@linkcode RECHECK}th launch runs
 * the other way to follow a change in the machine's load (split only if the
 * workers are still up: the pool ends itself when idle, and booting it is
 * not worth a second look). A recheck's time replaces that way's average
 * rather than moving it by a quarter: it says how that way runs now, and
 * one stale average (say, split probes timed while the machine was busy)
 * must not keep a kernel alone for many rechecks. A launch whose output
 * lands in memory never written before is not timed (the caller skips it):
 * its page faults would count against the way it ran, and they come with a
 * heap's first big outputs, just when the probes run. Either way the values
 * are the same: a split kernel's chunks compute exactly what the whole loop
 * computes.
 * @module
 */
import type { WasmFn } from "./_runtime.ts";

/** Launches after the cold one that alternate alone and split, before the choice. */
const PROBES = 6;
/** Every this many launches, the way not chosen runs once more. */
const RECHECK = 16;
/** Weight of the newest time in the moving averages. */
const ALPHA = 0.25;

/** Measured launch times of one kernel (ms; NaN before the first). */
interface Timing {
  alone: number;
  split: number;
  launches: number;
}

/** Per kernel, its timings with the output kept in Wasm memory and with it copied out. */
const timings = new WeakMap<WasmFn, { kept: Timing; copied: Timing }>();
let declined = 0;

function timingOf(fn: WasmFn, copies: boolean): Timing {
  let t = timings.get(fn);
  if (t === undefined) {
    const fresh = (): Timing => ({ alone: NaN, split: NaN, launches: 0 });
    t = { kept: fresh(), copied: fresh() };
    timings.set(fn, t);
  }
  return copies ? t.copied : t.kept;
}

/**
 * How a split-capable kernel should run on this launch.
 * @param fn the kernel (its timings are kept per compiled kernel)
 * @param copies whether the launch copies its output out (timed apart:
 *   a split launch overlaps that copy with the workers' compute)
 * @returns `split`; `alone` on the calling thread; or `recheck`: split if
 *   the workers are up (a kernel that runs faster alone, timed split once
 *   more), else alone
 */
export function splitPays(fn: WasmFn, copies: boolean): "split" | "alone" | "recheck" {
  const t = timingOf(fn, copies);
  const n = t.launches;
  if (n === 0) return "split";
  if (n <= PROBES) return n % 2 === 1 ? "alone" : "split";
  const better = !(t.alone < t.split);
  if (n % RECHECK === 0) return better ? "alone" : "recheck";
  if (!better) declined++;
  return better ? "split" : "alone";
}

/**
 * Records how long a launch of a split-capable kernel took.
 * @param fn the kernel
 * @param copies whether the launch copied its output out
 * @param split whether it ran split (over more than one thread)
 * @param ms its time: the kernel, and the copy out when `copies` (no copies in)
 */
export function recordLaunch(fn: WasmFn, copies: boolean, split: boolean, ms: number): void {
  const t = timingOf(fn, copies);
  // the first launch compiles and boots: it says nothing about either way
  const n = t.launches++;
  if (n === 0) return;
  const prev = split ? t.split : t.alone;
  // a recheck (the way not chosen, run once) starts that way's average again
  const recheck = n > PROBES && n % RECHECK === 0;
  const next = Number.isNaN(prev) || recheck ? ms : prev + ALPHA * (ms - prev);
  if (split) t.split = next;
  else t.alone = next;
}

/**
 * Launches of split-capable kernels that ran on the calling thread because
 * splitting measured slower (for stats and the benchmark report).
 * @returns the count since start
 */
export function declinedSplits(): number {
  return declined;
}
