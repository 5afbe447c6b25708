/**
 * Convolutions with PyTorch's layouts and numbers: `conv1d`, `conv2d`
 * (stride, padding, dilation, groups) and `convTranspose1d`/`convTranspose2d`.
 *
 * NOTE: convolution is a composition, not a primitive. The input's windows
 * are a view (`_window.ts`), which the scheduler materialises once as the
 * im2col buffer of a packed matmul `[groups, out/groups, in/groups·k] @
 * [groups, in/groups·k, N·L]`; the bias add runs in that matmul's epilogue and
 * a following activation fuses into whatever reads the output (the next
 * layer's im2col or pooling window). The gradients are the views' and the
 * matmul's: the weight gradient is one matmul with the batch in its inner
 * dimension, the input gradient a matmul followed by col2im (the views'
 * transposes, which fuse into one reduction kernel).
 * On WebGPU the same graph becomes one tiled kernel: the matmul's tiles read
 * the windows straight from the padded input (an implicit im2col, with no
 * column buffer) and its epilogue adds the bias, applies a following
 * activation and stores `[N, O, H, W]` (`jit/_wgsl_matmul.ts`).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { permute, reshape } from "./movement.ts";
import { matmul } from "./linalg.ts";
import { add } from "./elementwise.ts";
import { ones } from "./creation.ts";
import { slice } from "./indexing.ts";
import { customVjp } from "./custom_vjp.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { batched, padSpatial, perAxis, unfoldAxis } from "./_window.ts";

/** Padding of a convolution: per axis, both sides, or `"same"`/`"valid"` like PyTorch. */
export type ConvPadding = number | readonly number[] | "same" | "valid";

/** Options of `conv1d` and `conv2d` (torch.nn.functional names). */
export interface ConvOptions {
  /** Added to each output channel: shape `[out]`. */
  bias?: Tensor;
  /** Step between windows (default 1). */
  stride?: number | readonly number[];
  /** Zeros added on both sides of each spatial axis (default 0), or `"same"` / `"valid"`. */
  padding?: ConvPadding;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly number[];
  /** Channel groups: `in` and `out` channels both split into this many (default 1). */
  groups?: number;
}

/** Options of `convTranspose1d` and `convTranspose2d`. */
export interface ConvTransposeOptions {
  /** Added to each output channel: shape `[out]`. */
  bias?: Tensor;
  /** The stride of the convolution this transposes (default 1). */
  stride?: number | readonly number[];
  /** The padding of the convolution this transposes (default 0): crops the output. */
  padding?: number | readonly number[];
  /** Extra size on one side of each output axis, below the stride or dilation (default 0). */
  outputPadding?: number | readonly number[];
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly number[];
  /** Channel groups (default 1). */
  groups?: number;
}

const convKeys = new Set(["bias", "stride", "padding", "dilation", "groups"]);
const transposeKeys = new Set([...convKeys, "outputPadding"]);

function checkKeys(op: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new TypeError(
        `${op}() got an unknown option "${key}": expected one of ${[...known].join(", ")}`,
      );
    }
  }
}

function checkGroups(op: string, groups: number | undefined): number {
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) {
    throw new RangeError(`${op}() expected groups to be a positive integer: found ${fmtValue(g)}`);
  }
  return g;
}

function checkBias(op: string, bias: Tensor | undefined, channels: number): void {
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== channels)) {
    throw new RangeError(
      `${op}() expected a bias of shape [${channels}] (one per output channel): found ${
        fmtShape(bias.shape)
      }`,
    );
  }
}

/** `cols [G, C/G·K, N·L]`: the windows of `x [N, C, ...S]` as the matmul's right operand. */
function im2col(
  x: Tensor,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  groups: number,
): { cols: Tensor; outSize: number[] } {
  const nd = kernel.length;
  const [n, c] = x.shape;
  let cols = x;
  for (let j = 0; j < nd; j++) {
    cols = unfoldAxis(cols, 2 + 2 * j, kernel[j], stride[j], dilation[j]);
  }
  // [N, C, K0, O0, K1, O1, …] → [G, C/G, K0, K1, …, N, O0, O1, …]
  const outSize = kernel.map((_, j) => cols.shape[3 + 2 * j]);
  cols = reshape(cols, [n, groups, c / groups, ...cols.shape.slice(2)]);
  const kAxes = kernel.map((_, j) => 3 + 2 * j);
  const oAxes = kernel.map((_, j) => 4 + 2 * j);
  cols = permute(cols, [1, 2, ...kAxes, 0, ...oAxes]);
  const depth = (c / groups) * kernel.reduce((p, k) => p * k, 1);
  const positions = n * outSize.reduce((p, d) => p * d, 1);
  return { cols: reshape(cols, [groups, depth, positions]), outSize };
}

/** `ct [N, O, ...out]` as `[G, O/G, N·L]` (the matmul's layout). */
function asMatrix(ct: Tensor, groups: number): Tensor {
  const [n, o] = ct.shape;
  const perm = [1, 0, ...ct.shape.slice(2).map((_, j) => 2 + j)];
  return reshape(permute(ct, perm), [groups, o / groups, n * (ct.size / (n * o))]);
}

/**
 * col2im: sums the columns `cols [G, C/G·K, N·L]` back onto `[N, C, ...size]`,
 * one shifted (and, for strides, spaced) copy per kernel tap, so every read
 * stays an affine view of the buffer the matmul wrote.
 *
 * NOTE: on a strided axis the sum runs over blocks of `stride` positions,
 * `[⌈size / s⌉, s]`: tap k (offset k·d = q·s + r) lands at phase r of blocks
 * q… (its zeros in between are the other phases), and the blocks are then
 * read as one axis and cropped. A kernel over that axis splits it back into
 * `[blocks, s]` loops (`jit/_loop_split.ts`), where every index is affine, so
 * it runs on the Wasm tier; spacing by position instead (`(o − k·d) / s`)
 * would not split.
 */
function col2im(
  cols: Tensor,
  n: number,
  channels: number,
  kernel: readonly number[],
  outSize: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  size: readonly number[],
  origin: readonly number[],
): Tensor {
  const nd = kernel.length;
  const groups = cols.shape[0];
  const split = reshape(cols, [groups, channels / groups, ...kernel, n, ...outSize]);
  const taps = kernel.reduce((p, k) => p * k, 1);
  // blocks start `shift` before the origin, a multiple of the stride: the caller's crop to the
  // origin (the convolution's padding) then keeps whole blocks, and its indices split
  const shift = origin.map((o, j) => Math.ceil(o / stride[j]) * stride[j]);
  const blocks = size.map((len, j) => Math.ceil((len - origin[j] + shift[j]) / stride[j]));
  let total: Tensor | undefined;
  for (let t = 0; t < taps; t++) {
    const tap: number[] = [];
    let rest = t;
    for (let j = nd - 1; j >= 0; j--) {
      tap[j] = rest % kernel[j];
      rest = Math.floor(rest / kernel[j]);
    }
    // [G, C/G, N, ...out] → [N, C, ...out]
    let term = slice(split, null, null, ...tap.map((k) => k));
    term = reshape(permute(term, [2, 0, 1, ...outSize.map((_, j) => 3 + j)]), [
      n,
      channels,
      ...outSize,
    ]);
    // each strided axis becomes [blocks, s], the tap at phase r of blocks q, q + 1, …
    for (let j = nd - 1; j >= 0; j--) {
      const s = stride[j];
      const at = tap[j] * dilation[j];
      const axis = 2 + j;
      const len = term.shape[axis];
      const widths: [number, number][] = term.shape.slice(2).map(() => [0, 0]);
      if (s === 1) {
        widths[j] = [at, size[j] - at - len];
        term = padSpatial(term, widths, 0);
        continue;
      }
      const from = at - origin[j] + shift[j];
      const [q, r] = [Math.floor(from / s), from % s];
      const before = term.shape.slice(0, axis);
      const after = term.shape.slice(axis + 1);
      const phased = padSpatial(reshape(term, [...before, len, 1, ...after]), [
        ...widths.slice(0, j),
        [q, blocks[j] - q - len],
        [r, s - 1 - r],
      ], 0);
      term = reshape(phased, [...before, blocks[j] * s, ...after]);
    }
    total = total === undefined ? term : add(total, term);
  }
  const crop = size.map((len, j): [number, number] => {
    if (stride[j] === 1) return [0, 0];
    const start = origin[j] - shift[j];
    return [start, len - total!.shape[2 + j] - start];
  });
  return crop.some(([a, b]) => a !== 0 || b !== 0) ? padSpatial(total!, crop, 0) : total!;
}

/**
 * The transposed convolution of `y [N, O, ...]` with `w [O, C/G, ...K]` (the
 * input gradient of a convolution), `size` long on each spatial axis, to be
 * read from `origin` on: one matmul `wᵀ @ y` into columns, then col2im.
 */
function transposed(
  y: Tensor,
  w: Tensor,
  stride: readonly number[],
  dilation: readonly number[],
  groups: number,
  size: readonly number[],
  origin: readonly number[],
): Tensor {
  const [o, perGroup] = w.shape;
  const kernel = w.shape.slice(2);
  const depth = perGroup * kernel.reduce((p, k) => p * k, 1);
  const wt = reshape(w, [groups, o / groups, depth]).transpose(-1, -2);
  const cols = matmul(wt, asMatrix(y, groups));
  const outSize = y.shape.slice(2);
  const channels = perGroup * groups;
  return col2im(cols, y.shape[0], channels, kernel, outSize, stride, dilation, size, origin);
}

/**
 * The convolution of `x [N, C, ...S]` (already padded, the input starting at
 * `origin`) with `w [O, C/g, ...K]`, checked by the caller: an im2col view times the weight as one batched
 * matmul, with the bias in its epilogue. Its gradient is written out (a
 * transposed convolution for x, one matmul for w) so the backward pass runs
 * on the same fast path as the forward.
 */
function convCore(
  x: Tensor,
  w: Tensor,
  bias: Tensor | undefined,
  stride: readonly number[],
  dilation: readonly number[],
  groups: number,
  origin: readonly number[],
): Tensor {
  const kernel = w.shape.slice(2);
  const outChannels = w.shape[0];
  const forward = (xp: Tensor, wt: Tensor, ...b: Tensor[]): [Tensor, Tensor] => {
    const { cols, outSize } = im2col(xp, kernel, stride, dilation, groups);
    const depth = cols.shape[1];
    let y = matmul(reshape(wt, [groups, outChannels / groups, depth]), cols);
    if (b.length > 0) y = add(y, reshape(b[0], [groups, outChannels / groups, 1]));
    // [G, O/G, N·L] → [N, O, ...outSize]
    const split = reshape(y, [outChannels, xp.shape[0], ...outSize]);
    return [permute(split, [1, 0, ...outSize.map((_, j) => 2 + j)]), cols];
  };
  const backward = (cols: Tensor, ct: Tensor): Tensor[] => {
    // every product reads the cotangent as the same matmul operand: it is computed once
    const ctm = asMatrix(ct, groups);
    const dw = reshape(matmul(ctm, cols.transpose(-1, -2)), w.shape);
    const dx = transposed(ct, w, stride, dilation, groups, x.shape.slice(2), origin);
    if (bias === undefined) return [dx, dw];
    const db = matmul(ctm, ones([ctm.shape[2], 1], { dtype: ct.dtype, device: ct.device }));
    return [dx, dw, reshape(db, [outChannels])];
  };
  const f = customVjp(forward, backward);
  return bias === undefined ? f(x, w) : f(x, w, bias);
}

function convNd(op: string, nd: number, input: Tensor, weight: Tensor, options: ConvOptions) {
  checkKeys(op, options, convKeys);
  const [x, unbatched] = batched(op, input, nd);
  if (weight.shape.length !== nd + 2) {
    throw new RangeError(
      `${op}() expected a ${nd + 2}-d weight [out, in/groups, ${
        nd === 1 ? "k" : "kh, kw"
      }]: found shape ${fmtShape(weight.shape)}`,
    );
  }
  const groups = checkGroups(op, options.groups);
  const [outChannels, perGroup] = weight.shape;
  const channels = x.shape[1];
  if (channels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(
      `${op}() expected groups=${groups} to divide the input channels (${channels}) and the ` +
        `output channels (${outChannels}): pick groups among their common divisors`,
    );
  }
  if (perGroup * groups !== channels) {
    throw new RangeError(
      `${op}() channel mismatch: input ${fmtShape(input.shape)} has ${channels} channels but ` +
        `weight ${fmtShape(weight.shape)} with groups=${groups} expects ${perGroup * groups}` +
        ` (weight is [out, in/groups, …] like torch)`,
    );
  }
  checkBias(op, options.bias, outChannels);
  const stride = perAxis(op, "stride", options.stride, 1, nd, 1);
  const dilation = perAxis(op, "dilation", options.dilation, 1, nd, 1);
  const kernel = weight.shape.slice(2);
  const span = kernel.map((k, j) => dilation[j] * (k - 1));
  let widths: [number, number][];
  if (options.padding === "same") {
    if (stride.some((s) => s !== 1)) {
      throw new RangeError(
        `${op}() padding "same" needs stride 1: found stride ${fmtValue(options.stride)}`,
      );
    }
    widths = span.map((t) => [Math.floor(t / 2), t - Math.floor(t / 2)]);
  } else if (options.padding === "valid") {
    widths = span.map(() => [0, 0]);
  } else {
    widths = perAxis(op, "padding", options.padding, 0, nd, 0).map((p) => [p, p]);
  }
  const spatial = x.shape.slice(2);
  spatial.forEach((size, j) => {
    const padded = size + widths[j][0] + widths[j][1];
    if (span[j] + 1 > padded) {
      throw new RangeError(
        `${op}() kernel ${fmtShape(kernel)} (dilated size ${span[j] + 1}) is larger than the ` +
          `padded input (${padded}) on spatial axis ${j} by ${span[j] + 1 - padded}: input ${
            fmtShape(input.shape)
          }; pad more or use a smaller kernel`,
      );
    }
  });
  const xp = padSpatial(x, widths, 0);
  const origin = widths.map(([before]) => before);
  const y = convCore(xp, weight, options.bias, stride, dilation, groups, origin);
  return unbatched ? reshape(y, y.shape.slice(1)) : y;
}

/**
 * 2-D convolution (torch.nn.functional.conv2d): input `[N, C, H, W]` (or
 * `[C, H, W]`), weight `[out, C/groups, kh, kw]`, output `[N, out, H', W']`.
 * @param x the input
 * @param weight the kernels, in torch's layout
 * @param options bias, stride, padding, dilation, groups
 * @returns the convolution (cross-correlation, like PyTorch)
 * @example A 3×3 box sum
 * ```ts
 * import { conv2d, ones } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const y = conv2d(ones([1, 1, 4, 4]), ones([1, 1, 3, 3]), { padding: 1 });
 * assertEquals(y.shape, [1, 1, 4, 4]);
 * assertEquals(Array.from(y.dataSync().slice(0, 4)), [4, 6, 6, 4]);
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, options: ConvOptions = {}): Tensor {
  return convNd("conv2d", 2, x, weight, options);
}

/**
 * 1-D convolution (torch.nn.functional.conv1d): input `[N, C, L]` (or
 * `[C, L]`), weight `[out, C/groups, k]`, output `[N, out, L']`.
 * @param x the input
 * @param weight the kernels, in torch's layout
 * @param options bias, stride, padding, dilation, groups
 * @returns the convolution
 * @example A moving sum
 * ```ts
 * import { conv1d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const y = conv1d(tensor([[[1, 2, 3, 4]]]), tensor([[[1, 1]]]));
 * assertEquals(y.toArray(), [[[3, 5, 7]]]);
 * ```
 */
export function conv1d(x: Tensor, weight: Tensor, options: ConvOptions = {}): Tensor {
  return convNd("conv1d", 1, x, weight, options);
}

function convTransposeNd(
  op: string,
  nd: number,
  input: Tensor,
  weight: Tensor,
  options: ConvTransposeOptions,
): Tensor {
  checkKeys(op, options, transposeKeys);
  const [x, unbatched] = batched(op, input, nd);
  if (weight.shape.length !== nd + 2) {
    throw new RangeError(
      `${op}() expected a ${nd + 2}-d weight [in, out/groups, ${
        nd === 1 ? "k" : "kh, kw"
      }]: found shape ${fmtShape(weight.shape)}`,
    );
  }
  const groups = checkGroups(op, options.groups);
  const [inChannels, perGroup] = weight.shape;
  if (inChannels % groups !== 0) {
    throw new RangeError(
      `${op}() expected groups=${groups} to divide the weight's input channels (${inChannels})`,
    );
  }
  if (x.shape[1] !== inChannels) {
    throw new RangeError(
      `${op}() channel mismatch: input ${fmtShape(input.shape)} has ${x.shape[1]} channels but ` +
        `weight ${fmtShape(weight.shape)} expects ${inChannels} (weight is [in, out/groups, …])`,
    );
  }
  const outChannels = perGroup * groups;
  checkBias(op, options.bias, outChannels);
  const stride = perAxis(op, "stride", options.stride, 1, nd, 1);
  const dilation = perAxis(op, "dilation", options.dilation, 1, nd, 1);
  const padding = perAxis(op, "padding", options.padding, 0, nd, 0);
  const outputPadding = perAxis(op, "outputPadding", options.outputPadding, 0, nd, 0);
  outputPadding.forEach((p, j) => {
    if (p >= stride[j] && p >= dilation[j]) {
      throw new RangeError(
        `${op}() expected outputPadding below the stride or the dilation: found ${p} with ` +
          `stride ${stride[j]} and dilation ${dilation[j]} on spatial axis ${j}`,
      );
    }
  });
  const kernel = weight.shape.slice(2);
  const size = kernel.map((k, j) =>
    (x.shape[2 + j] - 1) * stride[j] + dilation[j] * (k - 1) + 1 + outputPadding[j]
  );
  size.forEach((n, j) => {
    if (n - 2 * padding[j] < 1) {
      throw new RangeError(
        `${op}() padding ${padding[j]} leaves no output on spatial axis ${j}: input ${
          fmtShape(input.shape)
        } with kernel ${fmtShape(kernel)}; use a smaller padding`,
      );
    }
  });
  const full = transposed(x, weight, stride, dilation, groups, size, padding);
  let out = padSpatial(full, padding.map((p) => [-p, -p]), 0);
  if (options.bias !== undefined) {
    out = add(out, reshape(options.bias, [outChannels, ...kernel.map(() => 1)]));
  }
  return unbatched ? reshape(out, out.shape.slice(1)) : out;
}

/**
 * 2-D transposed convolution (torch.nn.functional.conv_transpose2d): the
 * gradient of `conv2d` with respect to its input. Weight `[C, out/groups, kh, kw]`;
 * output size `(H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1`.
 * @param x the input `[N, C, H, W]` (or `[C, H, W]`)
 * @param weight the kernels, in torch's layout
 * @param options bias, stride, padding, outputPadding, dilation, groups
 * @returns the transposed convolution
 * @example Upsampling by 2
 * ```ts
 * import { convTranspose2d, ones } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const y = convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), { stride: 2 });
 * assertEquals(y.shape, [1, 1, 4, 4]);
 * ```
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  options: ConvTransposeOptions = {},
): Tensor {
  return convTransposeNd("convTranspose2d", 2, x, weight, options);
}

/**
 * 1-D transposed convolution (torch.nn.functional.conv_transpose1d).
 * @param x the input `[N, C, L]` (or `[C, L]`)
 * @param weight the kernels `[C, out/groups, k]`
 * @param options bias, stride, padding, outputPadding, dilation, groups
 * @returns the transposed convolution
 * @example
 * ```ts
 * import { convTranspose1d, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 1]]])).toArray(), [[[1, 3, 2]]]);
 * ```
 */
export function convTranspose1d(
  x: Tensor,
  weight: Tensor,
  options: ConvTransposeOptions = {},
): Tensor {
  return convTransposeNd("convTranspose1d", 1, x, weight, options);
}
