/**
 * Mini-batches: splits a dataset into batches along axis 0, shuffled with a
 * key when asked (a new key per epoch gives a new order).
 * @module
 */
import * as lt from "../mod.ts";
import type { Key, Tensor } from "../mod.ts";

/** Options of `batches`. */
export interface BatchOptions {
  /** Rows per batch. */
  batchSize: number;
  /** Shuffle with this key (omit for the stored order). */
  key?: Key;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * Yields `[x, y]` batches of matching rows.
 * @example
 * ```ts
 * import { arange } from "@lathe/lathe";
 * import { batches } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const x = arange(10).reshape([5, 2]);
 * const sizes = [...batches(x, arange(5), { batchSize: 2 })].map(([xb]) => xb.shape[0]);
 * assertEquals(sizes, [2, 2, 1]);
 * ```
 */
export function* batches(x: Tensor, y: Tensor, options: BatchOptions): Generator<[Tensor, Tensor]> {
  lt.checkOptions("batches", options, ["batchSize", "key", "dropLast"]);
  const n = x.shape[0];
  if (y.shape[0] !== n) {
    throw new RangeError(
      `batches() expected x and y with the same number of rows: found ${n} and ${y.shape[0]}`,
    );
  }
  const size = options.batchSize;
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(`batches() expected a positive integer batchSize: found ${size}`);
  }
  const order = options.key === undefined
    ? undefined
    : lt.random.permutation(options.key, n).dataSync();
  for (let start = 0; start < n; start += size) {
    const end = Math.min(start + size, n);
    if (options.dropLast && end - start < size) return;
    if (order === undefined) {
      yield [x.slice([start, end]), y.slice([start, end])];
    } else {
      const index = lt.tensor(order.slice(start, end), { dtype: "int32" });
      yield [x.take(index, 0), y.take(index, 0)];
    }
  }
}
