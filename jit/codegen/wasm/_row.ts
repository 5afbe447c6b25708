/**
 * Row reuse in loop kernels, for the Wasm and the JS code generators. When a
 * row reduction (one variable, as long as the output's innermost loop,
 * computed once per row) and the elementwise work after it compute the same
 * costly value of the row (softmax's `exp(x - max)`, summed, then divided by
 * the sum), the reduction's pass stores that value in the output row and the
 * work after it reads it back from there (an `acc` read of the output in
 * place) instead of computing it again. Same float32 bits either way.
 * @module
 */
import { elementwiseOps } from "../../../core/ops/elementwise.ts";
import type { Kernel, VExpr } from "../../kernel.ts";
import { type Lin, linear } from "./_plan.ts";

type Reduce = Extract<VExpr, { k: "reduce" }>;

/** A kernel body rewritten to reuse one value of a row reduction's pass. */
export interface RowReuse {
  /** The body, the reused value read from the output (`acc`) after the reduction. */
  readonly body: VExpr;
  /** The reduction whose pass stores the value in the output row. */
  readonly reduce: Reduce;
  /** The value, as computed inside the reduction's body. */
  readonly value: VExpr;
}

function isCostly(e: VExpr): boolean {
  if (e.k === "alu") return elementwiseOps[e.op].cost === "costly" || e.args.some(isCostly);
  return e.k === "cast" && isCostly(e.x);
}

/** Visits the elementwise part of `e` (not inside reductions), parents first. */
function visit(e: VExpr, fn: (e: VExpr) => boolean, seen = new Set<VExpr>()): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (!fn(e)) return;
  if (e.k === "alu") e.args.forEach((a) => visit(a, fn, seen));
  else if (e.k === "cast") visit(e.x, fn, seen);
}

/**
 * Finds a value computed both in a row reduction and after it.
 * @param kernel a loop kernel
 * @returns the rewritten body, or undefined when there is nothing to reuse
 */
export function rowReuse(kernel: Kernel): RowReuse | undefined {
  const inner = kernel.loops[kernel.loops.length - 1];
  if (kernel.kind !== "loop" || kernel.dtype !== "float32" || inner === undefined) return;
  const flat: Lin = new Map();
  let stride = 1;
  for (let d = kernel.loops.length - 1; d >= 0; d--) {
    flat.set(kernel.loops[d].v, stride);
    stride *= kernel.loops[d].extent;
  }
  const ids = new Map<VExpr, number>();
  /** A structural key, with reduction variable `from` read as `to`. */
  const keyOf = (e: VExpr, from = "", to = ""): string | undefined => {
    switch (e.k) {
      case "const":
        return `c${e.value}${e.dtype}`;
      case "load": {
        const lin = linear(e.index, flat);
        if (lin === undefined) return;
        const terms = [...lin].filter(([, c]) => c !== 0).map(([v, c]) =>
          `${v === from ? to : v}*${c}`
        );
        return `l${e.input}[${terms.sort().join("+")}]`;
      }
      case "alu": {
        const args = e.args.map((a) => keyOf(a, from, to));
        return args.includes(undefined) ? undefined : `${e.op}(${args.join()})`;
      }
      case "cast": {
        const x = keyOf(e.x, from, to);
        return x && `${e.dtype}(${x})`;
      }
      case "reduce":
        if (!ids.has(e)) ids.set(e, ids.size);
        return `r${ids.get(e)}`;
      default:
        return;
    }
  };
  const after = new Map<string, VExpr>();
  const reduces: Reduce[] = [];
  visit(kernel.body, (e) => {
    if (e.k === "reduce") reduces.push(e);
    const key = isCostly(e) ? keyOf(e) : undefined;
    if (key !== undefined && !after.has(key)) after.set(key, e);
    return true;
  });
  for (const r of reduces) {
    const v = r.vars[0];
    if (r.vars.length !== 1 || v.extent !== inner.extent || !contiguous(r, v.v, inner.v, flat)) {
      continue;
    }
    let found: [VExpr, VExpr] | undefined;
    visit(r.body, (e) => {
      if (found !== undefined || !isCostly(e)) return false;
      const key = keyOf(e, v.v, inner.v);
      const twin = key === undefined ? undefined : after.get(key);
      if (twin !== undefined && key!.includes(`${inner.v}*`)) found = [e, twin];
      return found === undefined;
    });
    if (found === undefined) continue;
    // the reduction must still run before the work after it (not only inside the value replaced)
    const body = replace(kernel.body, found[1]);
    let kept = false;
    visit(body, (e) => !(kept ||= e === r));
    if (kept) return { body, reduce: r, value: found[0] };
  }
}

/**
 * Whether every load in a reduction walks its variable contiguously (or not
 * at all) and does not vary along the output's innermost loop (so the
 * reduction runs once per row, before it, with lanes along the row).
 */
function contiguous(r: Reduce, v: string, inner: string, flat: Lin): boolean {
  let ok = true;
  const loads = (e: VExpr): void => {
    if (e.k === "load") {
      const lin = linear(e.index, flat);
      ok &&= lin !== undefined && [0, 1].includes(lin.get(v) ?? 0) && !lin.get(inner);
    } else if (e.k === "alu") e.args.forEach(loads);
    else if (e.k === "cast") loads(e.x);
    else if (e.k === "reduce") loads(e.body);
    else if (e.k !== "const") ok = false;
  };
  loads(r.body);
  return ok;
}

/** `body` with `target` (outside reductions) read from the output instead. */
function replace(body: VExpr, target: VExpr): VExpr {
  const memo = new Map<VExpr, VExpr>([[target, { k: "acc", dtype: target.dtype }]]);
  const swap = (e: VExpr): VExpr => {
    let out = memo.get(e);
    if (out !== undefined) return out;
    out = e;
    if (e.k === "alu") {
      const args = e.args.map(swap);
      if (args.some((a, i) => a !== e.args[i])) out = { ...e, args };
    } else if (e.k === "cast") {
      const x = swap(e.x);
      if (x !== e.x) out = { ...e, x };
    }
    memo.set(e, out);
    return out;
  };
  return swap(body);
}
