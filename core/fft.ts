/**
 * `lt.fft`: discrete Fourier transforms mirroring torch.fft (`fft`, `ifft`, `rfft`, `irfft`,
 * `fft2`). A complex tensor is a real one with a trailing axis of 2 (real, imaginary), like
 * `torch.view_as_real`. The transforms are fast (O(n log n), any length: `_fft_plan.ts`) and
 * composed of tensor ops (products with small DFT matrices computed in float64 from exact
 * angles, twiddle products, reshapes), so their gradient (the adjoint), gradients of gradients,
 * `jit`, batching and every device come for free.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { floatNode, nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { checkOptions } from "./_options.ts";
import { concat, stack } from "./movement.ts";
import { dftLast, realSignal } from "./_fft_plan.ts";

/** The normalization of a transform pair (torch's `norm`). */
export type FftNorm = "backward" | "ortho" | "forward";

/** Options of the transforms. */
export interface FftOptions {
  /** "backward" (default: the inverse divides by n), "ortho" (both by √n) or "forward". */
  norm?: FftNorm;
}

/** Options of `irfft`. */
export interface IrfftOptions extends FftOptions {
  /** The output length (default `2·(m − 1)` for `m` input frequencies). */
  n?: number;
}

function scale(norm: FftNorm | undefined, n: number, inverse: boolean): number {
  const mode = norm ?? "backward";
  if (mode === "ortho") return 1 / Math.sqrt(n);
  if (mode !== "backward" && mode !== "forward") {
    throw new RangeError(
      `fft: expected norm "backward", "ortho" or "forward": found ${fmtValue(norm)}`,
    );
  }
  return (mode === "forward") !== inverse ? 1 / n : 1;
}

function complexInput(op: string, x: Tensor): Tensor {
  const t = wrap(floatNode(nodeOf(op, x)));
  if (t.ndim < 2 || t.shape[t.ndim - 1] !== 2) {
    throw new RangeError(
      `${op}() expected a complex tensor [..., n, 2] (real and imaginary parts on the last ` +
        `axis): found shape ${fmtShape(t.shape)}: for a real signal use rfft, or ` +
        "lt.stack([re, zerosLike(re)], -1)",
    );
  }
  return t;
}

/** `Σ_j x_j·e^{∓2πi·jk/n}` along axis -2 of a complex `[..., n, 2]`, scaled by `s`. */
function dft(x: Tensor, inverse: boolean, s: number): Tensor {
  const [re, im] = dftLast([x.select(-1, 0), x.select(-1, 1)], inverse);
  return stack(s === 1 ? [re, im] : [re.mul(s), im.mul(s)], -1);
}

/**
 * The discrete Fourier transform along the signal axis (torch.fft.fft on
 * `torch.view_as_complex(x)`).
 * @param x a complex tensor `[..., n, 2]`
 * @param options the normalization
 * @returns the spectrum, `[..., n, 2]`
 * @example
 * ```ts
 * import { fft, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const x = tensor([[1, 0], [1, 0], [1, 0], [1, 0]]); // the constant 1
 * assertAlmostEquals(fft.fft(x).dataSync()[0], 4, 1e-6); // all in frequency 0
 * ```
 */
export function fft(x: Tensor, options: FftOptions = {}): Tensor {
  checkOptions("fft.fft", options, ["norm"]);
  const t = complexInput("fft.fft", x);
  return dft(t, false, scale(options.norm, t.shape[t.ndim - 2], false));
}

/**
 * The inverse discrete Fourier transform (torch.fft.ifft): `ifft(fft(x)) = x`.
 * @param x a complex tensor `[..., n, 2]`
 * @param options the normalization
 * @returns the signal, `[..., n, 2]`
 * @example
 * ```ts
 * import { fft, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const x = tensor([[1, 2], [3, -1], [0, 5]]);
 * assertAlmostEquals(fft.ifft(fft.fft(x)).dataSync()[3], -1, 1e-5);
 * ```
 */
export function ifft(x: Tensor, options: FftOptions = {}): Tensor {
  checkOptions("fft.ifft", options, ["norm"]);
  const t = complexInput("fft.ifft", x);
  return dft(t, true, scale(options.norm, t.shape[t.ndim - 2], true));
}

/**
 * The 2-D transform over the two signal axes of `[..., h, w, 2]` (torch.fft.fft2).
 * @param x a complex tensor `[..., h, w, 2]`
 * @param options the normalization
 * @returns the spectrum, `[..., h, w, 2]`
 * @example
 * ```ts
 * import { fft, ones } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(fft.fft2(ones([2, 3, 2])).dataSync()[0], 6, 1e-6);
 * ```
 */
export function fft2(x: Tensor, options: FftOptions = {}): Tensor {
  checkOptions("fft.fft2", options, ["norm"]);
  const t = complexInput("fft.fft2", x);
  if (t.ndim < 3) {
    throw new RangeError(
      `fft.fft2() expected a complex tensor [..., h, w, 2]: found shape ${fmtShape(t.shape)}`,
    );
  }
  const [h, w] = t.shape.slice(-3, -1);
  const rows = dftLast([t.select(-1, 0), t.select(-1, 1)], false);
  const [re, im] = dftLast([rows[0].transpose(-2, -1), rows[1].transpose(-2, -1)], false);
  const s = scale(options.norm, w, false) * scale(options.norm, h, false);
  return stack([re.transpose(-2, -1).mul(s), im.transpose(-2, -1).mul(s)], -1);
}

/**
 * The transform of a real signal, non-negative frequencies only (torch.fft.rfft).
 * @param x a real tensor `[..., n]`
 * @param options the normalization
 * @returns `[..., n/2 + 1, 2]` (n/2 rounded down)
 * @example
 * ```ts
 * import { fft, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(fft.rfft(tensor([1, 2, 3, 4])).shape, [3, 2]);
 * ```
 */
export function rfft(x: Tensor, options: FftOptions = {}): Tensor {
  checkOptions("fft.rfft", options, ["norm"]);
  const t = wrap(floatNode(nodeOf("fft.rfft", x)));
  if (t.ndim < 1) {
    throw new RangeError("fft.rfft() expected a signal with at least 1 axis: found a scalar");
  }
  const n = t.shape[t.ndim - 1];
  const half = Math.floor(n / 2) + 1;
  const s = scale(options.norm, n, false);
  const [re, im] = dftLast(realSignal(t), false);
  const first = (v: Tensor) => v.slice(...v.shape.slice(0, -1).map(() => null), [0, half]);
  return stack([first(re).mul(s), first(im).mul(s)], -1);
}

/**
 * The inverse of `rfft` (torch.fft.irfft): a real signal from its non-negative frequencies,
 * the others implied by Hermitian symmetry (the imaginary parts of frequency 0 and, for even
 * `n`, of frequency n/2 are ignored, as in torch).
 * @param x a complex tensor `[..., m, 2]`
 * @param options the output length `n` (default `2·(m − 1)`) and the normalization
 * @returns `[..., n]`
 * @example
 * ```ts
 * import { fft, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const x = tensor([1, 2, 3, 4]);
 * assertAlmostEquals(fft.irfft(fft.rfft(x)).dataSync()[2], 3, 1e-5);
 * ```
 */
export function irfft(x: Tensor, options: IrfftOptions = {}): Tensor {
  checkOptions("fft.irfft", options, ["n", "norm"]);
  const t = complexInput("fft.irfft", x);
  const m = t.shape[t.ndim - 2];
  const n = options.n ?? 2 * (m - 1);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `fft.irfft() expected the output length n to be a positive integer: found ${n}` +
        (options.n === undefined ? ` (from ${m} input frequencies: pass options.n)` : ""),
    );
  }
  const used = Math.min(m, Math.floor(n / 2) + 1);
  const spectrum = t.slice(...t.shape.slice(0, -2).map(() => null), [0, used]);
  return hermitian(spectrum, n).mul(scale(options.norm, n, true));
}

/**
 * The real inverse transform (unscaled) of the `n`-point Hermitian spectrum whose first
 * frequencies are `x` (`[..., used, 2]`, missing ones zero): frequency `n − k` is `conj(x_k)`.
 * The imaginary parts of frequencies 0 and n/2 drop out of the real part, as in torch.
 */
function hermitian(x: Tensor, n: number): Tensor {
  const lead = x.shape.slice(0, -2);
  const half = Math.floor(n / 2) + 1;
  const used = x.shape[x.ndim - 2];
  const widths = [...lead.map(() => [0, 0] as const), [0, half - used] as const];
  const re = x.select(-1, 0).pad(widths);
  const im = x.select(-1, 1).pad(widths);
  // frequencies ⌈n/2⌉−1 … 1, mirrored to n − k
  const mirror = (v: Tensor) => v.slice(...lead.map(() => null), [1, n - half + 1]).flip(-1);
  const full: [Tensor, Tensor] = [
    concat([re, mirror(re)], -1),
    concat([im, mirror(im).neg()], -1),
  ];
  return dftLast(full, true)[0];
}
