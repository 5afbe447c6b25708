/**
 * `C −= A·B` on row-major float64 sub-matrices (offset and row stride each), the update step of
 * the blocked factorizations in `_lapack.ts`: a 4×4 register tile (16 accumulators, 8 loads per
 * 16 multiply-adds) with scalar edges. About 3–6× the plain triple loop in V8.
 * @module
 */

/** A row-major sub-matrix: the array, the offset of element (0, 0) and the row stride. */
export interface Strided {
  readonly a: Float64Array;
  readonly at: number;
  readonly ld: number;
}

/** `C[m×n] −= A[m×k]·B[k×n]`. */
export function gemmSub(m: number, n: number, k: number, A: Strided, B: Strided, C: Strided): void {
  const { a, at: ao, ld: lda } = A;
  const { a: b, at: bo, ld: ldb } = B;
  const { a: c, at: co, ld: ldc } = C;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = ao + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, q = bo + j; p < k; p++, q += ldb) {
        const b0 = b[q], b1 = b[q + 1], b2 = b[q + 2], b3 = b[q + 3];
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        c00 += x0 * b0, c01 += x0 * b1, c02 += x0 * b2, c03 += x0 * b3;
        c10 += x1 * b0, c11 += x1 * b1, c12 += x1 * b2, c13 += x1 * b3;
        c20 += x2 * b0, c21 += x2 * b1, c22 += x2 * b2, c23 += x2 * b3;
        c30 += x3 * b0, c31 += x3 * b1, c32 += x3 * b2, c33 += x3 * b3;
      }
      const r = co + i * ldc + j;
      c[r] -= c00, c[r + 1] -= c01, c[r + 2] -= c02, c[r + 3] -= c03;
      const r1 = r + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
      c[r1] -= c10, c[r1 + 1] -= c11, c[r1 + 2] -= c12, c[r1 + 3] -= c13;
      c[r2] -= c20, c[r2 + 1] -= c21, c[r2 + 2] -= c22, c[r2 + 3] -= c23;
      c[r3] -= c30, c[r3 + 1] -= c31, c[r3 + 2] -= c32, c[r3 + 3] -= c33;
    }
  }
  // the edges: rows m4… for every column, then columns n4… of the first m4 rows
  edge(m4, m, 0, n, k, A, B, C);
  edge(0, m4, n4, n, k, A, B, C);
}

function edge(
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  k: number,
  A: Strided,
  B: Strided,
  C: Strided,
): void {
  for (let i = i0; i < i1; i++) {
    for (let p = 0; p < k; p++) {
      const x = A.a[A.at + i * A.ld + p];
      if (x === 0) continue;
      const bq = B.at + p * B.ld;
      const cr = C.at + i * C.ld;
      for (let j = j0; j < j1; j++) C.a[cr + j] -= x * B.a[bq + j];
    }
  }
}
