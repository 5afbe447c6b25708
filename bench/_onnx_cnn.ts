/**
 * The ONNX bench's CNN, written here like the MLP (`_onnx_mlp.ts`): the MNIST
 * CNN demo's architecture (conv 3×3 1→16 pad 1, relu, maxpool 2, conv 3×3
 * 16→32 pad 1, relu, maxpool 2, flatten, 1568→64, relu, 64→10) on
 * `x [batch, 1, 28, 28]`, weights uniform ±1/√fan-in from a seeded key, opset
 * 14 — the graph `torch.onnx.export` gives for it.
 * @module
 */
import * as lt from "../mod.ts";
import { concat, field, node, tensorProto } from "./_onnx_mlp.ts";

function ints(name: string, values: number[]): Uint8Array {
  return field(5, [
    field(1, name),
    ...values.map((v) => field(8, v)),
    field(20, 7),
  ]);
}

function valueInfo(name: string, dims: (number | string)[]): Uint8Array[] {
  const dimFields = dims.map((d) => field(1, typeof d === "string" ? field(2, d) : field(1, d)));
  return [
    field(1, name),
    field(2, field(1, [field(1, 1), field(2, dimFields)])),
  ];
}

/**
 * The demo CNN as `.onnx` bytes: input `x` [batch, 1, 28, 28], output `y` [batch, 10].
 * @param seed the weights' seed
 * @returns the model's bytes
 */
export function cnnOnnx(seed = 0): Uint8Array {
  const keys = lt.random.split(lt.random.key(seed), 8);
  const weights: Uint8Array[] = [];
  const param = (name: string, shape: number[], fanIn: number, k: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    const t = lt.random.uniform(keys[k], shape, { low: -bound, high: bound });
    weights.push(
      field(5, tensorProto(name, shape, t.dataSync() as Float32Array)),
    );
  };
  param("c1w", [16, 1, 3, 3], 9, 0);
  param("c1b", [16], 9, 1);
  param("c2w", [32, 16, 3, 3], 144, 2);
  param("c2b", [32], 144, 3);
  param("f1w", [64, 1568], 1568, 4);
  param("f1b", [64], 1568, 5);
  param("f2w", [10, 64], 64, 6);
  param("f2b", [10], 64, 7);
  const conv = [
    ints("kernel_shape", [3, 3]),
    ints("pads", [1, 1, 1, 1]),
    ints("strides", [1, 1]),
  ];
  const pool = [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])];
  const transB = [field(5, [field(1, "transB"), field(3, 1), field(20, 2)])];
  const nodes = [
    node("Conv", ["x", "c1w", "c1b"], "a1", conv),
    node("Relu", ["a1"], "r1"),
    node("MaxPool", ["r1"], "p1", pool),
    node("Conv", ["p1", "c2w", "c2b"], "a2", conv),
    node("Relu", ["a2"], "r2"),
    node("MaxPool", ["r2"], "p2", pool),
    node("Flatten", ["p2"], "f", [
      field(5, [field(1, "axis"), field(3, 1), field(20, 2)]),
    ]),
    node("Gemm", ["f", "f1w", "f1b"], "g1", transB),
    node("Relu", ["g1"], "r3"),
    node("Gemm", ["r3", "f2w", "f2b"], "y", transB),
  ].map((n) => field(1, n));
  const graph = [
    ...nodes,
    field(2, "cnn"),
    ...weights,
    field(11, valueInfo("x", ["batch", 1, 28, 28])),
    field(12, valueInfo("y", ["batch", 10])),
  ];
  return concat([
    field(1, 7),
    field(7, graph),
    field(8, [field(1, ""), field(2, 14)]),
  ]);
}
