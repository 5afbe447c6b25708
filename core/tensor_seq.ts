/**
 * The `Tensor` methods of the sequence-model ops that torch has as methods:
 * scatter and masks (scatter.ts), triangles and diagonals (triangular.ts),
 * order (sort.ts), scans (scan.ts) and `where` (elementwise.ts), with the free
 * functions' argument order and axis rules. tensor.ts merges `SeqMethods`
 * into the class and installs them on its prototype.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { type FreeFunctions, installMethods } from "./tensor_math.ts";
import type { TensorLike } from "./_convert.ts";
import * as s from "./scatter.ts";
import * as tr from "./triangular.ts";
import * as o from "./sort.ts";
import * as c from "./scan.ts";
import * as e from "./elementwise.ts";

/** Methods over the functions of scatter.ts, triangular.ts, sort.ts, scan.ts and `where`. */
export interface SeqMethods {
  /** The method form of `scatter`: `x.scatter(axis, index, src)`. */
  scatter(axis: number, index: Tensor, src: Tensor | number): Tensor;
  /** The method form of `scatterAdd`: `x.scatterAdd(axis, index, src)`. */
  scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor;
  /** The method form of `indexAdd`: `x.indexAdd(axis, index, source, {alpha})`. */
  indexAdd(axis: number, index: Tensor, source: Tensor, options?: s.IndexAddOptions): Tensor;
  /** The method form of `indexSelect`: `x.indexSelect(axis, index)`. */
  indexSelect(axis: number, index: Tensor): Tensor;
  /** The method form of `maskedFill`: `x.maskedFill(mask, value)`. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor;
  /** The method form of `maskedSelect`: `x.maskedSelect(mask)`. */
  maskedSelect(mask: Tensor): Tensor;
  /** The method form of `tril`: `x.tril(diagonal)`. */
  tril(diagonal?: number): Tensor;
  /** The method form of `triu`: `x.triu(diagonal)`. */
  triu(diagonal?: number): Tensor;
  /** The method form of `diagonal`: `x.diagonal(offset, dim1, dim2)`. */
  diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
  /** The method form of `trace`. */
  trace(): Tensor;
  /** The method form of `sort`: `[values, indices]`. */
  sort(options?: number | o.SortOptions): [Tensor, Tensor];
  /** The method form of `argsort`. */
  argsort(options?: number | o.SortOptions): Tensor;
  /** The method form of `topk`: `[values, indices]`. */
  topk(k: number, axisOrOptions?: number | o.TopkOptions): [Tensor, Tensor];
  /** The method form of `cumsum`. */
  cumsum(axis: c.ScanAxis): Tensor;
  /** The method form of `cumprod`. */
  cumprod(axis: c.ScanAxis): Tensor;
  /** The method form of `logCumSumExp` (torch's `logcumsumexp`). */
  logCumSumExp(axis: c.ScanAxis): Tensor;
  /**
   * The method form of `where` in torch's order: `x.where(cond, other)` is
   * `where(cond, x, other)`.
   */
  where(cond: TensorLike, other: TensorLike): Tensor;
}

const methods: FreeFunctions<SeqMethods> = {
  scatter: s.scatter,
  scatterAdd: s.scatterAdd,
  indexAdd: s.indexAdd,
  indexSelect: s.indexSelect,
  maskedFill: s.maskedFill,
  maskedSelect: s.maskedSelect,
  tril: tr.tril,
  triu: tr.triu,
  diagonal: tr.diagonal,
  trace: tr.trace,
  sort: o.sort,
  argsort: o.argsort,
  topk: o.topk,
  cumsum: c.cumsum,
  cumprod: c.cumprod,
  logCumSumExp: c.logCumSumExp,
  where: (self: Tensor, cond: TensorLike, other: TensorLike): Tensor => e.where(cond, self, other),
};

/**
 * Adds the methods to a prototype (the Tensor class's).
 * @param proto the prototype
 */
export function installSeqMethods(proto: object): void {
  installMethods(proto, methods);
}
