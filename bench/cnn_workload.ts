/**
 * SPEC B7: the CNN train step (conv3x3 1→16 pad 1, relu, maxpool 2, conv3x3
 * 16→32 pad 1, relu, maxpool 2, flatten, linear 1568→128, relu, linear
 * 128→10, softmax cross-entropy, Adam lr 1e-3), batch 64, under jit, from the
 * shared inputs; and the convolution's GFLOP/s in the forward and the
 * backward pass (conv2's shapes), measured separately.
 * @module
 */
import * as lt from "../mod.ts";
import { adam, applyUpdates } from "../nn/optim.ts";
import { workloads } from "./inputs.ts";
import { median } from "./reference.ts";

interface B7Params {
  conv1: { weight: lt.Tensor; bias: lt.Tensor };
  conv2: { weight: lt.Tensor; bias: lt.Tensor };
  fc1: { weight: lt.Tensor; bias: lt.Tensor };
  fc2: { weight: lt.Tensor; bias: lt.Tensor };
}

function forward(p: B7Params, x: lt.Tensor): lt.Tensor {
  let h = lt.conv2d(x, p.conv1.weight, { bias: p.conv1.bias, padding: 1 });
  h = lt.maxPool2d(lt.relu(h), 2);
  h = lt.conv2d(h, p.conv2.weight, { bias: p.conv2.bias, padding: 1 });
  h = lt.maxPool2d(lt.relu(h), 2).reshape([x.shape[0], 1568]);
  h = lt.relu(lt.linear(h, p.fc1.weight, p.fc1.bias));
  return lt.linear(h, p.fc2.weight, p.fc2.bias);
}

/**
 * B7: steps/s over `steps` jitted steps after `warmups`, each reading the
 * loss back; the loss after the timed steps.
 */
export function b7(steps = 50, warmups = 5): { stepsPerSecond: number; loss: number } {
  const w = workloads.B7();
  const t = (data: Float32Array, shape: number[]) => lt.tensor(data, { shape });
  let params: B7Params = {
    conv1: { weight: t(w.conv1, [16, 1, 3, 3]), bias: lt.zeros([16]) },
    conv2: { weight: t(w.conv2, [32, 16, 3, 3]), bias: lt.zeros([32]) },
    fc1: { weight: t(w.fc1, [128, 1568]), bias: lt.zeros([128]) },
    fc2: { weight: t(w.fc2, [10, 128]), bias: lt.zeros([10]) },
  };
  const x = t(w.x, [64, 1, 28, 28]);
  const y = lt.tensor(w.y, { shape: [64, 1] });
  const opt = adam(1e-3);
  let state = opt.init(params);
  const loss = (p: B7Params) => lt.logSoftmax(forward(p, x)).gather(1, y).mean().neg();
  const step = lt.jit((p: B7Params, s: typeof state) => {
    const [value, grads] = lt.valueAndGrad(loss)(p);
    const [updates, next] = opt.update(grads, s, p);
    return [applyUpdates(p, updates), next, value] as const;
  });
  let last = NaN;
  let t0 = 0;
  for (let i = 0; i < warmups + steps; i++) {
    if (i === warmups) t0 = performance.now();
    const [p, s, value] = step(params, state);
    params = p;
    state = s;
    last = value.item();
  }
  return { stepsPerSecond: steps / ((performance.now() - t0) / 1000), loss: last };
}

/**
 * Convolution speed on conv2's shapes (x [64, 16, 14, 14], w [32, 16, 3, 3],
 * pad 1): GFLOP/s of the jitted forward and of the jitted backward (input and
 * weight gradients), each 2·N·O·C·9·H·W multiply-adds per product.
 */
export function convSpeed(runs = 7, warmups = 2): { forward: number; backward: number } {
  const key = lt.random.split(lt.random.key(0), 3);
  const x = lt.random.normal(key[0], [64, 16, 14, 14]);
  const w = lt.random.normal(key[1], [32, 16, 3, 3]);
  const ct = lt.random.normal(key[2], [64, 32, 14, 14]);
  const flops = 2 * 64 * 32 * 16 * 9 * 14 * 14;
  const fwd = lt.jit((x: lt.Tensor, w: lt.Tensor) => lt.conv2d(x, w, { padding: 1 }));
  const bwd = lt.jit((x: lt.Tensor, w: lt.Tensor, ct: lt.Tensor) => {
    const [, back] = lt.vjp((x: lt.Tensor, w: lt.Tensor) => lt.conv2d(x, w, { padding: 1 }), x, w);
    return back(ct);
  });
  const time = (f: () => void) => {
    const ms: number[] = [];
    for (let i = 0; i < warmups + runs; i++) {
      const t0 = performance.now();
      f();
      if (i >= warmups) ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  const fm = time(() => fwd(x, w).dataSync());
  const bm = time(() => {
    const [dx, dw] = bwd(x, w, ct) as lt.Tensor[];
    dx.dataSync();
    dw.dataSync();
  });
  // the backward pass is two products (input and weight gradients) of the forward's size
  return { forward: flops / (fm * 1e6), backward: (2 * flops) / (bm * 1e6) };
}

if (import.meta.main) {
  const r = b7();
  console.log(
    `B7 jit: ${r.stepsPerSecond.toFixed(1)} steps/s, loss after the 50 ${r.loss.toFixed(4)}`,
  );
  const c = convSpeed();
  console.log(
    `conv 16→32 3×3 on 64×14×14: forward ${c.forward.toFixed(1)} GFLOP/s, backward ${
      c.backward.toFixed(1)
    } GFLOP/s`,
  );
}
