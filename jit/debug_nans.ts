/**
 * `debugNans`: like JAX's `jax_debug_nans`, checks the output of every CPU
 * kernel (JS and Wasm tiers, eager and jit) for NaN and ±Infinity and throws
 * naming the primitive that first produced one and the user's line that
 * built it. Off by default; when off, node creation pays one flag check and
 * kernels nothing. When on, every node records its call site (a stack), and
 * eager realization skips its cached programs, so it is for debugging runs.
 *
 * To find the op inside a fused kernel whose output holds a NaN, the
 * kernel's graph is rebuilt over the same input buffers and each op is run
 * on its own, in order, until one's output holds it.
 *
 * NOTE: WebGPU kernels are not checked (their outputs stay on the device);
 * run the computation on the CPU to find the op.
 * @module
 */
import type { DataArray } from "../core/ir/dtype.ts";
import { userFrame } from "../core/ir/errors.ts";
import { setCaptureSites, siteOf } from "../core/ir/ir.ts";
import { Node } from "../core/ir/ir.ts";
import type { OpName } from "../core/ops/registry.ts";
import type { Kernel } from "./kernel.ts";
import { runKernels, setOutputCheck } from "./runtime/cpu/kernels.ts";
import { schedule } from "./schedule.ts";
import { envVar } from "./runtime/_env.ts";

/** Views: their outputs only repeat their input's values, so they never make a NaN. */
const movementOps: ReadonlySet<OpName> = new Set<OpName>([
  "reshape",
  "permute",
  "expand",
  "pad",
  "slice",
  "flip",
]);

let on = false;

/**
 * Turns the NaN/Inf check of every kernel's output on or off (also on when
 * the environment variable `LATHE_DEBUG_NANS=1` is set at start).
 * @param enable true to check, false to stop
 * @returns whether it was on before
 * @example Find the op that made a NaN
 * ```ts
 * import { debugNans, tensor } from "@lathe/lathe";
 * import { assertThrows } from "@std/assert";
 * debugNans(true);
 * try {
 *   const x = tensor([1, -1]);
 *   assertThrows(() => x.log().mul(2).dataSync(), RangeError, "log() produced NaN");
 * } finally {
 *   debugNans(false);
 * }
 * ```
 */
export function debugNans(enable: boolean): boolean {
  const before = on;
  on = enable;
  setCaptureSites(enable);
  setOutputCheck(enable ? checkKernel : undefined);
  return before;
}

if (envVar("LATHE_DEBUG_NANS") === "1") debugNans(true);

function firstBad(values: DataArray): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return i;
  }
  return -1;
}

/** Checks one kernel's output (float outputs only); throws on NaN/Inf. */
function checkKernel(kernel: Kernel, inputs: readonly DataArray[], out: DataArray): void {
  if (kernel.dtype === "int32" || kernel.dtype === "bool" || firstBad(out) < 0) return;
  const wasOn = on;
  on = false;
  setCaptureSites(false);
  setOutputCheck(undefined);
  let culprit: { node: Node; at: number; values: DataArray } | undefined;
  try {
    culprit = findCulprit(kernel, inputs);
  } finally {
    debugNans(wasOn);
  }
  const node = culprit?.node ?? kernel.output;
  const values = culprit?.values ?? out;
  const at = culprit?.at ?? firstBad(out);
  const site = siteOf(node);
  const where = site === undefined ? undefined : userFrame(site.at);
  const fromData = inputs.some((x) => firstBad(x) >= 0)
    ? ": an input already held NaN or Infinity (it came in with the data)"
    : "";
  throw new RangeError(
    `${node.op}() produced ${Number.isNaN(values[at]) ? "NaN" : values[at]} at flat index ${at} ` +
      `of its ${node.dtype}[${node.shape.join(", ")}] output (debugNans)${
        where === undefined ? "" : `: built at ${where}`
      }${fromData}`,
  );
}

/**
 * Rebuilds the kernel's graph over its input buffers and runs each op alone,
 * in order: the first whose output holds NaN/Inf.
 */
function findCulprit(
  kernel: Kernel,
  inputs: readonly DataArray[],
): { node: Node; at: number; values: DataArray } | undefined {
  const copies = new Map<Node, Node>();
  kernel.inputs.forEach((n, i) => copies.set(n, Node.fromBuffer(inputs[i], n.dtype, n.shape)));
  const order: [Node, Node][] = [];
  const copy = (n: Node): Node => {
    let c = copies.get(n);
    if (c !== undefined) return c;
    if (n.src.length === 0) return n; // a constant (or an already realized leaf)
    // deno-lint-ignore no-explicit-any
    c = Node.make(n.op, n.dtype, n.shape, n.src.map(copy), n.arg as any, "cpu");
    copies.set(n, c);
    order.push([n, c]);
    return c;
  };
  copy(kernel.output);
  for (const [original, c] of order) {
    if (movementOps.has(original.op) || original.dtype === "int32" || original.dtype === "bool") {
      continue;
    }
    runKernels(schedule([c]));
    const at = firstBad(c.buffer!);
    if (at >= 0) return { node: original, at, values: c.buffer! };
  }
  return undefined;
}
