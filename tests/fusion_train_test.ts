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
