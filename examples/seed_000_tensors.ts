// Seed 000 (Dutch tutorial): tensors, a 3 → 4 → 1 ReLU network by hand, MSE,
// backpropagation and gradient-descent updates — in Lathe.
//
//   deno run examples/seed_000_tensors.ts [--device webgpu]
import * as lt from "../mod.ts";
import { deviceFromArgs, printer } from "./_device.ts";

/** Runs the tutorial on `dev`; returns the losses of the training loop. */
export async function main(
  log: (...args: unknown[]) => void = console.log,
  dev: lt.Device = "cpu",
): Promise<number[]> {
  const print = printer(log); // reads GPU tensors before printing them
  const gen = lt.random.torchGenerator(0);
  // Stap 2: data X (2 rows, 3 features) and labels y (2 rows, 1 value)
  const X = lt.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], { device: dev });
  const y = lt.tensor([[1.0], [0.0]], { device: dev });
  let params = {
    w1: gen.randn([3, 4]).to(dev),
    b1: gen.randn([4, 1]).to(dev), // the tutorial's shape: one value per neuron
    w2: gen.randn([4, 1]).to(dev),
    b2: gen.randn([1, 1]).to(dev),
  };
  for (const [name, t] of Object.entries(params)) {
    log(`${name} ${JSON.stringify(t.shape)}\n${await lt.toCpu(t)}`);
  }

  // Stap 3: forward pass. X @ w1 is [2, 4]; a [4, 1] bias does not broadcast
  try {
    X.matmul(params.w1).add(params.b1);
  } catch (e) {
    log(`\nAs in PyTorch, the [4, 1] bias does not fit:\n  ${(e as Error).message}`);
  }
  params = { ...params, b1: params.b1.reshape([1, 4]) };
  log("so b1 is reshaped to [1, 4] (one value per neuron, broadcast over rows)\n");

  type P = typeof params;
  const forward = (p: P) => lt.relu(X.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2);
  // Stap 4: the MSE loss
  const loss = (p: P) => forward(p).sub(y).square().mean();
  await print("prediction", forward(params));
  log("loss", (await lt.toCpu(loss(params))).item());

  // Stap 5: backward pass — gradients of the loss for every parameter
  const grads = lt.grad(loss)(params);
  await print("dloss/dw2", grads.w2);

  // Stap 6: gradient descent with learning rate 0.1
  const values: lt.Tensor[] = [];
  for (let step = 0; step < 20; step++) {
    const [value, g] = lt.valueAndGrad(loss)(params);
    values.push(value); // read after the loop: on a GPU, reading waits for the work
    params = lt.tree.map((w, dw) => w.sub(dw.mul(0.1)), params, g);
  }
  const losses = (await lt.toCpu(values)).map((v) => v.item());
  log("loss over 20 steps:", losses.map((l) => l.toFixed(4)).join(" → "));
  return losses;
}

if (import.meta.main) await main(console.log, await deviceFromArgs());
