/**
 * `Tensor`: an immutable handle on a node of the lazy graph, with data access
 * (which realizes the graph) and method sugar over the op functions.
 * @module
 */
import type { Device, Node } from "./ir/ir.ts";
import { checkDType, type DataArray, type DType } from "./ir/dtype.ts";
import { sizeOf } from "./ir/shape.ts";
import { fmtShape } from "./ir/errors.ts";
import { registerTensorClass, wrap } from "./_wrap.ts";
import type { TensorLike } from "./_convert.ts";
import { cast } from "./ops/build.ts";
import { readAsync, realize } from "../jit/realize.ts";
import { syncReadError, toDevice } from "./device.ts";
import { formatTensor, type PrintOptions } from "./print.ts";
import * as e from "./elementwise.ts";
import * as a from "./activation.ts";
import * as r from "./reduce.ts";
import * as m from "./movement.ts";
import * as l from "./linalg.ts";
import * as ix from "./indexing.ts";
import { installMathMethods, type MathMethods } from "./tensor_math.ts";
import { installSeqMethods, type SeqMethods } from "./tensor_seq.ts";

/** Nested JS arrays of a tensor's values (booleans for bool tensors). */
export type NestedValues = number | boolean | NestedValues[];

/**
 * An immutable n-dimensional array. Operations build a lazy graph; reading
 * values (`dataSync`, `data`, `item`, `toArray`, printing) runs it as fused
 * kernels.
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([[1, 2], [3, 4]]);
 * assertEquals(x.mul(2).sum().item(), 20);
 * ```
 */
export class Tensor {
  /** The graph node this tensor stands for. */
  readonly node: Node;

  /** Wraps a node (use `tensor()` and the op functions instead). */
  constructor(node: Node) {
    this.node = node;
  }

  /** The sizes of each axis. */
  get shape(): number[] {
    return [...this.node.shape];
  }
  /** The element type. */
  get dtype(): DType {
    return this.node.dtype;
  }
  /** The number of axes. */
  get ndim(): number {
    return this.node.shape.length;
  }
  /** The number of elements. */
  get size(): number {
    return sizeOf(this.node.shape);
  }
  /** The device holding the data and running the kernels (`cpu` or `webgpu`). */
  get device(): Device {
    return this.node.device;
  }
  /** A copy on `device` (itself when already there), like torch's `.to(device)`. */
  to(device: Device): Tensor {
    return toDevice(this, device);
  }

  /** The values, row-major, computed now. Read-only: do not modify the returned array. */
  dataSync(): DataArray {
    if (this.node.device !== "cpu") throw syncReadError(this.node.device);
    realize([this.node]);
    const buffer = this.node.buffer;
    if (buffer === undefined) {
      throw new Error(
        "Cannot read tensor values while jit traces a function: this is a traced argument: " +
          "move dataSync()/item()/printing out of the jitted function, or mark the argument static",
      );
    }
    return buffer;
  }
  /** The values, row-major (async, for every backend). */
  data(): Promise<DataArray> {
    return this.node.device === "cpu" ? Promise.resolve(this.dataSync()) : readAsync(this.node);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new RangeError(
        `item() expected a tensor with one element: found shape ${
          fmtShape(this.node.shape)
        } (${this.size} elements): ` +
          `reduce it first (e.g. .sum()) or use toArray()`,
      );
    }
    return this.dataSync()[0];
  }
  /** The values as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedValues {
    const data = this.dataSync();
    const shape = this.node.shape;
    const asValue = this.dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
    let pos = 0;
    const build = (d: number): NestedValues =>
      d === shape.length
        ? asValue(data[pos++])
        : Array.from({ length: shape[d] }, () => build(d + 1));
    return build(0);
  }
  /** PyTorch-style text, e.g. `tensor([[1., 2.]])`. */
  toString(options?: PrintOptions): string {
    if (this.device !== "cpu") {
      return `tensor(<${this.dtype}${fmtShape(this.shape)} on ${this.device}>)`;
    }
    return formatTensor(this.dataSync(), this.node.shape, this.dtype, options);
  }
  /** Printing in Deno's console.log. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
  /** Printing in Node's and Bun's console.log. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
  /** Converts to another dtype. */
  astype(dtype: DType): Tensor {
    return wrap(cast(this.node, checkDType(dtype, "astype")));
  }
  /** Alias of `astype`. */
  cast(dtype: DType): Tensor {
    return this.astype(dtype);
  }
  /** As float32. */
  float(): Tensor {
    return this.astype("float32");
  }
  /** As float64. */
  double(): Tensor {
    return this.astype("float64");
  }
  /** As float16. */
  half(): Tensor {
    return this.astype("float16");
  }
  /** As int32. */
  int(): Tensor {
    return this.astype("int32");
  }
  /** As bool. */
  bool(): Tensor {
    return this.astype("bool");
  }

  /** Elementwise `a + b` with broadcasting; the method form of `add`. */
  add(other: TensorLike): Tensor {
    return e.add(this, other);
  }
  /** Elementwise `a - b` with broadcasting; the method form of `sub`. */
  sub(other: TensorLike): Tensor {
    return e.sub(this, other);
  }
  /** Elementwise `a * b` with broadcasting; the method form of `mul`. */
  mul(other: TensorLike): Tensor {
    return e.mul(this, other);
  }
  /** Elementwise true division `a / b`; the method form of `div`. */
  div(other: TensorLike): Tensor {
    return e.div(this, other);
  }
  /** Elementwise `a ** b`; the method form of `pow`. */
  pow(other: TensorLike): Tensor {
    return e.pow(this, other);
  }
  /** Elementwise maximum (NaN if either is NaN); the method form of `maximum`. */
  maximum(other: TensorLike): Tensor {
    return e.maximum(this, other);
  }
  /** Elementwise minimum (NaN if either is NaN); the method form of `minimum`. */
  minimum(other: TensorLike): Tensor {
    return e.minimum(this, other);
  }
  /** Elementwise remainder with the divisor's sign; the method form of `mod`. */
  mod(other: TensorLike): Tensor {
    return e.mod(this, other);
  }
  /** `a < b` as bool; the method form of `lt`. */
  lt(other: TensorLike): Tensor {
    return e.lt(this, other);
  }
  /** `a > b` as bool; the method form of `gt`. */
  gt(other: TensorLike): Tensor {
    return e.gt(this, other);
  }
  /** `a <= b` as bool (false when either is NaN); the method form of `le`. */
  le(other: TensorLike): Tensor {
    return e.le(this, other);
  }
  /** `a >= b` as bool (false when either is NaN); the method form of `ge`. */
  ge(other: TensorLike): Tensor {
    return e.ge(this, other);
  }
  /** `a == b` as bool; the method form of `eq`. */
  eq(other: TensorLike): Tensor {
    return e.eq(this, other);
  }
  /** `a != b` as bool (true when either is NaN); the method form of `ne`. */
  ne(other: TensorLike): Tensor {
    return e.ne(this, other);
  }
  /** Logical and of the truth values; the method form of `logicalAnd`. */
  logicalAnd(other: TensorLike): Tensor {
    return e.logicalAnd(this, other);
  }
  /** Logical or of the truth values; the method form of `logicalOr`. */
  logicalOr(other: TensorLike): Tensor {
    return e.logicalOr(this, other);
  }
  /** Logical exclusive or of the truth values; the method form of `logicalXor`. */
  logicalXor(other: TensorLike): Tensor {
    return e.logicalXor(this, other);
  }
  /** Logical not (nonzero is true); the method form of `logicalNot`. */
  logicalNot(): Tensor {
    return e.logicalNot(this);
  }
  /** `-x` (not for bool, like PyTorch: use logicalNot); the method form of `neg`. */
  neg(): Tensor {
    return e.neg(this);
  }
  /** e^x; the method form of `exp`. */
  exp(): Tensor {
    return e.exp(this);
  }
  /** e^x - 1, accurate near 0; the method form of `expm1`. */
  expm1(): Tensor {
    return e.expm1(this);
  }
  /** Natural logarithm; the method form of `log`. */
  log(): Tensor {
    return e.log(this);
  }
  /** log(1 + x), accurate near 0; the method form of `log1p`. */
  log1p(): Tensor {
    return e.log1p(this);
  }
  /** Square root (NaN below 0); the method form of `sqrt`. */
  sqrt(): Tensor {
    return e.sqrt(this);
  }
  /** 1 / sqrt(x); the method form of `rsqrt`. */
  rsqrt(): Tensor {
    return e.rsqrt(this);
  }
  /** 1 / x; the method form of `reciprocal`. */
  reciprocal(): Tensor {
    return e.reciprocal(this);
  }
  /** Sine; the method form of `sin`. */
  sin(): Tensor {
    return e.sin(this);
  }
  /** Cosine; the method form of `cos`. */
  cos(): Tensor {
    return e.cos(this);
  }
  /** Hyperbolic tangent; the method form of `tanh`. */
  tanh(): Tensor {
    return e.tanh(this);
  }
  /** The error function; the method form of `erf`. */
  erf(): Tensor {
    return e.erf(this);
  }
  /** |x|; the method form of `abs`. */
  abs(): Tensor {
    return e.abs(this);
  }
  /** -1, 0 or 1 by the sign of x; the method form of `sign`. */
  sign(): Tensor {
    return e.sign(this);
  }
  /** x²; the method form of `square`. */
  square(): Tensor {
    return e.square(this);
  }
  /** Rounds down; the method form of `floor`. */
  floor(): Tensor {
    return e.floor(this);
  }
  /** Rounds up; the method form of `ceil`. */
  ceil(): Tensor {
    return e.ceil(this);
  }
  /** Rounds half to even, like torch.round; the method form of `round`. */
  round(): Tensor {
    return e.round(this);
  }
  /** Whether each element is NaN; the method form of `isNaN`. */
  isNaN(): Tensor {
    return e.isNaN(this);
  }
  /** Whether each element is finite (not NaN or ±Infinity); the method form of `isFinite`. */
  isFinite(): Tensor {
    return e.isFinite(this);
  }
  /** max(x, 0); NaN stays NaN, and the slope at 0 is 0 like PyTorch; the method form of `relu`. */
  relu(): Tensor {
    return a.relu(this);
  }
  /** x for x > 0, else `slope * x` (default slope 0.01); the method form of `leakyRelu`. */
  leakyRelu(slope?: number): Tensor {
    return a.leakyRelu(this, slope);
  }
  /** 1 / (1 + e^-x); the method form of `sigmoid`. */
  sigmoid(): Tensor {
    return a.sigmoid(this);
  }
  /** x · sigmoid(x) (a.k.a. swish); the method form of `silu`. */
  silu(): Tensor {
    return a.silu(this);
  }
  /** Gaussian error linear unit; the method form of `gelu`. */
  gelu(options?: a.GeluOptions): Tensor {
    return a.gelu(this, options);
  }
  /** log(1 + e^(βx))/β, linear above `threshold`; the method form of `softplus`. */
  softplus(options?: { beta?: number; threshold?: number }): Tensor {
    return a.softplus(this, options);
  }
  /** x for x > 0, else α(e^x - 1) (default α = 1); the method form of `elu`. */
  elu(alpha?: number): Tensor {
    return a.elu(this, alpha);
  }
  /** Clamps into `[min, max]`; the method form of `clamp`. */
  clamp(min?: number, max?: number): Tensor {
    return a.clamp(this, min, max);
  }
  /** Clamps into `[min, max]`; the method form of `clamp`. */
  clip(min?: number, max?: number): Tensor {
    return a.clamp(this, min, max);
  }
  /** Sum of elements (bool and int32 sum as int32); the method form of `sum`. */
  sum(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.sum(this, axis, keepdims);
  }
  /** Mean of elements (integers give float32); the method form of `mean`. */
  mean(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.mean(this, axis, keepdims);
  }
  /** Product of elements; the method form of `prod`. */
  prod(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.prod(this, axis, keepdims);
  }
  /** Maximum (NaN if any element is NaN); the method form of `max`. */
  max(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.max(this, axis, keepdims);
  }
  /** Minimum (NaN if any element is NaN); the method form of `min`. */
  min(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.min(this, axis, keepdims);
  }
  /** Index of the first maximum; the method form of `argmax`. */
  argmax(axis?: number | r.ArgOptions, keepdims?: boolean): Tensor {
    return r.argmax(this, axis, keepdims);
  }
  /** Index of the first minimum; the method form of `argmin`. */
  argmin(axis?: number | r.ArgOptions, keepdims?: boolean): Tensor {
    return r.argmin(this, axis, keepdims);
  }
  /** Variance with `correction`; the method form of `variance`. */
  var(axis?: number | readonly number[] | r.VarianceOptions, unbiased?: never): Tensor {
    return r.variance(this, axis, unbiased);
  }
  /** Standard deviation with `correction` (default 1, like torch.std); the method form of `std`. */
  std(axis?: number | readonly number[] | r.VarianceOptions, unbiased?: never): Tensor {
    return r.std(this, axis, unbiased);
  }
  /** log(sum(exp(x))) computed stably; the method form of `logSumExp`. */
  logSumExp(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.logSumExp(this, axis, keepdims);
  }
  /** Whether all elements are true (nonzero); the method form of `all`. */
  all(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.all(this, axis, keepdims);
  }
  /** Whether any element is true (nonzero); the method form of `any`. */
  any(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.any(this, axis, keepdims);
  }
  /** Softmax along `axis` (default -1), computed stably; the method form of `softmax`. */
  softmax(axis?: number | { axis?: number }): Tensor {
    return r.softmax(this, axis);
  }
  /** log(softmax(x)) along `axis`; the method form of `logSoftmax`. */
  logSoftmax(axis?: number | { axis?: number }): Tensor {
    return r.logSoftmax(this, axis);
  }
  /** Matrix product with torch.matmul semantics; the method form of `matmul`. */
  matmul(other: Tensor): Tensor {
    return l.matmul(this, other);
  }
  /** Strict 2-D matrix product (torch.mm); the method form of `mm`. */
  mm(other: Tensor): Tensor {
    return l.mm(this, other);
  }
  /** Dot product of two 1-D tensors of equal length; the method form of `dot`. */
  dot(other: Tensor): Tensor {
    return l.dot(this, other);
  }
  /** Outer product of two 1-D tensors; the method form of `outer`. */
  outer(other: Tensor): Tensor {
    return l.outer(this, other);
  }
  /** The same elements in a new shape; the method form of `reshape`. */
  reshape(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.reshape(this, m.shapeArgs("reshape", shape));
  }
  /** Alias of `reshape` (tensors are immutable, so a view and a reshape are the same). */
  view(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.reshape(this, m.shapeArgs("view", shape));
  }
  /** Flattens axes `startAxis..endAxis` (inclusive) into one; the method form of `flatten`. */
  flatten(startAxis?: number, endAxis?: number): Tensor {
    return m.flatten(this, startAxis, endAxis);
  }
  /** Reorders axes; the method form of `permute`. */
  permute(...axes: readonly number[] | [readonly number[]]): Tensor {
    return m.permute(this, m.shapeArgs("permute", axes));
  }
  /** Swaps two axes; the method form of `transpose`. */
  transpose(axis0?: number, axis1?: number): Tensor {
    return m.transpose(this, axis0, axis1);
  }
  /** All axes reversed (the matrix transpose for 2-D tensors). */
  get T(): Tensor {
    return m.permute(this, [...Array(this.ndim).keys()].reverse());
  }
  /** Removes size-1 axes; the method form of `squeeze`. */
  squeeze(axis?: number | readonly number[] | { axis?: number | readonly number[] }): Tensor {
    return m.squeeze(this, axis);
  }
  /** Inserts a size-1 axis at `axis`; the method form of `unsqueeze`. */
  unsqueeze(axis: number | { axis: number }): Tensor {
    return m.unsqueeze(this, axis);
  }
  /** Broadcasts to `shape` (NumPy rules); -1 keeps a size; the method form of `broadcastTo`. */
  expand(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.broadcastTo(this, m.shapeArgs("expand", shape));
  }
  /** Broadcasts to `shape` (NumPy rules); -1 keeps a size; the method form of `broadcastTo`. */
  broadcastTo(shape: readonly number[]): Tensor {
    return m.broadcastTo(this, shape);
  }
  /** Pads with a constant; the method form of `pad`. */
  pad(widths: readonly (readonly [number, number])[], value?: number): Tensor {
    return m.pad(this, widths, value);
  }
  /** Reverses the order of elements along the given axes; the method form of `flip`. */
  flip(axis?: number | readonly number[] | { axis?: number | readonly number[] }): Tensor {
    return m.flip(this, axis);
  }
  /** Repeats the whole tensor `reps[i]` times along axis i; the method form of `tile`. */
  tile(reps: readonly number[]): Tensor {
    return m.tile(this, reps);
  }
  /** Alias of `tile` (torch's `repeat`). */
  repeat(...reps: readonly number[] | [readonly number[]]): Tensor {
    return m.tile(this, m.shapeArgs("repeat", reps));
  }
  /** Splits into pieces along `axis`; the method form of `split`. */
  split(sections: number | readonly number[], axis?: number | { axis?: number }): Tensor[] {
    return m.split(this, sections, axis);
  }
  /** Slices with one spec per leading axis; the method form of `slice`. */
  slice(...specs: ix.SliceSpec[]): Tensor {
    return ix.slice(this, ...specs);
  }
  /** The sub-tensor at index `i` along `axis`; the method form of `select`. */
  select(axis: number, index: number): Tensor {
    return ix.select(this, axis, index);
  }
  /** NumPy take; the method form of `take`. */
  take(index: Tensor, axis?: number): Tensor {
    return ix.take(this, index, axis);
  }
  /** torch.gather; the method form of `gather`. */
  gather(axis: number, index: Tensor): Tensor {
    return ix.gather(this, axis, index);
  }
}

registerTensorClass(Tensor, (node) => new Tensor(node));
[installMathMethods, installSeqMethods].forEach((install) => install(Tensor.prototype));
/** The methods of tensor_math.ts and tensor_seq.ts are `Tensor`'s too. */
export interface Tensor extends MathMethods, SeqMethods {}
