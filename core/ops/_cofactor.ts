/**
 * The cofactor matrix `det(A)·A⁻ᵀ` (the transposed adjugate), the gradient of `det`, for the
 * `linalg` primitive's host form. It is defined at singular matrices too: where the LU
 * factorization meets a zero pivot it is computed from the SVD `A = U·diag(s)·Vᵀ` as
 * `det(U)·det(V)·U·diag(∏_{j≠i} s_j)·Vᵀ` (PyTorch's fallback), which is nonzero at rank n − 1
 * and zero at lower ranks.
 * @module
 */
import { jacobiSvd, luInPlace, luSolveInPlace } from "./_lapack.ts";

/** The determinant of `a` (`n × n`, consumed) by LU. */
function detInPlace(a: Float64Array, n: number): number {
  const { sign } = luInPlace(a, n);
  let det = sign;
  for (let i = 0; i < n; i++) det *= a[i * n + i];
  return det;
}

/** The cofactor matrix of `a` (`n × n`, row-major, consumed). */
export function cofactor(a: Float64Array, n: number): Float64Array {
  const lu = a.slice();
  const { piv, sign, zero } = luInPlace(lu, n);
  const out = new Float64Array(n * n);
  if (zero < 0) {
    let det = sign;
    for (let i = 0; i < n; i++) det *= lu[i * n + i];
    const inv = new Float64Array(n * n);
    for (let i = 0; i < n; i++) inv[i * n + i] = 1;
    luSolveInPlace(lu, piv, n, inv, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) out[i * n + j] = det * inv[j * n + i];
    }
    return out;
  }
  const u = new Float64Array(n * n);
  const s = new Float64Array(n);
  const vt = new Float64Array(n * n);
  jacobiSvd(a, n, n, u, s, vt);
  const signs = detInPlace(u.slice(), n) * detInPlace(vt.slice(), n);
  // p_i = ∏_{j≠i} s_j, without dividing (s has zeros here)
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let prod = signs;
    for (let j = 0; j < n; j++) if (j !== i) prod *= s[j];
    p[i] = prod;
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const f = u[i * n + k] * p[k];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += f * vt[k * n + j];
    }
  }
  return out;
}
