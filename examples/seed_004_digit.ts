// Seed 004 (German tutorial): one MNIST "5" through a 784 → 20 → 10 network
// with ReLU and sigmoid, binary cross-entropy against a one-hot label, and
// 1,000 gradient steps (lr 0.1) that drive the loss towards 0.
//
//   deno run --allow-read --allow-env examples/seed_004_digit.ts [--device webgpu]
import * as lt from "../mod.ts";
import { bce, loadMnist } from "../nn/mod.ts";
import { deviceFromArgs, printer } from "./_device.ts";

/** Runs the tutorial on `dev`; returns the loss every 100 steps. */
export async function main(
  log: (...args: unknown[]) => void = console.log,
  dev: lt.Device = "cpu",
): Promise<number[]> {
  const print = printer(log); // reads GPU tensors before printing them
  const item = async (t: lt.Tensor) => (await lt.toCpu(t)).item();
  const { train } = await loadMnist({ trainSize: 10_000 });
  const labels = train.labels.dataSync();
  const five = labels.indexOf(5);
  const input = train.images.select(0, five).to(dev); // already flattened and scaled to [0, 1]
  log("input", input.shape, "max", await item(input.max()));

  const torch = lt.random.torchGenerator(0);
  let params = {
    weights: torch.randn([784, 20]).div(Math.sqrt(784)).to(dev),
    moreWeights: torch.randn([20, 10]).div(Math.sqrt(20)).to(dev),
  };
  const label = lt.tensor([0, 0, 0, 0, 0, 1, 0, 0, 0, 0], { device: dev });
  type P = typeof params;
  const model = (p: P, x: lt.Tensor) => x.matmul(p.weights).relu().matmul(p.moreWeights).sigmoid();
  const prediction = model(params, input);
  await print("prediction", prediction.round());
  log("loss", await item(bce(prediction, label)));
  const guess = lt.tensor([0, 0, 0, 0, 0, 1, 0, 1, 1, 0], { device: dev });
  log("manual prediction loss", await item(bce(guess, label)));
  log("loss(label, label)", await item(bce(label, label)));

  const loss = (p: P) => bce(model(p, input), label);
  const step = lt.jit((p: P) => {
    const [value, g] = lt.valueAndGrad(loss)(p);
    return [lt.tree.map((w, d) => w.sub(d.mul(0.1)), p, g), value] as const;
  });
  const losses: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const [next, value] = step(params);
    params = next;
    if (i % 100 === 0) {
      losses.push(await item(value));
      log("Loss: ", losses[losses.length - 1]);
    }
  }
  await print("prediction after training", model(params, input).round());
  return losses;
}

if (import.meta.main) await main(console.log, await deviceFromArgs());
