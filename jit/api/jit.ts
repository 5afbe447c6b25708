/**
 * `jit`: traces a function once per input signature (tree structure,
 * shapes, dtypes, static values), schedules the whole program (forward,
 * backward, optimizer update) into a fixed list of fused kernels, and
 * replays it on later calls with no per-op JavaScript work: on the cpu, or
 * on webgpu when the tensor arguments are there (jit/runtime/webgpu/mod.ts).
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";
import { type Device, isTracing, Node } from "../../core/ir/ir.ts";
import { isStaging, whileStaging, wrap } from "../../core/_wrap.ts";
import { checkOptions } from "../../core/_options.ts";
import { flatten, structureKey, type Tree, type TreeDef, unflatten } from "../../core/tree.ts";
import { type Donate, donatedLeaves, donateLeaves } from "./_donate.ts";
import { fmtValue } from "../../core/ir/errors.ts";
import type { Kernel } from "../kernel.ts";
import { backendOf, gatherError, gathersBelow, keepGathers } from "../realize.ts";
import { collectHostSteps, compileHosted } from "../_hosted.ts";

/** Options of `jit`. */
export interface JitOptions {
  /** Positional arguments that are not traced: their values are part of the cache key. */
  staticArgnums?: readonly number[];
  /**
   * Arguments whose buffers the call may reuse for its outputs, as JAX's
   * `donate_argnums`: positions (every tensor of those arguments), or a
   * predicate over each argument tensor's key path (`args[1].mu.w`). An
   * output of the same dtype and shape as a donated tensor is written into
   * its buffer where the program no longer reads it after (else a fresh
   * buffer, as without donation). Donated tensors are invalid after the
   * call: any use throws. Results are the same, bit for bit.
   */
  donate?: Donate;
}

/** A jitted function, with its compile counter. */
export interface Jitted<F extends (...args: any[]) => any> {
  (...args: Parameters<F>): ReturnType<F>;
  /** How many times the function was traced and compiled (one per new signature). */
  readonly compileCount: number;
}

interface Compiled {
  /** The replay: the argument leaves in, a node per computed output out. */
  run: (args: readonly Tensor[]) => Node[];
  /** False once the device it was compiled for is gone (a lost GPU): it is compiled again. */
  valid: () => boolean;
  kernels: readonly Kernel[];
  outDef: TreeDef;
  /** For each output leaf: a kernel output, an argument passed through, or a constant. */
  outputs: readonly (
    | { kind: "run"; index: number; node: Node }
    | { kind: "arg"; index: number }
    | { kind: "const"; tensor: Tensor }
  )[];
}

const MAX_SIGNATURES = 64;

/** The kernels a jitted function runs for given arguments (for `explain`). */
const stagedPrograms = new WeakMap<object, (args: readonly unknown[]) => readonly Kernel[]>();

/**
 * The kernels `f` becomes for these arguments: a jitted function's compiled
 * program, or a fresh trace of a plain function (nothing runs).
 */
export function stagedKernels(
  f: (...args: any[]) => any,
  args: readonly unknown[],
): readonly Kernel[] {
  return stagedPrograms.get(f)?.(args) ?? stage(f, args, new Set()).kernels;
}

/** A leaf's device for jit: neutral (constant-like) cpu leaves, e.g. step counts, fit any device. */
function leafDevice(t: Tensor): Device | undefined {
  return t.node.neutral && t.device === "cpu" ? undefined : t.device;
}

function signature(
  args: readonly unknown[],
  statics: ReadonlySet<number>,
): { key: string; leaves: Tensor[]; devices: Set<Device> } {
  const leaves: Tensor[] = [];
  const parts = args.map((arg, i) => {
    if (statics.has(i)) return `static:${JSON.stringify(arg) ?? fmtValue(arg)}`;
    const flat = flatten(arg as Tree);
    leaves.push(...flat.leaves);
    const types = flat.leaves.map((t) => `${t.dtype}[${t.shape.join(",")}]`).join(";");
    return `${structureKey(flat.def)}|${types}`;
  });
  const devices = new Set(leaves.map(leafDevice).filter((d) => d !== undefined));
  // on webgpu, which leaves are neutral (traced as host values) is part of the signature
  const where = devices.has("webgpu")
    ? `@webgpu:${leaves.map((t) => +!leafDevice(t)).join("")}`
    : "";
  return { key: parts.join("||") + where, leaves, devices };
}

function stage(
  f: (...args: any[]) => any,
  args: readonly unknown[],
  statics: ReadonlySet<number>,
  device: Device = "cpu",
  donated: readonly (string | undefined)[] = [],
): Compiled {
  const placeholders: Node[] = [];
  const tracedArgs = args.map((arg, i) => {
    if (statics.has(i)) return arg;
    const { leaves, def } = flatten(arg as Tree);
    return unflatten(
      def,
      leaves.map((t) => {
        const neutral = device !== "cpu" && leafDevice(t) === undefined;
        const p = Node.placeholder(t.dtype, t.node.shape, neutral ? "cpu" : device);
        p.neutral = neutral;
        placeholders.push(p);
        return wrap(p);
      }),
    );
  });
  // compiled loops (scan, whileLoop) are host steps between kernel segments, on the cpu
  const [result, steps] = device === "cpu"
    ? collectHostSteps(() => whileStaging(() => f(...tracedArgs)))
    : [whileStaging(() => f(...tracedArgs)), []];
  const { leaves, def } = flatten(result as Tree);
  const nodes = leaves.map((t) => t.node);
  let computed = nodes.filter((n) => n.op !== "buffer" && n.buffer === undefined);
  // a kernel's out-of-range index error names the user's take()/gather() and its line
  const gathers = gathersBelow(computed);
  let kernels: readonly Kernel[];
  let run: Compiled["run"];
  let valid = () => true;
  if (steps.length > 0) {
    // a loop's results are placeholders (buffer nodes without data) the program computes too
    computed = nodes.filter((n) => n.buffer === undefined && !placeholders.includes(n));
    const hosted = compileHosted(placeholders, computed, steps);
    kernels = hosted.kernels;
    run = (args) => {
      // an index error names the user's gather already (compileHosted)
      const buffers = hosted.run(args.map((t) => t.dataSync()));
      return computed.map((n, i) => Node.fromBuffer(buffers[i], n.dtype, n.shape));
    };
  } else {
    // a donated argument returned as it is keeps its buffer: no output is written there
    const passed = new Set(leaves.map((t) => placeholders.indexOf(t.node)));
    const given = new Set(donated.flatMap((d, i) => d !== undefined && !passed.has(i) ? [i] : []));
    const replay = backendOf(device).compile(placeholders, computed, given);
    kernels = replay.kernels;
    run = (args) => {
      let out;
      try {
        out = replay.run(args.map((t) => t.node));
      } catch (e) {
        throw gatherError(e, gathers);
      }
      // on a GPU the error surfaces when an output is read
      if (device !== "cpu") { for (const n of out) keepGathers(n, gathers); }
      return out;
    };
    valid = () => replay.valid;
  }
  const outputs = leaves.map((t) => {
    const run = computed.indexOf(t.node);
    if (run >= 0) return { kind: "run" as const, index: run, node: t.node };
    const arg = placeholders.indexOf(t.node);
    if (arg >= 0) return { kind: "arg" as const, index: arg };
    return { kind: "const" as const, tensor: t };
  });
  return { run, valid, kernels, outDef: def, outputs };
}

/**
 * Compiles `f` for replay: the first call with a new signature traces it
 * (nothing runs) and compiles its kernels; later calls only run them.
 * JS numbers and other non-tensor leaves are static: a new value retraces.
 * Inside `f`, tensor values cannot be read (no `dataSync()`/`item()`).
 * @example
 * ```ts
 * import { jit, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const f = jit((x) => x.mul(2).add(1).relu());
 * assertEquals(f(tensor([-1, 1])).toArray(), [0, 3]);
 * assertEquals(f(tensor([2, 3])).toArray(), [5, 7]);
 * assertEquals(f.compileCount, 1);
 * ```
 * @example Donating the parameters: the update is written into their buffers
 * ```ts
 * import { jit, tensor, type Tensor } from "@lathe/lathe";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const step = jit((w: Tensor, g: Tensor) => w.sub(g.mul(0.5)), { donate: [0] });
 * const w = tensor([1, 2]);
 * const next = step(w, tensor([2, 2]));
 * assertEquals(next.toArray(), [0, 1]);
 * assertThrows(() => w.add(1), Error, "donated to a jitted function");
 * ```
 */
export function jit<F extends (...args: any[]) => any>(f: F, options: JitOptions = {}): Jitted<F> {
  checkOptions("jit", options, ["staticArgnums", "donate"]);
  const statics = new Set(options.staticArgnums ?? []);
  const cache = new Map<string, Compiled>();
  let compileCount = 0;
  const lookup = (
    args: readonly unknown[],
    sig = signature(args, statics),
    donated = donatedLeaves(options.donate, args, statics),
  ) => {
    const { leaves } = sig;
    const mask = donated.map((p) => +(p !== undefined)).join("");
    const key = mask.includes("1") ? `${sig.key}|donate:${mask}` : sig.key;
    let compiled = cache.get(key);
    if (compiled === undefined || !compiled.valid()) {
      cache.delete(key);
      const device = sig.devices.has("webgpu") ? "webgpu" : "cpu";
      compiled = stage(f, args, statics, device, donated);
      compileCount++;
      if (cache.size >= MAX_SIGNATURES) cache.delete(cache.keys().next().value!);
      cache.set(key, compiled);
    }
    return { compiled, leaves };
  };
  const jitted = (...args: Parameters<F>): ReturnType<F> => {
    // inside another transform (grad, an outer jit) the function is inlined, so it stays traceable
    if (isTracing() || isStaging()) return f(...args);
    const sig = signature(args, statics);
    for (const t of sig.leaves) if (t.node.donated !== undefined) throw new Error(t.node.donated);
    const donated = donatedLeaves(options.donate, args, statics);
    // mixed devices run eagerly: an op mixing them throws the usual error
    // (and donate nothing: the eager result may still read the arguments)
    if (sig.devices.size > 1) return f(...args);
    const { compiled, leaves } = lookup(args, sig, donated);
    const nodes = compiled.run(leaves);
    const out = compiled.outputs.map((o) => {
      if (o.kind === "arg") return leaves[o.index];
      if (o.kind === "const") return o.tensor;
      return wrap(nodes[o.index]);
    });
    return donateLeaves(leaves, donated, unflatten(compiled.outDef, out)) as ReturnType<F>;
  };
  Object.defineProperty(jitted, "compileCount", { get: () => compileCount });
  stagedPrograms.set(jitted, (args) => lookup(args).compiled.kernels);
  return jitted as Jitted<F>;
}
