// The seed tutorials run in Lathe and print the tutorials' numbers on the cpu.
// Their WebGPU runs (the same text with the same numbers up to float32 rounding)
// are end-to-end GPU runs, slow on a software GPU: tests/e2e/seeds_webgpu.ts,
// run by `deno task test:gpu` (a CI stage of its own).
import { describe, it } from "@std/testing/bdd";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { main as seed000 } from "../examples/seed_000_tensors.ts";
import { main as seed001 } from "../examples/seed_001_layers.ts";
import { main as seed002 } from "../examples/seed_002_model.ts";
import { main as seed003 } from "../examples/seed_003_random.ts";
import { main as seed004 } from "../examples/seed_004_digit.ts";
import { main as mnistCnn } from "../examples/mnist_cnn.ts";

const quiet = () => {};

function round4(x: unknown): unknown {
  return Array.isArray(x) ? x.map(round4) : Math.round((x as number) * 1e4) / 1e4;
}

describe("seed tutorials", () => {
  it("000: the hand-written 3 → 4 → 1 network trains with valueAndGrad", async () => {
    const losses = await seed000(quiet);
    for (let i = 1; i < losses.length; i++) {
      assert(losses[i] < losses[i - 1], `step ${i}: ${losses}`);
    }
    assert(losses[losses.length - 1] < 1e-3);
  });

  it("001: sigmoid(6), 26 parameters and cross-entropy 9.8245", async () => {
    const r = await seed001(quiet);
    assertAlmostEquals(r.sigmoidOf6, 0.9975, 1e-4);
    assertEquals(r.capacity, 26);
    assertAlmostEquals(r.crossEntropy, 9.8245, 1e-4);
  });

  it("002: one SGD step with lr 0.3 lowers the MSE", async () => {
    const { before, after } = await seed002(quiet);
    assert(after < before, `${after} >= ${before}`);
  });

  it("003: manual_seed(7) gives the tutorial's exact numbers", async () => {
    const r = await seed003(quiet);
    assertEquals(round4(r.features), [[-0.1468, 0.7861, 0.9468, -1.1143, 1.6908]]);
    assertEquals(round4(r.weights), [[-0.8948, -0.3556, 1.2324, 0.1382, -1.6822]]);
    assertEquals(round4(r.bias), [[0.3177]]);
    assertEquals(round4(r.neuron), [[0.1595]]);
    assertEquals(round4(r.hidden), [[0.6813, 0.4355]]);
    assertEquals(round4(r.output), [[0.3171]]);
  });

  it("004: one MNIST digit, 1,000 steps drive the BCE loss towards 0", async () => {
    const losses = await seed004(quiet);
    assertEquals(losses.length, 10);
    assert(losses[9] < 1e-3 && losses[9] < losses[0] / 100, `${losses}`);
  });
});

describe("examples/mnist_cnn.ts", () => {
  it("a short run (2 epochs on 1,000 digits) learns and reports on the held-out digits", async () => {
    const lines: string[] = [];
    const r = await mnistCnn({
      epochs: 2,
      trainSize: 1000,
      lr: 4e-3,
      device: "cpu",
      svg: false,
      log: (...args) => lines.push(args.join(" ")),
    });
    assertEquals(r.steps, 30);
    const [first, last] = [r.losses.slice(0, 3), r.losses.slice(-3)].map((l) =>
      l.reduce((a, b) => a + b, 0) / l.length
    );
    assert(last < first * 0.8, `loss ${first} → ${last}`);
    assert(r.accuracy > 0.5, `accuracy ${r.accuracy}`);
    assert(lines.some((l) => l.startsWith("held-out accuracy: ")), lines.join("\n"));
    assert(lines.some((l) => l.includes("often read as")), "confusion summary");
  });
});
