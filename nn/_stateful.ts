/**
 * State beside parameters: a `StatefulLayer` (batch norm's running
 * statistics) keeps its state in a tree of its own, returned by
 * `applyWithState`, never mutated; `sequential` threads the state of its
 * stateful layers, loads a torch `state_dict` (parameters and buffers) in
 * one call, and in eval mode folds each batch norm into the convolution
 * before it.
 *
 * NOTE: the fold. In eval mode a batch norm after a convolution is the
 * per-channel affine map `y·s + t` with `s = γ / √(var + eps)` and
 * `t = β − mean·s`, so the pair is one convolution with weight `w·s` and
 * bias `b·s + t`: only the small weight tensors are scaled, and the
 * activations are normalised by the convolution's own epilogue (no kernel
 * reads them twice). Values match the unfolded pair to rounding.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor, Tree } from "../mod.ts";
import type { ApplyOptions, Layer, SequentialParams } from "./layers.ts";

/** A layer with state beside its parameters (e.g. batch norm's running statistics). */
export interface StatefulLayer<P extends Tree = Tree, S extends Tree = Tree> extends Layer<P> {
  /** The initial state. */
  initState(): S;
  /**
   * Runs the layer with its state: in training mode (`{ train: true }`) it
   * returns the updated state, otherwise the state unchanged.
   */
  applyWithState(params: P, state: S, x: Tensor, options?: ApplyOptions): [Tensor, S];
}

/** The state type of a layer: a stateful layer's, else an empty object. */
export type StateOf<L> = L extends StatefulLayer<any, infer S> ? S : Record<string, never>;

/** The state of `sequential`: a tuple with each layer's state (`{}` for a stateless one). */
export type SequentialState<L extends readonly Layer<any>[] = Layer<any>[]> = {
  -readonly [K in keyof L]: StateOf<L[K]>;
};

/** Options of `Sequential.loadStateDict`. */
export interface SequentialLoadOptions {
  /** The dtype of the loaded floating-point tensors (default float32). */
  dtype?: "float32" | "float64";
  /** Prepended to every name when looking it up (e.g. `"model."`), as in `io.loadStateDict`. */
  prefix?: string;
  /** Maps a name (after `prefix`) to the name in the record; `undefined` keeps it. */
  rename?: (name: string) => string | undefined;
  /** Fail on tensors of the record that the model does not use (default true). */
  strict?: boolean;
}

/**
 * A conv layer's hook for the fold: applies the convolution with its weight
 * scaled per output channel and the bias `b·scale + shift` (internal).
 */
export type ConvFold = (params: Tree, x: Tensor, scale: Tensor, shift: Tensor) => Tensor;
/** A batch norm's eval-mode affine map per channel (internal). */
export type NormAffine = (params: Tree, state: Tree) => { scale: Tensor; shift: Tensor };

const convFolds = new WeakMap<object, { fold: ConvFold; channels: number }>();
const normAffines = new WeakMap<
  object,
  { affine: NormAffine; channels: number; rank: number }
>();

/**
 * Marks a convolution layer whose output a following eval-mode batch norm folds into.
 * @param layer the layer
 * @param channels its output channels
 * @param fold applies it with scaled weight and shifted bias
 * @returns the layer
 */
export function foldableConv<L extends Layer<any>>(
  layer: L,
  channels: number,
  fold: ConvFold,
): L {
  convFolds.set(layer, { fold, channels });
  return layer;
}

/**
 * Marks a batch norm layer that folds into a convolution before it in eval mode.
 * @param layer the layer
 * @param channels its channels
 * @param rank the rank of its input (4 for `[N, C, H, W]`)
 * @param affine its eval-mode scale and shift
 * @returns the layer
 */
export function foldableNorm<L extends Layer<any>>(
  layer: L,
  channels: number,
  rank: number,
  affine: NormAffine,
): L {
  normAffines.set(layer, { affine, channels, rank });
  return layer;
}

function isStateful(layer: Layer<any>): layer is StatefulLayer {
  const l = layer as Partial<StatefulLayer>;
  return typeof l.initState === "function" && typeof l.applyWithState === "function";
}

/** The stateful half of `sequential`: initState, applyWithState, loadStateDict, stateDict. */
export interface SequentialStateful<L extends Layer<any>[]> {
  /** Each layer's initial state (`{}` for a stateless layer), torch's buffer names inside. */
  initState(): SequentialState<L>;
  /**
   * Runs the layers in order, each stateful one with its state: training
   * mode returns the updated state; eval mode returns it unchanged and folds
   * a convolution followed by a batch norm into one convolution.
   */
  applyWithState(
    params: SequentialParams<L>,
    state: SequentialState<L>,
    x: Tensor,
    options?: ApplyOptions,
  ): [Tensor, SequentialState<L>];
  /**
   * Loads a torch `nn.Sequential` `state_dict` (parameters and buffers, e.g.
   * `1.running_mean`) in one call.
   */
  loadStateDict(
    tensors: Readonly<Record<string, Tensor>>,
    options?: SequentialLoadOptions,
  ): { params: SequentialParams<L>; state: SequentialState<L> };
  /** The torch `state_dict` of parameters and state: `0.weight`, `1.running_var`, … */
  stateDict(params: SequentialParams<L>, state: SequentialState<L>): Record<string, Tensor>;
}

const isEmpty = (t: Tree) => Object.keys(t as object).length === 0;

/** Each layer's parameters and state in one object: torch's names for both (`1.running_mean`). */
function merge(params: readonly Tree[], state: readonly Tree[]): Tree[] {
  return params.map((p, i) =>
    isEmpty(state[i]) ? p : ({ ...(p as object), ...(state[i] as object) }) as Tree
  );
}

/** Splits merged entries back by the keys of the state template. */
function split(merged: readonly Tree[], state: readonly Tree[]): [Tree[], Tree[]] {
  const ps: Tree[] = [];
  const ss: Tree[] = [];
  merged.forEach((m, i) => {
    if (isEmpty(state[i])) {
      ps.push(m);
      ss.push({});
      return;
    }
    const keys = new Set(Object.keys(state[i] as object));
    const p: Record<string, Tree> = {};
    const s: Record<string, Tree> = {};
    for (const [k, v] of Object.entries(m as Record<string, Tree>)) (keys.has(k) ? s : p)[k] = v;
    ps.push(p);
    ss.push(s);
  });
  return [ps, ss];
}

/**
 * The stateful methods of `sequential(...layers)` (its `init` and `apply` are the caller's).
 * @param name the sequential's name, for errors
 * @param layers the layers
 * @param init the sequential's `init`
 * @returns initState, applyWithState, loadStateDict and stateDict
 */
export function sequentialState<L extends Layer<any>[]>(
  name: string,
  layers: L,
  init: (rng: lt.Key) => SequentialParams<L>,
): SequentialStateful<L> {
  const initState = () =>
    layers.map((l) => (isStateful(l) ? l.initState() : {})) as SequentialState<L>;
  const checkTrees = (params: unknown, state: unknown) => {
    for (const [what, t] of [["params", params], ["state", state]] as const) {
      if (!Array.isArray(t) || t.length !== layers.length) {
        throw new TypeError(
          `${name}.applyWithState() expected ${what} as an array of ${layers.length} entries ` +
            `(one per layer): found ${
              Array.isArray(t) ? t.length : typeof t
            }: pass what init() and initState() returned`,
        );
      }
    }
  };
  return {
    initState,
    applyWithState: (params, state, x, options = {}) => {
      lt.checkOptions(`${name}.applyWithState`, options, ["train", "key"]);
      checkTrees(params, state);
      const keys = options.key === undefined
        ? undefined
        : lt.random.split(options.key, layers.length);
      const next = [...(state as Tree[])];
      let h = x;
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i];
        const conv = convFolds.get(layer);
        const norm = i + 1 < layers.length ? normAffines.get(layers[i + 1]) : undefined;
        // (a convolution keeps its input's rank: the batch norm's own shape check holds)
        const folds = conv && norm && conv.channels === norm.channels && h.ndim === norm.rank;
        if (!options.train && folds) {
          const { scale, shift } = norm!.affine(params[i + 1] as Tree, state[i + 1] as Tree);
          h = conv!.fold(params[i] as Tree, h, scale, shift);
          i++;
          continue;
        }
        const opts = { ...options, key: keys?.[i] };
        if (isStateful(layer)) [h, next[i]] = layer.applyWithState(params[i], next[i], h, opts);
        else h = layer.apply(params[i], h, opts);
      }
      return [h, next as SequentialState<L>];
    },
    loadStateDict: (tensors, options = {}) => {
      const { dtype = "float32", ...rest } = options;
      const cast = (t: Tensor) => (t.dtype === "float32" ? t.astype(dtype) : t);
      const params = lt.tree.map(cast, init(lt.random.key(0)) as Tree[]) as Tree[];
      const state = lt.tree.map(cast, initState()) as Tree[];
      const loaded = lt.io.loadStateDict(merge(params, state), tensors, rest);
      const [p, s] = split(loaded, state);
      return { params: p as SequentialParams<L>, state: s as SequentialState<L> };
    },
    stateDict: (params, state) => lt.io.stateDict(merge(params as Tree[], state as Tree[])),
  };
}
