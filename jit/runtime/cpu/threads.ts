/**
 * How many threads the CPU backend's big Wasm kernels use (the worker pool
 * in `wasm/_pool.ts` over a shared Wasm memory).
 * @module
 */
import { heap } from "./wasm/_runtime.ts";
import { setThreads, threadCount } from "./wasm/_pool.ts";

/**
 * Sets how many threads big Wasm kernels (matmuls of at least 4M
 * multiply-adds, loop kernels over at least 256K elements, each while
 * splitting it measures faster than running it alone) use, the calling
 * one included; the default is `LATHE_THREADS`, else the number of logical
 * CPUs (at most 8). Threads need workers, `SharedArrayBuffer` and a calling
 * thread allowed to block (Deno, Bun, browser workers of a cross-origin
 * isolated page); elsewhere, or with `LATHE_THREADS=1` (then the Wasm
 * memory is not shared), everything runs on the calling thread, with the
 * same results.
 * @param n threads: 1 turns worker threads off
 * @example Turn threads off, then back on
 * ```ts
 * import { cpuThreads, setCpuThreads } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const before = cpuThreads();
 * setCpuThreads(1);
 * assertEquals(cpuThreads(), 1);
 * setCpuThreads(Math.max(before, 1));
 * ```
 */
export function setCpuThreads(n: number): void {
  setThreads(n);
}

/**
 * Threads big Wasm kernels may use, the calling one included.
 * @returns 1 where worker threads are unavailable or turned off
 * @example
 * ```ts
 * import { cpuThreads } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * assert(cpuThreads() >= 1);
 * ```
 */
export function cpuThreads(): number {
  return heap().shared ? threadCount() : 1;
}
