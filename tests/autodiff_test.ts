// The transforms: grad, valueAndGrad, vjp, jvp and stopGradient against
// closed forms, higher-order derivatives, argnums/hasAux, gradients through
// realized intermediates and deep chains, the error messages, and the seed
// tutorial's training loop over a parameter tree.
import { describe, it } from "@std/testing/bdd";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertClose } from "./_close.ts";
import { mulberry32 as uniform } from "./_random.ts";

type Tensor = lt.Tensor;

function f32(data: lt.NestedArray): Tensor {
  return lt.tensor(data, { dtype: "float32" });
}

function f64(data: lt.NestedArray): Tensor {
  return lt.tensor(data, { dtype: "float64" });
}

/** float64 values uniform in [-1, 1). */
function rand(shape: number[], seed: number): Tensor {
  const r = uniform(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return lt.tensor(Float64Array.from({ length: size }, () => 2 * r() - 1), { shape });
}

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function vdot(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** The message of the error `fn` throws, checking its class. */
function messageOf(fn: () => unknown, cls: new (...args: any[]) => Error): string {
  return assertThrows(fn, cls).message;
}

describe("grad() closed forms", () => {
  it("d/dx sum(x²) is 2x", () => {
    const g = lt.grad((x: Tensor) => x.square().sum())(f32([1, -2, 3.5]));
    assertEquals(g.dtype, "float32");
    assertClose(g, [2, -4, 7]);
  });

  it("keeps float64 gradients in float64", () => {
    const g = lt.grad((x: Tensor) => x.mul(x).sum())(f64([[0.1, 0.2]]));
    assertEquals([g.dtype, g.shape], ["float64", [1, 2]]);
    assertEquals(values(g), [0.2, 0.4]);
  });

  it("the MSE gradient is 2(pred - y)/n", () => {
    const y = f32([0.5, -1, 2, 0]);
    const mse = (pred: Tensor) => pred.sub(y).square().mean();
    const pred = f32([1, 1, 1.5, -0.25]);
    const expected = [1, 1, 1.5, -0.25].map((p, i) => (2 * (p - [0.5, -1, 2, 0][i])) / 4);
    assertClose(lt.grad(mse)(pred), expected);
  });

  it("the logistic regression gradient is Xᵀ(σ(Xw) - y)/n", () => {
    const xs = [[0.5, -1.2, 2], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [1, 1, -1], [0.3, -0.4, 0.9]];
    const ys = [1, 0, 1, 0, 1];
    const w0 = [0.2, -0.5, 0.3];
    const X = f64(xs);
    const y = f64(ys);
    const loss = (w: Tensor) => {
      const p = X.matmul(w).sigmoid();
      const ll = y.mul(p.log()).add(lt.sub(1, y).mul(lt.sub(1, p).log()));
      return ll.mean().neg();
    };
    const n = xs.length;
    const residual = xs.map((row, i) => {
      const z = row.reduce((s, v, j) => s + v * w0[j], 0);
      return 1 / (1 + Math.exp(-z)) - ys[i];
    });
    const expected = w0.map((_, j) => xs.reduce((s, row, i) => s + row[j] * residual[i], 0) / n);
    assertClose(lt.grad(loss)(f64(w0)), expected, { rtol: 1e-12, atol: 1e-14 });
  });

  it("d/dx x·stopGradient(x) is x", () => {
    const x = f32([1.5, -2, 0.25]);
    assertClose(lt.grad((x: Tensor) => x.mul(lt.stopGradient(x)).sum())(x), [1.5, -2, 0.25]);
  });

  it("stopGradient() keeps the values", () => {
    assertEquals(values(lt.stopGradient(f32([1, 2]))), [1, 2]);
  });

  it("accumulates the gradient of an input used many times", () => {
    // f = x·x + 3x + sin(x) → 2x + 3 + cos(x)
    const f = (x: Tensor) => x.mul(x).add(x.mul(3)).add(x.sin()).sum();
    const x = [0.3, -1.1];
    assertClose(lt.grad(f)(f64(x)), x.map((v) => 2 * v + 3 + Math.cos(v)), { rtol: 1e-12 });
  });

  it("gives zeros for an input the output does not depend on", () => {
    const g = lt.grad((_x: Tensor, y: Tensor) => y.sum(), { argnums: [0, 1] })(
      f32([[1, 2]]),
      f32([3]),
    );
    assertClose(g[0], [[0, 0]]);
    assertClose(g[1], [1]);
  });

  it("differentiates through integer and boolean intermediates as constants", () => {
    // the mask x > 0 carries no gradient; x·mask does
    const f = (x: Tensor) => x.mul(x.gt(0)).sum().add(x.argmax().astype("float32"));
    assertClose(lt.grad(f)(f32([-1, 2, 3])), [0, 1, 1]);
  });
});

describe("higher-order gradients", () => {
  it("d²/dx² x³ is 6x for a scalar", () => {
    const d2 = lt.grad(lt.grad((x: Tensor) => x.pow(3)));
    assertAlmostEquals(d2(f64(1.5)).item(), 9, 1e-12);
  });

  it("d²/dx² sum(x³) is 6x elementwise", () => {
    const df = lt.grad((x: Tensor) => x.pow(3).sum());
    const d2 = lt.grad((x: Tensor) => df(x).sum());
    assertClose(d2(f64([0.5, -1, 2])), [3, -6, 12], { rtol: 1e-12 });
  });

  it("d³/dx³ sin(x) is -cos(x)", () => {
    const d3 = lt.grad(lt.grad(lt.grad((x: Tensor) => x.sin())));
    assertAlmostEquals(d3(f64(0.7)).item(), -Math.cos(0.7), 1e-12);
  });

  it("mixed partials: d/dy (d/dx x·y²) is 2y", () => {
    const dx = lt.grad((x: Tensor, y: Tensor) => x.mul(y.square()).sum());
    const dydx = lt.grad((x: Tensor, y: Tensor) => dx(x, y).sum(), { argnums: 1 });
    assertClose(dydx(f64([1, 1]), f64([0.5, -3])), [1, -6]);
  });

  it("a Hessian-vector product by grad of grad matches the closed form", () => {
    // f = sum(exp(x))·sum(x) → H v computed by hand
    const f = (x: Tensor) => x.exp().sum().mul(x.sum());
    const x = [0.1, -0.4, 0.3];
    const v = [1, 0.5, -2];
    const hvp = lt.grad((x: Tensor) => lt.grad(f)(x).mul(f64(v)).sum())(f64(x));
    const e = x.map(Math.exp);
    const sx = x.reduce((a, b) => a + b);
    const sv = v.reduce((a, b) => a + b);
    const ev = e.reduce((s, ei, j) => s + ei * v[j], 0);
    // H = diag(e)·sx + e·1ᵀ + 1·eᵀ
    const expected = x.map((_, i) => e[i] * sx * v[i] + e[i] * sv + ev);
    assertClose(hvp, expected, { rtol: 1e-12 });
  });
});

describe("grad() options", () => {
  const f = (x: Tensor, y: Tensor, z: Tensor) => x.mul(y).add(z.square()).sum();
  const x = f32([1, 2]);
  const y = f32([3, -4]);
  const z = f32([0.5, 1.5]);

  it("differentiates argument 0 by default", () => {
    assertClose(lt.grad(f)(x, y, z), [3, -4]);
  });

  it("argnums as a number returns one gradient", () => {
    const g = lt.grad(f, { argnums: 2 })(x, y, z);
    assertClose(g, [1, 3]);
  });

  it("argnums as an array returns one gradient per entry, in order", () => {
    const g = lt.grad(f, { argnums: [2, 0] })(x, y, z);
    assertEquals(g.length, 2);
    assertClose(g[0], [1, 3]);
    assertClose(g[1], [3, -4]);
  });

  it("argnums [n] returns an array of one", () => {
    const g = lt.grad(f, { argnums: [1] })(x, y, z);
    assert(Array.isArray(g));
    assertClose(g[0], [1, 2]);
  });

  it("integer arguments outside argnums are allowed", () => {
    const labels = lt.tensor([1, 0], { dtype: "int32" });
    const loss = (w: Tensor, l: Tensor) => w.mul(l.astype("float32")).sum();
    assertClose(lt.grad(loss)(x, labels), [1, 0]);
  });

  it("hasAux returns [gradient, aux] with aux untouched", () => {
    const aux = { note: "kept", pred: f32([7]) };
    const [g, out] = lt.grad((x: Tensor) => [x.square().sum(), aux], { hasAux: true })(x);
    assertClose(g, [2, 4]);
    assertEquals(out.note, "kept");
    assertEquals(values(out.pred), [7]);
  });

  it("valueAndGrad() returns the loss and the gradient", () => {
    const [loss, g] = lt.valueAndGrad(f)(x, y, z);
    assertAlmostEquals(loss.item(), 3 - 8 + 0.25 + 2.25, 1e-6);
    assertClose(g, [3, -4]);
  });

  it("valueAndGrad() with hasAux returns [[loss, aux], gradient]", () => {
    const fn = (x: Tensor): [Tensor, Tensor] => {
      const pred = x.mul(2);
      return [pred.sum(), pred];
    };
    const [[loss, pred], g] = lt.valueAndGrad(fn, { hasAux: true })(x);
    assertEquals(loss.item(), 6);
    assertEquals(values(pred), [2, 4]);
    assertClose(g, [2, 2]);
  });

  it("valueAndGrad() with argnums returns the loss and a list", () => {
    const [loss, [gx, gy]] = lt.valueAndGrad(f, { argnums: [0, 1] })(x, y, z);
    assertAlmostEquals(loss.item(), -2.5, 1e-6);
    assertClose(gx, [3, -4]);
    assertClose(gy, [1, 2]);
  });
});

describe("vjp()", () => {
  it("maps a given cotangent of a non-scalar output back", () => {
    const x = rand([2, 3], 1);
    const ct = rand([2, 3], 2);
    const [y, back] = lt.vjp((x: Tensor) => x.sin().mul(2), x);
    assertEquals(y.shape, [2, 3]);
    const [dx] = back(ct) as Tensor[];
    const want = values(x).map((v, i) => 2 * Math.cos(v) * values(ct)[i]);
    assertClose(dx, [want.slice(0, 3), want.slice(3)], { rtol: 1e-12 });
  });

  it("handles several primals and a tree output", () => {
    const [out, back] = lt.vjp(
      (a: Tensor, b: Tensor) => ({ prod: a.mul(b), total: a.add(b).sum() }),
      f64([1, 2]),
      f64([3, 4]),
    );
    assertEquals(values(out.prod), [3, 8]);
    const [da, db] = back({ prod: f64([1, 10]), total: f64(2) }) as Tensor[];
    assertEquals(values(da), [3 + 2, 40 + 2]);
    assertEquals(values(db), [1 + 2, 20 + 2]);
  });

  it("can be called twice with different cotangents", () => {
    const [, back] = lt.vjp((x: Tensor) => x.exp(), f64([0, 1]));
    const [g1] = back(f64([1, 0])) as Tensor[];
    const [g2] = back(f64([0, 2])) as Tensor[];
    assertEquals(values(g1), [1, 0]);
    assertEquals(values(g2), [0, 2 * Math.E]);
  });

  it("still works after the output has been printed", () => {
    const x = f64([0.5, -1]);
    const [y, back] = lt.vjp((x: Tensor) => x.sin().mul(2), x);
    y.toString();
    const [dx] = back(f64([1, 1])) as Tensor[];
    assertClose(dx, [2 * Math.cos(0.5), 2 * Math.cos(-1)], { rtol: 1e-12 });
  });

  it("checks the cotangent's shape and count", () => {
    const [, back] = lt.vjp((x: Tensor) => x.mul(2), f64([1, 2, 3]));
    assertEquals(
      messageOf(() => back(f64([1, 2])), RangeError),
      "vjp() cotangent 0 has shape [2]: expected the output's shape [3]",
    );
    assertEquals(
      messageOf(() => back([f64([1, 2, 3]), f64([1])] as unknown as Tensor), TypeError),
      "vjp() expected a cotangent with 1 tensor(s) like the output: found 2",
    );
  });
});

describe("jvp()", () => {
  it("d sin(x) = cos(x)·t", () => {
    const x = [0.3, -1.2, 2];
    const t = [1, 0.5, -2];
    const [y, ty] = lt.jvp((x: Tensor) => x.sin(), [f64(x)], [f64(t)]);
    assertClose(y, x.map(Math.sin), { rtol: 1e-12 });
    assertClose(ty, x.map((v, i) => Math.cos(v) * t[i]), { rtol: 1e-12 });
  });

  it("d(x·y) = tx·y + x·ty", () => {
    const [, t] = lt.jvp(
      (x: Tensor, y: Tensor) => x.mul(y),
      [f64([1, 2]), f64([3, 4])],
      [f64([0.5, 1]), f64([-1, 2])],
    );
    assertEquals(values(t), [0.5 * 3 - 1, 4 + 4]);
  });

  it("agrees with vjp: <vjp(ct), t> = <ct, jvp(t)>", () => {
    const f = (x: Tensor, w: Tensor) =>
      x.matmul(w).tanh().mul(x.sum({ axis: 1, keepdims: true }).exp()).softmax();
    const x = rand([3, 4], 3);
    const w = rand([4, 2], 4);
    const tx = rand([3, 4], 5);
    const tw = rand([4, 2], 6);
    const ct = rand([3, 2], 7);
    const [out, back] = lt.vjp(f, x, w);
    const [gx, gw] = back(ct) as Tensor[];
    const [out2, tangent] = lt.jvp(f, [x, w], [tx, tw]);
    assertEquals(values(out2), values(out));
    const lhs = vdot(gx, tx) + vdot(gw, tw);
    assertAlmostEquals(lhs, vdot(ct, tangent), 1e-12);
  });

  it("expects one tangent per primal", () => {
    assertEquals(
      // @ts-expect-error: the types reject this call; plain JavaScript gets the error below
      messageOf(() => lt.jvp((x: Tensor) => x, [f64([1])], []), RangeError),
      "jvp() expected one tangent per primal: found 1 primals and 0 tangents",
    );
  });
});

describe("gradients through realized values", () => {
  it("grad works when f reads an intermediate with dataSync()", () => {
    let seen: number[] = [];
    const f = (x: Tensor) => {
      const h = x.sin();
      seen = values(h);
      return h.mul(x).sum();
    };
    const x = [0.5, -1, 2];
    const g = lt.grad(f)(f64(x));
    assertEquals(seen, x.map(Math.sin));
    assertClose(g, x.map((v) => Math.cos(v) * v + Math.sin(v)), { rtol: 1e-12 });
  });

  it("grad works when f prints an intermediate", () => {
    let printed = "";
    const f = (x: Tensor) => {
      const h = x.exp().add(1);
      printed = h.toString();
      return h.log().sum();
    };
    const x = [0.2, -0.7];
    const g = lt.grad(f)(f64(x));
    assert(printed.includes("tensor("));
    assertClose(g, x.map((v) => Math.exp(v) / (Math.exp(v) + 1)), { rtol: 1e-12 });
  });

  it("grad works when the input itself is realized inside f", () => {
    const f = (x: Tensor) => {
      x.dataSync();
      return x.square().sum();
    };
    assertClose(lt.grad(f)(f64([1, -3])), [2, -6]);
  });

  it("grad of grad works through a realized intermediate", () => {
    const df = lt.grad((x: Tensor) => {
      const h = x.pow(3);
      h.dataSync();
      return h.sum();
    });
    const d2 = lt.grad((x: Tensor) => df(x).sum());
    assertClose(d2(f64([0.5, -1, 2])), [3, -6, 12], { rtol: 1e-12 });
  });

  it("grad works on a pending (unrealized) input", () => {
    const x = f64([1, 2]).mul(3);
    assertClose(lt.grad((x: Tensor) => x.square().sum())(x), [6, 12]);
  });

  it("a 1,000-op chain inside f keeps its gradient", () => {
    // h ← 0.99·h + 0.02·sin(h), 250 times (4 ops each); dh'/dh = 0.99 + 0.02·cos(h)
    const f = (x: Tensor) => {
      let h = x;
      for (let i = 0; i < 250; i++) h = h.mul(0.99).add(h.sin().mul(0.02));
      return h.sum();
    };
    const x = [0.5, -1, 2];
    const expected = x.map((v) => {
      let h = v;
      let d = 1;
      for (let i = 0; i < 250; i++) {
        d *= 0.99 + 0.02 * Math.cos(h);
        h = 0.99 * h + 0.02 * Math.sin(h);
      }
      return d;
    });
    assertClose(lt.grad(f)(f64(x)), expected, { rtol: 1e-10 });
  });

  it("jvp of a 1,000-op chain matches the same closed form", () => {
    const f = (x: Tensor) => {
      let h = x;
      for (let i = 0; i < 500; i++) h = h.mul(1.001).tanh();
      return h;
    };
    let h = 0.4;
    let d = 1;
    for (let i = 0; i < 500; i++) {
      const y = Math.tanh(1.001 * h);
      d *= 1.001 * (1 - y * y);
      h = y;
    }
    const [, t] = lt.jvp(f, [f64([0.4])], [f64([1])]);
    assertClose(t, [d], { rtol: 1e-10 });
  });
});

describe("transform errors", () => {
  const x = f64([1, 2, 3]);

  it("grad of a non-scalar output suggests .sum() or vjp()", () => {
    assertEquals(
      messageOf(() => lt.grad((x: Tensor) => x.mul(2))(x), RangeError),
      "grad() expected the function to return a scalar: found shape [3]: reduce it (e.g. .sum() or .mean()), or use vjp() for non-scalar outputs",
    );
  });

  it("an integer input in argnums is rejected", () => {
    assertEquals(
      messageOf(
        () =>
          lt.grad((_x: Tensor, y: Tensor) => y.sum(), { argnums: 1 })(
            x,
            lt.tensor([1, 2], { dtype: "int32" }),
          ),
        TypeError,
      ),
      "grad() cannot differentiate with respect to argument 1: it holds an int32 tensor: only float16/float32/float64 inputs have gradients (convert with .float(), or move it out of argnums)",
    );
    assertEquals(
      messageOf(() => lt.valueAndGrad((b: Tensor) => b.sum())(lt.tensor([true])), TypeError),
      "valueAndGrad() cannot differentiate with respect to argument 0: it holds a bool tensor: only float16/float32/float64 inputs have gradients (convert with .float(), or move it out of argnums)",
    );
  });

  it("argnums out of range names the argument count", () => {
    const f = (a: Tensor, _b: Tensor) => a.sum();
    assertEquals(
      messageOf(() => lt.grad(f, { argnums: 2 })(x, x), RangeError),
      "grad() argnums 2 is out of range: the function was called with 2 argument(s)",
    );
    assertEquals(
      messageOf(() => lt.grad(f, { argnums: [0, 1.5] })(x, x), RangeError),
      "grad() argnums 1.5 is out of range: the function was called with 2 argument(s)",
    );
  });

  it("a function returning a non-tensor is rejected", () => {
    assertEquals(
      // @ts-expect-error: the types reject this call; plain JavaScript gets the error below
      messageOf(() => lt.grad(() => 3)(x), TypeError),
      "grad() expected the function to return a Tensor: found 3: return the loss (use hasAux: true to return [loss, extra])",
    );
    assertEquals(
      // @ts-expect-error: the types reject this call; plain JavaScript gets the error below
      messageOf(() => lt.grad((x: Tensor) => [x.sum(), 1])(x), TypeError),
      "grad() expected the function to return a Tensor: found an array of length 2: return the loss (use hasAux: true to return [loss, extra])",
    );
  });

  it("hasAux with a non-pair is rejected", () => {
    assertEquals(
      // @ts-expect-error: the types reject this call; plain JavaScript gets the error below
      messageOf(() => lt.grad((x: Tensor) => x.sum(), { hasAux: true })(x), TypeError),
      "grad() with hasAux expected the function to return [loss, aux]: found a Tensor of shape []",
    );
    assertEquals(
      // @ts-expect-error: the types reject this call; plain JavaScript gets the error below
      messageOf(() => lt.valueAndGrad((x: Tensor) => [x.sum()], { hasAux: true })(x), TypeError),
      "valueAndGrad() with hasAux expected the function to return [loss, aux]: found an array of length 1",
    );
  });

  it("a boolean loss is rejected", () => {
    assertEquals(
      messageOf(() => lt.grad((x: Tensor) => x.sum().gt(0))(x), TypeError),
      "grad() expected a float loss: found bool",
    );
  });

  it("checkGrads() reports a wrong gradient", () => {
    // the true derivative of x·x is 2x; hiding one factor from autodiff gives x
    const wrong = (x: Tensor) => x.mul(lt.stopGradient(x));
    const message = messageOf(() => lt.checkGrads(wrong, [f64([1, 2])]), Error);
    assert(
      message.startsWith(
        "checkGrads() first-order gradients disagree with finite differences:\n  arg 0[0]: analytic",
      ),
      message,
    );
  });

  it("checkGrads() order 2 reports a wrong second derivative", () => {
    // right first derivative (3x² from a custom rule), wrong second (its x² is frozen)
    const cube = lt.customVjp(
      (x: Tensor) => [x.pow(3), x] as [Tensor, Tensor],
      (x: Tensor, ct: Tensor) => [ct.mul(lt.stopGradient(x.square())).mul(3)],
    );
    lt.checkGrads(cube, [f64([0.5, -1.5])]);
    const message = messageOf(() => lt.checkGrads(cube, [f64([0.5, -1.5])], { order: 2 }), Error);
    assert(message.startsWith("checkGrads() second-order gradients disagree"), message);
  });
});

describe("training the seed tutorial's network", () => {
  type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
  const X = f32([[0.5, -1.2, 2], [1.5, 0.3, -0.7]]);
  const y = f32([[1], [-0.5]]);
  const init: Params = {
    w1: f32([[0.3, -0.2, 0.5, 0.1], [-0.4, 0.6, 0.2, -0.3], [0.25, 0.15, -0.35, 0.45]]),
    b1: f32([0.1, -0.05, 0.2, 0.05]),
    w2: f32([[0.4], [-0.3], [0.6], [0.2]]),
    b2: f32([[0.05]]),
  };
  const forward = (p: Params, x: Tensor) => x.matmul(p.w1).add(p.b1).relu().matmul(p.w2).add(p.b2);
  const loss = (p: Params) => forward(p, X).sub(y).square().mean();

  it("20 SGD steps with valueAndGrad over {w1, b1, w2, b2} decrease the loss strictly", () => {
    const step = lt.valueAndGrad(loss);
    let params = init;
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [l, grads] = step(params);
      lt.tree.assertSameStructure(params, grads, { checkShapes: true });
      losses.push(l.item());
      params = lt.tree.map((p, g) => p.sub(g.mul(0.1)), params, grads);
    }
    for (let i = 1; i < losses.length; i++) {
      assert(losses[i] < losses[i - 1], `loss rose at step ${i}: ${losses.join(", ")}`);
    }
    assert(losses[19] < 0.5 * losses[0], `too little progress: ${losses.join(", ")}`);
  });

  it("the gradients at step 0 match finite differences", () => {
    const flat = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
      forward({ w1, b1, w2, b2 }, X.double()).sub(y.double()).square().mean();
    lt.checkGrads(flat, [init.w1, init.b1, init.w2, init.b2]);
    const grads = lt.grad(loss)(init) as Params;
    const byArg = lt.grad(flat, { argnums: [0, 1, 2, 3] })(
      init.w1.double(),
      init.b1.double(),
      init.w2.double(),
      init.b2.double(),
    ) as Tensor[];
    (["w1", "b1", "w2", "b2"] as const).forEach((k, i) => {
      assertEquals(grads[k].shape, init[k].shape);
      const want = values(byArg[i]);
      values(grads[k]).forEach((g, j) => assertAlmostEquals(g, want[j], 1e-6));
    });
  });
});
