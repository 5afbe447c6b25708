/**
 * The `Tensor` methods that are an op function with the tensor first (elementwise, activation,
 * reduction, movement, linalg and indexing ops), declared once here with their free functions.
 * tensor.ts merges `OpMethods` into the class and installs them on its prototype, as it does
 * the methods of tensor_math.ts and tensor_seq.ts.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import type { TensorLike } from "./_convert.ts";
import { type FreeFunctions, installMethods } from "./tensor_math.ts";
import * as e from "./elementwise.ts";
import * as a from "./activation.ts";
import * as r from "./reduce.ts";
import * as m from "./movement.ts";
import * as l from "./linalg.ts";
import * as ix from "./indexing.ts";

/** Methods over the functions of elementwise.ts, activation.ts, reduce.ts, movement.ts, linalg.ts and indexing.ts. */
export interface OpMethods {
  /** Elementwise `a + b` with broadcasting; the method form of `add`. */
  add(other: TensorLike): Tensor;
  /** Elementwise `a - b` with broadcasting; the method form of `sub`. */
  sub(other: TensorLike): Tensor;
  /** Elementwise `a * b` with broadcasting; the method form of `mul`. */
  mul(other: TensorLike): Tensor;
  /** Elementwise true division `a / b`; the method form of `div`. */
  div(other: TensorLike): Tensor;
  /** Elementwise `a ** b`; the method form of `pow`. */
  pow(other: TensorLike): Tensor;
  /** Elementwise maximum (NaN if either is NaN); the method form of `maximum`. */
  maximum(other: TensorLike): Tensor;
  /** Elementwise minimum (NaN if either is NaN); the method form of `minimum`. */
  minimum(other: TensorLike): Tensor;
  /** Elementwise remainder with the divisor's sign; the method form of `mod`. */
  mod(other: TensorLike): Tensor;
  /** `a < b` as bool; the method form of `lt`. */
  lt(other: TensorLike): Tensor;
  /** `a > b` as bool; the method form of `gt`. */
  gt(other: TensorLike): Tensor;
  /** `a <= b` as bool (false when either is NaN); the method form of `le`. */
  le(other: TensorLike): Tensor;
  /** `a >= b` as bool (false when either is NaN); the method form of `ge`. */
  ge(other: TensorLike): Tensor;
  /** `a == b` as bool; the method form of `eq`. */
  eq(other: TensorLike): Tensor;
  /** `a != b` as bool (true when either is NaN); the method form of `ne`. */
  ne(other: TensorLike): Tensor;
  /** Logical and of the truth values; the method form of `logicalAnd`. */
  logicalAnd(other: TensorLike): Tensor;
  /** Logical or of the truth values; the method form of `logicalOr`. */
  logicalOr(other: TensorLike): Tensor;
  /** Logical exclusive or of the truth values; the method form of `logicalXor`. */
  logicalXor(other: TensorLike): Tensor;
  /** Logical not (nonzero is true); the method form of `logicalNot`. */
  logicalNot(): Tensor;
  /** `-x` (not for bool, like PyTorch: use logicalNot); the method form of `neg`. */
  neg(): Tensor;
  /** e^x; the method form of `exp`. */
  exp(): Tensor;
  /** e^x - 1, accurate near 0; the method form of `expm1`. */
  expm1(): Tensor;
  /** Natural logarithm; the method form of `log`. */
  log(): Tensor;
  /** log(1 + x), accurate near 0; the method form of `log1p`. */
  log1p(): Tensor;
  /** Square root (NaN below 0); the method form of `sqrt`. */
  sqrt(): Tensor;
  /** 1 / sqrt(x); the method form of `rsqrt`. */
  rsqrt(): Tensor;
  /** 1 / x; the method form of `reciprocal`. */
  reciprocal(): Tensor;
  /** Sine; the method form of `sin`. */
  sin(): Tensor;
  /** Cosine; the method form of `cos`. */
  cos(): Tensor;
  /** Hyperbolic tangent; the method form of `tanh`. */
  tanh(): Tensor;
  /** The error function; the method form of `erf`. */
  erf(): Tensor;
  /** |x|; the method form of `abs`. */
  abs(): Tensor;
  /** -1, 0 or 1 by the sign of x; the method form of `sign`. */
  sign(): Tensor;
  /** x²; the method form of `square`. */
  square(): Tensor;
  /** Rounds down; the method form of `floor`. */
  floor(): Tensor;
  /** Rounds up; the method form of `ceil`. */
  ceil(): Tensor;
  /** Rounds half to even, like torch.round; the method form of `round`. */
  round(): Tensor;
  /** Whether each element is NaN; the method form of `isNaN`. */
  isNaN(): Tensor;
  /** Whether each element is finite (not NaN or ±Infinity); the method form of `isFinite`. */
  isFinite(): Tensor;
  /** max(x, 0); NaN stays NaN, and the slope at 0 is 0 like PyTorch; the method form of `relu`. */
  relu(): Tensor;
  /** x for x > 0, else `slope * x` (default slope 0.01); the method form of `leakyRelu`. */
  leakyRelu(slope?: number): Tensor;
  /** 1 / (1 + e^-x); the method form of `sigmoid`. */
  sigmoid(): Tensor;
  /** x · sigmoid(x) (a.k.a. swish); the method form of `silu`. */
  silu(): Tensor;
  /** Gaussian error linear unit; the method form of `gelu`. */
  gelu(options?: a.GeluOptions): Tensor;
  /** log(1 + e^(βx))/β, linear above `threshold`; the method form of `softplus`. */
  softplus(options?: { beta?: number; threshold?: number }): Tensor;
  /** x for x > 0, else α(e^x - 1) (default α = 1); the method form of `elu`. */
  elu(alpha?: number): Tensor;
  /** Clamps into `[min, max]`; the method form of `clamp`. */
  clamp(min?: number, max?: number): Tensor;
  /** Clamps into `[min, max]`; the method form of `clamp`. */
  clip(min?: number, max?: number): Tensor;
  /** Sum of elements (bool and int32 sum as int32); the method form of `sum`. */
  sum(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Mean of elements (integers give float32); the method form of `mean`. */
  mean(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Product of elements; the method form of `prod`. */
  prod(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Maximum (NaN if any element is NaN); the method form of `max`. */
  max(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Minimum (NaN if any element is NaN); the method form of `min`. */
  min(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Index of the first maximum; the method form of `argmax`. */
  argmax(axis?: number | r.ArgOptions, keepdims?: boolean): Tensor;
  /** Index of the first minimum; the method form of `argmin`. */
  argmin(axis?: number | r.ArgOptions, keepdims?: boolean): Tensor;
  /** Variance with `correction`; the method form of `variance`. */
  var(axis?: number | readonly number[] | r.VarianceOptions, unbiased?: never): Tensor;
  /** Standard deviation with `correction` (default 1, like torch.std); the method form of `std`. */
  std(axis?: number | readonly number[] | r.VarianceOptions, unbiased?: never): Tensor;
  /** log(sum(exp(x))) computed stably; the method form of `logSumExp`. */
  logSumExp(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Whether all elements are true (nonzero); the method form of `all`. */
  all(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Whether any element is true (nonzero); the method form of `any`. */
  any(axis?: r.AxisArg, keepdims?: boolean): Tensor;
  /** Softmax along `axis` (default -1), computed stably; the method form of `softmax`. */
  softmax(axis?: number | { axis?: number }): Tensor;
  /** log(softmax(x)) along `axis`; the method form of `logSoftmax`. */
  logSoftmax(axis?: number | { axis?: number }): Tensor;
  /** Matrix product with torch.matmul semantics; the method form of `matmul`. */
  matmul(other: Tensor): Tensor;
  /** Strict 2-D matrix product (torch.mm); the method form of `mm`. */
  mm(other: Tensor): Tensor;
  /** Dot product of two 1-D tensors of equal length; the method form of `dot`. */
  dot(other: Tensor): Tensor;
  /** Outer product of two 1-D tensors; the method form of `outer`. */
  outer(other: Tensor): Tensor;
  /** Flattens axes `startAxis..endAxis` (inclusive) into one; the method form of `flatten`. */
  flatten(startAxis?: number, endAxis?: number): Tensor;
  /** Swaps two axes; the method form of `transpose`. */
  transpose(axis0?: number, axis1?: number): Tensor;
  /** Removes size-1 axes; the method form of `squeeze`. */
  squeeze(axis?: number | readonly number[] | { axis?: number | readonly number[] }): Tensor;
  /** Inserts a size-1 axis at `axis`; the method form of `unsqueeze`. */
  unsqueeze(axis: number | { axis: number }): Tensor;
  /** Broadcasts to `shape` (NumPy rules); -1 keeps a size; the method form of `broadcastTo`. */
  broadcastTo(shape: readonly number[]): Tensor;
  /** Reverses the order of elements along the given axes; the method form of `flip`. */
  flip(axis?: number | readonly number[] | { axis?: number | readonly number[] }): Tensor;
  /** Repeats the whole tensor `reps[i]` times along axis i; the method form of `tile`. */
  tile(reps: readonly number[]): Tensor;
  /** Splits into pieces along `axis`; the method form of `split`. */
  split(sections: number | readonly number[], axis?: number | { axis?: number }): Tensor[];
  /** Slices with one spec per leading axis; the method form of `slice`. */
  slice(...specs: ix.SliceSpec[]): Tensor;
  /** The sub-tensor at index `i` along `axis`; the method form of `select`. */
  select(axis: number, index: number): Tensor;
  /** NumPy take; the method form of `take`. */
  take(index: Tensor, axis?: number): Tensor;
}

const methods: FreeFunctions<OpMethods> = {
  add: e.add,
  sub: e.sub,
  mul: e.mul,
  div: e.div,
  pow: e.pow,
  maximum: e.maximum,
  minimum: e.minimum,
  mod: e.mod,
  lt: e.lt,
  gt: e.gt,
  le: e.le,
  ge: e.ge,
  eq: e.eq,
  ne: e.ne,
  logicalAnd: e.logicalAnd,
  logicalOr: e.logicalOr,
  logicalXor: e.logicalXor,
  logicalNot: e.logicalNot,
  neg: e.neg,
  exp: e.exp,
  expm1: e.expm1,
  log: e.log,
  log1p: e.log1p,
  sqrt: e.sqrt,
  rsqrt: e.rsqrt,
  reciprocal: e.reciprocal,
  sin: e.sin,
  cos: e.cos,
  tanh: e.tanh,
  erf: e.erf,
  abs: e.abs,
  sign: e.sign,
  square: e.square,
  floor: e.floor,
  ceil: e.ceil,
  round: e.round,
  isNaN: e.isNaN,
  isFinite: e.isFinite,
  relu: a.relu,
  leakyRelu: a.leakyRelu,
  sigmoid: a.sigmoid,
  silu: a.silu,
  gelu: a.gelu,
  softplus: a.softplus,
  elu: a.elu,
  clamp: a.clamp,
  clip: a.clamp,
  sum: r.sum,
  mean: r.mean,
  prod: r.prod,
  max: r.max,
  min: r.min,
  argmax: r.argmax,
  argmin: r.argmin,
  var: r.variance,
  std: r.std,
  logSumExp: r.logSumExp,
  all: r.all,
  any: r.any,
  softmax: r.softmax,
  logSoftmax: r.logSoftmax,
  matmul: l.matmul,
  mm: l.mm,
  dot: l.dot,
  outer: l.outer,
  flatten: m.flatten,
  transpose: m.transpose,
  squeeze: m.squeeze,
  unsqueeze: m.unsqueeze,
  broadcastTo: m.broadcastTo,
  flip: m.flip,
  tile: m.tile,
  split: m.split,
  slice: ix.slice,
  select: ix.select,
  take: ix.take,
};

/**
 * Adds the methods to a prototype (the Tensor class's).
 * @param proto the prototype
 */
export function installOpMethods(proto: object): void {
  installMethods(proto, methods);
}
