/**
 * Donation for in-place row updates (issue 15): a row-sparse optimizer step
 * (`sparseSgd`, `sparseAdam` in nn/) must write only the rows a gradient
 * names, but tensors are immutable, so it reuses the buffers of tables the
 * caller gives up, as JAX's `donate_argnums`. The donated tensors hold no
 * data after; any later use throws an error that says so.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { isStaging, wrap } from "./_wrap.ts";
import { isTracing, Node } from "./ir/ir.ts";
import { fmtShape } from "./ir/errors.ts";
import { realize } from "../jit/realize.ts";
import { forgetResident } from "../jit/runtime/cpu/wasm/_runtime.ts";

/** The buffer of a donated float table. */
export type RowBuffer = Float32Array | Float64Array;

function checkTables(op: string, tables: readonly Tensor[], rows: Int32Array): Node[] {
  if (isTracing() || isStaging()) {
    throw new Error(
      `${op}() updates its tables in place, so it cannot run inside jit or grad: ` +
        `call it on the jitted step's results`,
    );
  }
  const nodes = tables.map((t, at) => nodeOf(op, t, at));
  const [first] = nodes;
  nodes.forEach((n, at) => {
    if (n.device !== "cpu") {
      throw new TypeError(
        `${op}() runs on the cpu: argument ${at} is on ${n.device}: move it with .to("cpu")`,
      );
    }
    if (n.dtype !== first.dtype || (n.dtype !== "float32" && n.dtype !== "float64")) {
      throw new TypeError(
        `${op}() expected float32 or float64 tables of one dtype: argument ${at} is ${n.dtype}, ` +
          `argument 0 ${first.dtype}: convert with .astype()`,
      );
    }
    if (n.shape.length < 1 || n.shape.some((d, i) => d !== first.shape[i])) {
      throw new RangeError(
        `${op}() expected tables of one shape [rows, ...]: found ${
          fmtShape(n.shape)
        } at argument ${at} ` +
          `and ${fmtShape(first.shape)} at argument 0`,
      );
    }
    if (nodes.indexOf(n) !== at) {
      throw new Error(
        `${op}() expected distinct tables: arguments ${nodes.indexOf(n)} and ${at} are one tensor`,
      );
    }
  });
  for (let k = 0; k < rows.length; k++) {
    if (!(rows[k] >= 0 && rows[k] < first.shape[0] && (k === 0 || rows[k] > rows[k - 1]))) {
      throw new RangeError(
        `${op}() expected ascending, distinct rows in [0, ${first.shape[0]}): found ${
          rows[k]
        } at position ${k}`,
      );
    }
  }
  return nodes;
}

/**
 * Donates `tables` (float tensors of one shape and dtype, on the cpu) and
 * lets `update` write `rows` of their buffers in place: the same rows of
 * each table, and no others. Everything is checked before anything is
 * donated; lazy tables are computed first. For optimizers over row-sparse
 * gradients; runs now, outside `jit` and `grad`. NOTE: a jitted function
 * that closed over a table (rather than taking it as an argument) holds its
 * buffer as a constant and would see the update.
 * @param op the caller's name, for errors (and the donated tensors' error)
 * @param tables the tables to donate
 * @param rows the rows `update` writes, ascending, each once
 * @param update writes the rows, given the tables' buffers (row-major)
 * @returns new tensors holding the updated buffers, in the order of `tables`
 * @example Halving row 1 in place
 * ```ts
 * import { tensor, updateRowsInPlace } from "@lathe/lathe";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const table = tensor([[1, 1], [4, 4]]);
 * const [next] = updateRowsInPlace("halve", [table], Int32Array.of(1), ([b]) => {
 *   for (let j = 2; j < 4; j++) b[j] /= 2;
 * });
 * assertEquals(next.toArray(), [[1, 1], [2, 2]]);
 * assertThrows(() => table.add(1), Error, "donated to halve()");
 * ```
 */
export function updateRowsInPlace(
  op: string,
  tables: readonly Tensor[],
  rows: Int32Array,
  update: (buffers: RowBuffer[]) => void,
): Tensor[] {
  const nodes = checkTables(op, tables, rows);
  realize(nodes); // a donated tensor throws here
  const message =
    `Cannot use this tensor: it was donated to ${op}(), which wrote its update into ` +
    `the tensor's buffer: use the tensor ${op}() returned instead (the donated one holds no data)`;
  const buffers = nodes.map((n) => n.donate(message) as RowBuffer);
  // NOTE: a stale Wasm copy is dropped rather than updated row by row (~3x the update's own time
  // in shared memory): only a kernel reading the whole table, which costs the table anyway, copies
  // it in again; an embedding's lookup runs in JS
  for (const buffer of buffers) forgetResident(buffer);
  update(buffers);
  return nodes.map((n, i) => wrap(Node.fromBuffer(buffers[i], n.dtype, n.shape)));
}
