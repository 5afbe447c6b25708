/**
 * Buffer donation in a compiled program (`jit(f, { donate })`): which
 * kernel may write its returned output straight into a donated argument's
 * buffer. Decided once, at schedule time, from the program's liveness: a
 * kernel may take argument `a`'s buffer only when no later kernel reads `a`
 * and the kernel itself reads `a` only at the element it writes (so each
 * element is read before it is overwritten, on every tier).
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import type { IExpr, Kernel, LoopVar, VExpr } from "./kernel.ts";
import { sizeOf } from "../core/ir/shape.ts";

/** A linear index: coefficient per loop variable, plus a constant; undefined when not linear. */
type Linear = { vars: Map<string, number>; c: number } | undefined;

function linear(e: IExpr): Linear {
  if (typeof e === "number") return { vars: new Map(), c: e };
  if ("v" in e) return { vars: new Map([[e.v, 1]]), c: 0 };
  if (e.op === "index" || e.op === "/" || e.op === "%") return undefined;
  const [a, b] = [linear(e.a), linear(e.b)];
  if (a === undefined || b === undefined) return undefined;
  if (e.op === "*") {
    // linear only when one side is a constant
    const [k, x] = a.vars.size === 0 ? [a.c, b] : b.vars.size === 0 ? [b.c, a] : [NaN, a];
    if (Number.isNaN(k)) return undefined;
    return { vars: new Map([...x.vars].map(([v, n]) => [v, n * k])), c: x.c * k };
  }
  const sign = e.op === "-" ? -1 : 1;
  const vars = new Map(a.vars);
  for (const [v, n] of b.vars) vars.set(v, (vars.get(v) ?? 0) + sign * n);
  return { vars, c: a.c + sign * b.c };
}

/**
 * Whether `index` is the kernel's own output position: the flat position
 * `p`, or the loops' row-major position (`Σ loop · stride`).
 * @param index an index expression of a kernel
 * @param loops the kernel's loops
 * @returns true when provably the output position
 */
export function isOwnPosition(index: IExpr, loops: readonly LoopVar[]): boolean {
  const lin = linear(index);
  if (lin === undefined || lin.c !== 0) return false;
  const used = [...lin.vars].filter(([, n]) => n !== 0);
  if (used.length === 1 && used[0][0] === "p" && used[0][1] === 1) return true;
  // a loop of extent 1 is always 0: its coefficient does not matter
  let stride = 1;
  const want = new Map<string, number>();
  for (let d = loops.length - 1; d >= 0; d--) {
    if (loops[d].extent > 1) want.set(loops[d].v, stride);
    stride *= loops[d].extent;
  }
  const ones = new Set(loops.filter((l) => l.extent === 1).map((l) => l.v));
  const varying = used.filter(([v]) => !ones.has(v));
  return varying.length === want.size && varying.every(([v, n]) => want.get(v) === n);
}

/** Whether every load of input `input` in `e` is at the output position (and none is in a reduction). */
function readsOnlyOwn(e: VExpr, input: number, loops: readonly LoopVar[]): boolean {
  switch (e.k) {
    case "load":
      return (e.input !== input || isOwnPosition(e.index, loops)) && ownIndices(e.index, input);
    case "const":
    case "acc":
      return true;
    case "alu":
      return e.args.every((a) => readsOnlyOwn(a, input, loops));
    case "cast":
      return readsOnlyOwn(e.x, input, loops);
    case "pad":
      return e.conds.every((c) => ownIndices(c.i, input)) && readsOnlyOwn(e.x, input, loops);
    case "reduce":
      // NOTE: a row reduction may store into the output row before its element reads are done
      // (the JS softmax's row reuse): never alias a kernel with a reduction that reads `input`
      return !hasLoad(e.body, input);
    default:
      return e satisfies never;
  }
}

/** Whether an index expression reads no input (a gather's index reads one). */
function ownIndices(i: IExpr, input: number): boolean {
  if (typeof i === "number" || "v" in i) return true;
  if (i.op === "index") return !hasLoad(i.x, input);
  return ownIndices(i.a, input) && ownIndices(i.b, input);
}

function hasLoad(e: VExpr, input: number): boolean {
  switch (e.k) {
    case "load":
      return e.input === input || !ownIndices(e.index, input);
    case "const":
    case "acc":
      return false;
    case "alu":
      return e.args.some((a) => hasLoad(a, input));
    case "cast":
      return hasLoad(e.x, input);
    case "pad":
      return hasLoad(e.x, input) || e.conds.some((c) => !ownIndices(c.i, input));
    case "reduce":
      return hasLoad(e.body, input);
    default:
      return e satisfies never;
  }
}

/** Whether kernel `k` may write its output into the buffer of its input `node` (or one it does not read). */
function writableOver(k: Kernel, node: Node): boolean {
  const input = k.inputs.indexOf(node);
  if (input < 0) return true;
  if (k.matmul !== undefined && (k.matmul.a.input === input || k.matmul.b.input === input)) {
    return false;
  }
  return readsOnlyOwn(k.body, input, k.loops);
}

/**
 * Plans which kernels write into donated arguments' buffers: a loop or
 * matmul kernel whose output the program returns takes the buffer of a
 * donated argument of the same dtype and shape when no later kernel reads
 * that argument and the kernel reads it only at the element it writes.
 * Each argument is taken at most once.
 * @param kernels the schedule, in run order
 * @param args the program's argument placeholders
 * @param outputs the nodes the program returns
 * @param donated indices (into `args`) of the donated arguments
 * @returns for each kernel, the argument whose buffer it writes, or -1
 */
export function planDonation(
  kernels: readonly Kernel[],
  args: readonly Node[],
  outputs: readonly Node[],
  donated: ReadonlySet<number>,
): number[] {
  const plan = kernels.map(() => -1);
  if (donated.size === 0) return plan;
  const returned = new Set(outputs);
  const lastRead = new Map<Node, number>();
  kernels.forEach((k, i) => k.inputs.forEach((n) => lastRead.set(n, i)));
  const taken = new Set<number>();
  kernels.forEach((k, i) => {
    if ((k.kind !== "loop" && k.kind !== "matmul") || !returned.has(k.output)) return;
    const size = sizeOf(k.shape);
    for (const a of donated) {
      const arg = args[a];
      if (taken.has(a) || arg.dtype !== k.dtype || sizeOf(arg.shape) !== size) continue;
      if (arg.shape.length !== k.shape.length || arg.shape.some((d, j) => d !== k.shape[j])) {
        continue;
      }
      // liveness: a later kernel reading the argument would see the output instead
      if ((lastRead.get(arg) ?? -1) > i || !writableOver(k, arg)) continue;
      plan[i] = a;
      taken.add(a);
      return;
    }
  });
  return plan;
}

/**
 * Whether a call may write donated argument `a`'s buffer: `a` is one
 * (`a >= 0`), the buffer is passed once, and the program did not capture it
 * as a constant (one tensor passed twice, a closed-over table).
 * @param buffers the call's argument buffers
 * @param a the argument, or -1
 * @param captured whether a buffer is one of the program's constants
 * @returns the buffer, or undefined
 */
export function donatedBuffer<B>(
  buffers: readonly B[],
  a: number | undefined,
  captured: (buffer: B) => boolean,
): B | undefined {
  if (a === undefined || a < 0) return undefined;
  const b = buffers[a];
  return buffers.indexOf(b) === buffers.lastIndexOf(b) && !captured(b) ? b : undefined;
}
