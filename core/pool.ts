/**
 * Pooling with PyTorch's numbers: `maxPool1d`/`maxPool2d` (the gradient goes
 * to the first maximum of each window, like torch), `avgPool1d`/`avgPool2d`
 * and `adaptiveAvgPool1d`/`adaptiveAvgPool2d`.
 *
 * NOTE: pooling is a composition: windows are views (`_window.ts`) reduced
 * along a last window axis, so an activation before the pool fuses into the
 * pooling kernel's prologue and no window is ever copied.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { permute, reshape } from "./movement.ts";
import { argmax, max, sum } from "./reduce.ts";
import { customVjp } from "./custom_vjp.ts";
import { vjp } from "./autodiff.ts";
import { div, eq, where } from "./elementwise.ts";
import { arange, ones, tensor } from "./creation.ts";
import { matmul } from "./linalg.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { batched, padSpatial, perAxis, unfoldAxis } from "./_window.ts";

/** Options of the max pools (torch.nn.functional.max_pool2d names). */
export interface MaxPoolOptions {
  /** Step between windows (default: the kernel size, like PyTorch). */
  stride?: number | readonly number[];
  /** Implicit −∞ on both sides of each spatial axis, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Spacing between window taps (default 1). */
  dilation?: number | readonly number[];
  /**
   * Round the output size up (default false, like PyTorch): a last, partial
   * window is kept when it starts inside the input or its left padding.
   */
  ceilMode?: boolean;
}

/** Options of the average pools (torch.nn.functional.avg_pool2d names). */
export interface AvgPoolOptions {
  /** Step between windows (default: the kernel size). */
  stride?: number | readonly number[];
  /** Zeros on both sides of each spatial axis, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Whether padded zeros count in the divisor (default true, like PyTorch). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size. */
  divisorOverride?: number;
  /**
   * Round the output size up (default false): a last, partial window is kept
   * when it starts inside the input or its left padding; it averages over
   * the part inside the padded input (without padding for `countIncludePad: false`).
   */
  ceilMode?: boolean;
}

function checkKeys(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${op}() got an unknown option "${key}": expected one of ${known.join(", ")}`,
      );
    }
  }
}

interface Windows {
  /** `[N, C, ...out, ...kernel]`: each output position's window on the last axes. */
  readonly windows: Tensor;
  readonly unbatched: boolean;
}

interface PoolArgs {
  readonly x: Tensor;
  readonly unbatched: boolean;
  readonly kernel: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly padding: number[];
  /** Past the right padding, per axis: room for `ceilMode`'s last partial window (else 0). */
  readonly extra: number[];
}

/**
 * torch's output size of a pool: ⌊(L + 2p − d(k − 1) − 1) / s⌋ + 1, or with
 * ⌈…⌉ in ceil mode, less one when the last window would start past the input
 * and its left padding (`(out − 1)·s ≥ L + p`).
 */
function outSize(L: number, k: number, s: number, d: number, p: number, ceil: boolean): number {
  const span = L + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= L + p) out--;
  return out;
}

/** Checks every pooling argument. */
function poolArgs(
  op: string,
  nd: number,
  input: Tensor,
  kernelSize: number | readonly number[],
  options: MaxPoolOptions,
): PoolArgs {
  if (options.ceilMode !== undefined && typeof options.ceilMode !== "boolean") {
    throw new TypeError(
      `${op}() expected ceilMode to be a boolean: found ${fmtValue(options.ceilMode)}`,
    );
  }
  const [x, unbatched] = batched(op, input, nd);
  const kernel = perAxis(op, "kernelSize", kernelSize, 1, nd, 1);
  const stride = options.stride === undefined
    ? kernel
    : perAxis(op, "stride", options.stride, 1, nd, 1);
  const dilation = perAxis(op, "dilation", options.dilation, 1, nd, 1);
  const padding = perAxis(op, "padding", options.padding, 0, nd, 0);
  padding.forEach((p, j) => {
    if (p > Math.floor(kernel[j] / 2)) {
      throw new RangeError(
        `${op}() expected padding at most half the kernel size: found padding ${p} with kernel ${
          kernel[j]
        } on spatial axis ${j}`,
      );
    }
  });
  x.shape.slice(2).forEach((size, j) => {
    const span = dilation[j] * (kernel[j] - 1) + 1;
    if (span > size + 2 * padding[j]) {
      throw new RangeError(
        `${op}() window ${fmtShape(kernel)} (dilated size ${span}) is larger than the padded ` +
          `input (${size + 2 * padding[j]}) on spatial axis ${j} by ${
            span - size - 2 * padding[j]
          }: input ${fmtShape(input.shape)}; pad more or use a smaller kernel`,
      );
    }
  });
  const extra = x.shape.slice(2).map((size, j) => {
    const [k, st, d, p] = [kernel[j], stride[j], dilation[j], padding[j]];
    const out = outSize(size, k, st, d, p, options.ceilMode === true);
    return Math.max(0, (out - 1) * st + d * (k - 1) + 1 - (size + 2 * p));
  });
  return { x, unbatched, kernel, stride, dilation, padding, extra };
}

/** The pooling windows, padded with `fill`: `[N, C, ...out, ...kernel]`. */
function poolWindows(args: PoolArgs, fill: number): Tensor {
  const { x, kernel, stride, dilation, padding, extra } = args;
  let w = padSpatial(x, padding.map((p, j) => [p, p + extra[j]]), fill);
  for (let j = 0; j < kernel.length; j++) {
    w = unfoldAxis(w, 2 + 2 * j, kernel[j], stride[j], dilation[j]);
  }
  // [N, C, K0, O0, K1, O1, …] → [N, C, O0, O1, …, K0, K1, …]
  const kAxes = kernel.map((_, j) => 2 + 2 * j);
  const oAxes = kernel.map((_, j) => 3 + 2 * j);
  return permute(w, [0, 1, ...oAxes, ...kAxes]);
}

function finish(y: Tensor, unbatched: boolean): Tensor {
  return unbatched ? reshape(y, y.shape.slice(1)) : y;
}

/** The maximum of each window (last axis); its gradient goes to the window's first maximum. */
function firstMax(windows: Tensor): Tensor {
  const size = windows.shape[windows.shape.length - 1];
  const best = argmax(windows, { axis: -1, keepdims: true });
  const hit = eq(best, arange(size, undefined, 1, { dtype: "int32", device: windows.device }));
  return sum(where(hit, windows, 0), { axis: -1 });
}

/**
 * torch's max pool as its gradient sees it: one spatial axis at a time, the last first, the
 * first maximum of each row, then the first row holding the window's maximum (torch's
 * row-major first maximum).
 */
function firstMaxPool(x: Tensor, args: PoolArgs): Tensor {
  let y = x;
  for (let j = args.kernel.length - 1; j >= 0; j--) {
    const axis = 2 + j;
    const padded = padSpatial(
      y,
      y.shape.slice(2).map((
        _,
        i,
      ) => (i === j ? [args.padding[j], args.padding[j] + args.extra[j]] : [0, 0])),
      -Infinity,
    );
    const w = unfoldAxis(padded, axis, args.kernel[j], args.stride[j], args.dilation[j]);
    const perm = w.shape.map((_, i) => i).filter((i) => i !== axis);
    y = firstMax(permute(w, [...perm, axis]));
  }
  return y;
}

function maxPoolNd(
  op: string,
  nd: number,
  input: Tensor,
  kernelSize: number | readonly number[],
  options: MaxPoolOptions,
): Tensor {
  checkKeys(op, options, ["stride", "padding", "dilation", "ceilMode"]);
  const args = poolArgs(op, nd, input, kernelSize, options);
  // the values are one max reduction over the windows (a view the producer fuses into); only
  // the gradient needs the first maximum's position, so only the backward pass computes it
  const pool = customVjp(
    (x: Tensor): [Tensor, Tensor] => {
      const windowAxes = args.kernel.map((_, j) => -1 - j);
      return [max(poolWindows({ ...args, x }, -Infinity), windowAxes), x];
    },
    (x: Tensor, ct: Tensor) => vjp((v: Tensor) => firstMaxPool(v, args), x)[1](ct),
  );
  return finish(pool(args.x), args.unbatched);
}
/**
 * 2-D max pooling (torch.nn.functional.max_pool2d) over `[N, C, H, W]` (or `[C, H, W]`).
 * @param x the input
 * @param kernelSize the window, one number or `[kh, kw]`
 * @param options stride (default the kernel), padding, dilation
 * @returns the maxima `[N, C, H', W']`
 * @example
 * ```ts
 * import { maxPool2d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8]]]]);
 * assertEquals(maxPool2d(x, 2).toArray(), [[[[4, 8]]]]);
 * ```
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: MaxPoolOptions = {},
): Tensor {
  return maxPoolNd("maxPool2d", 2, x, kernelSize, options);
}

/**
 * 1-D max pooling (torch.nn.functional.max_pool1d) over `[N, C, L]` (or `[C, L]`).
 * @param x the input
 * @param kernelSize the window
 * @param options stride (default the kernel), padding, dilation
 * @returns the maxima `[N, C, L']`
 * @example
 * ```ts
 * import { maxPool1d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(maxPool1d(tensor([[[1, 3, 2, 0]]]), 2).toArray(), [[[3, 2]]]);
 * ```
 */
export function maxPool1d(x: Tensor, kernelSize: number, options: MaxPoolOptions = {}): Tensor {
  return maxPoolNd("maxPool1d", 1, x, kernelSize, options);
}

function avgPoolNd(
  op: string,
  nd: number,
  x: Tensor,
  kernelSize: number | readonly number[],
  options: AvgPoolOptions,
): Tensor {
  checkKeys(op, options, ["stride", "padding", "countIncludePad", "divisorOverride", "ceilMode"]);
  const { countIncludePad = true, divisorOverride, ...rest } = options;
  const args = poolArgs(op, nd, x, kernelSize, rest);
  const windowAxes = args.kernel.map((_, j) => -1 - j);
  const total = sum(poolWindows(args, 0), { axis: windowAxes });
  if (divisorOverride !== undefined) {
    if (!Number.isInteger(divisorOverride) || divisorOverride <= 0) {
      throw new RangeError(
        `${op}() expected divisorOverride to be a positive integer: found ${
          fmtValue(divisorOverride)
        }`,
      );
    }
    return finish(div(total, divisorOverride), args.unbatched);
  }
  const partial = args.extra.some((e) => e > 0);
  if (countIncludePad && !partial) {
    return finish(div(total, args.kernel.reduce((p, k) => p * k, 1)), args.unbatched);
  }
  // the divisor of each window: the part of it inside the padded input (countIncludePad) or
  // inside the input, counted on a mask of ones
  const size = args.x.shape.slice(2);
  const mask = countIncludePad
    ? ones([1, 1, ...size.map((n, j) => n + 2 * args.padding[j])], { device: args.x.device })
    : ones([1, 1, ...size], { device: args.x.device });
  const counts = sum(
    poolWindows({
      ...args,
      x: mask,
      padding: countIncludePad ? args.padding.map(() => 0) : args.padding,
    }, 0),
    { axis: windowAxes },
  );
  return finish(div(total, counts.cast(total.dtype)), args.unbatched);
}

/**
 * 2-D average pooling (torch.nn.functional.avg_pool2d).
 * @param x the input `[N, C, H, W]` (or `[C, H, W]`)
 * @param kernelSize the window, one number or `[kh, kw]`
 * @param options stride (default the kernel), padding, countIncludePad, divisorOverride
 * @returns the averages `[N, C, H', W']`
 * @example
 * ```ts
 * import { avgPool2d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(avgPool2d(tensor([[[[1, 2], [3, 6]]]]), 2).toArray(), [[[[3]]]]);
 * ```
 */
export function avgPool2d(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: AvgPoolOptions = {},
): Tensor {
  return avgPoolNd("avgPool2d", 2, x, kernelSize, options);
}

/**
 * 1-D average pooling (torch.nn.functional.avg_pool1d).
 * @param x the input `[N, C, L]` (or `[C, L]`)
 * @param kernelSize the window
 * @param options stride (default the kernel), padding, countIncludePad, divisorOverride
 * @returns the averages `[N, C, L']`
 * @example
 * ```ts
 * import { avgPool1d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(avgPool1d(tensor([[[1, 3, 2, 0]]]), 2).toArray(), [[[2, 1]]]);
 * ```
 */
export function avgPool1d(x: Tensor, kernelSize: number, options: AvgPoolOptions = {}): Tensor {
  return avgPoolNd("avgPool1d", 1, x, kernelSize, options);
}

/** The `[out, size]` matrix of PyTorch's adaptive bins: row i averages [⌊i·n/o⌋, ⌈(i+1)·n/o⌉). */
function binMatrix(size: number, out: number, like: Tensor): Tensor {
  const rows: number[][] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    rows.push(
      Array.from({ length: size }, (_, j) => (j >= start && j < end ? 1 / (end - start) : 0)),
    );
  }
  return tensor(rows, {
    dtype: like.dtype === "float64" ? "float64" : "float32",
    device: like.device,
  });
}

function adaptiveNd(
  op: string,
  nd: number,
  input: Tensor,
  outputSize: number | readonly (number | null)[],
): Tensor {
  const [x, unbatched] = batched(op, input, nd);
  const spatial = x.shape.slice(2);
  const given = typeof outputSize === "number" ? Array(nd).fill(outputSize) : [...outputSize];
  const out = given.map((o, j) => o ?? spatial[j]);
  if (out.length !== nd || out.some((o) => !Number.isInteger(o) || o < 1)) {
    throw new RangeError(
      `${op}() expected outputSize to be a positive integer or ${nd} of them (null keeps an ` +
        `axis): found ${fmtValue(outputSize)}`,
    );
  }
  let y = x;
  if (nd === 2) y = matmul(binMatrix(spatial[0], out[0], x), y);
  y = matmul(y, binMatrix(spatial[nd - 1], out[nd - 1], x).T);
  return finish(y, unbatched);
}

/**
 * Adaptive 2-D average pooling (torch.nn.functional.adaptive_avg_pool2d):
 * PyTorch's bins, overlapping where the size does not divide.
 * @param x the input `[N, C, H, W]` (or `[C, H, W]`)
 * @param outputSize `[oh, ow]` (null keeps an axis) or one number for both
 * @returns the averages `[N, C, oh, ow]`
 * @example Global average pooling
 * ```ts
 * import { adaptiveAvgPool2d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(adaptiveAvgPool2d(tensor([[[[1, 2], [3, 6]]]]), 1).toArray(), [[[[3]]]]);
 * ```
 */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: number | readonly (number | null)[],
): Tensor {
  return adaptiveNd("adaptiveAvgPool2d", 2, x, outputSize);
}

/**
 * Adaptive 1-D average pooling (torch.nn.functional.adaptive_avg_pool1d).
 * @param x the input `[N, C, L]` (or `[C, L]`)
 * @param outputSize the output length
 * @returns the averages `[N, C, outputSize]`
 * @example
 * ```ts
 * import { adaptiveAvgPool1d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(adaptiveAvgPool1d(tensor([[[1, 3, 2, 0]]]), 2).toArray(), [[[2, 1]]]);
 * ```
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  return adaptiveNd("adaptiveAvgPool1d", 1, x, outputSize);
}
