// The Wasm memory's resident-copy cache (jit/runtime/cpu/wasm/_memory.ts, docs/memory.md)
// and the run-time choice to split a kernel over threads
// (jit/runtime/cpu/wasm/_split_tuning.ts), on their own: an output's resident copy
// serves its first read, outputs that die (or are read once) reuse a few
// blocks instead of growing the memory, an array read twice survives that
// churn, and a kernel splits only while splitting measures faster.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import { Heap } from "../jit/runtime/cpu/wasm/_memory.ts";
import { recordLaunch, splitPays } from "../jit/runtime/cpu/wasm/_split_tuning.ts";
import type { WasmFn } from "../jit/runtime/cpu/wasm/_runtime.ts";
import * as lt from "../mod.ts";

const MIB = 1 << 20;
const N = MIB; // float32 elements: 4 MiB

/** A kernel's output: a block holding `value`, copied out and adopted as the copy's resident block. */
function output(h: Heap, value: number): { array: Float32Array; ptr: number } {
  const ptr = h.alloc(4 * N)!;
  h.f32.fill(value, ptr >> 2, (ptr >> 2) + N);
  const array = h.copyOut("float32", ptr, N) as Float32Array;
  h.adopt(array, ptr);
  return { array, ptr };
}

/** Reads an array as a kernel input; returns its address and whether it got a transient copy. */
function read(h: Heap, array: Float32Array): { ptr: number; copied: boolean } {
  const blocks: number[] = [];
  const ptr = h.acquire(array, blocks)!;
  for (const b of blocks) h.free(b);
  h.unpin();
  return { ptr, copied: blocks.length > 0 };
}

describe("Wasm memory", () => {
  it("an output's resident copy serves its first read (no copy in)", () => {
    const h = new Heap();
    const out = output(h, 3);
    assertEquals(out.array[N - 1], 3);
    assertEquals(read(h, out.array), { ptr: out.ptr, copied: false });
  });

  it("a new array staged at creation is read with no copy in; one over 16 MiB is not staged", () => {
    const h = new Heap();
    const x = new Float32Array(N).fill(2);
    h.stage(x);
    const first = read(h, x);
    assertEquals(first.copied, false);
    assertEquals(h.f32[(first.ptr >> 2) + N - 1], 2);
    const big = new Float32Array(4 * N + 1);
    h.stage(big);
    assert(h.cachedBytes < 8 * N, `${h.cachedBytes} bytes resident: the big array was staged`);
    assertEquals(read(h, big).copied, true);
  });

  it("outputs that die reuse a few blocks: 100 outputs of 4 MiB grow the memory by < 32 MiB", () => {
    const h = new Heap();
    for (let i = 0; i < 100; i++) output(h, i);
    const bytes = h.memory.buffer.byteLength;
    assert(bytes < 32 * MIB, `memory grew to ${(bytes / MIB).toFixed(0)} MiB`);
  });

  it("outputs read once by the next step (a training loop's chain) stay bounded too", () => {
    const h = new Heap();
    let prev = output(h, 0);
    for (let i = 1; i < 100; i++) {
      assertEquals(read(h, prev.array).copied, false);
      prev = output(h, i);
    }
    const bytes = h.memory.buffer.byteLength;
    assert(bytes < 32 * MIB, `memory grew to ${(bytes / MIB).toFixed(0)} MiB`);
  });

  it("an array read twice keeps its resident copy through that churn", () => {
    const h = new Heap();
    const x = new Float32Array(N).fill(7);
    // first read: a transient copy (freed after the launch); second: the resident one, kept
    assertEquals(read(h, x).copied, true);
    const resident = read(h, x);
    for (let i = 0; i < 50; i++) output(h, i);
    assertEquals(read(h, x), { ptr: resident.ptr, copied: false });
    assertEquals(h.f32[(resident.ptr >> 2) + N - 1], 7);
  });
});

describe("tensor data in Wasm memory", () => {
  it("tensor() gives new data its resident copy on the Wasm tier only, same values either way", () => {
    const data = Float32Array.from({ length: 1 << 16 }, (_, i) => Math.sin(i));
    lt.setCpuBackend("js");
    try {
      const before = lt.kernelStats().residentBytes;
      const reference = lt.tensor(data).mul(3).dataSync();
      assertEquals(lt.kernelStats().residentBytes, before);
      lt.setCpuBackend("wasm");
      const x = lt.tensor(data);
      const staged = lt.kernelStats().residentBytes - before;
      assert(
        staged >= data.byteLength,
        `${staged} bytes staged for a ${data.byteLength}-byte array`,
      );
      assertEquals(x.mul(3).dataSync(), reference);
    } finally {
      lt.setCpuBackend("wasm");
    }
  });
});

describe("splitting kernels over threads", () => {
  const kernel = (): WasmFn => () => {};

  /** Runs `launches` launches with the given times; returns the indices that ran split. */
  const run = (f: WasmFn, launches: number, ms: (split: boolean, i: number) => number[]) => {
    const splitAt: number[] = [];
    for (let i = 0; i < launches; i++) {
      const split = splitPays(f, false) !== "alone";
      if (split) splitAt.push(i);
      const [wall, alone] = ms(split, i);
      recordLaunch(f, false, split, wall, split ? alone : undefined);
    }
    return splitAt;
  };

  it("keeps splitting a kernel whose split launches beat their own estimate alone", () => {
    const f = kernel();
    // split 1 ms; the calling thread's chunks say 3 ms alone, and so does the real run
    const splitAt = run(f, 40, (split) => split ? [1, 3] : [3]);
    const alone = Array.from({ length: 40 }, (_, i) => i).filter((i) => !splitAt.includes(i));
    // no alone probes: only the rechecks at launches 16 and 32
    assertEquals(alone, [16, 32]);
  });

  it("a real time alone replaces the estimate (two threads that share memory bandwidth)", () => {
    const f = kernel();
    // the estimate (3 ms) overstates the kernel alone (1.5 ms); the split takes 2 ms
    const splitAt = run(f, 40, (split) => split ? [2, 3] : [1.5]);
    assertEquals(splitAt, [0, 1, 2, 3, ...Array.from({ length: 12 }, (_, i) => 4 + i), 32]);
  });

  it("a kernel whose split measures slower runs alone, and rechecks splitting every 16 launches", () => {
    const f = kernel();
    const ways: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      const way = splitPays(f, false);
      const split = way !== "alone";
      ways.push(split);
      // the second look at splitting only runs split if the workers are up
      if (i > 6 && split) assertEquals(way, "recheck");
      // a slow-waking worker: the split launch takes longer than its calling
      // thread's chunks (2 ms, as the kernel alone)
      recordLaunch(f, false, split, split ? 5 : 2, split ? 2 : undefined);
    }
    const splitAt = ways.flatMap((s, i) => s ? [i] : []);
    assertEquals(splitAt, [0, 1, 2, 3, 16, 32]);
  });

  it("times launches that copy their output out apart from those that keep it", () => {
    const f = kernel();
    // kept in Wasm memory, split is slower (nothing to overlap it with)
    for (let i = 0; i < 8; i++) {
      const split = splitPays(f, false) !== "alone";
      recordLaunch(f, false, split, split ? 5 : 2, split ? 2 : undefined);
    }
    // copied out, split is faster (the copy overlaps the workers' compute); a copying
    // launch gives no estimate alone, so only the recheck at 16 would run alone
    const copied: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const split = splitPays(f, true) !== "alone";
      copied.push(split);
      recordLaunch(f, true, split, split ? 2 : 4);
    }
    assertEquals(copied.filter((s) => !s).length, 0, "copying launches keep splitting");
    assertEquals(splitPays(f, false), "alone");
    assertEquals(splitPays(f, true), "split");
  });
});
