/**
 * Optimizers over parameter trees, as optax does them: an optimizer is a
 * pair of pure functions `init(params) → state` and
 * `update(grads, state, params) → [updates, state]`, and
 * `applyUpdates(params, updates)` makes the new params. Nothing is mutated.
 *
 * `sgd`, `adam`, `adamw`, `rmsprop` and `adagrad` follow `torch.optim`'s
 * update formulas exactly (eps placement, bias correction, weight-decay form,
 * momentum-buffer start, dampening, Nesterov), so a model trained here
 * retraces its PyTorch trajectory. Each one is a `chain` of small transforms
 * (`scaleByAdam`, `traceMomentum`, `scaleByLearningRate`…) that can be
 * recombined, and any `lr` can be a schedule (`stepLR`, `cosineDecay`…).
 * Step counts live in the state as tensors, so a jitted train step replays
 * correctly at every step.
 *
 * @example Fitting a line with Adam in a jitted train step
 * ```ts
 * import * as lt from "@lathe/lathe";
 * import { adam, applyUpdates } from "@lathe/lathe/optim";
 * import { assertLess } from "@std/assert";
 *
 * const x = lt.tensor([0, 1, 2, 3], { dtype: "float32" });
 * const y = x.mul(2).add(1);
 * type Params = { w: lt.Tensor; b: lt.Tensor };
 * const loss = (p: Params) => p.w.mul(x).add(p.b).sub(y).square().mean();
 *
 * const opt = adam(0.1);
 * const trainStep = lt.jit((params: Params, state: unknown[]) => {
 *   const [value, grads] = lt.valueAndGrad(loss)(params);
 *   const [updates, next] = opt.update(grads, state, params);
 *   return [applyUpdates(params, updates), next, value] as const;
 * });
 * let params: Params = { w: lt.zeros([]), b: lt.zeros([]) };
 * let state = opt.init(params);
 * let value = loss(params);
 * for (let i = 0; i < 300; i++) [params, state, value] = trainStep(params, state);
 * assertLess(value.item(), 1e-3);
 * ```
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor, Tree } from "../mod.ts";
import {
  addDecayedWeights,
  castScalar,
  checkRange,
  checkUpdates,
  type EmptyState,
  type GradientTransformation,
  scaleByAdam,
  scaleByAmsgrad,
  scaleByRms,
  scaleByRss,
  scaleByStddev,
  traceMomentum,
} from "./_transforms.ts";
import { scaleByLearningRate, type Schedule } from "./schedules.ts";

export {
  type AdamState,
  addDecayedWeights,
  type AmsgradState,
  type EmptyState,
  type GradientTransformation,
  type RmsState,
  type RssState,
  scale,
  scaleByAdam,
  type ScaleByAdamOptions,
  scaleByAmsgrad,
  scaleByRms,
  type ScaleByRmsOptions,
  scaleByRss,
  type ScaleByRssOptions,
  scaleByStddev,
  type StddevState,
  traceMomentum,
  type TraceMomentumOptions,
  type TraceState,
} from "./_transforms.ts";
export * from "./schedules.ts";
export * from "./sparse_optim.ts";

/**
 * Composes transforms: each one's updates feed the next; the state is the
 * array of their states.
 * @param transforms the transforms, applied left to right
 * @returns one transform
 * @example SGD with gradient clipping
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { applyUpdates, chain, clipByGlobalNorm, scaleByLearningRate } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = chain(clipByGlobalNorm(0.1), scaleByLearningRate(0.5));
 * const params = { w: tensor([1.5, 1.5]) };
 * const [updates] = opt.update({ w: tensor([0.3, 0.4]) }, opt.init(params), params);
 * const [w0, w1] = applyUpdates(params, updates).w.dataSync(); // the gradient is clipped to norm 0.1
 * assertAlmostEquals(w0, 1.5 - 0.5 * 0.06, 1e-6);
 * assertAlmostEquals(w1, 1.5 - 0.5 * 0.08, 1e-6);
 * ```
 */
export function chain<T extends readonly GradientTransformation<any>[]>(
  ...transforms: T
): GradientTransformation<{ -readonly [K in keyof T]: ReturnType<T[K]["init"]> }> {
  type S = { -readonly [K in keyof T]: ReturnType<T[K]["init"]> };
  return {
    init: (params) => transforms.map((t) => t.init(params)) as S,
    update(updates, state, params) {
      checkUpdates("chain", updates, params);
      const next: unknown[] = [];
      transforms.forEach((t, i) => {
        const [u, s] = t.update(updates, state[i], params);
        updates = u;
        next.push(s);
      });
      return [updates, next as S];
    },
  };
}

/**
 * Adds updates to params (`params + updates`, leaf by leaf, keeping each
 * param's dtype): the last step of every optimizer update.
 * @param params the parameter tree
 * @param updates a tree of the same structure, as returned by `update`
 * @returns the new params
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { applyUpdates } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const next = applyUpdates({ w: tensor([1.5, 2.5]) }, { w: tensor([0.5, -0.5]) });
 * assertEquals(next.w.toArray(), [2, 2]);
 * ```
 */
export function applyUpdates<T extends Tree>(params: T, updates: Tree): T {
  try {
    lt.tree.assertSameStructure(params, updates, { checkShapes: true, name: "updates" });
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    throw new TypeError(`applyUpdates() expected updates shaped like params: ${e.message}`);
  }
  return lt.tree.map(
    (p, u) => {
      const next = p.add(u);
      return next.dtype === p.dtype ? next : next.astype(p.dtype);
    },
    params,
    updates,
  );
}

/**
 * The 2-norm of all the tensors of a tree together, computed like
 * `torch.nn.utils.clip_grad_norm_` (the norm of the per-tensor norms).
 * @param tree a tree of float tensors
 * @returns a scalar tensor
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { globalNorm } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(globalNorm({ a: tensor([0.3]), b: tensor([[0.4]]) }).item(), 0.5, 1e-6);
 * ```
 */
export function globalNorm(tree: Tree): Tensor {
  const norms = lt.tree.leaves(tree).map((g) => lt.sqrt(g.mul(g).sum()));
  if (norms.length === 0) return lt.zeros([]);
  const dtype = norms.some((n) => n.dtype === "float64") ? "float64" : "float32";
  return lt.sqrt(lt.stack(norms.map((n) => n.astype(dtype))).square().sum());
}

/**
 * Rescales updates whose global 2-norm exceeds `maxNorm`, like
 * `torch.nn.utils.clip_grad_norm_`: multiplies every tensor by
 * `min(1, maxNorm / (norm + 1e-6))`.
 * @param maxNorm the largest norm let through (>= 0)
 * @returns a stateless transform
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { clipByGlobalNorm } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const g = { a: tensor([0.3]), b: tensor([0.4]) }; // norm 0.5
 * const [clipped] = clipByGlobalNorm(0.1).update(g, {}, g);
 * assertAlmostEquals(clipped.a.item(), 0.06, 1e-6);
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<EmptyState> {
  checkRange("clipByGlobalNorm", "maxNorm", maxNorm);
  return {
    init: () => ({}),
    update(updates, state, params) {
      checkUpdates("clipByGlobalNorm", updates, params);
      const coef = lt.minimum(lt.div(maxNorm, globalNorm(updates).add(1e-6)), 1);
      return [lt.tree.map((g) => g.mul(castScalar(coef, g.dtype)), updates), state];
    },
  };
}

/** The state of an optimizer built with `chain`: one state per part. */
export type OptimizerState = unknown[];

/** An optimizer: a `GradientTransformation` whose state is its parts' states. */
export type Optimizer = GradientTransformation<OptimizerState>;

function checkLr(name: string, lr: number | Schedule): void {
  if (typeof lr === "number") checkRange(name, "a learning rate", lr);
  else if (typeof lr !== "function") {
    throw new TypeError(
      `${name}() expected a learning rate (a number or a schedule): found ${typeof lr}`,
    );
  }
}

function checkBetas(name: string, betas: readonly [number, number]): void {
  const ok = (b: number) => Number.isFinite(b) && b >= 0 && b < 1;
  if (betas.length !== 2 || !ok(betas[0]) || !ok(betas[1])) {
    throw new RangeError(`${name}() expected betas in [0, 1): found [${betas.join(", ")}]`);
  }
}

/** Chains the parts that are used, checking grads against params under the optimizer's name. */
function optimizer(
  name: string,
  parts: (GradientTransformation<any> | undefined)[],
): Optimizer {
  const used = parts.filter((p) => p !== undefined);
  const inner = chain(...used);
  return {
    init: (params) => inner.init(params),
    update(grads, state, params) {
      checkUpdates(name, grads, params);
      if (!Array.isArray(state) || state.length !== used.length) {
        const found = Array.isArray(state) ? `an array of length ${state.length}` : typeof state;
        throw new TypeError(
          `${name}() expected the state made by its init(): found ${found}: call init(params) once, then pass each update's new state`,
        );
      }
      return inner.update(grads, state, params);
    },
  };
}

/** Options of `sgd` (PyTorch's names, in camelCase). */
export interface SgdOptions {
  /** The momentum factor (default 0: plain SGD). */
  momentum?: number;
  /** The dampening of new gradients in the momentum buffer (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and no dampening). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with momentum, exactly as `torch.optim.SGD`:
 * `g ← g + weightDecay · p`; the momentum buffer starts as the first `g`,
 * then `buf ← momentum · buf + (1 - dampening) · g`; the step is
 * `-lr · buf` (or `-lr · (g + momentum · buf)` with Nesterov).
 * @param lr the learning rate (>= 0) or a schedule
 * @param options `momentum`, `dampening`, `nesterov` and `weightDecay`
 * @returns the optimizer
 * @example
 * ```ts
 * import { ones } from "@lathe/lathe";
 * import { sgd, step } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = sgd(0.1, { momentum: 0.9 });
 * let params = { w: ones([1]) };
 * let state = opt.init(params);
 * [params, state] = step(opt, params, { w: ones([1]) }, state); // buf = 1
 * [params, state] = step(opt, params, { w: ones([1]) }, state); // buf = 1.9
 * assertAlmostEquals(params.w.item(), 1 - 0.1 - 0.19, 1e-6);
 * ```
 */
export function sgd(lr: number | Schedule, options: SgdOptions = {}): Optimizer {
  lt.checkOptions("sgd", options, ["momentum", "dampening", "nesterov", "weightDecay"]);
  const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = options;
  checkLr("sgd", lr);
  checkRange("sgd", "momentum", momentum);
  checkRange("sgd", "dampening", dampening);
  checkRange("sgd", "weightDecay", weightDecay);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `sgd() expected momentum > 0 and dampening 0 with nesterov: found momentum ${momentum} and dampening ${dampening}`,
    );
  }
  return optimizer("sgd", [
    weightDecay > 0 ? addDecayedWeights(weightDecay) : undefined,
    momentum > 0 ? traceMomentum({ decay: momentum, dampening, nesterov }) : undefined,
    scaleByLearningRate(lr),
  ]);
}

/** Options of `adam` and `adamw`. */
export interface AdamOptions {
  /** The decays of the two moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the bias-corrected root of the second moment (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad, default false). */
  amsgrad?: boolean;
}

function adamCore(name: string, options: AdamOptions): GradientTransformation<any> {
  const { betas = [0.9, 0.999], eps = 1e-8, amsgrad = false } = options;
  checkBetas(name, betas);
  checkRange(name, "eps", eps);
  const o = { b1: betas[0], b2: betas[1], eps };
  return amsgrad ? scaleByAmsgrad(o) : scaleByAdam(o);
}

/**
 * Adam, exactly as `torch.optim.Adam`: `g ← g + weightDecay · p` (L2), then
 * the step `-lr / (1 - b1^t) · m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 * @param lr the learning rate (>= 0) or a schedule
 * @param options `betas`, `eps`, `weightDecay` and `amsgrad`
 * @returns the optimizer
 * @example The first step moves each weight by about lr
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { adam, step } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = adam(0.01);
 * const params = { w: tensor([1.5, 1.5]) };
 * const [next] = step(opt, params, { w: tensor([5.5, -0.1]) }, opt.init(params));
 * const [w0, w1] = next.w.dataSync();
 * assertAlmostEquals(w0, 1.49, 1e-6);
 * assertAlmostEquals(w1, 1.51, 1e-6);
 * ```
 */
export function adam(lr: number | Schedule, options: AdamOptions = {}): Optimizer {
  lt.checkOptions("adam", options, ["betas", "eps", "weightDecay", "amsgrad"]);
  const { weightDecay = 0 } = options;
  checkLr("adam", lr);
  checkRange("adam", "weightDecay", weightDecay);
  return optimizer("adam", [
    weightDecay > 0 ? addDecayedWeights(weightDecay) : undefined,
    adamCore("adam", options),
    scaleByLearningRate(lr),
  ]);
}

/**
 * AdamW, exactly as `torch.optim.AdamW`: decoupled weight decay
 * `p ← p - lr · weightDecay · p` plus Adam's step on the raw gradient.
 * @param lr the learning rate (>= 0) or a schedule
 * @param options `betas`, `eps`, `weightDecay` (default 0.01) and `amsgrad`
 * @returns the optimizer
 * @example With a zero gradient only the decay acts
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { adamw, step } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = adamw(0.1, { weightDecay: 0.5 });
 * const params = { w: tensor([2.5]) };
 * const [next] = step(opt, params, { w: zeros([1]) }, opt.init(params));
 * assertAlmostEquals(next.w.item(), 2.5 - 0.1 * 0.5 * 2.5, 1e-6);
 * ```
 */
export function adamw(lr: number | Schedule, options: AdamOptions = {}): Optimizer {
  lt.checkOptions("adamw", options, ["betas", "eps", "weightDecay", "amsgrad"]);
  const { weightDecay = 0.01 } = options;
  checkLr("adamw", lr);
  checkRange("adamw", "weightDecay", weightDecay);
  return optimizer("adamw", [
    adamCore("adamw", options),
    weightDecay > 0 ? addDecayedWeights(weightDecay) : undefined,
    scaleByLearningRate(lr),
  ]);
}

/** Options of `rmsprop` (PyTorch's names, in camelCase). */
export interface RmspropOptions {
  /** The decay of the squared-gradient mean (default 0.99). */
  alpha?: number;
  /** Added to the root (default 1e-8). */
  eps?: number;
  /** The momentum factor (default 0). */
  momentum?: number;
  /** Divide by the estimated standard deviation instead of the root mean square (default false). */
  centered?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/**
 * RMSprop, exactly as `torch.optim.RMSprop`: `g ← g + weightDecay · p`;
 * `v ← alpha · v + (1 - alpha) · g²`; `d = g / (sqrt(v) + eps)` (centered:
 * `sqrt(v - mean(g)²)`); with momentum `buf ← momentum · buf + d`; the step
 * is `-lr · buf` (or `-lr · d`).
 * @param lr the learning rate (>= 0) or a schedule
 * @param options `alpha`, `eps`, `momentum`, `centered` and `weightDecay`
 * @returns the optimizer
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { rmsprop, step } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = rmsprop(0.01, { alpha: 0.75, eps: 0 });
 * const params = { w: tensor([1.5]) };
 * const [next] = step(opt, params, { w: tensor([1.5]) }, opt.init(params));
 * assertAlmostEquals(next.w.item(), 1.5 - 0.01 * 2, 1e-6); // 1.5 / sqrt(0.25 · 1.5²)
 * ```
 */
export function rmsprop(lr: number | Schedule, options: RmspropOptions = {}): Optimizer {
  lt.checkOptions("rmsprop", options, ["alpha", "eps", "momentum", "centered", "weightDecay"]);
  const { alpha = 0.99, eps = 1e-8, momentum = 0, centered = false, weightDecay = 0 } = options;
  checkLr("rmsprop", lr);
  checkRange("rmsprop", "alpha", alpha);
  checkRange("rmsprop", "eps", eps);
  checkRange("rmsprop", "momentum", momentum);
  checkRange("rmsprop", "weightDecay", weightDecay);
  const o = { decay: alpha, eps };
  return optimizer("rmsprop", [
    weightDecay > 0 ? addDecayedWeights(weightDecay) : undefined,
    centered ? scaleByStddev(o) : scaleByRms(o),
    momentum > 0 ? traceMomentum({ decay: momentum }) : undefined,
    scaleByLearningRate(lr),
  ]);
}

/** Options of `adagrad` (PyTorch's names, in camelCase). */
export interface AdagradOptions {
  /** The learning-rate decay: step t uses `lr / (1 + t · lrDecay)` (default 0). */
  lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** The starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the root (default 1e-10). */
  eps?: number;
}

/**
 * Adagrad, exactly as `torch.optim.Adagrad`: `g ← g + weightDecay · p`;
 * `sum ← sum + g²`; the step is `-lr / (1 + t · lrDecay) · g / (sqrt(sum) + eps)`
 * with `t` counted from 0.
 * @param lr the learning rate (>= 0) or a schedule
 * @param options `lrDecay`, `weightDecay`, `initialAccumulatorValue` and `eps`
 * @returns the optimizer
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { adagrad, step } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = adagrad(0.1);
 * const params = { w: tensor([1.5]) };
 * const [next] = step(opt, params, { w: tensor([0.5]) }, opt.init(params));
 * assertAlmostEquals(next.w.item(), 1.4, 1e-6); // 0.5 / sqrt(0.5²)
 * ```
 */
export function adagrad(lr: number | Schedule, options: AdagradOptions = {}): Optimizer {
  lt.checkOptions("adagrad", options, ["lrDecay", "weightDecay", "initialAccumulatorValue", "eps"]);
  const { lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 } = options;
  checkLr("adagrad", lr);
  checkRange("adagrad", "lrDecay", lrDecay);
  checkRange("adagrad", "weightDecay", weightDecay);
  // torch: clr = lr / (1 + (step - 1) · lr_decay) with a 1-based step
  const decayed = (count: Tensor) =>
    lt.div(typeof lr === "number" ? lr : lr(count), count.astype("float64").mul(lrDecay).add(1));
  return optimizer("adagrad", [
    weightDecay > 0 ? addDecayedWeights(weightDecay) : undefined,
    scaleByRss({ initialAccumulatorValue, eps }),
    scaleByLearningRate(lrDecay > 0 ? decayed : lr),
  ]);
}

/**
 * One optimizer step in one call: `update`, then `applyUpdates`.
 * @param optimizer the optimizer (or any transform)
 * @param params the current params
 * @param grads the gradients, shaped like `params`
 * @param state the optimizer state (from `init` or the previous step)
 * @returns the new params and the new state
 * @example
 * ```ts
 * import { tensor } from "@lathe/lathe";
 * import { sgd, step } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const opt = sgd(0.1);
 * const params = { w: tensor([1.5]) };
 * const [next] = step(opt, params, { w: tensor([2.5]) }, opt.init(params));
 * assertAlmostEquals(next.w.item(), 1.25, 1e-6);
 * ```
 */
export function step<T extends Tree, S>(
  optimizer: GradientTransformation<S>,
  params: T,
  grads: Tree,
  state: S,
): [T, S] {
  const [updates, next] = optimizer.update(grads, state, params);
  return [applyUpdates(params, updates), next];
}
