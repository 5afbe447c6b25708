// Scans and order (issue 15): cumsum, cumprod (zeros in the prefix),
// logCumSumExp (wide ranges), sort/argsort (stable, ties, NaN, descending),
// topk, against PyTorch float64 values, indices and gradients on the JS
// reference, the Wasm tier, under jit and on WebGPU where an adapter exists;
// finite differences; the argsort kernel; errors.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { checkCase, hasGpu, onTier, seqCases } from "./_seq_fixture.ts";

const ops = new Set(["cumsum", "cumprod", "logCumSumExp", "sort", "argsortAsValues", "topk"]);
const cases = seqCases.filter((c) => ops.has(c.op));

describe("scans and order against PyTorch float64", () => {
  it("covers every op of the fixture", () => {
    assertEquals(new Set(cases.map((c) => c.op)), ops);
  });
  for (const c of cases) {
    it(`${c.name}: float64 values, indices and gradients, eager and jit`, async () => {
      await checkCase(c, { dtype: "float64" });
      await checkCase(c, { dtype: "float64", jit: true });
    });
    it(`${c.name}: float32 on the js and wasm tiers`, async () => {
      await onTier("js", () => checkCase(c, { dtype: "float32" }));
      await onTier("wasm", () => checkCase(c, { dtype: "float32", jit: true }));
    });
    it(`${c.name}: float32 on webgpu`, { ignore: !hasGpu }, async () => {
      await checkCase(c, { dtype: "float32", device: "webgpu" });
    });
  }
});

describe("sort", () => {
  it("is one argsort kernel on the cpu and puts NaN last (first when descending)", () => {
    const x = lt.tensor([[2, NaN, -Infinity, 2, 1]]);
    const [values, indices] = lt.sort(x);
    assertEquals(lt.explain(indices).kernels.map((k) => k.kind), ["sort"]);
    assertEquals(values.toArray(), [[-Infinity, 1, 2, 2, NaN]]);
    assertEquals(indices.toArray(), [[2, 4, 0, 3, 1]]);
    assertEquals(lt.argsort(x, { descending: true }).toArray(), [[1, 0, 3, 4, 2]]);
    // torch's positional dim
    assertEquals(lt.sort(x, 1)[1].toArray(), [[2, 4, 0, 3, 1]]);
    assertEquals(lt.topk(lt.tensor([[1], [3], [2]]), 2, 0)[1].toArray(), [[1], [2]]);
  });
  it("orders NaN, infinities and ties the same on webgpu (the merge-sort kernel)", {
    ignore: !hasGpu,
  }, async () => {
    const x = lt.tensor([[2, NaN, -Infinity, 2, 1]]).to("webgpu");
    assertEquals(Array.from(await lt.argsort(x).data()), [2, 4, 0, 3, 1]);
    assertEquals(Array.from(await lt.argsort(x, { descending: true }).data()), [1, 0, 3, 4, 2]);
  });
  it("sorts 0-d and empty tensors, and int32 data", () => {
    assertEquals(lt.sort(lt.tensor(3))[0].toArray(), 3);
    assertEquals(lt.sort(lt.zeros([2, 0]))[1].shape, [2, 0]);
    const ints = lt.tensor([3, -1, 2], { dtype: "int32" });
    assertEquals(lt.sort(ints, { descending: true })[0].toArray(), [3, 2, -1]);
  });
  it("has gradients that match finite differences", () => {
    const x = lt.random.normal(lt.random.key(4), [3, 5]);
    checkGrads((x) => lt.sort(x, { axis: 0 })[0].mul(lt.arange(15).reshape([3, 5])), [x]);
    checkGrads((x) => lt.topk(x, 2)[0].square(), [x], { order: 2 });
    checkGrads((x) => lt.cumsum(x, 1).square(), [x], { order: 2 });
    checkGrads((x) => lt.cumprod(x, 0), [x], { order: 2 });
    checkGrads((x) => lt.logCumSumExp(x, -1), [x], { order: 2 });
  });
});

describe("order and scan errors", () => {
  it("say what was expected, what came and how to fix it", () => {
    const x = lt.zeros([2, 3]);
    assertThrows(
      () => lt.topk(x, 4),
      RangeError,
      "topk() expected k to be an integer from 0 to the axis size 3: found 4",
    );
    assertThrows(() => lt.sort(x, { axis: 2 }), RangeError, "sort()");
    assertThrows(() => lt.sort(x, { dim: 1 } as never), TypeError, "sort()");
    // @ts-expect-error: torch's dim is required
    assertThrows(() => lt.cumsum(x), TypeError, "cumsum() expected one axis");
  });
});
