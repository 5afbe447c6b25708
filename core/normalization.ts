/**
 * Normalisation with PyTorch's numbers: `batchNorm` (training statistics or
 * running ones, the running averages returned, never mutated), `groupNorm`
 * and `rmsNorm`; and `dropout2d`, which drops whole channels.
 *
 * All are compositions of reductions and elementwise ops: the statistics are
 * row reductions and the normalisation fuses into one elementwise kernel
 * (and, in eval mode, into the consumer of the convolution before it).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { reshape } from "./movement.ts";
import { mean } from "./reduce.ts";
import { add, mul, rsqrt, sub, where } from "./elementwise.ts";
import { bernoulli, type Key } from "./random.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";

/** Options of `batchNorm` (torch.nn.functional.batch_norm). */
export interface BatchNormOptions {
  /** Running mean `[C]` (used in eval mode, updated in training mode). */
  runningMean?: Tensor;
  /** Running variance `[C]` (used in eval mode, updated in training mode). */
  runningVar?: Tensor;
  /** Scale `[C]` (default none). */
  weight?: Tensor;
  /** Shift `[C]` (default none). */
  bias?: Tensor;
  /** Batch statistics (true) or running statistics (false, the default, like torch's eval mode). */
  training?: boolean;
  /** Weight of the new batch statistics in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/** The result of `batchNorm`: the output and the updated running statistics. */
export interface BatchNormResult {
  /** The normalised input, same shape. */
  readonly output: Tensor;
  /** The new running mean (the given one in eval mode; undefined when none was given). */
  readonly runningMean?: Tensor;
  /** The new running variance, with the unbiased batch variance like torch. */
  readonly runningVar?: Tensor;
}

function unknownKeys(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${op}() got an unknown option "${key}": expected one of ${known.join(", ")}`,
      );
    }
  }
}

function checkChannels(op: string, name: string, t: Tensor | undefined, c: number, x: Tensor) {
  if (t !== undefined && (t.shape.length !== 1 || t.shape[0] !== c)) {
    throw new RangeError(
      `${op}() expected ${name} of shape [${c}] (one per channel of input ${
        fmtShape(x.shape)
      }): found ${fmtShape(t.shape)}`,
    );
  }
}

/** `t [C]` shaped to broadcast over `[N, C, ...]`. */
function perChannel(t: Tensor, rank: number): Tensor {
  return reshape(t, [t.shape[0], ...Array(rank - 2).fill(1)]);
}

/**
 * Batch normalisation over `[N, C, ...]` (torch.nn.functional.batch_norm),
 * functional: the updated running statistics are returned, not written.
 * @param x the input, at least 2-d, channels on axis 1
 * @param options running statistics, weight, bias, training, momentum, eps
 * @returns the output and the new running mean and variance
 * @example Training mode: zero mean, unit variance per channel
 * ```ts
 * import { batchNorm, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const { output } = batchNorm(tensor([[1], [3]]), { training: true });
 * assertAlmostEquals(output.dataSync()[1], 1, 1e-4);
 * ```
 */
export function batchNorm(x: Tensor, options: BatchNormOptions = {}): BatchNormResult {
  const op = "batchNorm";
  unknownKeys(op, options, [
    "runningMean",
    "runningVar",
    "weight",
    "bias",
    "training",
    "momentum",
    "eps",
  ]);
  if (x.shape.length < 2) {
    throw new RangeError(`${op}() expected an input [N, C, ...]: found shape ${fmtShape(x.shape)}`);
  }
  const c = x.shape[1];
  const { runningMean, runningVar, weight, bias } = options;
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar]] as const) {
    checkChannels(op, name, t, c, x);
  }
  checkChannels(op, "weight", weight, c, x);
  checkChannels(op, "bias", bias, c, x);
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new RangeError(`${op}() expected momentum in [0, 1]: found ${fmtValue(momentum)}`);
  }
  const rank = x.shape.length;
  const axes = [0, ...x.shape.slice(2).map((_, j) => 2 + j)];
  const count = x.size / c;
  let mu: Tensor;
  let variance: Tensor;
  let newMean = runningMean;
  let newVar = runningVar;
  if (options.training) {
    if (count <= 1) {
      throw new RangeError(
        `${op}() in training mode needs more than 1 value per channel: found input ${
          fmtShape(x.shape)
        }`,
      );
    }
    mu = mean(x, { axis: axes });
    const centred = sub(x, perChannel(mu, rank));
    variance = mean(mul(centred, centred), { axis: axes });
    if (runningMean !== undefined) {
      newMean = add(mul(runningMean, 1 - momentum), mul(mu, momentum));
    }
    if (runningVar !== undefined) {
      const unbiased = mul(variance, count / (count - 1));
      newVar = add(mul(runningVar, 1 - momentum), mul(unbiased, momentum));
    }
  } else {
    if (runningMean === undefined || runningVar === undefined) {
      throw new TypeError(
        `${op}() in eval mode needs runningMean and runningVar: pass them, or { training: true }`,
      );
    }
    mu = runningMean;
    variance = runningVar;
  }
  // y = (x − μ)·s + b with s = weight/√(σ² + ε): one elementwise kernel over x
  let scale = rsqrt(add(variance, eps));
  if (weight !== undefined) scale = mul(scale, weight);
  let output = mul(sub(x, perChannel(mu, rank)), perChannel(scale, rank));
  if (bias !== undefined) output = add(output, perChannel(bias, rank));
  return { output, runningMean: newMean, runningVar: newVar };
}

/** Options of `groupNorm`. */
export interface GroupNormOptions {
  /** Scale `[C]`. */
  weight?: Tensor;
  /** Shift `[C]`. */
  bias?: Tensor;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Group normalisation (torch.nn.functional.group_norm): the channels of each
 * sample split into `groups`, each normalised over its channels and positions.
 * @param x the input `[N, C, ...]`
 * @param groups how many groups (must divide C)
 * @param options weight, bias, eps
 * @returns the normalised input
 * @example
 * ```ts
 * import { groupNorm, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(groupNorm(tensor([[1, 3]]), 1).dataSync()[1], 1, 1e-4);
 * ```
 */
export function groupNorm(x: Tensor, groups: number, options: GroupNormOptions = {}): Tensor {
  const op = "groupNorm";
  unknownKeys(op, options, ["weight", "bias", "eps"]);
  if (x.shape.length < 2) {
    throw new RangeError(`${op}() expected an input [N, C, ...]: found shape ${fmtShape(x.shape)}`);
  }
  const [n, c] = x.shape;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new RangeError(
      `${op}() expected groups to divide the ${c} channels of input ${fmtShape(x.shape)}: ` +
        `found ${fmtValue(groups)}`,
    );
  }
  checkChannels(op, "weight", options.weight, c, x);
  checkChannels(op, "bias", options.bias, c, x);
  const g = reshape(x, [n, groups, -1]);
  const mu = mean(g, { axis: -1, keepdims: true });
  const centred = sub(g, mu);
  const variance = mean(mul(centred, centred), { axis: -1, keepdims: true });
  let y = reshape(mul(centred, rsqrt(add(variance, options.eps ?? 1e-5))), x.shape);
  if (options.weight !== undefined) y = mul(y, perChannel(options.weight, x.shape.length));
  if (options.bias !== undefined) y = add(y, perChannel(options.bias, x.shape.length));
  return y;
}

/** Options of `rmsNorm`. */
export interface RmsNormOptions {
  /** Scale over the normalised axes. */
  weight?: Tensor;
  /** Added to the mean square (default: the dtype's machine epsilon, like torch.nn.functional.rms_norm). */
  eps?: number;
}

/**
 * Root-mean-square normalisation over the last `normalizedShape.length` axes
 * (torch.nn.functional.rms_norm): `x / √(mean(x²) + eps) · weight`.
 * @param x the input
 * @param normalizedShape the trailing shape to normalise over
 * @param options weight, eps
 * @returns the normalised input
 * @example
 * ```ts
 * import { rmsNorm, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(rmsNorm(tensor([[3, 4]]), [2]).dataSync()[1], 4 / Math.sqrt(12.5), 1e-5);
 * ```
 */
export function rmsNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  options: RmsNormOptions = {},
): Tensor {
  const op = "rmsNorm";
  unknownKeys(op, options, ["weight", "eps"]);
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.shape.length - k);
  if (k > x.shape.length || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new RangeError(
      `${op}() expected the input to end in ${fmtShape(normalizedShape)}: found ${
        fmtShape(x.shape)
      }`,
    );
  }
  const w = options.weight;
  if (w !== undefined && (w.shape.length !== k || w.shape.some((d, i) => d !== tail[i]))) {
    throw new RangeError(
      `${op}() expected weight of shape ${fmtShape(normalizedShape)}: found ${fmtShape(w.shape)}`,
    );
  }
  const eps = options.eps ??
    (x.dtype === "float64" ? 2.220446049250313e-16 : 1.1920928955078125e-7);
  const axes = normalizedShape.map((_, i) => -1 - i);
  const y = mul(x, rsqrt(add(mean(mul(x, x), { axis: axes, keepdims: true }), eps)));
  return w === undefined ? y : mul(y, w);
}

/** Options of `dropout2d`. */
export interface Dropout2dOptions {
  /** The random key (required when training). */
  key?: Key;
  /** The probability of zeroing a channel (default 0.5). */
  p?: number;
  /** Whether to drop (default true); false returns the input. */
  training?: boolean;
}

/**
 * Channel dropout (torch.nn.functional.dropout2d): each channel of each
 * sample of `[N, C, ...]` is zeroed with probability `p`, the rest scaled by 1/(1−p).
 * @param x the input `[N, C, H, W]` (or any `[N, C, ...]`)
 * @param options key, p, training
 * @returns the input with dropped channels
 * @example
 * ```ts
 * import { dropout2d, ones, random } from "@lathe/lathe";
 * import { assert } from "@std/assert";
 * const y = dropout2d(ones([2, 8, 3, 3]), { key: random.key(0), p: 0.5 });
 * assert(y.dataSync().every((v) => v === 0 || v === 2));
 * ```
 */
export function dropout2d(x: Tensor, options: Dropout2dOptions = {}): Tensor {
  const op = "dropout2d";
  unknownKeys(op, options, ["key", "p", "training"]);
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`${op}() expected p in [0, 1]: found ${fmtValue(p)}`);
  }
  if (options.training === false || p === 0) return x;
  if (x.shape.length < 2) {
    throw new RangeError(`${op}() expected an input [N, C, ...]: found shape ${fmtShape(x.shape)}`);
  }
  if (options.key === undefined) {
    throw new TypeError(`${op}() needs a key when training: pass { key }, or { training: false }`);
  }
  if (p === 1) return mul(x, 0);
  const keep = bernoulli(options.key, 1 - p, [
    x.shape[0],
    x.shape[1],
    ...x.shape.slice(2).map(() => 1),
  ]);
  return where(keep, mul(x, 1 / (1 - p)), 0);
}
