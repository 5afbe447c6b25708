import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { adamw, applyUpdates } from "../nn/optim.ts";
import { assertClose } from "./_close.ts";

// the kernels of a train step's pieces: what the scheduler computes once and where
const ramp = (shape: number[], scale: number) =>
  lt.tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * scale)),
    { shape },
  );

describe("train-step kernels", () => {
  it("a batch times a matrix is one product over all rows; the matrix's gradient has no batch sum", () => {
    const [B, M, K, N] = [4, 8, 16, 32];
    const x = ramp([B, M, K], 0.37);
    const w = ramp([K, N], 0.11);
    const c = ramp([B, M, N], 0.23);
    const loss = (w: lt.Tensor) => lt.matmul(x, w).mul(c).sum();
    const report = lt.explain((w: lt.Tensor) => lt.grad(loss)(w), w);
    const products = report.kernels.filter((k) => k.kind === "matmul");
    assertEquals(products.map((k) => k.shape), [[K, N]]);
    assert(report.kernels.every((k) => !k.ops.includes("reduceSum")), String(report));
    // dL/dw = Σ_b x_bᵀ c_b, summed here in plain loops
    const [xs, cs] = [x.toArray() as number[][][], c.toArray() as number[][][]];
    const ref = Array.from({ length: K }, (_, k) =>
      Array.from({ length: N }, (_, n) => {
        let s = 0;
        for (let b = 0; b < B; b++) for (let m = 0; m < M; m++) s += xs[b][m][k] * cs[b][m][n];
        return s;
      }));
    assertClose(lt.grad(loss)(w), ref, { rtol: 1e-12, atol: 1e-12 });
    const forward = lt.explain(lt.matmul(x, w)).kernels.filter((k) => k.kind === "matmul");
    assertEquals(forward.map((k) => k.shape), [[B * M, N]]);
  });

  it("computes gelu's derivative once when a product and a bias sum both read it", () => {
    const [R, D, F] = [12, 6, 10];
    const x = ramp([R, D], 0.7);
    type P = { w1: lt.Tensor; b1: lt.Tensor; w2: lt.Tensor; b2: lt.Tensor };
    // two linear layers with torch's weight layout around a gelu
    const mlp = (p: P) =>
      lt.matmul(lt.gelu(lt.matmul(x, p.w1.transpose()).add(p.b1)), p.w2.transpose()).add(p.b2);
    const p = {
      w1: ramp([F, D], 0.19),
      b1: ramp([F], 0.5),
      w2: ramp([D, F], 0.3),
      b2: ramp([D], 0.1),
    };
    const kernels = lt.explain((p: P) => lt.grad((p: P) => mlp(p).square().sum())(p), p).kernels;
    // forward gelu: erf; its derivative: erf and exp (the normal density)
    const derivative = kernels.filter((k) => k.ops.includes("erf") && k.ops.includes("exp"));
    assertEquals(derivative.length, 1, kernels.map((k) => k.ops.join(",")).join("\n"));
    checkGrads(
      (w1, b1, w2, b2) => mlp({ w1, b1, w2, b2 }).square().sum(),
      [p.w1, p.b1, p.w2, p.b2],
    );
  });

  it("stores gelu's Φ in the forward: the backward reads it rather than computing erf again", () => {
    const [R, D, F] = [64, 32, 128]; // R·F = 8,192 elements: stored (from 4,096)
    const x = ramp([R, D], 0.7).astype("float32");
    type P = { w1: lt.Tensor; b1: lt.Tensor; w2: lt.Tensor };
    const mlp = (p: P) =>
      lt.matmul(lt.gelu(lt.matmul(x, p.w1.transpose()).add(p.b1)), p.w2.transpose());
    const p = {
      w1: ramp([F, D], 0.19).mul(0.3),
      b1: ramp([F], 0.5),
      w2: ramp([D, F], 0.3),
    };
    const loss = (p: P) => mlp(p).square().sum();
    const f32 = (p: P) => ({
      w1: p.w1.astype("float32"),
      b1: p.b1.astype("float32"),
      w2: p.w2.astype("float32"),
    });
    const kernels = lt.explain((p: P) => lt.valueAndGrad(loss)(p), f32(p)).kernels;
    const list = kernels.map((k) => k.ops.join(",")).join("\n");
    // one kernel computes erf; the derivative's kernel only the normal density's exp
    assertEquals(kernels.filter((k) => k.ops.includes("erf")).length, 1, list);
    const derivative = kernels.filter((k) => k.ops.includes("exp"));
    assertEquals(derivative.length, 1, list);
    // the float32 program against the float64 one (erf in double precision on the JS tier)
    const [value, grads] = lt.jit((p: P) => lt.valueAndGrad(loss)(p))(f32(p));
    const [value64, grads64] = lt.valueAndGrad(loss)(p);
    assertClose(value, value64.item(), { rtol: 1e-5 });
    for (const key of ["w1", "b1", "w2"] as const) {
      assertClose(grads[key], grads64[key].toArray() as number[], { rtol: 2e-4, atol: 1e-3 });
    }
  });

  it("gelu's gradient from the stored Φ matches Φ(x) + x·φ(x)", () => {
    const n = 8192;
    const xs = Float64Array.from({ length: n }, (_, i) => -6 + 12 * i / (n - 1));
    const x = lt.tensor(Float32Array.from(xs));
    const g = lt.jit(lt.grad((x: lt.Tensor) => lt.gelu(x).sum()))(x);
    // erf by its Maclaurin series (|x| / √2 ≤ 4.3: 120 terms reach double precision)
    const erf = (z: number) => {
      let [term, sum] = [z, z];
      for (let k = 1; k < 120; k++) {
        term *= -z * z / k;
        sum += term / (2 * k + 1);
      }
      return sum * 2 / Math.sqrt(Math.PI);
    };
    const want = Array.from(
      Float32Array.from(xs),
      (v) => 0.5 * (1 + erf(v / Math.SQRT2)) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI),
    );
    assertClose(g, want, { rtol: 1e-5, atol: 1e-6 });
  });

  it("an activation read by the next product and by the backward is its product's epilogue", () => {
    const ws = [0.11, 0.23, 0.37].map((s) => ramp([64, 64], s).mul(0.125).astype("float32"));
    const x = ramp([64, 64], 0.05).astype("float32");
    const loss = (ws: lt.Tensor[]) => ws.reduce((h, w) => lt.tanh(lt.matmul(h, w)), x).sum();
    const kernels = lt.explain((ws: lt.Tensor[]) => lt.grad(loss)(ws), ws).kernels;
    const list = kernels.map((k) => `${k.kind}: ${k.ops.join(",")}`).join("\n");
    // each tanh is computed where its product is (no product buffer, then a tanh kernel)
    const tanhs = kernels.filter((k) => k.ops.includes("tanh"));
    assertEquals(tanhs.map((k) => k.kind), ["matmul", "matmul", "matmul"], list);
    const ws64 = ws.map((w) => w.astype("float64"));
    const grads64 = lt.grad((ws: lt.Tensor[]) =>
      ws.reduce((h, w) => lt.tanh(lt.matmul(h, w)), x.astype("float64")).sum()
    )(ws64);
    lt.jit(lt.grad(loss))(ws).forEach((g, i) =>
      assertClose(g, grads64[i].toArray() as number[], { rtol: 1e-4, atol: 1e-5 })
    );
  });

  it("computes Adam's bias corrections once, off the parameters' kernels", () => {
    const opt = adamw(1e-3, { weightDecay: 0.01 });
    const params = {
      a: ramp([64, 128], 0.1).astype("float32"),
      b: ramp([128], 0.2).astype("float32"),
    };
    const step = (p: typeof params, s: ReturnType<typeof opt.init>, g: typeof params) => {
      const [u, next] = opt.update(g, s, p);
      return [applyUpdates(p, u), next];
    };
    const kernels = lt.explain(step, params, opt.init(params), params).kernels;
    const withPow = kernels.filter((k) => k.ops.includes("pow"));
    // 1 - b1^t and sqrt(1 - b2^t): one scalar kernel each, read by both parameters' updates
    assertEquals(withPow.map((k) => k.shape), [[], []]);
    const updates = kernels.filter((k) => k.ops.includes("sqrt") && k.shape.length > 0);
    assertEquals(updates.length, 2);
    if (lt.cpuBackend() === "wasm") assertEquals(updates.map((k) => k.backend), ["wasm", "wasm"]);
  });
});
