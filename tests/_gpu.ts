// Test helper: what WebGPU this machine has, and suites that run or skip with a
// logged note accordingly. Every GPU test file gates on it, so the suite passes
// (or skips, saying why) on (a) a machine with no adapter, (b) an adapter
// without shader-f16 (float16 suites skip) and (c) lavapipe, Mesa's software
// Vulkan driver (everything runs; it proves correctness, not speed).
import { describe } from "@std/testing/bdd";
import * as lt from "../mod.ts";

/** What the WebGPU adapter offers here. */
export interface GpuSupport {
  /** Lathe opens a webgpu device. */
  readonly adapter: boolean;
  /** The adapter has shader-f16 (float16 tensors on webgpu). */
  readonly f16: boolean;
  /** A software adapter (lavapipe/llvmpipe, or any the runtime marks as a fallback). */
  readonly software: boolean;
  /** The adapter's description (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"), or "" without one. */
  readonly description: string;
}

async function probe(): Promise<GpuSupport> {
  const adapter = (await lt.devices()).includes("webgpu");
  const found = adapter ? await navigator.gpu.requestAdapter() : null;
  const info = (found as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } } | null)?.info;
  const description = info?.description ?? "";
  return {
    adapter,
    f16: found?.features.has("shader-f16") ?? false,
    software: /llvmpipe|lavapipe|swiftshader/i.test(description) ||
      info?.isFallbackAdapter === true,
    description,
  };
}

/** This machine's WebGPU support, probed once. */
export const gpu: GpuSupport = await probe();

const noted = new Set<string>();
function note(text: string): void {
  if (!noted.has(text)) console.log(text);
  noted.add(text);
}

/**
 * `describe` when the machine has what the suites of `file` need, else
 * `describe.skip` with a note saying why (logged once per file).
 * @param file the test file's name, for the note
 * @param needs "adapter" (any WebGPU device) or "f16" (one with shader-f16)
 */
export function gpuSuite(file: string, needs: "adapter" | "f16"): typeof describe.skip {
  if (!gpu.adapter) {
    note(`${file}: no WebGPU adapter here: the WebGPU tests are skipped`);
    return describe.skip;
  }
  if (needs === "f16" && !gpu.f16) {
    note(
      `${file}: the WebGPU adapter (${gpu.description || "unnamed"}) lacks shader-f16: ` +
        "the float16-on-webgpu tests are skipped",
    );
    return describe.skip;
  }
  if (gpu.software) {
    note(`${file}: WebGPU on a software adapter (${gpu.description}): correctness only`);
  }
  return describe;
}
