/**
 * The `attention` primitive on the CPU's BLAS tier: FlashAttention in tiles of {@linkcode ROWS}
 * query rows × {@linkcode KEYS} keys, each tile's products one gemm call (one thread) into a
 * scratch tile that is reused, so the `[..., L, S]` scores are never written, only one
 * `ROWS × KEYS` tile at a time (64 KiB in float32, in cache).
 *
 * - forward: `S = scale·Q·Kᵀ` per tile, masked; a running maximum and sum per row rescale the
 *   output accumulator, `P = exp(S − m)` in place, `acc += P·V`.
 * - dq: per query block, `P = exp(S − lse)`, `dP = dO·Vᵀ`, `dS = P ∘ (dP − delta)·scale`,
 *   `dQ += dS·K`; dkv: per key block, `dV += Pᵀ·dO`, `dK += dSᵀ·Q`.
 *
 * Without BLAS (no FFI, the browser), the JS form (`jit/codegen/_attention_js.ts`) runs instead.
 * @module
 */
import type { DataArray } from "../../../core/ir/dtype.ts";
import { attentionDims } from "../../../core/ops/attention.ts";
import type { Kernel } from "../../kernel.ts";
import { type RowGemm, withGemm } from "./blas.ts";

/** Query rows per tile. */
export const ROWS = 64;
/** Keys per tile. */
export const KEYS = 256;

/**
 * Runs an attention kernel with BLAS tiles.
 * @param kernel the kernel (kind `attention`)
 * @param ins its input buffers
 * @param out its output buffer
 * @returns false where no BLAS library is open (nothing was computed)
 */
export function flashBlas(kernel: Kernel, ins: readonly DataArray[], out: DataArray): boolean {
  return withGemm(kernel.dtype, (gemm) => run(kernel, ins, out, gemm));
}

function run(kernel: Kernel, ins: readonly DataArray[], out: DataArray, gemm: RowGemm): void {
  const a = kernel.attention!;
  const { batch, n, l, s, e, ev } = attentionDims(kernel.inputs);
  const [q, k, v] = ins;
  const mask = a.mask === "none" ? undefined : ins[3];
  const [lse, delta, dO] = ins.slice(mask ? 4 : 3);
  const f32 = kernel.dtype === "float32";
  const make = (size: number) => (f32 ? new Float32Array(size) : new Float64Array(size));
  const sc = make(ROWS * KEYS);
  const dp = make(ROWS * KEYS);
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
  /** The masked, scaled scores of rows i0.. (ni) and keys j0.. (nj) into `sc` (row stride nj). */
  const scores = (b: number, i0: number, ni: number, j0: number, nj: number) => {
    const qa = q.subarray((b * l + i0) * e);
    gemm(false, true, ni, nj, e, a.scale, qa, e, k.subarray((b * s + j0) * e), e, 0, sc, nj);
    if (!a.causal && !mask) return;
    for (let r = 0; r < ni; r++) {
      const i = i0 + r;
      const mo = mBase[b] + i * mRow;
      for (let c = 0; c < nj; c++) {
        const j = j0 + c;
        if (a.causal && j > i) sc[r * nj + c] = -Infinity;
        else if (a.mask === "bool") {
          if (!mask![mo + j * mCol]) sc[r * nj + c] = -Infinity;
        } else if (mask) sc[r * nj + c] += mask[mo + j * mCol] as number;
      }
    }
  };
  /** P = exp(S − lse) in `sc`, dP = dO·Vᵀ then dS = P ∘ (dP − delta)·scale in `dp`. */
  const grads = (b: number, i0: number, ni: number, j0: number, nj: number) => {
    scores(b, i0, ni, j0, nj);
    const va = v.subarray((b * s + j0) * ev);
    gemm(false, true, ni, nj, ev, 1, dO.subarray((b * l + i0) * ev), ev, va, ev, 0, dp, nj);
    for (let r = 0; r < ni; r++) {
      const [m, dl] = [lse[b * l + i0 + r] as number, delta[b * l + i0 + r] as number];
      for (let c = r * nj; c < (r + 1) * nj; c++) {
        const p = sc[c] === -Infinity ? 0 : Math.exp(sc[c] - m);
        sc[c] = p;
        dp[c] = p * (dp[c] - dl) * a.scale;
      }
    }
  };
  const keysOf = (i0: number, ni: number) => (a.causal ? Math.min(s, i0 + ni) : s);
  if (a.part === "forward") {
    const acc = make(ROWS * ev);
    const [m, sum] = [new Float64Array(ROWS), new Float64Array(ROWS)];
    for (let b = 0; b < n; b++) {
      for (let i0 = 0; i0 < l; i0 += ROWS) {
        const ni = Math.min(ROWS, l - i0);
        m.fill(-Infinity);
        sum.fill(0);
        acc.fill(0);
        for (let j0 = 0, keys = keysOf(i0, ni); j0 < keys; j0 += KEYS) {
          const nj = Math.min(KEYS, keys - j0);
          scores(b, i0, ni, j0, nj);
          for (let r = 0; r < ni; r++) {
            const row = r * nj;
            let bm = -Infinity;
            for (let c = row; c < row + nj; c++) if (sc[c] > bm) bm = sc[c];
            const mn = bm > m[r] ? bm : m[r];
            if (mn === -Infinity) {
              sc.fill(0, row, row + nj); // every key masked so far: nothing to add
              continue;
            }
            if (mn !== m[r]) {
              const rs = Math.exp(m[r] - mn);
              sum[r] *= rs;
              for (let c = r * ev; c < (r + 1) * ev; c++) acc[c] *= rs;
              m[r] = mn;
            }
            let add = 0;
            for (let c = row; c < row + nj; c++) add += sc[c] = Math.exp(sc[c] - mn);
            sum[r] += add;
          }
          const va = v.subarray((b * s + j0) * ev);
          gemm(false, false, ni, ev, nj, 1, sc, nj, va, ev, 1, acc, ev);
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
  out.fill(0);
  if (a.part === "dq") {
    for (let b = 0; b < n; b++) {
      for (let i0 = 0; i0 < l; i0 += ROWS) {
        const ni = Math.min(ROWS, l - i0);
        const dq = out.subarray((b * l + i0) * e);
        for (let j0 = 0, keys = keysOf(i0, ni); j0 < keys; j0 += KEYS) {
          const nj = Math.min(KEYS, keys - j0);
          grads(b, i0, ni, j0, nj);
          gemm(false, false, ni, e, nj, 1, dp, nj, k.subarray((b * s + j0) * e), e, 1, dq, e);
        }
      }
    }
    return;
  }
  const w = e + ev;
  for (let b = 0; b < n; b++) {
    for (let j0 = 0; j0 < s; j0 += KEYS) {
      const nj = Math.min(KEYS, s - j0);
      const dk = out.subarray((b * s + j0) * w);
      const dv = out.subarray((b * s + j0) * w + e);
      // causal: rows before j0 see none of these keys
      for (let i0 = a.causal ? j0 - (j0 % ROWS) : 0; i0 < l; i0 += ROWS) {
        const ni = Math.min(ROWS, l - i0);
        grads(b, i0, ni, j0, nj);
        const go = dO.subarray((b * l + i0) * ev);
        gemm(true, false, nj, ev, ni, 1, sc, nj, go, ev, 1, dv, w);
        gemm(true, false, nj, e, ni, 1, dp, nj, q.subarray((b * l + i0) * e), e, 1, dk, w);
      }
    }
  }
}
