/**
 * `lt.linalg`: linear algebra mirroring torch.linalg, float32 and float64, batched over leading
 * axes, with gradients. Decompositions run as float64 host routines on the cpu.
 * @module
 */
export * from "./solve.ts";
export * from "./decomp.ts";
export * from "./misc.ts";
