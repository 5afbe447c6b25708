/**
 * The row steps of the attention tiles (`_flash_blas.ts`) between their products: Wasm SIMD for
 * float32 (`jit/codegen/wasm/_flash_rows.ts`; the score tiles live in that module's memory) and
 * JS for float64. Without a BLAS library the float32 tiles' products run there too: their JS
 * operands (blocks of q, k, v, dO and the accumulators) are copied into the module's memory, rows
 * padded to 4 floats, for its row-product and row-sum loops.
 * @module
 */
import type { DataArray } from "../../../core/ir/dtype.ts";
import { flashRowsModule } from "../../codegen/wasm/_flash_rows.ts";
import type { RowGemm } from "./blas.ts";

/** Query rows per tile. */
export const ROWS = 64;
/** Keys per tile. */
export const KEYS = 256;

/** The row steps between the products, over the tiles `sc` and `dp` (rows `stride` apart). */
export interface Rows {
  readonly sc: DataArray;
  readonly dp: DataArray;
  /** `mx[r]` = row r's largest score. */
  max(ni: number, stride: number, mx: Float64Array): void;
  /** `x = e^(x − shift[r])` in place; `sum[r] += Σ x`. */
  exp(ni: number, stride: number, shift: Float64Array, sum: Float64Array): void;
  /** `P = e^(x − lse)` in `sc`, `dS = P ∘ (dp − delta)·scale` in `dp` (lse, delta from `at`). */
  grad(
    ni: number,
    stride: number,
    lse: DataArray,
    delta: DataArray,
    at: number,
    scale: number,
  ): void;
}

/**
 * The float64 row steps, in JS.
 * @returns them, over tiles of their own
 */
export function jsRows(): Rows {
  const [sc, dp] = [new Float64Array(ROWS * KEYS), new Float64Array(ROWS * KEYS)];
  return {
    sc,
    dp,
    max(ni, stride, mx) {
      for (let r = 0; r < ni; r++) {
        let bm = -Infinity;
        for (let c = r * stride; c < (r + 1) * stride; c++) if (sc[c] > bm) bm = sc[c];
        mx[r] = bm;
      }
    },
    exp(ni, stride, shift, sum) {
      for (let r = 0; r < ni; r++) {
        let add = 0;
        for (let c = r * stride; c < (r + 1) * stride; c++) {
          add += sc[c] = Math.exp(sc[c] - shift[r]);
        }
        sum[r] += add;
      }
    },
    grad(ni, stride, lse, delta, at, scale) {
      for (let r = 0; r < ni; r++) {
        const [m, dl] = [lse[at + r] as number, delta[at + r] as number];
        for (let c = r * stride; c < (r + 1) * stride; c++) {
          const p = sc[c] === -Infinity ? 0 : Math.exp(sc[c] - m);
          sc[c] = p;
          dp[c] = p * (dp[c] - dl) * scale;
        }
      }
    },
  };
}

type Fns = Record<string, (...args: number[]) => void>;
let module: WebAssembly.Module | undefined;
type Tiles = Rows & { readonly gemm: RowGemm; readonly width: number };
let cached: Tiles | undefined;

const up4 = (x: number) => (x + 3) & ~3;

/**
 * The float32 row steps in Wasm SIMD, and the products for tiles of up to `width` columns (one
 * instance, reused and grown: kernels run one at a time).
 * @param width the widest row of q, k, v (E or Ev)
 * @returns the steps and the products
 */
export function wasmRows(width: number): Tiles {
  const w = up4(width);
  if (cached !== undefined && cached.width >= w) return cached;
  const tile = ROWS * KEYS * 4;
  const vecs = 2 * tile; // shift/max, sum, lse, delta, scale: ROWS floats each
  // the packed operands: A (ROWS rows), B and C (KEYS rows), w floats a row
  const ra = vecs + 5 * ROWS * 4;
  const rb = ra + ROWS * w * 4;
  const regionC = rb + KEYS * w * 4;
  const bytes = regionC + KEYS * w * 4;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  module ??= new WebAssembly.Module(flashRowsModule());
  const fns = new WebAssembly.Instance(module, { e: { m: memory } }).exports as Fns;
  const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
  const [sc, dp] = [f32(0, ROWS * KEYS), f32(tile, ROWS * KEYS)];
  const vec = [0, 1, 2, 3, 4].map((i) => vecs + i * ROWS * 4);
  const [a, b, scale] = [f32(vec[0], ROWS), f32(vec[1], ROWS), f32(vec[4], 1)];
  const [bufA, bufB, bufC] = [f32(ra, ROWS * w), f32(rb, KEYS * w), f32(regionC, KEYS * w)];
  /** Rows `n` long, `ld` apart in `x`, copied `stride` apart (zero-padded) into `to`. */
  const pack = (
    x: DataArray,
    rows: number,
    n: number,
    ld: number,
    to: Float32Array,
    stride: number,
  ) => {
    for (let r = 0; r < rows; r++) {
      to.set(x.subarray(r * ld, r * ld + n) as Float32Array, r * stride);
      to.fill(0, r * stride + n, (r + 1) * stride);
    }
  };
  // the products the tiles make (see _flash_blas.ts): C = alpha·A·Bᵀ with A, B in JS and C a
  // tile here; or C += op(A)·B with A a tile here and B, C in JS
  const gemm: RowGemm = (ta, tb, m, n, k, alpha, x, lda, y, ldb, beta, c, ldc) => {
    if (!ta && tb && c.buffer === memory.buffer && beta === 0) {
      const kp = up4(k);
      pack(x, m, k, lda, bufA, kp);
      pack(y, n, k, ldb, bufB, kp);
      scale[0] = alpha;
      fns.f3(ra, rb, c.byteOffset, m, n, kp, kp, kp, ldc, vec[4]);
      return;
    }
    if (!tb && x.buffer === memory.buffer && alpha === 1 && beta === 1) {
      const np = up4(n);
      pack(y, k, n, ldb, bufB, np);
      pack(c, m, n, ldc, bufC, np);
      const [si, st] = ta ? [1, lda] : [lda, 1];
      fns.f4(x.byteOffset, rb, regionC, m, np, k, si, st, np, np);
      for (let r = 0; r < m; r++) c.set(bufC.subarray(r * np, r * np + n), r * ldc);
      return;
    }
    throw new Error("attention tiles: a product the Wasm loops do not make (internal error)");
  };
  cached = {
    width: w,
    gemm,
    sc,
    dp,
    max(ni, stride, mx) {
      fns.f0(0, ni, stride, vec[0]);
      for (let r = 0; r < ni; r++) mx[r] = a[r];
    },
    exp(ni, stride, shift, sum) {
      for (let r = 0; r < ni; r++) [a[r], b[r]] = [shift[r], 0];
      fns.f1(0, ni, stride, vec[0], vec[1]);
      for (let r = 0; r < ni; r++) sum[r] += b[r];
    },
    grad(ni, stride, lse, delta, at, s) {
      for (let r = 0; r < ni; r++) [a[r], b[r]] = [lse[at + r] as number, delta[at + r] as number];
      scale[0] = s;
      fns.f2(0, tile, ni, stride, vec[0], vec[1], vec[4]);
    },
  };
  return cached;
}
