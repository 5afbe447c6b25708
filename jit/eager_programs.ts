/**
 * Eager realization through cached programs. An eager training loop builds
 * the same graph every step (new nodes, same structure), and scheduling,
 * lowering and rendering it again each time costs more than running its
 * small kernels. So the pending graph is keyed by its structure (ops,
 * shapes, dtypes, parameters, wiring, and the realized leaves' types); the
 * first time a structure is seen it is scheduled on a copy whose leaves are
 * placeholders and compiled into a program (`compileProgram`, as `jit`
 * does); later graphs with that structure run the program on their leaves'
 * buffers. Every kernel output is returned and set on its node, exactly as
 * running the schedule directly would.
 * @module
 */
import { capturingSites, Node, pendingNodes } from "../core/ir/ir.ts";
import { schedule } from "./schedule.ts";
import { IndexRangeError } from "./_index_error.ts";
import { cpuConfig, runKernels } from "./runtime/cpu/kernels.ts";
import { compileProgram, type Program } from "./runtime/cpu/program.ts";

/** A compiled structure: the program, and which pending node each of its outputs belongs to. */
interface Entry {
  readonly program: Program;
  readonly outputs: readonly number[];
  /** The position of each gather or scatter, by the id of its copy (what index errors report). */
  readonly sites: ReadonlyMap<number, number>;
}

/** Structures kept (least recently used dropped first); most loops need a handful. */
const MAX_PROGRAMS = 256;
/** Graphs larger than this are run directly (their key and copy are not worth keeping). */
const MAX_NODES = 4096;
const programs = new Map<string, Entry | null>();
const stats = { hits: 0, misses: 0 };

/** Parameters as text (numbers keep NaN, ±Infinity and -0; functions are left out). */
function argKey(a: unknown): string {
  if (a === undefined || typeof a === "function") return "";
  if (typeof a === "number") return Object.is(a, -0) ? "-0" : String(a);
  if (typeof a !== "object" || a === null) return String(a);
  if (Array.isArray(a)) return `[${a.map(argKey).join()}]`;
  const fields = Object.keys(a).sort().map((k) =>
    `${k}:${argKey((a as Record<string, unknown>)[k])}`
  );
  return `{${fields.join()}}`;
}

/** Shapes as text, cached per shape array (nodes made by one op often share it). */
const shapeKeys = new WeakMap<readonly number[], string>();
function shapeKey(shape: readonly number[]): string {
  let key = shapeKeys.get(shape);
  if (key === undefined) {
    key = shape.join();
    shapeKeys.set(shape, key);
  }
  return key;
}

/** The realized leaves of the pending graph `nodes` (below `roots`), and its structure key. */
function describe(
  nodes: readonly Node[],
  roots: readonly Node[],
): { leaves: Node[]; key: string } {
  // a node's position, as a number on the node list (kept off the nodes themselves)
  const index = new Map<Node, number>();
  for (let i = 0; i < nodes.length; i++) index.set(nodes[i], i);
  const leaves: Node[] = [];
  let key = cpuConfig();
  for (const n of nodes) {
    key += `;${n.op}:${n.dtype}[${shapeKey(n.shape)}](`;
    for (const s of n.src) {
      let i = index.get(s);
      if (i === undefined) {
        // a realized leaf: numbered after the nodes, described once
        i = nodes.length + leaves.push(s) - 1;
        index.set(s, i);
        key += `L${s.dtype}[${shapeKey(s.shape)}]${s.neutral ? "n" : ""}`;
      }
      key += `${i},`;
    }
    key += ")";
    if (n.arg !== undefined) key += argKey(n.arg);
  }
  key += "->";
  for (const r of roots) key += `${index.get(r)},`;
  return { leaves, key };
}

/** Schedules a copy of the graph over placeholder leaves and compiles it (null: not representable). */
function compile(
  nodes: readonly Node[],
  leaves: readonly Node[],
  roots: readonly Node[],
): Entry | null {
  const copies = new Map<Node, Node>();
  const args = leaves.map((leaf) => {
    const p = Node.placeholder(leaf.dtype, leaf.shape, "cpu");
    p.neutral = leaf.neutral;
    copies.set(leaf, p);
    return p;
  });
  for (const n of nodes) {
    const src = n.src.map((s) => copies.get(s)!);
    // deno-lint-ignore no-explicit-any
    copies.set(n, Node.make(n.op, n.dtype, n.shape, src, n.arg as any, "cpu"));
  }
  const kernels = schedule(roots.map((r) => copies.get(r)!));
  const original = new Map<Node, number>();
  nodes.forEach((n, i) => original.set(copies.get(n)!, i));
  const outs = kernels.map((k) => k.output);
  const outputs = outs.map((o) => original.get(o));
  if (outputs.some((i) => i === undefined)) return null;
  const covered = new Set(outs);
  if (roots.some((r) => !covered.has(copies.get(r)!))) return null;
  const sites = new Map<number, number>();
  nodes.forEach((n, i) => {
    if (n.op === "gather" || n.op === "scatterAdd") sites.set(copies.get(n)!.id, i);
  });
  return { program: compileProgram(kernels, args, outs), outputs: outputs as number[], sites };
}

/**
 * Computes the buffers of CPU nodes (all unrealized), through a cached
 * program when the graph's structure was seen before.
 * @param roots the nodes to realize
 */
export function realizeOnCpu(roots: readonly Node[]): void {
  // huge graphs, and data not on the host (jit's placeholders, device data), run directly
  const nodes = pendingNodes(roots);
  // debugNans (which captures sites) needs the user's nodes in the kernels: no cached programs
  if (nodes.length > MAX_NODES || capturingSites() || nodes.some((n) => n.op === "buffer")) {
    return runKernels(schedule(roots));
  }
  const { leaves, key } = describe(nodes, roots);
  if (leaves.some((l) => l.buffer === undefined)) return runKernels(schedule(roots));
  let entry = programs.get(key);
  if (entry === undefined) {
    stats.misses++;
    entry = compile(nodes, leaves, roots);
    if (programs.size >= MAX_PROGRAMS) programs.delete(programs.keys().next().value!);
  } else {
    stats.hits++;
    programs.delete(key);
  }
  programs.set(key, entry);
  if (entry === null) return runKernels(schedule(roots));
  let buffers;
  try {
    buffers = entry.program(leaves.map((l) => l.buffer!));
  } catch (e) {
    // the kernels ran on copies: an index error names the user's gather (realize's gatherError)
    const at = e instanceof IndexRangeError ? entry.sites.get(e.site) : undefined;
    if (at === undefined) throw e;
    const { index, extent } = e as IndexRangeError;
    throw new IndexRangeError(index, extent, nodes[at].id);
  }
  entry.outputs.forEach((i, o) => nodes[i].setBuffer(buffers[o]));
}

/**
 * How often eager realization reused a compiled program (`hits`) or built
 * one (`misses`), since start (for tests and benchmarks).
 * @returns the counts
 */
export function eagerProgramStats(): { hits: number; misses: number } {
  return { ...stats };
}
