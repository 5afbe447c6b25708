// ONNX import: models exported by torch.onnx.export (tests/fixtures/io/
// gen_onnx.py, torch 1.13, opset 14) give torch's outputs under jit and op by
// op, at any batch size; unsupported operators are listed in one error; bad
// inputs and corrupt files get clear errors.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { importOnnx } from "../nn/mod.ts";
import { assertClose } from "./_close.ts";
import { fixtureBytes } from "./_io_fixture.ts";

const ref = lt.io.decodeSafetensors(fixtureBytes("onnx_ref.safetensors")).tensors;
const close = (a: lt.Tensor, b: lt.Tensor) => assertClose(a, b.toArray(), { atol: 1e-5, rtol: 0 });

for (const jit of [true, false]) {
  describe(`importOnnx() ${jit ? "under jit" : "op by op"}`, () => {
    it("runs torch's MLP (Flatten, Gemm, Relu, Sigmoid, Softmax) at batch 5 and 1", () => {
      const model = importOnnx(fixtureBytes("mlp.onnx"), { jit });
      assertEquals(model.operators, ["Flatten", "Gemm", "Relu", "Sigmoid", "Softmax"]);
      assertEquals(model.inputs, [{ name: "x", dtype: "float32", shape: ["batch", 1, 2, 3] }]);
      const out = model.run({ x: ref.mlp_x5 });
      close(out.logits, ref.mlp_logits5);
      close(out.probs, ref.mlp_probs5);
      close(model.run({ x: ref.mlp_x1 }).logits, ref.mlp_logits1);
    });

    it("runs Gather, Shape-based Reshape, Concat, MatMul, Transpose, LogSoftmax", () => {
      const model = importOnnx(fixtureBytes("mixed.onnx"), { jit });
      assertEquals(model.inputs.map((i) => i.dtype), ["float32", "int32"]); // int64 ids → int32
      close(model.run({ x: ref.mixed_x, ids: ref.mixed_ids }).y, ref.mixed_y);
    });

    it("runs Slice, Clip, Gelu, Where, Elu, reductions, Squeeze and more", () => {
      const model = importOnnx(fixtureBytes("ops.onnx"), { jit });
      assertEquals(model.operators.length, 25);
      close(model.run({ x: ref.ops_x }).y, ref.ops_y);
    });
  });
}

describe("importOnnx() errors", () => {
  it("lists every unsupported operator with its node", () => {
    // unsupported.onnx is Conv1d then cumsum: Conv runs now, CumSum does not
    const error = assertThrows(() => importOnnx(fixtureBytes("unsupported.onnx")), TypeError);
    const message = (error as Error).message;
    assertEquals(
      message.slice(0, message.indexOf(": Lathe maps")),
      `importOnnx() cannot run 1 node(s) of this model: CumSum (node "/CumSum")`,
    );
    assertEquals(message.includes("Conv, "), true, "Conv is in the list of mapped operators");
    assertEquals(
      message.slice(message.lastIndexOf(": ") + 2),
      "export the model without these operators, or run it with onnxruntime",
    );
  });

  it("checks the inputs' names, shapes and dtypes", () => {
    const model = importOnnx(fixtureBytes("mlp.onnx"));
    assertThrows(
      () => model.run({}),
      TypeError,
      `OnnxModel.run() expected a tensor for input "x" (x float32 [batch, 1, 2, 3]): found nothing: pass { x: tensor }`,
    );
    assertThrows(
      () => model.run({ x: lt.zeros([2, 6]) }),
      RangeError,
      'OnnxModel.run() expected input "x" of shape [batch, 1, 2, 3]: found [2, 6]',
    );
    assertThrows(
      () => model.run({ x: lt.zeros([2, 1, 2, 3], { dtype: "float64" }) }),
      TypeError,
      `OnnxModel.run() expected input "x" as float32: found float64: cast it with .astype("float32")`,
    );
    assertThrows(
      () =>
        importOnnx(fixtureBytes("mlp.onnx"), { jit: false }).run({ x: ref.mlp_x1, y: ref.mlp_x1 }),
      TypeError,
      "OnnxModel.run() got inputs the model does not have: y: expected x float32 [batch, 1, 2, 3]",
    );
  });

  it("reports a truncated file, and options it does not know", () => {
    const bytes = fixtureBytes("mlp.onnx");
    assertThrows(
      () => importOnnx(bytes.subarray(0, 1000)),
      RangeError,
      "importOnnx(): the protobuf data is corrupt at byte 19: field 7 takes 2725 bytes, past the end: " +
        "export the model again",
    );
    assertThrows(
      () => importOnnx(new Uint8Array([0x0f, 0x00])),
      RangeError,
      "importOnnx(): the protobuf data is corrupt at byte 0: field 1 has wire type 7 (expected 0, 1, 2 or 5): " +
        "export the model again",
    );
    assertThrows(
      () => importOnnx(new Uint8Array([0x08, 0x07])),
      TypeError,
      "importOnnx(): the file has no graph: pass the bytes of a .onnx model",
    );
    assertThrows(
      () => importOnnx(bytes, { jitt: true } as never),
      TypeError,
      `importOnnx() got an unknown option "jitt": expected one of jit, foldBatchNorm`,
    );
  });
});

const hasGpu = (await lt.devices()).includes("webgpu");
if (!hasGpu) console.log("onnx_test: no WebGPU adapter here: the WebGPU runs are skipped");

(hasGpu ? describe : describe.skip)("importOnnx() on WebGPU", () => {
  it("runs the three models with the weights and constants moved to the GPU", async () => {
    const gpu = await lt.device("webgpu");
    const mlp = importOnnx(fixtureBytes("mlp.onnx"));
    const probs = mlp.run({ x: ref.mlp_x5.to(gpu) }).probs;
    assertEquals(probs.device, "webgpu");
    close(await lt.toCpu(probs), ref.mlp_probs5);
    const mixed = importOnnx(fixtureBytes("mixed.onnx"));
    const y = mixed.run({ x: ref.mixed_x.to(gpu), ids: ref.mixed_ids.to(gpu) }).y;
    close(await lt.toCpu(y), ref.mixed_y);
    const ops = importOnnx(fixtureBytes("ops.onnx"));
    close(await lt.toCpu(ops.run({ x: ref.ops_x.to(gpu) }).y), ref.ops_y);
  });
});
