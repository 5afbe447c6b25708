/**
 * Lathe: a Deno-first functional tensor library with JIT kernel fusion.
 *
 * Tensors are immutable and lazy: operations build a graph, and reading a
 * value fuses the graph into a few generated kernels and runs them.
 *
 * @example A first program
 * ```ts
 * import { explain, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 *
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = x.matmul(x.T).add(1).relu();
 * assertEquals(y.toArray(), [[6, 12], [12, 26]]);
 * assertEquals(explain(x.mul(2).add(1).exp()).kernels.length, 1);
 * ```
 * @module
 */
export { type NestedValues, Tensor } from "./core/tensor.ts";
export type { TensorLike } from "./core/_convert.ts";
export type { DataArray, DType } from "./core/dtype.ts";
export * from "./core/creation.ts";
export {
  type AdapterOptions,
  type Device,
  device,
  type DeviceOptions,
  devices,
  toCpu,
} from "./core/device.ts";
export * from "./core/elementwise.ts";
export * from "./core/activation.ts";
export * from "./core/reduce.ts";
export * from "./core/movement.ts";
export * from "./core/linalg.ts";
export * from "./core/indexing.ts";
export * from "./core/conv.ts";
export * from "./core/pool.ts";
export * from "./core/normalization.ts";
export { formatTensor, type PrintDType, type PrintOptions } from "./core/print.ts";
export type { DeviceData, Node, Origin } from "./core/ir.ts";
export type { OpArgs, OpName, ReduceOp } from "./core/ops/registry.ts";
export type { AluOp } from "./core/ops/elementwise.ts";
export type { Shape } from "./core/shape.ts";
export { explain, type Explanation, type KernelReport } from "./jit/explain.ts";
export {
  type CpuBackend,
  cpuBackend,
  cpuThreads,
  kernelStats,
  setCpuBackend,
  setCpuThreads,
} from "./jit/backend_cpu.ts";
export { blasLibrary } from "./jit/backend_blas.ts";
export * from "./core/autodiff.ts";
export * as tree from "./core/tree.ts";
export type { Tree, TreeDef } from "./core/tree.ts";
export * from "./core/check_grads.ts";
export { jit, type JitOptions, type Jitted } from "./jit/jit.ts";
export * from "./core/custom_vjp.ts";
export * from "./core/jacobian.ts";
export * as random from "./core/random.ts";
export type {
  FloatOptions,
  Key,
  NormalOptions,
  RandomGenerator,
  TorchFloat,
  TorchFloatOptions,
  TorchGenerator,
  TruncatedNormalOptions,
  UniformOptions,
} from "./core/random.ts";
