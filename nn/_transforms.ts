/**
 * Gradient transformations, the building blocks of the optimizers (as in
 * optax): each is a pair of pure functions `init(params) → state` and
 * `update(updates, state, params) → [updates, state]` over parameter trees.
 * `chain` composes them; `applyUpdates` adds the result to the params.
 *
 * The update formulas follow `torch.optim` exactly (where PyTorch puts eps,
 * how it starts a momentum buffer…), so the optimizers built from them retrace
 * PyTorch's trajectories. Step counts live in the state as int32 scalar
 * tensors, so a jitted train step replays correctly at every step.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor, Tree } from "../mod.ts";

/**
 * An optimizer or one of its parts: `init` builds the state for a param tree
 * and `update` turns gradients (or the previous transform's updates) into
 * updates, to be ADDED to the params by `applyUpdates`.
 */
export interface GradientTransformation<S = unknown> {
  /** The initial state for `params` (a tree of tensors). */
  init(params: Tree): S;
  /** Transforms `updates` (shaped like `params`) and returns them with the next state. */
  update<U extends Tree>(updates: U, state: S, params: Tree): [U, S];
}

/** The state of a stateless transform. */
export type EmptyState = Record<string, never>;

/** The state of `scaleByAdam`: step count and the two moment estimates. */
export interface AdamState {
  /** The number of updates made so far (int32 scalar). */
  count: Tensor;
  /** The running mean of the gradients (PyTorch's `exp_avg`). */
  mu: Tree;
  /** The running mean of the squared gradients (PyTorch's `exp_avg_sq`). */
  nu: Tree;
}

/** The state of `scaleByAmsgrad`: Adam's, plus the running maximum of `nu`. */
export interface AmsgradState extends AdamState {
  /** The elementwise maximum of every `nu` so far (PyTorch's `max_exp_avg_sq`). */
  nuMax: Tree;
}

/** The state of `traceMomentum`: step count and the momentum buffer. */
export interface TraceState {
  /** The number of updates made so far (int32 scalar). */
  count: Tensor;
  /** The momentum buffer (PyTorch's `momentum_buffer`). */
  trace: Tree;
}

/** The state of `scaleByRms`: the running mean of squared gradients. */
export interface RmsState {
  /** PyTorch's `square_avg`. */
  nu: Tree;
}

/** The state of `scaleByStddev`: running means of the gradients and their squares. */
export interface StddevState {
  /** PyTorch's `grad_avg`. */
  mu: Tree;
  /** PyTorch's `square_avg`. */
  nu: Tree;
}

/** The state of `scaleByRss`: the running sum of squared gradients. */
export interface RssState {
  /** PyTorch's Adagrad `sum`. */
  sumOfSquares: Tree;
}

/** Throws unless `updates` has the structure and shapes of `params`, naming the first bad path. */
export function checkUpdates(name: string, updates: Tree, params: Tree): void {
  if (params === undefined) {
    throw new TypeError(
      `${name}() expected params as the third argument of update(): found undefined: call update(grads, state, params)`,
    );
  }
  try {
    lt.tree.assertSameStructure(params, updates, { checkShapes: true, name: "grads" });
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    throw new TypeError(`${name}() expected grads shaped like params: ${e.message}`);
  }
  const bad = nonFloat(params, "params");
  if (bad !== undefined) {
    throw new TypeError(
      `${name}() expected float params: found ${bad}: create them with tensor(values, { dtype: "float32" })`,
    );
  }
}

/** The dtype and path of the first tensor in a tree that is not a float (16, 32 or 64 bits). */
function nonFloat(x: Tree, path: string): string | undefined {
  if (x instanceof lt.Tensor) {
    return x.dtype.startsWith("float") ? undefined : `${x.dtype} at ${path}`;
  }
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const bad = nonFloat(x[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
  } else if (x !== null && typeof x === "object") {
    for (const key of Object.keys(x).sort()) {
      const bad = nonFloat((x as Record<string, Tree>)[key], `${path}.${key}`);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/** Throws a RangeError unless `lo <= value` (and `value < hi` when given). */
export function checkRange(name: string, what: string, value: number, lo = 0, hi?: number): void {
  const ok = Number.isFinite(value) && value >= lo && (hi === undefined || value < hi);
  if (!ok) {
    const range = hi === undefined ? `>= ${lo}` : `in [${lo}, ${hi})`;
    throw new RangeError(`${name}() expected ${what} ${range}: found ${value}`);
  }
}

function zerosTree(params: Tree): Tree {
  return lt.tree.map((p) => lt.zerosLike(p), params);
}

/** A new step count: an int32 scalar 0. */
export function zeroCount(): Tensor {
  return lt.zeros([], { dtype: "int32" });
}

/** A float64 scalar tensor cast to `dtype` (JS numbers pass through). */
export function castScalar(x: Tensor | number, dtype: lt.DType): Tensor | number {
  return typeof x === "number" || x.dtype === dtype ? x : x.astype(dtype);
}

/**
 * Scales updates by a constant: `u · factor`.
 * @param factor the factor
 * @returns a stateless transform
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scale } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const p = zeros([2]);
 * assertEquals(scale(-2).update(tensor([0.5, 1.5]), {}, p)[0].toArray(), [-1, -3]);
 * ```
 */
export function scale(factor: number): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update(updates, state, params) {
      checkUpdates("scale", updates, params);
      return [lt.tree.map((u) => u.mul(factor), updates), state];
    },
  };
}

/**
 * Adds `weightDecay · params` to the updates: L2 regularisation as
 * PyTorch's `weight_decay` does it in SGD, Adam, RMSprop and Adagrad (placed
 * first in the chain), or decoupled weight decay as in AdamW (placed after
 * `scaleByAdam`).
 * @param weightDecay the factor (>= 0)
 * @returns a stateless transform
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { addDecayedWeights } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const p = tensor([10.5, 20.5]);
 * assertEquals(addDecayedWeights(0.5).update(tensor([0.5, 0.5]), {}, p)[0].toArray(), [5.75, 10.75]);
 * ```
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation<EmptyState> {
  checkRange("addDecayedWeights", "weightDecay", weightDecay);
  return {
    init: () => ({}),
    update(updates, state, params) {
      checkUpdates("addDecayedWeights", updates, params);
      return [lt.tree.map((u, p) => u.add(p.mul(weightDecay)), updates, params), state];
    },
  };
}

/** Options of `scaleByAdam` and `scaleByAmsgrad`. */
export interface ScaleByAdamOptions {
  /** The decay of the gradient mean (default 0.9). */
  b1?: number;
  /** The decay of the squared-gradient mean (default 0.999). */
  b2?: number;
  /** Added to the bias-corrected root mean square (default 1e-8). */
  eps?: number;
}

function adamOptions(name: string, options: ScaleByAdamOptions): Required<ScaleByAdamOptions> {
  lt.checkOptions(name, options, ["b1", "b2", "eps"]);
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = options;
  checkRange(name, "b1", b1, 0, 1);
  checkRange(name, "b2", b2, 0, 1);
  checkRange(name, "eps", eps);
  return { b1, b2, eps };
}

// mu ← b1·mu + (1 - b1)·g ;  nu ← b2·nu + (1 - b2)·g²  (torch: mul_ then add_ / addcmul_)
function moments(updates: Tree, state: AdamState, b1: number, b2: number): [Tree, Tree] {
  const mu = lt.tree.map((g, m) => m.mul(b1).add(g.mul(1 - b1)), updates, state.mu);
  const nu = lt.tree.map((g, v) => v.mul(b2).add(g.mul(1 - b2).mul(g)), updates, state.nu);
  return [mu, nu];
}

// (mu / bc1) / (sqrt(nu) / sqrt(bc2) + eps), bc = 1 - b^t with t the 1-based step
function adamDirection(count: Tensor, mu: Tree, nu: Tree, o: Required<ScaleByAdamOptions>): Tree {
  const t = count.astype("float64");
  const bc1 = lt.sub(1, lt.pow(o.b1, t));
  const bc2Sqrt = lt.sqrt(lt.sub(1, lt.pow(o.b2, t)));
  // one cast per dtype, read by every parameter's update (computed once under jit)
  const casts = new Map<string, Tensor | number>();
  const cast = (x: Tensor, dtype: lt.DType, name: string) => {
    const key = `${name}|${dtype}`;
    if (!casts.has(key)) casts.set(key, castScalar(x, dtype));
    return casts.get(key)!;
  };
  return lt.tree.map(
    (m, v) => {
      const denom = lt.sqrt(v).div(cast(bc2Sqrt, v.dtype, "bc2")).add(o.eps);
      return m.div(cast(bc1, m.dtype, "bc1")).div(denom);
    },
    mu,
    nu,
  );
}

/**
 * Adam's direction, as `torch.optim.Adam` computes it: bias-corrected
 * moments with eps added AFTER the square root,
 * `(mu / (1 - b1^t)) / (sqrt(nu) / sqrt(1 - b2^t) + eps)`.
 * @param options `b1`, `b2` and `eps`
 * @returns the transform, with an `AdamState`
 * @example One step goes along the gradient's sign
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleByAdam } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const t = scaleByAdam();
 * const p = zeros([1]);
 * const [u] = t.update(tensor([1.5]), t.init(p), p);
 * assertAlmostEquals(u.item(), 1, 1e-6);
 * ```
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<AdamState> {
  const o = adamOptions("scaleByAdam", options);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosTree(params), nu: zerosTree(params) }),
    update(updates, state, params) {
      checkUpdates("scaleByAdam", updates, params);
      const count = state.count.add(1);
      const [mu, nu] = moments(updates, state, o.b1, o.b2);
      return [adamDirection(count, mu, nu, o) as typeof updates, { count, mu, nu }];
    },
  };
}

/**
 * AMSGrad, as `torch.optim.Adam(amsgrad=True)`: Adam's direction with the
 * running maximum of `nu` in the denominator.
 * @param options `b1`, `b2` and `eps`
 * @returns the transform, with an `AmsgradState`
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleByAmsgrad } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const t = scaleByAmsgrad();
 * const p = zeros([1]);
 * const [u] = t.update(tensor([-2.5]), t.init(p), p);
 * assertAlmostEquals(u.item(), -1, 1e-6);
 * ```
 */
export function scaleByAmsgrad(
  options: ScaleByAdamOptions = {},
): GradientTransformation<AmsgradState> {
  const o = adamOptions("scaleByAmsgrad", options);
  return {
    init: (params) => ({
      count: zeroCount(),
      mu: zerosTree(params),
      nu: zerosTree(params),
      nuMax: zerosTree(params),
    }),
    update(updates, state, params) {
      checkUpdates("scaleByAmsgrad", updates, params);
      const count = state.count.add(1);
      const [mu, nu] = moments(updates, state, o.b1, o.b2);
      const nuMax = lt.tree.map((a, b) => lt.maximum(a, b), state.nuMax, nu);
      return [adamDirection(count, mu, nuMax, o) as typeof updates, { count, mu, nu, nuMax }];
    },
  };
}

/** Options of `traceMomentum`. */
export interface TraceMomentumOptions {
  /** The momentum factor (PyTorch's `momentum`). */
  decay: number;
  /** The dampening of new gradients after the first step (default 0). */
  dampening?: number;
  /** Nesterov momentum: `g + decay · trace` instead of `trace` (default false). */
  nesterov?: boolean;
}

/**
 * Momentum as in `torch.optim.SGD`: the buffer starts as the first gradient
 * (no dampening on that step), then `trace ← decay · trace + (1 - dampening) · g`;
 * the output is `trace`, or `g + decay · trace` with Nesterov.
 * @param options `decay`, `dampening` and `nesterov`
 * @returns the transform, with a `TraceState`
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { traceMomentum } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const t = traceMomentum({ decay: 0.5 });
 * const p = zeros([1]);
 * const [u1, s1] = t.update(tensor([2.5]), t.init(p), p);
 * const [u2] = t.update(tensor([2.5]), s1, p);
 * assertEquals([u1.item(), u2.item()], [2.5, 3.75]);
 * ```
 */
export function traceMomentum(options: TraceMomentumOptions): GradientTransformation<TraceState> {
  lt.checkOptions("traceMomentum", options, ["decay", "dampening", "nesterov"]);
  const { decay, dampening = 0, nesterov = false } = options;
  checkRange("traceMomentum", "decay", decay);
  checkRange("traceMomentum", "dampening", dampening);
  return {
    init: (params) => ({ count: zeroCount(), trace: zerosTree(params) }),
    update(updates, state, params) {
      checkUpdates("traceMomentum", updates, params);
      // the first step copies g (trace is 0): the gradient's factor is 1 then
      const factor = dampening === 0
        ? 1
        : lt.where(state.count.eq(0), lt.tensor(1, { dtype: "float64" }), 1 - dampening);
      const trace = lt.tree.map(
        (g, b) => b.mul(decay).add(g.mul(castScalar(factor, g.dtype))),
        updates,
        state.trace,
      );
      const out = nesterov ? lt.tree.map((g, b) => g.add(b.mul(decay)), updates, trace) : trace;
      return [out as typeof updates, { count: state.count.add(1), trace }];
    },
  };
}

/** Options of `scaleByRms`, `scaleByStddev` and `scaleByRss`. */
export interface ScaleByRmsOptions {
  /** The decay of the running means (PyTorch RMSprop's `alpha`, default 0.99). */
  decay?: number;
  /** Added to the root (default 1e-8). */
  eps?: number;
}

/**
 * RMSprop's scaling, as `torch.optim.RMSprop`: `g / (sqrt(nu) + eps)` with
 * `nu ← decay · nu + (1 - decay) · g²` starting from 0.
 * @param options `decay` and `eps`
 * @returns the transform, with an `RmsState`
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleByRms } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const t = scaleByRms({ decay: 0.75, eps: 0 });
 * const p = zeros([1]);
 * assertAlmostEquals(t.update(tensor([1.5]), t.init(p), p)[0].item(), 2, 1e-6); // 1.5 / sqrt(0.25 · 1.5²)
 * ```
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<RmsState> {
  lt.checkOptions("scaleByRms", options, ["decay", "eps"]);
  const { decay = 0.99, eps = 1e-8 } = options;
  checkRange("scaleByRms", "decay", decay);
  checkRange("scaleByRms", "eps", eps);
  return {
    init: (params) => ({ nu: zerosTree(params) }),
    update(updates, state, params) {
      checkUpdates("scaleByRms", updates, params);
      const nu = lt.tree.map(
        (g, v) => v.mul(decay).add(g.mul(1 - decay).mul(g)),
        updates,
        state.nu,
      );
      const out = lt.tree.map((g, v) => g.div(lt.sqrt(v).add(eps)), updates, nu);
      return [out, { nu }];
    },
  };
}

/**
 * Centered RMSprop's scaling, as `torch.optim.RMSprop(centered=True)`:
 * `g / (sqrt(nu - mu²) + eps)` with running means `mu` of g and `nu` of g².
 * @param options `decay` and `eps`
 * @returns the transform, with a `StddevState`
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleByStddev } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const t = scaleByStddev({ decay: 0.75, eps: 0 });
 * const p = zeros([1]);
 * const [u] = t.update(tensor([1.5]), t.init(p), p); // nu = 0.25 · 1.5², mu = 0.25 · 1.5
 * assertAlmostEquals(u.item(), 1.5 / Math.sqrt(0.5625 - 0.375 ** 2), 1e-6);
 * ```
 */
export function scaleByStddev(
  options: ScaleByRmsOptions = {},
): GradientTransformation<StddevState> {
  lt.checkOptions("scaleByStddev", options, ["decay", "eps"]);
  const { decay = 0.99, eps = 1e-8 } = options;
  checkRange("scaleByStddev", "decay", decay);
  checkRange("scaleByStddev", "eps", eps);
  return {
    init: (params) => ({ mu: zerosTree(params), nu: zerosTree(params) }),
    update(updates, state, params) {
      checkUpdates("scaleByStddev", updates, params);
      const nu = lt.tree.map(
        (g, v) => v.mul(decay).add(g.mul(1 - decay).mul(g)),
        updates,
        state.nu,
      );
      const mu = lt.tree.map((g, m) => m.mul(decay).add(g.mul(1 - decay)), updates, state.mu);
      const out = lt.tree.map(
        (g, m, v) => g.div(lt.sqrt(v.sub(m.mul(m))).add(eps)),
        updates,
        mu,
        nu,
      );
      return [out, { mu, nu }];
    },
  };
}

/** Options of `scaleByRss`. */
export interface ScaleByRssOptions {
  /** The starting value of the sum of squares (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the root (default 1e-10, like PyTorch's Adagrad). */
  eps?: number;
}

/**
 * Adagrad's scaling, as `torch.optim.Adagrad`: `g / (sqrt(sum) + eps)` with
 * `sum ← sum + g²`.
 * @param options `initialAccumulatorValue` and `eps`
 * @returns the transform, with an `RssState`
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleByRss } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const t = scaleByRss();
 * const p = zeros([1]);
 * const [u1, s1] = t.update(tensor([0.3]), t.init(p), p);
 * const [u2] = t.update(tensor([0.4]), s1, p); // 0.4 / sqrt(0.3² + 0.4²)
 * assertAlmostEquals(u1.item(), 1, 1e-6);
 * assertAlmostEquals(u2.item(), 0.8, 1e-6);
 * ```
 */
export function scaleByRss(options: ScaleByRssOptions = {}): GradientTransformation<RssState> {
  lt.checkOptions("scaleByRss", options, ["initialAccumulatorValue", "eps"]);
  const { initialAccumulatorValue = 0, eps = 1e-10 } = options;
  checkRange("scaleByRss", "initialAccumulatorValue", initialAccumulatorValue);
  checkRange("scaleByRss", "eps", eps);
  return {
    init: (params) => ({
      sumOfSquares: lt.tree.map((p) => lt.fullLike(p, initialAccumulatorValue), params),
    }),
    update(updates, state, params) {
      checkUpdates("scaleByRss", updates, params);
      const sumOfSquares = lt.tree.map((g, s) => s.add(g.mul(g)), updates, state.sumOfSquares);
      const out = lt.tree.map((g, s) => g.div(lt.sqrt(s).add(eps)), updates, sumOfSquares);
      return [out, { sumOfSquares }];
    },
  };
}
