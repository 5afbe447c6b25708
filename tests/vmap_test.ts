import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { bceWithLogits } from "../nn/losses.ts";
import { assertAllClose as assertClose } from "../testing/mod.ts";

const f64 = { dtype: "float64" } as const;
/** Deterministic float64 data of `shape` (no two entries equal, no ties for max). */
function data(shape: number[], seed = 1): lt.Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const values = Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.71) * 2);
  return lt.tensor(values, f64).reshape(shape);
}

/** The reference: f on each example (axis `axes[i]` of argument i, null: shared), stacked on 0. */
function loop(
  f: (...a: lt.Tensor[]) => lt.Tensor,
  axes: (number | null)[],
  args: lt.Tensor[],
): lt.Tensor {
  const i0 = axes.findIndex((a) => a !== null);
  const axis = (j: number) => (axes[j]! + args[j].shape.length) % args[j].shape.length;
  const size = args[i0].shape[axis(i0)];
  const rows = Array.from(
    { length: size },
    (_, i) => f(...args.map((x, j) => (axes[j] === null ? x : x.select(axis(j), i)))),
  );
  return lt.stack(rows);
}

type Case = {
  name: string;
  f: (...a: lt.Tensor[]) => lt.Tensor;
  args: () => lt.Tensor[];
  axes: (number | null)[];
};

// one function per primitive family, each batched on a non-leading axis somewhere
const cases: Case[] = [
  {
    name: "unary chain",
    f: (x) => x.exp().mul(x.sin()).tanh(),
    args: () => [data([3, 4])],
    axes: [0],
  },
  {
    name: "binary with a shared operand and a constant",
    f: (x, y) => x.mul(y).add(2).maximum(y),
    args: () => [data([4, 3]), data([4], 2)],
    axes: [1, null],
  },
  {
    name: "where and comparisons",
    f: (x, y) => lt.where(x.gt(y), x, y.mul(-1)),
    args: () => [data([3, 5]), data([5, 3], 3)],
    axes: [0, 1],
  },
  {
    name: "cast",
    f: (x) => x.gt(0).astype("float64").add(x),
    args: () => [data([2, 3])],
    axes: [-1],
  },
  { name: "sum over an axis", f: (x) => x.sum(1), args: () => [data([3, 4, 2])], axes: [1] },
  {
    name: "max and prod",
    f: (x) => x.max(0).add(x.prod(1)),
    args: () => [data([3, 3, 3])],
    axes: [2],
  },
  {
    name: "argmax",
    f: (x) => lt.argmax(x, 1).astype("float64"),
    args: () => [data([2, 4, 5])],
    axes: [0],
  },
  {
    name: "reshape and permute",
    f: (x) => x.reshape([2, 6]).transpose(),
    args: () => [data([3, 4, 4])],
    axes: [1],
  },
  {
    name: "broadcast (expand)",
    f: (x, y) => x.reshape([3, 1]).add(y),
    args: () => [data([3, 2]), data([4], 2)],
    axes: [1, null],
  },
  {
    name: "pad and flip",
    f: (x) => lt.flip(lt.pad(x, [[1, 2], [0, 1]], 0.5), 0),
    args: () => [data([2, 3, 4])],
    axes: [0],
  },
  {
    name: "slice with a negative step",
    f: (x) => x.slice([null, null, -2], [1, 3]),
    args: () => [data([5, 4, 3])],
    axes: [2],
  },
  {
    name: "gather with a batched source and shared index",
    f: (x) => lt.gather(x, 1, lt.tensor([[2, 0], [1, 1]], { dtype: "int32" })),
    args: () => [data([2, 3, 4])],
    axes: [1],
  },
  {
    name: "gather with a batched index",
    f: (x, i) => lt.gather(x, 0, i),
    args: () => [data([4, 3]), lt.tensor([[[3, 0, 1]], [[1, 2, 2]]], { dtype: "int32" })],
    axes: [null, 0],
  },
  {
    name: "matrix-vector, matrix shared",
    f: (a, v) => lt.matmul(a, v),
    args: () => [data([3, 4]), data([5, 4], 2)],
    axes: [null, 0],
  },
  {
    name: "vector-matrix, matrix shared",
    f: (v, a) => lt.matmul(v, a),
    args: () => [data([4, 5], 2), data([4, 3])],
    axes: [1, null],
  },
  {
    name: "matrix-matrix, left batched",
    f: (a, c) => lt.matmul(a, c),
    args: () => [data([2, 3, 4]), data([4, 5], 2)],
    axes: [0, null],
  },
  {
    name: "matrix-matrix, right batched",
    f: (a, c) => lt.matmul(a, c),
    args: () => [data([3, 4]), data([4, 2, 5], 2)],
    axes: [null, 1],
  },
  {
    name: "batched matmul, both batched",
    f: (a, c) => lt.matmul(a, c),
    args: () => [data([2, 2, 3, 4]), data([2, 2, 4, 5], 2)],
    axes: [0, 0],
  },
  {
    name: "batched matmul, one side shared",
    f: (a, c) => lt.matmul(a, c),
    args: () => [data([2, 3, 4]), data([3, 2, 4, 5], 2)],
    axes: [null, 0],
  },
  {
    name: "softmax and logSumExp",
    f: (x) => lt.softmax(x).add(lt.logSumExp(x, 0)),
    args: () => [data([3, 4])],
    axes: [0],
  },
  {
    name: "stopGradient",
    f: (x) => lt.stopGradient(x).mul(x),
    args: () => [data([3, 2])],
    axes: [0],
  },
  {
    name: "customVjp (bceWithLogits)",
    f: (x, y) => bceWithLogits(x, y),
    args: () => [data([3, 4]), lt.tensor([1, 0, 1, 0], f64)],
    axes: [0, null],
  },
];

describe("vmap", () => {
  for (const { name, f, args, axes } of cases) {
    it(`${name}: equals a loop over examples`, () => {
      const a = args();
      const got = lt.vmap(f, { inAxes: axes })(...a);
      assertClose(got, loop(f, axes, a), { rtol: 1e-12 });
    });
  }

  for (const { name, f, args, axes } of cases.filter((c) => !c.name.startsWith("argmax"))) {
    it(`${name}: per-example gradients equal a loop of grads`, () => {
      const a = args();
      const loss = (...v: lt.Tensor[]) => f(...v).square().sum();
      const wrt = a.findIndex((x) => x.dtype === "float64");
      const g = lt.grad(loss, { argnums: wrt });
      assertClose(lt.vmap(g, { inAxes: axes })(...a), loop(g, axes, a), { rtol: 1e-10 });
    });
  }

  it("per-example gradients of a linear model over a parameter tree (inAxes [null, 0, 0])", () => {
    interface Params {
      w: lt.Tensor;
      b: lt.Tensor;
    }
    const loss = (p: Params, x: lt.Tensor, y: lt.Tensor) =>
      x.matmul(p.w).add(p.b).sub(y).square().sum();
    const params: Params = { w: data([3, 2]), b: data([2], 2) };
    const xs = data([5, 3], 3);
    const ys = data([5, 2], 4);
    const per: Params = lt.vmap(lt.grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
    assertEquals([per.w.shape, per.b.shape], [[5, 3, 2], [5, 2]]);
    for (let i = 0; i < 5; i++) {
      const one = lt.grad(loss)(params, xs.select(0, i), ys.select(0, i));
      assertClose(per.w.select(0, i), one.w, { rtol: 1e-12 });
      assertClose(per.b.select(0, i), one.b, { rtol: 1e-12 });
    }
    // their mean is the gradient of the mean loss
    const mean = lt.grad((p: Params) => loss(p, xs, ys).div(5))(params);
    assertClose(per.w.mean(0), mean.w, { rtol: 1e-12 });
  });

  it("per-leaf inAxes trees and outAxes trees", () => {
    const f = (p: { a: lt.Tensor; c: lt.Tensor }) => ({ s: p.a.add(p.c), d: [p.a.mul(p.c)] });
    const a = data([3, 2]);
    const c = data([2, 3], 2);
    const out = lt.vmap(f, { inAxes: { a: 0, c: -1 }, outAxes: { s: 1, d: [0] } })({ a, c });
    assertClose(out.s, a.add(c.transpose()).transpose(), { rtol: 1e-15 });
    assertClose(out.d[0], a.mul(c.transpose()), { rtol: 1e-15 });
  });

  it("an unbatched output is broadcast along the batch axis", () => {
    const [y, z] = lt.vmap((x: lt.Tensor) => [x.mul(2), lt.tensor([1, 2])])(
      lt.tensor([[1], [2], [3]]),
    );
    assertEquals(y.toArray(), [[2], [4], [6]]);
    assertEquals(z.toArray(), [[1, 2], [1, 2], [1, 2]]);
  });

  it("vmap(vmap(f)) is the outer product; either nesting order, and with jit", () => {
    const a = data([3]);
    const c = data([4], 2);
    const outer = lt.vmap((x: lt.Tensor) => lt.vmap((y: lt.Tensor) => x.mul(y))(c))(a);
    assertClose(outer, a.reshape([3, 1]).mul(c.reshape([1, 4])), { rtol: 1e-15 });
    const both = lt.vmap(lt.vmap((x: lt.Tensor, y: lt.Tensor) => x.mul(y), { inAxes: [null, 0] }), {
      inAxes: [0, null],
    });
    assertClose(both(a, c), outer, { rtol: 1e-15 });
    assertClose(lt.jit(both)(a, c), outer, { rtol: 1e-15 });
    // pairwise squared distances, a matrix of them per batch
    const pts = data([2, 3, 2], 5);
    const dist = (p: lt.Tensor, q: lt.Tensor) => p.sub(q).square().sum();
    const all = lt.vmap((set: lt.Tensor) =>
      lt.vmap(lt.vmap(dist, { inAxes: [null, 0] }), { inAxes: [0, null] })(set, set)
    )(pts);
    const p = pts.reshape([2, 3, 1, 2]);
    const q = pts.reshape([2, 1, 3, 2]);
    assertClose(all, p.sub(q).square().sum(-1), { rtol: 1e-12 });
  });

  it("grad(vmap(f)) and jvp(vmap(f)) match the hand-batched function", () => {
    const x = data([4, 3]);
    const f = (v: lt.Tensor) => v.sin().mul(v).sum();
    const batched = (m: lt.Tensor) => lt.vmap(f)(m).square().sum();
    const byHand = (m: lt.Tensor) => m.sin().mul(m).sum(1).square().sum();
    assertClose(lt.grad(batched)(x), lt.grad(byHand)(x), { rtol: 1e-12 });
    const t = data([4, 3], 9);
    assertClose(lt.jvp(batched, [x], [t])[1], lt.jvp(byHand, [x], [t])[1], { rtol: 1e-12 });
    // and through a customVjp under vmap (its backward batched)
    const y = lt.tensor([1, 0, 1], f64);
    const lossB = (m: lt.Tensor) =>
      lt.vmap((r: lt.Tensor) => bceWithLogits(r, y), { inAxes: 0 })(m).sum();
    const lossH = (m: lt.Tensor) => bceWithLogits(m, y.reshape([1, 3]).broadcastTo([4, 3])).mul(4);
    assertClose(lt.grad(lossB)(x), lt.grad(lossH)(x), { rtol: 1e-12 });
  });

  it("jit(vmap(f)) compiles into the kernels of the hand-batched function", () => {
    const realized = (t: lt.Tensor) => (t.dataSync(), t);
    const w = realized(data([4, 3]).astype("float32"));
    const bias = realized(data([4], 2).astype("float32"));
    const xs = realized(data([6, 3], 3).astype("float32"));
    const layer = (x: lt.Tensor) => lt.matmul(w, x).add(bias).relu();
    const byHand = (x: lt.Tensor) => lt.matmul(x, w.transpose()).add(bias).relu();
    const kinds = (f: (x: lt.Tensor) => lt.Tensor) =>
      lt.explain(lt.jit(f), xs).kernels.map((k) => k.kind);
    assertEquals(kinds(lt.vmap(layer)), kinds(byHand));
    assertEquals(kinds(lt.vmap(layer)), ["matmul"]);
    const jitted = lt.jit(lt.vmap(layer));
    assertClose(jitted(xs), byHand(xs), { rtol: 1e-6 });
    assertClose(jitted(xs.mul(2)), byHand(xs.mul(2)), { rtol: 1e-6 });
    assertEquals(jitted.compileCount, 1);
    // an elementwise chain with a reduction stays one kernel per reduction, as by hand
    const norm = (x: lt.Tensor) => x.sub(x.mean()).div(x.square().mean().sqrt());
    const normHand = (x: lt.Tensor) => x.sub(x.mean(1, true)).div(x.square().mean(1, true).sqrt());
    assertEquals(kinds(lt.vmap(norm)).length, kinds(normHand).length);
  });

  it("vmap(jit(f)) inlines the jitted function", () => {
    const f = lt.jit((x: lt.Tensor) => x.mul(x).sum());
    assertEquals(lt.vmap(f)(lt.tensor([[1, 2], [3, 4]])).toArray(), [5, 25]);
  });

  it("errors: mismatched batch sizes name both arguments and axes", () => {
    const f = (x: lt.Tensor, y: lt.Tensor) => x.add(y);
    assertThrows(
      () => lt.vmap(f, { inAxes: [0, 1] })(lt.zeros([3, 2]), lt.zeros([3, 4])),
      RangeError,
      "vmap() expected one batch size: argument 0 (shape [3, 2]) has 3 along axis 0 but argument 1 (shape [3, 4]) has 4 along axis 1: batch every input along an axis of the same size, or give shared inputs a null axis",
    );
    assertThrows(
      () =>
        lt.vmap((p: { a: lt.Tensor; b: lt.Tensor }) => p.a)({ a: lt.zeros([2]), b: lt.zeros([5]) }),
      RangeError,
      "argument 0.a (shape [2]) has 2 along axis 0 but argument 0.b (shape [5]) has 5 along axis 0",
    );
  });

  it("errors: axes out of range, wrong inAxes length, nothing batched, bad options", () => {
    const id = (x: lt.Tensor) => x;
    assertThrows(
      () => lt.vmap(id, { outAxes: 2 })(lt.zeros([3, 2])),
      RangeError,
      "vmap() outAxes 2 is out of range for output, which has 2 axes with the batch: use an axis in [-2, 1]",
    );
    assertThrows(
      () => lt.vmap(id, { inAxes: -3 })(lt.zeros([3, 2])),
      RangeError,
      "vmap() inAxes -3 is out of range for argument 0, which has 2 axes with the batch: use an axis in [-2, 1]",
    );
    assertThrows(
      () => lt.vmap(id, { inAxes: [0, 0] })(lt.zeros([3])),
      RangeError,
      "vmap() inAxes has 2 entries: expected one per argument (1)",
    );
    assertThrows(
      () => lt.vmap(id, { inAxes: null })(lt.zeros([3])),
      TypeError,
      "vmap() expected at least one batched input",
    );
    assertThrows(
      () => lt.vmap(id, { outAxes: null })(lt.zeros([3])),
      TypeError,
      "vmap() outAxes is null at output, but that output depends on the batched inputs: give it an axis",
    );
    assertThrows(
      () => lt.vmap((p: { a: lt.Tensor }) => p.a, { inAxes: { b: 0 } })({ a: lt.zeros([3]) }),
      TypeError,
      "vmap() inAxes has no entry for argument 0.a: give every key an axis (or null)",
    );
    assertThrows(() => lt.vmap(id, { in_axes: 0 } as lt.VmapOptions), TypeError, "in_axes");
  });

  it("a batch of zero examples gives empty results", () => {
    const y = lt.vmap((x: lt.Tensor) => x.mul(2).sum())(lt.zeros([0, 3]));
    assertEquals(y.shape, [0]);
  });
});
