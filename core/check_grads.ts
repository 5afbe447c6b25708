/**
 * `checkGrads`: verifies a function's gradients against central finite
 * differences in float64 (like JAX's `check_grads`), to first or second
 * order. Throws with the worst mismatches when they disagree.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { tensor } from "./creation.ts";
import { mul } from "./elementwise.ts";
import { sum } from "./reduce.ts";
import { grad } from "./autodiff.ts";
import { isTensor } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";

/** Options of `checkGrads`. */
export interface CheckGradsOptions {
  /** 1: gradients; 2: also the gradients of the gradients (default 1). */
  order?: 1 | 2;
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** At most this many elements per argument are probed (default 64). */
  maxElements?: number;
  /** Seed of the random output projection (default 0). */
  seed?: number;
}

function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fn = (...args: Tensor[]) => Tensor;

/** s(x) = Σ u ⊙ f(x) with a fixed random u: a scalar whose gradient probes all of J. */
function project(f: Fn, args: Tensor[], seed: number): Fn {
  const out = f(...args);
  if (!isTensor(out)) throw new TypeError("checkGrads() expected the function to return a Tensor");
  const rand = uniform(seed);
  const u = tensor(Float64Array.from({ length: out.size }, () => rand() * 2 - 1), {
    shape: out.shape,
  });
  return (...xs: Tensor[]) => sum(mul(f(...xs), u));
}

function compareFirstOrder(
  s: Fn,
  args: Tensor[],
  o: Required<CheckGradsOptions>,
  label: string,
): void {
  const analytic = grad(s, { argnums: args.map((_, i) => i) })(...args) as Tensor[];
  const failures: string[] = [];
  args.forEach((x, a) => {
    const base = Float64Array.from(x.dataSync());
    const g = analytic[a].dataSync();
    const step = Math.max(1, Math.floor(base.length / o.maxElements));
    for (let i = 0; i < base.length; i += step) {
      const probe = (delta: number) => {
        const data = base.slice();
        data[i] += delta;
        const xs = args.map((y, j) => (j === a ? tensor(data, { shape: x.shape }) : y));
        return s(...xs).item();
      };
      const numeric = (probe(o.eps) - probe(-o.eps)) / (2 * o.eps);
      const err = Math.abs(g[i] - numeric);
      if (!(err <= o.atol + o.rtol * Math.abs(numeric))) {
        failures.push(
          `arg ${a}[${i}]: analytic ${g[i]}, numeric ${numeric} (error ${err.toExponential(2)})`,
        );
      }
    }
  });
  if (failures.length > 0) {
    throw new Error(
      `checkGrads() ${label} gradients disagree with finite differences:\n  ${
        failures.slice(0, 8).join("\n  ")
      }`,
    );
  }
}

/**
 * Checks `f`'s gradients with respect to all its (tensor) arguments against
 * central finite differences in float64.
 * @param f the function (any output shape)
 * @param args its arguments (converted to float64)
 * @param options order, step and tolerances
 * @example
 * ```ts
 * import { checkGrads, tensor } from "@lathe/lathe";
 * checkGrads((x) => x.tanh().pow(3), [tensor([0.5, -1.2])], { order: 2 });
 * ```
 */
export function checkGrads(
  f: (...args: Tensor[]) => Tensor,
  args: readonly Tensor[],
  options: CheckGradsOptions = {},
): void {
  checkOptions("checkGrads", options, ["order", "eps", "rtol", "atol", "maxElements", "seed"]);
  const o: Required<CheckGradsOptions> = {
    order: options.order ?? 1,
    eps: options.eps ?? 1e-6,
    rtol: options.rtol ?? 1e-5,
    atol: options.atol ?? 1e-6,
    maxElements: options.maxElements ?? 64,
    seed: options.seed ?? 0,
  };
  const xs = args.map((x) => x.astype("float64"));
  const s = project(f, xs, o.seed);
  compareFirstOrder(s, xs, o, "first-order");
  if (o.order === 2) {
    const ds: Fn = (...ys) => {
      const gs = grad(s, { argnums: ys.map((_, i) => i) })(...ys) as Tensor[];
      return gs.reduce((acc: Tensor | undefined, g, i) => {
        const term = sum(
          mul(
            g,
            tensor(Float64Array.from({ length: g.size }, (_, k) => Math.sin(k + i + 1)), {
              shape: g.shape,
            }),
          ),
        );
        return acc === undefined ? term : acc.add(term);
      }, undefined)!;
    };
    compareFirstOrder(ds, xs, { ...o, rtol: o.rtol * 10, atol: o.atol * 10 }, "second-order");
  }
}
