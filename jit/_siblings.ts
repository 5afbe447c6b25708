/**
 * Sibling outputs: elementwise loop kernels of one shape that a compiled CPU
 * program runs near each other, reading the same inputs, become one kernel
 * that stores several outputs in one pass (an optimizer's new moments and
 * new parameter; gelu's stored erf and its value; attention's q, k and v).
 * Each shared input is then read once, and a sibling that reads another's
 * output at the same element computes it in place of loading it.
 *
 * Every value is the same expression per element as in its own kernel, so
 * results are bit-identical: only ops whose code does not depend on the
 * other uses of a value are merged (no exp, whose cheaper routine is chosen
 * from its uses: wasm/_cheap_exp.ts), and no reductions, gathers or pads.
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import { sizeOf } from "../core/ir/shape.ts";
import type { IExpr, Kernel, Sibling, VExpr } from "./kernel.ts";

/** Ops whose code is the same wherever they appear (no routine chosen from a value's other uses). */
const plainOps: ReadonlySet<string> = new Set([
  "neg",
  "recip",
  "abs",
  "add",
  "mul",
  "div",
  "maximum",
  "minimum",
  "cmplt",
  "cmpeq",
  "where",
  "sqrt",
  "erf",
]);

/** Most outputs one merged kernel stores. */
const MAX_OUTPUTS = 4;
/** How many kernels past a group's first a sibling may be found. */
const WINDOW = 32;
/** Fewest elements from which kernels merge (below, the launch costs what the pass saves). */
const MIN_ELEMENTS = 16;

/** A merged kernel: it runs at step `last` and computes the outputs of steps `members` too. */
export interface SiblingGroup {
  readonly last: number;
  readonly members: readonly number[];
  readonly kernel: Kernel;
}

/**
 * Groups a program's sibling kernels (see the module doc). A group runs
 * where its last kernel did: the others' inputs are ready by then, and no
 * kernel in between may read their outputs.
 * @param kernels the schedule, in run order
 * @returns the merged kernels, each with the earlier steps it replaces
 */
export function siblingGroups(kernels: readonly Kernel[]): SiblingGroup[] {
  const producer = new Map<Node, number>(kernels.map((k, i) => [k.output, i]));
  const readers = new Map<Node, number[]>();
  kernels.forEach((k, i) => {
    for (const n of k.inputs) {
      const list = readers.get(n);
      if (list === undefined) readers.set(n, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });
  const taken = new Set<number>();
  const groups: SiblingGroup[] = [];
  kernels.forEach((first, i) => {
    if (taken.has(i) || !mergeable(first)) return;
    const group = [i];
    const end = Math.min(kernels.length, i + 1 + WINDOW);
    for (let j = i + 1; j < end && group.length < MAX_OUTPUTS; j++) {
      const k = kernels[j];
      if (taken.has(j) || !mergeable(k) || !sameLoops(first, k)) continue;
      // group outputs are read at the same element only (their values are computed in place)
      const inPlace = k.inputs.every((n, slot) =>
        !group.includes(producer.get(n)!) || loadsOf(k.body, slot).every((e) => isFlat(e.index))
      );
      // no other kernel before step j reads a group output (it would run before the group)
      const unread = group.every((m) =>
        (readers.get(kernels[m].output) ?? []).every((r) => r < m || r >= j || group.includes(r))
      );
      if (inPlace && unread) group.push(j);
    }
    if (group.length === 1) return;
    group.forEach((j) => taken.add(j));
    const last = group[group.length - 1];
    groups.push({ last, members: group.slice(0, -1), kernel: merge(kernels, group, producer) });
  });
  return groups;
}

/** Whether a kernel may merge: a float32 CPU loop of plain elementwise ops over its inputs. */
function mergeable(k: Kernel): boolean {
  return k.kind === "loop" && k.output.device === "cpu" && k.dtype === "float32" &&
    k.siblings === undefined && k.loops.length > 0 && sizeOf(k.shape) >= MIN_ELEMENTS &&
    plain(k.body, new Set());
}

function plain(e: VExpr, seen: Set<VExpr>): boolean {
  if (seen.has(e)) return true;
  seen.add(e);
  switch (e.k) {
    case "const":
      return true;
    case "load":
      return affine(e.index);
    case "cast":
      return plain(e.x, seen);
    case "alu":
      return plainOps.has(e.op) && e.args.every((a) => plain(a, seen));
    default:
      return false;
  }
}

/** Whether an index has no gathered part. */
function affine(i: IExpr): boolean {
  if (typeof i === "number" || "v" in i) return true;
  return i.op !== "index" && affine(i.a) && affine(i.b);
}

/** The flat output position `p`: an element read where it is stored. */
function isFlat(i: IExpr): boolean {
  return typeof i !== "number" && "v" in i && i.v === "p";
}

function sameLoops(a: Kernel, b: Kernel): boolean {
  return a.loops.length === b.loops.length &&
    a.loops.every((l, d) => l.v === b.loops[d].v && l.extent === b.loops[d].extent);
}

type Load = Extract<VExpr, { k: "load" }>;

/** The loads of input `slot` in `e`. */
function loadsOf(e: VExpr, slot: number, out: Load[] = [], seen = new Set<VExpr>()): Load[] {
  if (seen.has(e)) return out;
  seen.add(e);
  if (e.k === "load" && e.input === slot) out.push(e);
  else if (e.k === "alu") e.args.forEach((a) => loadsOf(a, slot, out, seen));
  else if (e.k === "cast") loadsOf(e.x, slot, out, seen);
  return out;
}

/**
 * The group's last kernel with the others' outputs as siblings: every body's
 * loads renumbered into one input list, and reads of group outputs replaced
 * by their values; the siblings' output nodes are appended as inputs (the
 * buffers they are stored in).
 */
function merge(
  kernels: readonly Kernel[],
  group: readonly number[],
  producer: ReadonlyMap<Node, number>,
): Kernel {
  const inputs: Node[] = [];
  const slotOf = (n: Node) => {
    const at = inputs.indexOf(n);
    return at >= 0 ? at : inputs.push(n) - 1;
  };
  const values = new Map<number, VExpr>();
  for (const j of group) {
    const k = kernels[j];
    const memo = new Map<VExpr, VExpr>();
    const renumber = (e: VExpr): VExpr => {
      let out = memo.get(e);
      if (out !== undefined) return out;
      if (e.k === "load") {
        const n = k.inputs[e.input];
        const p = producer.get(n);
        out = p !== undefined && values.has(p) ? values.get(p)! : { ...e, input: slotOf(n) };
      } else if (e.k === "alu") out = { ...e, args: e.args.map(renumber) };
      else if (e.k === "cast") out = { ...e, x: renumber(e.x) };
      else out = e;
      memo.set(e, out);
      return out;
    };
    values.set(j, renumber(k.body));
  }
  const last = group[group.length - 1];
  const siblings: Sibling[] = group.slice(0, -1).map((j) => ({
    input: slotOf(kernels[j].output),
    body: values.get(j)!,
  }));
  const fused = new Set(group.flatMap((i) => kernels[i].fused));
  return {
    ...kernels[last],
    inputs,
    body: values.get(last)!,
    siblings,
    fused: [...fused].sort((x, y) => x.id - y.id),
  };
}
