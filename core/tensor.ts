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
import { cast } from "./ops/build.ts";
import { readAsync, realize } from "../jit/realize.ts";
import { syncReadError, toDevice } from "./device.ts";
import { formatTensor, type PrintOptions } from "./print.ts";
import * as m from "./movement.ts";
import * as ix from "./indexing.ts";
import { installOpMethods, type OpMethods } from "./tensor_methods.ts";
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

  /** The same elements in a new shape; the method form of `reshape`. */
  reshape(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.reshape(this, m.shapeArgs("reshape", shape));
  }
  /** Alias of `reshape` (tensors are immutable, so a view and a reshape are the same). */
  view(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.reshape(this, m.shapeArgs("view", shape));
  }
  /** Reorders axes; the method form of `permute`. */
  permute(...axes: readonly number[] | [readonly number[]]): Tensor {
    return m.permute(this, m.shapeArgs("permute", axes));
  }
  /** All axes reversed (the matrix transpose for 2-D tensors). */
  get T(): Tensor {
    return m.permute(this, [...Array(this.ndim).keys()].reverse());
  }
  /** Broadcasts to `shape` (NumPy rules); -1 keeps a size; the method form of `broadcastTo`. */
  expand(...shape: readonly number[] | [readonly number[]]): Tensor {
    return m.broadcastTo(this, m.shapeArgs("expand", shape));
  }
  /** Pads with a constant; the method form of `pad`. */
  pad(widths: readonly (readonly [number, number])[], value?: number): Tensor {
    return m.pad(this, widths, value);
  }
  /** Alias of `tile` (torch's `repeat`). */
  repeat(...reps: readonly number[] | [readonly number[]]): Tensor {
    return m.tile(this, m.shapeArgs("repeat", reps));
  }
  /** torch.gather; the method form of `gather`. */
  gather(axis: number, index: Tensor): Tensor {
    return ix.gather(this, axis, index);
  }
}

registerTensorClass(Tensor, (node) => new Tensor(node));
[installOpMethods, installMathMethods, installSeqMethods].forEach((install) =>
  install(Tensor.prototype)
);
/** The methods of tensor_methods.ts, tensor_math.ts and tensor_seq.ts are `Tensor`'s too. */
export interface Tensor extends OpMethods, MathMethods, SeqMethods {}
