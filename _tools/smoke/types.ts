// Type-checks a consumer of the npm build with Node's own module resolution
// (tsc --module nodenext): the exports map, the .d.ts files and the shared
// Tensor type across subpaths. Compiled with --noEmit only; never run.
import { type DType, grad, io, jit, random, type Tensor, tensor } from "@lathe/lathe";
import { importOnnx, linear, type LinearParams, type OnnxModel } from "@lathe/lathe/nn";
import { adam, applyUpdates } from "@lathe/lathe/optim";
import { assertAllClose } from "@lathe/lathe/testing";

const layer = linear(3, 2);
const x: Tensor = tensor([[1, 2, 3]]);
const params: LinearParams = layer.init(random.key(0));
const y: Tensor = layer.apply(params, x);
const dtype: DType = y.dtype;
const optimizer = adam(1e-3);
const state = optimizer.init(params);
const [updates] = optimizer.update(params, state, params);
const next: LinearParams = applyUpdates(params, updates);
assertAllClose(next.weight, params.weight, { rtol: 1 });
// @ts-expect-error: shapes are number arrays
tensor([1]).reshape("2");
// gradients keep the parameters' type through grad and jit
const step = jit((p: LinearParams, x: Tensor) =>
  grad((q: LinearParams) => layer.apply(q, x).sum())(p)
);
const g: LinearParams = step(params, x);
// @ts-expect-error: LinearParams has no such key
g.nonsense;
// the file formats: bytes in, named tensors and a typed tree out
const file: io.SafetensorsFile = io.decodeSafetensors(io.encodeSafetensors({ params }));
const restored: LinearParams = io.loadStateDict(params, file.tensors);
const saved: Promise<void> = io.saveSafetensors("params.safetensors", restored);
const model: OnnxModel = importOnnx(new Uint8Array(0), { jit: false });
const outputs: Record<string, Tensor> = model.run({ x });
// @ts-expect-error: importOnnx takes bytes, not a path
importOnnx("model.onnx");
export { dtype, outputs, saved };
