/**
 * The ONNX operators of convolutional networks: Conv, ConvTranspose,
 * BatchNormalization (inference), MaxPool and AveragePool (`ceil_mode`
 * too), GlobalAveragePool, GlobalMaxPool and Pad (constant mode), mapped to
 * `conv1d`/`conv2d`, `convTranspose1d`/`convTranspose2d`, `batchNorm`, the
 * pools and `pad`. ONNX pads are `[begin…, end…]`; symmetric ones become the op's
 * `padding`, others an explicit `pad` first (zeros for Conv, −∞ for MaxPool).
 * @module
 */
import * as lt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import {
  attr,
  input,
  known,
  list,
  num,
  type OnnxOp,
  type OpContext,
  value,
  where,
} from "./_op_util.ts";

/** The spatial rank of an `[N, C, …]` input: 1 or 2. */
function spatialRank(x: Tensor, ctx: OpContext): 1 | 2 {
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new RangeError(
      `${where(ctx)} expected an input [N, C, L] or [N, C, H, W]: found shape [${
        x.shape.join(", ")
      }]: Lathe runs 1-d and 2-d convolutions and pools`,
    );
  }
  return x.ndim === 3 ? 1 : 2;
}

/** The `[begin, end]` padding of each spatial axis, from `pads` or `auto_pad`. */
function padsOf(
  ctx: OpContext,
  x: Tensor,
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): [number, number][] {
  const nd = kernel.length;
  const auto = attr<string>(ctx, "auto_pad", "NOTSET");
  if (auto === "NOTSET") {
    const pads = list(ctx, "pads", Array(2 * nd).fill(0));
    return kernel.map((_, i) => [pads[i], pads[i + nd]]);
  }
  if (auto === "VALID") return kernel.map(() => [0, 0]);
  if (auto !== "SAME_UPPER" && auto !== "SAME_LOWER") {
    throw new TypeError(
      `${where(ctx)} expected auto_pad NOTSET, VALID, SAME_UPPER or SAME_LOWER: found "${auto}"`,
    );
  }
  return kernel.map((k, i) => {
    const size = x.shape[2 + i];
    const total = Math.max(
      0,
      (Math.ceil(size / strides[i]) - 1) * strides[i] + (k - 1) * dilations[i] + 1 - size,
    );
    const small = Math.floor(total / 2);
    return auto === "SAME_UPPER" ? [small, total - small] : [total - small, small];
  });
}

/** Symmetric pads as the op's `padding`; others applied with `pad(fill)` first. */
function applyPads(x: Tensor, pads: [number, number][], fill: number): [Tensor, number[]] {
  if (pads.every(([a, b]) => a === b)) return [x, pads.map(([a]) => a)];
  return [lt.pad(x, [[0, 0], [0, 0], ...pads], fill), pads.map(() => 0)];
}

/** `ceil_mode` as the pools' `ceilMode` (torch's rule for the last window). */
function ceilMode(ctx: OpContext): boolean {
  return num(ctx, "ceil_mode", 0) === 1;
}

/**
 * ConvTranspose (torch's weight layout `[in, out/groups, …]`): symmetric pads
 * are the op's `padding`, others crop the full output.
 */
function convTranspose(inputs: Parameters<OnnxOp>[0], ctx: OpContext): Tensor {
  const x = input(inputs, 0, ctx);
  const w = input(inputs, 1, ctx);
  const nd = spatialRank(x, ctx);
  if (attr<string>(ctx, "auto_pad", "NOTSET") !== "NOTSET" || ctx.node.attributes.output_shape) {
    throw new TypeError(
      `${where(ctx)} sets auto_pad or output_shape, which Lathe's importer does not map: ` +
        "export with explicit padding and output_padding (torch.onnx.export does)",
    );
  }
  const ones = Array(nd).fill(1);
  const pads = list(ctx, "pads", Array(2 * nd).fill(0));
  const symmetric = ones.every((_, i) => pads[i] === pads[i + nd]);
  const options = {
    bias: inputs[2]?.tensor,
    stride: [...list(ctx, "strides", ones)],
    dilation: [...list(ctx, "dilations", ones)],
    outputPadding: [...list(ctx, "output_padding", Array(nd).fill(0))],
    groups: num(ctx, "group", 1),
    padding: symmetric ? pads.slice(0, nd) : Array(nd).fill(0),
  };
  const y = nd === 1 ? lt.convTranspose1d(x, w, options) : lt.convTranspose2d(x, w, options);
  if (symmetric) return y;
  const crop = y.shape.map((n, i) => i < 2 ? null : [pads[i - 2], n - pads[i - 2 + nd]] as const);
  return y.slice(...crop);
}

function windowOf(ctx: OpContext, x: Tensor): { kernel: number[]; strides: number[] } {
  const nd = spatialRank(x, ctx);
  const kernel = [...list(ctx, "kernel_shape", [])];
  if (kernel.length !== nd) {
    throw new TypeError(
      `${where(ctx)} expected kernel_shape of ${nd} sizes: found [${kernel.join(", ")}]`,
    );
  }
  return { kernel, strides: [...list(ctx, "strides", Array(nd).fill(1))] };
}

/** The CNN operators, by ONNX name. */
export const cnnOps: Readonly<Record<string, OnnxOp>> = {
  Conv: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const w = input(inputs, 1, ctx);
    const nd = spatialRank(x, ctx);
    const kernel = w.shape.slice(2);
    const strides = [...list(ctx, "strides", Array(nd).fill(1))];
    const dilations = [...list(ctx, "dilations", Array(nd).fill(1))];
    const [padded, padding] = applyPads(x, padsOf(ctx, x, kernel, strides, dilations), 0);
    const options = {
      bias: inputs[2]?.tensor,
      stride: strides,
      padding,
      dilation: dilations,
      groups: num(ctx, "group", 1),
    };
    return value(nd === 1 ? lt.conv1d(padded, w, options) : lt.conv2d(padded, w, options));
  },
  ConvTranspose: (inputs, ctx) => value(convTranspose(inputs, ctx)),
  BatchNormalization: (inputs, ctx) => {
    if (num(ctx, "training_mode", 0) !== 0 || ctx.node.outputs.filter((o) => o).length > 1) {
      throw new TypeError(
        `${where(ctx)} is in training mode (running statistics as outputs): ` +
          "export the model after model.eval()",
      );
    }
    const [weight, bias, runningMean, runningVar] = [1, 2, 3, 4].map((i) => input(inputs, i, ctx));
    const eps = num(ctx, "epsilon", 1e-5);
    const x = input(inputs, 0, ctx);
    return value(lt.batchNorm(x, { weight, bias, runningMean, runningVar, eps }).output);
  },
  MaxPool: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    if (ctx.node.outputs.filter((o) => o).length > 1) {
      throw new TypeError(
        `${
          where(ctx)
        } asks for the indices of the maxima (a second output), which Lathe does not ` +
          "compute: export with return_indices=False",
      );
    }
    const { kernel, strides } = windowOf(ctx, x);
    const dilations = [...list(ctx, "dilations", kernel.map(() => 1))];
    const [padded, padding] = applyPads(x, padsOf(ctx, x, kernel, strides, dilations), -Infinity);
    const options = { stride: strides, padding, dilation: dilations, ceilMode: ceilMode(ctx) };
    return value(
      kernel.length === 1
        ? lt.maxPool1d(padded, kernel[0], options)
        : lt.maxPool2d(padded, kernel, options),
    );
  },
  AveragePool: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const { kernel, strides } = windowOf(ctx, x);
    const pads = padsOf(ctx, x, kernel, strides, kernel.map(() => 1));
    const countIncludePad = num(ctx, "count_include_pad", 0) === 1;
    if (!countIncludePad && pads.some(([a, b]) => a !== b)) {
      throw new TypeError(
        `${where(ctx)} has uneven pads [${pads.flat().join(", ")}] with count_include_pad=0, ` +
          "which Lathe's avgPool cannot express: export with symmetric padding",
      );
    }
    const [padded, padding] = applyPads(x, pads, 0);
    const options = { stride: strides, padding, countIncludePad, ceilMode: ceilMode(ctx) };
    return value(
      kernel.length === 1
        ? lt.avgPool1d(padded, kernel[0], options)
        : lt.avgPool2d(padded, kernel, options),
    );
  },
  GlobalAveragePool: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    return value(lt.mean(x, { axis: x.shape.slice(2).map((_, i) => 2 + i), keepdims: true }));
  },
  GlobalMaxPool: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    return value(lt.max(x, { axis: x.shape.slice(2).map((_, i) => 2 + i), keepdims: true }));
  },
  Pad: (inputs, ctx) => {
    const x = input(inputs, 0, ctx);
    const mode = attr<string>(ctx, "mode", "constant");
    if (mode !== "constant") {
      throw new TypeError(
        `${where(ctx)} pads in "${mode}" mode: Lathe pads with a constant only: ` +
          "use zero padding in the model",
      );
    }
    const pads = ctx.opset >= 11 ? known(inputs, 1, ctx, "pads") : [...list(ctx, "pads", [])];
    if (pads.length !== 2 * x.ndim || pads.some((p) => p < 0)) {
      throw new RangeError(
        `${where(ctx)} expected ${2 * x.ndim} non-negative pads for shape [${
          x.shape.join(", ")
        }]: found [${pads.join(", ")}]`,
      );
    }
    const fill = ctx.opset >= 11
      ? (inputs[2] === undefined ? 0 : inputs[2].tensor.item())
      : num(ctx, "value", 0);
    const widths = x.shape.map((_, i) => [pads[i], pads[i + x.ndim]] as [number, number]);
    return value(lt.pad(x, widths, fill));
  },
};
