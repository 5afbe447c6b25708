/**
 * Opening a WebGPU device: the entry point (`navigator.gpu`, or a `GPU`
 * object such as the npm `webgpu` package's on Node and Bun), the adapter
 * request (e.g. `featureLevel: "compatibility"` for OpenGL ES backends) and
 * the limits the generated kernels need, read from the adapter rather than
 * assumed: a compatibility-mode device starts with 128 invocations per
 * workgroup and 4 storage buffers per stage unless more are requested.
 * @module
 */
import { WG } from "../../codegen/wgsl/_render.ts";
import { quietXdgRuntimeDir } from "../_env.ts";

/** Adapter request options, with the feature level the runtime's own types may lack. */
export interface AdapterOptions extends GPURequestAdapterOptions {
  /** `"compatibility"` accepts adapters (e.g. OpenGL ES) that cannot do all of core WebGPU. */
  featureLevel?: "core" | "compatibility";
}

/** How to reach WebGPU: `navigator.gpu` by default, or a `GPU` object (Node/Bun: the npm `webgpu` package). */
export interface WebGpuOptions {
  /** The entry point to use instead of `navigator.gpu`. */
  readonly gpu?: GPU;
  /** Options of `requestAdapter` (default: none). */
  readonly adapter?: AdapterOptions;
}

/** Limits requested at the adapter's value, with the least each must be for the kernels. */
const NEEDED: ReadonlyArray<readonly [keyof GPUSupportedLimits & string, number]> = [
  ["maxStorageBuffersPerShaderStage", 4], // the WGSL renderer splits kernels to fit
  ["maxStorageBufferBindingSize", 1 << 20],
  ["maxBufferSize", 1 << 20],
  ["maxComputeInvocationsPerWorkgroup", WG], // reductions: WG threads; matmul: 16 × 16
  ["maxComputeWorkgroupSizeX", WG],
  ["maxComputeWorkgroupSizeY", 16],
  ["maxComputeWorkgroupStorageSize", 8192],
];

/**
 * NOTE: each device holds its entry point and adapter: Dawn (the npm `webgpu`
 * package) tears its instance down when the `GPU` object is collected, and the
 * device dies with it (a native crash, not an error).
 */
const owners = new WeakMap<GPUDevice, { gpu: GPU; adapter: GPUAdapter }>();

/**
 * Requests an adapter and a device with the limits the kernels need.
 * @param options the entry point and adapter options
 * @returns the device, or why WebGPU is unavailable
 */
export async function openDevice(options: WebGpuOptions): Promise<GPUDevice | string> {
  const gpu = options.gpu ?? (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (gpu === undefined) return "this runtime has no navigator.gpu";
  if (options.gpu === undefined) quietXdgRuntimeDir();
  const adapter = await gpu.requestAdapter(options.adapter);
  if (adapter === null) return "no WebGPU adapter was found";
  const limits = adapter.limits as unknown as Record<string, number>;
  const requiredLimits: Record<string, number> = {};
  for (const [name, least] of NEEDED) {
    if (!(limits[name] >= least)) {
      return `the adapter's ${name} is ${limits[name]}: Lathe's kernels need at least ${least}`;
    }
    requiredLimits[name] = limits[name];
  }
  // float16 kernels need shader-f16 (without it, float16 tensors stay off this device)
  const half = adapter.features.has("shader-f16");
  const device = await adapter.requestDevice({
    requiredFeatures: half ? ["shader-f16"] : [],
    requiredLimits,
  });
  owners.set(device, { gpu, adapter });
  return device;
}
