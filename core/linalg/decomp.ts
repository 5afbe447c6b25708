/**
 * Decompositions (torch.linalg): reduced `qr`, `eigh`, `svd` and `svdvals`, float32 and
 * float64, batched over leading axes, with PyTorch's reverse rules. Each runs as one host
 * routine whose outputs are packed in one buffer and read back through views.
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { concat } from "../movement.ts";
import { diagEmbed, floatInput, hostOp, mT, squareInput, tril } from "./_host.ts";
import { solveTriangular } from "./solve.ts";

/** Splits the packed last axis into tensors of the given trailing shapes. */
function unpack(packed: Tensor, shapes: readonly (readonly number[])[]): Tensor[] {
  const lead = packed.shape.slice(0, -1);
  let at = 0;
  return shapes.map((s) => {
    const size = s.reduce((x, y) => x * y, 1);
    const part = packed.slice(...lead.map(() => null), [at, at + size]).reshape(...lead, ...s);
    at += size;
    return part;
  });
}

/**
 * The reduced QR factorization `A = Q·R` (torch.linalg.qr, mode "reduced") by Householder
 * reflections: `Q` has orthonormal columns, `R` is upper triangular, with LAPACK's signs.
 * @param a matrices `[..., m, n]`
 * @returns `[Q, R]`: `[..., m, k]` and `[..., k, n]`, `k = min(m, n)`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const a = tensor([[3, 1], [4, 2]]);
 * const [q, r] = linalg.qr(a);
 * assertAlmostEquals(q.matmul(r).dataSync()[3], 2, 1e-6);
 * ```
 */
export function qr(a: Tensor): [Tensor, Tensor] {
  const A = floatInput("linalg.qr", a);
  const [m, n] = A.shape.slice(-2);
  const k = Math.min(m, n);
  const shapes = [[m, k], [k, n]];
  const packed = hostOp("qr", [A], { caller: "linalg.qr" }, (out, ct) => {
    const [Q, R] = unpack(out, shapes);
    const [gQ, gR] = unpack(ct, shapes);
    return [qrBackward(A, Q, R, gQ, gR)];
  });
  const [Q, R] = unpack(packed, shapes);
  return [Q, R];
}

/** PyTorch's QR rule; a wide `A = [X | Y]` is reduced to the square `X` (torch does the same). */
function qrBackward(A: Tensor, Q: Tensor, R: Tensor, gQ: Tensor, gR: Tensor): Tensor {
  const [m, n] = A.shape.slice(-2);
  if (m < n) {
    const lead = A.shape.slice(0, -2).map(() => null);
    const Y = A.slice(...lead, null, [m, n]);
    const U = R.slice(...lead, null, [0, m]);
    const gV = gR.slice(...lead, null, [m, n]);
    const gX = tallQrBackward(Q, U, gQ.add(Y.matmul(mT(gV))), gR.slice(...lead, null, [0, m]));
    return concat([gX, Q.matmul(gV)], -1);
  }
  return tallQrBackward(Q, R, gQ, gR);
}

/** `m ≥ n`: M = R·gRᵀ − gQᵀ·Q, copied from its lower triangle, gA = (gQ + Q·M)·R⁻ᵀ. */
function tallQrBackward(Q: Tensor, R: Tensor, gQ: Tensor, gR: Tensor): Tensor {
  const M = R.matmul(mT(gR)).sub(mT(gQ).matmul(Q));
  const sym = tril(M).add(mT(tril(M, -1)));
  const rhs = gQ.add(Q.matmul(sym));
  return solveTriangular(mT(R), rhs, { upper: false, left: false });
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices
 * (torch.linalg.eigh; only the lower triangle is read): `A = V·diag(L)·Vᵀ`. The gradient
 * divides by eigenvalue gaps, as PyTorch's: with repeated eigenvalues it is not finite unless
 * the loss depends on the eigenvectors only through their span.
 * @param a symmetric matrices `[..., n, n]`
 * @returns `[L, V]`: eigenvalues `[..., n]` and eigenvectors as columns `[..., n, n]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const [values] = linalg.eigh(tensor([[2, 1], [1, 2]]));
 * assertAlmostEquals(values.dataSync()[0], 1, 1e-6);
 * assertAlmostEquals(values.dataSync()[1], 3, 1e-6);
 * ```
 */
export function eigh(a: Tensor): [Tensor, Tensor] {
  const A = squareInput("linalg.eigh", a);
  const n = A.shape[A.ndim - 1];
  const shapes = [[n], [n, n]];
  const packed = hostOp("eigh", [A], { caller: "linalg.eigh" }, (out, ct) => {
    const [L, V] = unpack(out, shapes);
    const [gL, gV] = unpack(ct, shapes);
    // gA = V·(skew(VᵀgV)/E + diag(gL))·Vᵀ, E[i, j] = L[j] − L[i] (PyTorch's rule)
    const VtgV = mT(V).matmul(gV);
    const skew = VtgV.sub(mT(VtgV)).mul(0.5);
    const E = L.unsqueeze(-2).sub(L.unsqueeze(-1)).add(diagEmbed(L.mul(0).add(1)));
    const inner = skew.div(E).add(diagEmbed(gL));
    return [V.matmul(inner).matmul(mT(V))];
  });
  const [L, V] = unpack(packed, shapes);
  return [L, V];
}

/**
 * The thin singular value decomposition `A = U·diag(S)·Vh` (torch.linalg.svd with
 * `full_matrices=False`) by one-sided Jacobi rotations, singular values descending. Singular
 * vectors are defined up to sign (PyTorch's may differ): losses should not depend on the signs.
 * The gradient follows PyTorch's rule (not finite for repeated singular values unless the loss
 * depends only on `S` or on the spans).
 * @param a matrices `[..., m, n]`
 * @returns `[U, S, Vh]`: `[..., m, k]`, `[..., k]`, `[..., k, n]`, `k = min(m, n)`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const [, s] = linalg.svd(tensor([[3, 0], [0, -4]]));
 * assertAlmostEquals(s.dataSync()[0], 4, 1e-6);
 * ```
 */
export function svd(a: Tensor): [Tensor, Tensor, Tensor] {
  const A = floatInput("linalg.svd", a);
  const [m, n] = A.shape.slice(-2);
  const k = Math.min(m, n);
  const shapes = [[m, k], [k], [k, n]];
  const packed = hostOp("svd", [A], { caller: "linalg.svd" }, (out, ct) => {
    const [U, S, Vh] = unpack(out, shapes);
    const [gU, gS, gVh] = unpack(ct, shapes);
    return [svdBackward(m, n, U, S, Vh, gU, gS, gVh)];
  });
  const [U, S, Vh] = unpack(packed, shapes);
  return [U, S, Vh];
}

/** PyTorch's SVD rule (linalg_svd_backward, full_matrices=False). */
function svdBackward(
  m: number,
  n: number,
  U: Tensor,
  S: Tensor,
  Vh: Tensor,
  gU: Tensor,
  gS: Tensor,
  gVh: Tensor,
): Tensor {
  const V = mT(Vh);
  const gV = mT(gVh);
  const skew = (x: Tensor) => x.sub(mT(x));
  const S2 = S.mul(S);
  const E = S2.unsqueeze(-2).sub(S2.unsqueeze(-1)).add(diagEmbed(S.mul(0).add(1)));
  const UhgU = skew(mT(U).matmul(gU));
  const VhgV = skew(mT(V).matmul(gV));
  let gA = UhgU.div(E).mul(S.unsqueeze(-2))
    .add(S.unsqueeze(-1).mul(VhgV.div(E)))
    .add(diagEmbed(gS));
  const k = Math.min(m, n);
  if (m > k) {
    // gA = [U·gA + (I − U·Uᵀ)·gU·S⁻¹]·Vh
    const gUSinv = gU.div(S.unsqueeze(-2));
    gA = U.matmul(gA).add(gUSinv).sub(U.matmul(mT(U).matmul(gUSinv))).matmul(Vh);
  } else if (n > k) {
    // gA = U·[gA·Vh + S⁻¹·gVᵀ·(I − V·Vh)]
    const gVSinv = gV.div(S.unsqueeze(-2));
    gA = U.matmul(gA.matmul(Vh).add(mT(gVSinv)).sub(mT(gVSinv).matmul(V).matmul(Vh)));
  } else {
    gA = U.matmul(gA).matmul(Vh);
  }
  return gA;
}

/**
 * The singular values, descending (torch.linalg.svdvals). Their gradient `U·diag(gS)·Vh` is
 * defined everywhere the values are distinct, and needs no sign convention.
 * @param a matrices `[..., m, n]`
 * @returns `[..., min(m, n)]`
 * @example
 * ```ts
 * import { linalg, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * assertAlmostEquals(linalg.svdvals(tensor([[0, 2], [1, 0]])).dataSync()[0], 2, 1e-6);
 * ```
 */
export function svdvals(a: Tensor): Tensor {
  const A = floatInput("linalg.svdvals", a);
  return hostOp("svdvals", [A], { caller: "linalg.svdvals" }, (_, gS) => {
    const [U, , Vh] = svd(A);
    return [U.mul(gS.unsqueeze(-2)).matmul(Vh)];
  });
}
