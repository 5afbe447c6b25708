/**
 * The `attention` primitive on the CPU's BLAS tier: FlashAttention in tiles of {@linkcode ROWS}
 * query rows × {@linkcode KEYS} keys, each tile's products one gemm call (one thread) into a
 * scratch tile that is reused, so the `[..., L, S]` scores are never written, only one
 * `ROWS × KEYS` tile at a time (64 KiB in float32, in cache).
 *
 * - forward: `S = scale·Q·Kᵀ` per tile, masked; a running maximum and sum per row rescale the
 *   output accumulator, `P = exp(S − m)` in place, `acc += P·V`.
 * - backward: per tile, `P = exp(S − lse)`, `dP = dO·Vᵀ`, `dS = P ∘ (dP − delta)·scale`,
 *   then `dV += Pᵀ·dO`, `dK += dSᵀ·Q` and `dQ += dS·K`, so each score is recomputed once.
 *
 * The row steps between the gemm calls (row maxima, exps and sums, the gradient's `P` and
 * `dS`) run in Wasm SIMD for float32 (`jit/codegen/wasm/_flash_rows.ts`, the tiles in its
 * memory) and in JS for float64.
 *
 * Without BLAS (no FFI, the browser), the JS form (`jit/codegen/_attention_js.ts`) runs instead.
 * @module
 */
import type { DataArray } from "../../../core/ir/dtype.ts";
import { attentionDims } from "../../../core/ops/attention.ts";
import type { Kernel } from "../../kernel.ts";
import { type RowGemm, withGemm } from "./blas.ts";
import { jsRows, KEYS, ROWS, type Rows, wasmRows } from "./_flash_wasm.ts";

/**
 * Runs an attention kernel in tiles: BLAS products where a library is open (and `blas`), else
 * the Wasm products of `_flash_wasm.ts` (float32 only).
 * @param kernel the kernel (kind `attention`)
 * @param ins its input buffers
 * @param out its output buffer
 * @param blas whether the BLAS tier is on
 * @returns false for float64 without BLAS (nothing was computed: the JS form runs)
 */
export function flashTiles(
  kernel: Kernel,
  ins: readonly DataArray[],
  out: DataArray,
  blas: boolean,
): boolean {
  const { e, ev } = attentionDims(kernel.inputs);
  const f32 = kernel.dtype === "float32";
  const rows = () => (f32 ? wasmRows(Math.max(e, ev)) : jsRows());
  if (blas && withGemm(kernel.dtype, (gemm) => run(kernel, ins, out, gemm, rows()))) return true;
  if (!f32) return false;
  const rs = wasmRows(Math.max(e, ev));
  run(kernel, ins, out, rs.gemm, rs);
  return true;
}

function run(
  kernel: Kernel,
  ins: readonly DataArray[],
  out: DataArray,
  gemm: RowGemm,
  rs: Rows,
): void {
  const a = kernel.attention!;
  const { batch, n, l, s, e, ev } = attentionDims(kernel.inputs);
  const [q, k, v] = ins;
  const mask = a.mask === "none" ? undefined : ins[3];
  const [lse, delta, dO] = ins.slice(mask ? 4 : 3);
  const f32 = kernel.dtype === "float32";
  const { sc, dp } = rs;
  // the mask's offset per batch element and its row/column strides (0 where broadcast)
  let [mRow, mCol] = [0, 0];
  const mBase = new Int32Array(n);
  if (mask) {
    const ms = kernel.inputs[3].shape;
    const [ml, mc] = ms.slice(-2);
    [mRow, mCol] = [ml === 1 ? 0 : mc, mc === 1 ? 0 : 1];
    for (let b = 0; b < n; b++) {
      let [rest, stride, at] = [b, ml * mc, 0];
      for (let d = batch.length - 1; d >= 0; d--) {
        if (ms[d] !== 1) at += (rest % batch[d]) * stride;
        rest = Math.floor(rest / batch[d]);
        stride *= ms[d];
      }
      mBase[b] = at;
    }
  }
  /**
   * The masked, scaled scores of rows i0.. (ni) and keys j0.. (nj) into `sc`, rows `st` apart
   * (nj rounded up to 4; the lanes past nj hold -Infinity).
   */
  const scores = (b: number, i0: number, ni: number, j0: number, nj: number, st: number) => {
    const qa = q.subarray((b * l + i0) * e);
    gemm(false, true, ni, nj, e, a.scale, qa, e, k.subarray((b * s + j0) * e), e, 0, sc, st);
    for (let r = 0; r < ni; r++) {
      const i = i0 + r;
      const row = r * st;
      // causal: keys after i are masked (only tiles across the diagonal have any)
      const end = a.causal ? Math.max(0, Math.min(nj, i + 1 - j0)) : nj;
      sc.fill(-Infinity, row + end, row + st);
      if (!mask) continue;
      const mo = mBase[b] + i * mRow + j0 * mCol;
      for (let c = 0; c < end; c++) {
        if (a.mask === "bool") {
          if (!mask[mo + c * mCol]) sc[row + c] = -Infinity;
        } else sc[row + c] += mask[mo + c * mCol] as number;
      }
    }
  };
  /** P = exp(S − lse) in `sc`, dP = dO·Vᵀ then dS = P ∘ (dP − delta)·scale in `dp`. */
  const grads = (b: number, i0: number, ni: number, j0: number, nj: number, st: number) => {
    scores(b, i0, ni, j0, nj, st);
    const va = v.subarray((b * s + j0) * ev);
    gemm(false, true, ni, nj, ev, 1, dO.subarray((b * l + i0) * ev), ev, va, ev, 0, dp, st);
    rs.grad(ni, st, lse, delta, b * l + i0, a.scale);
  };
  const keysOf = (i0: number, ni: number) => (a.causal ? Math.min(s, i0 + ni) : s);
  const up4 = (x: number) => (x + 3) & ~3;
  if (a.part === "forward") {
    const acc = f32 ? new Float32Array(ROWS * ev) : new Float64Array(ROWS * ev);
    const [m, sum, mx] = [new Float64Array(ROWS), new Float64Array(ROWS), new Float64Array(ROWS)];
    for (let b = 0; b < n; b++) {
      for (let i0 = 0; i0 < l; i0 += ROWS) {
        const ni = Math.min(ROWS, l - i0);
        m.fill(-Infinity);
        sum.fill(0);
        acc.fill(0);
        for (let j0 = 0, keys = keysOf(i0, ni); j0 < keys; j0 += KEYS) {
          const nj = Math.min(KEYS, keys - j0);
          const st = up4(nj);
          scores(b, i0, ni, j0, nj, st);
          rs.max(ni, st, mx);
          for (let r = 0; r < ni; r++) {
            const mn = mx[r] > m[r] ? mx[r] : m[r];
            // every key masked so far: shift by 0 (the exps are 0)
            if (mn === -Infinity) continue;
            if (mn !== m[r]) {
              const rescale = Math.exp(m[r] - mn);
              sum[r] *= rescale;
              for (let c = r * ev; c < (r + 1) * ev; c++) acc[c] *= rescale;
              m[r] = mn;
            }
          }
          for (let r = 0; r < ni; r++) mx[r] = m[r] === -Infinity ? 0 : m[r];
          rs.exp(ni, st, mx, sum);
          const va = v.subarray((b * s + j0) * ev);
          gemm(false, false, ni, ev, nj, 1, sc, st, va, ev, 1, acc, ev);
        }
        for (let r = 0; r < ni; r++) {
          const o = (b * l + i0 + r) * (ev + 1);
          for (let c = 0; c < ev; c++) out[o + c] = acc[r * ev + c] / sum[r];
          out[o + ev] = m[r] + Math.log(sum[r]);
        }
      }
    }
    return;
  }
  // per batch element: dQ [L, E], then dK, dV [S, E + Ev]; one pass over the tiles
  out.fill(0);
  const w = e + ev;
  for (let b = 0; b < n; b++) {
    const base = b * (l * e + s * w);
    for (let j0 = 0; j0 < s; j0 += KEYS) {
      const nj = Math.min(KEYS, s - j0);
      const st = up4(nj);
      const dk = out.subarray(base + l * e + j0 * w);
      const dv = out.subarray(base + l * e + j0 * w + e);
      const ka = k.subarray((b * s + j0) * e);
      // causal: rows before j0 see none of these keys
      for (let i0 = a.causal ? j0 - (j0 % ROWS) : 0; i0 < l; i0 += ROWS) {
        const ni = Math.min(ROWS, l - i0);
        grads(b, i0, ni, j0, nj, st);
        const go = dO.subarray((b * l + i0) * ev);
        gemm(true, false, nj, ev, ni, 1, sc, st, go, ev, 1, dv, w);
        gemm(true, false, nj, e, ni, 1, dp, st, q.subarray((b * l + i0) * e), e, 1, dk, w);
        gemm(false, false, ni, e, nj, 1, dp, st, ka, e, 1, out.subarray(base + i0 * e), e);
      }
    }
  }
}
