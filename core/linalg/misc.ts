/**
 * Compositions (torch.linalg and torch): `trace`, `diagonal`, `diag`, `kron`, `vectorNorm`,
 * `matrixNorm`, `lstsq` and `pinv`, built from existing ops and the decompositions, so their
 * gradients come from those.
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { fmtShape, fmtValue } from "../ir/errors.ts";
import { checkOptions } from "../_options.ts";
import { floatNode, nodeOf } from "../_convert.ts";
import { wrap } from "../_wrap.ts";
import { normalizeAxis } from "../ir/shape.ts";
import { where } from "../elementwise.ts";
import { batchPair, floatInput, mT, withGradient } from "./_host.ts";
import { qr, svd, svdvals } from "./decomp.ts";
import { solveTriangular } from "./solve.ts";

function anyInput(op: string, x: Tensor): Tensor {
  return wrap(nodeOf(op, x));
}

/** Options of `diagonal`. */
export interface DiagonalOptions {
  /** Diagonal offset: above the main diagonal when positive (default 0). */
  offset?: number;
  /** The row axis (default -2). */
  dim1?: number;
  /** The column axis (default -1). */
  dim2?: number;
}

/**
 * The diagonal of matrices (torch.linalg.diagonal): from `[..., m, n]` to `[..., k]`.
 * @param x a tensor with at least 2 axes
 * @param options offset and the two axes
 * @returns the diagonal elements, as the last axis
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.diagonal(tensor([[1, 2], [3, 4]])).toArray(), [1, 4]);
 * ```
 */
export function diagonal(x: Tensor, options: DiagonalOptions = {}): Tensor {
  const op = "linalg.diagonal";
  checkOptions(op, options, ["offset", "dim1", "dim2"]);
  const t = anyInput(op, x);
  if (t.ndim < 2) {
    throw new RangeError(`${op}() expected at least 2 axes: found shape ${fmtShape(t.shape)}`);
  }
  const d1 = normalizeAxis(op, options.dim1 ?? -2, t.ndim);
  const d2 = normalizeAxis(op, options.dim2 ?? -1, t.ndim);
  if (d1 === d2) {
    throw new RangeError(`${op}() expected two different axes: found dim1 = dim2 = ${d1}`);
  }
  const rest = [...t.shape.keys()].filter((d) => d !== d1 && d !== d2);
  const mats = t.permute([...rest, d1, d2]);
  const [m, n] = [t.shape[d1], t.shape[d2]];
  const offset = options.offset ?? 0;
  const lead = rest.map((d) => t.shape[d]);
  const len = Math.max(0, Math.min(m - Math.max(0, -offset), n - Math.max(0, offset)));
  if (len === 0) return mats.reshape(...lead, m * n).slice(...lead.map(() => null), [0, 0]);
  const start = offset >= 0 ? offset : -offset * n;
  const flat = mats.reshape(...lead, m * n);
  return flat.slice(...lead.map(() => null), [start, start + (len - 1) * (n + 1) + 1, n + 1]);
}

/**
 * The sum of the diagonal of matrices `[..., m, n]` (torch.trace, batched).
 * @param x matrices
 * @returns `[...]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.trace(tensor([[1, 2], [3, 4]])).item(), 5);
 * ```
 */
export function trace(x: Tensor): Tensor {
  return diagonal(x).sum(-1);
}

/**
 * torch.diag: a vector `[n]` becomes the `n × n` matrix with it on diagonal `offset` (size
 * `n + |offset|`); a matrix gives its diagonal `offset`.
 * @param x a vector or a matrix
 * @param offset the diagonal (default 0; above the main one when positive)
 * @returns a matrix or a vector
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.diag(tensor([1, 2])).toArray(), [[1, 0], [0, 2]]);
 * ```
 */
export function diag(x: Tensor, offset = 0): Tensor {
  const t = anyInput("linalg.diag", x);
  if (t.ndim === 2) return diagonal(t, { offset });
  if (t.ndim !== 1) {
    throw new RangeError(
      `linalg.diag() expected a vector or a matrix: found shape ${fmtShape(t.shape)}: ` +
        "use linalg.diagonal for batches",
    );
  }
  const n = t.shape[0];
  // each value followed by n zeros, read as rows of n: it lands on the diagonal
  const spread = t.reshape(n, 1).pad([[0, 0], [0, n]]).reshape(n * (n + 1));
  const square = spread.slice([0, n * n]).reshape(n, n);
  const k = Math.abs(offset);
  return square.pad(offset >= 0 ? [[0, k], [k, 0]] : [[k, 0], [0, k]]);
}

/**
 * The Kronecker product (torch.kron): for `a` `[m, n]` and `b` `[p, q]`, the `[m·p, n·q]` block
 * matrix of blocks `a[i, j]·b`; any equal or padded number of axes.
 * @param a the first tensor
 * @param b the second tensor
 * @returns the product
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.kron(tensor([1, 2]), tensor([1, 10])).toArray(), [1, 10, 2, 20]);
 * ```
 */
export function kron(a: Tensor, b: Tensor): Tensor {
  const x = anyInput("linalg.kron", a);
  const y = anyInput("linalg.kron", b);
  const nd = Math.max(x.ndim, y.ndim);
  const xs = [...Array(nd - x.ndim).fill(1), ...x.shape];
  const ys = [...Array(nd - y.ndim).fill(1), ...y.shape];
  const xe = x.reshape(...xs.flatMap((d) => [d, 1]));
  const ye = y.reshape(...ys.flatMap((d) => [1, d]));
  return xe.mul(ye).reshape(...xs.map((d, i) => d * ys[i]));
}

/** Options of `vectorNorm`. */
export interface VectorNormOptions {
  /** The order: a number, Infinity (max |x|), -Infinity (min |x|) or 0 (count of non-zeros); default 2. */
  ord?: number;
  /** The axes reduced (default: all). */
  axis?: number | readonly number[];
  /** Keep reduced axes with size 1. */
  keepdims?: boolean;
}

/**
 * The vector norm (torch.linalg.vector_norm) over `axis` (all axes by default): `(Σ|x|^ord)^(1/ord)`.
 * Like PyTorch, the 2-norm's gradient at the zero vector is 0 (a subgradient).
 * @param x a float tensor
 * @param options the order, axes and keepdims
 * @returns the norms
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.vectorNorm(tensor([3, 4])).item(), 5);
 * ```
 */
export function vectorNorm(x: Tensor, options: VectorNormOptions = {}): Tensor {
  const op = "linalg.vectorNorm";
  checkOptions(op, options, ["ord", "axis", "keepdims"]);
  const t = wrap(floatNode(nodeOf(op, x)));
  const ord = options.ord ?? 2;
  if (typeof ord !== "number" || Number.isNaN(ord)) {
    throw new TypeError(`${op}() expected ord to be a number: found ${fmtValue(ord)}`);
  }
  const axis = options.axis ?? [...t.shape.keys()];
  const keep = options.keepdims ?? false;
  const a = t.abs();
  if (ord === Infinity) return a.max(axis, keep);
  if (ord === -Infinity) return a.min(axis, keep);
  if (ord === 0) return a.ne(0).astype(t.dtype).sum(axis, keep);
  if (ord === 1) return a.sum(axis, keep);
  if (ord === 2) {
    const sq = t.mul(t).sum(axis, keep);
    // d√s = 1/(2√s): 0 where s = 0 (the zero vector), as PyTorch
    const safe = where(sq.eq(0), 1, sq);
    return where(sq.eq(0), 0, safe.sqrt());
  }
  return a.pow(ord).sum(axis, keep).pow(1 / ord);
}

/** Options of `matrixNorm`. */
export interface MatrixNormOptions {
  /** "fro" (default), "nuc", 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |a|), Infinity / -Infinity (row sums). */
  ord?: "fro" | "nuc" | number;
  /** Keep the two reduced axes with size 1. */
  keepdims?: boolean;
}

/**
 * The matrix norm of the last two axes (torch.linalg.matrix_norm).
 * @param a matrices `[..., m, n]`
 * @param options the order and keepdims
 * @returns `[...]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(linalg.matrixNorm(tensor([[3, 0], [0, 4]]), { ord: 2 }).item(), 4, 1e-6);
 * ```
 */
export function matrixNorm(a: Tensor, options: MatrixNormOptions = {}): Tensor {
  const op = "linalg.matrixNorm";
  checkOptions(op, options, ["ord", "keepdims"]);
  const A = floatInput(op, a);
  const ord = options.ord ?? "fro";
  const keep = options.keepdims ?? false;
  const back = (v: Tensor) => (keep ? v.unsqueeze(-1).unsqueeze(-1) : v);
  switch (ord) {
    case "fro":
      return vectorNorm(A, { axis: [-2, -1], keepdims: keep });
    case "nuc":
      return back(svdvals(A).sum(-1));
    case 2:
      return back(svdvals(A).max(-1));
    case -2:
      return back(svdvals(A).min(-1));
    case 1:
    case -1: {
      const cols = A.abs().sum(-2, keep);
      return ord === 1 ? cols.max(-1, keep) : cols.min(-1, keep);
    }
    case Infinity:
    case -Infinity: {
      const rows = A.abs().sum(-1, keep);
      const axis = keep ? -2 : -1;
      return ord === Infinity ? rows.max(axis, keep) : rows.min(axis, keep);
    }
  }
  throw new RangeError(
    `${op}() expected ord "fro", "nuc", 2, -2, 1, -1, Infinity or -Infinity: found ${
      fmtValue(ord)
    }: use vectorNorm for other orders`,
  );
}

/** Options of `lstsq`. */
export interface LstsqOptions {
  /**
   * "gelsd" (the default): the minimum-norm least-squares solution from the SVD, for any rank,
   * like torch's gelsd (and its default gelsy on full-rank inputs). "gels": Householder QR,
   * faster, for full-rank `A` only (torch's gels).
   */
  driver?: "gelsd" | "gels";
  /** gelsd: singular values below `rcond · σ_max` count as zero (default `max(m, n) · ε` of the dtype, as torch). */
  rcond?: number;
}

/**
 * The least-squares solution of `A·X = B` (torch.linalg.lstsq's `solution`): minimal
 * `‖A·X − B‖`, and among those the one of minimal norm. The default driver, "gelsd", works for
 * any rank through the SVD (`pinv(A)·B`, with its gradient); "gels" uses Householder QR and
 * needs full rank.
 * @param a matrices `[..., m, n]`
 * @param b right-hand sides `[..., m, k]`
 * @param options the driver and, for gelsd, the rank cutoff
 * @returns `{ solution }`, `[..., n, k]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const { solution } = linalg.lstsq(tensor([[1, 0], [0, 1], [1, 1]]), tensor([[1], [2], [3]]));
 * assertAlmostEquals(solution.dataSync()[1], 2, 1e-5);
 * // rank 1: the minimum-norm solution
 * const x = linalg.lstsq(tensor([[1, 1], [1, 1]]), tensor([[2], [2]])).solution;
 * assertAlmostEquals(x.dataSync()[0], 1, 1e-5);
 * ```
 */
export function lstsq(a: Tensor, b: Tensor, options: LstsqOptions = {}): { solution: Tensor } {
  const op = "linalg.lstsq";
  checkOptions(op, options, ["driver", "rcond"]);
  const A = floatInput(op, a);
  const B = floatInput(op, b, 1);
  const [m, n] = A.shape.slice(-2);
  if (B.shape[B.ndim - 2] !== m) {
    throw new RangeError(
      `${op}() expected B with ${m} rows like A ${fmtShape(A.shape)}: found B ${fmtShape(B.shape)}`,
    );
  }
  const driver = options.driver ?? "gelsd";
  if (driver !== "gelsd" && driver !== "gels") {
    throw new RangeError(
      `${op}() expected driver "gelsd" or "gels": found ${fmtValue(driver)}: ` +
        "gelsd (the default) handles any rank, gels needs full rank",
    );
  }
  if (driver === "gels" && options.rcond !== undefined) {
    throw new RangeError(`${op}() takes rcond with driver "gelsd" only: found driver "gels"`);
  }
  const [Ab, Bb] = batchPair(op, A, B);
  if (driver === "gelsd") {
    return { solution: pinvOf(op, Ab, options.rcond).matmul(Bb) };
  }
  if (m >= n) {
    const [Q, R] = qr(Ab);
    return { solution: solveTriangular(R, mT(Q).matmul(Bb), { upper: true }) };
  }
  // A = Rᵀ·Qᵀ: the minimum-norm solution is Q·R⁻ᵀ·B
  const [Q, R] = qr(mT(Ab));
  return { solution: Q.matmul(solveTriangular(mT(R), Bb, { upper: false })) };
}

/** Options of `pinv`. */
export interface PinvOptions {
  /** Singular values below `rtol · σ_max` are treated as zero (default `max(m, n) · ε` of the dtype). */
  rtol?: number;
}

/**
 * The Moore–Penrose pseudo-inverse (torch.linalg.pinv) from the SVD: `V·diag(1/σ)·Uᵀ` over the
 * singular values above the cutoff. Its gradient is PyTorch's closed form in `A` and `A⁺`
 * (pinv_backward), exact wherever the rank is locally constant, rank-deficient inputs and
 * repeated singular values included.
 * @param a matrices `[..., m, n]`
 * @param options the relative cutoff
 * @returns `[..., n, m]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const p = linalg.pinv(tensor([[1, 2], [2, 4]])); // rank 1
 * assertAlmostEquals(p.dataSync()[0], 0.04, 1e-6);
 * ```
 */
export function pinv(a: Tensor, options: PinvOptions = {}): Tensor {
  const op = "linalg.pinv";
  checkOptions(op, options, ["rtol"]);
  return pinvOf(op, floatInput(op, a), options.rtol);
}

/** The pseudo-inverse of `A` with cutoff `rtol`, with PyTorch's pinv_backward gradient. */
function pinvOf(op: string, A: Tensor, rtol: number | undefined): Tensor {
  const [m, n] = A.shape.slice(-2);
  const eps = A.dtype === "float64" ? 2 ** -52 : 2 ** -23;
  if (rtol !== undefined && !(typeof rtol === "number" && rtol >= 0)) {
    throw new RangeError(
      `${op}() expected a non-negative relative cutoff: found ${fmtValue(rtol)}`,
    );
  }
  const tol = rtol ?? Math.max(m, n) * eps;
  const [U, S, Vh] = svd(A);
  const keep = S.gt(S.max(-1, true).mul(tol));
  const inv = where(keep, where(keep, S, 1).reciprocal(), 0);
  const value = mT(Vh).mul(inv.unsqueeze(-2)).matmul(mT(U));
  // the backward reads the differentiable result, so it can be differentiated again
  let result: Tensor | undefined = undefined;
  result = withGradient([A], value, (g) => [pinvBackward(g, result!, A)]);
  return result;
}

/** PyTorch's pinv_backward: the gradient of `A⁺` from `A`, `P = A⁺` and the cotangent `g`. */
function pinvBackward(g: Tensor, P: Tensor, A: Tensor): Tensor {
  const [m, n] = A.shape.slice(-2);
  const Ph = mT(P);
  const gh = mT(g);
  if (m <= n) {
    const K = gh.matmul(P);
    const KPh = K.matmul(Ph);
    return mT(P.matmul(K)).neg().add(KPh).sub(A.matmul(P).matmul(KPh))
      .add(Ph.matmul(P).matmul(gh.sub(K.matmul(A))));
  }
  const K = P.matmul(gh);
  const PhK = Ph.matmul(K);
  return mT(K.matmul(P)).neg().add(gh.sub(A.matmul(K)).matmul(P).matmul(Ph)).add(PhK)
    .sub(PhK.matmul(P).matmul(A));
}
