import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { eagerProgramStats } from "../jit/eager_programs.ts";
import { assertClose } from "./_close.ts";

/** Hits and misses of the eager program cache while `f` runs. */
function counting(f: () => void): { hits: number; misses: number } {
  const before = eagerProgramStats();
  f();
  const after = eagerProgramStats();
  return { hits: after.hits - before.hits, misses: after.misses - before.misses };
}

describe("eager programs", () => {
  it("a graph seen before runs its compiled program, on the new data", () => {
    const f = (v: number[]) => lt.tensor(v).mul(3).add(1).relu().sum();
    const seen = counting(() => {
      assertEquals(f([1, -2, 5]).item(), 4 + 0 + 16);
      assertEquals(f([-1, 2, 0]).item(), 0 + 7 + 1);
      assertEquals(f([10, 10, 10]).item(), 93);
    });
    assertEquals(seen.hits, 2);
    assertEquals(seen.misses, 1);
  });

  it("constants, shapes and dtypes are part of the structure", () => {
    const x = lt.tensor([1, 2]);
    assertEquals(x.mul(2).toArray(), [2, 4]);
    assertEquals(x.mul(3).toArray(), [3, 6]);
    assertEquals(lt.tensor([1, 2, 3]).mul(3).toArray(), [3, 6, 9]);
    assertEquals(lt.tensor([1, 2], { dtype: "int32" }).mul(3).toArray(), [3, 6]);
    // 0 and -0 differ (1/x), and NaN is a value of its own
    assertEquals(lt.div(1, x.mul(0)).toArray(), [Infinity, Infinity]);
    assertEquals(lt.div(1, x.mul(-0)).toArray(), [-Infinity, -Infinity]);
    assert(Array.from(x.mul(NaN).dataSync()).every(Number.isNaN));
    assertEquals(x.add(Infinity).toArray(), [Infinity, Infinity]);
  });

  it("parameters (axes, slices, pads) are part of the structure", () => {
    const m = lt.tensor([[1, 2, 3], [4, 5, 6]]);
    assertEquals(m.sum({ axis: 0 }).toArray(), [5, 7, 9]);
    assertEquals(m.sum({ axis: 1 }).toArray(), [6, 15]);
    assertEquals(m.slice(null, [0, 3, 2]).toArray(), [[1, 3], [4, 6]]);
    assertEquals(m.slice(null, [1, 3, 1]).toArray(), [[2, 3], [5, 6]]);
    assertEquals(m.pad([[0, 0], [1, 0]], 7).toArray(), [[7, 1, 2, 3], [7, 4, 5, 6]]);
    assertEquals(m.pad([[0, 0], [0, 1]], -1).toArray(), [[1, 2, 3, -1], [4, 5, 6, -1]]);
  });

  it("an eager training loop compiles once and matches the closed form", () => {
    // least squares on y = 2x: w ← w − lr·mean(2(wx − y)x), from w = 0
    const x = lt.tensor([1, 2, 3]);
    const y = lt.tensor([2, 4, 6]);
    const loss = (w: lt.Tensor) => w.mul(x).sub(y).square().mean();
    let w = lt.tensor(0);
    let expected = 0;
    const seen = counting(() => {
      for (let i = 0; i < 20; i++) {
        w = w.sub(lt.grad(loss)(w).mul(0.05));
        w.dataSync();
        expected -= 0.05 * (2 / 3) * (expected - 2) * (1 + 4 + 9);
      }
    });
    assertClose(w, expected, { rtol: 1e-5 });
    assert(seen.misses <= 2, `compiled ${seen.misses} programs`);
    assert(seen.hits >= 18, `reused programs only ${seen.hits} times`);
  });

  it("intermediates the schedule keeps are realized too, and later reads reuse them", () => {
    const x = lt.tensor([[1, 2], [3, 4]]);
    const h = x.matmul(x);
    const out = h.add(1).mul(h.sum());
    assertEquals(out.toArray(), [[8 * 54, 11 * 54], [16 * 54, 23 * 54]]);
    assertEquals(lt.explain(h).kernels.length, 0, "h was computed with out");
    assertEquals(h.toArray(), [[7, 10], [15, 22]]);
  });

  it("errors inside a program keep their text (jit tracing reads)", () => {
    const f = lt.jit((v: lt.Tensor) => lt.tensor([v.sum().item()]));
    let message = "";
    try {
      f(lt.tensor([1, 2]));
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes("Cannot read tensor values while jit traces"), message);
  });
});
