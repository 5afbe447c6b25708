/**
 * Branches on a tensor predicate or index: `cond` and `switchCase`. Eagerly only the chosen branch
 * runs; inside `jit` or `vmap` (where the predicate is not known while tracing, or differs per
 * example) every branch runs and the result is selected with `where`, so one compiled program
 * serves both outcomes.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { isStaging } from "./_wrap.ts";
import { fmtShape } from "./ir/errors.ts";
import { flatten, type Tree, unflatten } from "./tree.ts";
import { where } from "./elementwise.ts";
import { isBatching } from "./vmap.ts";

function sameSpec(a: Tensor, b: Tensor): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]);
}

/** Both results, checked to agree in structure, shape and dtype, selected leaf by leaf. */
function select(
  op: string,
  results: readonly Tree[],
  pick: (k: number) => Tensor,
): Tree {
  const flat = results.map((r) => flatten(r));
  flat.forEach((f, k) => {
    const first = flat[0];
    const same = JSON.stringify(f.def) === JSON.stringify(first.def) &&
      f.leaves.every((t, i) => sameSpec(t, first.leaves[i]));
    if (!same) {
      throw new TypeError(
        `${op}() branches must return the same structure, shapes and dtypes: branch ${k} differs ` +
          `from branch 0 (inside jit or vmap both run, and the predicate selects)`,
      );
    }
  });
  const leaves = flat[0].leaves.map((_, i) => {
    let out = flat[flat.length - 1].leaves[i];
    for (let k = flat.length - 2; k >= 0; k--) {
      out = where(pick(k), flat[k].leaves[i], out);
    }
    return out;
  });
  return unflatten(flat[0].def, leaves);
}

function scalar(op: string, p: Tensor): Tensor {
  if (p.size !== 1) {
    throw new RangeError(
      `${op}() expected a scalar predicate or index: found shape ${fmtShape(p.shape)}`,
    );
  }
  return p.reshape([]);
}

/**
 * `pred ? onTrue(...operands) : onFalse(...operands)` on a tensor predicate, like `jax.lax.cond`:
 * eagerly only the chosen branch runs; inside `jit` or `vmap` both run and the result is selected.
 * @param pred a scalar (nonzero is true)
 * @param onTrue the branch for true
 * @param onFalse the branch for false (same result structure, shapes and dtypes)
 * @param operands the branches' arguments
 * @returns the chosen branch's result
 * @example
 * ```ts
 * import { cond, jit, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const f = jit((x: Tensor) => cond(x.sum().gt(0), (v: Tensor) => v.mul(2), (v: Tensor) => v.neg(), x));
 * assertEquals([f(tensor([1, 2])).toArray(), f(tensor([-1, -2])).toArray()], [[2, 4], [1, 2]]);
 * ```
 */
export function cond<A extends Tree[], R extends Tree>(
  pred: Tensor,
  onTrue: (...operands: A) => R,
  onFalse: (...operands: A) => R,
  ...operands: A
): R {
  return switchCase(scalar("cond", pred).ne(0).astype("int32"), [
    onFalse,
    onTrue,
  ], ...operands);
}

/**
 * `branches[index](...operands)` on a tensor index (clamped to the branches, as `jax.lax.switch`):
 * eagerly only that branch runs; inside `jit` or `vmap` all run and the result is selected.
 * @param index an int scalar
 * @param branches the functions (same result structure, shapes and dtypes)
 * @param operands their arguments
 * @returns the chosen branch's result
 * @example
 * ```ts
 * import { switchCase, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const fs = [(x: Tensor) => x.add(1), (x: Tensor) => x.mul(10)];
 * assertEquals(switchCase(tensor(1, { dtype: "int32" }), fs, tensor([2])).toArray(), [20]);
 * ```
 */
export function switchCase<A extends Tree[], R extends Tree>(
  index: Tensor,
  branches: readonly ((...operands: A) => R)[],
  ...operands: A
): R {
  if (branches.length === 0) {
    throw new RangeError(`switchCase() expected at least one branch`);
  }
  const i = scalar("switchCase", index);
  if (!isStaging() && !isBatching()) {
    const k = Math.min(Math.max(Math.trunc(i.item()), 0), branches.length - 1);
    return branches[k](...operands);
  }
  const results = branches.map((b) => b(...operands));
  return select(
    "switchCase",
    results,
    (k) => (k === 0 ? i.le(0) : i.eq(k)),
  ) as R;
}
