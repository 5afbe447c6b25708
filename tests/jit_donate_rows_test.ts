// A donated table's rows used, updated in its Wasm copy only (jit/runtime/cpu/program.ts runPair,
// Heap.markStale, core/ir/_host.ts): the host array stays stale between steps and is written back
// once, when read; every reader (dataSync, eager kernels, another jit, sparseSgd) sees the values of
// the undonated run, bit for bit; memory stays flat over 10,000 steps.
import { afterEach, describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { sparseSgd } from "../nn/optim.ts";
import { rowSparseGrad } from "../nn/row_sparse.ts";
import { Heap } from "../jit/runtime/cpu/wasm/_memory.ts";
import { isHostStale, syncHost } from "../core/ir/_host.ts";
import { heapUsedAfterGc } from "../test_util/runtime.ts";

const [VOCAB, DIM] = [3000, 16];
const target = lt.random.normal(lt.random.key(2), [4, 16, DIM]);

/** An embedding's SGD step (its gradient a scatter-add into the rows used), ids an argument. */
function step(w: lt.Tensor, ids: lt.Tensor): lt.Tensor {
  const loss = (w: lt.Tensor) => w.take(ids, 0).sub(target).square().mean();
  return w.sub(lt.grad(loss)(w).mul(0.1));
}

/** Ids for step `i`: repeated rows within a step, different rows across steps. */
function idsAt(i: number): lt.Tensor {
  return lt.random.randint(lt.random.key(100 + i), [4, 16], 0, VOCAB);
}

function table(): lt.Tensor {
  return lt.random.normal(lt.random.key(3), [VOCAB, DIM]);
}

function bits(a: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(a).buffer));
}

describe("jit donate: a table updated in Wasm memory only", () => {
  afterEach(() => lt.setCpuBackend("wasm"));

  it("leaves the host array stale between steps and writes it back once when read", () => {
    const [given, plain] = [lt.jit(step, { donate: [0] }), lt.jit(step)];
    let [w, v] = [table(), table()];
    for (let i = 0; i < 3; i++) [w, v] = [given(w, idsAt(i)), plain(v, idsAt(i))];
    const held = w.dataSync();
    const before = bits(held);
    const stats = lt.kernelStats();
    for (let i = 3; i < 8; i++) [w, v] = [given(w, idsAt(i)), plain(v, idsAt(i))];
    const after = lt.kernelStats();
    assertEquals(after.rowUpdates - stats.rowUpdates, 5);
    // NOTE: fails if the rows are copied to the host array after each update
    assertEquals(bits(held), before, "the host array was written during the steps");
    assertEquals(after.hostWriteBacks, stats.hostWriteBacks);
    assert(isHostStale(held));
    // reading it writes the table back, once, into the same array
    assert(w.dataSync() === held, "the table got a new buffer");
    assertEquals(lt.kernelStats().hostWriteBacks - after.hostWriteBacks, 1);
    assertEquals(bits(held), bits(v.dataSync()));
    assertEquals(bits(w.dataSync()), bits(v.dataSync()));
    assertEquals(lt.kernelStats().hostWriteBacks - after.hostWriteBacks, 1);
  });

  for (const tier of ["wasm", "js"] as const) {
    it(`is bit-equal to the undonated run over 300 steps, read between steps (${tier})`, () => {
      lt.setCpuBackend(tier);
      const [given, plain] = [lt.jit(step, { donate: [0] }), lt.jit(step)];
      const lookup = lt.jit((w: lt.Tensor, ids: lt.Tensor) => w.take(ids, 0));
      const sgd = sparseSgd(0.05);
      let [w, v] = [table(), table()];
      for (let i = 0; i < 300; i++) {
        const ids = idsAt(i);
        [w, v] = [given(w, ids), plain(v, ids)];
        if (i % 7 === 3) assertEquals(bits(w.dataSync()), bits(v.dataSync()), `step ${i}`);
        if (i % 11 === 5) {
          // an eager kernel and another jitted function read the current table
          assertEquals(bits(w.mul(3).dataSync()), bits(v.mul(3).dataSync()), `step ${i}`);
          assertEquals(bits(lookup(w, ids).dataSync()), bits(lookup(v, ids).dataSync()));
        }
        if (i % 50 === 20) {
          // an eager row update (sparseSgd donates the table too) on the stale host array
          const g = rowSparseGrad(ids, lt.ones([4, 16, DIM]), VOCAB);
          [w] = sgd.update(w, g, {});
          [v] = sgd.update(v, g, {});
        }
      }
      assertEquals(bits(w.dataSync()), bits(v.dataSync()));
    });
  }

  it("runs 10,000 donated embedding steps in flat memory with no write-back, bit-equal", () => {
    const [given, plain] = [lt.jit(step, { donate: [0] }), lt.jit(step)];
    const ids = [0, 1, 2, 3].map(idsAt);
    let w = table();
    for (let i = 0; i < 500; i++) w = given(w, ids[i % 4]);
    const held = w.dataSync();
    const early = { heap: heapUsedAfterGc(), ...lt.kernelStats() };
    for (let i = 500; i < 10_000; i++) w = given(w, ids[i % 4]);
    const late = { heap: heapUsedAfterGc(), ...lt.kernelStats() };
    assert(late.heap - early.heap < 4e6, `heap grew by ${late.heap - early.heap} bytes`);
    assertEquals(late.wasmMemoryBytes, early.wasmMemoryBytes, "Wasm memory grew");
    assertEquals(late.rowUpdates - early.rowUpdates, 9500);
    assertEquals(late.hostWriteBacks, early.hostWriteBacks);
    assert(w.dataSync() === held, "the table got a new buffer");
    let v = table();
    for (let i = 0; i < 10_000; i++) v = plain(v, ids[i % 4]);
    assertEquals(bits(w.dataSync()), bits(v.dataSync()));
  });
});

describe("Heap.markStale", () => {
  it("writes a stale array back when read or forgotten, not when discarded, and keeps its copy", () => {
    const h = new Heap();
    const a = new Float32Array(2048);
    h.stage(a);
    const copy = () => h.view("float32", h.residentAt(a)!, a.length);
    copy()[5] = 7;
    assert(h.markStale(a));
    assertEquals([a[5], isHostStale(a)], [0, true]);
    syncHost(a);
    assertEquals([a[5], isHostStale(a), h.writeBacks], [7, false, 1]);
    // forgotten: written back first
    copy()[6] = 8;
    h.markStale(a);
    h.forget(a);
    assertEquals([a[6], h.residentAt(a), isHostStale(a)], [8, undefined, false]);
    // discarded: left as it is
    h.stage(a);
    copy()[7] = 9;
    h.markStale(a);
    h.forget(a, true);
    assertEquals([a[7], isHostStale(a), h.writeBacks], [0, false, 2]);
    // owned, outside the cache's budgets: newer copies over the probation budget (16 MiB) keep it
    const b = new Float32Array(1 << 20);
    const ptr = h.alloc(b.byteLength)!;
    h.adopt(b, ptr);
    h.view("float32", ptr, b.length)[3] = 5;
    assert(h.markStale(b));
    for (let i = 0; i < 5; i++) h.adopt(new Float32Array(1 << 20), h.alloc(4 << 20)!);
    assertEquals([h.residentAt(b), b[3], isHostStale(b)], [ptr, 0, true]);
    syncHost(b);
    assertEquals([h.residentAt(b), b[3], isHostStale(b), h.writeBacks], [ptr, 5, false, 3]);
    assert(!h.markStale(new Float32Array(2048)), "marked an array with no copy");
  });
});
