import { describe, it } from "@std/testing/bdd";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";

type T = lt.Tensor;
const N = 5000;
const f64 = { dtype: "float64" } as const;

describe("stack and concat of thousands of tensors", () => {
  it("stack of 5,000 rows: values in place, eager and under jit", () => {
    const rows = Array.from({ length: N }, (_, i) => lt.tensor([i, -2 * i]));
    const eager = lt.stack(rows).dataSync();
    assertEquals(eager.length, 2 * N);
    for (const i of [0, 1, 63, 64, 65, 4095, 4096, N - 1]) {
      assertEquals([eager[2 * i], eager[2 * i + 1]], [i, -2 * i]);
    }
    const f = lt.jit((a: T) => lt.stack(Array.from({ length: N }, (_, i) => a.mul(i)), 1));
    const out = f(lt.tensor([1, 3])).toArray() as number[][];
    assertEquals([out[0][4999], out[1][4321], out[1].length], [4999, 3 * 4321, N]);
  });

  it("concat of 5,000 pieces of different lengths keeps -0, NaN, ints and bools", () => {
    const pieces = Array.from(
      { length: N },
      (_, i) => lt.full([1 + (i % 3)], i % 7 === 0 ? -0 : i),
    );
    const got = lt.concat(pieces).dataSync();
    let at = 0;
    pieces.forEach((_, i) => {
      for (let k = 0; k < 1 + (i % 3); k++, at++) {
        if (i % 7 === 0) assertEquals(Object.is(got[at], -0), true, `-0 at ${at}`);
        else assertEquals(got[at], i);
      }
    });
    assertEquals(got.length, at);
    const nan = lt.concat(Array.from({ length: 100 }, (_, i) => lt.tensor([i === 77 ? NaN : i])));
    assertEquals(Number.isNaN(nan.dataSync()[77]), true);
    const ints = Array.from({ length: N }, (_, i) => lt.tensor([i], { dtype: "int32" }));
    const s = lt.stack(ints);
    assertEquals([s.dtype, s.sum().item()], ["int32", (N * (N - 1)) / 2]);
    const bools = lt.stack(Array.from({ length: N }, (_, i) => lt.tensor(i % 2 === 0)));
    assertEquals([bools.dtype, bools.astype("int32").sum().item()], ["bool", N / 2]);
  });

  it("gradients through a 5,000-piece stack: each piece gets its slice", () => {
    // d/da Σ_i Σ_j w_ij · i · a_j = Σ_i i · w_ij, with w_ij = j + 1
    const w = lt.tensor(Array.from({ length: N }, () => [1, 2]), f64);
    const linear = (a: T) => lt.stack(Array.from({ length: N }, (_, i) => a.mul(i))).mul(w).sum();
    const s1 = (N * (N - 1)) / 2;
    assertEquals(lt.grad(linear)(lt.tensor([1, 2], f64)).toArray(), [s1, 2 * s1]);
  });

  it("jit(grad) of a 5,000-piece stack of one tensor: each piece's slice reads its piece only", () => {
    // d/da Σ_i Σ_j (i · a_j)² = 2 a_j Σ_i i²; lowering each of the 5,000 slices through all
    // 5,000 pieces used to exceed the Map size limit (and make a quadratic kernel)
    const squares = (a: T) =>
      lt.stack(Array.from({ length: N }, (_, i) => a.mul(i)), 1).square().sum();
    const s2 = ((N - 1) * N * (2 * N - 1)) / 6;
    const g = lt.jit(lt.grad(squares));
    assertEquals(g(lt.tensor([1, -3], f64)).toArray(), [2 * s2, -6 * s2]);
    assertEquals(g(lt.tensor([0.5, 2], f64)).toArray(), [s2, 4 * s2]);
    assertEquals(g.compileCount, 1);
  });

  it("a concat read backwards or through a flip keeps every piece (no piece skipped as padding)", () => {
    const a = lt.tensor([1, 2, 3]);
    const b = lt.tensor([4, 5, 6, 7]);
    const reversed = [7, 6, 5, 4, 3, 2, 1];
    const back = lt.jit((a: T, b: T) => lt.concat([a.mul(1), b.mul(1)]).slice([null, null, -1]));
    assertEquals(back(a, b).toArray(), reversed);
    assertEquals(lt.concat([a, b]).slice([5, null, -1]).toArray(), reversed.slice(1));
    const flipped = lt.jit((a: T, b: T) => lt.concat([a.mul(1), b.mul(1)]).flip().slice([2, 5]));
    assertEquals(flipped(a, b).toArray(), [5, 4, 3]);
  });

  it("a computed tensor read by every piece of a stack is computed once, not in each piece", () => {
    // softplus(a) · i for 64 pieces: the pieces read softplus(a)'s buffer
    const f = lt.jit((a: T) => {
      const h = a.exp().add(1).log();
      return lt.stack(Array.from({ length: 64 }, (_, i) => h.mul(i)), 1);
    });
    const a = lt.tensor([0.5, -1], f64);
    const sources = lt.explain(f, a).kernels.map((k) => k.jsSource).join("\n");
    assertEquals(sources.split("Math.exp(").length - 1, 1);
    const out = f(a).toArray() as number[][];
    for (const [r, x] of [0.5, -1].entries()) {
      for (const i of [0, 1, 37, 63]) {
        assertAlmostEquals(out[r][i], Math.log(1 + Math.exp(x)) * i, 1e-12);
      }
    }
  });
});
