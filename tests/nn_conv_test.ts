// The convolutional nn layers (nn/conv_layers.ts): PyTorch's default
// initialisation bit-exact through random.torchGenerator and the same outputs
// (fixtures from tests/fixtures/gen_conv.py), batchNorm2d's running
// statistics over training and eval steps, a small CNN that fits a toy
// image task under jit, and the layers' errors.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import { adam, applyUpdates } from "../nn/optim.ts";
import { assertValuesClose } from "./_close.ts";
import fixture from "./fixtures/conv.json" with { type: "json" };

interface Encoded {
  s: number[];
  v: number[];
}
const f32 = (e: Encoded) => lt.tensor(e.v, { shape: e.s });
const F32 = { rtol: 1e-5, atol: 1e-5 };

const makers: Record<string, () => nn.Layer<nn.ConvParams>> = {
  "conv2d(3, 4, 3)": () => nn.conv2d(3, 4, 3),
  "conv2d(4, 6, [3, 2], groups 2)": () => nn.conv2d(4, 6, [3, 2], { groups: 2, padding: 1 }),
  "conv1d(2, 3, 4)": () => nn.conv1d(2, 3, 4, { stride: 2 }),
  "convTranspose2d(4, 2, 3)": () => nn.convTranspose2d(4, 2, 3, { stride: 2 }),
};

describe("conv layers initialise like PyTorch", () => {
  for (const c of fixture.layers) {
    it(`${c.name}: weight and bias are bit-exact, the output matches`, () => {
      const layer = makers[c.name]();
      const params = layer.init(lt.random.torchGenerator(c.seed));
      assertEquals(Array.from(params.weight.dataSync()), Array.from(Float32Array.from(c.weight.v)));
      assertEquals(Array.from(params.bias!.dataSync()), Array.from(Float32Array.from(c.bias.v)));
      const out = layer.apply(params, f32(c.x));
      assertEquals(out.shape, c.out.s);
      assertValuesClose(out.dataSync(), c.out.v, c.name, F32);
    });
  }
});

describe("batchNorm2d", () => {
  it("tracks torch's running statistics over two training steps, then evaluates with them", () => {
    const bn = nn.batchNorm2d(3, { momentum: 0.2 });
    const params = bn.init(lt.random.key(0));
    let state = bn.initState();
    for (const step of fixture.batchNorm2d) {
      const [out, next] = bn.applyWithState(params, state, f32(step.x), { train: step.train });
      state = next;
      assertValuesClose(out.dataSync(), step.out.v, `train=${step.train}: output`, F32);
      assertValuesClose(state.running_mean.dataSync(), step.running_mean.v, "running_mean", F32);
      assertValuesClose(state.running_var.dataSync(), step.running_var.v, "running_var", F32);
      assertEquals(state.num_batches_tracked.item(), step.num_batches_tracked);
    }
  });
  it("says which input it expected", () => {
    const bn = nn.batchNorm2d(3);
    assertThrows(
      () => bn.apply(bn.init(lt.random.key(0)), lt.ones([2, 4, 3, 3])),
      RangeError,
      "batchNorm2d(3) expected input [N, 3, H, W]: found shape [2, 4, 3, 3]",
    );
  });
});

describe("conv layer errors", () => {
  it("name the layer and both shapes", () => {
    const layer = nn.conv2d(3, 4, 3);
    const params = layer.init(lt.random.key(0));
    assertThrows(
      () => layer.apply(params, lt.ones([1, 2, 5, 5])),
      RangeError,
      "conv2d(3 → 4, 3×3) expected input [N, 3, …] with 3 channels: found shape [1, 2, 5, 5]",
    );
    assertThrows(
      () =>
        layer.apply({ weight: lt.ones([4, 2, 3, 3]), bias: lt.ones([4]) }, lt.ones([1, 3, 5, 5])),
      TypeError,
      "conv2d(3 → 4, 3×3).apply() expected params.weight of shape [4, 3, 3, 3]: found [4, 2, 3, 3]",
    );
    assertThrows(
      () => nn.conv2d(3, 4, 3, { groups: 2 }),
      RangeError,
      "conv2d() expected groups=2 to divide inChannels (3) and outChannels (4)",
    );
    assertThrows(() => nn.maxPool2d(0), RangeError, "maxPool2d() expected kernelSize");
  });
});

describe("a small CNN learns", () => {
  it("fits a toy task (is the bright bar vertical or horizontal?) under jit", () => {
    const n = 32;
    const images: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const vertical = i % 2;
      const at = 1 + (i % 5);
      for (let r = 0; r < 8; r++) {
        for (let c = 0; c < 8; c++) {
          images.push((vertical ? c : r) === at ? 1 : 0.1 * ((r * c + i) % 3));
        }
      }
      labels.push(vertical);
    }
    const x = lt.tensor(images, { shape: [n, 1, 8, 8] });
    const y = lt.tensor(labels, { dtype: "int32" });
    const model = nn.sequential(
      nn.conv2d(1, 4, 3, { padding: 1 }),
      nn.relu,
      nn.maxPool2d(2),
      nn.conv2d(4, 8, 3),
      nn.relu,
      nn.avgPool2d(2),
      nn.flatten(),
      nn.linear(8, 2),
    );
    let params = model.init(lt.random.torchGenerator(0));
    const opt = adam(0.02);
    let state = opt.init(params);
    type P = typeof params;
    const loss = (p: P) => nn.crossEntropy(model.apply(p, x), y);
    const step = lt.jit((p: P, s: typeof state) => {
      const [value, grads] = lt.valueAndGrad(loss)(p);
      const [updates, next] = opt.update(grads, s, p);
      return [applyUpdates(p, updates), next, value] as const;
    });
    const first = loss(params).item();
    let last = first;
    for (let i = 0; i < 60; i++) {
      const [p, s, value] = step(params, state);
      params = p;
      state = s;
      last = value.item();
    }
    assert(last < 0.05 && last < first / 10, `loss ${first} → ${last}`);
    const predicted = model.apply(params, x).argmax({ axis: -1 }).dataSync();
    assertEquals(Array.from(predicted), labels);
  });
});
