/**
 * Optimizers for one embedding table with row-sparse gradients (issue 15):
 * `sparseSgd` and `sparseAdam` (torch's `SparseAdam`, lazy: untouched rows'
 * moments do not decay). A step writes only the rows the gradient names, in
 * the table's own buffer (`lt.updateRowsInPlace`): the table and the state
 * passed to `update` are donated (they throw if used again), so a step costs
 * batch × dim whatever the vocabulary. They run on the cpu, outside `jit`.
 *
 * @example A train step: the lookup and its gradient under jit, the sparse update after
 * ```ts
 * import * as lt from "@lathe/lathe";
 * import { rowSparseGrad, sparseAdam } from "@lathe/lathe/optim";
 * import { assertLess } from "@std/assert";
 *
 * const ids = lt.tensor([[1, 3], [3, 4]], { dtype: "int32" });
 * const target = lt.ones([2, 2, 4]);
 * const rowsGrad = lt.jit((rows: lt.Tensor) =>
 *   lt.valueAndGrad((r: lt.Tensor) => r.sub(target).square().mean())(rows)
 * );
 * const opt = sparseAdam(0.1);
 * let table = lt.zeros([1000, 4]);
 * let state = opt.init(table);
 * let loss = 1;
 * for (let i = 0; i < 60; i++) {
 *   const [value, g] = rowsGrad(table.take(ids, 0));
 *   [table, state] = opt.update(table, rowSparseGrad(ids, g, 1000), state);
 *   loss = value.item();
 * }
 * assertLess(loss, 1e-2);
 * ```
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import { RowSparse } from "./row_sparse.ts";

export * from "./row_sparse.ts";

/** Options of `sparseAdam`. */
export interface SparseAdamOptions {
  /** The first moment's decay (torch's `betas[0]`); 0.9 by default. */
  beta1?: number;
  /** The second moment's decay (torch's `betas[1]`); 0.999 by default. */
  beta2?: number;
  /** Added to the second moment's square root; 1e-8 by default. */
  eps?: number;
  /** Decoupled weight decay (AdamW's), applied to the rows used only; 0 by default. */
  weightDecay?: number;
}

/**
 * An optimizer of one table from row-sparse gradients: `init(table)` makes
 * the state; `update(table, grad, state)` returns the new table and state,
 * and donates the table and the state's tables (use only what it returns).
 */
export interface SparseOptimizer<S> {
  /** The initial state for `table`. */
  init(table: Tensor): S;
  /** One step: the updated table and state (the arguments are donated). */
  update(table: Tensor, grad: RowSparse, state: S): [Tensor, S];
}

/** The state of `sparseAdam`: the step count and the moment tables. */
export interface SparseAdamState {
  /** Steps taken so far. */
  readonly step: number;
  /** First moments, shaped like the table. */
  readonly m: Tensor;
  /** Second moments, shaped like the table. */
  readonly v: Tensor;
}

function checkNumber(op: string, name: string, v: number, ok: boolean, expected: string): void {
  if (typeof v !== "number" || !ok) {
    throw new RangeError(`${op}() expected ${name} ${expected}: found ${v}`);
  }
}

const checkLr = (op: string, lr: number) =>
  checkNumber(op, "lr", lr, Number.isFinite(lr) && lr >= 0, "to be a finite number ≥ 0");

/** Throws unless `grad` is a `RowSparse` shaped like `table`. */
function checkGrad(op: string, table: Tensor, grad: RowSparse): void {
  if (!(grad instanceof RowSparse)) {
    throw new TypeError(`${op}() expected a RowSparse gradient: make one with rowSparseGrad()`);
  }
  if (table.dtype !== grad.dtype) {
    throw new TypeError(
      `${op}() expected a table of the gradient's dtype ${grad.dtype}: found ${table.dtype}: ` +
        `convert with .astype("${grad.dtype}")`,
    );
  }
  const t = table.shape;
  if (t.length !== grad.shape.length || t.some((d, i) => d !== grad.shape[i])) {
    throw new RangeError(
      `${op}() expected a gradient shaped like the table [${t.join(", ")}]: found [${
        grad.shape.join(", ")
      }]`,
    );
  }
}

/**
 * SGD on row-sparse gradients, as `torch.optim.SGD` on an
 * `Embedding(sparse=True)`: `table[r] -= lr · grad[r]` on the rows used.
 * @param lr the learning rate (≥ 0)
 * @returns the optimizer (its state is empty)
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { rowSparseGrad, sparseSgd } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const opt = sparseSgd(1);
 * const ids = tensor([0, 0], { dtype: "int32" });
 * const [table] = opt.update(tensor([[5], [5]]), rowSparseGrad(ids, tensor([[1], [2]]), 2), {});
 * assertEquals(table.toArray(), [[2], [5]]);
 * ```
 */
export function sparseSgd(lr: number): SparseOptimizer<Record<string, never>> {
  checkLr("sparseSgd", lr);
  return {
    init: () => ({}),
    update(table, grad, state) {
      checkGrad("sparseSgd", table, grad);
      const g = grad.values, size = grad.rowSize, rows = grad.indices;
      const [next] = lt.updateRowsInPlace("sparseSgd", [table], rows, ([p]) => {
        for (let k = 0; k < rows.length; k++) {
          const at = rows[k] * size, from = k * size;
          for (let j = 0; j < size; j++) p[at + j] -= lr * g[from + j];
        }
      });
      return [next, state];
    },
  };
}

/**
 * Lazy Adam on row-sparse gradients, as `torch.optim.SparseAdam`: only the
 * rows used change, in the table and in both moments, with
 * `m += (1-β1)(g - m)`, `v += (1-β2)(g² - v)` and
 * `table -= lr·√(1-β2^step)/(1-β1^step) · m / (√v + ε)`;
 * with `weightDecay` it is a lazy AdamW (decoupled decay of the rows used
 * only; torch has no sparse AdamW).
 * @param lr the learning rate (≥ 0)
 * @param options `beta1`, `beta2`, `eps` (torch's defaults) and `weightDecay` (0)
 * @returns the optimizer
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { rowSparseGrad, sparseAdam } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = sparseAdam(0.1);
 * const table = tensor([[1], [1]]);
 * const [next, state] = opt.update(table, rowSparseGrad(tensor([1], { dtype: "int32" }), tensor([[-2]]), 2), opt.init(table));
 * assertAlmostEquals(next.dataSync()[1], 1.1, 1e-6);
 * assertAlmostEquals(state.m.dataSync()[1], -0.2, 1e-6);
 * ```
 */
export function sparseAdam(
  lr: number,
  options: SparseAdamOptions = {},
): SparseOptimizer<SparseAdamState> {
  const op = "sparseAdam";
  checkLr(op, lr);
  lt.checkOptions(op, options, ["beta1", "beta2", "eps", "weightDecay"]);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options;
  checkNumber(op, "beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
  checkNumber(op, "beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
  checkNumber(op, "eps", eps, Number.isFinite(eps) && eps >= 0, "to be a finite number ≥ 0");
  checkNumber(op, "weightDecay", weightDecay, weightDecay >= 0, "to be ≥ 0");
  return {
    init: (table) => ({
      step: 0,
      m: lt.zeros(table.shape, { dtype: table.dtype }),
      v: lt.zeros(table.shape, { dtype: table.dtype }),
    }),
    update(table, grad, state) {
      checkGrad(op, table, grad);
      const step = state.step + 1;
      // torch's SparseAdam: m += (1-β1)(g - m), v += (1-β2)(g² - v) on the rows used,
      // p -= lr·√(1-β2^t)/(1-β1^t) · m / (√v + ε); AdamW's decay p *= 1 - lr·wd first
      const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      const decay = 1 - lr * weightDecay;
      const g = grad.values, size = grad.rowSize, rows = grad.indices;
      const tables = [table, state.m, state.v];
      const [p, m, v] = lt.updateRowsInPlace(op, tables, rows, ([p, m, v]) => {
        for (let k = 0; k < rows.length; k++) {
          const at = rows[k] * size, from = k * size;
          for (let j = 0; j < size; j++) {
            const gj = g[from + j], i = at + j;
            // read back: a float32 table rounds each stored value, as torch's float32 math does
            m[i] += (1 - beta1) * (gj - m[i]);
            v[i] += (1 - beta2) * (gj * gj - v[i]);
            p[i] = p[i] * decay - stepSize * (m[i] / (Math.sqrt(v[i]) + eps));
          }
        }
      });
      return [p, { step, m, v }];
    },
  };
}
