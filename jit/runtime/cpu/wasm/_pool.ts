/**
 * Worker threads for big Wasm kernels. Each worker is made from a Blob URL
 * of self-contained JavaScript (no imports, no permissions, survives
 * bundling), gets the shared Wasm memory once, and each kernel module with
 * the first job that runs it (cached by id: at most {@linkcode MAX_INSTANCES}
 * per worker).
 * The calling thread posts the job, then it and the workers claim chunks
 * of rows from a shared counter until none is left; it then blocks in
 * `Atomics.wait` until every chunk is done, so a launch stays synchronous
 * for its caller.
 *
 * The pool starts lazily, on the first kernel worth splitting, and is used
 * only once every worker has booted (until then the caller runs alone).
 * Workers would keep a process alive, so the pool ends itself after
 * {@linkcode IDLE_MS} without jobs (on an unreferenced timer, which fires
 * only when the caller's event loop turns, i.e. never inside a synchronous
 * training loop). A job that does not finish in time, or an engine that
 * refuses to post a memory or module, turns the pool off for good: the
 * caller then runs every share itself.
 *
 * A launch whose output is copied out to a host array (`runParallelCopy`)
 * overlaps that copy with the kernel: each worker flags the chunks it
 * finishes, and the calling thread copies finished chunks out (taking the
 * page faults of a fresh host array, which only it can touch) and computes
 * a chunk itself only when none is waiting to be copied.
 * @module
 */
import { envVar } from "../../_env.ts";
import { scalarImportsSource } from "./_imports.ts";

/**
 * Slots of the control array: the generation and next chunk of the current
 * launch (gen << 16 | chunk), chunks finished, workers booted, chunks run
 * by workers, failures.
 */
const NEXT = 0;
const DONE = 1;
const READY = 2;
const RUN = 3;
const FAILED = 4;
/** Slots from here flag each chunk of a launch done (the launch's generation, set by the thread that ran it). */
const FLAGS = 8;
/** Chunks of one launch that get a done flag (a copying launch has no more). */
export const MAX_FLAGGED = 1024;
/** Milliseconds without jobs after which the workers end. */
const IDLE_MS = 300;
/** Instances a worker keeps before it starts over (each posted again when next used). */
const MAX_INSTANCES = 64;

/**
 * `work(ctrl, f, job, counted)` runs chunks of a launch until none is left,
 * as f(...args, scratch, lo, hi, 0), claiming each from the counter (none
 * once the generation moved on: a late worker skips an old launch). Source
 * text, so that workers and the calling thread run the same code, bundled
 * or not.
 */
const WORK_SOURCE = `
function claim(ctrl, gen, chunks) {
  for (;;) {
    const v = Atomics.load(ctrl, ${NEXT});
    const c = v & 0xffff;
    if (v >>> 16 !== gen || c >= chunks) return -1;
    if (Atomics.compareExchange(ctrl, ${NEXT}, v, v + 1) === v) return c;
  }
}
function work(ctrl, f, job, counted) {
  let ran = 0;
  for (let c = claim(ctrl, job.gen, job.chunks); c >= 0; c = claim(ctrl, job.gen, job.chunks)) {
    ran++;
    const lo = c * job.rows;
    try {
      f(...job.args, job.scratch, lo, Math.min(job.total, lo + job.rows), 0);
      if (counted) Atomics.add(ctrl, ${RUN}, 1);
      if (c < ${MAX_FLAGGED}) Atomics.store(ctrl, ${FLAGS} + c, job.gen);
    } catch {
      Atomics.store(ctrl, ${FAILED}, 1);
    } finally {
      Atomics.add(ctrl, ${DONE}, 1);
      Atomics.notify(ctrl, ${DONE});
    }
  }
  return ran;
}
`;

type Work = (ctrl: Int32Array, f: (...a: number[]) => void, job: Job, counted: boolean) => number;

/** The calling thread's share of a split launch: its chunks and the ms it spent on them. */
export interface Share {
  readonly chunks: number;
  readonly ms: number;
}
let work: Work | undefined;

// the scalar functions kernels may import (as _runtime.ts gives them on the calling thread)
const WORKER_SOURCE = `${WORK_SOURCE}
${scalarImportsSource()}
let memory, ctrl;
const fns = new Map();
onmessage = ({ data }) => {
  if (data.memory !== undefined) {
    memory = data.memory;
    ctrl = data.ctrl;
    Atomics.add(ctrl, ${READY}, 1);
    return;
  }
  if (data.clear) fns.clear();
  if (data.module !== undefined) {
    try {
      fns.set(data.id, new WebAssembly.Instance(data.module, {
        e: { m: memory, ...scalarImports },
      }).exports.f0);
    } catch {
      Atomics.store(ctrl, ${FAILED}, 1);
      return;
    }
  }
  const f = fns.get(data.id);
  work(ctrl, f, data, true);
};
`;

/** Whether the engine has workers, shared memory and a calling thread allowed to block. */
function detect(): boolean {
  try {
    if (typeof Worker !== "function" || typeof URL.createObjectURL !== "function") return false;
    // throws on a browser's main thread, where blocking is not allowed
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** Whether this engine can run kernels on worker threads (probed once). */
export const threadSupport: boolean = detect();

/** `LATHE_THREADS`, if a positive integer. */
const envThreads = Number(envVar("LATHE_THREADS"));

function defaultThreads(): number {
  if (Number.isInteger(envThreads) && envThreads >= 1) return envThreads;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(cores ?? 1, 8));
}

let wanted = defaultThreads();
let broken = false;

/**
 * Sets the number of threads big kernels use, the calling one included.
 * @param n 1 turns worker threads off
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `setCpuThreads() expected a positive integer: found ${n}: use 1 to turn worker threads off`,
    );
  }
  wanted = n;
}

/**
 * Whether the Wasm memory should be shared, so that threads can be turned on
 * at any time: wherever they are supported, unless `LATHE_THREADS=1`.
 * @returns true for a shared memory
 */
export function wantSharedMemory(): boolean {
  return threadSupport && envThreads !== 1;
}

/**
 * Threads big kernels may use, the calling one included.
 * @returns 1 where workers or shared memory are missing, or threads are off
 */
export function threadCount(): number {
  return threadSupport && !broken ? wanted : 1;
}

/** A kernel module the workers can run: `id` names its instance in each worker. */
export interface PoolKernel {
  readonly module: WebAssembly.Module;
  readonly id: number;
}

interface Pool {
  readonly workers: Worker[];
  /** Per worker, the ids of the modules it has instantiated. */
  readonly sent: Set<number>[];
  readonly ctrl: Int32Array<SharedArrayBuffer>;
  readonly memory: WebAssembly.Memory;
}

let pool: Pool | undefined;
let lastUse = 0;
let workerJobs = 0;

/** Jobs run by worker threads since start (for tests and stats). */
export function poolJobs(): number {
  return workerJobs + (pool === undefined ? 0 : Atomics.load(pool.ctrl, RUN));
}

function stop(): void {
  if (pool === undefined) return;
  workerJobs += Atomics.load(pool.ctrl, RUN);
  for (const w of pool.workers) w.terminate();
  pool = undefined;
}

/** Ends the pool once idle; an unreferenced timer, so it never keeps a process alive. */
function watch(): void {
  const wait = Math.max(10, lastUse + IDLE_MS - performance.now());
  const timer = setTimeout(() => {
    if (performance.now() - lastUse >= IDLE_MS) stop();
    else if (pool !== undefined) watch();
  }, wait) as unknown;
  const deno = (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno;
  if (deno !== undefined) deno.unrefTimer(timer as number);
  else (timer as { unref?: () => void }).unref?.();
}

/** The workers' script, made once (a pool ending and starting again reuses it). */
let scriptUrl: string | undefined;

function startPool(memory: WebAssembly.Memory): Pool | undefined {
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (FLAGS + MAX_FLAGGED)));
  const workers: Worker[] = [];
  try {
    scriptUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    for (let i = 1; i < threadCount(); i++) {
      const w = new Worker(scriptUrl, { type: "module" });
      (w as { unref?: () => void }).unref?.();
      workers.push(w);
      w.postMessage({ memory, ctrl });
    }
  } catch {
    for (const w of workers) w.terminate();
    broken = true;
    return undefined;
  }
  lastUse = performance.now();
  watch();
  return { workers, sent: workers.map(() => new Set()), ctrl, memory };
}

/**
 * Workers ready for jobs in `memory`, starting the pool if needed.
 * @param start false to leave a stopped pool stopped (a second look at a
 *   kernel that runs faster alone is not worth booting workers for)
 * @returns their number: 0 while they boot, or without thread support
 */
export function readyWorkers(memory: WebAssembly.Memory, start = true): number {
  if (threadCount() === 1) return 0;
  if (pool !== undefined && pool.workers.length !== threadCount() - 1) stop();
  if (start) pool ??= startPool(memory);
  if (pool === undefined || pool.memory !== memory) return 0;
  return Atomics.load(pool.ctrl, READY) === pool.workers.length ? pool.workers.length : 0;
}

/** A kernel launch split into chunks of rows: f0(...args, scratch, lo, hi, 0) per chunk. */
export interface Job {
  /** The launch's generation (set by runParallel). */
  gen: number;
  /** Arguments before the thread's own ones. */
  readonly args: readonly number[];
  /** This thread's scratch block. */
  scratch: number;
  /** Rows in all, rows per chunk, and chunks. */
  readonly total: number;
  readonly rows: number;
  readonly chunks: number;
}

let generation = 0;

/** Starts a launch: a new generation (never 0: the flags' initial value), the job posted to each worker. */
function post(p: Pool, kernel: PoolKernel, job: Job, scratch: readonly number[]): void {
  generation = generation % 0x7fff + 1;
  job.gen = generation;
  Atomics.store(p.ctrl, DONE, 0);
  Atomics.store(p.ctrl, NEXT, generation << 16);
  try {
    scratch.forEach((s, i) => {
      const sent = p.sent[i];
      // the module travels once per worker (posting one is not free)
      const clear = !sent.has(kernel.id) && sent.size >= MAX_INSTANCES;
      if (clear) sent.clear();
      const module = sent.has(kernel.id) ? undefined : kernel.module;
      sent.add(kernel.id);
      p.workers[i].postMessage({ ...job, scratch: s, id: kernel.id, module, clear });
    });
  } catch {
    broken = true;
  }
}

/** Generous: a worker does no more than the calling thread did in `ms`. */
function deadlineAfter(ms: number): number {
  return performance.now() + Math.max(2000, 50 * ms);
}

/**
 * Ends a launch the workers failed (a chunk not done in time, or one that
 * threw): ends them, gives a late one time to stop (a terminated worker stops
 * at its next loop back-edge), then runs every chunk here (each overwrites
 * its rows).
 * @returns whether it did (false: the launch is complete)
 */
function recover(p: Pool, job: Job, done: number, fn: (...args: number[]) => void): boolean {
  lastUse = performance.now();
  if (done < job.chunks || Atomics.load(p.ctrl, FAILED) !== 0) broken = true;
  if (!broken) return false;
  stop();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  for (let lo = 0; lo < job.total; lo += job.rows) {
    fn(...job.args, job.scratch, lo, Math.min(job.total, lo + job.rows), 0);
  }
  return true;
}

/**
 * Runs a split kernel on the calling thread and (at most `readyWorkers()`)
 * workers, each claiming chunks until none is left, so a thread that the OS
 * delays does less; returns when every chunk is done.
 * @param kernel the module and its id
 * @param job the launch, with the calling thread's scratch
 * @param scratch the workers' scratch blocks (one each)
 * @param fn the kernel on the calling thread
 * @returns the calling thread's share (all chunks when the workers failed)
 */
export function runParallel(
  kernel: PoolKernel,
  job: Job,
  scratch: readonly number[],
  fn: (...args: number[]) => void,
): Share {
  const p = pool!;
  post(p, kernel, job, scratch);
  const t0 = performance.now();
  // made on first use: engines that forbid eval never get here (no worker would run)
  work ??= new Function(`${WORK_SOURCE}\nreturn work;`)() as Work;
  const mine = work(p.ctrl, fn, job, false);
  const ms = performance.now() - t0;
  const deadline = deadlineAfter(ms);
  let done = Atomics.load(p.ctrl, DONE);
  while (done < job.chunks && performance.now() < deadline) {
    Atomics.wait(p.ctrl, DONE, done, deadline - performance.now());
    done = Atomics.load(p.ctrl, DONE);
  }
  if (!recover(p, job, done, fn)) return { chunks: mine, ms };
  return { chunks: job.chunks, ms: performance.now() - t0 };
}

/** The calling thread's claim of the next chunk of launch `gen` (-1: none left). */
function claim(ctrl: Int32Array, gen: number, chunks: number): number {
  for (;;) {
    const v = Atomics.load(ctrl, NEXT);
    const c = v & 0xffff;
    if (v >>> 16 !== gen || c >= chunks) return -1;
    if (Atomics.compareExchange(ctrl, NEXT, v, v + 1) === v) return c;
  }
}

/**
 * Runs a split kernel as `runParallel` does, and copies its output out as
 * chunks finish: the calling thread copies each chunk a worker flagged done
 * (`copy(lo, hi)`, rows [lo, hi)), and claims and computes a chunk itself
 * (then copies it) only when no finished chunk waits. The copy into a fresh
 * host array takes a page fault per 4 KiB that only the calling thread can
 * take, so this overlaps those faults with the workers' compute.
 * @param kernel the module and its id
 * @param job the launch (at most {@linkcode MAX_FLAGGED} chunks)
 * @param scratch the workers' scratch blocks (one each)
 * @param fn the kernel on the calling thread
 * @param copy copies rows [lo, hi) of the output out
 */
export function runParallelCopy(
  kernel: PoolKernel,
  job: Job,
  scratch: readonly number[],
  fn: (...args: number[]) => void,
  copy: (lo: number, hi: number) => void,
): void {
  if (job.chunks > MAX_FLAGGED) {
    throw new Error(
      `runParallelCopy: ${job.chunks} chunks, at most ${MAX_FLAGGED} (internal error)`,
    );
  }
  const p = pool!;
  const { ctrl } = p;
  // NOTE: generations wrap around: a flag left from 32,767 launches ago could read as done
  for (let i = 0; i < job.chunks; i++) Atomics.store(ctrl, FLAGS + i, 0);
  post(p, kernel, job, scratch);
  const t0 = performance.now();
  const copied = new Uint8Array(job.chunks);
  let left = job.chunks;
  let first = 0;
  let deadline = Infinity;
  let done = 0;
  const rows = (c: number): [number, number] => {
    const lo = c * job.rows;
    return [lo, Math.min(job.total, lo + job.rows)];
  };
  while (left > 0) {
    // read before looking at the flags: a chunk finished after it changes it
    done = Atomics.load(ctrl, DONE);
    while (first < job.chunks && copied[first] === 1) first++;
    let c = -1;
    for (let i = first; i < job.chunks && c < 0; i++) {
      if (copied[i] === 0 && Atomics.load(ctrl, FLAGS + i) === job.gen) c = i;
    }
    if (c < 0) {
      c = claim(ctrl, job.gen, job.chunks);
      if (c >= 0) {
        const [lo, hi] = rows(c);
        try {
          fn(...job.args, job.scratch, lo, hi, 0);
        } catch {
          Atomics.store(ctrl, FAILED, 1);
        }
        Atomics.add(ctrl, DONE, 1);
        done++;
      }
    }
    if (c >= 0) {
      if (Atomics.load(ctrl, FAILED) !== 0) break;
      copy(...rows(c));
      copied[c] = 1;
      left--;
      continue;
    }
    // every chunk is claimed and the finished ones copied: wait for a worker's
    if (deadline === Infinity) deadline = deadlineAfter(performance.now() - t0);
    const wait = deadline - performance.now();
    if (wait <= 0 || Atomics.load(ctrl, FAILED) !== 0) break;
    Atomics.wait(ctrl, DONE, done, wait);
  }
  // NOTE: a worker counts its chunk done just after flagging it: wait for that count, or it
  // would land in the next launch's
  if (deadline === Infinity) deadline = deadlineAfter(performance.now() - t0);
  done = Atomics.load(ctrl, DONE);
  while (left === 0 && done < job.chunks && performance.now() < deadline) {
    Atomics.wait(ctrl, DONE, done, deadline - performance.now());
    done = Atomics.load(ctrl, DONE);
  }
  if (left === 0 && done === job.chunks) return void (lastUse = performance.now());
  recover(p, job, done, fn);
  broken = true;
  copy(0, job.total);
}
