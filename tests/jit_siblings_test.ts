// Sibling outputs (jit/_siblings.ts, jit/runtime/cpu/_sibling_step.ts): a compiled CPU program
// merges elementwise kernels of one shape into one pass storing several outputs (Adam's moments
// and parameter, gelu's erf and value); results bit-equal to the separate kernels on both tiers.
import { afterEach, describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { adam, adamw, applyUpdates, type OptimizerState } from "../nn/optim.ts";
import { kernelStats, setCpuBackend } from "../jit/runtime/cpu/kernels.ts";
import { setSiblingFusion } from "../jit/runtime/cpu/program.ts";

type Params = { w1: lt.Tensor; b1: lt.Tensor; w2: lt.Tensor; b2: lt.Tensor };

// a ragged width (37: a partial last vector) and a kernel large enough to split over threads
function init(width: number): Params {
  const [k1, k2] = lt.random.split(lt.random.key(3), 2);
  return {
    w1: lt.random.normal(k1, [16, width]).mul(0.3),
    b1: lt.zeros([width]),
    w2: lt.random.normal(k2, [width, 4]).mul(0.3),
    b2: lt.zeros([4]),
  };
}

function loss(p: Params, x: lt.Tensor, y: lt.Tensor): lt.Tensor {
  return lt.gelu(x.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2).sub(y).square().mean();
}

/**
 * Every value of a few jitted train steps (params, state, loss), with fusion on or off, and the
 * kernels the last step launched.
 */
function train(
  optimizer: "adam" | "adamw",
  width: number,
  fuse: boolean,
): { values: Float32Array[]; launched: number } {
  setSiblingFusion(fuse);
  const opt = optimizer === "adam" ? adam(0.01) : adamw(0.01, { weightDecay: 0.1 });
  const step = lt.jit((p: Params, s: OptimizerState, x: lt.Tensor, y: lt.Tensor) => {
    const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
    const [updates, next] = opt.update(grads, s, p);
    return [applyUpdates(p, updates), next, value] as const;
  });
  const [kx, ky] = lt.random.split(lt.random.key(5), 2);
  const x = lt.random.normal(kx, [64, 16]);
  const y = lt.random.normal(ky, [64, 4]);
  let p = init(width);
  let s = opt.init(p);
  const out: Float32Array[] = [];
  let launched = 0;
  for (let i = 0; i < 4; i++) {
    launched = kernelStats().launched;
    const [np, ns, value] = step(p, s, x, y);
    launched = kernelStats().launched - launched;
    [p, s] = [np, ns];
    out.push(value.dataSync() as Float32Array);
  }
  for (const t of lt.tree.leaves([p, s])) out.push(t.dataSync() as Float32Array);
  return { values: out, launched };
}

describe("sibling outputs", () => {
  afterEach(() => {
    setSiblingFusion(true);
    setCpuBackend("wasm");
  });

  for (const tier of ["wasm", "js"] as const) {
    for (const optimizer of ["adam", "adamw"] as const) {
      it(`${optimizer} train steps are bit-equal with sibling kernels merged (${tier})`, () => {
        setCpuBackend(tier);
        for (const width of [37, 4096]) {
          const merged = train(optimizer, width, true);
          const separate = train(optimizer, width, false);
          // (the optimizer's kernels and gelu's erf and value merge)
          assert(merged.launched < separate.launched, `${merged.launched} launches`);
          assertEquals(merged.values.length, separate.values.length);
          merged.values.forEach((m, i) =>
            assertEquals(m, separate.values[i], `value ${i}, width ${width}`)
          );
        }
      });
    }
  }

  it("gelu's stored erf and its value are one kernel", () => {
    // (the gradient alone: no optimizer kernels to merge)
    const step = lt.jit((p: Params, x: lt.Tensor, y: lt.Tensor) => lt.grad(loss)(p, x, y));
    const p = init(256);
    const [kx, ky] = lt.random.split(lt.random.key(8), 2);
    const [x, y] = [lt.random.normal(kx, [64, 16]), lt.random.normal(ky, [64, 4])];
    const run = (fuse: boolean) => {
      setSiblingFusion(fuse);
      step(p, x, y);
      const before = kernelStats().launched;
      const grads = lt.tree.leaves(step(p, x, y)).map((t) => t.dataSync());
      return { n: kernelStats().launched - before, grads };
    };
    const separate = run(false);
    const merged = run(true);
    assertEquals(separate.n - merged.n, 1);
    assertEquals(merged.grads, separate.grads);
  });

  it("an Adam update's new moments and parameter are one kernel", () => {
    type P = { w: lt.Tensor; b: lt.Tensor };
    const opt = adam(0.01);
    const update = lt.jit((p: P, s: OptimizerState, g: P) => {
      const [updates, next] = opt.update(g, s, p);
      return [applyUpdates(p, updates), next] as const;
    });
    // two parameters: the bias corrections are scalar kernels of their own, read by both
    const [k1, k2, k3, k4] = lt.random.split(lt.random.key(1), 4);
    const p = { w: lt.random.normal(k1, [64, 32]), b: lt.random.normal(k2, [32]) };
    const g = { w: lt.random.normal(k3, [64, 32]), b: lt.random.normal(k4, [32]) };
    const s = opt.init(p);
    const launches = (fuse: boolean) => {
      setSiblingFusion(fuse);
      update(p, s, g); // compiled and warm
      const before = kernelStats().launched;
      const [np, ns] = update(p, s, g);
      const n = kernelStats().launched - before;
      return { n, values: lt.tree.leaves([np, ns]).map((t) => t.dataSync()) };
    };
    const separate = launches(false);
    const merged = launches(true);
    // each parameter's new mu, new nu and new value: three kernels become one
    assertEquals(separate.n - merged.n, 4);
    assert(merged.n > 0);
    assertEquals(merged.values, separate.values);
  });
});
