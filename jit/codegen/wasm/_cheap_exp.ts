/**
 * Where a Wasm kernel may use the cheaper exp (`VMath.expShifted`, ≤ 2 ulp,
 * 0 below 2^-126) instead of the ≤ 1 ulp one: the exps whose fused op keeps
 * a stated bound with it (docs/memory.md, "Softmax's exp"). Found by the
 * shape of the kernel body, so the same expression written by hand gets it:
 *
 * - `exp(x - m)` with `m` a row maximum, or the stable shift
 *   `where(finite, m, 0)` that softmax, logSoftmax and logSumExp subtract
 *   (the argument is ≤ 0 unless the row holds a NaN or an infinity);
 * - sigmoid's `1 / (1 + exp(-x))` (a result the exp makes tiny is below
 *   2^-126, and one it makes huge gives 0, like the exact form).
 * @module
 */
import type { VExpr } from "../../kernel.ts";

function isMax(e: VExpr): boolean {
  return e.k === "reduce" && e.op === "max";
}

/** Whether `e` is `x - m` for a row maximum `m` (or the stable shift of softmax). */
export function shiftedByMax(e: VExpr): boolean {
  if (e.k !== "alu" || e.op !== "add") return false;
  const shift = e.args[1];
  if (shift.k !== "alu" || shift.op !== "neg") return false;
  const m = shift.args[0];
  return isMax(m) || (m.k === "alu" && m.op === "where" && isMax(m.args[1]));
}

/** The exp of `1 + exp(-x)` (either order), if `e` is that sum. */
function sigmoidExp(e: VExpr): VExpr | undefined {
  if (e.k !== "alu" || e.op !== "add") return;
  const [a, b] = e.args;
  const one = (v: VExpr) => v.k === "const" && v.value === 1;
  const ex = one(a) ? b : one(b) ? a : undefined;
  if (ex?.k === "alu" && ex.op === "exp" && ex.args[0].k === "alu" && ex.args[0].op === "neg") {
    return ex;
  }
}

/**
 * The exp nodes of a kernel body that may use the cheaper exp.
 * @param body the value stored at each output element (reduction bodies included)
 * @returns those exp nodes
 */
export function cheapExps(body: VExpr): Set<VExpr> {
  const out = new Set<VExpr>();
  // a sigmoid's exp (computed once per node) qualifies only if its one use is the sum `1 + exp`
  // and every use of that sum is a `recip`
  const uses = new Map<VExpr, number>();
  const recipUses = new Map<VExpr, number>();
  const seen = new Set<VExpr>();
  const walk = (e: VExpr, parent: VExpr | undefined): void => {
    uses.set(e, (uses.get(e) ?? 0) + 1);
    if (parent?.k === "alu" && parent.op === "recip") recipUses.set(e, (recipUses.get(e) ?? 0) + 1);
    if (seen.has(e)) return;
    seen.add(e);
    if (e.k === "alu") {
      if (e.op === "exp" && shiftedByMax(e.args[0])) out.add(e);
      e.args.forEach((a) => walk(a, e));
    } else if (e.k === "cast" || e.k === "pad") walk(e.x, e);
    else if (e.k === "reduce") walk(e.body, e);
  };
  walk(body, undefined);
  for (const [sum, n] of recipUses) {
    const ex = sigmoidExp(sum);
    if (ex !== undefined && uses.get(sum) === n && uses.get(ex) === 1) out.add(ex);
  }
  return out;
}
