// The WebGPU pipeline cache is keyed by the kernel's structure (kernelKey), not its WGSL text:
// structurally equal kernels share one pipeline (their constants come from a buffer, so other
// constant values reuse it and still give their own results), and kernels whose structure differs
// (another op, shape, index pattern or dtype) get their own. kernelKey itself tells apart the
// fields only some code generators read (a scatter's target, a sort's order).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { schedule } from "../jit/schedule.ts";
import { kernelKey } from "../jit/kernel.ts";
import { webgpuStats } from "../jit/runtime/webgpu/device.ts";
import { gpuSuite } from "./_gpu.ts";

/** The structural keys of the kernels that realize `t` on the cpu (nothing runs). */
function keys(t: lt.Tensor): string[] {
  return schedule([t.node]).map(kernelKey);
}

describe("kernelKey()", () => {
  it("is equal for kernels that differ only in constants", () => {
    const x = lt.tensor([1, 2, 3]);
    assertEquals(keys(x.mul(2).add(1)), keys(x.mul(-7.5).add(1e30)));
  });

  it("differs for another scatter target, sort order, op, shape or dtype", () => {
    const x = lt.zeros([4]);
    const src = lt.tensor([1, 2, 3]);
    const scatter = (index: number[]) =>
      keys(x.scatterAdd(0, lt.tensor(index, { dtype: "int32" }), src));
    // the same index values at another place in the graph: equal; a permuted index tensor is data
    assertEquals(scatter([0, 1, 1]), scatter([3, 2, 0]));
    // a target read through another index pattern (a broadcast row) is another structure
    const row = lt.tensor([[0, 1, 1]], { dtype: "int32" }).expand([2, 3]).reshape([6]);
    const wide = keys(lt.zeros([4]).scatterAdd(0, row, lt.ones([6])));
    assertNotEquals(scatter([0, 1, 1]), wide);
    const v = lt.tensor([3, 1, 2]);
    assertNotEquals(keys(lt.argsort(v)), keys(lt.argsort(v, { descending: true })));
    assertNotEquals(keys(v.exp()), keys(v.log()));
    assertNotEquals(keys(v.exp()), keys(lt.tensor([3, 1, 2, 4]).exp()));
    assertNotEquals(keys(v.exp()), keys(v.cast("float64").exp()));
  });
});

const suite = gpuSuite("webgpu_pipeline_cache_test", "adapter");

suite("WebGPU pipelines", () => {
  const gpu = (values: number[] | number[][]) => lt.tensor(values).to("webgpu");

  it("shares one pipeline between kernels that differ only in constants", async () => {
    const x = gpu([1.5, -2, 4, 0.25, 9]);
    // a structure no other test builds, so the first run compiles exactly one pipeline
    const f = (a: number, b: number) => x.mul(a).sub(b).abs().sqrt();
    const before = webgpuStats().pipelines;
    const first = await f(2, 1).data();
    const afterFirst = webgpuStats().pipelines;
    assertEquals(afterFirst - before, 1);
    const second = await f(-3, 0.5).data();
    assertEquals(webgpuStats().pipelines, afterFirst, "no new pipeline for other constants");
    const expect = (a: number, b: number) =>
      [1.5, -2, 4, 0.25, 9].map((v) => Math.fround(Math.sqrt(Math.abs(Math.fround(v * a) - b))));
    assertEquals(Array.from(first), expect(2, 1));
    assertEquals(Array.from(second), expect(-3, 0.5));
  });

  it("compiles another pipeline for another op, shape or index pattern", async () => {
    const x = gpu([[1, 2, 3], [4, 5, 6]]);
    const y = gpu([[6, 5, 4], [3, 2, 1]]);
    const count = async (t: lt.Tensor) => {
      const before = webgpuStats().pipelines;
      await t.data();
      return webgpuStats().pipelines - before;
    };
    assertEquals(await count(x.mul(y).expm1().neg()), 1);
    assertEquals(await count(x.mul(y).expm1().neg()), 0, "the same structure again");
    assertEquals(await count(x.mul(y).log1p().neg()), 1, "another op");
    assertEquals(await count(x.mul(y.flip(1)).expm1().neg()), 1, "another index pattern");
    assertEquals(await count(gpu([1, 2, 3, 4]).mul(gpu([4, 3, 2, 1])).expm1().neg()), 1, "shape");
    assert(webgpuStats().pipelines > 0);
  });
});
