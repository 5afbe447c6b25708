/**
 * Sampling from discrete distributions: `categorical` (logits, with the
 * temperature, top-k and top-p filters of language-model decoding) and
 * `multinomial` (torch.multinomial, with or without replacement). Both are
 * the Gumbel-max trick: the argmax (or top k) of the logits plus Gumbel
 * noise is an exact sample. Exported through `random`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import type { Key } from "./_key.ts";
import { checkKey } from "./_key.ts";
import { nodeOf } from "./_convert.ts";
import { checkOptions } from "./_options.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { sort, topk } from "./sort.ts";
import { cumsum } from "./scan.ts";
import { softmax } from "./reduce.ts";
import { where } from "./elementwise.ts";

/** Options of `categorical`. */
export interface CategoricalOptions {
  /** Divides the logits first: < 1 sharpens, > 1 flattens (1 by default; must be > 0). */
  temperature?: number;
  /** Keeps the `topK` largest logits of each row (ties at the cut are all kept). */
  topK?: number;
  /**
   * Nucleus sampling: keeps the most likely classes whose probabilities
   * (after temperature and top-k) first reach `topP`, at least one (in (0, 1]).
   */
  topP?: number;
}

/** Uniform samples in [low, 1) shaped like `like` (`random.uniform`, passed in to keep imports one way). */
export type UniformNoise = (key: Key, like: Tensor, low: number) => Tensor;

/** Gumbel(0, 1) noise shaped like `like`, on its device. */
function gumbel(uniform: UniformNoise, key: Key, like: Tensor): Tensor {
  return uniform(key, like, 1e-30).log().neg().log().neg().to(like.device);
}

function checkLogits(op: string, key: Key, logits: Tensor): Tensor {
  checkKey(op, key);
  const node = nodeOf(op, logits, 1);
  if (node.shape.length === 0 || node.shape[node.shape.length - 1] === 0) {
    throw new RangeError(
      `${op}() expected at least one class on the last axis: found shape ${fmtShape(node.shape)}`,
    );
  }
  return node.dtype === "float32" || node.dtype === "float64" ? logits : logits.astype("float32");
}

/** See `random.categorical`. */
export function categorical(
  uniform: UniformNoise,
  key: Key,
  logits: Tensor,
  options: CategoricalOptions = {},
): Tensor {
  checkOptions("categorical", options, ["temperature", "topK", "topP"]);
  let x = checkLogits("categorical", key, logits);
  const n = x.shape[x.shape.length - 1];
  const { temperature = 1, topK, topP } = options;
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(
      `categorical() expected a temperature > 0: found ${
        fmtValue(temperature)
      }: use topK: 1 for greedy decoding`,
    );
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    throw new RangeError(
      `categorical() expected topK to be an integer >= 1: found ${fmtValue(topK)}`,
    );
  }
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new RangeError(`categorical() expected topP in (0, 1]: found ${fmtValue(topP)}`);
  }
  if (temperature !== 1) x = x.div(temperature);
  if (topK !== undefined && topK < n) {
    const kth = topk(x, topK)[0].slice(...x.shape.slice(0, -1).map(() => null), [topK - 1, topK]);
    x = where(x.lt(kth), -Infinity, x);
  }
  if (topP !== undefined && topP < 1) {
    const [sorted] = sort(x, { descending: true });
    const p = softmax(sorted, -1);
    // keep a class while the mass before it is below topP (the first always)
    const before = cumsum(p, -1).sub(p);
    const kept = where(before.lt(topP), sorted, Infinity);
    x = where(x.lt(kept.min({ axis: -1, keepdims: true })), -Infinity, x);
  }
  return x.add(gumbel(uniform, key, x)).argmax({ axis: -1 });
}

/** Rejects negative or non-finite weights when they can be read now (as torch). */
function checkWeights(w: Tensor): void {
  let values: ArrayLike<number>;
  try {
    values = w.dataSync();
  } catch {
    return; // traced by jit or on a GPU: not readable here
  }
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] < Infinity)) {
      throw new RangeError(
        `multinomial() expected non-negative finite weights: found ${
          values[i]
        } at flat position ${i}`,
      );
    }
  }
}

/** Options of `multinomial`. */
export interface MultinomialOptions {
  /** Draw with replacement (false by default, as torch). */
  replacement?: boolean;
}

/** See `random.multinomial`. */
export function multinomial(
  uniform: UniformNoise,
  key: Key,
  weights: Tensor,
  numSamples: number,
  options: MultinomialOptions = {},
): Tensor {
  checkOptions("multinomial", options, ["replacement"]);
  const w = checkLogits("multinomial", key, weights);
  const n = w.shape[w.shape.length - 1];
  const replacement = options.replacement ?? false;
  if (!Number.isInteger(numSamples) || numSamples < 1 || (!replacement && numSamples > n)) {
    throw new RangeError(
      `multinomial() expected numSamples to be an integer from 1 to ${
        replacement ? "any size" : `the class count ${n}`
      }: found ${fmtValue(numSamples)}${
        replacement ? "" : ": pass { replacement: true } to draw more"
      }`,
    );
  }
  checkWeights(w);
  const logits = w.log();
  if (!replacement) {
    return topk(logits.add(gumbel(uniform, key, logits)), numSamples)[1];
  }
  const lead = w.shape.slice(0, -1);
  const spread = logits.reshape([...lead, 1, n]).broadcastTo([...lead, numSamples, n]);
  return spread.add(gumbel(uniform, key, spread)).argmax({ axis: -1 });
}
