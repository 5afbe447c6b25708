/**
 * Host steps of a jitted program: a compiled loop (`scan`, `whileLoop`) runs on the host between
 * two kernel segments, replaying its body's own compiled program once per iteration. Staging
 * collects the steps in order; `compileHosted` cuts the program around them.
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import type { DataArray } from "../core/ir/dtype.ts";
import { schedule } from "./schedule.ts";
import { compileProgram, type Program } from "./runtime/cpu/program.ts";
import type { Kernel } from "./kernel.ts";
import { gatherError, gathersBelow } from "./realize.ts";

/** A step run on the host: it reads the arrays of `inputs` and returns those of `outputs`. */
export interface HostStep {
  /** Nodes of the enclosing program it reads. */
  readonly inputs: readonly Node[];
  /** Placeholders standing for its results in the enclosing program. */
  readonly outputs: readonly Node[];
  /** Computes the outputs from the inputs' arrays. */
  readonly run: (inputs: readonly DataArray[]) => DataArray[];
  /** The kernels it replays (a loop body's, for `explain`). */
  readonly kernels: readonly Kernel[];
}

const frames: HostStep[][] = [];

/** Runs `fn` (a staging trace) collecting the host steps it makes. */
export function collectHostSteps<T>(fn: () => T): [T, HostStep[]] {
  const steps: HostStep[] = [];
  frames.push(steps);
  try {
    return [fn(), steps];
  } finally {
    frames.pop();
  }
}

/** Adds a host step to the program being staged, or `undefined` when none collects them. */
export function hostStepSink(): ((step: HostStep) => void) | undefined {
  const top = frames[frames.length - 1];
  return top === undefined ? undefined : (step) => void top.push(step);
}

/**
 * Compiles the program computing `outs` from the arrays of `args`, cut around `steps`: before each
 * step a kernel segment computes its inputs (from the arguments and earlier steps' outputs).
 * @param args the program's argument placeholders
 * @param outs the nodes it returns
 * @param steps the host steps, in staging order
 * @returns the program, and every segment's and step's kernels in run order
 */
export function compileHosted(
  args: readonly Node[],
  outs: readonly Node[],
  steps: readonly HostStep[],
): { run: Program; kernels: Kernel[] } {
  const kernels: Kernel[] = [];
  // a kernel's out-of-range index error names the user's take()/gather() (a loop body's its own)
  const gathers = gathersBelow([...outs, ...steps.flatMap((s) => s.inputs)]);
  const segment = (known: readonly Node[], want: readonly Node[]): Program => {
    const computed = [
      ...new Set(
        want.filter((n) => n.op !== "buffer" && n.buffer === undefined),
      ),
    ];
    const planned = schedule(computed, new Set(known));
    kernels.push(...planned);
    const program = compileProgram(planned, known, computed);
    const from = want.map(
      (n): (arrays: readonly DataArray[], bufs: DataArray[]) => DataArray => {
        const c = computed.indexOf(n);
        if (c >= 0) return (_, bufs) => bufs[c];
        const k = known.indexOf(n);
        if (k >= 0) return (arrays) => arrays[k];
        const buffer = n.buffer;
        if (buffer !== undefined) return () => buffer;
        throw new Error(
          `jit: a loop reads a ${n.op} node that no earlier step computes (internal error)`,
        );
      },
    );
    return (arrays) => {
      const bufs = program(arrays);
      return from.map((get) => get(arrays, bufs));
    };
  };
  let known = [...args];
  const parts = steps.map((step) => {
    const program = segment(known, step.inputs);
    kernels.push(...step.kernels);
    known = [...known, ...step.outputs];
    return { program, step };
  });
  const last = segment(known, outs);
  return {
    kernels,
    run: (argArrays) => {
      try {
        let arrays = [...argArrays];
        for (const { program, step } of parts) {
          arrays = [...arrays, ...step.run(program(arrays))];
        }
        return last(arrays);
      } catch (e) {
        throw gatherError(e, gathers);
      }
    },
  };
}
