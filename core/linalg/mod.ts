/**
 * `lt.linalg`: linear algebra mirroring torch.linalg, float32 and float64, batched over leading
 * axes, with gradients. Decompositions run as float64 host routines on the cpu; on webgpu they
 * are a host fallback, computed when a value below them is read asynchronously (`await
 * x.data()`, `toCpu`), and not available inside `jit` on webgpu.
 * @module
 */
export * from "./solve.ts";
export * from "./decomp.ts";
export * from "./misc.ts";
