// Attention (issue 15): scaledDotProductAttention (masks, causal, scale),
// torch's nn.MultiheadAttention layer with its own weights and parameter
// names, and layerNorm as a function, against PyTorch float64 values and
// gradients on the JS reference, the Wasm tier, under jit and on WebGPU
// where an adapter exists; fusion; errors.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { multiHeadAttention } from "../nn/mod.ts";
import { assertAllClose, checkGrads } from "../testing/mod.ts";
import { checkEveryTier, seqCases } from "./_seq_fixture.ts";

const ops = new Set(["sdpa", "mha", "layerNorm"]);
const cases = seqCases.filter((c) => ops.has(c.op));

describe("attention against PyTorch float64", () => {
  it("covers every op of the fixture", () => {
    assertEquals(new Set(cases.map((c) => c.op)), ops);
  });
  for (const c of cases) {
    it(`${c.name}: float64 eager and jit, float32 on js, wasm and webgpu`, async () => {
      await checkEveryTier(c);
    });
  }
});

describe("scaledDotProductAttention", () => {
  it("fuses the scale and the causal mask into the softmax and matmul kernels (composed form)", () => {
    const q = lt.random.normal(lt.random.key(1), [2, 16, 8]);
    const k = lt.random.normal(lt.random.key(2), [2, 16, 8]);
    for (const t of [q, k]) t.dataSync();
    const ks = lt.explain(lt.scaledDotProductAttention(q, k, k, { causal: true, fused: false }))
      .kernels;
    const text = ks.map((x) => `${x.kind}: ${x.ops.join(",")}`).join(" | ");
    // no kernel only builds the mask or scales: they fuse into reductions and matmul epilogues
    assertEquals(
      ks.every((x) => x.kind === "matmul" || x.ops.some((o) => o.startsWith("reduce"))),
      true,
      text,
    );
    assertEquals(ks.length <= 5, true, text);
  });
  it("has gradients that match finite differences, causal and masked", () => {
    const [q, k, v] = [1, 2, 3].map((s) => lt.random.normal(lt.random.key(s), [2, 3, 4]));
    const mask = lt.tensor([[true, false, true], [true, true, false], [false, true, true]]);
    checkGrads((q, k, v) => lt.scaledDotProductAttention(q, k, v, { causal: true }), [q, k, v]);
    checkGrads(
      (q, k, v) => lt.scaledDotProductAttention(q, k, v, { mask, scale: 0.7 }),
      [q, k, v],
      {
        order: 2,
      },
    );
  });
  it("has gradients that match finite differences in query row blocks (causal and float mask)", () => {
    const [q, k] = [1, 2].map((s) => lt.random.normal(lt.random.key(s), [130, 2]));
    const v = lt.random.normal(lt.random.key(3), [130, 1]);
    checkGrads((q, k, v) => lt.scaledDotProductAttention(q, k, v, { causal: true }), [q, k, v]);
    const qs = lt.random.normal(lt.random.key(4), [260, 2]);
    const m = lt.random.normal(lt.random.key(5), [260, 1]);
    checkGrads((q, k, v) => lt.scaledDotProductAttention(q, k, v, { mask: m }), [qs, k, v]);
  });
  it("writes one query block's scores at a time under jit on the CPU, not [..., L, S] (composed form)", () => {
    const [b, h, l, e] = [2, 2, 256, 8];
    const [q, k, v] = [1, 2, 3].map((s) => lt.random.normal(lt.random.key(s), [b, h, l, e]));
    const scoresBytes = b * h * l * l * 4;
    // the unblocked composition, written out: its scores are live whole
    const whole = (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor, causal: boolean) => {
      let s = lt.matmul(q, k.transpose(-2, -1)).mul(1 / Math.sqrt(e));
      if (causal) s = lt.where(lt.tril(lt.ones([l, l], { dtype: "bool" })), s, -Infinity);
      return lt.matmul(lt.softmax(s, -1), v);
    };
    for (const causal of [true, false]) {
      const want = lt.jit((q, k, v) => whole(q, k, v, causal))(q, k, v);
      const wholePeak = lt.kernelStats().programPeakBytes;
      const got = lt.jit((q, k, v) =>
        lt.scaledDotProductAttention(q, k, v, { causal, fused: false })
      )(q, k, v);
      const peak = lt.kernelStats().programPeakBytes;
      assertAllClose(got, want, { rtol: 1e-5, atol: 1e-6 });
      assertEquals(wholePeak >= scoresBytes, true, `${wholePeak}`);
      // causal: 64-row blocks (the last one sees all 256 keys); otherwise 128-row blocks
      assertEquals(
        peak <= (causal ? 0.4 : 0.65) * scoresBytes,
        true,
        `${causal}: ${peak} vs ${scoresBytes}`,
      );
    }
  });
  it("gives NaN rows where every key is masked, as torch", () => {
    const x = lt.ones([2, 2]);
    const out = lt.scaledDotProductAttention(x, x, x, {
      mask: lt.tensor([[false, false], [true, true]]),
    });
    assertEquals(out.toArray(), [[NaN, NaN], [1, 1]]);
  });
  it("rejects mismatched shapes and bad options", () => {
    assertThrows(
      () => lt.scaledDotProductAttention(lt.ones([3, 4]), lt.ones([5, 3]), lt.ones([5, 2])),
      RangeError,
      "scaledDotProductAttention() expected q [..., L, E], k [..., S, E] and v [..., S, Ev]: found q [3, 4], k [5, 3], v [5, 2]",
    );
    assertThrows(
      () =>
        lt.scaledDotProductAttention(lt.ones([3, 4]), lt.ones([3, 4]), lt.ones([3, 4]), {
          isCausal: true,
        } as never),
      TypeError,
      "scaledDotProductAttention()",
    );
    assertThrows(
      () => lt.layerNorm(lt.ones([2, 3]), [2]),
      RangeError,
      "layerNorm() expected an input ending in the normalized shape [2]: found [2, 3]",
    );
  });
});

describe("multiHeadAttention", () => {
  it("uses torch's parameter names and shapes", () => {
    const p = multiHeadAttention(8, 2).init(lt.random.key(0));
    assertEquals(Object.keys(p).sort(), ["in_proj_bias", "in_proj_weight", "out_proj"]);
    assertEquals([p.in_proj_weight.shape, p.in_proj_bias!.shape], [[24, 8], [24]]);
    assertEquals([p.out_proj.weight.shape, p.out_proj.bias!.shape], [[8, 8], [8]]);
    assertEquals(p.in_proj_bias!.abs().sum().item(), 0);
  });
  it("attends across sequences with attend(), and says when heads do not divide", () => {
    const mha = multiHeadAttention(4, 2);
    const p = mha.init(lt.random.key(1));
    const out = mha.attend(p, lt.ones([2, 3, 4]), lt.ones([2, 5, 4]), lt.ones([2, 5, 4]));
    assertEquals(out.shape, [2, 3, 4]);
    assertThrows(
      () => multiHeadAttention(6, 4),
      RangeError,
      "multiHeadAttention() expected numHeads to divide embedDim: found embedDim 6 and numHeads 4",
    );
  });
});
