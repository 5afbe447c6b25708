// Test helper: mulberry32, a small seeded uniform generator on [0, 1), so
// tests draw the same inputs on every run and runtime, and tensors drawn with it.
import * as lt from "../mod.ts";

/** A deterministic uniform generator in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of uniform values in [-1, 1) drawn with mulberry32(seed), float32 unless float64 is asked. */
export function uniformTensor(
  shape: readonly number[],
  seed: number,
  dtype: "float32" | "float64" = "float32",
): lt.Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => r() * 2 - 1);
  const array = dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data);
  return lt.tensor(array, { shape: [...shape], dtype });
}
