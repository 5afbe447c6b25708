/**
 * Compiled CPU programs: a schedule replayed with no per-op work. Kernels
 * are compiled once and constants fixed; intermediates of Wasm kernels stay
 * in Wasm memory and JS intermediates reuse their buffers (_liveness.ts);
 * outputs get fresh buffers on every call, except an output written into a
 * donated argument's buffer (`jit(f, { donate })`, _donation.ts).
 * @module
 */
import { allocate, type DataArray } from "../../../core/ir/dtype.ts";
import { sizeOf } from "../../../core/ir/shape.ts";
import type { Node } from "../../../core/ir/ir.ts";
import type { Kernel } from "../../kernel.ts";
import {
  checkStep,
  countWasmLaunch,
  execute,
  executeInPlace,
  outputChecked,
  prepare,
  type Step,
} from "./kernels.ts";
import { heap, launch, type Output, release, residentView, type Value } from "./wasm/_runtime.ts";
import { liveness, recordPeak, retire } from "../../_liveness.ts";
import { donatedBuffer, planDonation } from "../../_donation.ts";
import { planScatterUpdates } from "../../_donate_scatter.ts";
import { siblingGroups } from "../../_siblings.ts";
import { executeWithSiblings } from "./_sibling_step.ts";

/** Where a program kernel finds a buffer: an argument, a captured constant or an earlier kernel's output. */
type Slot = { kind: "arg"; index: number } | { kind: "const"; buffer: DataArray } | {
  kind: "temp";
  index: number;
};

/** A compiled, replayable program: arguments' buffers in, outputs' buffers out. */
export type Program = (args: readonly DataArray[]) => DataArray[];

type ProgramStep = Step & {
  inputs: Slot[];
  output: Output;
  reuse: { buffer?: DataArray };
  /** The donated argument whose buffer the output is written into, or -1. */
  into: number;
};

/**
 * Compiles a schedule into a program that replays it with no per-op work.
 * @param kernels the schedule of `outputs`
 * @param args the placeholder nodes standing for the arguments
 * @param outputs the nodes whose buffers the program returns
 * @param donated indices of the arguments whose buffers the caller gives up:
 *   an output of the same dtype and shape may be written into one, where
 *   liveness allows (its old values are then gone)
 * @returns the program
 */
export function compileProgram(
  kernels: readonly Kernel[],
  args: readonly Node[],
  outputs: readonly Node[],
  donated: ReadonlySet<number> = new Set(),
): Program {
  const slots = new Map<Node, Slot>();
  args.forEach((n, index) => slots.set(n, { kind: "arg", index }));
  const consts = new Set<DataArray>();
  const slotOf = (n: Node): Slot => {
    const slot = slots.get(n);
    if (slot !== undefined) return slot;
    if (n.buffer === undefined) {
      throw new Error(`jit: kernel input ${n.op} has no buffer (internal error)`);
    }
    consts.add(n.buffer);
    return { kind: "const", buffer: n.buffer };
  };
  const returned = new Set(outputs);
  const plan = planDonation(kernels, args, outputs, donated);
  // a scatter-add into a donated table: two passes over the updates (_donate_scatter.ts)
  const pairs = planScatterUpdates(kernels, args, plan, returned).map((p) => ({
    ...p,
    steps: [prepare(p.into), prepare(p.update)] as const,
    sums: undefined as DataArray | number | undefined,
    updateInputs: p.update.inputs.slice(0, -1),
  }));
  // liveness over the fused kernels (whose update pass also reads the scatter's inputs): the
  // unfused run reads a subset of those, so its values live long enough too
  const fused = kernels.map((k, i) =>
    pairs.find((p) => p.apply === i)?.update ?? pairs.find((p) => p.scatter === i)?.into ?? k
  );
  // sibling kernels merged into one pass, run where the group's last one ran (_siblings.ts): not
  // in a program that writes into donated buffers (a merged kernel reads its inputs later)
  const groups = plan.some((a) => a >= 0) || pairs.length > 0 ? [] : siblingGroups(kernels);
  const members = new Set(groups.flatMap((g) => g.members));
  const merged = new Map(groups.map((g) => [g.last, g]));
  // liveness of the merged run: its values live at least as long as the separate run's
  const live = liveness(
    fused.map((k, i) => members.has(i) ? { ...k, inputs: [] } : merged.get(i)?.kernel ?? k),
    returned,
  );
  const steps: ProgramStep[] = kernels.map((k, i) => {
    const step = {
      ...prepare(k),
      inputs: k.inputs.map(slotOf),
      // returned buffers are the next call's arguments, typically: keep their resident copies
      output: (returned.has(k.output) ? "cached" : "keep") as Output,
      reuse: live.reuse[i],
      into: plan[i],
    };
    slots.set(k.output, { kind: "temp", index: i });
    return step;
  });
  const mergedSteps = new Map([...merged].map(([i, g]) => [i, {
    step: prepare(g.kernel),
    inputs: g.kernel.inputs.map(slotOf),
    members: g.members,
    returned: g.members.map((j) => returned.has(kernels[j].output)),
  }]));
  const results = outputs.map(slotOf);
  const aliasing = plan.some((a) => a >= 0);
  const pairSlots = pairs.map((p) => p.updateInputs.map(slotOf));
  const program: Program = (argBuffers) => {
    const temps: Value[] = new Array(steps.length);
    const blocks: number[] = [];
    const read = (s: Slot): Value =>
      s.kind === "arg"
        ? { array: argBuffers[s.index] }
        : s.kind === "const"
        ? { array: s.buffer }
        : temps[s.index];
    // (not under debugNans, whose check reads a step's inputs after it ran)
    const target = (a: number) =>
      outputChecked() ? undefined : donatedBuffer(argBuffers, a, (b) => consts.has(b));
    const tally = { bytes: 0, peak: 0 };
    const fusing = pairs.filter((p) => target(plan[p.apply]) !== undefined);
    // (not under debugNans either, whose check reads each kernel's output)
    const together = mergedSteps.size > 0 && siblingFusion && !outputChecked();
    try {
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        const pair = fusing.find((p) => p.scatter === i || p.apply === i);
        const group = together ? mergedSteps.get(i) : undefined;
        if (together && members.has(i)) {
          // computed with its group's last kernel
        } else if (group !== undefined) {
          // (the siblings' own slots are not read: their buffers are made for the launch)
          const values = group.inputs.map(read);
          const out = executeWithSiblings(
            group.step,
            values,
            step.output,
            blocks,
            group.returned,
            step.reuse,
          );
          temps[i] = out[0];
          group.members.forEach((j, m) => (temps[j] = out[m + 1]));
        } else if (pair !== undefined) {
          temps[i] = runPair(
            pair,
            i,
            read,
            pairSlots[pairs.indexOf(pair)],
            argBuffers[plan[pair.apply]],
            blocks,
          );
        } else {
          const values = step.inputs.map(read);
          const into = aliasing ? target(step.into) : undefined;
          temps[i] = execute(step, values, step.output, blocks, step.reuse, into);
          checkStep(step.kernel, values, temps[i]);
        }
        retire(live, i, temps, blocks, tally);
      }
      return results.map((s) => read(s).array!);
    } finally {
      release(blocks);
      recordPeak(tally.peak);
    }
  };
  // kept sums in Wasm memory go back to the heap with the program
  if (pairs.length > 0) keptSums.register(program, pairs);
  return program;
}

let siblingFusion = true;

/**
 * Turns the merging of sibling kernels in compiled CPU programs on or off
 * (jit/_siblings.ts; on by default). Results are bit-identical either way:
 * for tests and measurements.
 * @param on whether programs merge sibling kernels
 */
export function setSiblingFusion(on: boolean): void {
  siblingFusion = on;
}

const keptSums = new FinalizationRegistry<{ sums: DataArray | number | undefined }[]>((pairs) => {
  for (const p of pairs) if (typeof p.sums === "number") heap().free(p.sums);
});

/** A fused scatter-add update's passes, and where it keeps its sums (a Wasm block or an array). */
interface Pair {
  readonly scatter: number;
  readonly apply: number;
  readonly steps: readonly [Step, Step];
  readonly into: Kernel;
  sums: DataArray | number | undefined;
}

/** The sums' values (a fresh view of a Wasm block: memory growth detaches old ones). */
function sumsArray(pair: Pair): DataArray {
  const n = sizeOf(pair.into.shape);
  return typeof pair.sums === "number" ? heap().view("float32", pair.sums, n) : pair.sums!;
}

/** Kept zeroed sums: a Wasm block when both passes have a Wasm form and memory allows. */
function keepSums(pair: Pair): void {
  const n = sizeOf(pair.into.shape);
  const wasm = pair.steps[0].wasm !== undefined && pair.steps[1].wasm !== undefined;
  const ptr = wasm ? heap().alloc(4 * n) : undefined;
  // NOTE: kept for the program's life (the jit cache keeps programs): one table's worth
  pair.sums = ptr ?? allocate(pair.into.dtype, n);
  sumsArray(pair).fill(0);
}

/**
 * Runs a pass of a scatter-add into a donated table (_donate_scatter.ts):
 * at step `scatter` the updates are added into the kept zeroed sums; at step
 * `apply` the rows they touch are updated (in Wasm, in the table's resident
 * copy only, whose host array is then stale until read: `Heap.markStale`;
 * in JS, in `table` and its copy alike), and the sums zeroed again. A
 * failure leaves the sums zeroed.
 */
function runPair(
  pair: Pair,
  i: number,
  read: (s: Slot) => Value,
  slots: readonly Slot[],
  table: DataArray,
  blocks: number[],
): Value {
  if (pair.sums === undefined) keepSums(pair);
  const [into, update] = pair.steps;
  const wasm = typeof pair.sums === "number" ? pair.sums : undefined;
  try {
    if (i === pair.scatter) {
      const values = into.kernel.inputs.map((_, j) => read(slots[j]));
      const v = wasm === undefined
        ? undefined
        : launch(into.wasm!, values, "keep", blocks, undefined, wasm);
      if (v !== undefined) countWasmLaunch();
      // in JS (an index out of range traps in Wasm: the JS form names it)
      return v ?? execute(into, values, "array", blocks, {}, sumsArray(pair));
    }
    const values = slots.map(read);
    // in Wasm on the table's resident copy (pinned by `acquire`, no copy in); without one, in JS:
    // copying the whole table in would cost what the update saves
    if (wasm !== undefined && heap().residentAt(table) !== undefined) {
      const h = heap();
      const at = h.acquire(table, blocks);
      if (at !== undefined) {
        // the table's copy is both the input read and the (unused) mirror
        const sums = values[values.length - 1];
        const args = [...values.slice(0, -2), { ptr: at }, sums, { ptr: at }];
        if (launch(update.wasm!, args, "keep", blocks, undefined, at) !== undefined) {
          countWasmLaunch(true);
          // no copy to the host rows: the host array is written back when read
          h.markStale(table);
          return { array: table };
        }
      }
    }
    executeInPlace(update, values, table, residentView(table));
    return { array: table };
  } catch (e) {
    sumsArray(pair).fill(0);
    throw e;
  }
}
