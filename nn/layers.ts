/**
 * Layers as `(init, apply)` pairs over parameter trees (like JAX's stax):
 * `init(rng)` makes the parameters, `apply(params, x)` runs the layer.
 * Configuration stays in the closure; the tree holds only tensors.
 * @module
 */
import * as lt from "../mod.ts";
import type { Key, Tensor, Tree } from "../mod.ts";
import { type InitRandom, linearDefault, normalInit, splitRandom } from "./init.ts";
import { sequentialState, type SequentialStateful } from "./_stateful.ts";
export type {
  SequentialLoadOptions,
  SequentialState,
  SequentialStateful,
  StatefulLayer,
  StateOf,
} from "./_stateful.ts";

/** Options passed to `apply`. */
export interface ApplyOptions {
  /** Training mode (dropout active). Default false. */
  train?: boolean;
  /** A key for stochastic layers (dropout) in training mode. */
  key?: Key;
}

/** A layer: makes parameters and applies them. */
export interface Layer<P extends Tree = Tree> {
  /** A short description, e.g. `linear(3 → 4)`. */
  readonly name: string;
  /** Creates the parameters (from a key or a torch-compatible generator). */
  init(rng: InitRandom): P;
  /** Runs the layer. */
  apply(params: P, x: Tensor, options?: ApplyOptions): Tensor;
}

/** The parameters of `linear`: weight `[out, in]` (torch layout) and optional bias `[out]`. */
export interface LinearParams {
  /** `[outFeatures, inFeatures]`. */
  readonly weight: Tensor;
  /** `[outFeatures]`. */
  readonly bias?: Tensor;
}

function checkParam(layer: string, params: unknown, key: string, shape: readonly number[]): void {
  const t = (params as Record<string, unknown> | undefined)?.[key];
  if (
    !(t instanceof lt.Tensor) || t.shape.length !== shape.length ||
    t.shape.some((d, i) => d !== shape[i])
  ) {
    const found = t instanceof lt.Tensor
      ? `shape [${t.shape.join(", ")}]`
      : t === undefined
      ? "no such key"
      : `${Array.isArray(t) ? "an array" : typeof t} (not a Tensor)`;
    throw new TypeError(
      `${layer}.apply() expected params.${key} of shape [${shape.join(", ")}]: found ${found}` +
        `: pass the params this layer's init() returned`,
    );
  }
}

/**
 * A layer's input as a tensor: nested arrays of numbers (or a number) are
 * converted, like every op's operands; anything else is an error.
 */
function input(layer: string, x: unknown, dtype: lt.DType = "float32"): Tensor {
  if (x instanceof lt.Tensor) return x;
  if (Array.isArray(x) || typeof x === "number") return lt.tensor(x as number[], { dtype });
  throw new TypeError(
    `${layer}.apply() expected a Tensor or nested arrays of numbers: found ${
      x === null ? "null" : typeof x
    }: pass e.g. tensor([[1, 2, 3]])`,
  );
}

/**
 * A fully connected layer `y = x @ weightᵀ + bias` (torch.nn.Linear),
 * initialised like PyTorch.
 * @example
 * ```ts
 * import { random, tensor } from "@lathe/lathe";
 * import { linear } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = linear(3, 4);
 * const params = layer.init(random.key(0));
 * assertEquals(layer.apply(params, tensor([[1, 2, 3]])).shape, [1, 4]);
 * ```
 */
export function linear(
  inFeatures: number,
  outFeatures: number,
  options: { bias?: boolean } = {},
): Layer<LinearParams> {
  lt.checkOptions("linear", options, ["bias"]);
  for (const [name, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`linear() expected a positive integer ${name}: found ${v}`);
    }
  }
  const bias = options.bias ?? true;
  const name = `linear(${inFeatures} → ${outFeatures})`;
  return {
    name,
    init: (rng) => linearDefault(rng, inFeatures, outFeatures, bias),
    apply: (params, input_) => {
      const x = input(name, input_);
      checkParam(name, params, "weight", [outFeatures, inFeatures]);
      if (bias) checkParam(name, params, "bias", [outFeatures]);
      const features = x.shape[x.shape.length - 1];
      if (features !== inFeatures) {
        throw new RangeError(
          `${name} expected inputs with ${inFeatures} features on the last axis: found shape [${
            x.shape.join(", ")
          }]`,
        );
      }
      return lt.linear(x, params.weight, params.bias);
    },
  };
}

/** A parameter-free layer from a function. */
export function stateless(name: string, fn: (x: Tensor) => Tensor): Layer<Record<string, never>> {
  return { name, init: () => ({}), apply: (_params, x) => fn(input(name, x)) };
}

/** ReLU as a layer. */
export const relu: Layer<Record<string, never>> = stateless("relu", lt.relu);
/** Sigmoid as a layer. */
export const sigmoid: Layer<Record<string, never>> = stateless("sigmoid", lt.sigmoid);
/** Tanh as a layer. */
export const tanh: Layer<Record<string, never>> = stateless("tanh", lt.tanh);
/** GELU (exact) as a layer. */
export const gelu: Layer<Record<string, never>> = stateless("gelu", (x) => lt.gelu(x));

/** Leaky ReLU as a layer. */
export function leakyRelu(slope = 0.01): Layer<Record<string, never>> {
  return stateless(`leakyRelu(${slope})`, (x) => lt.leakyRelu(x, slope));
}
/** Softmax along `axis` (default -1) as a layer. */
export function softmax(axis: number = -1): Layer<Record<string, never>> {
  return stateless(`softmax(${axis})`, (x) => lt.softmax(x, axis));
}
/** Log-softmax along `axis` (default -1) as a layer. */
export function logSoftmax(axis: number = -1): Layer<Record<string, never>> {
  return stateless(`logSoftmax(${axis})`, (x) => lt.logSoftmax(x, axis));
}
/** Flattens axes from `startAxis` (default 1, keeping the batch axis) as a layer. */
export function flatten(startAxis: number = 1, endAxis: number = -1): Layer<Record<string, never>> {
  return stateless("flatten", (x) => lt.flatten(x, startAxis, endAxis));
}

/**
 * Dropout: in training mode (with a key) zeroes each element with
 * probability `rate` and scales the rest by 1/(1-rate); identity otherwise.
 */
export function dropout(rate: number): Layer<Record<string, never>> {
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`dropout() expected a rate in [0, 1): found ${rate}`);
  }
  return {
    name: `dropout(${rate})`,
    init: () => ({}),
    apply: (_params, input_, options = {}) => {
      lt.checkOptions("dropout.apply", options, ["train", "key"]);
      const x = input(`dropout(${rate})`, input_);
      if (!options.train || rate === 0) return x;
      if (options.key === undefined) {
        throw new TypeError(
          "dropout.apply() in training mode needs a key: pass { train: true, key }",
        );
      }
      const keep = lt.random.bernoulli(options.key, 1 - rate, x.shape);
      return lt.where(keep, x.div(1 - rate), 0);
    },
  };
}

/** Parameters of `layerNorm`. */
export interface LayerNormParams {
  /** Scale, initialised to ones. */
  readonly weight: Tensor;
  /** Shift, initialised to zeros. */
  readonly bias: Tensor;
}

/** Layer normalisation over the last axis of size `size` (torch.nn.LayerNorm, biased variance). */
export function layerNorm(size: number, options: { eps?: number } = {}): Layer<LayerNormParams> {
  lt.checkOptions("layerNorm", options, ["eps"]);
  const eps = options.eps ?? 1e-5;
  const name = `layerNorm(${size})`;
  return {
    name,
    init: () => ({ weight: lt.ones([size]), bias: lt.zeros([size]) }),
    apply: (params, input_) => {
      const x = input(name, input_);
      checkParam(name, params, "weight", [size]);
      checkParam(name, params, "bias", [size]);
      const mean = x.mean({ axis: -1, keepdims: true });
      const variance = x.var({ axis: -1, keepdims: true, correction: 0 });
      return x.sub(mean).mul(variance.add(eps).rsqrt()).mul(params.weight).add(params.bias);
    },
  };
}

/** Parameters of `embedding`. */
export interface EmbeddingParams {
  /** `[count, dim]`, initialised N(0, 1) like PyTorch. */
  readonly weight: Tensor;
}

/** A lookup table of `count` vectors of size `dim`, indexed by int32 ids. */
export function embedding(count: number, dim: number): Layer<EmbeddingParams> {
  const name = `embedding(${count}, ${dim})`;
  return {
    name,
    init: (rng) => ({ weight: normalInit(rng, [count, dim]) }),
    apply: (params, ids) => {
      checkParam(name, params, "weight", [count, dim]);
      return params.weight.take(input(name, ids, "int32"), 0);
    },
  };
}

/** The parameter type of a layer. */
export type ParamsOf<L> = L extends Layer<infer P> ? P : never;

/** Parameters of `sequential`: a tuple with each layer's parameters, in order. */
export type SequentialParams<L extends readonly Layer<any>[] = Layer<any>[]> = {
  -readonly [K in keyof L]: ParamsOf<L[K]>;
};

/** `sequential(...layers)`: a layer over the tuple of its layers' params, with their state beside. */
export type Sequential<L extends Layer<any>[]> = Layer<SequentialParams<L>> & SequentialStateful<L>;

/**
 * Layers applied in order; the parameters are a tuple with one entry per
 * layer (parameter-free layers hold `{}`), typed per layer. Stateful layers
 * (`batchNorm2d`) keep their running statistics in a state tuple beside
 * (`initState`, `applyWithState`), and `loadStateDict` reads a torch
 * `nn.Sequential`'s `state_dict`, parameters and buffers, in one call; in
 * eval mode `applyWithState` folds a batch norm into the convolution before it.
 * @example Seed 001's model has 26 parameters
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { linear, paramCount, sequential, sigmoid } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const model = sequential(linear(3, 5), linear(5, 1), sigmoid);
 * const params = model.init(random.key(0));
 * assertEquals(paramCount(params), 26);
 * assertEquals(params[1].weight.shape, [1, 5]); // typed: the second layer's LinearParams
 * ```
 */
export function sequential<L extends Layer<any>[]>(...layers: L): Sequential<L> {
  const name = `sequential(${layers.map((l) => l.name).join(", ")})`;
  const init = (rng: InitRandom) => {
    const keys = splitRandom(rng, layers.length);
    return layers.map((l, i) => l.init(keys[i])) as SequentialParams<L>;
  };
  return {
    name,
    init,
    apply: (params, x, options = {}) => {
      lt.checkOptions("sequential.apply", options, ["train", "key"]);
      if (!Array.isArray(params) || params.length !== layers.length) {
        throw new TypeError(
          `sequential.apply() expected an array of ${layers.length} parameter entries (one per layer): ` +
            `found ${
              Array.isArray(params) ? `${params.length}` : typeof params
            }: pass the params init() returned`,
        );
      }
      const keys = options.key === undefined
        ? undefined
        : lt.random.split(options.key, layers.length);
      const h0 = input(name, x);
      return layers.reduce((h, l, i) => l.apply(params[i], h, { ...options, key: keys?.[i] }), h0);
    },
    ...sequentialState(name, layers, init),
  };
}

/**
 * The number of scalar parameters in a tree (computed from the shapes).
 * @example
 * ```ts
 * import { ones } from "@lathe/lathe";
 * import { paramCount } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * assertEquals(paramCount({ w: ones([3, 5]), b: ones([5]) }), 20);
 * ```
 */
export function paramCount(params: Tree): number {
  return lt.tree.leaves(params).reduce((n, t) => n + t.size, 0);
}
