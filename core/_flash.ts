/**
 * `scaledDotProductAttention` on the fused `attention` primitive (`core/ops/attention.ts`):
 * whether the fused kernels apply, and the forward node wrapped with its gradient.
 *
 * The first derivative is FlashAttention-2's backward (one more fused node: dq, dk and dv), reading only the output, its cotangent and each row's log-sum-exp. Second derivatives
 * (grad of grad, jvp, hessian) differentiate the composed form instead, so they write the
 * scores as the composed path does.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { attention } from "./ops/attention.ts";
import { wrap } from "./_wrap.ts";
import { withGradient } from "./linalg/_host.ts";
import { vjp } from "./autodiff.ts";
import { slice, type SliceSpec } from "./indexing.ts";
import { concat } from "./movement.ts";
import { attentionTier } from "../jit/runtime/cpu/kernels.ts";

/** Attention written out: `(q, k, v[, mask]) ↦ softmax(q·kᵀ·scale + mask)·v`. */
export type Composed = (q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined) => Tensor;

/** The largest query or value width the WGSL kernels keep per invocation. */
const WGSL_WIDTH = 256;

/**
 * Why the fused kernels do not apply (`undefined`: they do). They need `q`, `k`, `v` of one
 * float dtype with equal leading axes, and a mask (bool, or a float of that dtype) whose axes
 * each broadcast (size 1) or match; on WebGPU, float32 and widths E, Ev ≤ 256.
 * @param q queries
 * @param k keys
 * @param v values
 * @param mask the mask, if any
 * @returns the reason, or `undefined`
 */
export function unfusable(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor | undefined,
): string | undefined {
  const dtype = q.dtype;
  if (k.dtype !== dtype || v.dtype !== dtype) return "q, k and v differ in dtype";
  if (dtype !== "float32" && (dtype !== "float64" || q.device !== "cpu")) {
    return `the kernels take float32${q.device === "cpu" ? " and float64" : ""}: found ${dtype}`;
  }
  const lead = q.shape.slice(0, -2).join();
  if (k.shape.slice(0, -2).join() !== lead || v.shape.slice(0, -2).join() !== lead) {
    return "the leading axes of q, k and v differ (broadcast)";
  }
  const [l, s] = [q.shape[q.ndim - 2], k.shape[k.ndim - 2]];
  if (l === 0 || s === 0 || q.shape[q.ndim - 1] === 0) return "an empty axis";
  if (q.device !== "cpu" && Math.max(q.shape[q.ndim - 1], v.shape[v.ndim - 1]) > WGSL_WIDTH) {
    return `E or Ev is above ${WGSL_WIDTH} on WebGPU`;
  }
  if (mask !== undefined) {
    if (mask.dtype !== "bool" && mask.dtype !== dtype) {
      return "the mask is neither bool nor q's dtype";
    }
    if (mask.ndim > q.ndim) return "the mask has more axes than q";
    const full = [...q.shape.slice(0, -1), s].slice(q.ndim - mask.ndim);
    if (mask.shape.some((d, i) => d !== 1 && d !== full[i])) return "the mask does not broadcast";
  }
  return undefined;
}

/**
 * Scores (float32 elements, all batch elements) from which the CPU takes the fused kernels by
 * default where BLAS is not open (the products in Wasm, or the JS form): 2^24, 64 MiB, where
 * the composed gradient keeps that much in probabilities.
 */
export const CPU_FUSED_SCORES = 2 ** 24;
/** Scores from which the CPU's BLAS tiles are the default (below, the gemm calls cost more). */
export const CPU_TILED_SCORES = 4096;

/**
 * Whether `scaledDotProductAttention` takes the fused kernels when `fused` is not given (where
 * they apply): always on WebGPU; on the CPU from {@linkcode CPU_TILED_SCORES} scores where its
 * BLAS tiles run, else from {@linkcode CPU_FUSED_SCORES} (float64 scores count twice).
 *
 * Measured (`bench/flash_attention.ts`, fused ÷ composed query row blocks, medians, alternated
 * in one process, 2 cores at load 8–18): with BLAS, `[2, 4, 1024, 64]` float32 forward
 * 0.48–0.79, gradient 0.79–0.86, peak 0.2–0.5 (forward) and 0.17–0.35 (gradient); B8's
 * `[16, 4, 64, 32]` 0.5–1.4 forward and 0.55–0.86 gradient; `[8, 8, 128, 16]` 0.62–0.73;
 * `[1, 2, 8, 8]` (0.1 ms) 1.4–1.7. Without BLAS the Wasm tiles (one thread, plain row loops)
 * took 1.2–1.8× (forward) and 2.9× (gradient) the composed Wasm form's time at
 * `[2, 4, 1024, 64]`, and the JS form 10–30×: there the fused kernels are the default only
 * where memory matters more.
 * @param q queries
 * @param k keys
 * @returns whether to fuse
 */
export function fusedByDefault(q: Tensor, k: Tensor): boolean {
  if (q.device !== "cpu") return true;
  const scores = (q.size / q.shape[q.ndim - 1]) * k.shape[k.ndim - 2];
  const size = scores * (q.dtype === "float64" ? 2 : 1);
  return size >= (attentionTier(q.dtype) === "blas" ? CPU_TILED_SCORES : CPU_FUSED_SCORES);
}

/**
 * Fused attention with its gradient (call only where `unfusable` gives `undefined`).
 * @param inputs `q, k, v` and the mask, if any
 * @param scale multiplies `q·kᵀ`
 * @param causal query i sees keys 0..i
 * @param composed the written-out form, for second derivatives
 * @returns `[..., L, Ev]`
 */
export function flashAttention(
  [q, k, v, mask]: readonly [Tensor, Tensor, Tensor, Tensor | undefined],
  scale: number,
  causal: boolean,
  composed: Composed,
): Tensor {
  const kind = mask === undefined ? "none" : mask.dtype === "bool" ? "bool" : "add";
  const args = { scale, causal, mask: kind } as const;
  const full = mask?.reshape([...Array(q.ndim - mask.ndim).fill(1), ...mask.shape]);
  const nodes = [q, k, v, ...(full ? [full] : [])].map((t) => t.node);
  const ev = v.shape[v.ndim - 1];
  const e = q.shape[q.ndim - 1];
  const lead: SliceSpec[] = Array(q.ndim - 1).fill(null);
  const packed = wrap(attention(nodes, { ...args, part: "forward" }));
  const out = slice(packed, ...lead, [0, ev]);
  const lse = slice(packed, ...lead, ev);
  // the inputs the gradient flows to: a bool mask has none
  const diff = kind === "add" ? [q, k, v, mask!] : [q, k, v];
  const grads = (...t: Tensor[]) => {
    const [gq, gk, gv, ct] = t.length === 5 ? [t[0], t[1], t[2], t[4]] : t;
    const m = kind === "add" ? t[3] : mask;
    const f = (...x: Tensor[]) => composed(x[0], x[1], x[2], x[3] ?? m);
    return vjp(f, gq, gk, gv, ...(kind === "add" ? [m!] : []))[1](ct);
  };
  return withGradient(diff, out, (ct) => {
    const delta = ct.mul(out).sum({ axis: -1 });
    const grad = wrap(attention([...nodes, lse.node, delta.node, ct.node], {
      ...args,
      part: "backward",
    }));
    // the fused values; second derivatives go through the composed form's gradient
    const at = [...diff, ct];
    const [nb, l, s] = [q.ndim - 2, q.shape[q.ndim - 2], k.shape[k.ndim - 2]];
    const flat = (t: Tensor) => t.reshape([...t.shape.slice(0, nb), -1]);
    const all = withGradient(at, grad, (c2) =>
      vjp((...t: Tensor[]) => {
        const g = grads(...t);
        return concat([flat(g[0]), flat(concat([g[1], g[2]], -1))], -1);
      }, ...at)[1](c2));
    const batch = q.shape.slice(0, nb);
    const part = (from: number, to: number, shape: number[]) =>
      slice(all, ...Array(nb).fill(null), [from, to]).reshape([...batch, ...shape]);
    const dq = part(0, l * e, [l, e]);
    const dkdv = part(l * e, l * e + s * (e + ev), [s, e + ev]);
    const tail: SliceSpec[] = Array(q.ndim - 1).fill(null);
    const dk = slice(dkdv, ...tail, [0, e]);
    const dv = slice(dkdv, ...tail, [e, e + ev]);
    if (kind !== "add") return [dq, dk, dv];
    // a float mask's gradient is dS itself (summed where it broadcasts): written out
    return [dq, dk, dv, grads(q, k, v, mask!, ct)[3]];
  });
}
