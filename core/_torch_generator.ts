/**
 * A PyTorch-compatible random generator: `torchGenerator(7).randn([1, 5])`
 * gives the numbers of `torch.manual_seed(7); torch.randn(1, 5)` on a CPU.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { tensor } from "./creation.ts";
import { isTensor } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { checkShape, sizeOf } from "./ir/shape.ts";
import { fmtValue } from "./ir/errors.ts";
import { Mt19937 } from "./_mt19937.ts";
import { fmaf, normalFill16 } from "./_avx_math.ts";

/** The float dtypes the PyTorch generator fills. */
export type TorchFloat = "float32" | "float64";

/** Options of the PyTorch generator's float samplers. */
export interface TorchFloatOptions {
  /** float32 (default, bit-exact) or float64 (within an ulp, see {@link TorchGenerator}). */
  dtype?: TorchFloat;
}

/** Converts a user seed to the 64-bit integer PyTorch stores. */
export function checkSeed(op: string, seed: unknown): bigint {
  if (typeof seed === "bigint") return BigInt.asUintN(64, seed);
  if (typeof seed === "number" && Number.isSafeInteger(seed)) {
    return BigInt.asUintN(64, BigInt(seed));
  }
  throw new TypeError(
    `${op}() expected an integer seed: found ${fmtValue(seed)}: ` +
      `pass a whole number such as 0 (use a bigint beyond 2^53)`,
  );
}

function checkFloatDType(op: string, options: TorchFloatOptions): TorchFloat {
  checkOptions(op, options, ["dtype"]);
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(
      `${op}() expected dtype float32 or float64: found ${fmtValue(dtype)}: ` +
        `integers come from randint()`,
    );
  }
  return dtype;
}

function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${op}() expected a finite number for ${name}: found ${fmtValue(value)}`);
  }
  return value;
}

/** fma for doubles: a*b + c with one rounding (up to a rare double rounding). */
function fma(a: number, b: number, c: number): number {
  const p = a * b;
  const split = 134217729; // 2^27 + 1, Veltkamp's splitter
  const ta = split * a;
  const ah = ta - (ta - a);
  const tb = split * b;
  const bh = tb - (tb - b);
  const pErr = ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh);
  const s = p + c;
  const bv = s - p;
  const sErr = (p - (s - bv)) + (c - bv);
  return s + (pErr + sErr);
}

/**
 * A stateful generator that reproduces PyTorch's CPU random streams:
 * mt19937 seeded like `torch.manual_seed`, and the exact sampling paths of
 * `randn`/`normal_` (per element with a cached Box-Muller partner below 16
 * elements; the AVX2 block-of-16 Box-Muller from 16 elements on),
 * `rand`/`uniform_`, `randint` and `randperm`. Calls share one stream, so a
 * sequence of calls matches the same sequence in PyTorch.
 *
 * float32 results are bit-exact with PyTorch on x86-64 CPUs with AVX2 (the
 * kernel almost every desktop and server runs). float64 results, and
 * PyTorch on ARM (Apple silicon) or pre-AVX2 CPUs, agree to about one ulp:
 * there PyTorch calls the C library's `log`/`sin`/`cos`.
 */
export class TorchGenerator {
  #engine: Mt19937;
  #cachedNormal: number | undefined;

  /**
   * Seeds a new generator (see `torchGenerator`).
   * @param seed an integer, as given to `torch.manual_seed`
   */
  constructor(seed: number | bigint) {
    this.#engine = new Mt19937(checkSeed("torchGenerator", seed));
  }

  /**
   * Reseeds in place, like `torch.manual_seed(seed)` (it also drops the cached normal).
   * @param seed an integer
   * @returns this generator
   */
  manualSeed(seed: number | bigint): this {
    this.#engine = new Mt19937(checkSeed("manualSeed", seed));
    this.#cachedNormal = undefined;
    return this;
  }

  /**
   * `torch.randn(*shape)`: standard normal samples.
   * @param shape the output shape
   * @param options `dtype` (float32 by default)
   * @returns a new tensor
   */
  randn(shape: readonly number[], options: TorchFloatOptions = {}): Tensor {
    return this.#normal("randn", shape, 0, 1, options);
  }

  /**
   * `torch.randn_like(t)`: standard normal samples with the shape and dtype of `t`.
   * @param like a float32 or float64 tensor
   * @returns a new tensor
   */
  randnLike(like: Tensor): Tensor {
    if (!isTensor(like)) {
      throw new TypeError(`randnLike() expected a tensor: found ${fmtValue(like)}`);
    }
    return this.#normal("randnLike", like.shape, 0, 1, { dtype: like.dtype as TorchFloat });
  }

  /**
   * `torch.empty(*shape).normal_(mean, std)`.
   * @param shape the output shape
   * @param mean the mean (default 0)
   * @param std the standard deviation (default 1, must be >= 0)
   * @param options `dtype`
   * @returns a new tensor
   */
  normal(shape: readonly number[], mean = 0, std = 1, options: TorchFloatOptions = {}): Tensor {
    checkNumber("normal", "mean", mean);
    if (checkNumber("normal", "std", std) < 0) {
      throw new RangeError(`normal() expected std >= 0: found ${std}`);
    }
    return this.#normal("normal", shape, mean, std, options);
  }

  /**
   * `torch.rand(*shape)`: uniform samples in [0, 1).
   * @param shape the output shape
   * @param options `dtype`
   * @returns a new tensor
   */
  rand(shape: readonly number[], options: TorchFloatOptions = {}): Tensor {
    return this.#uniform("rand", shape, 0, 1, options);
  }

  /**
   * `torch.empty(*shape).uniform_(low, high)`, the draw behind `nn.init`'s
   * `kaiming_uniform_` and the default `nn.Linear` initialisation.
   * @param shape the output shape
   * @param low the lower bound (default 0)
   * @param high the upper bound (default 1)
   * @param options `dtype`
   * @returns a new tensor
   */
  uniform(shape: readonly number[], low = 0, high = 1, options: TorchFloatOptions = {}): Tensor {
    checkNumber("uniform", "low", low);
    if (checkNumber("uniform", "high", high) < low) {
      throw new RangeError(
        `uniform() expected low <= high: found low=${low} and high=${high}: swap them`,
      );
    }
    return this.#uniform("uniform", shape, low, high, options);
  }

  /**
   * `torch.randint(low, high, shape)`: integers in [low, high), as int32
   * (PyTorch gives int64; the values are the same).
   * @param low the smallest value
   * @param high one past the largest value
   * @param shape the output shape
   * @returns a new int32 tensor
   */
  randint(low: number, high: number, shape: readonly number[]): Tensor {
    const s = checkShape("randint", shape);
    checkIntRange("randint", low, high);
    const out = new Int32Array(sizeOf(s));
    const range = high - low;
    for (let i = 0; i < out.length; i++) out[i] = (this.#engine.nextU32() % range) + low;
    return tensor(out, { dtype: "int32", shape: s });
  }

  /**
   * `torch.randperm(n)`: a random permutation of 0..n-1, as int32.
   * @param n the length
   * @returns a new int32 tensor of shape [n]
   */
  randperm(n: number): Tensor {
    if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31 - 1) {
      throw new RangeError(`randperm() expected a length n in [0, 2^31): found ${fmtValue(n)}`);
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = 0; i < n - 1; i++) {
      const z = i + (this.#engine.nextU32() % (n - i));
      const saved = out[i];
      out[i] = out[z];
      out[z] = saved;
    }
    return tensor(out, { dtype: "int32", shape: [n] });
  }

  #uniform(
    op: string,
    shape: readonly number[],
    low: number,
    high: number,
    options: TorchFloatOptions,
  ): Tensor {
    const s = checkShape(op, shape);
    const dtype = checkFloatDType(op, options);
    const n = sizeOf(s);
    const engine = this.#engine;
    if (dtype === "float64") {
      const out = new Float64Array(n);
      // uniform_real: x * (to - from) + from, contracted to an fma by the compiler
      for (let i = 0; i < n; i++) out[i] = fma(engine.nextDouble(), high - low, low);
      return tensor(out, { dtype, shape: s });
    }
    const from = Math.fround(low);
    const width = Math.fround(Math.fround(high) - from);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = fmaf(engine.nextFloat(), width, from);
    return tensor(out, { dtype, shape: s });
  }

  #normal(
    op: string,
    shape: readonly number[],
    mean: number,
    std: number,
    options: TorchFloatOptions,
  ): Tensor {
    const s = checkShape(op, shape);
    const dtype = checkFloatDType(op, options);
    const n = sizeOf(s);
    const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = this.#normalScalar(mean, std);
    } else if (out instanceof Float32Array) {
      this.#fillBlocks(out, (d, at) => normalFill16(d, at, Math.fround(mean), Math.fround(std)));
    } else {
      this.#fillBlocks(out, (d, at) => normalFill16Double(d, at, mean, std));
    }
    return tensor(out, { dtype, shape: s });
  }

  /** `normal_fill`: uniforms everywhere, Box-Muller per 16; a ragged tail redraws the last 16. */
  #fillBlocks<A extends Float32Array | Float64Array>(
    data: A,
    fill16: (data: A, at: number) => void,
  ): void {
    const engine = this.#engine;
    const draw = data instanceof Float32Array
      ? () => engine.nextFloat()
      : () => engine.nextDouble();
    const n = data.length;
    for (let i = 0; i < n; i++) data[i] = draw();
    for (let i = 0; i + 16 <= n; i += 16) fill16(data, i);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) data[i] = draw();
      fill16(data, n - 16);
    }
  }

  /** `at::normal_distribution<double>`: Box-Muller in doubles, caching the sine partner. */
  #normalScalar(mean: number, std: number): number {
    let z = this.#cachedNormal;
    if (z !== undefined) {
      this.#cachedNormal = undefined;
    } else {
      const u1 = this.#engine.nextDouble();
      const u2 = this.#engine.nextDouble();
      const radius = Math.sqrt(-2 * Math.log(1 - u2)); // 1 - u2 is exact
      const theta = 2 * Math.PI * u1;
      this.#cachedNormal = radius * Math.sin(theta);
      z = radius * Math.cos(theta);
    }
    return fma(z, std, mean);
  }
}

function normalFill16Double(data: Float64Array, at: number, mean: number, std: number): void {
  for (let j = at; j < at + 8; j++) {
    const radius = Math.sqrt(-2 * Math.log(1 - data[j]));
    const theta = 2 * Math.PI * data[j + 8];
    data[j] = fma(radius * Math.cos(theta), std, mean);
    data[j + 8] = fma(radius * Math.sin(theta), std, mean);
  }
}

/** Checks integer bounds `low < high` within int32 (`high` may be 2^31). */
export function checkIntRange(op: string, low: unknown, high: unknown): void {
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= -(2 ** 31);
  if (!ok(low) || !ok(high) || (high as number) > 2 ** 31) {
    throw new TypeError(
      `${op}() expected integer bounds in the int32 range: found low=${fmtValue(low)} and high=${
        fmtValue(high)
      }`,
    );
  }
  if ((low as number) >= (high as number)) {
    throw new RangeError(
      `${op}() expected low < high: found low=${low} and high=${high}: ` +
        `high is exclusive, so the values run from low to high - 1`,
    );
  }
}
