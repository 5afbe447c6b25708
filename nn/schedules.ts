/**
 * Learning-rate schedules: functions from the step count (0 for the first
 * update) to a learning rate, usable wherever an optimizer takes `lr`. Each
 * one matches a `torch.optim.lr_scheduler` stepped once after every
 * `optimizer.step()`.
 *
 * Inside an optimizer the step arrives as an int32 scalar tensor (it lives in
 * the optimizer state, so a jitted train step replays correctly at every
 * step) and the schedule is computed with tensor ops in float64. Called with a
 * JS number, a built-in schedule returns a JS number, for printing and plots.
 * `scaleBySchedule` and `scaleByLearningRate` are the transforms that apply
 * a schedule.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import {
  castScalar,
  checkRange,
  checkUpdates,
  type EmptyState,
  type GradientTransformation,
  scale,
  zeroCount,
} from "./_transforms.ts";

/**
 * A learning rate that depends on the step: receives the step count as a
 * scalar tensor (0 for the first update) and returns the learning rate, a
 * tensor or a constant JS number. Use tensor ops, not `Math`, so the
 * schedule works inside `jit`.
 */
export type Schedule = (count: Tensor) => Tensor | number;

/** A built-in schedule: a `Schedule` that also maps a JS number to a JS number. */
export interface ScheduleFn {
  /** The learning rate at `step` as a JS number. */
  (step: number): number;
  /** The learning rate at `step` (an int or float scalar tensor) as a float64 tensor. */
  (step: Tensor): Tensor;
}

function makeSchedule(f: (t: Tensor) => Tensor): ScheduleFn {
  function schedule(step: number): number;
  function schedule(step: Tensor): Tensor;
  function schedule(step: number | Tensor): number | Tensor {
    if (typeof step === "number") return f(lt.tensor(step, { dtype: "float64" })).item();
    return f(step.astype("float64"));
  }
  return schedule;
}

function checkSteps(name: string, what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name}() expected ${what} to be an integer >= ${min}: found ${value}`);
  }
}

function checkRate(name: string, what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name}() expected ${what} to be a finite number >= 0: found ${value}`);
  }
}

/** Options of `stepLR`. */
export interface StepLROptions {
  /** The learning rate of the first `stepSize` steps. */
  init: number;
  /** How many steps each learning rate is kept. */
  stepSize: number;
  /** The factor applied every `stepSize` steps (default 0.1, like PyTorch). */
  gamma?: number;
}

/**
 * Step decay, like `torch.optim.lr_scheduler.StepLR`:
 * `init · gamma^floor(step / stepSize)`.
 * @param options the initial rate, `stepSize` and `gamma`
 * @returns the schedule
 * @example Halve every 3 steps
 * ```ts
 * import { stepLR } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const lr = stepLR({ init: 0.1, stepSize: 3, gamma: 0.5 });
 * assertEquals([0, 2, 3, 6].map((s) => lr(s)), [0.1, 0.1, 0.05, 0.025]);
 * ```
 */
export function stepLR(options: StepLROptions): ScheduleFn {
  lt.checkOptions("stepLR", options, ["init", "stepSize", "gamma"]);
  const { init, stepSize, gamma = 0.1 } = options;
  checkRate("stepLR", "init", init);
  checkSteps("stepLR", "stepSize", stepSize, 1);
  checkRate("stepLR", "gamma", gamma);
  return makeSchedule((t) => lt.pow(gamma, lt.floor(t.div(stepSize))).mul(init));
}

/** Options of `cosineDecay`. */
export interface CosineDecayOptions {
  /** The learning rate at step 0. */
  init: number;
  /** The step at which the rate reaches `end` (PyTorch's `T_max`). */
  decaySteps: number;
  /** The lowest learning rate (PyTorch's `eta_min`, default 0). */
  end?: number;
}

// end + (init - end) · (1 + cos(π·t / T)) / 2
function cosine(t: Tensor, init: number, end: number, steps: number): Tensor {
  return lt.cos(t.mul(Math.PI).div(steps)).add(1).mul(init - end).div(2).add(end);
}

/**
 * Cosine annealing, like `torch.optim.lr_scheduler.CosineAnnealingLR`:
 * `end + (init - end) · (1 + cos(π · step / decaySteps)) / 2`.
 *
 * NOTE: like PyTorch's, the curve goes on past `decaySteps` (back up to
 * `init` at `2 · decaySteps`): pick `decaySteps` as the length of training.
 * @param options the initial rate, `decaySteps` and the final rate `end`
 * @returns the schedule
 * @example From 0.1 to 0 over 10 steps
 * ```ts
 * import { cosineDecay } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const lr = cosineDecay({ init: 0.1, decaySteps: 10 });
 * assertAlmostEquals(lr(0), 0.1);
 * assertAlmostEquals(lr(5), 0.05);
 * assertAlmostEquals(lr(10), 0);
 * ```
 */
export function cosineDecay(options: CosineDecayOptions): ScheduleFn {
  lt.checkOptions("cosineDecay", options, ["init", "decaySteps", "end"]);
  const { init, decaySteps, end = 0 } = options;
  checkRate("cosineDecay", "init", init);
  checkSteps("cosineDecay", "decaySteps", decaySteps, 1);
  checkRate("cosineDecay", "end", end);
  return makeSchedule((t) => cosine(t, init, end, decaySteps));
}

/** Options of `linearWarmup`. */
export interface LinearWarmupOptions {
  /** The learning rate at step 0 (default 0). */
  init?: number;
  /** The learning rate reached at `warmupSteps` and kept after. */
  peak: number;
  /** How many steps the warmup lasts. */
  warmupSteps: number;
}

// init + (peak - init) · min(t, W) / W
function linear(t: Tensor, init: number, peak: number, steps: number): Tensor {
  return lt.minimum(t, steps).div(steps).mul(peak - init).add(init);
}

/**
 * Linear warmup, like `torch.optim.lr_scheduler.LinearLR` with
 * `start_factor = init / peak`: from `init` at step 0 to `peak` at
 * `warmupSteps`, then constant.
 * @param options `init`, `peak` and `warmupSteps`
 * @returns the schedule
 * @example Five warmup steps
 * ```ts
 * import { linearWarmup } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const lr = linearWarmup({ peak: 0.1, warmupSteps: 5 });
 * assertAlmostEquals(lr(0), 0);
 * assertAlmostEquals(lr(2), 0.04);
 * assertAlmostEquals(lr(9), 0.1);
 * ```
 */
export function linearWarmup(options: LinearWarmupOptions): ScheduleFn {
  lt.checkOptions("linearWarmup", options, ["init", "peak", "warmupSteps"]);
  const { init = 0, peak, warmupSteps } = options;
  checkRate("linearWarmup", "init", init);
  checkRate("linearWarmup", "peak", peak);
  checkSteps("linearWarmup", "warmupSteps", warmupSteps, 1);
  return makeSchedule((t) => linear(t, init, peak, warmupSteps));
}

/** Options of `warmupCosine`. */
export interface WarmupCosineOptions {
  /** The learning rate at step 0 (default 0). */
  init?: number;
  /** The learning rate at the end of the warmup. */
  peak: number;
  /** How many steps the linear warmup lasts (0 for none). */
  warmupSteps: number;
  /** The step at which the cosine decay reaches `end` (warmup included). */
  totalSteps: number;
  /** The final learning rate (default 0). */
  end?: number;
}

/**
 * Linear warmup then cosine decay, like PyTorch's `SequentialLR` of a
 * `LinearLR` (`start_factor = init / peak`, `total_iters = warmupSteps`) and a
 * `CosineAnnealingLR` (`T_max = totalSteps - warmupSteps`, `eta_min = end`)
 * with the milestone at `warmupSteps`.
 * @param options `init`, `peak`, `warmupSteps`, `totalSteps` and `end`
 * @returns the schedule
 * @example Warm up for 2 steps, decay until step 10
 * ```ts
 * import { warmupCosine } from "@lathe/lathe/optim";
 * import { assertAlmostEquals } from "@std/assert";
 * const lr = warmupCosine({ peak: 1, warmupSteps: 2, totalSteps: 10 });
 * assertAlmostEquals(lr(1), 0.5);
 * assertAlmostEquals(lr(2), 1);
 * assertAlmostEquals(lr(6), 0.5);
 * assertAlmostEquals(lr(10), 0);
 * ```
 */
export function warmupCosine(options: WarmupCosineOptions): ScheduleFn {
  lt.checkOptions("warmupCosine", options, ["init", "peak", "warmupSteps", "totalSteps", "end"]);
  const { init = 0, peak, warmupSteps, totalSteps, end = 0 } = options;
  checkRate("warmupCosine", "init", init);
  checkRate("warmupCosine", "peak", peak);
  checkRate("warmupCosine", "end", end);
  checkSteps("warmupCosine", "warmupSteps", warmupSteps, 0);
  checkSteps("warmupCosine", "totalSteps", totalSteps, warmupSteps + 1);
  return makeSchedule((t) => {
    const decay = cosine(t.sub(warmupSteps), peak, end, totalSteps - warmupSteps);
    if (warmupSteps === 0) return decay;
    return lt.where(t.lt(warmupSteps), linear(t, init, peak, warmupSteps), decay);
  });
}

/** The state of `scaleBySchedule`: how many updates were made. */
export interface ScaleByScheduleState {
  /** The number of updates made so far (int32 scalar). */
  count: Tensor;
}

/**
 * Scales updates by `schedule(count)` and counts the updates; the first
 * update uses `schedule(0)`.
 * @param schedule a function of the step count (a scalar tensor)
 * @returns the transform, with a `ScaleByScheduleState`
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleBySchedule, stepLR } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const t = scaleBySchedule(stepLR({ init: 1, stepSize: 1, gamma: 0.5 }));
 * const p = zeros([1]);
 * const [u1, s1] = t.update(tensor([0.5]), t.init(p), p);
 * const [u2] = t.update(tensor([0.5]), s1, p);
 * assertEquals([u1.toArray(), u2.toArray()], [[0.5], [0.25]]);
 * ```
 */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<ScaleByScheduleState> {
  return {
    init: () => ({ count: zeroCount() }),
    update(updates, state, params) {
      checkUpdates("scaleBySchedule", updates, params);
      const factor = schedule(state.count);
      if (typeof factor === "number" && Number.isNaN(factor)) {
        throw new TypeError(
          "scaleBySchedule() expected the schedule to return a number or a Tensor: found NaN: a schedule receives the step as a Tensor, so use tensor ops (or a built-in schedule)",
        );
      }
      const out = lt.tree.map((u) => u.mul(castScalar(factor, u.dtype)), updates);
      return [out, { count: state.count.add(1) }];
    },
  };
}

/**
 * Scales updates by `-lr` (a constant or a schedule), turning a descent
 * direction into the step to add to the params.
 * @param lr the learning rate (>= 0) or a schedule of the step count
 * @returns the transform (stateless for a constant `lr`)
 * @example
 * ```ts
 * import { tensor, zeros } from "@lathe/lathe";
 * import { scaleByLearningRate } from "@lathe/lathe/optim";
 * import { assertEquals } from "@std/assert";
 * const t = scaleByLearningRate(0.5);
 * const p = zeros([1]);
 * assertEquals(t.update(tensor([2.5]), t.init(p), p)[0].toArray(), [-1.25]);
 * ```
 */
export function scaleByLearningRate(
  lr: number | Schedule,
): GradientTransformation<EmptyState | ScaleByScheduleState> {
  if (typeof lr !== "number") {
    return scaleBySchedule((c) => {
      const value = lr(c);
      return typeof value === "number" ? -value : value.neg();
    });
  }
  checkRange("scaleByLearningRate", "a learning rate", lr);
  return scale(-lr) as GradientTransformation<EmptyState | ScaleByScheduleState>;
}
