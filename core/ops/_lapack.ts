/**
 * Dense matrix routines on one row-major float64 matrix, for the `linalg` primitive's host form:
 * pivoted LU, triangular solves, Cholesky, Householder QR and the one-sided Jacobi SVD (the
 * symmetric eigensolver is in `_eigen.ts`). Chosen for accuracy first; every routine works in
 * float64 whatever the tensor's dtype. LU, the triangular solves, Cholesky and QR are blocked
 * (panels of NB columns) so that most of their work is `gemmSub`; the SVD starts from the
 * eigenvectors of the Gram matrix (blocked `eigh`), leaving the Jacobi sweeps little to do.
 * @module
 */
import { gemmSub } from "./_gemm.ts";
import { applyBlock, type Block, makeBlock } from "./_householder.ts";
import { symmetricEigen } from "./_eigen.ts";

/**
 * The LU factorization `P·A = L·U` in place, blocked (LAPACK's dgetrf): each panel of NB
 * columns is factored by rows swaps and rank-1 updates, then the rows right of it get
 * `U12 = L11⁻¹·A12` and the trailing matrix `A22 −= L21·U12` (the register-tiled `gemmSub`).
 * Returns the pivot rows, the permutation's sign and the first zero pivot (-1: none).
 */
export function luInPlace(
  a: Float64Array,
  n: number,
): { piv: Int32Array; sign: number; zero: number } {
  const piv = new Int32Array(n);
  let sign = 1;
  let zero = -1;
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(n, k0 + NB);
    for (let k = k0; k < k1; k++) {
      let p = k;
      let best = Math.abs(a[k * n + k]);
      for (let i = k + 1; i < n; i++) {
        const v = Math.abs(a[i * n + k]);
        if (v > best) best = v, p = i;
      }
      piv[k] = p;
      if (p !== k) {
        sign = -sign;
        for (let j = 0; j < n; j++) {
          const t = a[k * n + j];
          a[k * n + j] = a[p * n + j];
          a[p * n + j] = t;
        }
      }
      const d = a[k * n + k];
      if (d === 0) {
        if (zero < 0) zero = k;
        continue;
      }
      for (let i = k + 1; i < n; i++) {
        const f = (a[i * n + k] /= d);
        if (f === 0) continue;
        for (let j = k + 1; j < k1; j++) a[i * n + j] -= f * a[k * n + j];
      }
    }
    // U12 = L11⁻¹·A12 (unit lower), then A22 −= L21·U12
    for (let k = k0; k < k1; k++) {
      for (let i = k + 1; i < k1; i++) {
        const f = a[i * n + k];
        if (f !== 0) { for (let j = k1; j < n; j++) a[i * n + j] -= f * a[k * n + j]; }
      }
    }
    const m = n - k1;
    if (m > 0) {
      gemmSub(m, m, k1 - k0, { a, at: k1 * n + k0, ld: n }, { a, at: k0 * n + k1, ld: n }, {
        a,
        at: k1 * n + k1,
        ld: n,
      });
    }
  }
  return { piv, sign, zero };
}

/** The panel width of the blocked factorizations. */
const NB = 32;

/** Solves `L·U·X = P·B` for `B` (`n × k`, row-major) in place, from `luInPlace`'s factors. */
export function luSolveInPlace(
  lu: Float64Array,
  piv: Int32Array,
  n: number,
  b: Float64Array,
  k: number,
): void {
  for (let i = 0; i < n; i++) {
    const p = piv[i];
    if (p !== i) {
      for (let c = 0; c < k; c++) {
        const t = b[i * k + c];
        b[i * k + c] = b[p * k + c];
        b[p * k + c] = t;
      }
    }
  }
  triangularSolveInPlace(lu, n, b, k, false, true);
  triangularSolveInPlace(lu, n, b, k, true, false);
}

/**
 * Solves `T·X = B` in place for the upper or lower triangle `T` of `a` (unit diagonal if `unit`),
 * by blocks of NB rows: the solved rows' contribution is one `gemmSub`, then a substitution.
 */
export function triangularSolveInPlace(
  a: Float64Array,
  n: number,
  b: Float64Array,
  k: number,
  upper: boolean,
  unit: boolean,
): void {
  for (let s0 = 0; s0 < n; s0 += NB) {
    const s1 = Math.min(n, s0 + NB);
    const [i0, i1] = upper ? [n - s1, n - s0] : [s0, s1];
    const [c0, c1] = upper ? [i1, n] : [0, i0];
    if (c1 > c0) {
      const T = { a, at: i0 * n + c0, ld: n };
      gemmSub(i1 - i0, k, c1 - c0, T, { a: b, at: c0 * k, ld: k }, { a: b, at: i0 * k, ld: k });
    }
    for (let t = 0; t < i1 - i0; t++) {
      const i = upper ? i1 - 1 - t : i0 + t;
      const from = upper ? i + 1 : i0;
      const to = upper ? i1 : i;
      for (let j = from; j < to; j++) {
        const f = a[i * n + j];
        if (f === 0) continue;
        for (let c = 0; c < k; c++) b[i * k + c] -= f * b[j * k + c];
      }
      if (!unit) {
        const d = a[i * n + i];
        for (let c = 0; c < k; c++) b[i * k + c] /= d;
      }
    }
  }
}

/**
 * The lower Cholesky factor of `a` (its lower triangle is read), written to `l`; returns the
 * first column whose pivot is not positive (-1: positive-definite). Blocked, right-looking
 * (LAPACK's dpotrf): each panel of NB columns is factored in place (its diagonal block by the
 * plain algorithm, the rows below by `L21 = A21·L11⁻ᵀ`), then the trailing lower triangle gets
 * `A22 −= L21·L21ᵀ` by row blocks of NB through `gemmSub` (a SYRK: only the blocks on or below
 * the diagonal are computed).
 */
export function cholesky(a: Float64Array, n: number, l: Float64Array): number {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) l[i * n + j] = j <= i ? a[i * n + j] : 0;
  }
  const w = new Float64Array(NB * n); // L21ᵀ, NB × (n − k1) row-major
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(n, k0 + NB);
    for (let j = k0; j < k1; j++) {
      const rj = j * n;
      let d = l[rj + j];
      for (let k = k0; k < j; k++) d -= l[rj + k] * l[rj + k];
      if (!(d > 0)) return j;
      const r = Math.sqrt(d);
      l[rj + j] = r;
      for (let i = j + 1; i < n; i++) {
        const ri = i * n;
        let s = l[ri + j];
        for (let k = k0; k < j; k++) s -= l[ri + k] * l[rj + k];
        l[ri + j] = s / r;
      }
    }
    const m = n - k1;
    if (m === 0) break;
    const nb = k1 - k0;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < nb; p++) w[p * m + i] = l[(k1 + i) * n + k0 + p];
    }
    // row block [i0, i1) of A22 needs columns k1 … i1 only (the rest is above the diagonal)
    for (let i0 = k1; i0 < n; i0 += NB) {
      const i1 = Math.min(n, i0 + NB);
      const L21 = { a: l, at: i0 * n + k0, ld: n };
      gemmSub(i1 - i0, i1 - k1, nb, L21, { a: w, at: 0, ld: m }, { a: l, at: i0 * n + k1, ld: n });
    }
  }
  // the row-block updates wrote above the diagonal inside the diagonal blocks
  for (let i = 0; i < n; i++) l.fill(0, i * n + i + 1, (i + 1) * n);
  return -1;
}

/**
 * The reduced QR factorization of `a` (`m × n`, consumed) by Householder reflections with
 * LAPACK's sign convention (`R[j,j] = -sign(a_jj)·‖a_j‖`), blocked (dgeqrf/dorgqr): each panel
 * of NB columns is reduced by single reflections, then applied to the columns right of it as
 * one compact WY block. `q` gets `m × k` and `r` `k × n`, `k = min(m, n)`.
 */
export function householderQr(
  a: Float64Array,
  m: number,
  n: number,
  q: Float64Array,
  r: Float64Array,
): void {
  const k = Math.min(m, n);
  const taus = new Float64Array(k);
  const w = new Float64Array(Math.max(n, k));
  const blocks: Block[] = [];
  for (let j0 = 0; j0 < k; j0 += NB) {
    const j1 = Math.min(k, j0 + NB);
    const rows = m - j0;
    const vt = new Float64Array((j1 - j0) * rows);
    for (let j = j0; j < j1; j++) {
      const v = vt.subarray((j - j0) * rows + (j - j0), (j - j0 + 1) * rows);
      const alpha = a[j * n + j];
      let rest = 0;
      for (let i = j + 1; i < m; i++) rest = Math.hypot(rest, a[i * n + j]);
      v[0] = 1;
      if (rest === 0) continue; // H = I, as LAPACK (tau = 0)
      const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, rest);
      taus[j] = (beta - alpha) / beta;
      for (let i = j + 1; i < m; i++) v[i - j] = a[i * n + j] / (alpha - beta);
      a[j * n + j] = beta;
      for (let i = j + 1; i < m; i++) a[i * n + j] = 0;
      reflect(a, n, j, j + 1, j1, v, taus[j], w);
    }
    const block = makeBlock(vt, taus.subarray(j0), j1 - j0, rows);
    blocks.push(block);
    if (j1 < n) applyBlock(block, { a, at: j0 * n + j1, ld: n }, n - j1, true);
  }
  for (let i = 0; i < k; i++) {
    for (let c = 0; c < n; c++) r[i * n + c] = c >= i ? a[i * n + c] : 0;
  }
  q.fill(0);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  // Q = H_0⋯H_{k−1}·I, the last block first (columns left of a block are still zero there)
  for (let b = blocks.length - 1; b >= 0; b--) {
    const j0 = b * NB;
    applyBlock(blocks[b], { a: q, at: j0 * k + j0, ld: k }, k - j0, false);
  }
}

/** Applies `I - tau·v·vᵀ` to rows `row0…` and columns `[c0, c1)` of a row-major matrix of width `cols`. */
function reflect(
  x: Float64Array,
  cols: number,
  row0: number,
  c0: number,
  c1: number,
  v: Float64Array,
  tau: number,
  w: Float64Array,
): void {
  for (let c = c0; c < c1; c++) w[c] = 0;
  for (let i = 0; i < v.length; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    const o = (row0 + i) * cols;
    for (let c = c0; c < c1; c++) w[c] += vi * x[o + c];
  }
  for (let i = 0; i < v.length; i++) {
    const f = tau * v[i];
    if (f === 0) continue;
    const o = (row0 + i) * cols;
    for (let c = c0; c < c1; c++) x[o + c] -= f * w[c];
  }
}

/**
 * The thin SVD `A = U·diag(s)·Vᵀ` of `a` (`m × n`, row-major) by one-sided Jacobi rotations
 * (Hestenes), singular values descending: `u` gets `m × k`, `s` `k`, `vt` `k × n`,
 * `k = min(m, n)`. Wide inputs are transposed first.
 */
export function jacobiSvd(
  a: Float64Array,
  m: number,
  n: number,
  u: Float64Array,
  s: Float64Array,
  vt: Float64Array,
): void {
  const wide = m < n;
  const [rows, cols] = wide ? [n, m] : [m, n]; // work on a tall matrix: columns `cols`
  // column j of the tall matrix, contiguous: g[j*rows + i]
  const g = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (wide) g[i * n + j] = a[i * n + j];
      else g[j * m + i] = a[i * n + j];
    }
  }
  const w = precondition(g, rows, cols); // right vectors, column j contiguous
  const norms = new Float64Array(cols);
  // converged below sqrt(rows)·ε relative (LAPACK dgesvj): below it the rotations chase rounding
  const eps = Math.sqrt(rows) * 2 ** -53;
  let gram: Float64Array = new Float64Array(0);
  const dirty = new Uint8Array(cols);
  for (let sweep = 0; sweep < 60; sweep++) {
    // the Gram matrix (one GEMM, or the rows of the columns rotated last sweep): its entries
    // hold until a rotation touches a column (`dirty`); the squared norms are updated in closed
    // form by each rotation
    const changed = [...dirty.keys()].filter((j) => dirty[j]);
    if (sweep === 0 || changed.length > cols / 2) gram = negativeGram(g, rows, cols);
    else {
      for (const j of changed) {
        for (let q = 0; q < cols; q++) {
          gram[j * cols + q] = gram[q * cols + j] = -dotAt(g, j * rows, q * rows, rows);
        }
      }
    }
    dirty.fill(0);
    for (let j = 0; j < cols; j++) norms[j] = -gram[j * cols + j];
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        const alpha = norms[p];
        const beta = norms[q];
        const gamma = dirty[p] || dirty[q]
          ? dotAt(g, p * rows, q * rows, rows)
          : -gram[p * cols + q];
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        dirty[p] = dirty[q] = 1;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = c * t;
        rotate(g, p * rows, q * rows, rows, c, sn);
        rotate(w, p * cols, q * cols, cols, c, sn);
        norms[p] = alpha - t * gamma;
        norms[q] = beta + t * gamma;
      }
    }
    if (!rotated) break;
  }
  const order = [...norms.keys()].sort((x, y) => norms[y] - norms[x]);
  const k = cols;
  const sigmas = order.map((j) => Math.sqrt(dotAt(g, j * rows, j * rows, rows)));
  // below rounding level (eps·‖A‖), g_j/σ_j is noise: such left vectors complete the basis
  const tiny = Math.max(0, ...sigmas) * rows * 2 ** -52;
  order.forEach((j, r) => {
    const sigma = sigmas[r];
    s[r] = sigma;
    // left vector r: g_j / sigma (rows), right vector r: w_j (cols)
    for (let i = 0; i < rows; i++) {
      const val = sigma <= tiny ? (i === r ? 1 : 0) : g[j * rows + i] / sigma;
      if (wide) vt[r * n + i] = val;
      else u[i * k + r] = val;
    }
    for (let i = 0; i < cols; i++) {
      const val = w[j * cols + i];
      if (wide) u[i * k + r] = val;
      else vt[r * n + i] = val;
    }
  });
  if (s.some((x) => x <= tiny)) completeBasis(wide ? vt : u, wide, rows, k, s, tiny);
}

/**
 * Rotates the columns `g` (`cols × rows`, row j = column j) by the eigenvectors `E` of their
 * Gram matrix, so they start nearly orthogonal and the Jacobi sweeps (which keep the accuracy)
 * have little left to do: `g ← −Eᵀ·g`; returns the matching right vectors `−Eᵀ`.
 */
function precondition(g: Float64Array, rows: number, cols: number): Float64Array {
  const gram = negativeGram(g, rows, cols); // its eigenvectors are those of g·gᵀ
  const e = new Float64Array(cols * cols);
  symmetricEigen(gram, cols, new Float64Array(cols), e);
  const et = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) et[j * cols + i] = e[i * cols + j];
  const rotated = new Float64Array(rows * cols);
  gemmSub(cols, rows, cols, { a: et, at: 0, ld: cols }, { a: g, at: 0, ld: rows }, {
    a: rotated,
    at: 0,
    ld: rows,
  });
  g.set(rotated);
  for (let i = 0; i < et.length; i++) et[i] = -et[i];
  return et;
}

/** `−g·gᵀ` for the columns `g` (`cols × rows`, row j = column j), by `gemmSub`. */
function negativeGram(g: Float64Array, rows: number, cols: number): Float64Array {
  const gt = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) gt[i * cols + j] = g[j * rows + i];
  const gram = new Float64Array(cols * cols);
  const out = { a: gram, at: 0, ld: cols };
  gemmSub(cols, cols, rows, { a: g, at: 0, ld: rows }, { a: gt, at: 0, ld: cols }, out);
  return gram;
}

function dotAt(x: Float64Array, i: number, j: number, len: number): number {
  let acc = 0;
  for (let t = 0; t < len; t++) acc += x[i + t] * x[j + t];
  return acc;
}

function rotate(x: Float64Array, i: number, j: number, len: number, c: number, s: number): void {
  for (let t = 0; t < len; t++) {
    const a = x[i + t];
    const b = x[j + t];
    x[i + t] = c * a - s * b;
    x[j + t] = s * a + c * b;
  }
}

/**
 * Replaces the singular vectors of negligible singular values (set to unit vectors above) by an
 * orthonormal completion of the others (Gram–Schmidt against the kept ones, twice).
 */
function completeBasis(
  x: Float64Array,
  rowsAreVectors: boolean,
  len: number,
  k: number,
  s: Float64Array,
  tiny: number,
): void {
  const get = (r: number, i: number) => rowsAreVectors ? x[r * len + i] : x[i * k + r];
  const set = (r: number, i: number, v: number) => {
    if (rowsAreVectors) x[r * len + i] = v;
    else x[i * k + r] = v;
  };
  for (let r = 0; r < k; r++) {
    if (s[r] > tiny) continue;
    for (let start = 0; start < len; start++) {
      const v = new Float64Array(len);
      v[(r + start) % len] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let o = 0; o < r; o++) {
          let dot = 0;
          for (let i = 0; i < len; i++) dot += get(o, i) * v[i];
          for (let i = 0; i < len; i++) v[i] -= dot * get(o, i);
        }
      }
      const norm = Math.sqrt(v.reduce((acc, t) => acc + t * t, 0));
      if (norm < 0.5) continue;
      for (let i = 0; i < len; i++) set(r, i, v[i] / norm);
      break;
    }
  }
}
