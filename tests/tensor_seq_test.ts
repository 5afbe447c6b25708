// The Tensor methods of core/tensor_seq.ts (scatter, masks, triangles, order,
// scans, where): each gives the free function's values, takes the same
// argument order and axis rules, and carries gradients.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";

const i32 = (v: lt.NestedValues) => lt.tensor(v, { dtype: "int32" });
const x = lt.tensor([[3, 1, 2, 1], [0, 5, -1, 4], [2, 2, 7, -3]], { dtype: "float64" });
const mask = lt.tensor([[true, false, false, true], [false, true, false, false], [
  true,
  true,
  false,
  false,
]]);

/** A method call and its free function, compared value for value (and shape). */
function same(name: string, method: lt.Tensor, fn: lt.Tensor): void {
  assertEquals(method.shape, fn.shape, `${name}: shape`);
  assertEquals(method.dtype, fn.dtype, `${name}: dtype`);
  assertEquals(method.toArray(), fn.toArray(), `${name}: values`);
}

describe("tensor_seq methods", () => {
  it("scatter, scatterAdd, indexAdd, indexSelect", () => {
    const idx = i32([[0, 1, 0, 2], [2, 0, 0, 1]]);
    const src = lt.tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: "float64" });
    same("scatter", x.scatter(0, idx, src), lt.scatter(x, 0, idx, src));
    same("scatter number", x.scatter(0, idx, 9), lt.scatter(x, 0, idx, 9));
    same("scatterAdd", x.scatterAdd(0, idx, src), lt.scatterAdd(x, 0, idx, src));
    const rows = i32([2, 0, 2]);
    const source = lt.ones([3, 4], { dtype: "float64" });
    same("indexAdd", x.indexAdd(0, rows, source), lt.indexAdd(x, 0, rows, source));
    same(
      "indexAdd alpha",
      x.indexAdd(0, rows, source, { alpha: -2 }),
      lt.indexAdd(x, 0, rows, source, { alpha: -2 }),
    );
    same("indexSelect", x.indexSelect(1, i32([3, 0, 3])), lt.indexSelect(x, 1, i32([3, 0, 3])));
    // the values, not only agreement: torch's x.scatter_add(0, idx, src)
    assertEquals(x.scatterAdd(0, idx, src).toArray(), [[4, 7, 12, 1], [0, 7, -1, 12], [
      7,
      2,
      7,
      1,
    ]]);
  });

  it("maskedFill, maskedSelect, where", () => {
    same("maskedFill", x.maskedFill(mask, -1), lt.maskedFill(x, mask, -1));
    same("maskedSelect", x.maskedSelect(mask), lt.maskedSelect(x, mask));
    assertEquals(x.maskedSelect(mask).toArray(), [3, 1, 5, 2, 2]);
    // torch's order: x.where(cond, other) is where(cond, x, other)
    same("where", x.where(mask, 0), lt.where(mask, x, 0));
    assertEquals(x.where(mask, 0).toArray(), [[3, 0, 0, 1], [0, 5, 0, 0], [2, 2, 0, 0]]);
  });

  it("tril, triu, diagonal, trace", () => {
    for (const k of [-1, 0, 2]) {
      same(`tril ${k}`, x.tril(k), lt.tril(x, k));
      same(`triu ${k}`, x.triu(k), lt.triu(x, k));
      same(`diagonal ${k}`, x.diagonal(k), lt.diagonal(x, k));
    }
    same("tril default", x.tril(), lt.tril(x));
    same("triu default", x.triu(), lt.triu(x));
    const cube = lt.arange(0, 24, 1, { dtype: "float64" }).reshape([2, 3, 4]);
    same("diagonal dims", cube.diagonal(1, 2, 0), lt.diagonal(cube, 1, 2, 0));
    same("trace", x.trace(), lt.trace(x));
    assertEquals(x.trace().item(), 3 + 5 + 7);
  });

  it("sort, argsort, topk", () => {
    const [v, i] = x.sort();
    const [fv, fi] = lt.sort(x);
    same("sort values", v, fv);
    same("sort indices", i, fi);
    const [dv, di] = x.sort({ axis: 0, descending: true });
    const [fdv, fdi] = lt.sort(x, { axis: 0, descending: true });
    same("sort desc values", dv, fdv);
    same("sort desc indices", di, fdi);
    same("sort axis number", x.sort(0)[1], lt.sort(x, 0)[1]);
    same("argsort", x.argsort(), lt.argsort(x));
    same("argsort desc", x.argsort({ descending: true }), lt.argsort(x, { descending: true }));
    // stable: the tied 1s of row 0 keep their order
    assertEquals(x.argsort().select(0, 0).toArray(), [1, 3, 2, 0]);
    const [tv, ti] = x.topk(2);
    const [ftv, fti] = lt.topk(x, 2);
    same("topk values", tv, ftv);
    same("topk indices", ti, fti);
    assertEquals(tv.toArray(), [[3, 2], [5, 4], [7, 2]]);
    const [sv] = x.topk(1, { axis: 0, largest: false });
    same("topk smallest", sv, lt.topk(x, 1, { axis: 0, largest: false })[0]);
    same("topk axis number", x.topk(2, 0)[1], lt.topk(x, 2, 0)[1]);
  });

  it("cumsum, cumprod, logCumSumExp", () => {
    for (const axis of [0, 1, -1]) {
      same(`cumsum ${axis}`, x.cumsum(axis), lt.cumsum(x, axis));
      same(`cumprod ${axis}`, x.cumprod(axis), lt.cumprod(x, axis));
      same(`logCumSumExp ${axis}`, x.logCumSumExp(axis), lt.logCumSumExp(x, axis));
    }
    same("cumsum {axis}", x.cumsum({ axis: 1 }), lt.cumsum(x, { axis: 1 }));
    assertEquals(x.cumsum(1).select(0, 0).toArray(), [3, 4, 6, 7]);
  });

  it("the methods carry gradients like the functions", () => {
    const f = (t: lt.Tensor) =>
      t.tril().cumsum(1).mul(t.triu(1).logCumSumExp(0)).sum().add(t.topk(2)[0].sum())
        .add(
          t.sort({ descending: true })[0].mul(lt.tensor([0, 1, 2, 3], { dtype: "float64" })).sum(),
        )
        .add(t.maskedFill(mask, 0).trace());
    const g = (t: lt.Tensor) =>
      lt.add(
        lt.add(
          lt.sum(lt.mul(lt.cumsum(lt.tril(t), 1), lt.logCumSumExp(lt.triu(t, 1), 0))),
          lt.sum(lt.topk(t, 2)[0]),
        ),
        lt.add(
          lt.sum(
            lt.mul(
              lt.sort(t, { descending: true })[0],
              lt.tensor([0, 1, 2, 3], { dtype: "float64" }),
            ),
          ),
          lt.trace(lt.maskedFill(t, mask, 0)),
        ),
      );
    same("value", f(x), g(x));
    same("grad", lt.grad(f)(x), lt.grad(g)(x));
  });

  it("errors as the functions give them", () => {
    assertThrows(() => x.cumsum(2), Error, "cumsum");
    assertThrows(() => x.topk(5), Error, "topk");
    assertThrows(() => x.indexSelect(0, i32([3])), Error, "out of range");
  });
});
