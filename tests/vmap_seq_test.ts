import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";

describe("vmap of the sequence primitives equals a loop over the examples", () => {
  const x = lt.tensor([[3, 1, 2, 1], [0, -1, 5, 2], [7, 7, 1, 0]]);
  it("sort and argsort (stable, descending too)", () => {
    const f = (row: lt.Tensor) => lt.sort(row, { descending: true });
    const [values, indices] = lt.vmap(f)(x);
    const loop = [0, 1, 2].map((i) => f(x.select(0, i)));
    assertEquals(values.toArray(), loop.map(([v]) => v.toArray()));
    assertEquals(indices.toArray(), loop.map(([, k]) => k.toArray()));
    const byColumn = lt.vmap((c: lt.Tensor) => lt.argsort(c), { inAxes: [1] })(x);
    assertEquals(byColumn.toArray(), [[1, 0, 2], [1, 0, 2], [2, 0, 1], [2, 0, 1]]);
  });
  it("scatterAdd with repeated indices: each example adds into its own row", () => {
    const index = lt.tensor([[0, 0, 2], [1, 2, 1]], { dtype: "int32" });
    const updates = lt.tensor([[1, 2, 3], [4, 5, 6]]);
    const f = (u: lt.Tensor, i: lt.Tensor) => lt.scatterAdd(lt.zeros([3]), 0, i, u);
    // [1 + 2, 0, 3] and [0, 4 + 6, 5]
    assertEquals(lt.vmap(f)(updates, index).toArray(), [[3, 0, 3], [0, 10, 5]]);
    const shared = lt.vmap(f, { inAxes: [0, null] })(updates, index.select(0, 0));
    assertEquals(shared.toArray(), [[3, 0, 3], [9, 0, 6]]);
  });
});
