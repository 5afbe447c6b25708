/**
 * Realization, the one call from the frontend into the kernels layer: the
 * pending graph below the nodes goes to the backend of their device (the
 * backend interface, `backend.ts`). The WebGPU backend is loaded on demand
 * (`initDevice`).
 * @module
 */
import { allocate, type DataArray, type DType } from "../core/ir/dtype.ts";
import { type LinalgArgs, runLinalg } from "../core/ops/linalg.ts";
import {
  type CallSite,
  type Device,
  isRealized,
  type Node,
  pendingNodes,
  siteOf,
} from "../core/ir/ir.ts";
import { userFrame } from "../core/ir/errors.ts";
import { stageBuffer } from "./runtime/cpu/kernels.ts";
import { IndexRangeError } from "./_index_error.ts";
import type { Backend } from "./runtime/backend.ts";
import { cpu } from "./runtime/cpu/mod.ts";
import { webgpuBackend } from "./runtime/webgpu/mod.ts";
import type * as WebGpu from "./runtime/webgpu/device.ts";

let webgpu: Backend | undefined;

/**
 * Computes the buffers of `nodes` (and of what they need). On the GPU this
 * only dispatches: reading the values is `readAsync`.
 * @param nodes the nodes to realize; realized ones are skipped
 */
export function realize(nodes: readonly Node[]): void {
  const pending = nodes.filter((n) => !isRealized(n));
  if (pending.length === 0) return;
  for (const n of pending) if (n.donated !== undefined) throw new Error(n.donated);
  try {
    realizePending(pending);
  } catch (e) {
    throw gatherError(e, gathersBelow(pending));
  }
}

/** The gathers of the jitted GPU programs that computed these outputs (their errors surface when read). */
const programGathers = new WeakMap<Node, readonly IndexSite[]>();

/**
 * Remembers the gathers of the jitted GPU program that computed `node`, so
 * that an index error found when it is read names them (`readAsync`).
 * @param node an output of the program
 * @param gathers the program's gathers (`gathersBelow` of its trace)
 */
export function keepGathers(node: Node, gathers: readonly IndexSite[]): void {
  if (gathers.length > 0) programGathers.set(node, gathers);
}

/** A user's gather or scatter (`take`, `gather`, `scatterAdd`, …): where it was called and the size of the axis it indexes. */
export interface IndexSite {
  /** The op and the line that called it. */
  site: CallSite;
  /** The size of the indexed axis. */
  extent: number;
  /** The node's id (what a kernel's `IndexRangeError` reports). */
  id: number;
}

/**
 * The user's gathers and scatters pending below `roots`, with their axis
 * sizes (a jitted program keeps those of its trace for `gatherError`).
 * @param roots the nodes about to be computed
 * @returns their gathers and scatters that recorded a call site
 */
export function gathersBelow(roots: readonly Node[]): IndexSite[] {
  return pendingNodes(roots).flatMap((n) => {
    // the outputs of a jitted GPU program it reads may not be checked yet
    const kept = n.src.flatMap((s) => programGathers.get(s) ?? []);
    const site = n.op === "gather" || n.op === "scatterAdd" ? siteOf(n) : undefined;
    // a gather indexes its source's axis, a scatter its own
    const extent = (n.op === "gather" ? n.src[0] : n).shape[n.arg as number];
    return site === undefined ? kept : [{ site, extent, id: n.id }, ...kept];
  });
}

/**
 * A kernel's out-of-range index error, naming the user's gather that computed
 * the index (the node id the kernel reports) and the line that called it;
 * other errors pass through as they are.
 * @param e what the kernel threw
 * @param gathers the gathers the kernels computed (`gathersBelow`)
 * @returns the error to throw
 */
export function gatherError(e: unknown, gathers: readonly IndexSite[]): unknown {
  if (!(e instanceof IndexRangeError)) return e;
  const { index, extent } = e;
  // NOTE: by id, not by axis size: two gathers over axes of one size are told apart (a node
  // made by a rewrite, without a site of its own, is named only where its axis size is unique)
  const sized = gathers.filter((g) => g.extent === extent);
  const found = gathers.find((g) => g.id === e.site) ?? (sized.length === 1 ? sized[0] : undefined);
  if (found === undefined) return e;
  const { site } = found;
  const at = userFrame(site.at);
  return new RangeError(
    `${site.op}() index ${index} is out of range for an axis of size ${extent}: indices ` +
      `must be in [${-extent}, ${extent - 1}]${
        at === undefined ? "" : ` (${site.op}() called at ${at})`
      }`,
  );
}

function realizePending(pending: readonly Node[]): void {
  const onCpu = pending.filter((n) => n.device === "cpu");
  if (onCpu.length > 0) cpu.realize(onCpu);
  if (onCpu.length < pending.length) {
    backendOf("webgpu").realize(pending.filter((n) => n.device !== "cpu"));
  }
}

/**
 * Hands a new CPU tensor's data to the backend early (its resident copy in
 * Wasm memory is made now rather than on first use).
 * @param node a realized CPU node
 */
export function stageNode(node: Node): void {
  if (node.device === "cpu" && node.buffer !== undefined) stageBuffer(node.buffer);
}

/**
 * The backend of a device (throws before `initDevice("webgpu")`).
 * @param device the device
 * @returns its backend
 */
export function backendOf(device: Device): Backend {
  if (device === "cpu") return cpu;
  if (webgpu === undefined) {
    throw new Error('WebGPU is not initialized: call await device("webgpu") first');
  }
  return webgpu;
}

/**
 * Realizes a node and reads its values (on any device).
 * @param node the node
 * @returns its values
 */
export async function readAsync(node: Node): Promise<DataArray> {
  // a GPU kernel's index error surfaces when its output is read: keep its gathers until then
  const gathers = node.device === "cpu"
    ? []
    : isRealized(node)
    ? programGathers.get(node) ?? []
    : gathersBelow([node]);
  await hostFallback([node]);
  realize([node]);
  if (node.device === "cpu" || node.buffer !== undefined) return node.buffer!;
  try {
    return await backendOf(node.device).read(node);
  } catch (e) {
    throw gatherError(e, gathers);
  }
}

/**
 * The host fallback of the `linalg` routines on a device: before an asynchronous read realizes
 * `roots`, each `linalg` node below them (operands first) reads its operands back, runs its
 * float64 host form and keeps the result as host data, which the device uploads on first use.
 * @param roots the nodes about to be realized
 */
export async function hostFallback(roots: readonly Node[]): Promise<void> {
  for (const n of pendingNodes(roots)) {
    if (n.op !== "linalg" || n.device === "cpu" || isRealized(n)) continue;
    const ins = await Promise.all(n.src.map((s) => readAsync(s)));
    const out = allocate(n.dtype, n.shape.reduce((a, b) => a * b, 1));
    runLinalg(n.arg as LinalgArgs, ins, n.src.map((s) => s.shape), out);
    n.setBuffer(out);
  }
}

/**
 * Makes a device usable, loading its backend on first use.
 * @param device the device
 * @param options the WebGPU entry point to use instead of `navigator.gpu`
 * @returns `undefined` when ready, else why the device is unavailable
 */
export async function initDevice(
  device: Device,
  options: WebGpu.WebGpuOptions = {},
): Promise<string | undefined> {
  if (device === "cpu") return undefined;
  const backend = await import("./runtime/webgpu/device.ts");
  const failure = await backend.initWebGpu(options);
  if (failure === undefined) webgpu = webgpuBackend(backend, realize);
  return failure;
}

/** Why `device` cannot hold `dtype` (its backend says so), or `undefined` when it can. */
export function dtypeGap(device: Device, dtype: DType): string | undefined {
  return (device === "cpu" ? cpu : webgpu)?.dtypeGap(dtype);
}

/** Whether a device is ready for tensors (`cpu` always; `webgpu` after `initDevice`). */
export function deviceReady(device: Device): boolean {
  return device === "cpu" || webgpu !== undefined;
}
