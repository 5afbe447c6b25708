/**
 * Random numbers, JAX style: a {@link Key} is an explicit, immutable value;
 * `split` makes independent keys, and every sampler takes one. The same key
 * always gives the same numbers, on every backend and JS engine: samples
 * come from Threefry-2x32 (20 rounds, as in JAX) on the host, with integer
 * math and deterministic float code, and are wrapped with `tensor()`.
 *
 * Element `i` of a sample depends only on the key and `i`, so
 * `normal(k, [10])` starts with `normal(k, [5])`. Use each key once: reusing
 * one for two samplers correlates them. For scripts, `generator(seed)` splits
 * for you; to replay PyTorch's numbers, use `torchGenerator(seed)`.
 *
 * @example Keys and samplers
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 *
 * const [wKey, bKey] = random.split(random.key(0));
 * const w = random.normal(wKey, [3, 2]);
 * assertEquals(w.shape, [3, 2]);
 * assertEquals(random.normal(wKey, [3, 2]).toArray(), w.toArray()); // same key, same numbers
 * assertEquals(random.uniform(bKey, [2], { low: -1, high: 1 }).dtype, "float32");
 * ```
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { tensor } from "./creation.ts";
import { allocate, type DType } from "./ir/dtype.ts";
import { checkShape, sizeOf } from "./ir/shape.ts";
import { fmtValue } from "./ir/errors.ts";
import { checkOptions } from "./_options.ts";
import { ndtr, ndtri } from "./_special.ts";
import { dtypeRange, finite, floatDType, mod64, openUniform } from "./_sampling.ts";
import { checkIntRange, TorchGenerator } from "./_torch_generator.ts";
import { blocks, checkKey, type Key, key, split } from "./_key.ts";

export { foldIn, Key, key, split } from "./_key.ts";
import * as cat from "./_categorical.ts";
export type { CategoricalOptions, MultinomialOptions } from "./_categorical.ts";

export type { TorchFloat, TorchFloatOptions, TorchGenerator } from "./_torch_generator.ts";

/** Options of the float samplers. */
export interface FloatOptions {
  /** float32 (default), float64 or float16. */
  dtype?: DType;
}

/** Options of `normal()`. */
export interface NormalOptions extends FloatOptions {
  /** The mean (default 0). */
  mean?: number;
  /** The standard deviation (default 1, >= 0). */
  std?: number;
}

/** Options of `uniform()`. */
export interface UniformOptions extends FloatOptions {
  /** The inclusive lower bound (default 0). */
  low?: number;
  /** The exclusive upper bound (default 1). */
  high?: number;
}

/** Options of `truncatedNormal()`. */
export interface TruncatedNormalOptions extends FloatOptions {
  /** The lower bound, in standard deviations (default -2). */
  lower?: number;
  /** The upper bound (default 2). */
  upper?: number;
}

/**
 * Normal samples (inverse-CDF of a Threefry uniform, deterministic everywhere).
 * @param key a key, used once
 * @param shape the output shape
 * @param options `dtype` (float32), `mean` (0), `std` (1)
 * @returns a new tensor
 * @example Initial weights
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const w = random.normal(random.key(1), [64, 32], { std: 0.02 });
 * assertEquals(w.shape, [64, 32]);
 * ```
 */
export function normal(key: Key, shape: readonly number[], options: NormalOptions = {}): Tensor {
  checkOptions("normal", options, ["dtype", "mean", "std"]);
  checkKey("normal", key);
  const s = checkShape("normal", shape);
  const dtype = floatDType("normal", options.dtype);
  const mean = finite("normal", "mean", options.mean ?? 0);
  const std = finite("normal", "std", options.std ?? 1);
  if (std < 0) throw new RangeError(`normal() expected std >= 0: found ${std}`);
  const out = allocate(dtype, sizeOf(s));
  blocks(key, out.length, (i, hi, lo) => {
    out[i] = mean + std * ndtri(openUniform(dtype, hi, lo));
  });
  return tensor(out, { dtype, shape: s });
}

/**
 * Uniform samples in [low, high).
 * @param key a key, used once
 * @param shape the output shape
 * @param options `dtype` (float32), `low` (0), `high` (1)
 * @returns a new tensor
 * @example In [-1, 1)
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * const u = random.uniform(random.key(0), [100], { low: -1, high: 1 });
 * assert(u.dataSync().every((v) => v >= -1 && v < 1));
 * ```
 */
export function uniform(key: Key, shape: readonly number[], options: UniformOptions = {}): Tensor {
  checkOptions("uniform", options, ["dtype", "low", "high"]);
  checkKey("uniform", key);
  const s = checkShape("uniform", shape);
  const dtype = floatDType("uniform", options.dtype);
  const low = finite("uniform", "low", options.low ?? 0);
  const high = finite("uniform", "high", options.high ?? 1);
  if (low >= high) {
    throw new RangeError(`uniform() expected low < high: found low=${low} and high=${high}`);
  }
  const out = allocate(dtype, sizeOf(s));
  const { first, last, round } = dtypeRange(low, high, dtype, true);
  blocks(key, out.length, (i, hi, lo) => {
    // 23 or 52 random mantissa bits give u in [0, 1), as jax.random.uniform
    const u = dtype !== "float64"
      ? ((hi ^ lo) >>> 9) * 2 ** -23
      : ((hi >>> 12) * 4294967296 + lo) * 2 ** -52;
    out[i] = Math.min(Math.max(round(low + u * (high - low)), first), last);
  });
  return tensor(out, { dtype, shape: s });
}

/**
 * Random integers in [low, high), as int32 (64 random bits each, so the
 * modulo bias is below 2^-32).
 * @param key a key, used once
 * @param shape the output shape
 * @param low the smallest value
 * @param high one past the largest value
 * @returns a new int32 tensor
 * @example Dice
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * const d = random.randint(random.key(3), [10], 1, 7);
 * assert(d.dataSync().every((v) => v >= 1 && v <= 6));
 * ```
 */
export function randint(key: Key, shape: readonly number[], low: number, high: number): Tensor {
  checkKey("randint", key);
  const s = checkShape("randint", shape);
  checkIntRange("randint", low, high);
  const out = new Int32Array(sizeOf(s));
  blocks(key, out.length, (i, hi, lo) => {
    out[i] = low + mod64(hi, lo, high - low);
  });
  return tensor(out, { dtype: "int32", shape: s });
}

/**
 * Booleans that are true with probability `p`.
 * @param key a key, used once
 * @param p the probability of true, in [0, 1]
 * @param shape the output shape (default: a scalar)
 * @returns a new bool tensor
 * @example Dropout mask
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const keep = random.bernoulli(random.key(0), 0.9, [4, 4]);
 * assertEquals(keep.dtype, "bool");
 * ```
 */
export function bernoulli(key: Key, p: number, shape: readonly number[] = []): Tensor {
  checkKey("bernoulli", key);
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(
      `bernoulli() expected a probability p in [0, 1]: found ${fmtValue(p)}`,
    );
  }
  const s = checkShape("bernoulli", shape);
  const out = new Uint8Array(sizeOf(s));
  blocks(key, out.length, (i, hi, lo) => {
    out[i] = ((hi ^ lo) >>> 0) * 2 ** -32 < p ? 1 : 0;
  });
  return tensor(out, { dtype: "bool", shape: s });
}

/**
 * A random permutation of 0..n-1 (Fisher-Yates, as int32).
 * @param key a key, used once
 * @param n the length
 * @returns a new int32 tensor of shape [n]
 * @example Shuffle indices
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const p = random.permutation(random.key(0), 5);
 * assertEquals([...p.dataSync()].sort(), [0, 1, 2, 3, 4]);
 * ```
 */
export function permutation(key: Key, n: number): Tensor {
  checkKey("permutation", key);
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31 - 1) {
    throw new RangeError(`permutation() expected a length n in [0, 2^31): found ${fmtValue(n)}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  // step i (from the end) swaps slot i with a slot j drawn from [0, i]
  blocks(key, n, (i, hi, lo) => {
    if (i === 0) return;
    const slot = n - i;
    const j = mod64(hi, lo, slot + 1);
    const saved = out[slot];
    out[slot] = out[j];
    out[j] = saved;
  });
  return tensor(out, { dtype: "int32", shape: [n] });
}

/**
 * Standard normal samples conditioned on [lower, upper] (inverse CDF, as
 * JAX's `truncated_normal`); the default ±2 is the usual weight init.
 * @param key a key, used once
 * @param shape the output shape
 * @param options `lower` (-2), `upper` (2), `dtype` (float32)
 * @returns a new tensor with every value in [lower, upper]
 * @example Bounded init
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * const t = random.truncatedNormal(random.key(0), [1000]);
 * assert(t.dataSync().every((v) => v >= -2 && v <= 2));
 * ```
 */
export function truncatedNormal(
  key: Key,
  shape: readonly number[],
  options: TruncatedNormalOptions = {},
): Tensor {
  checkOptions("truncatedNormal", options, ["dtype", "lower", "upper"]);
  checkKey("truncatedNormal", key);
  const s = checkShape("truncatedNormal", shape);
  const dtype = floatDType("truncatedNormal", options.dtype);
  const lower = options.lower ?? -2;
  const upper = options.upper ?? 2;
  if (typeof lower !== "number" || typeof upper !== "number" || !(lower < upper)) {
    throw new RangeError(
      `truncatedNormal() expected lower < upper: found lower=${fmtValue(lower)} and upper=${
        fmtValue(upper)
      }`,
    );
  }
  // work in the lower tail, where the CDF keeps its relative precision
  const flip = lower > 0;
  const a = flip ? -upper : lower;
  const b = flip ? -lower : upper;
  const pa = ndtr(a);
  const width = ndtr(b) - pa;
  const { first, last, round } = dtypeRange(lower, upper, dtype, false);
  const out = allocate(dtype, sizeOf(s));
  blocks(key, out.length, (i, hi, lo) => {
    const p = Math.min(pa + openUniform(dtype, hi, lo) * width, 1 - 2 ** -53);
    const z = ndtri(p);
    out[i] = Math.min(Math.max(round(flip ? -z : z), first), last);
  });
  return tensor(out, { dtype, shape: s });
}

/** A stateful stream of samples for scripts, made by `generator(seed)`. */
export interface RandomGenerator {
  /** Splits off a fresh key and advances the state. */
  nextKey(): Key;
  /** `normal(nextKey(), shape, options)`. */
  normal(shape: readonly number[], options?: NormalOptions): Tensor;
  /** `uniform(nextKey(), shape, options)`. */
  uniform(shape: readonly number[], options?: UniformOptions): Tensor;
  /** `randint(nextKey(), shape, low, high)`. */
  randint(shape: readonly number[], low: number, high: number): Tensor;
  /** `bernoulli(nextKey(), p, shape)`. */
  bernoulli(p: number, shape?: readonly number[]): Tensor;
  /** `permutation(nextKey(), n)`. */
  permutation(n: number): Tensor;
  /** `truncatedNormal(nextKey(), shape, options)`. */
  truncatedNormal(shape: readonly number[], options?: TruncatedNormalOptions): Tensor;
}

/**
 * A convenience for scripts: unlike the rest of this module it is
 * STATEFUL. It holds a key and splits it on every call, so each call gives
 * new numbers and the whole sequence is fixed by the seed. Library code
 * should take keys explicitly instead.
 * @param seed an integer, as for `key`
 * @returns a generator
 * @example Quick experiments
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * const rng = random.generator(0);
 * const a = rng.normal([3]);
 * assertNotEquals(rng.normal([3]).toArray(), a.toArray());
 * assertEquals(random.generator(0).normal([3]).toArray(), a.toArray());
 * ```
 */
export function generator(seed: number | bigint): RandomGenerator {
  let state = key(seed);
  const nextKey = (): Key => {
    const [carry, fresh] = split(state);
    state = carry;
    return fresh;
  };
  return {
    nextKey,
    normal: (shape, options) => normal(nextKey(), shape, options),
    uniform: (shape, options) => uniform(nextKey(), shape, options),
    randint: (shape, low, high) => randint(nextKey(), shape, low, high),
    bernoulli: (p, shape) => bernoulli(nextKey(), p, shape),
    permutation: (n) => permutation(nextKey(), n),
    truncatedNormal: (shape, options) => truncatedNormal(nextKey(), shape, options),
  };
}

/**
 * A generator that replays PyTorch's CPU random numbers: the same as
 * `torch.manual_seed(seed)` followed by the same calls (`randn`, `rand`,
 * `randn_like`, `randint`, `randperm`, `uniform_`, `normal_`). Stateful,
 * like PyTorch's; see {@link TorchGenerator} for what is bit-exact.
 * @param seed the integer given to `torch.manual_seed`
 * @returns a new generator
 * @example The numbers of `torch.manual_seed(7); torch.randn(1, 5)`
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const g = random.torchGenerator(7);
 * const x = g.randn([1, 5]);
 * assertEquals(x.shape, [1, 5]);
 * assertEquals([...x.dataSync()].map((v) => v.toFixed(4)), [
 *   "-0.1468", "0.7861", "0.9468", "-1.1143", "1.6908",
 * ]);
 * ```
 */
export function torchGenerator(seed: number | bigint): TorchGenerator {
  return new TorchGenerator(seed);
}

function noise(key: Key, like: Tensor, low: number): Tensor {
  return uniform(key, like.shape, { low, dtype: like.dtype === "float64" ? "float64" : "float32" });
}

/**
 * One class index per row of `logits [..., classes]` (jax.random.categorical
 * over the last axis), after the decoding filters: temperature, then top-k,
 * then top-p (nucleus). Exact sampling by the Gumbel-max trick.
 * NOTE: the noise is drawn on the host when called: inside `jit` it would be
 * fixed at trace time, so sample outside jit.
 * @param key a key, used once
 * @param logits unnormalised log-probabilities, classes last
 * @param options `temperature` (> 0), `topK` (>= 1), `topP` (in (0, 1])
 * @returns int32 samples shaped like `logits` without its last axis
 * @example Top-1 is the argmax
 * ```ts
 * import { random, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const logits = tensor([[0.1, 2, 0.3], [5, 1, 0]]);
 * assertEquals(random.categorical(random.key(0), logits, { topK: 1 }).toArray(), [1, 0]);
 * ```
 */
export function categorical(
  key: Key,
  logits: Tensor,
  options: cat.CategoricalOptions = {},
): Tensor {
  return cat.categorical(noise, key, logits, options);
}

/**
 * torch.multinomial: `numSamples` class indices per row of non-negative
 * `weights [..., classes]` (they need not sum to 1), with or without
 * replacement (the Gumbel top-k trick).
 * @param key a key, used once
 * @param weights non-negative weights, classes last
 * @param numSamples samples per row (at most the class count without replacement)
 * @param options `replacement` (false by default, as torch)
 * @returns int32 `[..., numSamples]`
 * @example Without replacement every class comes once
 * ```ts
 * import { random, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const draw = random.multinomial(random.key(1), tensor([1, 2, 3]), 3);
 * assertEquals([...draw.dataSync()].sort(), [0, 1, 2]);
 * ```
 */
export function multinomial(
  key: Key,
  weights: Tensor,
  numSamples: number,
  options: cat.MultinomialOptions = {},
): Tensor {
  return cat.multinomial(noise, key, weights, numSamples, options);
}
