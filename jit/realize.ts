/**
 * Realization, the one call from the frontend into the kernels layer: the
 * pending graph below the nodes goes to the backend of their device (the
 * backend interface, `backend.ts`). The WebGPU backend is loaded on demand
 * (`initDevice`).
 * @module
 */
import type { DataArray, DType } from "../core/dtype.ts";
import { type Device, isRealized, type Node } from "../core/ir.ts";
import type { Backend } from "./backend.ts";
import { cpu } from "./cpu.ts";
import { webgpuBackend } from "./_jit_webgpu.ts";
import type * as WebGpu from "./backend_webgpu.ts";

let webgpu: Backend | undefined;

/**
 * Computes the buffers of `nodes` (and of what they need). On the GPU this
 * only dispatches: reading the values is `readAsync`.
 * @param nodes the nodes to realize; realized ones are skipped
 */
export function realize(nodes: readonly Node[]): void {
  const pending = nodes.filter((n) => !isRealized(n));
  if (pending.length === 0) return;
  const onCpu = pending.filter((n) => n.device === "cpu");
  if (onCpu.length > 0) cpu.realize(onCpu);
  if (onCpu.length < pending.length) {
    backendOf("webgpu").realize(pending.filter((n) => n.device !== "cpu"));
  }
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
  realize([node]);
  if (node.device === "cpu" || node.buffer !== undefined) return node.buffer!;
  return await backendOf(node.device).read(node);
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
  const backend = await import("./backend_webgpu.ts");
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
