/**
 * Linear systems and determinants (torch.linalg): `solve`, `solveTriangular`, `inv`, `det`,
 * `slogdet` and `cholesky`, float32 and float64, batched over leading axes, with gradients.
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { fmtShape } from "../ir/errors.ts";
import { eye } from "../creation.ts";
import { batchPair, floatInput, hostOp, mT, squareInput, tril, triu } from "./_host.ts";

/**
 * Solves `A·X = B` for `X` (torch.linalg.solve) by LU with partial pivoting. `B` is
 * `[..., n, k]`, or a vector `[..., n]` when its shape is `A`'s without the last axis; batch axes
 * broadcast. A singular `A` throws when the value is computed, naming the batch element.
 * @param a square matrices `[..., n, n]`
 * @param b right-hand sides
 * @returns `X`, shaped like `B` (after broadcasting)
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = linalg.solve(tensor([[2, 0], [0, 4]]), tensor([2, 8]));
 * assertEquals(x.toArray(), [1, 2]);
 * ```
 */
export function solve(a: Tensor, b: Tensor): Tensor {
  const A = squareInput("linalg.solve", a);
  const n = A.shape[A.shape.length - 1];
  const B0 = floatInput("linalg.solve", b, 1, 1);
  const vector = B0.ndim === 1 ||
    (B0.ndim === A.ndim - 1 && B0.shape.every((d, i) => d === A.shape[i]));
  const B = vector ? B0.unsqueeze(-1) : B0;
  if (B.shape[B.ndim - 2] !== n) {
    throw new RangeError(
      `linalg.solve() expected B with ${n} rows to match A ${fmtShape(A.shape)}: found B ` +
        `${fmtShape(B0.shape)}: B is [..., n, k], or [..., n] for one right-hand side`,
    );
  }
  const [Ab, Bb] = batchPair("linalg.solve", A, B);
  const x = solveBatched(Ab, Bb, "linalg.solve");
  return vector ? x.squeeze(-1) : x;
}

function solveBatched(A: Tensor, B: Tensor, caller: string): Tensor {
  return hostOp("solve", [A, B], { caller }, (X, gX) => {
    // X = A⁻¹B: gB = A⁻ᵀ gX, gA = -gB Xᵀ
    const gB = solveBatched(mT(A), gX, caller);
    return [gB.matmul(mT(X)).neg(), gB];
  });
}

/** Options of `solveTriangular`. */
export interface SolveTriangularOptions {
  /** Whether `A` is upper (`true`) or lower (`false`) triangular: the other triangle is not read. */
  upper: boolean;
  /** Solve `A·X = B` (`true`, the default) or `X·A = B` (`false`). */
  left?: boolean;
  /** Whether the diagonal of `A` is taken as ones (it is not read). */
  unitriangular?: boolean;
}

/**
 * Solves a triangular system (torch.linalg.solve_triangular) by substitution: `A·X = B`, or
 * `X·A = B` with `left: false`. Only the chosen triangle of `A` is read.
 * @param a triangular matrices `[..., n, n]`
 * @param b right-hand sides `[..., n, k]` (`[..., k, n]` with `left: false`)
 * @param options which triangle, the side, a unit diagonal
 * @returns `X`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = linalg.solveTriangular(tensor([[1, 0], [1, 2]]), tensor([[1], [5]]), { upper: false });
 * assertEquals(x.toArray(), [[1], [2]]);
 * ```
 */
export function solveTriangular(a: Tensor, b: Tensor, options: SolveTriangularOptions): Tensor {
  const op = "linalg.solveTriangular";
  if (typeof options?.upper !== "boolean") {
    throw new TypeError(
      `${op}() expected options.upper to be a boolean: found ${options?.upper}: ` +
        "say which triangle of A to read ({ upper: true } or { upper: false })",
    );
  }
  const A = squareInput(op, a);
  const B = floatInput(op, b, 1);
  const left = options.left ?? true;
  const unit = options.unitriangular ?? false;
  const n = A.shape[A.ndim - 1];
  const want = left ? B.shape[B.ndim - 2] : B.shape[B.ndim - 1];
  if (want !== n) {
    throw new RangeError(
      `${op}() expected B ${left ? "with n rows" : "with n columns (left: false)"} for A ` +
        `${fmtShape(A.shape)}: found B ${fmtShape(B.shape)} (${want} ≠ ${n})`,
    );
  }
  const [Ab, Bb] = batchPair(op, A, B);
  if (left) return triangularBatched(Ab, Bb, options.upper, unit);
  // X·A = B  ⇔  Aᵀ·Xᵀ = Bᵀ
  return mT(triangularBatched(mT(Ab), mT(Bb), !options.upper, unit));
}

function triangularBatched(A: Tensor, B: Tensor, upper: boolean, unit: boolean): Tensor {
  const caller = "linalg.solveTriangular";
  return hostOp("solveTriangular", [A, B], { caller, upper, unit }, (X, gX) => {
    const gB = triangularBatched(mT(A), gX, !upper, unit);
    // only the triangle read gets a gradient (without its diagonal when unit)
    const gA = gB.matmul(mT(X)).neg();
    return [upper ? triu(gA, unit ? 1 : 0) : tril(gA, unit ? -1 : 0), gB];
  });
}

/**
 * The inverse of square matrices (torch.linalg.inv), by LU: `solve(A, I)`. A singular matrix
 * throws when the value is computed, naming the batch element.
 * @param a square matrices `[..., n, n]`
 * @returns `A⁻¹`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.inv(tensor([[2, 0], [0, 4]])).toArray(), [[0.5, 0], [0, 0.25]]);
 * ```
 */
export function inv(a: Tensor): Tensor {
  const A = squareInput("linalg.inv", a);
  const n = A.shape[A.ndim - 1];
  const I = eye(n, n, { dtype: A.dtype, device: A.device }).broadcastTo(A.shape);
  return solveBatched(A, I, "linalg.inv");
}

/**
 * The determinant (torch.linalg.det), the product of the LU factorization's pivots. Its
 * gradient is the cofactor matrix `det·A⁻ᵀ`, which stays defined at singular matrices: there
 * it is computed from the SVD, as PyTorch does (nonzero at rank n − 1, zero below). The second
 * derivative needs an invertible matrix (it throws at a singular one).
 * @param a square matrices `[..., n, n]`
 * @returns the determinants `[...]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(linalg.det(tensor([[1, 2], [3, 4]])).item(), -2, 1e-6);
 * ```
 */
export function det(a: Tensor): Tensor {
  const A = squareInput("linalg.det", a);
  return hostOp("det", [A], { caller: "linalg.det" }, (_, g) => [
    cofactor(A).mul(g.unsqueeze(-1).unsqueeze(-1)),
  ]);
}

/** The cofactor matrix `C = det(A)·A⁻ᵀ` (defined at singular `A`), differentiable where `A` is invertible. */
function cofactor(A: Tensor): Tensor {
  return hostOp("cofactor", [A], { caller: "linalg.det" }, (C, G) => {
    // dC = tr(A⁻¹dA)·C − C·dAᵀ·A⁻ᵀ, so gA = <G, C>·A⁻ᵀ − C·Gᵀ·A⁻ᵀ
    const invT = mT(inv(A));
    const inner = G.mul(C).sum([-2, -1], true);
    return [invT.mul(inner).sub(C.matmul(mT(G)).matmul(invT))];
  });
}

/**
 * The sign and the log of the absolute value of the determinant (torch.linalg.slogdet), stable
 * where `det` overflows. A singular matrix gives sign 0 and log -Infinity.
 * @param a square matrices `[..., n, n]`
 * @returns `[sign, logAbsDet]`, each `[...]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const [sign, logAbs] = linalg.slogdet(tensor([[1, 2], [3, 4]]));
 * assertAlmostEquals(sign.item(), -1);
 * assertAlmostEquals(logAbs.item(), Math.log(2), 1e-6);
 * ```
 */
export function slogdet(a: Tensor): [Tensor, Tensor] {
  const A = squareInput("linalg.slogdet", a);
  const both = hostOp("slogdet", [A], { caller: "linalg.slogdet" }, (_, g) => {
    const gLog = g.select(-1, 1);
    return [mT(inv(A)).mul(gLog.unsqueeze(-1).unsqueeze(-1))];
  });
  return [both.select(-1, 0), both.select(-1, 1)];
}

/**
 * The lower Cholesky factor `L` of symmetric positive-definite matrices, `A = L·Lᵀ`
 * (torch.linalg.cholesky; only the lower triangle of `A` is read). A matrix that is not
 * positive-definite throws when the value is computed, naming the failing pivot.
 * @param a symmetric positive-definite matrices `[..., n, n]`
 * @returns `L`, lower triangular
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(linalg.cholesky(tensor([[4, 2], [2, 2]])).toArray(), [[2, 0], [1, 1]]);
 * ```
 */
export function cholesky(a: Tensor): Tensor {
  const A = squareInput("linalg.cholesky", a);
  return hostOp("cholesky", [A], { caller: "linalg.cholesky" }, (L, gL) => {
    // PyTorch's rule: P = tril(Lᵀ gL), S = (P + tril(P, -1)ᵀ) / 2, gA = L⁻ᵀ S L⁻¹
    const P = tril(mT(L).matmul(gL));
    const S = P.add(mT(tril(P, -1))).mul(0.5);
    const Y = solveTriangular(mT(L), S, { upper: true });
    return [solveTriangular(L, Y, { upper: false, left: false })];
  });
}
