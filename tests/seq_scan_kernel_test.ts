// The `cumulative` primitive (issue 15): cumsum, cumprod and logCumSumExp are one pass per
// row on the CPU (a `scan` kernel, no n × n prefix grid), their gradients too; values against
// plain loops and closed forms, gradients against finite differences (torch fixtures:
// seq_order_test).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { assertClose } from "./_close.ts";

const wave = (n: number, f: (i: number) => number) =>
  lt.tensor(Float64Array.from({ length: n }, (_, i) => f(i)));

/** Every kernel's size is at most `limit` elements (no n × n grid was built). */
function assertNoGrid(report: lt.Explanation, limit: number): void {
  for (const k of report.kernels) {
    const size = k.shape.reduce((a, b) => a * b, 1);
    assert(size <= limit, `a ${k.kind} kernel of shape [${k.shape}] (${k.ops.join(",")})`);
  }
}

describe("cumulative scans", () => {
  it("runs cumsum, cumprod and logCumSumExp as one scan kernel, and their gradients as scans", () => {
    const n = 4096;
    const x = wave(n, (i) => Math.sin(i));
    for (const f of [lt.cumsum, lt.cumprod, lt.logCumSumExp]) {
      const report = lt.explain(f(x, 0));
      // cumprod first lays out its (x_i, [i = 0]·x_i) pairs: one elementwise kernel
      const kinds = f === lt.cumprod ? ["loop", "scan"] : ["scan"];
      assertEquals(report.kernels.map((k) => k.kind), kinds);
      assertNoGrid(report, 2 * n);
      const backward = lt.explain((x: lt.Tensor) => lt.grad((x) => f(x, 0).mul(x).sum())(x), x);
      assert(backward.kernels.some((k) => k.kind === "scan"));
      assertNoGrid(backward, 2 * n);
    }
  });

  it("matches a running sum and a running log-sum-exp in plain loops at n = 65536", () => {
    const n = 65536;
    const values = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 30);
    const x = lt.tensor(values);
    const sums = new Float64Array(n);
    const lses = new Float64Array(n);
    let [s, m, acc] = [0, -Infinity, 0]; // log-sum-exp as m + log(acc)
    for (let i = 0; i < n; i++) {
      s += values[i];
      sums[i] = s;
      const next = Math.max(m, values[i]);
      acc = acc * Math.exp(m - next) + Math.exp(values[i] - next);
      m = next;
      lses[i] = m + Math.log(acc);
    }
    assertClose(lt.cumsum(x, 0), Array.from(sums), { rtol: 1e-12, atol: 1e-9 });
    assertClose(lt.logCumSumExp(x, 0), Array.from(lses), { rtol: 1e-12, atol: 1e-12 });
    // float32 data, the same axis in the middle of a 3-D tensor (moved last and back)
    const cube = lt.permute(lt.reshape(x.astype("float32"), [4, 16384, 1]), [0, 2, 1]);
    const scanned = lt.cumsum(cube, 2).dataSync();
    assertEquals(scanned.length, n);
    assert(Math.abs(scanned[16383] - sums[16383]) <= 1e-3 * Math.max(1, Math.abs(sums[16383])));
  });

  it("gives cumprod the gradient of a product with zeros in the prefix", () => {
    // one zero: the zero gets the product of the others; after it, nothing
    const x = lt.tensor([2, 3, 0, 5, 7], { dtype: "float64" });
    const g = lt.grad((x) => lt.cumprod(x, 0).sum())(x).toArray() as number[];
    // d/dx_j Σ_i Π_{k≤i} x_k, summed by hand
    assertClose(lt.tensor(g), [1 + 3, 2, 2 * 3 * (1 + 5 + 5 * 7), 0, 0]);
    checkGrads((x) => lt.cumprod(x, 0).mul(lt.arange(5).add(1)), [x], { order: 2 });
    // two zeros, rows along the last axis
    const y = lt.tensor([[1.5, 0, -2, 0, 3], [0.5, -1, 2, 1.25, -0.75]], { dtype: "float64" });
    checkGrads((y) => lt.cumprod(y, 1).square(), [y], { order: 2 });
  });

  it("keeps logCumSumExp finite and its gradient free of NaN with -inf and huge entries", () => {
    const x = lt.tensor([-Infinity, -Infinity, 1000, -1000, 0], { dtype: "float64" });
    assertClose(lt.logCumSumExp(x, 0), [-Infinity, -Infinity, 1000, 1000, 1000]);
    const g = lt.grad((x) => lt.logCumSumExp(x, 0).mul(lt.tensor([1, -2, 3, 0.5, -1])).sum())(x);
    // softmax weights: only x_2 = 1000 carries weight from out_2.. out_4: 3 + 0.5 - 1
    assertClose(g, [0, 0, 2.5, 0, 0], { atol: 1e-12 });
    checkGrads(
      (x) => lt.logCumSumExp(x, 1).mul(lt.tensor([[1, -2, 0.5], [-1, 3, 0]])),
      [lt.tensor([[0.3, -1.2, 2], [40, 41, -3]])],
      { order: 2 },
    );
  });

  it("batches under vmap and scans int32 and bool data", () => {
    const x = lt.tensor([[1, 2, 3], [4, -5, 6]]);
    assertEquals(lt.vmap((r: lt.Tensor) => lt.cumsum(r, 0))(x).toArray(), [[1, 3, 6], [4, -1, 5]]);
    assertEquals(
      lt.vmap((c: lt.Tensor) => lt.cumprod(c, 0), { inAxes: 1, outAxes: 1 })(x).toArray(),
      [
        [1, 2, 3],
        [4, -10, 18],
      ],
    );
    const ints = lt.tensor([2147483647, 1, 3], { dtype: "int32" });
    assertEquals(lt.cumsum(ints, 0).toArray(), [2147483647, -2147483648, -2147483645]);
    assertEquals(lt.cumsum(lt.tensor([true, false, true]), 0).toArray(), [1, 1, 2]);
    // empty rows, and their gradients
    const empty = lt.zeros([3, 0]);
    assertEquals(lt.grad((x) => lt.cumprod(x, 1).sum())(empty).shape, [3, 0]);
    assertEquals(lt.grad((x) => lt.logCumSumExp(x, 1).sum())(empty).shape, [3, 0]);
  });
});
