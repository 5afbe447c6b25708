// Preload for tests/gpu_skips_test.ts: makes this process look like a machine
// with no WebGPU adapter (LATHE_TEST_GPU=none) or with an adapter that lacks
// shader-f16 (LATHE_TEST_GPU=no-f16), by wrapping navigator.gpu.requestAdapter.
const mode = Deno.env.get("LATHE_TEST_GPU");
const entry = (globalThis.navigator as { gpu?: GPU }).gpu;
if (entry !== undefined && (mode === "none" || mode === "no-f16")) {
  const request = entry.requestAdapter.bind(entry);
  entry.requestAdapter = async (options?: GPURequestAdapterOptions) => {
    if (mode === "none") return null;
    const adapter = await request(options);
    if (adapter === null) return null;
    const features = new Set([...adapter.features].filter((f) => f !== "shader-f16"));
    return new Proxy(adapter, {
      get(target, key) {
        if (key === "features") return features;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
}
