// The WGSL scatter-add (atomic adds) and argsort (merge sort) kernels of
// jit/_wgsl_order.ts: their passes as text with no GPU, then on WebGPU against
// the CPU kernels, with repeated targets, ties, NaN, and rows and update counts
// past 65,535 (lavapipe stops one invocation's loops there). The PyTorch
// fixtures run on webgpu in seq_order_test and seq_indexing_test.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import * as lt from "../mod.ts";
import { schedule } from "../jit/schedule.ts";
import { MAX_ITERATIONS, renderWgsl, type WgslPlan } from "../jit/codegen/wgsl/mod.ts";
import { gpuSuite } from "./_gpu.ts";

/** Deterministic integers in [lo, hi). */
function ints(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo));
  });
}

/** The plan of the one kernel of `kind` among those realizing `t` (nothing runs). */
function planOf(t: lt.Tensor, kind: "scatter" | "sort"): WgslPlan {
  const kernels = schedule([t.node]).filter((k) => k.kind === kind);
  assertEquals(kernels.length, 1, "kernels");
  return renderWgsl(kernels[0]);
}

describe("WGSL forms of scatterAdd and argsort (text)", () => {
  it("scatterAdd: zeros, then one atomic add per update (a compare-exchange loop for float32)", () => {
    const idx = lt.tensor([0, 2, 0, -1], { dtype: "int32" });
    const f32 = planOf(lt.scatterAdd(lt.zeros([3]), 0, idx, lt.tensor([1, 2, 3, 4])), "scatter");
    assertEquals(f32.passes.map((p) => p.write.kind), ["output", "output"]);
    assertStringIncludes(f32.passes[0].source, "lt_out[p] = 0u;");
    const add = f32.passes[1].source;
    assertStringIncludes(add, "var<storage, read_write> lt_out: array<atomic<u32>>;");
    assertStringIncludes(add, "atomicCompareExchangeWeak(&lt_out[");
    assert(f32.passes[1].checksIndex, "targets are checked");
    const i32 = planOf(
      lt.scatterAdd(
        lt.zeros([3], { dtype: "int32" }),
        0,
        idx,
        lt.tensor([1, 2, 3, 4], { dtype: "int32" }),
      ),
      "scatter",
    );
    assertStringIncludes(i32.passes[1].source, "atomicAdd(&lt_out[");
  });
  it("argsort: ⌈log₂ n⌉ merge passes, the last writing the output, each under the loop bound", () => {
    const n = 100_000;
    const plan = planOf(lt.argsort(lt.zeros([2, n])), "sort");
    assertEquals(plan.passes.length, 17);
    assertEquals(plan.passes[16].write, { kind: "output" });
    assertEquals(plan.scratch, [{ size: 2 * n, type: "i32" }]);
    plan.passes.forEach((p, s) => {
      assert(p.iterations <= MAX_ITERATIONS);
      assertEquals(p.write.kind, s % 2 === 0 ? "output" : "scratch");
      // the run length is a constant, so passes 1… share one pipeline
      assertEquals(Array.from(p.constants), s === 0 ? [] : [2 ** s]);
      if (s > 1) assertEquals(p.source, plan.passes[1].source);
    });
  });
});

gpuSuite("wgsl_order_test.ts", "adapter")("WGSL scatterAdd and argsort against the CPU", () => {
  const gpu = (t: lt.Tensor) => t.to("webgpu");
  const back = async (t: lt.Tensor) => Array.from(await t.data());

  it("argsort: rows of 70,001 with ties and NaN, both orders, equal to the CPU's", async () => {
    const n = 70_001;
    const values = ints(2 * n, 0, 1000, 7).map((v) => (v === 0 ? NaN : v / 8 - 50));
    const x = lt.tensor(values, { shape: [2, n] });
    for (const descending of [false, true]) {
      const want = Array.from(lt.argsort(x, { descending }).dataSync());
      const order = lt.argsort(gpu(x), { descending });
      assertEquals(lt.explain(order).kernels.map((k) => k.kind), ["sort"]);
      assertEquals(await back(order), want, `descending: ${descending}`);
    }
  });
  it("sort: int32, bool and a short odd row, values and indices, under jit too", async () => {
    const x = lt.tensor(ints(100_000, -40, 40, 3), { dtype: "int32" });
    const [values, indices] = lt.sort(gpu(x), { descending: true });
    const [cpuValues, cpuIndices] = lt.sort(x, { descending: true });
    assertEquals(await back(values), Array.from(cpuValues.dataSync()));
    assertEquals(await back(indices), Array.from(cpuIndices.dataSync()));
    const flags = lt.tensor(ints(37, 0, 2, 5), { dtype: "bool" });
    assertEquals(await back(lt.argsort(gpu(flags))), Array.from(lt.argsort(flags).dataSync()));
    const f = lt.jit((t: lt.Tensor) => lt.topk(t, 3)[1]);
    const y = lt.tensor([[5, 1, 5, 2, 9, 9, 0], [3, 3, 3, 3, 3, 3, 3]]);
    assertEquals(await back(f(gpu(y))), [4, 5, 0, 0, 1, 2]);
  });
  it("scatterAdd: 200,000 updates into 70,001 and into 7 targets, exact for integer values", async () => {
    const m = 200_000;
    const updates = lt.tensor(ints(m, -8, 8, 11));
    for (const size of [70_001, 7]) {
      const index = lt.tensor(ints(m, -size, size, size), { dtype: "int32" });
      const want = lt.scatterAdd(lt.zeros([size]), 0, index, updates);
      const got = lt.scatterAdd(gpu(lt.zeros([size])), 0, gpu(index), gpu(updates));
      // the scatter, then the add to x (no compare-and-sum over the targets)
      assertEquals(lt.explain(got).kernels.map((k) => k.kind), ["scatter", "loop"]);
      assertEquals(await back(got), Array.from(want.dataSync()), `size ${size}`);
      const asInt = updates.astype("int32");
      const wantInt = lt.scatterAdd(lt.zeros([size], { dtype: "int32" }), 0, index, asInt);
      const gotInt = lt.scatterAdd(
        gpu(lt.zeros([size], { dtype: "int32" })),
        0,
        gpu(index),
        gpu(asInt),
      );
      assertEquals(await back(gotInt), Array.from(wantInt.dataSync()), `int32 size ${size}`);
    }
  });
  it("scatterAdd: fractional float32 sums into few targets agree to float32 rounding", async () => {
    const m = 100_000;
    const updates = lt.tensor(ints(m, 0, 1 << 20, 13).map((v) => v / (1 << 20)));
    const index = lt.tensor(ints(m, 0, 3, 17), { dtype: "int32" });
    const want = Array.from(
      lt.scatterAdd(lt.zeros([3], { dtype: "float64" }), 0, index, updates.astype("float64"))
        .dataSync(),
    );
    const got = await back(lt.scatterAdd(gpu(lt.zeros([3])), 0, gpu(index), gpu(updates)));
    // ~33,000 adds of values below 1 in any order: within 1e-4 relative of the float64 sum
    got.forEach((g, i) => assert(Math.abs(g - want[i]) <= 1e-4 * want[i], `${g} vs ${want[i]}`));
  });
  it("names the op of an out-of-range target computed inside a kernel", async () => {
    const index = gpu(lt.tensor([0, 1], { dtype: "int32" })).add(2).reshape([2, 1]);
    const sum = lt.scatterAdd(gpu(lt.zeros([3, 1])), 0, index, gpu(lt.ones([2, 1])));
    await assertRejects(
      () => sum.data(),
      RangeError,
      "scatterAdd() index 3 is out of range for an axis of size 3",
    );
  });
  it("embedding gradients and vmap of scatterAdd run as one scatter kernel on webgpu", async () => {
    const table = lt.tensor(ints(50 * 4, -5, 5, 19), { shape: [50, 4] });
    const ids = lt.tensor([3, 7, 3, 3, 49, 0], { dtype: "int32" });
    const c = lt.arange(24).reshape([6, 4]);
    const loss = (w: lt.Tensor, i: lt.Tensor, t: lt.Tensor) => w.take(i, 0).mul(t).sum();
    const want = Array.from(lt.grad(loss)(table, ids, c).dataSync());
    const got = lt.grad(loss)(gpu(table), gpu(ids), gpu(c));
    assertEquals(lt.explain(got).kernels.filter((k) => k.kind === "scatter").length, 1);
    assertEquals(await back(got), want);
    const f = (u: lt.Tensor, i: lt.Tensor) => lt.scatterAdd(lt.zeros([3]), 0, i, u);
    const u = lt.tensor([[1, 2, 3], [4, 5, 6]]);
    const i = lt.tensor([[0, 0, 2], [1, 1, 1]], { dtype: "int32" });
    const batched = lt.vmap(f)(gpu(u), gpu(i));
    assertEquals(await back(batched), [3, 0, 3, 0, 15, 0]);
  });
});

gpuSuite("wgsl_order_test.ts", "f16")("WGSL scatterAdd on float16", () => {
  it("sums in f32 and rounds to half once", async () => {
    const updates = lt.tensor([1, 2048, 1, 0.5, -3], { dtype: "float16" });
    const index = lt.tensor([0, 0, 0, 1, 1], { dtype: "int32" });
    const got = lt.scatterAdd(
      lt.zeros([2], { dtype: "float16" }).to("webgpu"),
      0,
      index.to("webgpu"),
      updates.to("webgpu"),
    );
    // 2048 + 1 + 1 = 2050 exactly in f32, a half
    assertEquals(Array.from(await got.data()), [2050, -2.5]);
  });
});
