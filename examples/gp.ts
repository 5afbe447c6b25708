// Gaussian-process regression: noisy samples of sin(3x), an RBF kernel whose length scale,
// signal variance and noise variance are fitted by gradient descent on the negative log
// marginal likelihood. The likelihood goes through linalg.cholesky and two triangular
// solves; its gradient is lt.grad through them (PyTorch's Cholesky rule), all in one jit.
//
//   deno run examples/gp.ts            (STEPS=200 by default)
import * as lt from "../mod.ts";
import { adam, applyUpdates } from "../nn/optim.ts";

const f64 = { dtype: "float64" } as const;

/** Log length scale, log signal variance, log noise variance. */
export interface GpParams {
  [key: string]: lt.Tensor;
  logScale: lt.Tensor;
  logSignal: lt.Tensor;
  logNoise: lt.Tensor;
}

/** The RBF kernel matrix `σ²·exp(-|a_i − b_j|² / (2ℓ²))` between two sets of 1-D points. */
function rbf(p: GpParams, a: lt.Tensor, b: lt.Tensor): lt.Tensor {
  const d = a.unsqueeze(1).sub(b.unsqueeze(0));
  return d.square().div(p.logScale.mul(2).exp().mul(-2)).exp().mul(p.logSignal.exp());
}

/** The noisy kernel's Cholesky factor and `K⁻¹·y` from two triangular solves. */
function fit(p: GpParams, x: lt.Tensor, y: lt.Tensor): { chol: lt.Tensor; alpha: lt.Tensor } {
  const n = x.shape[0];
  const K = rbf(p, x, x).add(lt.eye(n, n, f64).mul(p.logNoise.exp().add(1e-8)));
  const chol = lt.linalg.cholesky(K);
  const z = lt.linalg.solveTriangular(chol, y.unsqueeze(1), { upper: false });
  const alpha = lt.linalg.solveTriangular(chol.T, z, { upper: true });
  return { chol, alpha };
}

/** The negative log marginal likelihood `½yᵀK⁻¹y + Σ log Lᵢᵢ + ½n log 2π`. */
export function nll(p: GpParams, x: lt.Tensor, y: lt.Tensor): lt.Tensor {
  const { chol, alpha } = fit(p, x, y);
  const quad = y.unsqueeze(1).mul(alpha).sum().mul(0.5);
  const logDet = lt.linalg.diagonal(chol).log().sum();
  return quad.add(logDet).add(0.5 * x.shape[0] * Math.log(2 * Math.PI));
}

/** The posterior mean at `xs`. */
export function predict(p: GpParams, x: lt.Tensor, y: lt.Tensor, xs: lt.Tensor): lt.Tensor {
  return rbf(p, xs, x).matmul(fit(p, x, y).alpha).squeeze(1);
}

/** Fits the hyperparameters on 40 noisy points; returns the likelihoods, parameters and test error. */
export function main(
  steps = 200,
  log: (...args: unknown[]) => void = console.log,
): { start: number; end: number; params: Record<string, number>; rmse: number } {
  const key = lt.random.key(0);
  const [kx, kn] = lt.random.split(key, 2);
  const x = lt.random.uniform(kx, [40], { ...f64, low: -2, high: 2 });
  const y = x.mul(3).sin().add(lt.random.normal(kn, [40], f64).mul(0.1));
  let params: GpParams = {
    logScale: lt.tensor(0, f64),
    logSignal: lt.tensor(0, f64),
    logNoise: lt.tensor(-1, f64),
  };
  const optimizer = adam(0.05);
  let state = optimizer.init(params);
  const step = lt.jit((p: GpParams, s: typeof state) => {
    const [value, grads] = lt.valueAndGrad((q: GpParams) => nll(q, x, y))(p);
    const [updates, next] = optimizer.update(grads, s, p);
    return [applyUpdates(p, updates), next, value] as const;
  });
  const start = nll(params, x, y).item();
  let value = start;
  for (let i = 0; i < steps; i++) {
    let v: lt.Tensor;
    [params, state, v] = step(params, state);
    if (i % 50 === 0 || i === steps - 1) {
      value = v.item();
      log(`step ${String(i).padStart(4)}  negative log likelihood ${value.toFixed(4)}`);
    }
  }
  const end = nll(params, x, y).item();
  const xs = lt.linspace(-2, 2, 101, f64);
  const err = predict(params, x, y, xs).sub(xs.mul(3).sin());
  const rmse = Math.sqrt(err.square().mean().item());
  const fitted = {
    lengthScale: Math.exp(params.logScale.item()),
    signalVariance: Math.exp(params.logSignal.item()),
    noiseVariance: Math.exp(params.logNoise.item()),
  };
  log("fitted", fitted, `posterior mean RMSE against sin(3x): ${rmse.toFixed(4)}`);
  return { start, end, params: fitted, rmse };
}

if (import.meta.main) main(Number(Deno.env.get("STEPS") ?? 200));
