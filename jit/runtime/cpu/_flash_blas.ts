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
import { flashRowsModule } from "../../codegen/wasm/_flash_rows.ts";

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

/** The row steps between the gemm calls, over the tiles `sc` and `dp` (rows `stride` apart). */
interface Rows {
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

function jsRows(): Rows {
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

let wasm: Rows | undefined;

/** The float32 row steps in Wasm SIMD (one instance, reused: kernels run one at a time). */
function wasmRows(): Rows {
  if (wasm !== undefined) return wasm;
  const tile = ROWS * KEYS * 4;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((2 * tile + 6 * ROWS * 4) / 65536) });
  const module = new WebAssembly.Module(flashRowsModule());
  const fns = new WebAssembly.Instance(module, { e: { m: memory } }).exports as Record<
    string,
    (...args: number[]) => void
  >;
  const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
  const [sc, dp] = [f32(0, ROWS * KEYS), f32(tile, ROWS * KEYS)];
  const vec = [0, 1, 2, 3].map((i) => 2 * tile + i * ROWS * 4); // mx/shift, sum, lse, delta
  const [a, b] = [f32(vec[0], ROWS), f32(vec[1], ROWS)];
  const scale = 2 * tile + 4 * ROWS * 4;
  return wasm = {
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
      f32(scale, 1)[0] = s;
      fns.f2(0, tile, ni, stride, vec[0], vec[1], scale);
    },
  };
}

function run(kernel: Kernel, ins: readonly DataArray[], out: DataArray, gemm: RowGemm): void {
  const a = kernel.attention!;
  const { batch, n, l, s, e, ev } = attentionDims(kernel.inputs);
  const [q, k, v] = ins;
  const mask = a.mask === "none" ? undefined : ins[3];
  const [lse, delta, dO] = ins.slice(mask ? 4 : 3);
  const f32 = kernel.dtype === "float32";
  const rs = f32 ? wasmRows() : jsRows();
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
