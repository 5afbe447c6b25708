// Seed 001 (DataCamp, chapter 2): activations, nn.Sequential-style models,
// parameter counts, one-hot encoding, cross-entropy, gradients and SGD.
//
//   deno run examples/seed_001_layers.ts [--device webgpu]
import * as lt from "../mod.ts";
import { crossEntropy, linear, paramCount, sequential, sigmoid, softmax } from "../nn/mod.ts";
import { sgd, step } from "../nn/optim.ts";
import { deviceFromArgs, onDevice, printer } from "./_device.ts";

/** Runs the tutorial on `dev`; returns the numbers it prints. */
export async function main(
  log: (...args: unknown[]) => void = console.log,
  dev: lt.Device = "cpu",
): Promise<{ sigmoidOf6: number; capacity: number; crossEntropy: number }> {
  const print = printer(log); // reads GPU tensors before printing them
  const gen = lt.random.torchGenerator(42);
  // 1.1 sigmoid
  const six = lt.sigmoid(lt.tensor([[6]], { device: dev }));
  const sigmoidOf6 = (await lt.toCpu(six)).item();
  await print("sigmoid([[6]]) =", six);

  // a linear model with a sigmoid: 26 parameters
  const model = sequential(linear(3, 5), linear(5, 1), sigmoid);
  const params = onDevice(model.init(gen), dev);
  const capacity = paramCount(params);
  log(`Model capacity: ${capacity}`);
  await print(model.apply(params, lt.tensor([[1.34, 3.65, -0.78]], { device: dev })));

  // 1.2 softmax as the last layer
  const soft = sequential(linear(3, 4), linear(4, 3), softmax(-1));
  await print(
    soft.apply(onDevice(soft.init(gen), dev), lt.tensor([[1.0, 4.0, 8.0]], { device: dev })),
  );

  // 3. one-hot encoding and cross-entropy
  for (let i = 0; i < 3; i++) {
    await print(lt.oneHot(lt.tensor(i, { dtype: "int32", device: dev }), 3));
  }
  // float64 stays on the cpu (WebGPU has no float64)
  const scores = lt.tensor([-5.2, 4.6, 0.9], { dtype: "float64" });
  const oneHotTarget = lt.tensor([1, 0, 0], { dtype: "float64" });
  const ce = crossEntropy(scores, oneHotTarget);
  log("cross-entropy", ce);

  // 4. backpropagation and an update
  const input = lt.tensor([[2.0, 3.0, 7.0], [2.6, 1.0, 9.8], [0.0, 1.6, 7.7]], { device: dev });
  const ground = lt.tensor([[1, 0], [0, 1], [0, 1]], { device: dev });
  const net = sequential(linear(3, 8), linear(8, 4), linear(4, 2));
  let weights = onDevice(net.init(gen), dev);
  await print("prediction", net.apply(weights, input));
  const loss = (p: typeof weights) => crossEntropy(net.apply(p, input), ground);
  const [value, grads] = lt.valueAndGrad(loss)(weights);
  await print("loss", value);
  await print("last layer gradients", (grads[2] as { weight: lt.Tensor }).weight);
  const optimizer = sgd(0.001);
  [weights] = step(optimizer, weights, grads, optimizer.init(weights));
  await print("updated last-layer weight", (weights[2] as { weight: lt.Tensor }).weight);
  return { sigmoidOf6, capacity, crossEntropy: ce.item() };
}

if (import.meta.main) await main(console.log, await deviceFromArgs());
