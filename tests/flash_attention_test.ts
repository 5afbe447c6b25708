// The fused (flash) attention primitive (core/ops/attention.ts, issue 15): the PyTorch float64
// attention fixtures through the fused kernels on every tier (the JS form, the BLAS tiles, the
// JS form on the Wasm tier without BLAS, WGSL), checkGrads (second order through the composed
// form), vmap, programs that never hold the [..., L, S] scores, the WGSL passes that keep
// lavapipe's 65,535-iteration limit with 4,096 keys, the default rule, and errors.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertAllClose, checkGrads } from "../testing/mod.ts";
import { checkCase, checkEveryTier, hasGpu, onTier, seqCases } from "./_seq_fixture.ts";
import { schedule } from "../jit/schedule.ts";
import { MAX_ITERATIONS, renderWgsl } from "../jit/codegen/wgsl/mod.ts";
import { CPU_FUSED_SCORES, CPU_TILED_SCORES } from "../core/_flash.ts";

const cases = seqCases.filter((c) => c.op === "sdpa").map((c) => ({ ...c, op: "sdpaFused" }));
const normal = (seed: number, shape: number[], dtype: lt.DType = "float32") =>
  lt.random.normal(lt.random.key(seed), shape, { dtype });

describe("fused attention against PyTorch float64", () => {
  for (const c of cases) {
    it(`${c.name}: float64 eager and jit, float32 on js, wasm (BLAS tiles) and webgpu`, async () => {
      await checkEveryTier(c);
    });
  }
  it("runs the Wasm tiles (float32) and the JS form (float64) where BLAS is off", async () => {
    lt.setCpuBackend("wasm", { blas: false });
    try {
      const q = lt.ones([2, 3, 4]);
      const tier = (t: lt.Tensor) =>
        lt.explain(lt.scaledDotProductAttention(t, t, t, { fused: true })).kernels
          .find((x) => x.kind === "attention")?.backend;
      assertEquals([tier(q), tier(q.cast("float64"))], ["wasm", "js"]);
      for (const c of cases) {
        await checkCase(c, { dtype: "float64" });
        await checkCase(c, { dtype: "float32" });
        await checkCase(c, { dtype: "float32", jit: true });
      }
    } finally {
      lt.setCpuBackend("wasm");
    }
  });
  it("runs those cases as one attention kernel, not a matmul of the scores", async () => {
    const q = normal(1, [2, 3, 4]);
    const k = normal(2, [2, 5, 4]);
    const v = normal(3, [2, 5, 3]);
    const mask = lt.tensor([[true, false, true, true, true]]);
    const devices: lt.Device[] = hasGpu ? ["cpu", "webgpu"] : ["cpu"];
    for (const device of devices) {
      const [qd, kd, vd, md] = [q, k, v, mask].map((t) => t.to(device));
      const out = lt.scaledDotProductAttention(qd, kd, vd, { mask: md, fused: true });
      const kinds = lt.explain(out).kernels.map((x) => x.kind);
      assert(kinds.includes("attention") && !kinds.includes("matmul"), `${device}: ${kinds}`);
    }
    await onTier("js", () => {
      const out = lt.scaledDotProductAttention(q, k, v, { causal: true, fused: true });
      assertEquals(lt.explain(out).kernels.find((x) => x.kind === "attention")?.backend, "js");
      return Promise.resolve();
    });
  });
});

describe("fused attention gradients", () => {
  it("match finite differences: causal, bool mask, float mask, L ≠ S (second order composed)", () => {
    const [q, k, v] = [1, 2, 3].map((s) => normal(s, [2, 3, 4], "float64"));
    const mask = lt.tensor([[true, false, true], [true, true, false], [false, true, true]]);
    const fused = (o: lt.AttentionOptions) => (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) =>
      lt.scaledDotProductAttention(q, k, v, { ...o, fused: true });
    checkGrads(fused({ causal: true }), [q, k, v]);
    checkGrads(fused({ mask, scale: 0.7 }), [q, k, v], { order: 2 });
    const m = normal(4, [3, 1], "float64");
    checkGrads(
      (q, k, v, m) => lt.scaledDotProductAttention(q, k, v, { mask: m, fused: true }),
      [q, k, v, m],
    );
    const [qs, ks, vs] = [normal(5, [70, 2], "float64"), normal(6, [300, 2], "float64")].concat(
      normal(7, [300, 3], "float64"),
    );
    checkGrads(fused({ causal: true }), [qs, ks, vs]);
  });
  it("vmaps like the loop over examples", () => {
    const [q, k, v] = [1, 2, 3].map((s) => normal(s, [3, 2, 5, 4]));
    const mask = lt.tensor([true, true, false, true, true]);
    const f = (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) =>
      lt.scaledDotProductAttention(q, k, v, { mask, causal: true, fused: true });
    const batched = lt.vmap(f, { inAxes: [0, 0, null] })(q, k, v.slice(0));
    const looped = lt.stack([0, 1, 2].map((i) => f(q.slice(i), k.slice(i), v.slice(0))));
    assertAllClose(batched, looped, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe("fused attention memory", () => {
  it("never holds the [..., L, S] scores under jit, forward or gradient", () => {
    const [b, h, l, e] = [2, 2, 256, 8];
    const [q, k, v] = [1, 2, 3].map((s) => normal(s, [b, h, l, e]));
    const scoresBytes = b * h * l * l * 4;
    for (const causal of [true, false]) {
      const f = (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) =>
        lt.scaledDotProductAttention(q, k, v, { causal, fused: true });
      lt.jit(f)(q, k, v).dataSync();
      const forward = lt.kernelStats().programPeakBytes;
      const g = lt.grad((q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) => f(q, k, v).square().sum(), {
        argnums: [0, 1, 2],
      });
      lt.jit((q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) => lt.stack(g(q, k, v) as lt.Tensor[]))(
        q,
        k,
        v,
      ).dataSync();
      const backward = lt.kernelStats().programPeakBytes;
      // inputs, outputs and the packed output with its log-sum-exps: 0.17 and 0.5 of the scores
      assert(forward < 0.25 * scoresBytes, `${causal} forward: ${forward} vs ${scoresBytes}`);
      assert(backward < 0.6 * scoresBytes, `${causal} gradient: ${backward} vs ${scoresBytes}`);
      const composed = lt.jit((q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) =>
        lt.scaledDotProductAttention(q, k, v, { causal, fused: false })
      );
      composed(q, k, v).dataSync();
      // the check can fail: the composed form holds a block of scores or more
      assert(lt.kernelStats().programPeakBytes > forward, "composed peak");
    }
  });
  it("writes no kernel output of L × S elements, on every device", () => {
    const [q, k, v] = [1, 2, 3].map((s) => normal(s, [2, 64, 4]));
    for (const device of hasGpu ? ["cpu", "webgpu"] as const : ["cpu"] as const) {
      const [qd, kd, vd] = [q, k, v].map((t) => t.to(device));
      const f = (q: lt.Tensor) =>
        lt.scaledDotProductAttention(q, kd, vd, { causal: true, fused: true }).square().sum();
      const ks = lt.explain(lt.grad(f)(qd)).kernels;
      const biggest = Math.max(...ks.map((x) => x.shape.reduce((a, d) => a * d, 1)));
      assert(biggest < 64 * 64, `${device}: ${ks.map((x) => `${x.kind}[${x.shape}]`)}`);
    }
  });
});

describe("fused attention on WebGPU with 4,096 keys", () => {
  it("splits the keys (and queries) into passes under the iteration limit", () => {
    const [q, k, v] = [1, 2, 3].map((s) => normal(s, [1, 4096, 4]));
    const out = lt.scaledDotProductAttention(q, k, v, { fused: true });
    const g = lt.grad((q: lt.Tensor) =>
      lt.scaledDotProductAttention(q, k, v, { fused: true }).sum()
    )(q);
    for (const t of [out, g]) {
      const ks = schedule([t.node]).filter((x) => x.kind === "attention");
      assert(ks.length > 0);
      for (const kernel of ks) {
        const passes = renderWgsl(kernel).passes;
        assert(passes.length > 2, `${kernel.attention!.part}: ${passes.length} passes`);
        assert(passes.every((p) => p.iterations <= MAX_ITERATIONS));
      }
    }
  });
  it("matches the CPU's fused kernels on lavapipe (values and gradients)", async () => {
    if (!hasGpu) return;
    for (const causal of [false, true]) {
      const [q, k, v] = [1, 2, 3].map((s) => normal(s, [1, 4096, 4]));
      const ct = normal(4, [1, 4096, 4]);
      const both = (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) => {
        const f = (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) =>
          lt.scaledDotProductAttention(q, k, v, { causal, fused: true });
        const grads = lt.grad(
          (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) => f(q, k, v).mul(ct.to(q.device)).sum(),
          { argnums: [0, 1, 2] },
        )(q, k, v) as lt.Tensor[];
        return [f(q, k, v), ...grads];
      };
      const want = both(q, k, v);
      const got = both(
        ...[q, k, v].map((t) => t.to("webgpu")) as [lt.Tensor, lt.Tensor, lt.Tensor],
      );
      for (const [i, t] of got.entries()) {
        const values = lt.tensor(await t.data(), { shape: t.shape });
        assertAllClose(values, want[i], { rtol: 1e-4, atol: 2e-5, msg: `${causal} output ${i}` });
      }
    }
  });
});

describe("scaledDotProductAttention's fused rule", () => {
  it("takes the fused kernels on the CPU from 4,096 scores with BLAS, 2^24 without", () => {
    const kinds = (l: number, s: number) => {
      const q = lt.zeros([1, l, 2]);
      const k = lt.zeros([1, s, 2]);
      return lt.explain(lt.scaledDotProductAttention(q, k, k)).kernels.map((x) => x.kind);
    };
    assertEquals([CPU_TILED_SCORES, CPU_FUSED_SCORES], [4096, 2 ** 24]);
    assert(!kinds(32, 64).includes("attention"));
    assertEquals(kinds(64, 64).includes("attention"), lt.blasLibrary() !== undefined);
    assert(kinds(4096, 4096).includes("attention"));
    lt.setCpuBackend("wasm", { blas: false });
    try {
      assert(!kinds(64, 64).includes("attention"));
      assert(kinds(4096, 4096).includes("attention"));
    } finally {
      lt.setCpuBackend("wasm");
    }
  });
  it("says why the fused kernels do not apply when asked for them", () => {
    const x = lt.ones([2, 3, 4]);
    assertThrows(
      () => lt.scaledDotProductAttention(x, x, x.cast("float64"), { fused: true }),
      TypeError,
      "scaledDotProductAttention() with fused: true cannot use the fused kernels: q, k and v differ in dtype: pass fused: false (or leave it out) for the composed form",
    );
    assertThrows(
      () =>
        lt.scaledDotProductAttention(x, lt.ones([1, 3, 4]), lt.ones([1, 3, 4]), { fused: true }),
      TypeError,
      "the leading axes of q, k and v differ (broadcast)",
    );
    // the default falls back to the composed form there
    assertEquals(lt.scaledDotProductAttention(x, lt.ones([1, 3, 4]), lt.ones([1, 3, 4])).shape, [
      2,
      3,
      4,
    ]);
  });
});
