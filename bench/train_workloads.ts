/**
 * SPEC B4 and B5: training loops written with valueAndGrad, run eagerly and
 * under jit. Each returns its timings and final loss. The `*Device` variants
 * run the same loops with every tensor on a device (webgpu), reading back with
 * `await data()`, for a chosen number of steps. Under jit the step donates
 * the parameters (`jit`'s `donate`), so their updates are written into their
 * buffers, as PyTorch's optimizers update in place.
 * @module
 */
import * as lt from "../mod.ts";
import { workloads } from "./inputs.ts";

type Step<P> = (p: P) => [P, lt.Tensor];

/** B5's model on `dev`: its initial parameters and one SGD step (jitted for "jit"). */
function setupB5(mode: "eager" | "jit", dev: lt.Device) {
  const { x, w1, w2 } = workloads.B5();
  const input = lt.tensor(x, { shape: [1, 784], device: dev });
  const target = lt.oneHot(lt.tensor([1], { dtype: "int32" }), 10).float().to(dev);
  type P = { w1: lt.Tensor; w2: lt.Tensor };
  const loss = (p: P) => {
    const prob = lt.sigmoid(lt.relu(input.matmul(p.w1)).matmul(p.w2));
    const logP = lt.clamp(lt.log(prob), -100);
    const log1mP = lt.clamp(lt.log(lt.sub(1, prob)), -100);
    return target.mul(logP).add(lt.sub(1, target).mul(log1mP)).mean().neg();
  };
  const step: Step<P> = (p) => {
    const [l, g] = lt.valueAndGrad(loss)(p);
    return [lt.tree.map((w, d) => w.sub(d.mul(0.1)), p, g), l];
  };
  const p: P = {
    w1: lt.tensor(w1, { shape: [784, 20], device: dev }),
    w2: lt.tensor(w2, { shape: [20, 10], device: dev }),
  };
  return { p, run: mode === "jit" ? lt.jit(step, { donate: [0] }) : step };
}

/** B4's model on `dev`: its initial parameters and one SGD step (jitted for "jit"). */
function setupB4(mode: "eager" | "jit", dev: lt.Device) {
  const { w1, w2, x, y } = workloads.B4();
  const input = lt.tensor(x, { shape: [128, 784], device: dev });
  const labels = lt.tensor(y, { shape: [128, 1], device: dev });
  type P = { w1: lt.Tensor; b1: lt.Tensor; w2: lt.Tensor; b2: lt.Tensor };
  const loss = (p: P) => {
    const logits = lt.relu(input.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2);
    return lt.logSoftmax(logits).gather(1, labels).mean().neg();
  };
  const step: Step<P> = (p) => {
    const [l, g] = lt.valueAndGrad(loss)(p);
    return [lt.tree.map((w, d) => w.sub(d.mul(0.1)), p, g), l];
  };
  const p: P = {
    w1: lt.tensor(w1, { shape: [784, 256], device: dev }),
    b1: lt.zeros([256], { device: dev }),
    w2: lt.tensor(w2, { shape: [256, 10], device: dev }),
    b2: lt.zeros([10], { device: dev }),
  };
  return { p, run: mode === "jit" ? lt.jit(step, { donate: [0] }) : step };
}

/** B5: the seed-004 loop (784-20-10, relu, sigmoid, BCE vs one-hot class 1), 1000 SGD steps lr 0.1. */
export function b5(mode: "eager" | "jit", steps = 1000): { ms: number; loss: number } {
  let { p, run } = setupB5(mode, "cpu");
  let last = lt.tensor(0);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    [p, last] = run(p);
    p.w2.dataSync(); // the loop reads each step's result, as a user's script would
  }
  const ms = performance.now() - t0;
  // SPEC's "final loss" is the loss the 1000th step computed (before its update)
  return { ms, loss: last.item() };
}

/** B4: 784-256-10 MLP, batch 128, softmax cross-entropy, SGD lr 0.1; steps/s over 200 steps after 20. */
export function b4(
  mode: "eager" | "jit",
  steps = 200,
  warmups = 20,
): { stepsPerSecond: number; loss: number } {
  let { p, run } = setupB4(mode, "cpu");
  let last = lt.tensor(0);
  for (let i = 0; i < warmups; i++) [p, last] = run(p);
  last.dataSync();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    [p, last] = run(p);
    p.w2.dataSync();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { stepsPerSecond: steps / seconds, loss: last.item() };
}

/** B5 on `dev` for `steps` steps, each step ending with `await p.w2.data()`. */
export async function b5Device(
  mode: "eager" | "jit",
  dev: lt.Device,
  steps: number,
): Promise<{ ms: number; loss: number }> {
  let { p, run } = setupB5(mode, dev);
  let last = lt.tensor(0);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    [p, last] = run(p);
    await p.w2.data();
  }
  const ms = performance.now() - t0;
  return { ms, loss: (await last.data())[0] };
}

/** B4 on `dev`: steps/s over `steps` steps after `warmups`, each step ending with `await p.w2.data()`. */
export async function b4Device(
  mode: "eager" | "jit",
  dev: lt.Device,
  steps: number,
  warmups: number,
): Promise<{ stepsPerSecond: number; loss: number }> {
  let { p, run } = setupB4(mode, dev);
  let last = lt.tensor(0);
  for (let i = 0; i < warmups; i++) [p, last] = run(p);
  await last.data();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    [p, last] = run(p);
    await p.w2.data();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { stepsPerSecond: steps / seconds, loss: (await last.data())[0] };
}

if (import.meta.main) {
  for (const mode of ["eager", "jit"] as const) {
    const r5 = b5(mode);
    console.log(
      `B5 ${mode}: ${r5.ms.toFixed(1)} ms / 1000 steps, final loss ${r5.loss.toExponential(4)}`,
    );
  }
  for (const mode of ["eager", "jit"] as const) {
    const r4 = b4(mode);
    console.log(`B4 ${mode}: ${r4.stepsPerSecond.toFixed(1)} steps/s, loss ${r4.loss.toFixed(4)}`);
  }
}
