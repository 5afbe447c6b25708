// A torch CNN (Conv2d, BatchNorm2d with running statistics, MaxPool2d,
// Linear; tests/fixtures/io/gen_cnn.py, torch 1.13): its state_dict loads
// into Lathe's conv layers and batch-norm state with torch's names, and its
// torch.onnx.export runs; both give torch's eval-mode logits.
import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import {
  batchNorm2d,
  type BatchNormLayer,
  conv2d,
  flatten,
  importOnnx,
  type Layer,
  linear,
  maxPool2d,
  type NormParams,
  relu,
} from "../nn/mod.ts";
import { assertClose } from "./_close.ts";
import { fixtureBytes } from "./_io_fixture.ts";

const { io } = lt;
const load = (name: string) => io.decodeSafetensors(fixtureBytes(name)).tensors;
const ref = load("cnn_ref.safetensors");

// torch's nn.Sequential indices: 1 is the BatchNorm2d, whose buffers go in the state tree
const bn = batchNorm2d(4);
const layers: Layer<lt.Tree>[] = [
  conv2d(1, 4, 3, { padding: 1 }),
  bn as Layer<lt.Tree>,
  relu,
  maxPool2d(2),
  conv2d(4, 8, 3, { padding: 1 }),
  relu,
  maxPool2d(2),
  flatten(),
  linear(8 * 3 * 3, 16),
  relu,
  linear(16, 10),
];

/** Eval mode: the batch norm uses its running statistics. */
function forward(params: lt.Tree[], state: lt.Tree[], x: lt.Tensor): lt.Tensor {
  return layers.reduce((h, layer, i) => {
    if (i !== 1) return layer.apply(params[i], h);
    const s = state[i] as ReturnType<BatchNormLayer["initState"]>;
    return bn.applyWithState(params[i] as NormParams, s, h)[0];
  }, x);
}

function templates(dtype: lt.DType): { params: lt.Tree[]; state: lt.Tree[] } {
  const cast = (t: lt.Tensor) => (t.dtype === "float32" ? t.astype(dtype) : t);
  const keys = lt.random.split(lt.random.key(0), layers.length);
  const params = layers.map((l, i) => lt.tree.map(cast, l.init(keys[i])));
  const state = layers.map((_, i) => (i === 1 ? lt.tree.map(cast, bn.initState()) : {}));
  return { params, state };
}

describe("a torch CNN state_dict (Conv2d, BatchNorm2d, MaxPool2d, Linear)", () => {
  for (
    const [dtype, file, x, logits, atol] of [
      ["float32", "cnn_f32.safetensors", "x_f32", "logits_f32", 1e-5],
      ["float64", "cnn_f64.safetensors", "x_f64", "logits_f64", 1e-6],
    ] as const
  ) {
    it(`loads into params and batch-norm state and gives torch's ${dtype} logits`, () => {
      const sd = load(file);
      const t = templates(dtype);
      const params = io.loadStateDict(t.params, sd, { strict: false });
      const state = io.loadStateDict(t.state, sd, { strict: false });
      // together the two trees use every tensor of the file
      const names = [...Object.keys(io.stateDict(params)), ...Object.keys(io.stateDict(state))];
      assertEquals(names.sort(), Object.keys(sd).sort());
      assertEquals(io.stateDict(state)["1.num_batches_tracked"].item(), 3);
      assertEquals(io.stateDict(params)["0.weight"].dtype, dtype);
      const y = forward(params, state, ref[x]);
      assertEquals(y.dtype, dtype);
      assertClose(y, ref[logits].toArray(), { atol, rtol: 0 });
    });
  }

  it("the running statistics matter: batch statistics give other logits", () => {
    const sd = load("cnn_f32.safetensors");
    const t = templates("float32");
    const params = io.loadStateDict(t.params, sd, { strict: false });
    const batchStats = layers.reduce((h, l, i) => l.apply(params[i], h), ref.x_f32);
    const diff = lt.max(lt.abs(batchStats.sub(ref.logits_f32))).item();
    if (!(diff > 1e-3)) throw new Error(`expected the logits to differ: max |Δ| = ${diff}`);
  });
});

const close = (a: lt.Tensor, b: lt.Tensor) => assertClose(a, b.toArray(), { atol: 1e-5, rtol: 0 });

for (const jit of [true, false]) {
  describe(`importOnnx() of torch CNNs ${jit ? "under jit" : "op by op"}`, () => {
    it("runs the exported CNN (Conv with batch norm folded in, MaxPool, Gemm) at batch 5 and 1", () => {
      const model = importOnnx(fixtureBytes("cnn.onnx"), { jit });
      assertEquals(model.operators, ["Conv", "Flatten", "Gemm", "MaxPool", "Relu"]);
      close(model.run({ x: ref.x_f32 }).logits, ref.logits_f32);
      close(model.run({ x: ref.x1 }).logits, ref.logits1);
    });

    it("runs strided, dilated, grouped Conv, BatchNormalization, Pad and the pools", () => {
      const model = importOnnx(fixtureBytes("cnn_ops.onnx"), { jit });
      for (const op of ["AveragePool", "BatchNormalization", "GlobalAveragePool", "Pad"]) {
        assertEquals(model.operators.includes(op), true, `${op} in ${model.operators}`);
      }
      close(model.run({ x: ref.ops_x }).y, ref.ops_y);
    });
  });
}

describe("importOnnx() of CNN operators: ceil_mode", () => {
  it("maps a pool's ceil_mode=1 to ceilMode (torch's values: tests/io_cnn2_test.ts)", () => {
    const model = importOnnx(fixtureBytes("cnn_ceil.onnx"), { jit: false });
    const x = lt.random.normal(lt.random.key(3), [1, 2, 5, 5]);
    const y = model.run({ x }).y;
    assertEquals(y.shape, [1, 2, 3, 3]);
    assertClose(y, lt.maxPool2d(x, 2, { ceilMode: true }).toArray(), { atol: 0, rtol: 0 });
  });
});

const hasGpu = (await lt.devices()).includes("webgpu");
if (!hasGpu) console.log("io_cnn_test: no WebGPU adapter here: the WebGPU runs are skipped");

(hasGpu ? describe : describe.skip)("importOnnx() of torch CNNs on WebGPU", () => {
  it("gives torch's logits with the inputs on the GPU", async () => {
    const gpu = await lt.device("webgpu");
    const cnn = importOnnx(fixtureBytes("cnn.onnx"));
    const logits = cnn.run({ x: ref.x_f32.to(gpu) }).logits;
    assertEquals(logits.device, "webgpu");
    close(await lt.toCpu(logits), ref.logits_f32);
    const ops = importOnnx(fixtureBytes("cnn_ops.onnx"));
    close(await lt.toCpu(ops.run({ x: ref.ops_x.to(gpu) }).y), ref.ops_y);
  });
});
