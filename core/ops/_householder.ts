/**
 * Blocks of Householder reflectors in compact WY form (LAPACK's dlarft/dlarfb): the product
 * `H_0·H_1⋯H_{b−1}` of `H_j = I − τ_j·v_j·v_jᵀ` is `I − V·T·Vᵀ` with `T` upper triangular, so a
 * block is applied to a matrix by three products through `gemmSub` instead of `b` rank-1 passes.
 * @module
 */
import { gemmSub, type Strided } from "./_gemm.ts";

/** A block of `b` reflectors on `rows` rows: `V` as rows (`vt`, `b × rows`) and as columns (`v`). */
export interface Block {
  readonly b: number;
  readonly rows: number;
  readonly vt: Float64Array;
  readonly v: Float64Array;
  readonly t: Float64Array;
}

/** The compact WY block of reflectors `vt` (`b × rows`, row j = v_j, zeros before its 1) and `taus`. */
export function makeBlock(
  vt: Float64Array,
  taus: ArrayLike<number>,
  b: number,
  rows: number,
): Block {
  const v = new Float64Array(rows * b);
  for (let j = 0; j < b; j++) for (let i = 0; i < rows; i++) v[i * b + j] = vt[j * rows + i];
  // T[j, j] = τ_j, T[0:j, j] = −τ_j·T[0:j, 0:j]·(V[:, 0:j]ᵀ·v_j)
  const t = new Float64Array(b * b);
  const y = new Float64Array(b);
  for (let j = 0; j < b; j++) {
    for (let p = 0; p < j; p++) {
      let acc = 0;
      for (let i = 0; i < rows; i++) acc += vt[p * rows + i] * vt[j * rows + i];
      y[p] = acc;
    }
    for (let p = 0; p < j; p++) {
      let acc = 0;
      for (let q = p; q < j; q++) acc += t[p * b + q] * y[q];
      t[p * b + j] = -taus[j] * acc;
    }
    t[j * b + j] = taus[j];
  }
  return { b, rows, vt, v, t };
}

/** `Z ← (I − V·T·Vᵀ)·Z`, or with `Tᵀ` (`transposed`: the block's transpose), for `Z` `rows × cols`. */
export function applyBlock(k: Block, z: Strided, cols: number, transposed: boolean): void {
  const { b, rows } = k;
  const w = new Float64Array(b * cols);
  const y = new Float64Array(b * cols);
  const tt = transposed ? transpose(k.t, b) : k.t;
  gemmSub(b, cols, rows, { a: k.vt, at: 0, ld: rows }, z, { a: w, at: 0, ld: cols }); // w = −Vᵀ·Z
  gemmSub(b, cols, b, { a: tt, at: 0, ld: b }, { a: w, at: 0, ld: cols }, {
    a: y,
    at: 0,
    ld: cols,
  });
  gemmSub(rows, cols, b, { a: k.v, at: 0, ld: b }, { a: y, at: 0, ld: cols }, z); // Z −= V·(T·VᵀZ)
}

function transpose(t: Float64Array, b: number): Float64Array {
  const out = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) out[j * b + i] = t[i * b + j];
  return out;
}
