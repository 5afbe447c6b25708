import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";

const f64 = { dtype: "float64" } as const;
const A = lt.tensor([[[4, 1], [1, 3]], [[2, 0.5], [0.5, 5]], [[3, 1], [0, 2]]], f64);
const B = lt.tensor([[1, 2], [3, 4], [5, 6]], f64);

describe("vmap of linalg", () => {
  it("vmap(linalg.solve) equals a loop over the examples", () => {
    const batched = lt.vmap((a: lt.Tensor, b: lt.Tensor) => lt.linalg.solve(a, b))(A, B);
    const loop = [0, 1, 2].map((i) => lt.linalg.solve(A.select(0, i), B.select(0, i)).toArray());
    assertEquals(batched.toArray(), loop);
  });

  it("vmap(linalg.solveTriangular) keeps upper and equals a loop", () => {
    const U = lt.linalg.cholesky(A.slice([0, 2])).permute([0, 2, 1]);
    const rhs = B.slice([0, 2]);
    const solve = (u: lt.Tensor, b: lt.Tensor) =>
      lt.linalg.solveTriangular(u, b.reshape([2, 1]), { upper: true });
    const loop = [0, 1].map((i) => solve(U.select(0, i), rhs.select(0, i)).toArray());
    assertEquals(lt.vmap(solve)(U, rhs).toArray(), loop);
  });

  it("vmap(grad(det)) is each matrix's cofactor matrix", () => {
    // d det(A) / dA = adj(A)ᵀ: for [[a, b], [c, d]] it is [[d, -c], [-b, a]]
    const g = lt.vmap(lt.grad((a: lt.Tensor) => lt.linalg.det(a)))(A);
    assertEquals(g.toArray(), [[[3, -1], [-1, 4]], [[5, -0.5], [-0.5, 2]], [[2, 0], [-1, 3]]]);
  });

  it("vmap(lstsq) and vmap(grad(pinv)) equal a loop; jit(grad(det)) at a singular matrix", () => {
    const X = lt.random.normal(lt.random.key(1), [3, 5, 2], f64);
    const Y = lt.random.normal(lt.random.key(2), [3, 5, 1], f64);
    const solve = (a: lt.Tensor, b: lt.Tensor) => lt.linalg.lstsq(a, b).solution;
    const loop = [0, 1, 2].map((i) => solve(X.select(0, i), Y.select(0, i)).toArray());
    assertEquals(lt.vmap(solve)(X, Y).toArray(), loop);
    const g = lt.grad((a: lt.Tensor) => lt.linalg.pinv(a).sum());
    assertEquals(lt.vmap(g)(X).toArray(), [0, 1, 2].map((i) => g(X.select(0, i)).toArray()));
    // rows 1 and 2 equal: the cofactors of row 0 vanish, those of rows 1 and 2 do not
    const S = lt.tensor([[4, 1, 2], [2, 3, 1], [2, 3, 1]], f64);
    const cof = lt.jit(lt.grad((a: lt.Tensor) => lt.linalg.det(a)))(S).toArray() as number[][];
    assertEquals(cof.flat().map((v) => Math.round(v * 1e9) / 1e9), [0, 0, 0, 5, 0, -10, -5, 0, 10]);
  });
});
