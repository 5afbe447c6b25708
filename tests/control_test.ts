import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertAllClose, checkGrads } from "../testing/mod.ts";

const f64 = { dtype: "float64" } as const;
type T = lt.Tensor;

/** h ← tanh(W h + x_t), summing each step's h: an RNN whose weight the body reads from outside. */
function rnn(w: T) {
  return (h0: T, xs: T) =>
    lt.scan(
      (h: T, x: T) => {
        const next = lt.matmul(w, h).add(x).tanh();
        return [next, next.sum()] as const;
      },
      h0,
      xs,
    );
}

describe("scan", () => {
  it("cumulative sums and products, eager and under jit, forward and reverse", () => {
    const step = (c: T, x: T) => [c.add(x), c.mul(x)] as const;
    const xs = lt.tensor([1, 2, 3, 4]);
    const fwd = (xs: T) => lt.scan(step, lt.tensor(0), xs);
    for (const run of [fwd, lt.jit(fwd)]) {
      const [total, before] = run(xs);
      assertEquals([total.item(), before.toArray()], [10, [0, 2, 9, 24]]);
    }
    const rev = (xs: T) =>
      lt.scan(
        (c: T, x: T) => [c.mul(10).add(x), c] as const,
        lt.tensor(0),
        xs,
        { reverse: true },
      );
    for (const run of [rev, lt.jit(rev)]) {
      const [c, ys] = run(xs);
      assertEquals([c.item(), ys.toArray()], [4321, [432, 43, 4, 0]]);
    }
  });

  it("carries and outputs are trees; xs may be null with a length", () => {
    type Carry = { a: T; b: T[] };
    const body = (c: Carry, _x: null): [Carry, { sq: T }] => [
      { a: c.a.add(1), b: [c.b[0].mul(2)] },
      { sq: c.a.square() },
    ];
    const f = (n: number) =>
      lt.scan(body, { a: lt.tensor(0), b: [lt.tensor([1, 3])] }, null, {
        length: n,
      });
    for (const run of [f, lt.jit(f, { staticArgnums: [0] })]) {
      const [c, ys] = run(4);
      assertEquals([c.a.item(), c.b[0].toArray(), ys.sq.toArray()], [4, [
        16,
        48,
      ], [0, 1, 4, 9]]);
    }
  });

  it("a jitted RNN over 2,000 steps equals a plain loop, compiles once and reruns without recompiling", () => {
    const w = lt.random.normal(lt.random.key(0), [8, 8]).div(3);
    const xs = lt.random.normal(lt.random.key(1), [2000, 8]);
    /** The same recurrence in float64 JavaScript. */
    const reference = (scale: number) => {
      const wv = w.dataSync();
      const xv = xs.dataSync();
      let h = new Float64Array(8);
      const sums: number[] = [];
      for (let t = 0; t < 2000; t++) {
        const next = new Float64Array(8);
        for (let i = 0; i < 8; i++) {
          let acc = xv[t * 8 + i] * scale;
          for (let k = 0; k < 8; k++) acc += wv[i * 8 + k] * h[k];
          next[i] = Math.tanh(acc);
        }
        h = next;
        sums.push(h.reduce((a, v) => a + v, 0));
      }
      return { h: [...h], sums };
    };
    const jitted = lt.jit(rnn(w));
    const [h, ys] = jitted(lt.zeros([8]), xs);
    const ref = reference(1);
    assertAllClose(h, ref.h, { rtol: 1e-4, atol: 1e-5 });
    assertAllClose(ys, ref.sums, { rtol: 1e-4, atol: 1e-4 });
    const [h2] = jitted(lt.zeros([8]), xs.mul(0.5));
    assertAllClose(h2, reference(0.5).h, { rtol: 1e-4, atol: 1e-5 });
    assertEquals(jitted.compileCount, 1);
  });

  it("the compiled program does not grow with the trip count", () => {
    const w = lt.random.normal(lt.random.key(0), [8, 8]);
    const kernels = (n: number) =>
      lt.explain(lt.jit(rnn(w)), lt.zeros([8]), lt.zeros([n, 8])).kernels
        .length;
    assertEquals(kernels(2000), kernels(10));
    assertEquals(kernels(10) > 0, true); // the body's kernels are listed once
    // unrolled, the same recurrence is a kernel per step at least
    const unrolled = (h0: T, xs: T) => {
      let h = h0;
      for (let t = 0; t < xs.shape[0]; t++) {
        h = lt.matmul(w, h).add(xs.select(0, t)).tanh();
      }
      return h;
    };
    const big = lt.explain(lt.jit(unrolled), lt.zeros([8]), lt.zeros([50, 8])).kernels
      .length;
    assertEquals(big >= 50, true, `${big} kernels`);
  });

  it("nested scans and loops inside a compiled body", () => {
    const inner = (c: T, row: T) => lt.scan((s: T, x: T) => [s.add(x), s] as const, c, row)[0];
    const f = (m: T) => lt.scan((c: T, row: T) => [inner(c, row), c] as const, lt.tensor(0), m);
    const m = lt.tensor([[1, 2], [3, 4], [5, 6]]);
    for (const run of [f, lt.jit(f)]) {
      const [total, before] = run(m);
      assertEquals([total.item(), before.toArray()], [21, [0, 3, 10]]);
    }
  });

  it("gradients through scan match the closed form and finite differences (eager and jit)", () => {
    // x₃ = a³x₀ + a²u₀ + a u₁ + u₂
    const f = (a: T, us: T) =>
      lt.scan(
        (x: T, u: T) => [x.mul(a).add(u), x] as const,
        lt.tensor(1, f64),
        us,
      )[0];
    const a = lt.tensor(0.9, f64);
    const us = lt.tensor([0.1, 0.2, 0.3], f64);
    const closed = [3 * 0.81 + 2 * 0.9 * 0.1 + 0.2, [0.81, 0.9, 1]];
    for (
      const g of [
        lt.grad(f, { argnums: [0, 1] }),
        lt.jit(lt.grad(f, { argnums: [0, 1] })),
      ]
    ) {
      const [da, du] = g(a, us);
      assertAllClose(da, closed[0] as number, { rtol: 1e-12 });
      assertAllClose(du, closed[1] as number[], { rtol: 1e-12 });
    }
    const w = lt.tensor([[0.5, -0.3], [0.2, 0.4]], f64);
    const loss = (w: T, xs: T) => rnn(w)(lt.zeros([2], f64), xs)[1].square().sum();
    checkGrads(loss, [
      w,
      lt.tensor([[0.1, 0.2], [-0.3, 0.5], [0.7, -0.1]], f64),
    ], { order: 2 });
  });

  it("under jit, grad runs a compiled reverse loop: equal to eager grads, program size independent of length", () => {
    const loss = (w: T, xs: T) => {
      const [h, ys] = rnn(w)(lt.zeros([4], f64), xs);
      return h.square().sum().add(ys.square().sum());
    };
    const w = lt.random.normal(lt.random.key(0), [4, 4]).div(2).astype("float64");
    const xs = lt.random.normal(lt.random.key(1), [50, 4]).astype("float64");
    const g = lt.grad(loss, { argnums: [0, 1] });
    const jg = lt.jit(g);
    const [ew, ex] = g(w, xs);
    const [jw, jx] = jg(w, xs);
    assertAllClose(jw, ew, { rtol: 1e-12, atol: 1e-14 });
    assertAllClose(jx, ex, { rtol: 1e-12, atol: 1e-14 });
    const kernels = (n: number) => lt.explain(jg, w, lt.zeros([n, 4], f64)).kernels.length;
    assertEquals(kernels(2000), kernels(10));
    // a reverse scan, and a foriLoop, differentiated under jit
    const rv = (a: T, us: T) =>
      lt.scan((x: T, u: T) => [x.mul(a).add(u), x] as const, lt.tensor(1, f64), us, {
        reverse: true,
      })[1].sum();
    const a = lt.tensor(0.9, f64);
    const us = lt.tensor([0.1, 0.2, 0.3], f64);
    // ys = [x₁, x₂, x₃] of the reversed recurrence: x₃ = 1, x₂ = a + u₂, x₁ = a² + a u₂ + u₁
    const [da, du] = lt.jit(lt.grad(rv, { argnums: [0, 1] }))(a, us);
    assertAllClose(da, 1 + 2 * 0.9 + 0.3, { rtol: 1e-12 });
    assertAllClose(du, [0, 1, 1.9], { rtol: 1e-12 });
    const fl = (x: T) => lt.foriLoop(0, 5, (i, c: T) => c.div(2).add(i.astype(c.dtype)).mul(c), x);
    assertAllClose(
      lt.jit(lt.grad(fl))(lt.tensor(0.7, f64)),
      lt.grad(fl)(lt.tensor(0.7, f64)).item(),
      {
        rtol: 1e-12,
      },
    );
  });

  it("second derivatives and jvp through scan, eager and compiled: closed form", () => {
    // c₁ = sin(v₀), c₂ = sin(c₁ v₁)
    const f = (v: T) =>
      lt.scan((c: T, x: T) => [c.mul(x).sin(), c] as const, lt.tensor(1, f64), v)[0];
    const [v0, v1] = [0.5, 0.2];
    const c1 = Math.sin(v0);
    const [C, S] = [Math.cos(c1 * v1), Math.sin(c1 * v1)];
    const want = [
      [-S * v1 * v1 * Math.cos(v0) ** 2 - C * v1 * Math.sin(v0), Math.cos(v0) * (C - S * v1 * c1)],
      [Math.cos(v0) * (C - S * v1 * c1), -S * c1 * c1],
    ];
    const v = lt.tensor([v0, v1], f64);
    for (const h of [lt.hessian(f), lt.jit(lt.hessian(f))]) {
      assertAllClose(h(v), want, { rtol: 1e-12 });
    }
    // grad of grad (no vmap): row 0 of the Hessian, eager and compiled
    const g0 = (v: T) => lt.grad((u: T) => f(u))(v).select(0, 0);
    for (const gg of [lt.grad(g0), lt.jit(lt.grad(g0))]) {
      assertAllClose(gg(v), want[0], { rtol: 1e-12 });
    }
    // jvp: the directional derivative along t
    const df = [Math.cos(c1 * v1) * v1 * Math.cos(v0), Math.cos(c1 * v1) * c1];
    const t = [0.3, -2];
    const jv = (v: T) => lt.jvp(f, [v], [lt.tensor(t, f64)]);
    for (const run of [jv, lt.jit(jv)]) {
      const [value, tangent] = run(v);
      assertAllClose(value, Math.sin(c1 * v1), { rtol: 1e-14 });
      assertAllClose(tangent, df[0] * t[0] + df[1] * t[1], { rtol: 1e-12 });
    }
  });

  it("grad of a 2,000-step scan outside jit: a reverse scan, equal to the compiled gradient", () => {
    const loss = (w: T, xs: T) => {
      const [c, ys] = lt.scan(
        (c: T, x: T) => {
          const next = c.mul(w).add(x).tanh();
          return [next, next.square()] as const;
        },
        lt.tensor(0, f64),
        xs,
      );
      return c.add(ys.sum());
    };
    const xs = lt.random.normal(lt.random.key(7), [2000]).astype("float64");
    const w = lt.tensor(0.8, f64);
    const [gw, gx] = lt.grad(loss, { argnums: [0, 1] })(w, xs);
    const [jw, jx] = lt.jit(lt.grad(loss, { argnums: [0, 1] }))(w, xs);
    assertAllClose(gw, jw, { rtol: 1e-12 });
    assertAllClose(gx, jx, { rtol: 1e-12, atol: 1e-15 });
    // and against finite differences on a short prefix
    checkGrads((w: T, xs: T) => loss(w, xs), [w, xs.slice([0, 6])], { order: 2 });
  });

  it("vmap of a scan is one batched scan: equal to a loop over examples, in every composition", () => {
    const w = lt.random.normal(lt.random.key(3), [4, 4]).div(2).astype("float64");
    const h0s = lt.random.normal(lt.random.key(4), [3, 4]).astype("float64");
    const xss = lt.random.normal(lt.random.key(5), [3, 6, 4]).astype("float64");
    const one = (i: number) => rnn(w)(h0s.select(0, i), xss.select(0, i));
    const loop = [0, 1, 2].map(one);
    const tol = { rtol: 1e-12, atol: 1e-14 };
    for (const run of [lt.vmap(rnn(w)), lt.jit(lt.vmap(rnn(w)))]) {
      const [h, ys] = run(h0s, xss);
      assertAllClose(h, lt.stack(loop.map((l) => l[0])), tol);
      assertAllClose(ys, lt.stack(loop.map((l) => l[1])), tol);
    }
    // under jit: one compile, and the kernel count does not grow with the length
    const jv = lt.jit(lt.vmap(rnn(w)));
    const long = lt.zeros([3, 500, 4], f64);
    jv(h0s, long);
    jv(h0s, long);
    assertEquals(jv.compileCount, 1);
    const kernels = (n: number) => lt.explain(jv, h0s, lt.zeros([3, n, 4], f64)).kernels.length;
    assertEquals(kernels(2000), kernels(5));
    // the weight batched (a different RNN per example), xs shared (inAxes null)
    const ws = lt.stack([w, w.mul(-1), w.mul(0.5)]);
    const byWeight = lt.vmap((w: T, h0: T, xs: T) => rnn(w)(h0, xs)[0], {
      inAxes: [0, 0, null],
    });
    assertAllClose(
      byWeight(ws, h0s, xss.select(0, 0)),
      lt.stack([0, 1, 2].map((i) => rnn(ws.select(0, i))(h0s.select(0, i), xss.select(0, 0))[0])),
      tol,
    );
    // grad of a vmapped scan, and per-example gradients (vmap of grad)
    const lossOne = (h0: T, xs: T) => rnn(w)(h0, xs)[1].square().sum();
    const perLoop = lt.stack(
      [0, 1, 2].map((i) => lt.grad(lossOne)(h0s.select(0, i), xss.select(0, i))),
    );
    assertAllClose(lt.grad((h: T) => lt.vmap(lossOne)(h, xss).sum())(h0s), perLoop, tol);
    assertAllClose(lt.vmap(lt.grad(lossOne))(h0s, xss), perLoop, tol);
    const perExample = lt.jit(lt.vmap(lt.grad(lossOne)));
    assertAllClose(perExample(h0s, xss), perLoop, tol);
    // per-example gradients run batched forward and reverse scans: no unrolling with the length
    const count = (n: number) =>
      lt.explain(perExample, h0s, lt.zeros([3, n, 4], f64)).kernels.length;
    assertEquals(count(1000), count(4));
    // second order per example: vmap of a hessian through scan, against the unbatched one
    const h2 = (v: T) =>
      lt.scan((c: T, x: T) => [c.mul(x).sin(), c] as const, lt.tensor(1, f64), v)[0];
    const vs = lt.tensor([[0.5, 0.2], [-0.3, 1.1]], f64);
    assertAllClose(
      lt.vmap(lt.grad((v: T) => lt.grad(h2)(v).sum()))(vs),
      lt.stack([0, 1].map((i) => lt.grad((v: T) => lt.grad(h2)(v).sum())(vs.select(0, i)))),
      tol,
    );
    // nested: a batch of batches
    const [hh] = lt.vmap(lt.vmap(rnn(w)))(lt.stack([h0s, h0s.mul(2)]), lt.stack([xss, xss]));
    assertAllClose(
      hh.select(0, 1).select(0, 2),
      rnn(w)(h0s.select(0, 2).mul(2), xss.select(0, 2))[0],
      tol,
    );
    // a scan that does not depend on the batch runs once, outside it (c₃ = w³ + w² + 2w + 3)
    const g = (w: T, x: T) =>
      lt.scan(
        (c: T, u: T) => [c.mul(w).add(u), c] as const,
        lt.tensor(1, f64),
        lt.tensor([1, 2, 3], f64),
      )[0]
        .mul(x);
    const xb = lt.tensor([1, 2], f64);
    const half = lt.tensor(0.5, f64);
    assertAllClose(lt.jit(lt.vmap(g, { inAxes: [null, 0] }))(half, xb), [4.375, 8.75], tol);
    assertAllClose(lt.vmap(lt.grad(g), { inAxes: [null, 0] })(half, xb), [3.75, 7.5], tol);
    // a scalar scan (the earlier test)
    const f = (u: T) =>
      lt.scan((x: T, v: T) => [x.mul(0.5).add(v), x] as const, lt.tensor(0), u)[0];
    assertAllClose(lt.vmap(f)(lt.tensor([[1, 2, 3], [4, 0, 0]])), [0.25 + 1 + 3, 1], {
      rtol: 1e-6,
    });
  });

  it("errors: a carry that changes shape, xs of different lengths", () => {
    assertThrows(
      () =>
        lt.scan(
          (c: T, x: T) => [c.reshape([1]).add(x), x] as const,
          lt.tensor(0),
          lt.tensor([1, 2]),
        ),
      TypeError,
      "scan() body returned carry leaf 0 is float32[1], expected float32[]: the carry must keep the structure, shapes and dtypes of init",
    );
    assertThrows(
      () =>
        lt.scan((c: T, x: T[]) => [c, x[0]] as const, lt.tensor(0), [
          lt.zeros([3]),
          lt.zeros([4]),
        ]),
      RangeError,
      "scan() expected 3 steps (xs leaf 0): xs leaf 1 has 4 along axis 0",
    );
    assertThrows(
      () => lt.scan((c: T, _x: null) => [c, c] as const, lt.tensor(0), null),
      TypeError,
      "scan() expected xs with tensors or a length: found neither: pass { length }",
    );
  });
});

describe("foriLoop and whileLoop", () => {
  it("foriLoop: x ← x/2 + i, eager and jitted, and its gradient", () => {
    const f = (x: T) => lt.foriLoop(0, 5, (i, c: T) => c.div(2).add(i.astype(c.dtype)), x);
    // x₅ = x₀/32 + Σ i/2^(4-i)
    const ref = (x: number) => x / 32 + [0, 1, 2, 3, 4].reduce((s, i) => s + i / 2 ** (4 - i), 0);
    assertAllClose(f(lt.tensor(3)), ref(3), { rtol: 1e-6 });
    assertAllClose(lt.jit(f)(lt.tensor(3)), ref(3), { rtol: 1e-6 });
    assertAllClose(lt.grad(f)(lt.tensor(3, f64)), 1 / 32, { rtol: 1e-12 });
    assertEquals(
      lt.foriLoop(3, 3, (_i, c: T) => c.add(1), lt.tensor(7)).item(),
      7,
    );
  });

  it("whileLoop: eager and jitted (the trip count varies per call without recompiling)", () => {
    const f = (x: T) => lt.whileLoop((v: T) => v.lt(100), (v: T) => v.mul(2), x);
    const j = lt.jit(f);
    assertEquals([
      f(lt.tensor(3)).item(),
      j(lt.tensor(3)).item(),
      j(lt.tensor(70)).item(),
    ], [
      192,
      192,
      140,
    ]);
    assertEquals(j.compileCount, 1);
  });

  it("whileLoop under vmap runs until every example is done, each frozen at its own end", () => {
    // doubles until ≥ 100, counting steps: the trip count differs per example
    const f = (x: T) =>
      lt.whileLoop(
        ([v]: T[]) => v.lt(100),
        ([v, k]: T[]) => [v.mul(2), k.add(1)],
        [x, lt.tensor(0, { dtype: "int32" })],
      );
    const xs = [1, 30, 150, 7];
    const want = xs.map((x) => {
      let [v, k] = [x, 0];
      while (v < 100) [v, k] = [v * 2, k + 1];
      return [v, k];
    });
    for (const run of [lt.vmap(f), lt.jit(lt.vmap(f))]) {
      const [v, k] = run(lt.tensor(xs));
      assertEquals(v.toArray(), want.map((w) => w[0]));
      assertEquals(k.toArray(), want.map((w) => w[1]));
    }
    // a weight shared by the batch (inAxes null), read inside the body
    const g = (x: T, w: T) => lt.whileLoop((v: T) => v.lt(w), (v: T) => v.add(1), x);
    assertEquals(lt.vmap(g, { inAxes: [0, null] })(lt.tensor([0, 2]), lt.tensor(3)).toArray(), [
      3,
      3,
    ]);
    assertEquals(lt.vmap(g)(lt.tensor([0, 2]), lt.tensor([5, 1])).toArray(), [5, 2]);
  });

  it("whileLoop refuses grad inside jit and inside vmap", () => {
    const f = (x: T) => lt.whileLoop((v: T) => v.lt(100), (v: T) => v.mul(2), x);
    assertThrows(
      () => lt.vmap(lt.grad(f))(lt.tensor([1, 2])),
      TypeError,
      "whileLoop() cannot run under grad inside vmap (each example would stop at its own step): its trip count depends on values not known there: use scan or foriLoop with a fixed length",
    );
    assertThrows(
      () => lt.jit(lt.grad(f))(lt.tensor(3)),
      TypeError,
      "whileLoop() cannot run under grad inside jit (it is forward only, like jax.lax.while_loop)",
    );
  });
});

describe("cond and switchCase", () => {
  const pos = (v: T) => v.mul(2);
  const neg = (v: T) => v.neg();

  it("cond picks a branch eagerly, under jit, and per example under vmap", () => {
    const f = (x: T) => lt.cond(x.sum().gt(0), pos, neg, x);
    const j = lt.jit(f);
    for (const run of [f, j]) {
      assertEquals([
        run(lt.tensor([1, 2])).toArray(),
        run(lt.tensor([-1, -2])).toArray(),
      ], [
        [2, 4],
        [1, 2],
      ]);
    }
    assertEquals(j.compileCount, 1);
    assertEquals(lt.vmap(f)(lt.tensor([[1], [-3], [2]])).toArray(), [[2], [3], [
      4,
    ]]);
    // gradients follow the chosen branch
    assertEquals(lt.grad((x: T) => f(x).sum())(lt.tensor([1, 2])).toArray(), [
      2,
      2,
    ]);
    assertEquals(
      lt.jit(lt.grad((x: T) => f(x).sum()))(lt.tensor([-1, -2])).toArray(),
      [-1, -1],
    );
  });

  it("switchCase clamps the index like jax.lax.switch", () => {
    const fs = [(v: T) => v.add(100), (v: T) => v.mul(10), neg];
    const idx = lt.tensor([0, 1, 2, 5, -1], { dtype: "int32" });
    const f = (i: T, x: T) => lt.switchCase(i, fs, x);
    assertEquals(lt.vmap(f)(idx, idx.astype("float32")).toArray(), [
      100,
      10,
      -2,
      -5,
      99,
    ]);
    assertEquals(
      lt.jit(f)(lt.tensor(7, { dtype: "int32" }), lt.tensor(3)).item(),
      -3,
    );
    assertEquals(f(lt.tensor(1, { dtype: "int32" }), lt.tensor(3)).item(), 30);
  });

  it("errors: branches of different shapes, a non-scalar predicate", () => {
    const f = (x: T) => lt.cond(x.sum().gt(0), (v: T) => v, (v: T) => v.sum(), x);
    assertThrows(
      () => lt.jit(f)(lt.tensor([1, 2])),
      TypeError,
      "switchCase() branches must return the same structure, shapes and dtypes: branch 1 differs from branch 0",
    );
    assertThrows(
      () => lt.cond(lt.tensor([1, 0]), pos, neg, lt.tensor(1)),
      RangeError,
      "cond() expected a scalar predicate or index: found shape [2]",
    );
  });
});
