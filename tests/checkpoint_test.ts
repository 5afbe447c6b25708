import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { assertAllClose, checkGrads } from "../testing/mod.ts";

type T = lt.Tensor;
const f64 = { dtype: "float64" } as const;

/** Plain-JS matrix product (the reference). */
function mm(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

const layer = (h: T, w: T) => lt.tanh(lt.matmul(h, w));
const stack = (h: T, ...ws: T[]) => ws.reduce(layer, h);

/** sum(stack(x)) over `ws`, as blocks of `segment` layers (checkpointed when `segment` > 0). */
function deep(segment: number) {
  const block = segment === 0 ? stack : lt.checkpoint(stack);
  return (ws: T[], x: T) => {
    const size = segment || ws.length;
    let h = x;
    for (let i = 0; i < ws.length; i += size) h = block(h, ...ws.slice(i, i + size));
    return h.sum();
  };
}

function weights(n: number, d: number, dtype: "float32" | "float64" = "float32"): T[] {
  return lt.random.split(lt.random.key(1), n).map((k) =>
    lt.random.normal(k, [d, d], { dtype }).mul(1 / Math.sqrt(d))
  );
}

describe("compiled programs free intermediates after their last reader", () => {
  it("a chain of matmuls holds two intermediates at once, with the reference's values", () => {
    const w = [[0.5, -1, 0], [1, 0.25, 2], [0, 1, -0.5]];
    const chain = (x: T, w: T) => {
      let y = x;
      for (let i = 0; i < 8; i++) y = lt.matmul(y, w);
      return y;
    };
    const x = [[1, 2, 3], [-1, 0.5, 2]];
    const y = lt.jit(chain)(lt.tensor(x, f64), lt.tensor(w, f64));
    // 7 intermediates of 2x3 float64, each read by the next matmul only
    assertEquals(lt.kernelStats().programPeakBytes, 2 * 6 * 8);
    let ref = x;
    for (let i = 0; i < 8; i++) ref = mm(ref, w);
    assertAllClose(y.toArray() as number[][], ref, { rtol: 1e-12 });
  });

  it("buffers shared by intermediates that never overlap keep every value right", () => {
    const f = (x: T) => {
      const a = x.mul(2).matmul(x); // [2,2]
      const b = a.matmul(x).add(1); // [2,2], a dies
      const c = b.matmul(b).mul(a.sum()); // a is read again here: not reused before
      return [c.sum(0), b.matmul(c)];
    };
    const x = lt.tensor([[1, 2], [3, 4]], f64);
    const [s, m] = lt.jit(f)(x);
    const xs = [[1, 2], [3, 4]];
    const a = mm(xs.map((r) => r.map((v) => 2 * v)), xs);
    const b = mm(a, xs).map((r) => r.map((v) => v + 1));
    const sa = a.flat().reduce((p, v) => p + v, 0);
    const c = mm(b, b).map((r) => r.map((v) => v * sa));
    assertAllClose(s.toArray() as number[], [c[0][0] + c[1][0], c[0][1] + c[1][1]]);
    assertAllClose(m.toArray() as number[][], mm(b, c));
  });
});

describe("checkpoint", () => {
  it("keeps values and gradients: closed form, finite differences, second order", () => {
    const f = lt.checkpoint((x: T, y: T) => lt.tanh(x.mul(y)).mul(x));
    const x = lt.tensor([0.3, -1.2, 2], f64);
    const y = lt.tensor([1.5, 0.4, -0.7], f64);
    const [gx, gy] = lt.grad((x: T, y: T) => f(x, y).sum(), { argnums: [0, 1] })(x, y);
    const xv = [0.3, -1.2, 2], yv = [1.5, 0.4, -0.7];
    const t = xv.map((v, i) => Math.tanh(v * yv[i]));
    // d(x tanh(xy))/dx = tanh(xy) + x y (1 - tanh²), d/dy = x² (1 - tanh²)
    assertAllClose(gx, t.map((ti, i) => ti + xv[i] * yv[i] * (1 - ti * ti)), { rtol: 1e-12 });
    assertAllClose(gy, t.map((ti, i) => xv[i] * xv[i] * (1 - ti * ti)), { rtol: 1e-12 });
    checkGrads((x: T, y: T) => f(x, y), [x, y], { order: 2 });
  });

  it("grad of a checkpointed stack under jit equals the plain gradient", () => {
    const ws = weights(6, 5, "float64");
    const x = lt.random.normal(lt.random.key(2), [4, 5], f64);
    const plain = lt.grad(deep(0))(ws, x);
    for (const segment of [1, 2, 3]) {
      const jitted = lt.jit(lt.grad(deep(segment)))(ws, x);
      jitted.forEach((g, i) => assertAllClose(g, plain[i], { rtol: 1e-12, atol: 1e-14 }));
      assertAllClose(lt.jit(deep(segment))(ws, x), deep(0)(ws, x), { rtol: 1e-12 });
    }
  });

  it("composes with vmap: per-example gradients equal the plain ones, eager and under jit", () => {
    const g = (x: T, w: T) => lt.tanh(lt.matmul(w, x)).sum();
    const f = lt.checkpoint(g);
    const w = lt.random.normal(lt.random.key(4), [3, 3], f64);
    const xs = lt.random.normal(lt.random.key(5), [4, 3], f64);
    const per = (h: typeof g) => lt.vmap(lt.grad(h, { argnums: 1 }), { inAxes: [0, null] });
    const want = per(g)(xs, w);
    assertAllClose(per(f)(xs, w), want, { rtol: 1e-12 });
    assertAllClose(lt.jit(per(f))(xs, w), want, { rtol: 1e-12 });
  });

  it("lowers the peak memory of a deep stack's gradient (checkpoints every 4 of 20 layers)", () => {
    const d = 64;
    const layerBytes = d * d * 4;
    const ws = weights(20, d);
    const x = lt.random.normal(lt.random.key(3), [d, d]);
    const peak = (segment: number) => {
      const g = lt.jit(lt.grad(deep(segment)))(ws, x);
      return { peak: lt.kernelStats().programPeakBytes, g };
    };
    const plain = peak(0);
    const every = peak(1);
    const blocks = peak(4);
    // without: the 20 activations wait for the backward pass (the release keeps it near that)
    assert(plain.peak >= 20 * layerBytes && plain.peak <= 22 * layerBytes, `${plain.peak}`);
    // a layer's only saved value is its output, the next layer's input: little to gain, but
    // checkpointing every layer must cost no memory (it is one 64×64 buffer below today)
    assert(every.peak <= plain.peak, `${every.peak} vs ${plain.peak}`);
    // blocks of 4: 5 saved inputs + one block's 4 recomputed activations (+ cotangents)
    assert(blocks.peak <= plain.peak / 2, `${blocks.peak} vs ${plain.peak}`);
    blocks.g.forEach((g, i) => assertAllClose(g, plain.g[i], { rtol: 1e-5, atol: 1e-6 }));
  });
});

describe("checkpoint of trees", () => {
  const block = lt.checkpoint((p: { w: T; b: T }, xs: T[]) => {
    const h = lt.tanh(xs[0].mul(p.w).add(p.b));
    return { h, extra: [h.mul(xs[1]), xs[1].astype("int32")] as const };
  });
  const loss = (p: { w: T; b: T }, xs: T[]) => {
    const { h, extra } = block(p, xs);
    return h.sum().add(extra[0].square().sum());
  };
  const plain = (p: { w: T; b: T }, xs: T[]) => {
    const h = lt.tanh(xs[0].mul(p.w).add(p.b));
    return h.sum().add(h.mul(xs[1]).square().sum());
  };
  const p = { w: lt.tensor([0.7, -0.3], f64), b: lt.tensor([0.1, 0.2], f64) };
  const xs = [lt.tensor([1.5, -2], f64), lt.tensor([0.5, 3], f64)];

  it("values and gradients of every tree leaf: closed form and finite differences", () => {
    const { h, extra } = block(p, xs);
    assertEquals(extra[1].dtype, "int32");
    assertAllClose(h, [Math.tanh(1.5 * 0.7 + 0.1), Math.tanh(-2 * -0.3 + 0.2)], { rtol: 1e-14 });
    const [gp, gx] = lt.grad(loss, { argnums: [0, 1] })(p, xs);
    // L = Σ t + (t c)², t = tanh(x w + b): dL/dt = 1 + 2 t c², dt/db = 1 - t²
    const t = [Math.tanh(1.5 * 0.7 + 0.1), Math.tanh(0.6 + 0.2)];
    const c = [0.5, 3];
    const dt = t.map((ti, i) => (1 + 2 * ti * c[i] * c[i]) * (1 - ti * ti));
    assertAllClose(gp.b, dt, { rtol: 1e-12 });
    assertAllClose(gp.w, dt.map((d, i) => d * [1.5, -2][i]), { rtol: 1e-12 });
    assertAllClose(gx[1], t.map((ti, i) => 2 * ti * ti * c[i]), { rtol: 1e-12 });
    checkGrads((w: T, b: T, x0: T, x1: T) => loss({ w, b }, [x0, x1]), [p.w, p.b, ...xs], {
      order: 2,
    });
    const [jp] = lt.jit(lt.grad(loss, { argnums: [0, 1] }))(p, xs);
    const [want] = lt.grad(plain, { argnums: [0, 1] })(p, xs);
    assertAllClose(jp.w, want.w, { rtol: 1e-12 });
    assertAllClose(jp.b, want.b, { rtol: 1e-12 });
  });

  it("a tree-valued checkpointed block lowers peak memory like the tensor one", () => {
    const d = 64;
    const ws = weights(20, d);
    const x = lt.random.normal(lt.random.key(3), [d, d]);
    // each block carries {h, s}: the activation and a running sum of its means
    const blockOf = (ws: T[]) => (c: { h: T; s: T }) => {
      let { h, s } = c;
      for (const w of ws) {
        h = layer(h, w);
        s = s.add(h.mean());
      }
      return { h, s };
    };
    const run = (segment: number) => (ws: T[], x: T) => {
      let c = { h: x, s: lt.tensor(0, { dtype: x.dtype }) };
      for (let i = 0; i < ws.length; i += segment) {
        const f = blockOf(ws.slice(i, i + segment));
        c = segment === ws.length ? f(c) : lt.checkpoint(f)(c);
      }
      return c.h.sum().add(c.s);
    };
    const plain = lt.jit(lt.grad(run(20)))(ws, x);
    const plainPeak = lt.kernelStats().programPeakBytes;
    const blocks = lt.jit(lt.grad(run(4)))(ws, x);
    const blocksPeak = lt.kernelStats().programPeakBytes;
    assert(plainPeak >= 20 * d * d * 4, `${plainPeak}`);
    assert(blocksPeak <= plainPeak / 2, `${blocksPeak} vs ${plainPeak}`);
    // float32 through 20 layers: the recomputed forward fuses differently (rounding only)
    blocks.forEach((g, i) => assertAllClose(g, plain[i], { rtol: 1e-4, atol: 2e-5 }));
    // in float64 the weights the blocks close over get the plain gradients to 1e-12
    const ws64 = weights(20, 6, "float64");
    const x64 = lt.random.normal(lt.random.key(3), [6, 6], f64);
    const want = lt.grad(run(20))(ws64, x64);
    for (const segment of [1, 4, 5]) {
      const got = lt.grad(run(segment))(ws64, x64);
      got.forEach((g, i) => assertAllClose(g, want[i], { rtol: 1e-12, atol: 1e-14 }));
    }
  });
});
