/**
 * Normalisation layers for convolutional networks with PyTorch's parameter
 * and buffer names: `groupNorm` and `batchNorm2d`, whose running statistics
 * live in a state tree beside the parameters and are returned, never mutated.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import type { ApplyOptions, Layer } from "./layers.ts";
import { foldableNorm, type NormAffine, type StatefulLayer } from "./_stateful.ts";

function positive(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${layer}() expected a positive integer ${name}: found ${v}`);
  }
}

/** The parameters of `groupNorm` and `batchNorm2d`: torch's `weight` (ones) and `bias` (zeros). */
export interface NormParams {
  /** Scale `[C]`. */
  readonly weight: Tensor;
  /** Shift `[C]`. */
  readonly bias: Tensor;
}

/**
 * Group normalisation as a layer (torch.nn.GroupNorm).
 * @param groups how many channel groups
 * @param channels the channels
 * @param options eps (default 1e-5)
 * @returns the layer
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { groupNorm } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = groupNorm(2, 4);
 * assertEquals(layer.apply(layer.init(random.key(0)), ones([1, 4, 3, 3])).shape, [1, 4, 3, 3]);
 * ```
 */
export function groupNorm(
  groups: number,
  channels: number,
  options: { eps?: number } = {},
): Layer<NormParams> {
  positive("groupNorm", "groups", groups);
  positive("groupNorm", "channels", channels);
  if (channels % groups !== 0) {
    throw new RangeError(
      `groupNorm() expected groups (${groups}) to divide channels (${channels})`,
    );
  }
  const name = `groupNorm(${groups}, ${channels})`;
  return {
    name,
    init: () => ({ weight: lt.ones([channels]), bias: lt.zeros([channels]) }),
    apply: (params, x) => {
      if (x.shape.length < 2 || x.shape[1] !== channels) {
        throw new RangeError(
          `${name} expected input [N, ${channels}, …]: found shape [${x.shape.join(", ")}]`,
        );
      }
      return lt.groupNorm(x, groups, { ...params, eps: options.eps });
    },
  };
}

/** The running statistics of `batchNorm2d` (torch's buffer names). */
export interface BatchNormState {
  /** `[C]`, zeros at first. */
  readonly running_mean: Tensor;
  /** `[C]`, ones at first. */
  readonly running_var: Tensor;
  /** int32 scalar: training steps taken. */
  readonly num_batches_tracked: Tensor;
}

/** `batchNorm2d`: a layer whose running statistics live in a state tree beside its parameters. */
export interface BatchNormLayer extends StatefulLayer<NormParams, BatchNormState> {
  /** The initial running statistics. */
  initState(): BatchNormState;
  /**
   * Runs the layer: in training mode (`{ train: true }`) with batch statistics,
   * returning the updated state; otherwise with the state's running
   * statistics, returning the state unchanged.
   */
  applyWithState(
    params: NormParams,
    state: BatchNormState,
    x: Tensor,
    options?: ApplyOptions,
  ): [Tensor, BatchNormState];
}

/**
 * Batch normalisation over `[N, C, H, W]` (torch.nn.BatchNorm2d): `apply`
 * uses batch statistics (training without tracking); `applyWithState` also
 * uses and updates the running statistics, functionally.
 * @param channels the channels
 * @param options eps (default 1e-5), momentum (default 0.1)
 * @returns the layer
 * @example Train, then evaluate with the running statistics
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { batchNorm2d } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const bn = batchNorm2d(3);
 * const params = bn.init(random.key(0));
 * const x = random.normal(random.key(1), [4, 3, 2, 2]);
 * const [, state] = bn.applyWithState(params, bn.initState(), x, { train: true });
 * assertEquals(state.num_batches_tracked.item(), 1);
 * assertEquals(bn.applyWithState(params, state, x)[0].shape, [4, 3, 2, 2]);
 * ```
 */
export function batchNorm2d(
  channels: number,
  options: { eps?: number; momentum?: number } = {},
): BatchNormLayer {
  positive("batchNorm2d", "channels", channels);
  const name = `batchNorm2d(${channels})`;
  const { eps = 1e-5, momentum = 0.1 } = options;
  const check = (x: Tensor) => {
    if (x.shape.length !== 4 || x.shape[1] !== channels) {
      throw new RangeError(
        `${name} expected input [N, ${channels}, H, W]: found shape [${x.shape.join(", ")}]`,
      );
    }
  };
  // eval mode: y = (x − mean)·s + β with s = γ / √(var + eps)
  const affine = (params: NormParams, state: BatchNormState) => {
    const scale = params.weight.div(state.running_var.add(eps).sqrt());
    return { scale, shift: params.bias.sub(state.running_mean.mul(scale)) };
  };
  return foldableNorm(
    {
      name,
      init: () => ({ weight: lt.ones([channels]), bias: lt.zeros([channels]) }),
      initState: () => ({
        running_mean: lt.zeros([channels]),
        running_var: lt.ones([channels]),
        num_batches_tracked: lt.tensor(0, { dtype: "int32" }),
      }),
      apply: (params, x) => {
        check(x);
        return lt.batchNorm(x, { ...params, training: true, eps }).output;
      },
      applyWithState: (params, state, x, opts = {}) => {
        check(x);
        const result = lt.batchNorm(x, {
          ...params,
          runningMean: state.running_mean,
          runningVar: state.running_var,
          training: opts.train ?? false,
          momentum,
          eps,
        });
        if (!opts.train) return [result.output, state];
        return [result.output, {
          running_mean: lt.stopGradient(result.runningMean!),
          running_var: lt.stopGradient(result.runningVar!),
          num_batches_tracked: state.num_batches_tracked.add(1),
        }];
      },
    },
    channels,
    4,
    affine as NormAffine,
  );
}
