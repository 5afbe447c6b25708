/**
 * The symmetric eigensolver for the `linalg` primitive's host form: Householder reduction to
 * tridiagonal form on the lower triangle, row by row (LAPACK's dsytd2 order, 4n³/3 flops), the
 * implicit QL algorithm on the tridiagonal (EISPACK's tql2, as in JAMA) with its eigenvectors,
 * and the back-transformation by blocks of reflectors in compact WY form (`_householder.ts`).
 * @module
 */
import { applyBlock, makeBlock } from "./_householder.ts";

/**
 * Eigenvalues (ascending, into `d`) and orthonormal eigenvectors (the columns of `v`, `n × n`)
 * of the symmetric matrix whose lower triangle is that of `a` (consumed).
 */
export function symmetricEigen(a: Float64Array, n: number, d: Float64Array, v: Float64Array): void {
  const e = new Float64Array(n);
  const { vs, taus } = tridiagonalize(a, n, d, e);
  // the QL sweeps rotate pairs of eigenvectors: keep each one contiguous (a row) meanwhile
  const rowsOf = new Float64Array(n * n);
  for (let i = 0; i < n; i++) rowsOf[i * n + i] = 1;
  tridiagonalQl(rowsOf, n, d, e);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) v[k * n + i] = rowsOf[i * n + k];
  // v ← H_0·H_1⋯H_{n−3}·v, the last block first
  const NB = 32;
  for (let b0 = Math.floor((vs.length - 1) / NB) * NB; b0 >= 0; b0 -= NB) {
    const b = Math.min(NB, vs.length - b0);
    const rows = n - b0 - 1;
    const vt = new Float64Array(b * rows);
    for (let j = 0; j < b; j++) vt.set(vs[b0 + j], j * rows + j);
    applyBlock(
      makeBlock(vt, taus.subarray(b0), b, rows),
      { a: v, at: (b0 + 1) * n, ld: n },
      n,
      false,
    );
  }
}

/**
 * Householder reduction of the symmetric `n × n` matrix `a` (row-major; consumed) to the
 * tridiagonal `(d, e)` (`e[i]` = T[i, i−1]), reading and updating the lower triangle only; the
 * reflectors `v_k` (on rows k+1…, leading 1) are returned for the back-transformation.
 */
function tridiagonalize(
  a: Float64Array,
  n: number,
  d: Float64Array,
  e: Float64Array,
): { vs: Float64Array[]; taus: Float64Array } {
  const vs: Float64Array[] = [];
  const taus = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const k1 = k + 1;
    const m = n - k1;
    d[k] = a[k * n + k];
    let rest = 0;
    for (let i = k1 + 1; i < n; i++) rest = Math.hypot(rest, a[i * n + k]);
    const x0 = a[k1 * n + k];
    const v = new Float64Array(m);
    v[0] = 1;
    vs.push(v);
    if (rest === 0) {
      e[k1] = x0;
      continue;
    }
    const alpha = -(x0 >= 0 ? 1 : -1) * Math.hypot(x0, rest);
    const tau = (alpha - x0) / alpha;
    taus[k] = tau;
    for (let i = 1; i < m; i++) v[i] = a[(k1 + i) * n + k] / (x0 - alpha);
    e[k1] = alpha;
    // p = tau·A22·v from the lower triangle
    p.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const r = (k1 + i) * n + k1;
      const vi = v[i];
      let acc = a[r + i] * vi;
      for (let j = 0; j < i; j++) {
        const aij = a[r + j];
        acc += aij * v[j];
        p[j] += aij * vi;
      }
      p[i] += acc;
    }
    let pv = 0;
    for (let i = 0; i < m; i++) pv += (p[i] *= tau) * v[i];
    // w = p − (tau/2)(pᵀv)·v; A22 −= v·wᵀ + w·vᵀ (lower triangle)
    const h = (tau / 2) * pv;
    for (let i = 0; i < m; i++) p[i] -= h * v[i];
    for (let i = 0; i < m; i++) {
      const r = (k1 + i) * n + k1;
      const vi = v[i];
      const wi = p[i];
      for (let j = 0; j <= i; j++) a[r + j] -= vi * p[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 1] = a[(n - 1) * n + n - 2];
  }
  d[n - 1] = a[(n - 1) * n + n - 1];
  e[0] = 0;
  return { vs, taus };
}

/** The implicit QL iterations on the tridiagonal `(d, e)`; `W` holds the eigenvectors as rows. */
function tridiagonalQl(W: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      for (let iter = 0; iter < 100 * n; iter++) {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const r0 = i * n;
          const r1 = r0 + n;
          for (let k = 0; k < n; k++) {
            h = W[r1 + k];
            W[r1 + k] = s * W[r0 + k] + c * h;
            W[r0 + k] = c * W[r0 + k] - s * h;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) if (d[j] < p) k = j, p = d[j];
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = W[i * n + j];
        W[i * n + j] = W[k * n + j];
        W[k * n + j] = t;
      }
    }
  }
}
