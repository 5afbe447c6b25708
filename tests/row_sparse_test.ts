// Row-sparse embedding gradients and the in-place row updates of donated
// tables (issue 15): against torch's Embedding(sparse=True) with SGD and
// SparseAdam (tests/fixtures/gen_sparse_optim.py, float64) and against plain
// loops; the donated tensors' errors; the Wasm resident copy kept equal; a
// long loop reusing one buffer.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertLessOrEqual, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import { RowSparse, rowSparseGrad, sparseAdam, sparseSgd } from "../nn/optim.ts";
import fx from "./fixtures/sparse_optim.json" with { type: "json" };

const f64 = { dtype: "float64" } as const;
const i32 = { dtype: "int32" } as const;

/** Plain loops: the summed gradient of each row used, as a dense [vocab × dim] array. */
function denseRowGrad(ids: ArrayLike<number>, g: ArrayLike<number>, vocab: number, dim: number) {
  const out = new Float64Array(vocab * dim);
  for (let i = 0; i < ids.length; i++) {
    for (let j = 0; j < dim; j++) out[ids[i] * dim + j] += g[i * dim + j];
  }
  return out;
}

/** Element by element, `|a - b| ≤ tol · max(1, |b|)`. */
function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  assertEquals(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assertLessOrEqual(Math.abs(a[i] - b[i]), tol * Math.max(1, Math.abs(b[i])), `at ${i}`);
  }
}

/** A small deterministic stream of numbers in [-1, 1). */
function numbers(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
}

/** The torch fixture's loss, `sum((table[ids] - target)²)`: the looked-up rows' gradient, from lathe's grad. */
function rowsGrad(table: Tensor, step: number): [Tensor, Tensor] {
  const ids = lt.tensor(fx.ids[step], i32);
  const target = lt.tensor(fx.targets[step], f64).reshape([2, 3, fx.dim]);
  const g = lt.grad((r: Tensor) => r.sub(target).square().sum())(table.take(ids, 0));
  return [ids, g];
}

describe("rowSparseGrad", () => {
  it("sums repeated ids into ascending rows (plain loops)", () => {
    const [vocab, dim] = [50, 4];
    const ids = [7, 3, 7, 49, 0, 3, 7, 12];
    const g = numbers(ids.length * dim, 1);
    const sparse = rowSparseGrad(
      lt.tensor(ids, i32).reshape([2, 4]),
      lt.tensor(g, f64).reshape([2, 4, dim]),
      vocab,
    );
    assertEquals([...sparse.indices], [0, 3, 7, 12, 49]);
    assertEquals(sparse.shape, [vocab, dim]);
    const ref = denseRowGrad(ids, g, vocab, dim);
    const rows = [...sparse.indices].flatMap((r) => [...ref.subarray(r * dim, (r + 1) * dim)]);
    assertClose([...sparse.values], rows, 1e-15);
    assertClose([...sparse.toDense().dataSync()], [...ref], 1e-15);
  });

  it("matches torch's coalesced Embedding(sparse=True) gradient", () => {
    // the fixture's gradients are those of its SGD run: each step's table is the last one's update
    let table = lt.tensor(fx.w0, f64).reshape([fx.vocab, fx.dim]);
    fx.grads.forEach((want, step) => {
      const [ids, g] = rowsGrad(table, step);
      const sparse = rowSparseGrad(ids, g, fx.vocab);
      assertEquals([...sparse.indices], want.indices);
      assertClose([...sparse.values], want.values, 1e-12);
      table = lt.tensor(fx.sgd.weights[step], f64).reshape([fx.vocab, fx.dim]);
    });
  });

  it("RowSparse checks its parts", () => {
    const v = new Float32Array(4);
    assertThrows(
      () => new RowSparse([5, 2], Int32Array.of(3, 1), v),
      RangeError,
      "found 1 at position 1",
    );
    assertThrows(() => new RowSparse([5, 2], Int32Array.of(1, 5), v), RangeError, "[0, 5)");
    assertThrows(() => new RowSparse([5, 2], Int32Array.of(1), v), RangeError, "found 4");
    assertEquals(new RowSparse([5, 2], Int32Array.of(1, 4), v).rowSize, 2);
  });

  it("rejects bad ids, shapes, dtypes and traced use", () => {
    const g = lt.ones([2, 3]);
    assertThrows(() => rowSparseGrad(lt.tensor([0, 5], i32), g, 5), RangeError, "index 5");
    assertThrows(() => rowSparseGrad(lt.tensor([0, -1], i32), g, 5), RangeError, "[0, 5)");
    assertThrows(() => rowSparseGrad(lt.tensor([0, 1]), g, 5), TypeError, "int32");
    assertThrows(
      () => rowSparseGrad(lt.tensor([0, 1, 2], i32), g, 5),
      RangeError,
      "[...index.shape",
    );
    assertThrows(
      () => rowSparseGrad(lt.tensor([0, 1], i32), g, 0),
      RangeError,
      "positive integer",
    );
    const traced = lt.jit((x: Tensor) => rowSparseGrad(lt.tensor([0, 1], i32), x, 5).toDense());
    assertThrows(() => traced(g), Error, "Cannot read tensor values while jit traces");
  });
});

describe("sparse optimizers against torch", () => {
  for (const name of ["sgd", "adam"] as const) {
    it(`${name}: three steps of Embedding(sparse=True) match torch (float64)`, () => {
      const want = fx[name].weights;
      let table = lt.tensor(fx.w0, f64).reshape([fx.vocab, fx.dim]);
      if (name === "sgd") {
        const opt = sparseSgd(fx.sgd.lr);
        let state = opt.init(table);
        for (let s = 0; s < 3; s++) {
          const [ids, g] = rowsGrad(table, s);
          [table, state] = opt.update(table, rowSparseGrad(ids, g, fx.vocab), state);
          assertClose([...table.dataSync()], want[s], 1e-12);
        }
      } else {
        const { lr, beta1, beta2, eps } = fx.adam;
        const opt = sparseAdam(lr, { beta1, beta2, eps });
        let state = opt.init(table);
        for (let s = 0; s < 3; s++) {
          const [ids, g] = rowsGrad(table, s);
          [table, state] = opt.update(table, rowSparseGrad(ids, g, fx.vocab), state);
          assertClose([...table.dataSync()], want[s], 1e-12);
        }
        assertEquals(state.step, 3);
      }
    });
  }
});

describe("sparseSgd", () => {
  it("trains like the dense jitted step w - lr·grad(w) (float64, 20 steps)", () => {
    const [vocab, dim, lr] = [300, 5, 0.3];
    const ids = lt.tensor(numbers(24, 4).map((x) => Math.floor((x + 1) * 20)), i32).reshape([4, 6]);
    const target = lt.tensor(numbers(24 * dim, 5), f64).reshape([4, 6, dim]);
    const loss = (rows: Tensor) => rows.sub(target).square().mean();
    const dense = lt.jit((w: Tensor) =>
      w.sub(lt.grad((w: Tensor) => loss(w.take(ids, 0)))(w).mul(lr))
    );
    const rowsGrad = lt.jit((w: Tensor) => lt.grad(loss)(w.take(ids, 0)));
    const opt = sparseSgd(lr);
    let wd = lt.tensor(numbers(vocab * dim, 6), f64).reshape([vocab, dim]);
    let ws = lt.tensor(numbers(vocab * dim, 6), f64).reshape([vocab, dim]);
    for (let i = 0; i < 20; i++) {
      wd = dense(wd);
      [ws] = opt.update(ws, rowSparseGrad(ids, rowsGrad(ws), vocab), {});
    }
    assertClose([...ws.dataSync()], [...wd.dataSync()], 1e-12);
  });
});

describe("sparseAdam", () => {
  it("lazy AdamW on float32 matches plain loops; untouched rows and moments stay", () => {
    const [vocab, dim, lr, b1, b2, eps, wd] = [6, 2, 0.05, 0.9, 0.99, 1e-8, 0.1];
    const w = numbers(vocab * dim, 3);
    const p = Float64Array.from(w),
      m = new Float64Array(vocab * dim),
      v = new Float64Array(vocab * dim);
    let table = lt.tensor(w).reshape([vocab, dim]);
    const opt = sparseAdam(lr, { beta1: b1, beta2: b2, eps, weightDecay: wd });
    let state = opt.init(table);
    const steps = [[1, 4, 1], [4, 2, 2]];
    steps.forEach((ids, s) => {
      const g = numbers(ids.length * dim, 10 + s);
      const dense = denseRowGrad(ids, g, vocab, dim);
      const t = s + 1;
      const size = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (const r of new Set(ids)) {
        for (let j = r * dim; j < (r + 1) * dim; j++) {
          m[j] = b1 * m[j] + (1 - b1) * dense[j];
          v[j] = b2 * v[j] + (1 - b2) * dense[j] ** 2;
          p[j] = p[j] * (1 - lr * wd) - size * m[j] / (Math.sqrt(v[j]) + eps);
        }
      }
      const grad = rowSparseGrad(lt.tensor(ids, i32), lt.tensor(g).reshape([3, dim]), vocab);
      [table, state] = opt.update(table, grad, state);
    });
    assertClose([...table.dataSync()], [...p], 1e-6);
    assertClose([...state.m.dataSync()], [...m], 1e-6);
    assertClose([...state.v.dataSync()], [...v], 1e-6);
    // rows 0, 3 and 5 were never used: their values are the initial ones exactly
    for (const r of [0, 3, 5]) assertEquals(table.dataSync()[r * dim], Math.fround(w[r * dim]));
  });

  it("checks everything before donating anything", () => {
    const table = lt.ones([4, 2]);
    const grad = rowSparseGrad(lt.tensor([1], i32), lt.ones([1, 2]), 4);
    const [m, v] = [lt.zeros([4, 2]), lt.zeros([4, 3])];
    const adam = sparseAdam(0.1);
    assertThrows(
      () => adam.update(table, grad, { step: 0, m, v }),
      RangeError,
      "[4, 3] at argument 2",
    );
    assertThrows(() => adam.update(table, grad, { step: 0, m, v: m }), Error, "one tensor");
    assertThrows(() => adam.update(lt.ones([5, 2]), grad, adam.init(table)), RangeError, "[5, 2]");
    assertThrows(
      () => sparseSgd(0.1).update(table.astype("float64"), grad, {}),
      TypeError,
      "float32",
    );
    assertThrows(() => sparseSgd(-1), RangeError, "lr");
    assertThrows(() => sparseAdam(0.1, { beta1: 1 }), RangeError, "beta1");
    assertEquals(table.sum().item(), 8); // still usable
    assertEquals(m.sum().item(), 0);
  });

  it("updateRowsInPlace rejects rows out of order or range", () => {
    const t = lt.ones([4, 2]);
    const noop = () => {};
    assertThrows(
      () => lt.updateRowsInPlace("f", [t], Int32Array.of(2, 1), noop),
      RangeError,
      "found 1",
    );
    assertThrows(
      () => lt.updateRowsInPlace("f", [t], Int32Array.of(4), noop),
      RangeError,
      "[0, 4)",
    );
    assertThrows(
      () => lt.updateRowsInPlace("f", [t.astype("int32")], Int32Array.of(0), noop),
      TypeError,
      "float32",
    );
    assertEquals(t.sum().item(), 8);
  });
});

describe("donated tables", () => {
  it("throw a clear error on any later use", () => {
    const table = lt.ones([3, 2]);
    const pending = table.mul(2); // built before the donation, computed after
    const grad = rowSparseGrad(lt.tensor([2], i32), lt.ones([1, 2]), 3);
    const sgd = sparseSgd(0.5);
    const [next] = sgd.update(table, grad, {});
    assertEquals(next.toArray(), [[1, 1], [1, 1], [0.5, 0.5]]);
    const msg = "donated to sparseSgd()";
    assertThrows(() => table.dataSync(), Error, msg);
    assertThrows(() => table.add(1), Error, msg);
    assertThrows(() => pending.dataSync(), Error, msg);
    assertThrows(() => lt.jit((x: Tensor) => x.mul(2))(table), Error, msg);
    assertThrows(() => sgd.update(table, grad, {}), Error, msg);
  });

  it("never leave a stale Wasm resident copy behind", () => {
    // a 64 KiB float32 table read by a jitted elementwise kernel (Wasm) gets a resident copy
    const [vocab, dim] = [2048, 8];
    const ids = lt.tensor([5, 2000, 5], i32);
    const scaled = lt.jit((t: Tensor) => t.mul(2));
    const start = numbers(vocab * dim, 7);
    let table = lt.tensor(start).reshape([vocab, dim]);
    for (let i = 0; i < 3; i++) scaled(table).dataSync();
    const grad = rowSparseGrad(ids, lt.ones([3, dim]), vocab);
    for (let i = 1; i <= 3; i++) {
      [table] = sparseSgd(0.25).update(table, grad, {});
      // plain loops: rows 5 (used twice) and 2000 moved, the others did not
      const want = start.map((x, j) => {
        const r = Math.floor(j / dim);
        return 2 * Math.fround(x - (r === 5 ? 0.5 * i : r === 2000 ? 0.25 * i : 0));
      });
      assertClose([...scaled(table).dataSync()], want, 1e-6);
    }
  });

  it("reuse one buffer through a long training loop", () => {
    const [vocab, dim] = [50_000, 8];
    const ids = lt.tensor(numbers(64, 9).map((x) => Math.floor((x + 1) * vocab / 2)), i32);
    const opt = sparseAdam(0.01);
    let table = lt.zeros([vocab, dim]);
    let state = opt.init(table);
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 200; i++) {
      const grad = rowSparseGrad(ids, table.take(ids, 0).sub(1), vocab);
      [table, state] = opt.update(table, grad, state);
      buffers.add(table.dataSync().buffer);
      buffers.add(state.m.dataSync().buffer);
      buffers.add(state.v.dataSync().buffer);
    }
    assertEquals(buffers.size, 3); // no table-sized allocation per step
    assert(table.dataSync().some((x) => x > 0.5));
  });
});
