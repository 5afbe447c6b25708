/**
 * Row-sparse gradients (issue 15): an embedding's gradient as the rows its
 * ids used, summed where ids repeat, like torch's `Embedding(sparse=True)`
 * gradient after `coalesce()`. Built on the host in one pass over the
 * looked-up rows' gradient: linear in batch × dim, whatever the vocabulary.
 * The optimizers that write only those rows are in `sparse_optim.ts`.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";

const fmtShape = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** The float arrays a row-sparse gradient holds. */
export type RowValues = Float32Array | Float64Array;

/**
 * A gradient that is zero outside some rows of a `[numRows, ...row]` table:
 * `indices` (ascending, unique) name the rows, `values` holds them, row after
 * row (`indices.length × rowSize` numbers). Read-only: do not modify the arrays.
 */
export class RowSparse {
  /** The dense gradient's shape: `[numRows, ...row]`. */
  readonly shape: readonly number[];
  /** The rows that are not zero, ascending, each once. */
  readonly indices: Int32Array;
  /** Those rows' values, row-major, one row after another. */
  readonly values: RowValues;

  /**
   * Use `rowSparseGrad` to make one; this checks the parts.
   * @param shape `[numRows, ...row]`
   * @param indices ascending row numbers in `[0, numRows)`, each once
   * @param values `indices.length` rows of values
   */
  constructor(shape: readonly number[], indices: Int32Array, values: RowValues) {
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    if (shape.length < 1 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RangeError(
        `RowSparse expected a shape [numRows, ...row]: found ${fmtShape(shape)}`,
      );
    }
    if (!(values instanceof Float32Array || values instanceof Float64Array)) {
      throw new TypeError("RowSparse expected values in a Float32Array or a Float64Array");
    }
    if (values.length !== indices.length * size) {
      throw new RangeError(
        `RowSparse expected ${indices.length} rows of ${size} values (${
          indices.length * size
        }): found ${values.length}`,
      );
    }
    for (let k = 0; k < indices.length; k++) {
      if (indices[k] < 0 || indices[k] >= shape[0] || (k > 0 && indices[k] <= indices[k - 1])) {
        throw new RangeError(
          `RowSparse expected ascending, distinct row numbers in [0, ${shape[0]}): ` +
            `found ${indices[k]} at position ${k}: build one with rowSparseGrad()`,
        );
      }
    }
    this.shape = Object.freeze([...shape]);
    this.indices = indices;
    this.values = values;
  }

  /** The number of values in one row (the product of `shape` past the first axis). */
  get rowSize(): number {
    return this.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /** The element type of the values. */
  get dtype(): "float32" | "float64" {
    return this.values instanceof Float32Array ? "float32" : "float64";
  }

  /**
   * The dense gradient: zeros with the rows filled (costs the whole table;
   * for checks and small tables).
   * @returns a new `[numRows, ...row]` tensor
   */
  toDense(): Tensor {
    const size = this.rowSize;
    const dense = this.dtype === "float32"
      ? new Float32Array(this.shape[0] * size)
      : new Float64Array(this.shape[0] * size);
    this.indices.forEach((r, k) =>
      dense.set(this.values.subarray(k * size, (k + 1) * size), r * size)
    );
    return lt.tensor(dense, { dtype: this.dtype }).reshape([...this.shape]);
  }
}

/**
 * The gradient of `table.take(index, 0)` (an embedding lookup) with respect
 * to a `[numRows, ...row]` table, as a `RowSparse`: `grad` is the gradient
 * of the looked-up rows (shaped `[...index.shape, ...row]`); rows used more
 * than once get the sum of their gradients. Costs `grad.size` plus a sort of
 * the distinct ids: never the table's size. Runs now, on the cpu, outside
 * `jit` and `grad` (the values are read).
 * @param index int32 ids, each in `[0, numRows)`
 * @param grad the gradient of the looked-up rows, float32 or float64
 * @param numRows the table's number of rows (the vocabulary size)
 * @returns the coalesced row-sparse gradient
 * @example Two lookups of row 2 add up
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { rowSparseGrad } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const ids = tensor([2, 0, 2], { dtype: "int32" });
 * const g = rowSparseGrad(ids, tensor([[1, 1], [2, 2], [3, 3]]), 5);
 * assertEquals([...g.indices], [0, 2]);
 * assertEquals([...g.values], [2, 2, 4, 4]);
 * assertEquals(g.toDense().shape, [5, 2]);
 * ```
 */
export function rowSparseGrad(index: Tensor, grad: Tensor, numRows: number): RowSparse {
  const op = "rowSparseGrad";
  for (const [t, at] of [[index, 0], [grad, 1]] as const) {
    if (!(t instanceof lt.Tensor)) {
      throw new TypeError(`${op}() expected a tensor at argument ${at}`);
    }
  }
  const [idx, g] = [index, grad];
  if (idx.dtype !== "int32") {
    throw new TypeError(
      `${op}() expected an int32 index tensor: found ${idx.dtype}: convert with .astype("int32")`,
    );
  }
  if (g.dtype !== "float32" && g.dtype !== "float64") {
    throw new TypeError(
      `${op}() expected a float32 or float64 gradient: found ${g.dtype}: convert with .astype("float32")`,
    );
  }
  const lead = g.shape.slice(0, idx.shape.length);
  if (lead.length !== idx.shape.length || lead.some((d, i) => d !== idx.shape[i])) {
    throw new RangeError(
      `${op}() expected a gradient shaped [...index.shape, ...row]: found index ${
        fmtShape(idx.shape)
      } and gradient ${fmtShape(g.shape)}: pass the gradient of table.take(index, 0)`,
    );
  }
  if (!Number.isInteger(numRows) || numRows < 1) {
    throw new RangeError(
      `${op}() expected numRows, the table's row count, to be a positive integer: found ${numRows}`,
    );
  }
  for (const [t, at] of [[index, 0], [grad, 1]] as const) {
    if (t.device !== "cpu") {
      throw new TypeError(
        `${op}() runs on the cpu: argument ${at} is on ${t.device}: move it with .to("cpu")`,
      );
    }
  }
  // NOTE: inside jit or grad, dataSync() throws: the values are not known there
  const ids = index.dataSync() as Int32Array;
  const gv = grad.dataSync() as RowValues;
  const size = g.shape.slice(idx.shape.length).reduce((a, b) => a * b, 1);
  // sort (id, position) pairs packed in one float64 key (exact below 2^53), then sum runs of
  // equal ids in position order: no per-id map, no scratch table
  const n = ids.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id < 0 || id >= numRows) {
      throw new RangeError(
        `${op}() index ${id} at flat position ${i} is out of range for a table of ${numRows} rows: ` +
          `ids must be in [0, ${numRows})`,
      );
    }
    keys[i] = id * n + i;
  }
  keys.sort();
  let distinct = 0;
  for (let t = 0, last = -1; t < n; t++) {
    const id = Math.floor(keys[t] / n);
    if (id !== last) [distinct, last] = [distinct + 1, id];
  }
  const indices = new Int32Array(distinct);
  const values = g.dtype === "float32"
    ? new Float32Array(distinct * size)
    : new Float64Array(distinct * size);
  for (let t = 0, k = -1; t < n; t++) {
    const id = Math.floor(keys[t] / n), from = (keys[t] - id * n) * size;
    if (k < 0 || indices[k] !== id) indices[++k] = id;
    const to = k * size;
    for (let j = 0; j < size; j++) values[to + j] += gv[from + j];
  }
  return new RowSparse([numRows, ...g.shape.slice(idx.shape.length)], indices, values);
}
