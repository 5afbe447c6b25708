/**
 * `Tensor`: an immutable handle on a node of the lazy graph, with data access
 * (which realizes the graph) and method sugar over the op functions.
 * @module
 */
import type { Device, Node } from "./ir.ts";
import { checkDType, type DataArray, type DType } from "./dtype.ts";
import { sizeOf } from "./shape.ts";
import { fmtShape } from "./errors.ts";
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
  /** See {@link toDevice}. */
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

  /** See {@link e.add}. */
  add(other: TensorLike): Tensor {
    return e.add(this, other);
  }
  /** See {@link e.sub}. */
  sub(other: TensorLike): Tensor {
    return e.sub(this, other);
  }
  /** See {@link e.mul}. */
  mul(other: TensorLike): Tensor {
    return e.mul(this, other);
  }
  /** See {@link e.div}. */
  div(other: TensorLike): Tensor {
    return e.div(this, other);
  }
  /** See {@link e.pow}. */
  pow(other: TensorLike): Tensor {
    return e.pow(this, other);
  }
  /** See {@link e.maximum}. */
  maximum(other: TensorLike): Tensor {
    return e.maximum(this, other);
  }
  /** See {@link e.minimum}. */
  minimum(other: TensorLike): Tensor {
    return e.minimum(this, other);
  }
  /** See {@link e.mod}. */
  mod(other: TensorLike): Tensor {
    return e.mod(this, other);
  }
  /** See {@link e.lt}. */
  lt(other: TensorLike): Tensor {
    return e.lt(this, other);
  }
  /** See {@link e.gt}. */
  gt(other: TensorLike): Tensor {
    return e.gt(this, other);
  }
  /** See {@link e.le}. */
  le(other: TensorLike): Tensor {
    return e.le(this, other);
  }
  /** See {@link e.ge}. */
  ge(other: TensorLike): Tensor {
    return e.ge(this, other);
  }
  /** See {@link e.eq}. */
  eq(other: TensorLike): Tensor {
    return e.eq(this, other);
  }
  /** See {@link e.ne}. */
  ne(other: TensorLike): Tensor {
    return e.ne(this, other);
  }
  /** See {@link e.logicalAnd}. */
  logicalAnd(other: TensorLike): Tensor {
    return e.logicalAnd(this, other);
  }
  /** See {@link e.logicalOr}. */
  logicalOr(other: TensorLike): Tensor {
    return e.logicalOr(this, other);
  }
  /** See {@link e.logicalXor}. */
  logicalXor(other: TensorLike): Tensor {
    return e.logicalXor(this, other);
  }
  /** See {@link e.logicalNot}. */
  logicalNot(): Tensor {
    return e.logicalNot(this);
  }
  /** See {@link e.neg}. */
  neg(): Tensor {
    return e.neg(this);
  }
  /** See {@link e.exp}. */
  exp(): Tensor {
    return e.exp(this);
  }
  /** See {@link e.expm1}. */
  expm1(): Tensor {
    return e.expm1(this);
  }
  /** See {@link e.log}. */
  log(): Tensor {
    return e.log(this);
  }
  /** See {@link e.log1p}. */
  log1p(): Tensor {
    return e.log1p(this);
  }
  /** See {@link e.sqrt}. */
  sqrt(): Tensor {
    return e.sqrt(this);
  }
  /** See {@link e.rsqrt}. */
  rsqrt(): Tensor {
    return e.rsqrt(this);
  }
  /** See {@link e.reciprocal}. */
  reciprocal(): Tensor {
    return e.reciprocal(this);
  }
  /** See {@link e.sin}. */
  sin(): Tensor {
    return e.sin(this);
  }
  /** See {@link e.cos}. */
  cos(): Tensor {
    return e.cos(this);
  }
  /** See {@link e.tanh}. */
  tanh(): Tensor {
    return e.tanh(this);
  }
  /** See {@link e.erf}. */
  erf(): Tensor {
    return e.erf(this);
  }
  /** See {@link e.abs}. */
  abs(): Tensor {
    return e.abs(this);
  }
  /** See {@link e.sign}. */
  sign(): Tensor {
    return e.sign(this);
  }
  /** See {@link e.square}. */
  square(): Tensor {
    return e.square(this);
  }
  /** See {@link e.floor}. */
  floor(): Tensor {
    return e.floor(this);
  }
  /** See {@link e.ceil}. */
  ceil(): Tensor {
    return e.ceil(this);
  }
  /** See {@link e.round}. */
  round(): Tensor {
    return e.round(this);
  }
  /** See {@link e.isNaN}. */
  isNaN(): Tensor {
    return e.isNaN(this);
  }
  /** See {@link e.isFinite}. */
  isFinite(): Tensor {
    return e.isFinite(this);
  }
  /** See {@link a.relu}. */
  relu(): Tensor {
    return a.relu(this);
  }
  /** See {@link a.leakyRelu}. */
  leakyRelu(slope?: number): Tensor {
    return a.leakyRelu(this, slope);
  }
  /** See {@link a.sigmoid}. */
  sigmoid(): Tensor {
    return a.sigmoid(this);
  }
  /** See {@link a.silu}. */
  silu(): Tensor {
    return a.silu(this);
  }
  /** See {@link a.gelu}. */
  gelu(options?: a.GeluOptions): Tensor {
    return a.gelu(this, options);
  }
  /** See {@link a.softplus}. */
  softplus(options?: { beta?: number; threshold?: number }): Tensor {
    return a.softplus(this, options);
  }
  /** See {@link a.elu}. */
  elu(alpha?: number): Tensor {
    return a.elu(this, alpha);
  }
  /** See {@link a.clamp}. */
  clamp(min?: number, max?: number): Tensor {
    return a.clamp(this, min, max);
  }
  /** See {@link a.clamp}. */
  clip(min?: number, max?: number): Tensor {
    return a.clamp(this, min, max);
  }
  /** See {@link r.sum}. */
  sum(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.sum(this, axis, keepdims);
  }
  /** See {@link r.mean}. */
  mean(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.mean(this, axis, keepdims);
  }
  /** See {@link r.prod}. */
  prod(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.prod(this, axis, keepdims);
  }
  /** See {@link r.max}. */
  max(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.max(this, axis, keepdims);
  }
  /** See {@link r.min}. */
  min(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.min(this, axis, keepdims);
  }
  /** See {@link r.argmax}. */
  argmax(axis?: number | r.ArgOptions, keepdims?: boolean): Tensor {
    return r.argmax(this, axis, keepdims);
  }
  /** See {@link r.argmin}. */
  argmin(axis?: number | r.ArgOptions, keepdims?: boolean): Tensor {
    return r.argmin(this, axis, keepdims);
  }
  /** See {@link r.variance}. */
  var(axis?: number | readonly number[] | r.VarianceOptions, unbiased?: never): Tensor {
    return r.variance(this, axis, unbiased);
  }
  /** See {@link r.std}. */
  std(axis?: number | readonly number[] | r.VarianceOptions, unbiased?: never): Tensor {
    return r.std(this, axis, unbiased);
  }
  /** See {@link r.logSumExp}. */
  logSumExp(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.logSumExp(this, axis, keepdims);
  }
  /** See {@link r.all}. */
  all(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.all(this, axis, keepdims);
  }
  /** See {@link r.any}. */
  any(axis?: r.AxisArg, keepdims?: boolean): Tensor {
    return r.any(this, axis, keepdims);
  }
  /** See {@link r.softmax}. */
  softmax(axis?: number | { axis?: number }): Tensor {
    return r.softmax(this, axis);
  }
  /** See {@link r.logSoftmax}. */
  logSoftmax(axis?: number | { axis?: number }): Tensor {
    return r.logSoftmax(this, axis);
  }
  /** See {@link l.matmul}. */
  matmul(other: Tensor): Tensor {
    return l.matmul(this, other);
  }
  /** See {@link l.mm}. */
  mm(other: Tensor): Tensor {
    return l.mm(this, other);
  }
  /** See {@link l.dot}. */
  dot(other: Tensor): Tensor {
    return l.dot(this, other);
  }
  /** See {@link l.outer}. */
  outer(other: Tensor): Tensor {
    return l.outer(this, other);
  }
  /** See {@link m.reshape}. */
  reshape(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.reshape(this, m.shapeArgs("reshape", shape));
  }
  /** Alias of `reshape` (tensors are immutable, so a view and a reshape are the same). */
  view(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.reshape(this, m.shapeArgs("view", shape));
  }
  /** See {@link m.flatten}. */
  flatten(startAxis?: number, endAxis?: number): Tensor {
    return m.flatten(this, startAxis, endAxis);
  }
  /** See {@link m.permute}. */
  permute(...axes: readonly number[] | [readonly number[]]): Tensor {
    return m.permute(this, m.shapeArgs("permute", axes));
  }
  /** See {@link m.transpose}. */
  transpose(axis0?: number, axis1?: number): Tensor {
    return m.transpose(this, axis0, axis1);
  }
  /** All axes reversed (the matrix transpose for 2-D tensors). */
  get T(): Tensor {
    return m.permute(this, [...Array(this.ndim).keys()].reverse());
  }
  /** See {@link m.squeeze}. */
  squeeze(axis?: number | readonly number[] | { axis?: number | readonly number[] }): Tensor {
    return m.squeeze(this, axis);
  }
  /** See {@link m.unsqueeze}. */
  unsqueeze(axis: number | { axis: number }): Tensor {
    return m.unsqueeze(this, axis);
  }
  /** See {@link m.broadcastTo}. */
  expand(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.broadcastTo(this, m.shapeArgs("expand", shape));
  }
  /** See {@link m.broadcastTo}. */
  broadcastTo(shape: readonly number[]): Tensor {
    return m.broadcastTo(this, shape);
  }
  /** See {@link m.pad}. */
  pad(widths: readonly (readonly [number, number])[], value?: number): Tensor {
    return m.pad(this, widths, value);
  }
  /** See {@link m.flip}. */
  flip(axis?: number | readonly number[] | { axis?: number | readonly number[] }): Tensor {
    return m.flip(this, axis);
  }
  /** See {@link m.tile}. */
  tile(reps: readonly number[]): Tensor {
    return m.tile(this, reps);
  }
  /** Alias of `tile` (torch's `repeat`). */
  repeat(...reps: readonly number[] | [readonly number[]]): Tensor {
    return m.tile(this, m.shapeArgs("repeat", reps));
  }
  /** See {@link m.split}. */
  split(sections: number | readonly number[], axis?: number | { axis?: number }): Tensor[] {
    return m.split(this, sections, axis);
  }
  /** See {@link ix.slice}. */
  slice(...specs: ix.SliceSpec[]): Tensor {
    return ix.slice(this, ...specs);
  }
  /** See {@link ix.select}. */
  select(axis: number, index: number): Tensor {
    return ix.select(this, axis, index);
  }
  /** See {@link ix.take}. */
  take(index: Tensor, axis?: number): Tensor {
    return ix.take(this, index, axis);
  }
  /** See {@link ix.gather}. */
  gather(axis: number, index: Tensor): Tensor {
    return ix.gather(this, axis, index);
  }
}

registerTensorClass(Tensor, (node) => new Tensor(node));
