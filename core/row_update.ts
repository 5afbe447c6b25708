/**
 * In-place row updates of donated tables (issue 15): an SGD or lazy Adam
 * step that writes only the rows a `RowSparse` gradient names, so an
 * embedding's training step costs batch × dim whatever the vocabulary.
 *
 * Tensors are immutable, so an update that writes only some rows has to
 * reuse the table's buffer: the table (and Adam's moment tables) are
 * *donated*, as with JAX's `donate_argnums`: the step takes their buffers,
 * updates the rows there, and returns new tensors holding them. The donated
 * tensors hold no data after; any later use throws an error that says so.
 * Runs now, on the cpu, outside `jit` and `grad`. NOTE: a jitted function
 * that closed over the table (rather than taking it as an argument) holds
 * its buffer as a constant and would see the update: pass tables to jitted
 * functions as arguments.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { isStaging, wrap } from "./_wrap.ts";
import { isTracing, Node } from "./ir/ir.ts";
import { fmtShape } from "./ir/errors.ts";
import type { RowSparse, RowValues } from "./row_sparse.ts";
import { realize } from "../jit/realize.ts";
import { residentCopy } from "../jit/runtime/cpu/wasm/_runtime.ts";

/**
 * Checks that each of `tables` can take `grad`'s update, then takes their
 * buffers (see the module doc), realizing lazy ones first. Nothing is
 * donated when a check fails.
 */
function donate(
  op: string,
  tables: readonly (readonly [name: string, t: Tensor])[],
  grad: RowSparse,
): RowValues[] {
  const nodes = tables.map(([name, t], at) => check(op, name, at, t, grad));
  if (new Set(nodes).size < nodes.length) {
    throw new Error(
      `${op}() expected distinct tensors for ${
        tables.map(([n]) => n).join(", ")
      }: found one passed twice`,
    );
  }
  realize(nodes); // a donated tensor throws here
  return nodes.map((n) =>
    n.donate(
      `Cannot use this tensor: it was donated to ${op}(), which wrote its update into the tensor's ` +
        `buffer: use the tensor ${op}() returned instead (the donated one holds no data)`,
    ) as RowValues
  );
}

function check(op: string, name: string, at: number, t: Tensor, grad: RowSparse): Node {
  const node = nodeOf(op, t, at);
  if (isTracing() || isStaging()) {
    throw new Error(
      `${op}() updates its tables in place, so it cannot run inside jit or grad: ` +
        `call it on the jitted step's results`,
    );
  }
  if (node.device !== "cpu") {
    throw new TypeError(
      `${op}() runs on the cpu: ${name} (argument ${at}) is on ${node.device}: move it with .to("cpu")`,
    );
  }
  if (node.dtype !== grad.dtype) {
    throw new TypeError(
      `${op}() expected ${name} (argument ${at}) of the gradient's dtype ${grad.dtype}: found ${node.dtype}: ` +
        `convert with .astype("${grad.dtype}")`,
    );
  }
  const fits = node.shape.length === grad.shape.length &&
    node.shape.every((d, i) => d === grad.shape[i]);
  if (!fits) {
    throw new RangeError(
      `${op}() expected ${name} (argument ${at}) shaped like the gradient ${
        fmtShape(grad.shape)
      }: found ${fmtShape(node.shape)}`,
    );
  }
  return node;
}

/** A new tensor holding an updated donated buffer. */
function adopt(buffer: RowValues, grad: RowSparse): Tensor {
  return wrap(Node.fromBuffer(buffer, grad.dtype, [...grad.shape]));
}

/**
 * Copies the updated rows into the Wasm resident copy of `buffer`, if it
 * has one. NOTE: element by element: a `set` from a `subarray` per row
 * costs two objects a row, ~5x slower for 2,000 rows of 64.
 */
function syncResident(buffer: RowValues, grad: RowSparse): void {
  const copy = residentCopy(buffer);
  if (copy === undefined) return;
  const size = grad.rowSize, rows = grad.indices;
  for (let k = 0; k < rows.length; k++) {
    const end = (rows[k] + 1) * size;
    for (let i = rows[k] * size; i < end; i++) copy[i] = buffer[i];
  }
}

function checkNumber(op: string, name: string, v: number, ok: boolean, expected: string): void {
  if (typeof v !== "number" || !ok) {
    throw new RangeError(`${op}() expected ${name} ${expected}: found ${v}`);
  }
}

/**
 * One SGD step on the rows `grad` names: `table[r] -= lr · grad[r]` (torch's
 * `SGD` on an `Embedding(sparse=True)`), in place: `table` is donated (see
 * the module doc). Costs the gradient's rows, not the table.
 * @param table the `[numRows, ...row]` parameter, donated
 * @param grad its row-sparse gradient (`rowSparseGrad`)
 * @param lr the learning rate
 * @returns the updated table (in the donated tensor's buffer)
 * @example
 * ```ts
 * import { rowSparseGrad, sgdRows, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * let table = tensor([[1, 1], [1, 1], [1, 1]]);
 * const g = rowSparseGrad(tensor([1], { dtype: "int32" }), tensor([[2, 4]]), 3);
 * table = sgdRows(table, g, 0.5);
 * assertEquals(table.toArray(), [[1, 1], [0, -1], [1, 1]]);
 * ```
 */
export function sgdRows(table: Tensor, grad: RowSparse, lr: number): Tensor {
  const op = "sgdRows";
  checkNumber(op, "lr", lr, Number.isFinite(lr) && lr >= 0, "to be a finite number ≥ 0");
  const [p] = donate(op, [["table", table]], grad);
  const g = grad.values, size = grad.rowSize;
  const rows = grad.indices;
  for (let k = 0; k < rows.length; k++) {
    const at = rows[k] * size, from = k * size;
    for (let j = 0; j < size; j++) p[at + j] -= lr * g[from + j];
  }
  syncResident(p, grad);
  return adopt(p, grad);
}

/** Options of `adamRows`. */
export interface AdamRowsOptions {
  /** The first moment's decay (torch's `betas[0]`); 0.9 by default. */
  beta1?: number;
  /** The second moment's decay (torch's `betas[1]`); 0.999 by default. */
  beta2?: number;
  /** Added to the second moment's square root; 1e-8 by default. */
  eps?: number;
  /** Decoupled weight decay (AdamW's), applied to the touched rows only; 0 by default. */
  weightDecay?: number;
}

/**
 * One lazy Adam step on the rows `grad` names, as torch's `SparseAdam`: only
 * those rows of the table and of the moments `m` and `v` change (the other
 * rows' moments do not decay), with `m += (1-β1)(g - m)`,
 * `v += (1-β2)(g² - v)`, `table -= lr·√(1-β2^step)/(1-β1^step) · m / (√v + ε)`.
 * With `weightDecay` it is lazy AdamW: first `table[r] *= 1 - lr·weightDecay`
 * on the touched rows. In place: `table`, `m` and `v` are donated (see the
 * module doc). Costs the gradient's rows, not the table.
 * @param table the `[numRows, ...row]` parameter, donated
 * @param m the first moments, shaped like the table (zeros at first), donated
 * @param v the second moments, likewise, donated
 * @param grad the table's row-sparse gradient (`rowSparseGrad`)
 * @param step this step's number, counting from 1 (for the bias correction)
 * @param lr the learning rate
 * @param options the decays, ε and weight decay
 * @returns the updated `[table, m, v]`
 * @example
 * ```ts
 * import { adamRows, rowSparseGrad, tensor, zeros } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * let [table, m, v] = [tensor([[1], [1]]), zeros([2, 1]), zeros([2, 1])];
 * const g = rowSparseGrad(tensor([0], { dtype: "int32" }), tensor([[3]]), 2);
 * [table, m, v] = adamRows(table, m, v, g, 1, 0.1);
 * // the first step moves a touched row by lr (m̂ / √v̂ = ±1)
 * assertAlmostEquals(table.dataSync()[0], 0.9, 1e-6);
 * assertAlmostEquals(table.dataSync()[1], 1, 1e-6);
 * ```
 */
export function adamRows(
  table: Tensor,
  m: Tensor,
  v: Tensor,
  grad: RowSparse,
  step: number,
  lr: number,
  options: AdamRowsOptions = {},
): [Tensor, Tensor, Tensor] {
  const op = "adamRows";
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options;
  checkNumber(op, "step", step, Number.isInteger(step) && step >= 1, "to be an integer ≥ 1");
  checkNumber(op, "lr", lr, Number.isFinite(lr) && lr >= 0, "to be a finite number ≥ 0");
  checkNumber(op, "beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
  checkNumber(op, "beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
  checkNumber(op, "eps", eps, Number.isFinite(eps) && eps >= 0, "to be a finite number ≥ 0");
  checkNumber(op, "weightDecay", weightDecay, weightDecay >= 0, "to be ≥ 0");
  const [p, ms, vs] = donate(op, [["table", table], ["m", m], ["v", v]], grad);
  const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  const decay = 1 - lr * weightDecay;
  const g = grad.values, size = grad.rowSize;
  const rows = grad.indices;
  for (let k = 0; k < rows.length; k++) {
    const at = rows[k] * size, from = k * size;
    for (let j = 0; j < size; j++) {
      const gj = g[from + j];
      // read back: a float32 table rounds each stored value, as torch's float32 math does
      ms[at + j] += (1 - beta1) * (gj - ms[at + j]);
      vs[at + j] += (1 - beta2) * (gj * gj - vs[at + j]);
      const mj = ms[at + j], vj = vs[at + j];
      p[at + j] = p[at + j] * decay - stepSize * (mj / (Math.sqrt(vj) + eps));
    }
  }
  for (const b of [p, ms, vs]) syncResident(b, grad);
  return [adopt(p, grad), adopt(ms, grad), adopt(vs, grad)];
}
