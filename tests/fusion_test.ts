import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { assertClose } from "./_close.ts";

const x = () => lt.tensor([[-1.5, 0, 2], [3, -0.25, 1]]);

describe("fusion", () => {
  it("fuses the 5-op chain sigmoid(x*2+1)*relu(x)-0.5*x into one kernel", () => {
    const v = x();
    const y = lt.sigmoid(v.mul(2).add(1)).mul(lt.relu(v)).sub(v.mul(0.5));
    const report = lt.explain(y);
    assertEquals(report.kernels.length, 1);
    assertEquals(report.kernels[0].inputs, 1);
    const s = (t: number) => 1 / (1 + Math.exp(-t));
    const ref = [[-1.5, 0, 2], [3, -0.25, 1]].map((r) =>
      r.map((t) => s(2 * t + 1) * Math.max(t, 0) - 0.5 * t)
    );
    assertClose(y, ref);
  });

  it("reads broadcast operands by index arithmetic, never a copy", () => {
    const b = lt.tensor([10, 20, 30]);
    const y = x().add(b).mul(lt.tensor([[2], [3]]));
    const report = lt.explain(y);
    assertEquals(report.kernels.length, 1);
    assertEquals(report.kernels[0].inputs, 3);
    assertClose(y, [[17, 40, 64], [39, 59.25, 93]]);
  });

  it("fuses a reduction with its elementwise prologue and epilogue", () => {
    const v = x();
    const y = v.mul(v).sum().sqrt();
    assertEquals(lt.explain(y).kernels.length, 1);
    assertClose(y, [Math.sqrt(2.25 + 4 + 9 + 0.0625 + 1)].at(0)!);
  });

  it("computes mean as one kernel", () => {
    const y = x().exp().mean({ axis: 1 });
    assertEquals(lt.explain(y).kernels.length, 1);
    assertClose(y, [
      (Math.exp(-1.5) + 1 + Math.exp(2)) / 3,
      (Math.exp(3) + Math.exp(-0.25) + Math.E) / 3,
    ]);
  });

  it("runs softmax over rows as one kernel: row reductions are computed once per row", () => {
    const m = lt.tensor([[1, 2, 3], [1000, 1000, 1000]]);
    const y = lt.softmax(m);
    assertEquals(lt.explain(y).kernels.map((k) => k.ops.filter((o) => o.startsWith("reduce"))), [
      ["reduceMax", "reduceSum"],
    ]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const sum = e[0] + e[1] + e[2];
    assertClose(y, [e.map((v) => v / sum), [1 / 3, 1 / 3, 1 / 3]]);
    // over columns the row loop varies along the reduced axis: the maxima and sums get buffers
    const cols = lt.softmax(m, 0);
    assertEquals(lt.explain(cols).kernels.length, 3);
    assertClose(cols, [[0, 0, 0], [1, 1, 1]]);
  });

  it("fuses matmul + bias + relu into one matmul kernel", () => {
    const w = lt.tensor([[1, -1], [2, 0.5], [-1, 1]]);
    const b = lt.tensor([0.5, -10]);
    const y = lt.relu(x().matmul(w).add(b));
    const report = lt.explain(y);
    assertEquals(report.kernels.length, 1);
    assertEquals(report.kernels[0].kind, "matmul");
    // row 0: [-1.5, 0, 2] @ w = [-3.5, 3.5]; + b = [-3, -6.5] -> relu [0, 0]
    // row 1: [3, -0.25, 1] @ w = [1.5, -2.125]; + b = [2, -12.125] -> [2, 0]
    assertClose(y, [[0, 0], [2, 0]]);
  });

  it("fuses linear(x, w, b) with torch's weight layout into one kernel", () => {
    const w = lt.tensor([[1, 2, -1], [-1, 0.5, 1]]);
    const y = lt.linear(x(), w, lt.tensor([0.5, -10])).relu();
    assertEquals(lt.explain(y).kernels.length, 1);
    assertClose(y, [[0, 0], [2, 0]]);
  });

  it("materialises a matmul used twice instead of recomputing it", () => {
    const h = x().matmul(lt.tensor([[1], [1], [1]]));
    const y = h.relu().add(h.mul(2));
    const kinds = lt.explain(y).kernels.map((k) => k.kind);
    assertEquals(kinds.filter((k) => k === "matmul").length, 1);
    assertClose(y, [[0.5 + 1], [3.75 + 7.5]]);
  });

  it("compiles nothing new when a loop re-runs the same program with new values", () => {
    const step = (w: lt.Tensor, lr: number) => w.sub(w.mul(lr)).add(1).dataSync();
    step(lt.tensor([1, 2, 3]), 0.1);
    const before = lt.kernelStats().compiled;
    for (let i = 0; i < 50; i++) step(lt.tensor([i, i + 1, i + 2]), 0.1 + i / 100);
    assertEquals(lt.kernelStats().compiled, before);
  });

  it("explain shows the graph and the kernels as text", () => {
    const text = lt.explain(x().exp().add(1)).toString();
    assert(text.includes("exp("), text);
    assert(text.includes("kernels (1)"), text);
  });

  it("keeps two gathers of one tensor with different indices apart in one kernel", () => {
    const x = lt.tensor([10, 20, 30, 40]);
    const i1 = lt.tensor([0, 1], { dtype: "int32" });
    const i2 = lt.tensor([3, 2], { dtype: "int32" });
    const y = x.gather(0, i1).add(x.gather(0, i2).mul(100));
    assertEquals(lt.explain(y).kernels.length, 1);
    assertEquals(y.toArray(), [4010, 3020]);
  });
});
