// Seed 002: a Linear layer's weights, a 4 → 5 → 7 → 3 sigmoid model, MSE,
// gradients and one SGD step (lr 0.3) that lowers the loss.
//
//   deno run examples/seed_002_model.ts [--device webgpu]
import * as lt from "../mod.ts";
import { linear, mse, sequential, sigmoid } from "../nn/mod.ts";
import { sgd, step } from "../nn/optim.ts";
import { deviceFromArgs, onDevice, printer } from "./_device.ts";

/** Runs the tutorial on `dev`; returns the loss before and after one SGD step. */
export async function main(
  log: (...args: unknown[]) => void = console.log,
  dev: lt.Device = "cpu",
): Promise<{ before: number; after: number }> {
  const print = printer(log); // reads GPU tensors before printing them
  const gen = lt.random.torchGenerator(0);
  const x = lt.ones([4], { device: dev });
  await print(x);
  const layer = linear(4, 5);
  const p = onDevice(layer.init(gen), dev);
  await print("W =", p.weight);
  await print("b =", p.bias);
  const z1 = layer.apply(p, x);
  await print(z1);
  await print(lt.sigmoid(z1));

  // the model: three linear layers with sigmoid activations
  const model = sequential(linear(4, 5), sigmoid, linear(5, 7), sigmoid, linear(7, 3));
  // devices: `cuda if available else cpu` is `await lt.device("webgpu")` (see deviceFromArgs);
  // parameters and data move with `.to(dev)`, and everything else follows its inputs
  let params = onDevice(model.init(gen), dev);
  const y = model.apply(params, x);
  await print(y, y.shape);

  const yHat = lt.ones([3], { device: dev });
  const loss = (q: typeof params) => mse(model.apply(q, x), yHat);
  const [before, grads] = lt.valueAndGrad(loss)(params);
  await print("loss", before);
  await print("dMSE/dW =", (grads[0] as { weight: lt.Tensor }).weight);
  const optimizer = sgd(0.3);
  await print("W_0 =", (params[0] as { weight: lt.Tensor }).weight);
  [params] = step(optimizer, params, grads, optimizer.init(params));
  await print("W_1 =", (params[0] as { weight: lt.Tensor }).weight);
  const after = loss(params);
  await print("loss after one step", after);
  const [b, a] = await lt.toCpu([before, after]);
  return { before: b.item(), after: a.item() };
}

if (import.meta.main) await main(console.log, await deviceFromArgs());
