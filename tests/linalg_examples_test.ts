// Short runs of the linalg demos: examples/gp.ts (hyperparameters fitted by grad through
// cholesky) and examples/pca.ts (eigh of the MNIST covariance, SVG scatter), each checked
// against an independent reference (finite differences; power iteration).
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { describe, it } from "@std/testing/bdd";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { main as gp, nll } from "../examples/gp.ts";
import { main as pca } from "../examples/pca.ts";

const quiet = () => {};
const f64 = { dtype: "float64" } as const;

describe("examples/gp.ts", () => {
  it("the likelihood's gradient through cholesky matches finite differences", () => {
    const x = lt.tensor([-1, -0.3, 0.2, 0.9, 1.5], f64);
    const y = x.mul(3).sin();
    checkGrads(
      (a, b, c) => nll({ logScale: a, logSignal: b, logNoise: c }, x, y),
      [lt.tensor(-0.2, f64), lt.tensor(0.1, f64), lt.tensor(-2, f64)],
    );
  });
  it("fitting lowers the likelihood and recovers sin(3x) and the noise level", () => {
    const r = gp(120, quiet);
    assert(r.end < r.start - 20, `${r.start} → ${r.end}`);
    assert(r.rmse < 0.15, `rmse ${r.rmse}`);
    // the data's noise has standard deviation 0.1
    assert(
      r.params.noiseVariance > 0.002 && r.params.noiseVariance < 0.05,
      `${r.params.noiseVariance}`,
    );
  });
});

describe("examples/pca.ts", () => {
  it("the first axis is the covariance's top eigenvector (power iteration agrees)", async () => {
    const r = await pca(300, 4, quiet);
    const C = r.covariance;
    const d = C.shape[0];
    assertEquals(r.axes.shape, [d, 2]);
    let v = lt.ones([d, 1], f64);
    for (let i = 0; i < 300; i++) v = C.matmul(v).div(lt.linalg.vectorNorm(C.matmul(v)));
    const lambda = v.T.matmul(C).matmul(v).item();
    const a0 = r.axes.slice(null, [0, 1]);
    assertAlmostEquals(a0.T.matmul(C).matmul(a0).item(), lambda, 1e-9 * lambda);
    assertAlmostEquals(Math.abs(a0.T.matmul(v).item()), 1, 1e-6);
    // orthonormal axes; the scores' variances are the eigenvalues
    const gram = r.axes.T.matmul(r.axes).toArray() as number[][];
    assertAlmostEquals(gram[0][1], 0, 1e-12);
    assertAlmostEquals(gram[1][1], 1, 1e-12);
    const variance = r.scores.square().sum(0).div(299).toArray() as number[];
    assertAlmostEquals(variance[0], lambda, 1e-9 * lambda);
    assert(r.explained[0] > r.explained[1] && r.explained[1] > 0.03, `${r.explained}`);
    assertEquals(r.svg.match(/<circle /g)?.length, 300);
  });
});
