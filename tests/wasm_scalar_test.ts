// Gathers and scatters on the Wasm tier (jit/codegen/wasm/_scalar.ts): one
// element at a time, against the JS reference and closed forms; repeated and
// negative indices; the out-of-range error is the reference's; the embedding
// benchmark's step and a transformer's gradient run with no JS kernel.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";

const i32 = (v: number[] | number[][]) => lt.tensor(v as number[], { dtype: "int32" });
const seq = (n: number, shape: number[]) => lt.arange(n).mul(0.25).sub(3).reshape(shape);

function on<T>(backend: lt.CpuBackend, f: () => T): T {
  lt.setCpuBackend(backend);
  try {
    return f();
  } finally {
    lt.setCpuBackend("wasm");
  }
}

/** The values and kernel tiers of `f()` on the Wasm tier, and its values on the JS reference. */
function both(f: () => lt.Tensor) {
  const [wasm, tiers] = on("wasm", () => {
    const t = f();
    const tiers = lt.explain(t).kernels.map((k) => k.backend);
    return [Array.from(t.dataSync()), tiers] as const;
  });
  return { wasm, tiers, js: on("js", () => Array.from(f().dataSync())) };
}

describe("gathers and scatters in Wasm", () => {
  it("gather and take with fused elementwise work, negative indices, int32 data", () => {
    const x = seq(24, [4, 6]);
    const cases: [string, () => lt.Tensor][] = [
      [
        "gather axis 0",
        () => lt.gather(x.mul(2), 0, i32([[3, 0, -1, 1, 2, 0], [-4, 1, 1, 3, 0, 2]])),
      ],
      ["gather axis 1 + add", () => lt.gather(x, 1, i32([[5], [0], [-6], [2]])).add(x.neg())],
      ["take rows, where", () => lt.where(x.take(i32([2, 0, 2, -1]), 0).lt(0), 1.5, x)],
      [
        "bool source",
        () => lt.where(lt.tensor([true, false, true]).take(i32([2, 1, 0, -2]), 0), 1.5, -2),
      ],
      [
        "int32 source",
        () => lt.gather(lt.arange(12).astype("int32").reshape([3, 4]), 1, i32([[3], [0], [-1]])),
      ],
    ];
    for (const [name, f] of cases) {
      const { wasm, js, tiers } = both(f);
      assertEquals(tiers, ["wasm"], name);
      assertEquals(wasm, js, name);
    }
    // closed form: row i of x is -3 + 1.5 i + 0.25 j
    const rows = on("wasm", () => x.take(i32([3, -4]), 0).dataSync());
    assertEquals(Array.from(rows).slice(0, 2), [1.5, 1.75]);
    assertEquals(Array.from(rows).slice(6, 8), [-3, -2.75]);
  });

  it("scatterAdd adds every update, repeated targets included", () => {
    const index = i32([[4, 4, 4], [0, -1, 2], [4, 4, 4], [0, 0, -5], [4, 1, 4]]);
    const updates = seq(15, [5, 3]);
    const u = Array.from(updates.dataSync());
    const idx = Array.from(index.dataSync()).map((i) => (i < 0 ? i + 5 : i));
    const expected = new Array(15).fill(0);
    idx.forEach((r, p) => (expected[r * 3 + (p % 3)] += u[p]));
    const { wasm, js, tiers } = both(() =>
      lt.scatterAdd(lt.zeros([5, 3]), 0, index, updates.mul(1))
    );
    assertEquals(tiers.filter((t) => t !== "wasm"), []);
    assertEquals(wasm, expected);
    assertEquals(wasm, js);
    // int32 updates wrap like the reference's `| 0`
    const ints = lt.tensor([[5, 6, 7], [1, 2, 2147483647]], { dtype: "int32" });
    const at = i32([[3, 3, 1], [0, -1, 1]]);
    const wrapped = both(() => lt.scatterAdd(lt.zeros([4, 3]).astype("int32"), 0, at, ints.mul(1)));
    assertEquals(wrapped.tiers, ["wasm", "wasm", "wasm"]);
    assertEquals(wrapped.wasm, [1, 0, 0, 0, 0, -2147483642, 0, 0, 0, 5, 8, 0]);
    assertEquals(wrapped.wasm, wrapped.js);
    // a scatter's output starts at zeros in a reused block: a second run adds nothing stale
    const again = on("wasm", () => lt.scatterAdd(lt.zeros([5, 3]), 0, index, updates.mul(1)));
    assertEquals(Array.from(again.dataSync()), expected);
  });

  it("an index out of range gives the reference's error, eagerly and under jit", () => {
    const x = seq(12, [4, 3]);
    const bad = (i: lt.Tensor) => lt.gather(x.exp(), 0, i.add(i32([[0, 0, 0]])));
    const message = (backend: lt.CpuBackend, f: () => unknown) =>
      on(
        backend,
        () => assertThrows(f, RangeError).message.replace(/ \(gather\(\) called at .*\)$/, ""),
      );
    for (const i of [[[0, 4, 1]], [[0, -5, 1]]]) {
      const eager = () => bad(i32(i)).dataSync();
      assertEquals(message("wasm", eager), message("js", eager));
      const fn = lt.jit(bad);
      const jitted = () => fn(i32(i)).dataSync();
      assertEquals(message("wasm", jitted), message("js", jitted));
    }
    assertEquals(
      message("wasm", () => bad(i32([[0, 4, 1]])).dataSync()),
      "gather() index 4 is out of range for an axis of size 4: indices must be in [-4, 3]",
    );
    // the trapped kernel's output block is freed: repeated errors of a jit program writing 1 MiB
    // (its output a block of the Wasm heap) do not grow the Wasm memory
    const n = 1 << 18;
    const big = lt.jit((x: lt.Tensor, i: lt.Tensor) => lt.gather(x.exp(), 0, i));
    const [xs, ok, wrong] = [lt.ones([4, n]), lt.zeros([1, n]).astype("int32"), lt.full([1, n], 4)];
    on("wasm", () => big(xs, ok).dataSync());
    const before = lt.kernelStats().wasmMemoryBytes;
    for (let k = 0; k < 40; k++) {
      assertThrows(() => on("wasm", () => big(xs, wrong.astype("int32")).dataSync()), RangeError);
    }
    assertEquals(lt.kernelStats().wasmMemoryBytes, before);
  });

  it("reductions over gathered values: sums in float64 rounded once, maxes with NaN, rows", () => {
    const x = seq(24, [4, 6]);
    const idx = i32([[5], [0], [2], [3]]);
    const nan = lt.tensor([1, NaN, 3, -2, 0.5, 4], { shape: [2, 3] });
    const cases: [string, () => lt.Tensor][] = [
      ["sum of a gather", () => lt.gather(x, 1, idx).sum()],
      [
        "row sums of taken rows, scaled",
        () => x.take(i32([3, 1, -1, 0, 2]), 0).mul(0.1).sum({ axis: 1 }),
      ],
      ["max of a gather", () => lt.gather(x.neg(), 1, idx).max()],
      ["max with a NaN gathered", () => lt.gather(nan, 1, i32([[1], [2]])).max()],
      ["a gather beside a sum", () => lt.gather(x, 1, idx).add(x.sum({ axis: 1, keepdims: true }))],
    ];
    for (const [name, f] of cases) {
      const { wasm, js, tiers } = both(f);
      assertEquals(tiers.at(-1), "wasm", name);
      assertEquals(wasm, js, name); // moves, adds and maxes: the reference's bits
    }
    // closed form: Σ_i x[i, idx_i] with x[i, j] = -3 + 1.5 i + 0.25 j
    const want = [5, 0, 2, 3].reduce((s, j, i) => s - 3 + 1.5 * i + 0.25 * j, 0);
    assertEquals(lt.gather(x, 1, idx).sum().item(), want);
  });

  it("cross-entropy's loss kernel (a sum over a gather) runs in Wasm, under jit too", () => {
    const logits = lt.random.normal(lt.random.key(3), [32, 10]);
    const labels = lt.random.randint(lt.random.key(4), [32], 0, 10);
    const loss = (z: lt.Tensor) => nn.crossEntropy(z, labels);
    assertEquals(lt.explain(loss, logits).kernels.filter((k) => k.backend === "js"), []);
    const [z, y] = [logits.toArray() as number[][], labels.toArray() as number[]];
    // -mean(z_y - log Σ exp z), in float64
    const want = -z.reduce((s, row, i) => {
      const m = Math.max(...row);
      return s + row[y[i]] - m - Math.log(row.reduce((t, v) => t + Math.exp(v - m), 0));
    }, 0) / z.length;
    const got = lt.jit(loss)(logits).item();
    if (Math.abs(got - want) > 1e-6 * Math.abs(want)) throw new Error(`${got} vs ${want}`);
  });

  it("an embedding train step and an nn.embedding gradient have no JS kernel", () => {
    const w = lt.random.normal(lt.random.key(0), [50, 8]);
    const ids = lt.random.randint(lt.random.key(1), [4, 6], 0, 50);
    const loss = (w: lt.Tensor) => w.take(ids, 0).square().mean();
    const step = (w: lt.Tensor) => w.sub(lt.grad(loss)(w).mul(0.1));
    assertEquals(lt.explain(step, w).kernels.filter((k) => k.backend === "js"), []);
    const emb = nn.embedding(50, 8);
    const params = emb.init(lt.random.key(2));
    const g = (p: typeof params) => lt.grad((q: typeof params) => emb.apply(q, ids).sum())(p);
    assertEquals(lt.explain(g, params).kernels.filter((k) => k.backend === "js"), []);
  });
});
