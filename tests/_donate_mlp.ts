// The small MLP the jit donation tests train (tests/jit_donate_test.ts, jit_donate_webgpu_test.ts).
import * as lt from "../mod.ts";

/** Its parameters. */
export type Params = { w1: lt.Tensor; b1: lt.Tensor; w2: lt.Tensor; b2: lt.Tensor };

/** Parameters from a fixed key: 16 → 32 → 4. */
export function init(): Params {
  const [k1, k2] = lt.random.split(lt.random.key(7), 2);
  return {
    w1: lt.random.normal(k1, [16, 32]).mul(0.3),
    b1: lt.zeros([32]),
    w2: lt.random.normal(k2, [32, 4]).mul(0.3),
    b2: lt.zeros([4]),
  };
}

/** Mean squared error of relu(x·w1 + b1)·w2 + b2 against y. */
export function loss(p: Params, x: lt.Tensor, y: lt.Tensor): lt.Tensor {
  return lt.relu(x.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2).sub(y).square().mean();
}
