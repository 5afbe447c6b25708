// Torch CNNs in one call and folded: `sequential`'s state (batch norm's
// running statistics) beside its params, a torch state_dict loaded with one
// `loadStateDict`, eval-mode batch norm folded into the convolution before it
// (in `sequential` and in `importOnnx`), and the ONNX operators of
// tests/fixtures/io/gen_cnn2.py (torch 1.13): Conv → BatchNormalization kept
// apart by the exporter, MaxPool/AveragePool with ceil_mode=1, ConvTranspose.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import {
  batchNorm2d,
  conv1d,
  conv2d,
  flatten,
  importOnnx,
  linear,
  maxPool2d,
  relu,
  sequential,
} from "../nn/mod.ts";
import { assertClose } from "./_close.ts";
import { fixtureBytes } from "./_io_fixture.ts";

const { io } = lt;
const load = (name: string) => io.decodeSafetensors(fixtureBytes(name)).tensors;
const ref = load("cnn_ref.safetensors");
const ref2 = load("cnn2_ref.safetensors");

/** gen_cnn.py's torch CNN, with torch's nn.Sequential indices. */
const model = () =>
  sequential(
    conv2d(1, 4, 3, { padding: 1 }),
    batchNorm2d(4),
    relu,
    maxPool2d(2),
    conv2d(4, 8, 3, { padding: 1 }),
    relu,
    maxPool2d(2),
    flatten(),
    linear(8 * 3 * 3, 16),
    relu,
    linear(16, 10),
  );

describe("sequential with state: a torch CNN state_dict in one call", () => {
  for (
    const [dtype, file, x, logits, atol] of [
      ["float32", "cnn_f32.safetensors", "x_f32", "logits_f32", 1e-5],
      ["float64", "cnn_f64.safetensors", "x_f64", "logits_f64", 1e-6],
    ] as const
  ) {
    it(`loads params and running statistics (strict) and gives torch's ${dtype} logits`, () => {
      const sd = load(file);
      const cnn = model();
      const { params, state } = cnn.loadStateDict(sd, { dtype });
      assertEquals(params[0].weight.dtype, dtype);
      assertEquals(state[1].running_var.dtype, dtype);
      assertEquals(state[1].num_batches_tracked.item(), 3);
      assertEquals(Object.keys(state[0]), []);
      // the round trip names every tensor of the file
      assertEquals(Object.keys(cnn.stateDict(params, state)).sort(), Object.keys(sd).sort());
      const [y, same] = cnn.applyWithState(params, state, ref[x]);
      assertEquals(same, state);
      assertClose(y, ref[logits].toArray(), { atol, rtol: 0 });
      assertClose(lt.jit(cnn.applyWithState)(params, state, ref[x])[0], ref[logits].toArray(), {
        atol,
        rtol: 0,
      });
    });
  }

  it("says which names are missing or unused", () => {
    const sd = { ...load("cnn_f32.safetensors") };
    delete sd["1.running_mean"];
    assertThrows(() => model().loadStateDict(sd), Error, "1.running_mean");
  });

  it("training mode updates the batch norm's state like the layer alone", () => {
    const cnn = model();
    const params = cnn.init(lt.random.key(0));
    const x = lt.random.normal(lt.random.key(1), [3, 1, 12, 12]);
    const [, next] = cnn.applyWithState(params, cnn.initState(), x, { train: true });
    const bn = batchNorm2d(4);
    const h = conv2d(1, 4, 3, { padding: 1 }).apply(params[0], x);
    const [, alone] = bn.applyWithState(params[1], bn.initState(), h, { train: true });
    assertEquals(next[1].num_batches_tracked.item(), 1);
    assertClose(next[1].running_mean, alone.running_mean.toArray(), { atol: 1e-6, rtol: 0 });
    assertClose(next[1].running_var, alone.running_var.toArray(), { atol: 1e-6, rtol: 0 });
  });

  it("checks the state tree", () => {
    const cnn = model();
    assertThrows(
      () => cnn.applyWithState(cnn.init(lt.random.key(0)), [] as never, lt.zeros([1, 1, 12, 12])),
      TypeError,
      "expected state as an array of 11 entries (one per layer): found 0: pass what init() and " +
        "initState() returned",
    );
  });
});

describe("eval-mode batch norm folds into the convolution before it", () => {
  const cnn = model();
  const sd = load("cnn_f64.safetensors");
  const { params, state } = cnn.loadStateDict(sd, { dtype: "float64" });
  // the same layers one by one: the batch norm applied to the convolution's output
  const unfolded = (x: lt.Tensor) => {
    const bn = batchNorm2d(4);
    const h = conv2d(1, 4, 3, { padding: 1 }).apply(params[0], x);
    const after = bn.applyWithState(params[1], state[1], h)[0];
    return sequential(relu, maxPool2d(2)).apply([{}, {}], after);
  };
  const folded = (x: lt.Tensor) =>
    sequential(conv2d(1, 4, 3, { padding: 1 }), batchNorm2d(4), relu, maxPool2d(2))
      .applyWithState(params.slice(0, 4) as never, state.slice(0, 4) as never, x)[0];

  it("gives the unfolded values (float64, 1e-6)", () => {
    const x = ref.x_f64;
    assertClose(folded(x), unfolded(x).toArray(), { atol: 1e-6, rtol: 0 });
    assertClose(lt.jit(folded)(x), unfolded(x).toArray(), { atol: 1e-6, rtol: 0 });
  });

  it("explain shows the fold: the statistics scale the weight, not the activations", () => {
    const x = ref.x_f64;
    const kernels = (f: (x: lt.Tensor) => lt.Tensor) => lt.explain(f, x).kernels;
    const weightKernels = (f: (x: lt.Tensor) => lt.Tensor) =>
      kernels(f).filter((k) => k.shape.join() === "4,1,3,3" && k.ops.includes("sqrt"));
    // folded: one kernel of the weight's shape computes w·γ/√(var + eps)
    assertEquals(weightKernels(folded).length, 1);
    assertEquals(weightKernels(unfolded).length, 0);
    // unfolded: the kernel over the activations subtracts the mean and scales (recip of √)
    const activations = (f: (x: lt.Tensor) => lt.Tensor) =>
      kernels(f).filter((k) => k.shape.join() === "5,4,6,6");
    assert(activations(unfolded).some((k) => k.ops.includes("recip")));
    assert(!activations(folded).some((k) => k.ops.includes("recip")));
  });
});

describe("importOnnx() folds BatchNormalization and maps ceil_mode and ConvTranspose", () => {
  it("folds Conv → BatchNormalization into one Conv (same logits as unfolded and torch)", () => {
    const bytes = fixtureBytes("cnn_bn.onnx");
    const model = importOnnx(bytes);
    assert(model.operators.includes("BatchNormalization"));
    const plain = importOnnx(bytes, { foldBatchNorm: false });
    const x = ref2.bn_x;
    assertClose(model.run({ x }).y, ref2.bn_logits.toArray(), { atol: 1e-5, rtol: 0 });
    assertClose(plain.run({ x }).y, ref2.bn_logits.toArray(), { atol: 1e-5, rtol: 0 });
    // the folded program has no kernel taking a square root: the statistics were folded at import
    const roots = (m: typeof model) =>
      lt.explain((x: lt.Tensor) => m.run({ x }).y, x).kernels.filter((k) => k.ops.includes("sqrt"))
        .length;
    assertEquals(roots(model), 0);
    assert(roots(plain) > 0);
  });

  it("runs MaxPool and AveragePool with ceil_mode=1 like torch", () => {
    const model = importOnnx(fixtureBytes("cnn_ceil_ops.onnx"));
    assertClose(model.run({ x: ref2.ceil_x }).y, ref2.ceil_y.toArray(), { atol: 1e-5, rtol: 0 });
  });

  it("runs ConvTranspose (stride, padding, output_padding, dilation, groups) like torch", () => {
    const model = importOnnx(fixtureBytes("convt.onnx"));
    assertEquals(model.operators.includes("ConvTranspose"), true);
    const y = model.run({ x: ref2.convt_x }).y;
    assertEquals(y.shape, ref2.convt_y.shape);
    assertClose(y, ref2.convt_y.toArray(), { atol: 1e-5, rtol: 0 });
  });
});

describe("the fold keeps batch norm's input check", () => {
  it("a conv1d before batchNorm2d is not folded: the batch norm names the wrong shape", () => {
    const net = sequential(conv1d(1, 4, 3), batchNorm2d(4));
    const params = net.init(lt.random.key(0));
    assertThrows(
      () => net.applyWithState(params, net.initState(), lt.zeros([2, 1, 8])),
      RangeError,
      "batchNorm2d(4) expected input [N, 4, H, W]: found shape [2, 4, 6]",
    );
  });
});
