// A worker (a fresh copy of the library, no WebGPU device open) that opens webgpu
// through an entry point whose adapter hides the shader-f16 feature, and posts back
// the errors for float16 on webgpu and whether float32 still works there.
import * as lt from "../mod.ts";

interface Scope {
  postMessage(message: unknown): void;
}

/** `navigator.gpu`, with adapters that do not list shader-f16. */
const gpu = {
  async requestAdapter(options?: GPURequestAdapterOptions) {
    const adapter = await navigator.gpu.requestAdapter(options);
    if (adapter === null) return null;
    const features = new Set([...adapter.features].filter((f) => f !== "shader-f16"));
    return new Proxy(adapter, {
      get(target, key) {
        if (key === "features") return features;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  },
} as unknown as GPU;
const failure = (f: () => unknown) =>
  Promise.resolve().then(f).then(() => "no error", (e) => String(e));
const given = await lt.device("webgpu", { gpu, fallback: false });
(globalThis as unknown as Scope).postMessage({
  given,
  created: await failure(() => lt.tensor([1], { dtype: "float16", device: "webgpu" })),
  moved: await failure(() => lt.tensor([1], { dtype: "float16" }).to("webgpu")),
  cast: await failure(() => lt.tensor([1], { device: "webgpu" }).astype("float16")),
  float32: Array.from(await lt.tensor([1, 2], { device: "webgpu" }).mul(2).data()),
});
