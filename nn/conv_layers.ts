/**
 * Convolutional layers as `(init, apply)` pairs with PyTorch's parameter
 * names, layouts and default initialisation (bit-exact through
 * `random.torchGenerator`): `conv1d`, `conv2d`, `convTranspose2d`,
 * `maxPool2d`, `avgPool2d` and `dropout2d` (the normalisation layers are in
 * `norm_layers.ts`).
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import { type InitRandom, splitRandom, uniformInit } from "./init.ts";
import type { ApplyOptions, Layer } from "./layers.ts";
import { type ConvFold, foldableConv } from "./_stateful.ts";

/** The parameters of a convolution: torch's `weight` and optional `bias`. */
export interface ConvParams {
  /** `[out, in/groups, ...kernel]` (`[in, out/groups, ...kernel]` for a transposed convolution). */
  readonly weight: Tensor;
  /** `[out]`. */
  readonly bias?: Tensor;
}

/** Options of the `conv1d`/`conv2d` layers (torch.nn.Conv2d's, camelCase). */
export interface ConvLayerOptions {
  /** Step between windows (default 1). */
  stride?: number | readonly number[];
  /** Zeros on both sides (default 0), or `"same"` / `"valid"`. */
  padding?: lt.ConvPadding;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly number[];
  /** Channel groups (default 1). */
  groups?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/** Options of the `convTranspose2d` layer. */
export interface ConvTransposeLayerOptions {
  /** The stride (default 1). */
  stride?: number | readonly number[];
  /** Cropped from both sides of the output (default 0). */
  padding?: number | readonly number[];
  /** Extra output size on one side (default 0). */
  outputPadding?: number | readonly number[];
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly number[];
  /** Channel groups (default 1). */
  groups?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

function positive(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${layer}() expected a positive integer ${name}: found ${v}`);
  }
}

function kernelOf(layer: string, k: number | readonly number[], nd: number): number[] {
  const ks = typeof k === "number" ? Array(nd).fill(k) : [...k];
  if (ks.length !== nd || ks.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new RangeError(
      `${layer}() expected kernelSize to be a positive integer or ${nd} of them: found ${
        JSON.stringify(k)
      }`,
    );
  }
  return ks;
}

/**
 * PyTorch's convolution init: weight kaiming-uniform with a = √5 (bound
 * √3·√(2/6)/√fanIn, computed as torch does), bias uniform ±1/√fanIn; drawn
 * weight first, then bias.
 */
function convInit(rng: InitRandom, shape: readonly number[], fanIn: number, bias: number | false) {
  const [wKey, bKey] = splitRandom(rng, 2);
  const gain = Math.sqrt(2 / (1 + 5));
  const weight = uniformInit(wKey, shape, Math.sqrt(3) * (gain / Math.sqrt(fanIn)));
  if (bias === false) return { weight };
  return { weight, bias: uniformInit(bKey, [bias], 1 / Math.sqrt(fanIn)) };
}

/** Checks a layer's input channels, naming the layer and both shapes. */
function checkInput(name: string, x: Tensor, nd: number, channels: number): void {
  const axis = x.shape.length - nd - 1;
  if (x.shape.length < nd + 1 || x.shape.length > nd + 2 || x.shape[axis] !== channels) {
    throw new RangeError(
      `${name} expected input [N, ${channels}, …] with ${channels} channels: found shape [${
        x.shape.join(", ")
      }]`,
    );
  }
}

function checkWeight(name: string, params: ConvParams, shape: readonly number[], bias: boolean) {
  const w = params?.weight;
  if (!(w instanceof lt.Tensor) || w.shape.join() !== shape.join()) {
    throw new TypeError(
      `${name}.apply() expected params.weight of shape [${shape.join(", ")}]: found ${
        w instanceof lt.Tensor ? `[${w.shape.join(", ")}]` : typeof w
      }: pass the params this layer's init() returned`,
    );
  }
  if (bias && !(params.bias instanceof lt.Tensor)) {
    throw new TypeError(`${name}.apply() expected params.bias: pass the params init() returned`);
  }
}

/**
 * Checks a convolution layer's channel counts, kernel size and groups (groups
 * must divide both channel counts); returns the kernel, one size an axis.
 */
function checkLayer(
  op: string,
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly number[],
  nd: number,
  groups: number,
): number[] {
  positive(op, "inChannels", inChannels);
  positive(op, "outChannels", outChannels);
  const kernel = kernelOf(op, kernelSize, nd);
  positive(op, "groups", groups);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(
      `${op}() expected groups=${groups} to divide inChannels (${inChannels}) and outChannels (${outChannels})`,
    );
  }
  return kernel;
}

function convLayer(
  nd: 1 | 2,
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly number[],
  options: ConvLayerOptions,
): Layer<ConvParams> {
  const op = nd === 1 ? "conv1d" : "conv2d";
  const { bias = true, groups = 1, ...conv } = options;
  const kernel = checkLayer(op, inChannels, outChannels, kernelSize, nd, groups);
  const shape = [outChannels, inChannels / groups, ...kernel];
  const fanIn = (inChannels / groups) * kernel.reduce((p, k) => p * k, 1);
  const name = `${op}(${inChannels} → ${outChannels}, ${kernel.join("×")})`;
  const f = nd === 1 ? lt.conv1d : lt.conv2d;
  // a following eval-mode batch norm: weight·scale per output channel, bias·scale + shift
  const fold = (params: ConvParams, x: Tensor, scale: Tensor, shift: Tensor) => {
    checkWeight(name, params, shape, bias);
    checkInput(name, x, nd, inChannels);
    const weight = params.weight.mul(scale.reshape([outChannels, ...shape.slice(1).map(() => 1)]));
    const b = bias ? params.bias!.mul(scale).add(shift) : shift;
    return f(x, weight, { ...conv, groups, bias: b });
  };
  return foldableConv(
    {
      name,
      init: (rng) => convInit(rng, shape, fanIn, bias ? outChannels : false),
      apply: (params, x) => {
        checkWeight(name, params, shape, bias);
        checkInput(name, x, nd, inChannels);
        return f(x, params.weight, { ...conv, groups, bias: bias ? params.bias : undefined });
      },
    } as Layer<ConvParams>,
    outChannels,
    fold as ConvFold,
  );
}

/**
 * A 2-D convolution layer (torch.nn.Conv2d): params `{ weight [out, in/groups, kh, kw], bias [out] }`.
 * @param inChannels input channels
 * @param outChannels output channels
 * @param kernelSize the kernel, one number or `[kh, kw]`
 * @param options stride, padding, dilation, groups, bias
 * @returns the layer
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { conv2d } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = conv2d(1, 4, 3, { padding: 1 });
 * const params = layer.init(random.key(0));
 * assertEquals(layer.apply(params, ones([2, 1, 5, 5])).shape, [2, 4, 5, 5]);
 * ```
 */
export function conv2d(
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly number[],
  options: ConvLayerOptions = {},
): Layer<ConvParams> {
  return convLayer(2, inChannels, outChannels, kernelSize, options);
}

/**
 * A 1-D convolution layer (torch.nn.Conv1d): params `{ weight [out, in/groups, k], bias [out] }`.
 * @param inChannels input channels
 * @param outChannels output channels
 * @param kernelSize the kernel size
 * @param options stride, padding, dilation, groups, bias
 * @returns the layer
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { conv1d } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = conv1d(2, 3, 3);
 * assertEquals(layer.apply(layer.init(random.key(0)), ones([1, 2, 8])).shape, [1, 3, 6]);
 * ```
 */
export function conv1d(
  inChannels: number,
  outChannels: number,
  kernelSize: number,
  options: ConvLayerOptions = {},
): Layer<ConvParams> {
  return convLayer(1, inChannels, outChannels, kernelSize, options);
}

/**
 * A 2-D transposed convolution layer (torch.nn.ConvTranspose2d): params
 * `{ weight [in, out/groups, kh, kw], bias [out] }`.
 * @param inChannels input channels
 * @param outChannels output channels
 * @param kernelSize the kernel, one number or `[kh, kw]`
 * @param options stride, padding, outputPadding, dilation, groups, bias
 * @returns the layer
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { convTranspose2d } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = convTranspose2d(4, 2, 2, { stride: 2 });
 * assertEquals(layer.apply(layer.init(random.key(0)), ones([1, 4, 3, 3])).shape, [1, 2, 6, 6]);
 * ```
 */
export function convTranspose2d(
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly number[],
  options: ConvTransposeLayerOptions = {},
): Layer<ConvParams> {
  const op = "convTranspose2d";
  const { bias = true, groups = 1, ...conv } = options;
  const kernel = checkLayer(op, inChannels, outChannels, kernelSize, 2, groups);
  const shape = [inChannels, outChannels / groups, ...kernel];
  // torch's fan-in of this weight is its axis 1 times the kernel
  const fanIn = (outChannels / groups) * kernel[0] * kernel[1];
  const name = `${op}(${inChannels} → ${outChannels}, ${kernel.join("×")})`;
  return {
    name,
    init: (rng) => convInit(rng, shape, fanIn, bias ? outChannels : false),
    apply: (params, x) => {
      checkWeight(name, params, shape, bias);
      checkInput(name, x, 2, inChannels);
      return lt.convTranspose2d(x, params.weight, {
        ...conv,
        groups,
        bias: bias ? params.bias : undefined,
      });
    },
  };
}

/**
 * Max pooling as a layer (torch.nn.MaxPool2d; stride defaults to the kernel).
 * @param kernelSize the window
 * @param options stride, padding, dilation
 * @returns the layer (no parameters)
 * @example
 * ```ts
 * import { ones } from "@lathe/lathe";
 * import { maxPool2d } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * assertEquals(maxPool2d(2).apply({}, ones([1, 1, 4, 4])).shape, [1, 1, 2, 2]);
 * ```
 */
export function maxPool2d(
  kernelSize: number | readonly number[],
  options: lt.MaxPoolOptions = {},
): Layer<Record<string, never>> {
  lt.maxPool2d(lt.zeros([1, 1, 64, 64]), kernelSize, options); // checks the arguments now
  return {
    name: `maxPool2d(${kernelSize})`,
    init: () => ({}),
    apply: (_params, x) => lt.maxPool2d(x, kernelSize, options),
  };
}

/**
 * Average pooling as a layer (torch.nn.AvgPool2d).
 * @param kernelSize the window
 * @param options stride, padding, countIncludePad, divisorOverride
 * @returns the layer (no parameters)
 * @example
 * ```ts
 * import { ones } from "@lathe/lathe";
 * import { avgPool2d } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * assertEquals(avgPool2d(2).apply({}, ones([1, 1, 4, 4])).toArray(), [[[[1, 1], [1, 1]]]]);
 * ```
 */
export function avgPool2d(
  kernelSize: number | readonly number[],
  options: lt.AvgPoolOptions = {},
): Layer<Record<string, never>> {
  lt.avgPool2d(lt.zeros([1, 1, 64, 64]), kernelSize, options);
  return {
    name: `avgPool2d(${kernelSize})`,
    init: () => ({}),
    apply: (_params, x) => lt.avgPool2d(x, kernelSize, options),
  };
}

/**
 * Channel dropout as a layer (torch.nn.Dropout2d): active only with `{ train: true, key }`.
 * @param p the probability of zeroing a channel (default 0.5)
 * @returns the layer (no parameters)
 */
export function dropout2d(p = 0.5): Layer<Record<string, never>> {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout2d() expected p in [0, 1): found ${p}`);
  return {
    name: `dropout2d(${p})`,
    init: () => ({}),
    apply: (_params, x, options: ApplyOptions = {}) => {
      if (!options.train || p === 0) return x;
      if (options.key === undefined) {
        throw new TypeError(
          "dropout2d.apply() in training mode needs a key: pass { train: true, key }",
        );
      }
      return lt.dropout2d(x, { key: options.key, p });
    },
  };
}
