/**
 * The `Tensor` methods of the sequence-model ops that torch has as methods:
 * scatter and masks (scatter.ts), triangles and diagonals (triangular.ts),
 * order (sort.ts), scans (scan.ts) and `where` (elementwise.ts), with the free
 * functions' argument order and axis rules. tensor.ts merges `SeqMethods`
 * into the class and installs them on its prototype.
 * @module
 */
import type { Tensor } from "./tensor.ts";
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

const methods: SeqMethods = {
  scatter(this: Tensor, axis: number, index: Tensor, src: Tensor | number): Tensor {
    return s.scatter(this, axis, index, src);
  },
  scatterAdd(this: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
    return s.scatterAdd(this, axis, index, src);
  },
  indexAdd(
    this: Tensor,
    axis: number,
    index: Tensor,
    source: Tensor,
    options?: s.IndexAddOptions,
  ): Tensor {
    return s.indexAdd(this, axis, index, source, options);
  },
  indexSelect(this: Tensor, axis: number, index: Tensor): Tensor {
    return s.indexSelect(this, axis, index);
  },
  maskedFill(this: Tensor, mask: Tensor, value: number | Tensor): Tensor {
    return s.maskedFill(this, mask, value);
  },
  maskedSelect(this: Tensor, mask: Tensor): Tensor {
    return s.maskedSelect(this, mask);
  },
  tril(this: Tensor, diagonal?: number): Tensor {
    return tr.tril(this, diagonal);
  },
  triu(this: Tensor, diagonal?: number): Tensor {
    return tr.triu(this, diagonal);
  },
  diagonal(this: Tensor, offset?: number, dim1?: number, dim2?: number): Tensor {
    return tr.diagonal(this, offset, dim1, dim2);
  },
  trace(this: Tensor): Tensor {
    return tr.trace(this);
  },
  sort(this: Tensor, options?: number | o.SortOptions): [Tensor, Tensor] {
    return o.sort(this, options);
  },
  argsort(this: Tensor, options?: number | o.SortOptions): Tensor {
    return o.argsort(this, options);
  },
  topk(this: Tensor, k: number, axisOrOptions?: number | o.TopkOptions): [Tensor, Tensor] {
    return o.topk(this, k, axisOrOptions);
  },
  cumsum(this: Tensor, axis: c.ScanAxis): Tensor {
    return c.cumsum(this, axis);
  },
  cumprod(this: Tensor, axis: c.ScanAxis): Tensor {
    return c.cumprod(this, axis);
  },
  logCumSumExp(this: Tensor, axis: c.ScanAxis): Tensor {
    return c.logCumSumExp(this, axis);
  },
  where(this: Tensor, cond: TensorLike, other: TensorLike): Tensor {
    return e.where(cond, this, other);
  },
};

/**
 * Adds the methods to a prototype (the Tensor class's).
 * @param proto the prototype
 */
export function installSeqMethods(proto: object): void {
  Object.assign(proto, methods);
}
