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
export type { OpMethods } from "./core/tensor_methods.ts";
export type { MathMethods } from "./core/tensor_math.ts";
export type { SeqMethods } from "./core/tensor_seq.ts";
export type { TensorLike } from "./core/_convert.ts";
export type { DataArray, DType } from "./core/ir/dtype.ts";
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
export * from "./core/activation_smooth.ts";
export * from "./core/trig.ts";
export * from "./core/exp_log.ts";
export * from "./core/rounding.ts";
export * from "./core/norm.ts";
export * from "./core/reduce.ts";
export * from "./core/movement.ts";
export * from "./core/linalg.ts";
export * as linalg from "./core/linalg/mod.ts";
export * as fft from "./core/fft.ts";
export * from "./core/indexing.ts";
export * from "./core/scatter.ts";
export * from "./core/donate.ts";
export * from "./core/triangular.ts";
export * from "./core/sort.ts";
export * from "./core/scan.ts";
export * from "./core/einsum.ts";
export * from "./core/attention.ts";
export { type AxisOptions, checkOptions } from "./core/_options.ts";
export * from "./core/conv.ts";
export * from "./core/pool.ts";
export * from "./core/normalization.ts";
export { formatTensor, type PrintDType, type PrintOptions } from "./core/print.ts";
export type { DeviceData, Node, Origin } from "./core/ir/ir.ts";
export type { OpArgs, OpName, ReduceOp } from "./core/ops/registry.ts";
export type { AluOp } from "./core/ops/elementwise.ts";
export type { ArithOp } from "./core/ops/arith.ts";
export type { MathOp } from "./core/ops/math.ts";
export type { SpecialOp } from "./core/ops/special.ts";
export type { LinalgArgs, LinalgRoutine } from "./core/ops/linalg.ts";
export type { AttentionArgs } from "./core/ops/attention.ts";
export type { Shape } from "./core/ir/shape.ts";
export { explain, type Explanation, type KernelReport } from "./jit/api/explain.ts";
export {
  type CpuBackend,
  cpuBackend,
  kernelStats,
  setCpuBackend,
} from "./jit/runtime/cpu/kernels.ts";
export { cpuThreads, setCpuThreads } from "./jit/runtime/cpu/threads.ts";
export { blasLibrary } from "./jit/runtime/cpu/blas.ts";
export { debugNans } from "./jit/debug_nans.ts";
export * from "./core/autodiff.ts";
export * as tree from "./core/tree.ts";
export type { Tree, TreeDef } from "./core/tree.ts";
export * from "./core/check_grads.ts";
export { jit, type JitOptions, type Jitted } from "./jit/api/jit.ts";
export type { Donate } from "./jit/api/_donate.ts";
export * from "./core/custom_vjp.ts";
export * from "./core/checkpoint.ts";
export { type AxisTree, isBatching, vmap, type VmapOptions } from "./core/vmap.ts";
export * from "./core/jacobian.ts";
export * as random from "./core/random.ts";
export * as io from "./core/io/mod.ts";
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
export * from "./core/control.ts";
export * from "./core/branch.ts";
