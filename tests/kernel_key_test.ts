// Kernel cache keys (jit/kernel.ts kernelKey): the structure of a kernel, not
// its rendered source, with constant values left out (they are parameters).
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertNotEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { schedule } from "../jit/schedule.ts";
import { kernelKey } from "../jit/kernel.ts";

function keyOf(t: lt.Tensor): string {
  const kernels = schedule([t.node]);
  assertEquals(kernels.length, 1);
  return kernelKey(kernels[0]);
}

describe("kernelKey()", () => {
  const x = lt.tensor([[1, 2, 3], [4, 5, 6]]);

  it("is the same for kernels that differ only in constant values", () => {
    assertEquals(keyOf(x.mul(2).add(1).exp()), keyOf(x.mul(3).add(-5).exp()));
    assertEquals(
      keyOf(x.pad([[0, 0], [1, 1]], 0)),
      keyOf(x.pad([[0, 0], [1, 1]], 7)),
    );
  });

  it("differs when the structure differs: op, shape, dtype, layout, reduction", () => {
    const base = keyOf(x.mul(2).exp());
    assertNotEquals(base, keyOf(x.mul(2).log()));
    assertNotEquals(base, keyOf(lt.tensor([1, 2, 3]).mul(2).exp()));
    assertNotEquals(base, keyOf(x.astype("float64").mul(2).exp()));
    assertNotEquals(base, keyOf(x.T.mul(2).exp()));
    assertNotEquals(keyOf(x.sum({ axis: 1 })), keyOf(x.max({ axis: 1 })));
    assertNotEquals(keyOf(x.sum({ axis: 1 })), keyOf(x.sum({ axis: 0 })));
  });

  it("lets a loop of new constants reuse one compiled kernel", () => {
    const before = lt.kernelStats().compiled;
    for (let i = 0; i < 5; i++) x.mul(i + 0.5).add(i).sigmoid().dataSync();
    assertEquals(lt.kernelStats().compiled - before, 1);
  });
});
