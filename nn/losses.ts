/**
 * Loss functions with PyTorch's definitions and reductions
 * (`"mean"` by default, `"sum"`, `"none"`). Prediction and target shapes must
 * match exactly: a silently broadcast loss is almost always a bug.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";

/** How a loss reduces over elements. */
export type Reduction = "mean" | "sum" | "none";

/** Options shared by the losses. */
export interface LossOptions {
  /** `"mean"` (default), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

function reduce(name: string, losses: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? "mean") {
    case "mean":
      return losses.mean();
    case "sum":
      return losses.sum();
    case "none":
      return losses;
    default:
      throw new TypeError(
        `${name}() expected reduction "mean", "sum" or "none": found ${JSON.stringify(reduction)}`,
      );
  }
}

function sameShape(name: string, prediction: Tensor, target: Tensor): void {
  const a = prediction.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new RangeError(
      `${name}() expected prediction and target of the same shape: found [${a.join(", ")}] and [${
        b.join(", ")
      }]` +
        `: reshape one of them (e.g. target.reshape([${a.join(", ")}]))`,
    );
  }
}

/**
 * Mean squared error (torch.nn.MSELoss).
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { mse } from "@lathe/lathe/nn";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(mse(tensor([1, 2]), tensor([0, 0])).item(), 2.5);
 * ```
 */
export function mse(prediction: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  lt.checkOptions("mse", options, ["reduction"]);
  sameShape("mse", prediction, target);
  return reduce("mse", prediction.sub(target).square(), options.reduction);
}

/** Mean absolute error (torch.nn.L1Loss). */
export function l1(prediction: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  lt.checkOptions("l1", options, ["reduction"]);
  sameShape("l1", prediction, target);
  return reduce("l1", prediction.sub(target).abs(), options.reduction);
}

/** Huber loss (torch.nn.HuberLoss): quadratic within `delta` (default 1), linear outside. */
export function huber(
  prediction: Tensor,
  target: Tensor,
  options: LossOptions & { delta?: number } = {},
): Tensor {
  lt.checkOptions("huber", options, ["reduction", "delta"]);
  sameShape("huber", prediction, target);
  const delta = options.delta ?? 1;
  const diff = prediction.sub(target).abs();
  const quadratic = diff.square().mul(0.5);
  const linear = diff.sub(0.5 * delta).mul(delta);
  return reduce("huber", lt.where(diff.lt(delta), quadratic, linear), options.reduction);
}

// BCE on probabilities, with PyTorch's gradient (p - y) / max(p(1 - p), 1e-12)
const bceElementwise = lt.customVjp(
  (p: Tensor, y: Tensor) => {
    const logP = lt.clamp(lt.log(p), -100);
    const log1mP = lt.clamp(lt.log(lt.sub(1, p)), -100);
    const loss = y.mul(logP).add(lt.sub(1, y).mul(log1mP)).neg();
    return [loss, [p, y]] as [Tensor, Tensor[]];
  },
  ([p, y]: Tensor[], ct: Tensor) => {
    // NOTE: PyTorch's epsilon is the float 1e-12f, in float64 too
    const denominator = lt.maximum(p.mul(lt.sub(1, p)), Math.fround(1e-12));
    const dp = ct.mul(p.sub(y)).div(denominator);
    const dy = ct.mul(lt.sub(lt.clamp(lt.log(lt.sub(1, p)), -100), lt.clamp(lt.log(p), -100)));
    return [dp, dy];
  },
);

/**
 * Binary cross-entropy on probabilities (torch.nn.BCELoss): logs are clamped
 * at -100 like PyTorch, so `bce(0, 1)` is 100, never Infinity or NaN.
 * Probabilities and targets outside [0, 1] (or NaN) are errors, as in
 * PyTorch, wherever their values can be read: eagerly and under `grad` (the
 * values are computed to check them); inside `jit` and on the GPU they are
 * not known while the call is traced, so nothing is checked there.
 */
export function bce(probability: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  lt.checkOptions("bce", options, ["reduction"]);
  sameShape("bce", probability, target);
  checkUnit(probability, "probabilities", "pass sigmoid(logits), or use bceWithLogits() on logits");
  checkUnit(target, "targets", "targets are probabilities (0 or 1 for hard labels)");
  return reduce(
    "bce",
    bceElementwise(probability, target.astype(probability.dtype)),
    options.reduction,
  );
}

// BCE on logits: max(z, 0) - z·y + log(1 + e^-|z|), with the gradient σ(z) - y
// NOTE: differentiating the formula through relu and abs would give -y at z = 0, not 0.5 - y
const bceWithLogitsElementwise = lt.customVjp(
  (z: Tensor, y: Tensor) => {
    const loss = lt.relu(z).sub(z.mul(y)).add(lt.log1p(lt.exp(z.abs().neg())));
    return [loss, [z, y]] as [Tensor, Tensor[]];
  },
  ([z, y]: Tensor[], ct: Tensor) => [ct.mul(lt.sigmoid(z).sub(y)), ct.mul(z).neg()],
);

/** Binary cross-entropy on logits, computed stably (torch.nn.BCEWithLogitsLoss). */
export function bceWithLogits(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  lt.checkOptions("bceWithLogits", options, ["reduction"]);
  sameShape("bceWithLogits", logits, target);
  const loss = bceWithLogitsElementwise(logits, target.astype(logits.dtype));
  return reduce("bceWithLogits", loss, options.reduction);
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends LossOptions {
  /** Mixes the target with the uniform distribution (torch's label_smoothing). */
  labelSmoothing?: number;
  /**
   * Labels equal to this add no loss and no gradient, and `"mean"` averages
   * over the other labels only (torch's ignore_index, e.g. -100 for padding).
   */
  ignoreIndex?: number;
}

/**
 * Cross-entropy of logits `[...batch, classes]` (classes last: `[batch, seq,
 * vocab]` for a language model, where torch wants `[batch, vocab, seq]`)
 * against int32 class labels `[...batch]` or class probabilities / one-hot
 * targets of the logits' shape (torch.nn.CrossEntropyLoss).
 * @example Seed 001's value
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { crossEntropy } from "@lathe/lathe/nn";
 * import { assertAlmostEquals } from "@std/assert";
 * const loss = crossEntropy(tensor([[-5.2, 4.6, 0.9]]), tensor([[1, 0, 0]]));
 * assertAlmostEquals(loss.item(), 9.8245, 1e-4);
 * ```
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  lt.checkOptions("crossEntropy", options, ["reduction", "labelSmoothing", "ignoreIndex"]);
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(`crossEntropy() expected labelSmoothing in [0, 1]: found ${smoothing}`);
  }
  const logP = lt.logSoftmax(logits, -1);
  const classes = logits.shape[logits.shape.length - 1];
  let losses: Tensor;
  if (target.dtype === "int32") {
    const batch = logits.shape.slice(0, -1);
    if (target.shape.length !== batch.length || target.shape.some((d, i) => d !== batch[i])) {
      throw new RangeError(
        `crossEntropy() expected int32 labels of shape [${batch.join(", ")}] for logits [${
          logits.shape.join(", ")
        }]` +
          `: found [${target.shape.join(", ")}]`,
      );
    }
    const ignore = options.ignoreIndex;
    const kept = ignore === undefined ? undefined : target.ne(ignore);
    // ignored labels may lie outside [0, classes): they read class 0, then count for nothing
    const labels = kept === undefined ? target : lt.where(kept, target, 0);
    checkLabels("crossEntropy", labels, classes);
    const picked = logP.gather(-1, labels.reshape([...batch, 1])).reshape(batch);
    losses = picked.neg();
    if (smoothing > 0) {
      losses = losses.mul(1 - smoothing).sub(logP.mean({ axis: -1 }).mul(smoothing));
    }
    if (kept !== undefined) {
      losses = lt.where(kept, losses, 0);
      // torch's mean over the labels kept (NaN when none is)
      if ((options.reduction ?? "mean") === "mean") return losses.sum().div(kept.sum());
    }
  } else {
    if (options.ignoreIndex !== undefined) {
      throw new TypeError(
        "crossEntropy() takes ignoreIndex with int32 class labels only: found probability targets",
      );
    }
    const batch = logits.shape.slice(0, -1);
    if (target.shape.length === batch.length && target.shape.every((d, i) => d === batch[i])) {
      throw new TypeError(
        `crossEntropy() expected int32 class labels: found ${target.dtype} labels of shape [${
          target.shape.join(", ")
        }]: convert with .astype("int32"), or pass probabilities of shape [${
          logits.shape.join(", ")
        }]`,
      );
    }
    sameShape("crossEntropy", logits, target);
    const q = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / classes) : target;
    losses = q.mul(logP).sum({ axis: -1 }).neg();
  }
  return reduce("crossEntropy", losses, options.reduction);
}

/** Negative log-likelihood of log-probabilities `[batch, classes]` at int32 labels `[batch]` (torch.nn.NLLLoss). */
export function nll(logProbabilities: Tensor, labels: Tensor, options: LossOptions = {}): Tensor {
  lt.checkOptions("nll", options, ["reduction"]);
  if (labels.dtype !== "int32") {
    throw new TypeError(
      `nll() expected int32 labels: found ${labels.dtype}: convert with .astype("int32")`,
    );
  }
  checkLabels("nll", labels, logProbabilities.shape[logProbabilities.shape.length - 1]);
  const batch = logProbabilities.shape.slice(0, -1);
  const picked = logProbabilities.gather(-1, labels.reshape([...batch, 1])).reshape(batch);
  return reduce("nll", picked.neg(), options.reduction);
}

/** Checks label range when the labels are readable (outside jit); inside jit the gather checks at run time. */
/**
 * Checks that bce()'s values lie in [0, 1] when they can be read now (as
 * PyTorch does). NOTE: reading realizes them; where they cannot be read (a
 * function traced by jit, data on the GPU) nothing is checked, and a value
 * out of range gives NaN (turn on debugNans to find it).
 */
function checkUnit(x: Tensor, what: string, hint: string): void {
  let values: ArrayLike<number>;
  try {
    values = x.dataSync();
  } catch {
    return;
  }
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] <= 1)) {
      throw new RangeError(
        `bce() expected ${what} in [0, 1]: found ${values[i]} at position ${i}: ${hint}`,
      );
    }
  }
}

function checkLabels(name: string, labels: Tensor, classes: number): void {
  let values: ArrayLike<number>;
  try {
    values = labels.dataSync();
  } catch {
    return;
  }
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= classes) {
      throw new RangeError(
        `${name}() label ${
          values[i]
        } at position ${i} is out of range for ${classes} classes: labels must be in [0, ${
          classes - 1
        }]`,
      );
    }
  }
}

/** Options of `klDiv`. */
export interface KlDivOptions {
  /**
   * `"mean"` (default, over every element, as PyTorch), `"batchmean"` (the
   * sum divided by the batch size: the true KL divergence), `"sum"` or `"none"`.
   */
  reduction?: Reduction | "batchmean";
  /** Whether `target` holds log-probabilities (default false: probabilities). */
  logTarget?: boolean;
}

/**
 * The Kullback-Leibler divergence KL(target ‖ input) with `input` holding
 * log-probabilities (torch.nn.functional.kl_div): pointwise
 * target · (log target - input), 0 where target is 0.
 * @param input log-probabilities
 * @param target probabilities (or log-probabilities with `logTarget`), the same shape
 * @param options `reduction` and `logTarget`
 * @returns the divergence
 * @example Use "batchmean" for the mathematical KL divergence
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { klDiv } from "@lathe/lathe/nn";
 * import { assertAlmostEquals } from "@std/assert";
 * const logQ = tensor([[0.5, 0.5]]).log();
 * const p = tensor([[0.25, 0.75]]);
 * const want = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
 * assertAlmostEquals(klDiv(logQ, p, { reduction: "batchmean" }).item(), want, 1e-6);
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  sameShape("klDiv", input, target);
  const pointwise = options.logTarget
    ? target.exp().mul(target.sub(input))
    : lt.xlogy(target, target).sub(target.mul(input));
  if (options.reduction === "batchmean") {
    const batch = input.ndim === 0 ? 1 : input.shape[0];
    return pointwise.sum().div(batch);
  }
  return reduce("klDiv", pointwise, options.reduction);
}

/** The fraction of rows whose arg-max matches the int32 label (or one-hot target). */
export function accuracy(logits: Tensor, target: Tensor): Tensor {
  const labels = target.dtype === "int32" ? target : target.argmax({ axis: -1 });
  return logits.argmax({ axis: -1 }).eq(labels).float().mean();
}
