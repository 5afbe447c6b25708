/**
 * Threads that pay for themselves: whether a kernel that can split over
 * worker threads does, decided by timing it at run time rather than by a
 * fixed work threshold alone.
 *
 * Splitting costs a post to each worker and its wake-up, which on a busy
 * machine can take longer than the kernel (the OS may even deschedule the
 * calling thread while it wakes a worker, so that the "parallel" launch runs
 * serially). So each split-capable kernel is timed. A split launch measures
 * both ways at once: its wall time, and what the kernel would have taken
 * alone, estimated from the calling thread's own chunks (its time per chunk
 * times all chunks). Its first launch (cold: compiling, workers booting)
 * counts for neither; the next {@linkcode SPLIT_PROBES} run split; from then
 * on it runs the way whose moving average is lower, and every
 * {@linkcode RECHECK}th launch runs the other way to follow a change in the
 * machine's load (split only if the workers are still up: the pool ends
 * itself when idle, and booting it is not worth a second look). A launch
 * that really ran alone replaces the estimate, which overstates a kernel
 * that two threads slow down by sharing memory bandwidth.
 *
 * NOTE: the old order (3 split probes, then 3 alone) cost every big kernel
 * three launches at half speed, and Wasm compiled at the baseline tier made
 * the first split probes look slow: a 1024³ matmul ran alone for its first
 * 16 launches though splitting halved its time.
 *
 * Launches that copy their output out to a host array are timed apart from
 * those that keep it in Wasm memory (a jitted program's intermediates): only
 * the first overlap the copy with the workers (`runParallelCopy`), and their
 * calling thread copies more than it computes, so they give no estimate of
 * the time alone. A launch whose output lands in memory never written before
 * is not timed (the caller skips it): its page faults would count against
 * the way it ran, and they come with a heap's first big outputs, just when
 * the probes run.
 *
 * Either way the values are the same: a split kernel's chunks compute
 * exactly what the whole loop computes.
 * @module
 */
import type { WasmFn } from "./_runtime.ts";

/** Launches after the cold one that run split before the choice. */
const SPLIT_PROBES = 3;
/** Every this many launches, the way not chosen runs once more. */
const RECHECK = 16;
/** Weight of the newest time in the moving averages. */
const ALPHA = 0.25;

/** A moving average and the launch that last updated it. */
interface Average {
  ms: number;
  at: number;
  /** Whether a launch that ran alone set it (not a split launch's estimate). */
  real: boolean;
}

/** Measured launch times of one kernel (ms; NaN before the first). */
interface Timing {
  alone: Average;
  split: Average;
  launches: number;
}

/** Per kernel, its timings with the output kept in Wasm memory and with it copied out. */
const timings = new WeakMap<WasmFn, { kept: Timing; copied: Timing }>();
let declined = 0;

function timingOf(fn: WasmFn, copies: boolean): Timing {
  let t = timings.get(fn);
  if (t === undefined) {
    const none = () => ({ ms: NaN, at: 0, real: false });
    const fresh = (): Timing => ({ alone: none(), split: none(), launches: 0 });
    t = { kept: fresh(), copied: fresh() };
    timings.set(fn, t);
  }
  return copies ? t.copied : t.kept;
}

/**
 * How a split-capable kernel should run on this launch.
 * @param fn the kernel (its timings are kept per compiled kernel)
 * @param copies whether this launch copies its output out to a host array
 * @returns `split`; `alone` on the calling thread; or `recheck`: split if
 *   the workers are up (a kernel that runs faster alone, timed split once
 *   more), else alone
 */
export function splitPays(fn: WasmFn, copies: boolean): "split" | "alone" | "recheck" {
  const t = timingOf(fn, copies);
  const n = t.launches;
  if (n <= SPLIT_PROBES) return "split";
  const better = !(t.alone.ms < t.split.ms);
  if (n % RECHECK === 0) return better ? "alone" : "recheck";
  if (!better) declined++;
  return better ? "split" : "alone";
}

/** Folds a time into an average; one older than half a recheck period is replaced. */
function update(a: Average, ms: number, launch: number, real: boolean): void {
  const stale = Number.isNaN(a.ms) || launch - a.at > RECHECK / 2 || (real && !a.real);
  a.ms = stale ? ms : a.ms + ALPHA * (ms - a.ms);
  a.at = launch;
  a.real = real;
}

/**
 * Records how long a launch of a split-capable kernel took.
 * @param fn the kernel
 * @param copies whether the launch copied its output out
 * @param split whether it ran split (over more than one thread)
 * @param ms its time: the kernel, and the copy out when `copies` (no copies in)
 * @param alone for a split launch, its time alone estimated from the
 *   calling thread's share (omitted when that thread ran no chunk)
 */
export function recordLaunch(
  fn: WasmFn,
  copies: boolean,
  split: boolean,
  ms: number,
  alone?: number,
): void {
  const t = timingOf(fn, copies);
  const n = t.launches++;
  // the first launch compiles and boots: it says nothing about either way
  if (n === 0) return;
  if (!split) return update(t.alone, ms, n, true);
  update(t.split, ms, n, false);
  // an estimate never overrides a recent real time alone
  if (alone !== undefined && !(t.alone.real && n - t.alone.at <= RECHECK)) {
    update(t.alone, alone, n, false);
  }
}

/**
 * Launches of split-capable kernels that ran on the calling thread because
 * splitting measured slower (for stats and the benchmark report).
 * @returns the count since start
 */
export function declinedSplits(): number {
  return declined;
}
