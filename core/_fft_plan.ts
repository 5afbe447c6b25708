/**
 * The fast Fourier transform behind `lt.fft`, composed of tensor ops (so gradients, `jit`,
 * `vmap` and every device come with it): a signal of length `n = p·q` with a factor
 * `p ≤ DIRECT` is split by the four-step (Cooley–Tukey) algorithm into `q` transforms of size
 * `p` (one product with the `p × p` DFT matrix), a twiddle product and `p` transforms of size
 * `q` (recursively); a length with no such factor (a prime above DIRECT, e.g. 997) goes through
 * Bluestein's chirp-z algorithm, a circular convolution of power-of-two length `M ≥ 2n − 1`.
 * Short transforms are one product with the DFT matrix. O(n log n) ops overall; twiddles are
 * computed in float64 from exact integer angles (`j·k mod n`).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { tensor, zerosLike } from "./creation.ts";

/** The longest transform computed directly, as a product with the DFT matrix. */
const DIRECT = 32;

/** A complex tensor as its real and imaginary parts. */
export type Complex = readonly [Tensor, Tensor];

/** `[cos, σ·sin]` of `2π·(f(r, c) mod den)/den` over an `rows × cols` grid, as constants like `like`. */
function table(
  rows: number,
  cols: number,
  den: number,
  f: (r: number, c: number) => number,
  sigma: number,
  like: Tensor,
  weight = 1,
): Complex {
  const c = new Float64Array(rows * cols);
  const s = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const angle = (2 * Math.PI * (f(r, k) % den)) / den;
      c[r * cols + k] = Math.cos(angle) * weight;
      s[r * cols + k] = sigma * Math.sin(angle) * weight;
    }
  }
  const shape = rows === 1 ? [cols] : [rows, cols];
  const t = (v: Float64Array) =>
    tensor(v, { dtype: like.dtype, device: like.device }).reshape(...shape);
  return [t(c), t(s)];
}

/** `(a + ib)·(c + is)` elementwise (broadcasting). */
function cmul([a, b]: Complex, [c, s]: Complex): Complex {
  return [a.mul(c).sub(b.mul(s)), a.mul(s).add(b.mul(c))];
}

/** `x·Fᵀ` for the complex matrix `F = c + is` (the last axis of `x` is contracted). */
function rightProduct([a, b]: Complex, [c, s]: Complex): Complex {
  return [a.matmul(c.T).sub(b.matmul(s.T)), b.matmul(c.T).add(a.matmul(s.T))];
}

/** `F·x` for the complex matrix `F = c + is` (axis -2 of `x` is contracted). */
function leftProduct([a, b]: Complex, [c, s]: Complex): Complex {
  return [c.matmul(a).sub(s.matmul(b)), c.matmul(b).add(s.matmul(a))];
}

/** The largest divisor of `n` that is at most DIRECT (1 when there is none). */
function smallFactor(n: number): number {
  for (let p = Math.min(DIRECT, n - 1); p > 1; p--) if (n % p === 0) return p;
  return 1;
}

/**
 * The unscaled DFT along the last axis, `y_k = Σ_j x_j·e^{σ·2πi·jk/n}` with `σ = -1` (forward)
 * or `+1` (`inverse`).
 */
export function dftLast(x: Complex, inverse: boolean): Complex {
  const n = x[0].shape[x[0].ndim - 1];
  const sigma = inverse ? 1 : -1;
  if (n <= DIRECT) return rightProduct(x, table(n, n, n, (k, j) => k * j, sigma, x[0]));
  const p = smallFactor(n);
  return p === 1 ? bluestein(x, inverse) : fourStep(x, p, n / p, inverse);
}

/**
 * `n = p·q`, input index `j = q·j1 + j2`, output index `k = k1 + p·k2`:
 * `y_k = Σ_{j2} e^{σ2πi·j2k2/q}·e^{σ2πi·j2k1/n}·Σ_{j1} x_j·e^{σ2πi·j1k1/p}`.
 */
function fourStep(x: Complex, p: number, q: number, inverse: boolean): Complex {
  const sigma = inverse ? 1 : -1;
  const lead = x[0].shape.slice(0, -1);
  const grid: Complex = [x[0].reshape(...lead, p, q), x[1].reshape(...lead, p, q)];
  const inner = leftProduct(grid, table(p, p, p, (k, j) => k * j, sigma, x[0]));
  const twiddled = cmul(inner, table(p, q, p * q, (k1, j2) => k1 * j2, sigma, x[0]));
  const [re, im] = dftLast(twiddled, inverse); // [..., k1, k2]
  const n = p * q;
  return [re.transpose(-2, -1).reshape(...lead, n), im.transpose(-2, -1).reshape(...lead, n)];
}

/**
 * Bluestein: `jk = (j² + k² − (k − j)²)/2`, so with the chirp `w_j = e^{σπi·j²/n}`,
 * `y_k = w_k·Σ_j (x_j·w_j)·conj(w_{k−j})`: a convolution, done by power-of-two transforms.
 */
function bluestein(x: Complex, inverse: boolean): Complex {
  const sigma = inverse ? 1 : -1;
  const n = x[0].shape[x[0].ndim - 1];
  let m = 1;
  while (m < 2 * n - 1) m *= 2;
  const chirp = (_: number, j: number) => j * j;
  const a = cmul(x, table(1, n, 2 * n, chirp, sigma, x[0]));
  const widths = [...x[0].shape.slice(0, -1).map(() => [0, 0] as const), [0, m - n] as const];
  const spectrum = cmul(
    dftLast([a[0].pad(widths), a[1].pad(widths)], false),
    kernel(n, m, sigma, x[0]),
  );
  const [re, im] = dftLast(spectrum, true);
  const first = (t: Tensor) => t.slice(...t.shape.slice(0, -1).map(() => null), [0, n]);
  return cmul([first(re), first(im)], table(1, n, 2 * n, chirp, sigma, x[0], 1 / m));
}

/** The forward transform of `b_j = conj(w_j)` (`j` taken mod `m`, `|j| < n`), in float64. */
function kernel(n: number, m: number, sigma: number, like: Tensor): Complex {
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    const angle = (2 * Math.PI * ((j * j) % (2 * n))) / (2 * n);
    re[j] = re[(m - j) % m] = Math.cos(angle);
    im[j] = im[(m - j) % m] = -sigma * Math.sin(angle);
  }
  hostFft(re, im);
  const t = (v: Float64Array) => tensor(v, { dtype: like.dtype, device: like.device });
  return [t(re), t(im)];
}

/** The forward DFT in place, for a power-of-two length (iterative radix 2, float64). */
export function hostFft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len *= 2) {
    const half = len / 2;
    for (let k = 0; k < half; k++) {
      const angle = (-2 * Math.PI * k) / len;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      for (let start = 0; start < n; start += len) {
        const i = start + k;
        const j = i + half;
        const tr = re[j] * c - im[j] * s;
        const ti = re[j] * s + im[j] * c;
        re[j] = re[i] - tr;
        im[j] = im[i] - ti;
        re[i] += tr;
        im[i] += ti;
      }
    }
  }
}

/** Zeros shaped like `x`: the imaginary part of a real signal. */
export function realSignal(x: Tensor): Complex {
  return [x, zerosLike(x)];
}
