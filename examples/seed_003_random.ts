// Seed 003 (Udacity intro): with torch.manual_seed(7), the same random
// numbers as PyTorch — a single neuron, the mm shape error, and a 3 → 2 → 1
// network whose output is [[0.3171]].
//
//   deno run examples/seed_003_random.ts [--device webgpu]
import * as lt from "../mod.ts";
import { deviceFromArgs, printer } from "./_device.ts";

function activation(x: lt.Tensor): lt.Tensor {
  return lt.div(1, lt.add(1, lt.exp(x.neg())));
}

/** Runs the tutorial on `dev`; returns the printed tensors as arrays. */
export async function main(
  log: (...args: unknown[]) => void = console.log,
  dev: lt.Device = "cpu",
): Promise<Record<string, unknown>> {
  const print = printer(log); // reads GPU tensors before printing them
  const torch = lt.random.torchGenerator(7); // torch.manual_seed(7)
  const features = torch.randn([1, 5]).to(dev);
  const weights = torch.randnLike(features).to(dev);
  const bias = torch.randn([1, 1]).to(dev);
  await print(features, weights, bias);

  const y1 = activation(features.mul(weights).sum().add(bias));
  await print(y1);
  try {
    lt.mm(features, weights);
  } catch (e) {
    log(`torch.mm(features, weights) fails here too:\n  ${(e as Error).message}`);
  }
  const y2 = activation(lt.mm(features, weights.view([5, 1])).add(bias));
  await print(y2);

  // a 3 → 2 → 1 network
  const torch2 = lt.random.torchGenerator(7);
  const f = torch2.randn([1, 3]).to(dev);
  const W1 = torch2.randn([3, 2]).to(dev);
  const W2 = torch2.randn([2, 1]).to(dev);
  const B1 = torch2.randn([1, 2]).to(dev);
  const B2 = torch2.randn([1, 1]).to(dev);
  const h = activation(lt.mm(f, W1).add(B1));
  const output = activation(lt.mm(h, W2).add(B2));
  await print(h, output);
  const printed = await lt.toCpu({ features, weights, bias, neuron: y2, hidden: h, output });
  return Object.fromEntries(Object.entries(printed).map(([k, t]) => [k, t.toArray()]));
}

if (import.meta.main) await main(console.log, await deviceFromArgs());
