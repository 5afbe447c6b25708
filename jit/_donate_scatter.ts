/**
 * A scatter-add into a donated table, updating only the rows used: the
 * program `w' = w + G(scatterAdd(u, idx))` (an embedding's SGD step, with
 * `G(s) = -lr·s`) writes a whole vocabulary-sized table, zeros first. When
 * `w` is donated and `w'` may take its buffer (_donation.ts), it runs as
 * two passes over the updates instead, in JS:
 * 1. `into`: the scatter adds `u` into `sums`, a zeroed table the program
 *    keeps, in the same order as the original (so the same sums, bit for bit);
 * 2. `apply`: at each target `t`, `w[t] = w[t] + G(sums[t])`, then
 *    `sums[t] = 0` (and the same value into `w`'s Wasm copy, if any).
 *
 * A repeated target meets `sums[t] = 0` on its later visits, and an untouched
 * row keeps `w[t]`: both are exact only because `G(0)` is `-0` (checked
 * here), so that `x + G(0)` is `x` for every float `x`, as the original
 * computes it. The cost follows the updates, not the table; it is taken only
 * when the updates are fewer than the table's elements.
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import type { IExpr, Kernel, VExpr } from "./kernel.ts";
import { isOwnPosition } from "./_donation.ts";
import { sizeOf } from "../core/ir/shape.ts";

/** A fused pair: step `scatter` becomes `into`, step `apply` becomes `apply`. */
export interface ScatterUpdate {
  readonly scatter: number;
  readonly apply: number;
  readonly into: Kernel;
  readonly update: Kernel;
}

/** `G(0)` for `G` over consts and the sums (read as 0), or undefined when not of that form. */
function atZero(e: VExpr, sums: number, f: (x: number) => number): number | undefined {
  switch (e.k) {
    case "const":
      return f(e.value);
    case "load":
      return e.input === sums ? 0 : undefined;
    case "cast":
      return e.dtype === "float32" || e.dtype === "float64" ? atZero(e.x, sums, f) : undefined;
    case "alu": {
      const args = e.args.map((a) => atZero(a, sums, f));
      if (args.some((a) => a === undefined)) return undefined;
      const [a, b] = args as number[];
      if (e.op === "neg") return f(-a);
      if (e.op === "mul") return f(a * b);
      if (e.op === "add") return f(a + b);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Whether `e` reads only input `input` and only at the kernel's own position. */
function readsOwn(e: VExpr, input: number, k: Kernel): boolean {
  if (e.k === "load") return e.input === input && isOwnPosition(e.index, k.loops);
  if (e.k === "alu") return e.args.every((a) => readsOwn(a, input, k));
  if (e.k === "cast") return readsOwn(e.x, input, k);
  return e.k === "const";
}

/** `e` with input `from` read at `at` as input `to`, and the table's load as input `table`. */
function retarget(e: VExpr, map: ReadonlyMap<number, number>, at: IExpr): VExpr {
  switch (e.k) {
    case "load":
      return { ...e, input: map.get(e.input)!, index: at };
    case "alu":
      return { ...e, args: e.args.map((a) => retarget(a, map, at)) };
    case "cast":
      return { ...e, x: retarget(e.x, map, at) };
    default:
      return e;
  }
}

/**
 * Finds the scatter-add updates of donated tables in a program.
 * @param kernels the schedule
 * @param args the argument placeholders
 * @param plan for each kernel, the donated argument whose buffer it writes, or -1 (`planDonation`)
 * @param returned the nodes the program returns
 * @returns the pairs to run as two passes over the updates
 */
export function planScatterUpdates(
  kernels: readonly Kernel[],
  args: readonly Node[],
  plan: readonly number[],
  returned: ReadonlySet<Node>,
): ScatterUpdate[] {
  const readers = new Map<Node, number>();
  for (const k of kernels) for (const n of k.inputs) readers.set(n, (readers.get(n) ?? 0) + 1);
  const found: ScatterUpdate[] = [];
  kernels.forEach((k, i) => {
    if (plan[i] < 0 || k.kind !== "loop" || k.inputs.length !== 2) return;
    const table = k.inputs.indexOf(args[plan[i]]);
    const sums = 1 - table;
    const j = kernels.findIndex((s) => s.output === k.inputs[sums]);
    const s = kernels[j];
    if (table < 0 || s === undefined || s.kind !== "scatter" || s.scatter?.mode !== undefined) {
      return;
    }
    if (returned.has(s.output) || readers.get(s.output) !== 1 || s.dtype !== k.dtype) return;
    // worth it only when the updates are fewer than the table's elements (a small table is cheaper
    // to write whole than three passes over the updates)
    if (s.loops.reduce((n, l) => n * l.extent, 1) >= sizeOf(k.shape)) return;
    // w + G(sums) or G(sums) + w, with w read at its own element and G(0) = -0
    const body = k.body;
    if (body.k !== "alu" || body.op !== "add") return;
    const w = body.args.findIndex((a) => a.k === "load" && a.input === table);
    const g = body.args[1 - w];
    if (w < 0 || !readsOwn(body.args[w], table, k) || !readsOwn(g, sums, k)) return;
    const f = k.dtype === "float32" ? Math.fround : k.dtype === "float64" ? Number : undefined;
    const zero = f && atZero(g, sums, f);
    if (zero === undefined || !Object.is(zero, -0)) return;
    // the update pass reads the scatter's inputs (its target's indices), the table and the sums
    const n = s.inputs.length;
    const map = new Map([[table, n], [sums, n + 1]]);
    const update: Kernel = {
      ...s,
      inputs: [...s.inputs, args[plan[i]], s.output, args[plan[i]]],
      output: k.output,
      shape: k.shape,
      body: retarget(body, map, s.scatter!.target),
      scatter: { target: s.scatter!.target, mode: "apply" },
      fused: [...s.fused, ...k.fused],
    };
    found.push({
      scatter: j,
      apply: i,
      into: { ...s, scatter: { ...s.scatter!, mode: "into" } },
      update,
    });
  });
  return found;
}
