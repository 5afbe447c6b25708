/**
 * Optimizers for one embedding table with row-sparse gradients (issue 15):
 * `sparseSgd` and `sparseAdam` (torch's `SparseAdam`, lazy: untouched rows'
 * moments do not decay), over `lt.sgdRows` and `lt.adamRows`. A step writes
 * only the rows the gradient names, in the table's own buffer: the table and
 * the state passed to `update` are donated (they throw if used again), so a
 * step costs batch × dim whatever the vocabulary.
 *
 * @example A train step: the lookup and its gradient under jit, the sparse update after
 * ```ts
 * import * as lt from "@lathe/lathe";
 * import { sparseAdam } from "@lathe/lathe/optim";
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
 *   [table, state] = opt.update(table, lt.rowSparseGrad(ids, g, 1000), state);
 *   loss = value.item();
 * }
 * assertLess(loss, 1e-2);
 * ```
 * @module
 */
import * as lt from "../mod.ts";
import type { AdamRowsOptions, RowSparse, Tensor } from "../mod.ts";

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

function checkLr(op: string, lr: number): void {
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
    throw new RangeError(`${op}() expected lr to be a finite number ≥ 0: found ${lr}`);
  }
}

/**
 * SGD on row-sparse gradients, as `torch.optim.SGD` on an
 * `Embedding(sparse=True)`: `table[r] -= lr · grad[r]` on the rows used.
 * @param lr the learning rate (≥ 0)
 * @returns the optimizer (its state is empty)
 * @example
 * ```ts
 * import { rowSparseGrad, tensor } from "@lathe/lathe";
 * import { sparseSgd } from "@lathe/lathe/optim";
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
    update: (table, grad, state) => [lt.sgdRows(table, grad, lr), state],
  };
}

/**
 * Lazy Adam on row-sparse gradients, as `torch.optim.SparseAdam`: only the
 * rows used change, in the table and in both moments (see `lt.adamRows`);
 * with `weightDecay` it is a lazy AdamW (decoupled decay of the rows used
 * only; torch has no sparse AdamW).
 * @param lr the learning rate (≥ 0)
 * @param options `beta1`, `beta2`, `eps` (torch's defaults) and `weightDecay` (0)
 * @returns the optimizer
 * @example
 * ```ts
 * import { rowSparseGrad, tensor } from "@lathe/lathe";
 * import { sparseAdam } from "@lathe/lathe/optim";
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
  options: AdamRowsOptions = {},
): SparseOptimizer<SparseAdamState> {
  checkLr("sparseAdam", lr);
  lt.checkOptions("sparseAdam", options, ["beta1", "beta2", "eps", "weightDecay"]);
  return {
    init: (table) => ({
      step: 0,
      m: lt.zeros(table.shape, { dtype: table.dtype }),
      v: lt.zeros(table.shape, { dtype: table.dtype }),
    }),
    update(table, grad, state) {
      const step = state.step + 1;
      const [p, m, v] = lt.adamRows(table, state.m, state.v, grad, step, lr, options);
      return [p, { step, m, v }];
    },
  };
}
