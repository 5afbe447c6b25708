/**
 * Devices: where a tensor's data lives and its kernels run. `cpu` is always
 * there; `webgpu` runs the same fused kernels as WGSL compute shaders once
 * `await device("webgpu")` found an adapter. Tensors move explicitly
 * (`x.to(dev)`, `await toCpu(x)`), and ops mixing devices raise an error.
 * GPU values are read asynchronously: `await x.data()`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { type Device, isRealized, isTracing, Node } from "./ir/ir.ts";
import { isStaging, wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { constant } from "./ops/build.ts";
import { fmtValue } from "./ir/errors.ts";
import { deviceReady, hostFallback, initDevice, readAsync, realize } from "../jit/realize.ts";
import { flatten, type Tree, unflatten } from "./tree.ts";
import type { AdapterOptions } from "../jit/runtime/webgpu/_open.ts";

export type { AdapterOptions, Device };

const known: readonly Device[] = ["cpu", "webgpu"];

/** Options of `device()`. */
export interface DeviceOptions {
  /** Fall back to `cpu` (with a console warning) when the device is unavailable (default true). */
  fallback?: boolean;
  /** A WebGPU entry point to use instead of `navigator.gpu` (e.g. from the npm `webgpu` package). */
  gpu?: GPU;
  /**
   * Options of the adapter request, e.g. `{ featureLevel: "compatibility" }`
   * for Dawn's OpenGL ES backend (Node/Bun with the npm `webgpu` package).
   */
  adapter?: AdapterOptions;
}

/**
 * Opens a device: `await device("webgpu")` gives `"webgpu"` when an adapter
 * exists, else `"cpu"` with a warning (or an error with `fallback: false`).
 * @param name the device wanted
 * @param options fallback, the WebGPU entry point and adapter options
 * @returns the device to place tensors on
 * @example GPU if available, else CPU
 * ```ts
 * import { device, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const dev = await device("webgpu");
 * const x = tensor([1, 2, 3], { device: dev });
 * assertEquals(Array.from(await x.mul(2).data()), [2, 4, 6]);
 * ```
 */
export async function device(name: Device, options: DeviceOptions = {}): Promise<Device> {
  checkOptions("device", options, ["fallback", "gpu", "adapter"]);
  const wanted = checkName("device", name);
  const failure = await initDevice(wanted, { gpu: options.gpu, adapter: options.adapter });
  if (failure === undefined) return wanted;
  if (options.fallback === false) {
    throw new Error(
      `device() cannot open ${wanted}: ${failure}: use "cpu", or run where WebGPU works`,
    );
  }
  console.warn(`Lathe: ${wanted} is unavailable (${failure}): using the cpu`);
  return "cpu";
}

/**
 * The devices available here (opening each one).
 * @returns `["cpu"]`, plus `"webgpu"` when an adapter exists
 * @example
 * ```ts
 * import { devices } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * assert((await devices()).includes("cpu"));
 * ```
 */
export async function devices(): Promise<Device[]> {
  const found: Device[] = [];
  for (const d of known) if (await initDevice(d) === undefined) found.push(d);
  return found;
}

function checkName(op: string, value: unknown): Device {
  if (known.includes(value as Device)) return value as Device;
  throw new TypeError(
    `${op}() expected a device: found ${fmtValue(value)}: use one of ${known.join(", ")}`,
  );
}

/**
 * Checks a `device` option: a known device, opened first.
 * @param op the operation, for messages
 * @param value what the user passed (`undefined`: cpu)
 * @returns the device
 */
export function checkDevice(op: string, value: unknown): Device {
  if (value === undefined) return "cpu";
  const d = checkName(op, value);
  if (!deviceReady(d)) {
    throw new Error(`${op}() cannot use ${d} before it is opened: call await device("${d}") first`);
  }
  return d;
}

/**
 * A copy of `x` on `target` (`x` itself when already there). Moving to the
 * GPU is immediate; reading GPU memory back is async: use `toCpu`.
 * @param x the tensor
 * @param target the device
 * @returns the tensor on `target`
 */
export function toDevice(x: Tensor, target: Device): Tensor {
  const to = checkDevice("to", target);
  const node = x.node;
  if (node.device === to) return x;
  // a realized tensor is a constant to transforms; a pending one may hang on a traced input
  if ((isTracing() || isStaging()) && !isRealized(node) && node.op !== "const") {
    throw new Error(
      `to() cannot move a tensor between devices inside grad or jit: its gradient would be lost: ` +
        `move the inputs to ${to} before calling the transformed function`,
    );
  }
  if (node.op === "const") return wrap(constant(node.arg as number, node.dtype, node.shape, to));
  if (to === "cpu") {
    if (node.buffer !== undefined) {
      return wrap(Node.fromBuffer(node.buffer, node.dtype, node.shape));
    }
    throw new Error(
      `to("cpu") cannot read ${node.device} memory synchronously: use await toCpu(x), or await x.data() for the values`,
    );
  }
  const values = x.dataSync();
  return wrap(Node.fromBuffer(values, node.dtype, node.shape, to));
}

/**
 * Cpu copies of the tensors of a tree (a tensor, or arrays and plain objects
 * of tensors, numbers and strings), read from the GPU if needed: one `await`
 * before printing or `item()`. The GPU work is submitted together and read
 * in parallel.
 * @param x the tensor or tree
 * @returns `x` itself when all its tensors are on the cpu; else `x` rebuilt
 * with cpu copies (object keys sorted, as `tree.map` does)
 * @example One tensor
 * ```ts
 * import { device, tensor, toCpu } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([1, 2], { device: await device("webgpu") }).add(1);
 * assertEquals((await toCpu(x)).toArray(), [2, 3]);
 * ```
 * @example Printing from any device
 * ```ts
 * import { device, tensor, toCpu } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const dev = await device("webgpu");
 * const loss = tensor([0.25], { device: dev }).sum();
 * const [label, value] = await toCpu(["loss", loss]);
 * assertEquals(`${label} ${value}`, "loss tensor(0.2500)");
 * ```
 */
export async function toCpu<T extends Tree>(x: T): Promise<T> {
  const { leaves, def } = flatten(x);
  if (leaves.every((t) => t.node.device === "cpu")) return x;
  const onDevice = leaves.filter((t) => t.node.device !== "cpu").map((t) => t.node);
  await hostFallback(onDevice);
  realize(onDevice);
  const copies = await Promise.all(leaves.map(async (t) => {
    if (t.node.device === "cpu") return t;
    const values = await readAsync(t.node);
    return wrap(Node.fromBuffer(values, t.node.dtype, t.node.shape));
  }));
  return unflatten<T>(def, copies);
}

/** The error for reading GPU values synchronously. */
export function syncReadError(on: Device): Error {
  return new Error(
    `Cannot read a ${on} tensor synchronously (dataSync, item, toArray, printing): ` +
      `GPU memory is read asynchronously: use await t.data() (or await toCpu(t))`,
  );
}
