// jit(f, { donate }) (jit/api/_donate.ts, jit/_donation.ts, jit/runtime/cpu/program.ts): outputs
// written into donated arguments' buffers where liveness allows, bit-equal to the undonated run,
// donated tensors invalid after the call, and the alias refused where it would be unsafe.
import { afterEach, describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { init, loss, type Params } from "./_donate_mlp.ts";
import { adam, applyUpdates, type OptimizerState } from "../nn/optim.ts";
import { heapUsedAfterGc } from "../test_util/runtime.ts";

const DONATED = "Cannot use this tensor: it was donated to a jitted function (jit option donate, " +
  "argument args[0].w1), which may have written its results into the tensor's buffer: " +
  "use the function's results instead, or do not donate the argument";

/** An Adam train step over params and state, jitted with or without donating both. */
function trainer(donate: boolean) {
  const opt = adam(0.01);
  const step = (p: Params, s: OptimizerState, x: lt.Tensor, y: lt.Tensor) => {
    const grads = lt.grad(loss)(p, x, y);
    const [updates, next] = opt.update(grads, s, p);
    return [applyUpdates(p, updates), next] as const;
  };
  return { opt, step: lt.jit(step, donate ? { donate: [0, 1] } : {}) };
}

function bits(t: lt.Tensor): number[] {
  return Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
}

for (const tier of ["wasm", "js"] as const) {
  describe(`jit donate (${tier})`, () => {
    afterEach(() => lt.setCpuBackend("wasm"));

    it("an Adam MLP step with donated params and state is bit-equal and reuses their buffers", () => {
      lt.setCpuBackend(tier);
      const x = lt.random.normal(lt.random.key(1), [64, 16]);
      const y = lt.random.normal(lt.random.key(2), [64, 4]);
      const [plain, given] = [trainer(false), trainer(true)];
      let [p, s] = [init(), plain.opt.init(init())];
      let [q, t] = [init(), given.opt.init(init())];
      const buffer = () => q.w1.dataSync();
      for (let i = 0; i < 5; i++) {
        [p, s] = plain.step(p, s, x, y);
        const [old, before] = [q, buffer()];
        [q, t] = given.step(q, t, x, y);
        // w1's update is written into the donated w1
        assert(buffer() === before, `step ${i}: w1 got a new buffer`);
        assertThrows(() => old.w1.add(1), Error, DONATED);
      }
      for (const k of ["w1", "b1", "w2", "b2"] as const) assertEquals(bits(q[k]), bits(p[k]), k);
      assertEquals(lt.tree.leaves(t).map(bits), lt.tree.leaves(s).map(bits));
      assert(loss(q, x, y).item() < loss(init(), x, y).item());
    });

    it("refuses the alias while a later kernel still reads the donated argument", () => {
      lt.setCpuBackend(tier);
      const f = lt.jit((w: lt.Tensor) => [w.mul(2), w.mul(3)], { donate: [0] });
      const w = lt.arange(0, 12).reshape([3, 4]);
      const buffer = w.dataSync();
      const [a, b] = f(w);
      // the first output's kernel runs before w's last reader: only the second takes w's buffer
      assertEquals(a.toArray(), lt.arange(0, 12).mul(2).reshape([3, 4]).toArray());
      assertEquals(b.toArray(), lt.arange(0, 12).mul(3).reshape([3, 4]).toArray());
      assert(a.dataSync() !== buffer && b.dataSync() === buffer);
    });

    it("refuses the alias when the kernel reads the argument at other elements", () => {
      lt.setCpuBackend(tier);
      const w = lt.arange(0, 16).reshape([4, 4]);
      const x = lt.arange(0, 16).reshape([4, 4]).mul(0.1);
      const want = [
        w.transpose().mul(2).toArray(),
        w.add(x.softmax(-1)).toArray(),
        w.add(w.sum(1, true)).toArray(),
      ];
      const fs = [
        (w: lt.Tensor) => w.transpose().mul(2),
        (w: lt.Tensor) => w.add(x.softmax(-1)),
        (w: lt.Tensor) => w.add(w.sum(1, true)),
      ];
      fs.forEach((f, i) => {
        const given = lt.arange(0, 16).reshape([4, 4]);
        assertEquals(lt.jit(f, { donate: [0] })(given).toArray(), want[i], `case ${i}`);
      });
    });
  });
}

/** An embedding's SGD step, its gradient a scatter-add into the rows used. */
function embeddingStep(vocab: number, lr: number) {
  const ids = lt.random.randint(lt.random.key(1), [4, 16], 0, Math.min(vocab, 24));
  const target = lt.random.normal(lt.random.key(2), [4, 16, 8]);
  const rowsLoss = (rows: lt.Tensor) => rows.sub(target).square().mean();
  return (w: lt.Tensor) => w.sub(lt.grad((w: lt.Tensor) => rowsLoss(w.take(ids, 0)))(w).mul(lr));
}

/** A table with some -0 entries (an untouched row must keep them, as `w + -lr·0` does). */
function table(vocab: number): lt.Tensor {
  const values = lt.random.normal(lt.random.key(3), [vocab, 8]).dataSync().slice();
  for (let i = 0; i < values.length; i += 5) values[i] = -0;
  return lt.tensor(values).reshape([vocab, 8]);
}

for (const tier of ["wasm", "js"] as const) {
  describe(`jit donate: embedding update (${tier})`, () => {
    afterEach(() => lt.setCpuBackend("wasm"));

    it("adds into the donated table's rows used, bit-equal to the whole-table update", () => {
      lt.setCpuBackend(tier);
      for (const lr of [0.1, -0.1]) {
        const [given, plain] = [
          lt.jit(embeddingStep(500, lr), { donate: [0] }),
          lt.jit(embeddingStep(500, lr)),
        ];
        let [w, v] = [table(500), table(500)];
        const buffer = w.dataSync();
        for (let i = 0; i < 6; i++) {
          const rows = lt.kernelStats().rowUpdates;
          w = given(w);
          v = plain(v);
          // only the rows used are written; for lr < 0, G(0) = +0: the whole table is
          assertEquals(lt.kernelStats().rowUpdates - rows, lr > 0 ? 1 : 0, `lr ${lr}`);
        }
        assert(w.dataSync() === buffer, "the table got a new buffer");
        assertEquals(bits(w), bits(v), `lr ${lr}`);
      }
    });
  });
}

describe("jit donate", () => {
  it("throws for an index out of range in a donated embedding step, and later steps stay exact", () => {
    const target = lt.random.normal(lt.random.key(2), [4, 16, 8]);
    const step = (w: lt.Tensor, ids: lt.Tensor) =>
      w.sub(lt.grad((w: lt.Tensor) => w.take(ids, 0).sub(target).square().mean())(w).mul(0.1));
    const [given, plain] = [lt.jit(step, { donate: [0] }), lt.jit(step)];
    const ids = lt.random.randint(lt.random.key(1), [4, 16], 0, 24);
    const bad = lt.tensor(Int32Array.from({ length: 64 }, (_, i) => i === 40 ? 99 : i % 24), {
      shape: [4, 16],
    });
    let [w, v] = [table(50), table(50)];
    w = given(w, ids);
    v = plain(v, ids);
    assertThrows(() => given(w, bad), RangeError, "99");
    // the failed call (its lookup traps first) wrote no row
    for (let i = 0; i < 3; i++) [w, v] = [given(w, ids), plain(v, ids)];
    assertEquals(bits(w), bits(v));
  });

  it("writes nothing into a buffer passed twice or closed over", () => {
    const w = lt.arange(0, 8);
    const twice = lt.jit((a: lt.Tensor, b: lt.Tensor) => a.add(b), { donate: [0] });
    assertEquals(twice(w, w).toArray(), lt.arange(0, 8).mul(2).toArray());
    const c = lt.tensor([0, 1, 2, 3, 4, 5, 6, 7]);
    const closed = lt.jit((a: lt.Tensor) => a.add(c), { donate: [0] });
    assertEquals(closed(c).toArray(), lt.arange(0, 8).mul(2).toArray());
    // the constant the program captured kept its values (the same program runs: no retrace)
    assertEquals(closed(lt.tensor(new Float32Array(8))).toArray(), lt.arange(0, 8).toArray());
    assertEquals(closed.compileCount, 1);
  });

  it("updates the rows used of a donated float64 table (in JS), bit-equal", () => {
    const ids = lt.random.randint(lt.random.key(1), [4, 16], 0, 24);
    const target = lt.random.normal(lt.random.key(2), [4, 16, 8]).astype("float64");
    const rowsLoss = (w: lt.Tensor) => w.take(ids, 0).sub(target).square().mean();
    const step = (w: lt.Tensor) => w.sub(lt.grad(rowsLoss)(w).mul(0.1));
    const [given, plain] = [lt.jit(step, { donate: [0] }), lt.jit(step)];
    let [w, v] = [table(500).astype("float64"), table(500).astype("float64")];
    const rows = lt.kernelStats().rowUpdates;
    for (let i = 0; i < 4; i++) [w, v] = [given(w), plain(v)];
    assertEquals(lt.kernelStats().rowUpdates - rows, 4);
    assertEquals(Array.from(w.dataSync()).map(String), Array.from(v.dataSync()).map(String));
    assert(Object.is(w.dataSync()[495 * 8 + 0], -0), "an untouched -0 stays -0");
  });

  it("writes no donated buffer under debugNans (its check reads each kernel's inputs after it)", () => {
    const step = lt.jit((w: lt.Tensor) => w.mul(2), { donate: [0] });
    const w = lt.arange(0, 8);
    const buffer = w.dataSync();
    const before = lt.debugNans(true);
    try {
      assertEquals(step(w).toArray(), lt.arange(0, 8).mul(2).toArray());
      assertEquals(Array.from(buffer), Array.from({ length: 8 }, (_, i) => i));
    } finally {
      lt.debugNans(before);
    }
  });

  it("donates by key path, and returns a donated argument passed through as a new tensor", () => {
    const f = lt.jit((p: Params, x: lt.Tensor) => ({ ...p, w1: p.w1.add(x) }), {
      donate: (path) => path === "args[0].w1" || path === "args[0].b2",
    });
    const p = init();
    const [w1, b2, b1] = [p.w1.toArray(), p.b2.toArray(), p.b1];
    const out = f(p, lt.ones([16, 32]));
    assertEquals(out.w1.toArray(), lt.tensor(w1).add(1).toArray());
    assertEquals(out.b2.toArray(), b2);
    assertThrows(() => p.w1.dataSync(), Error, DONATED);
    assertThrows(() => p.b2.add(1), Error, "argument args[0].b2");
    assert(out.b1 === b1, "an undonated argument passed through stays the same tensor");
  });

  it("names bad positions", () => {
    const f = lt.jit((a: lt.Tensor, n: number) => a.mul(n), { donate: [1], staticArgnums: [1] });
    assertThrows(
      () => f(lt.ones([2]), 3),
      RangeError,
      "jit() option donate expected positions of traced arguments: found 1, but the call has 2 " +
        "argument(s) and 1 static: name only positions the function is called with, and not " +
        "static ones",
    );
    const g = lt.jit((a: lt.Tensor) => a.mul(2), { donate: [2] });
    assertThrows(() => g(lt.ones([2])), RangeError, "found 2, but the call has 1 argument(s):");
  });

  it("runs 10,000 donated steps in flat memory, writing the same buffers", () => {
    const n = 1 << 16;
    const step = lt.jit(
      (s: { w: lt.Tensor; m: lt.Tensor }, g: lt.Tensor) => {
        const m = s.m.mul(0.9).add(g);
        return { w: s.w.sub(m.mul(1e-3)), m };
      },
      { donate: [0] },
    );
    let s = { w: lt.ones([n]), m: lt.zeros([n]) };
    const g = lt.ones([n]).mul(0.5);
    for (let i = 0; i < 500; i++) s = step(s, g);
    const buffers = [s.w.dataSync(), s.m.dataSync()];
    const early = { heap: heapUsedAfterGc(), ...lt.kernelStats() };
    for (let i = 0; i < 9500; i++) s = step(s, g);
    const late = { heap: heapUsedAfterGc(), ...lt.kernelStats() };
    assert(late.heap - early.heap < 4e6, `heap grew by ${late.heap - early.heap} bytes`);
    assert(late.wasmMemoryBytes === early.wasmMemoryBytes, "Wasm memory grew");
    assert(s.w.dataSync() === buffers[0] && s.m.dataSync() === buffers[1], "new buffers");
    // closed form in float64: m_k = 5 (1 - 0.9^k), w -= 1e-3 m_k
    let [w, m] = [1, 0];
    for (let i = 0; i < 10_000; i++) w -= 1e-3 * (m = 0.9 * m + 0.5);
    assert(Math.abs(s.w.dataSync()[0] - w) < 1e-2 * Math.abs(w), `${s.w.dataSync()[0]} vs ${w}`);
    assertEquals(s.w.dataSync()[n - 1], s.w.dataSync()[0]);
  });
});
