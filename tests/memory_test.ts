import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { heapUsedAfterGc as heapAfterGc } from "../test_util/runtime.ts";
import process from "node:process";

describe("memory", () => {
  it("runs 10,000 update steps in bounded memory without dispose()", () => {
    let w = lt.tensor(new Float32Array(10_000).fill(1));
    const g = lt.tensor(new Float32Array(10_000).fill(0.5));
    const step = () => {
      w = w.sub(g.mul(0.001)).mul(1.0001);
      w.dataSync();
    };
    for (let i = 0; i < 1000; i++) step();
    const early = heapAfterGc();
    for (let i = 0; i < 9000; i++) step();
    const late = heapAfterGc();
    // 9,000 more steps of 40 KB buffers would be 360 MB if anything were kept
    assert(late - early < 8e6, `heap grew by ${((late - early) / 1e6).toFixed(1)} MB`);
    // closed form of the recurrence w <- (w - 0.0005) * 1.0001, in float64
    let ref = 1;
    for (let i = 0; i < 10_000; i++) ref = (ref - 0.0005) * 1.0001;
    assert(Math.abs(w.dataSync()[0] - ref) < 1e-3, `${w.dataSync()[0]} vs ${ref}`);
  });

  // 20-25 s on two busy cores (Deno and Bun alike): past bun test's 5 s
  // default timeout (Deno has none)
  it("runs 10,000 eager steps on 1M-element tensors in flat memory without dispose()", {
    timeout: 300_000,
  }, () => {
    const n = 1 << 20;
    let w = lt.tensor(new Float32Array(n).fill(1));
    const g = lt.tensor(new Float32Array(n).fill(0.5));
    const step = () => {
      // one fused kernel per step, its 4 MB output read back each time
      w = w.sub(g.mul(0.001)).mul(1.0001);
      w.dataSync();
    };
    for (let i = 0; i < 500; i++) step();
    const early = { heap: heapAfterGc(), rss: process.memoryUsage().rss, ...lt.kernelStats() };
    for (let i = 0; i < 9500; i++) step();
    const late = { heap: heapAfterGc(), rss: process.memoryUsage().rss, ...lt.kernelStats() };
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    // 9,500 more steps of 4 MB buffers would be 38 GB if anything were kept
    assert(late.heap - early.heap < 8e6, `JS heap grew by ${mb(late.heap - early.heap)}`);
    assert(
      late.wasmMemoryBytes - early.wasmMemoryBytes <= 8e6,
      `Wasm memory grew from ${mb(early.wasmMemoryBytes)} to ${mb(late.wasmMemoryBytes)}`,
    );
    assert(late.residentBytes <= 96e6, `resident copies hold ${mb(late.residentBytes)}`);
    assert(late.rss - early.rss < 512e6, `RSS grew by ${mb(late.rss - early.rss)}`);
    // closed form of the recurrence w <- (w - 0.0005) * 1.0001, in float64
    let ref = 1;
    for (let i = 0; i < 10_000; i++) ref = (ref - 0.0005) * 1.0001;
    const got = w.dataSync();
    assert(Math.abs(got[0] - ref) < 1e-3 && got[n - 1] === got[0], `${got[0]} vs ${ref}`);
  });

  it("realizes 100,000 chained adds without a stack overflow", () => {
    let x = lt.tensor([0, 1]);
    for (let i = 0; i < 100_000; i++) x = x.add(1);
    assertEquals(x.toArray(), [100_000, 100_001]);
  });

  it("keeps lazy loops bounded when nothing is read until the end", () => {
    let x = lt.zeros([1000]);
    for (let i = 0; i < 5000; i++) x = x.add(lt.ones([1000]).mul(0.5));
    const early = heapAfterGc();
    for (let i = 0; i < 20000; i++) x = x.add(lt.ones([1000]).mul(0.5));
    const late = heapAfterGc();
    assert(late - early < 8e6, `heap grew by ${((late - early) / 1e6).toFixed(1)} MB`);
    assertEquals(x.dataSync()[999], 12500);
  });
});
