// Indexing for sequence models (issue 15): gather, scatter, scatterAdd,
// indexSelect, indexAdd, maskedFill, where with broadcast masks, tril/triu,
// diagonal, trace and embedding against PyTorch float64 (values and
// gradients) on the JS reference, the Wasm tier, under jit, and on WebGPU
// where an adapter exists; finite differences; the scatterAdd kernel; errors.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { checkCase, hasGpu, onTier, seqCases } from "./_seq_fixture.ts";

const indexing = new Set([
  "gather",
  "scatterAdd",
  "scatter",
  "scatterValue",
  "indexSelect",
  "indexAdd",
  "maskedFill",
  "maskedSelect",
  "where",
  "tril",
  "triu",
  "diagonal",
  "trace",
  "embedding",
]);
const cases = seqCases.filter((c) => indexing.has(c.op));
const i32 = (v: unknown) => lt.tensor(v as number[], { dtype: "int32" });

describe("indexing ops against PyTorch float64", () => {
  it("covers every op of the fixture", () => {
    assertEquals(new Set(cases.map((c) => c.op)), indexing);
  });
  for (const c of cases) {
    it(`${c.name}: float64 values and gradients, eager and jit`, async () => {
      await checkCase(c, { dtype: "float64" });
      // maskedSelect's shape depends on values: eager only (its jit error is tested below)
      if (c.op !== "maskedSelect") await checkCase(c, { dtype: "float64", jit: true });
    });
    it(`${c.name}: float32 on the js and wasm tiers`, async () => {
      await onTier("js", () => checkCase(c, { dtype: "float32" }));
      await onTier("wasm", () => checkCase(c, { dtype: "float32", jit: c.op !== "maskedSelect" }));
    });
    it(`${c.name}: float32 on webgpu`, { ignore: !hasGpu }, async () => {
      await checkCase(c, { dtype: "float32", device: "webgpu" });
    });
  }
});

describe("scatterAdd", () => {
  it("is a scatter kernel on the cpu reading its updates from a buffer made by the fast tiers", () => {
    const src = lt.ones([4, 3]);
    const out = lt.scatterAdd(
      lt.zeros([5, 3]),
      0,
      i32([[4, 4, 4], [0, 1, 2], [4, 4, 4], [0, 0, 0]]),
      src.mul(2),
    );
    const kinds = lt.explain(out).kernels.map((k) => `${k.kind}:${k.ops.join(",")}`);
    assertEquals(kinds.slice(0, 2), ["loop:mul", "scatter:scatterAdd"]);
    assertEquals(out.toArray(), [[4, 2, 2], [0, 2, 0], [0, 0, 2], [0, 0, 0], [4, 4, 4]]);
  });
  it("gives embedding's gradient as one scatter kernel on the cpu", () => {
    const w = lt.ones([1000, 4]);
    const ids = i32([[3, 999], [3, 0]]);
    const g = lt.explain(lt.grad((w: lt.Tensor) => w.take(ids, 0).sum()), w);
    // the cotangent rows, the scatter into zeros of the table, the table-shaped result: no
    // kernel compares indices with all 1000 rows
    assertEquals(g.kernels.map((k) => `${k.kind}:${k.ops}`), [
      "loop:",
      "scatter:scatterAdd",
      "loop:",
    ]);
    const got = lt.grad((w: lt.Tensor) => w.take(ids, 0).sum())(w);
    assertEquals(got.slice([0, 5]).sum(1).toArray(), [4, 0, 0, 8, 0]);
    assertEquals(got.sum().item(), 16);
  });
  it("has gradients that match finite differences", () => {
    const x = lt.random.normal(lt.random.key(1), [3, 4]);
    const src = lt.random.normal(lt.random.key(2), [2, 4]);
    const index = i32([[0, 1, 2, 0], [0, 0, 2, 1]]);
    checkGrads((x, s) => lt.scatterAdd(x, 0, index, s).square(), [x, src], { order: 2 });
    checkGrads((x, s) => lt.indexAdd(x, 1, i32([3, 3]), s.slice(null, [0, 2])).tanh(), [
      x,
      lt.random.normal(lt.random.key(3), [3, 4]),
    ]);
    checkGrads((x) => lt.diagonal(lt.tril(x, 1), 1).exp(), [x]);
  });
  it("names the op and line of an out-of-range index computed inside a kernel", () => {
    const index = i32([0, 1]).add(2).reshape([2, 1]);
    assertThrows(
      () => lt.scatterAdd(lt.zeros([3, 1]), 0, index, lt.ones([2, 1])).dataSync(),
      RangeError,
      "scatterAdd() index 3 is out of range for an axis of size 3",
    );
  });
});

describe("indexing errors", () => {
  it("say what was expected, what came and how to fix it", () => {
    const x = lt.zeros([3, 4]);
    assertThrows(
      () => lt.scatterAdd(x, 0, i32([[5]]), lt.ones([1, 1])),
      RangeError,
      "scatterAdd() index 5 at flat position 0 is out of range for an axis of size 3",
    );
    assertThrows(
      () => lt.scatterAdd(x, 0, i32([[0, 1, 2, 0, 1]]), lt.ones([1, 5])),
      RangeError,
      "scatterAdd() expected an index of the input's rank no larger than the source",
    );
    assertThrows(
      () => lt.scatter(x, 0, lt.tensor([[0]]), 1),
      TypeError,
      'scatter() expected an int32 index tensor: found float32: convert with .astype("int32")',
    );
    assertThrows(
      () => lt.scatterAdd(x, 0, i32([[0]]), lt.ones([1, 1], { dtype: "float64" })),
      TypeError,
      "scatterAdd() expected a source of the input's dtype float32: found float64",
    );
    assertThrows(
      () => lt.indexAdd(x, 0, i32([0]), lt.ones([2, 4])),
      RangeError,
      "indexAdd() expected a source of shape [1, 4] (the input's, with axis 0 as long as the index): found [2, 4]",
    );
    assertThrows(
      () => lt.indexSelect(x, 0, i32([[0]])),
      RangeError,
      "indexSelect() expected a 1-d index: found shape [1, 1]",
    );
    assertThrows(
      () => lt.maskedFill(x, lt.ones([3, 4]), 0),
      TypeError,
      "maskedFill() expected a bool mask: found float32",
    );
    assertThrows(
      () => lt.maskedFill(lt.zeros([4]), lt.tensor([[true], [false]]), 0),
      RangeError,
      "maskedFill() expected a mask that broadcasts to the input's shape [4]: found [2, 1]",
    );
    assertThrows(
      () => lt.tril(lt.zeros([3])),
      RangeError,
      "tril() expected a tensor with at least 2 axes",
    );
    assertThrows(
      () => lt.triu(x, 0.5),
      TypeError,
      "triu() expected an integer diagonal offset: found 0.5",
    );
    assertThrows(
      () => lt.diagonal(x, 0, 1, 1),
      RangeError,
      "diagonal() expected two different axes",
    );
    assertThrows(
      () => lt.trace(lt.zeros([2, 2, 2])),
      RangeError,
      "trace() expected a 2-d tensor: found shape [2, 2, 2]",
    );
  });
});
