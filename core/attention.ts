/**
 * `scaledDotProductAttention` (torch.nn.functional.scaled_dot_product_attention)
 * and `layerNorm` (torch.nn.functional.layer_norm) as functions.
 *
 * Attention is `softmax(q·kᵀ · scale + mask) · v`, built from matmul,
 * the fused softmax and a mask, so it fuses like the rest: on the CPU the
 * scale, mask and the softmax's row reductions fuse into the scores
 * kernel's epilogue and the following passes. On the CPU, long queries are
 * split into row blocks (64+ rows causal, 128+ otherwise), each block's
 * scores → softmax → `· v` in turn, so only `[..., block, S]` of the scores
 * is live at a time, not `[..., L, S]`; causal blocks also skip the keys
 * after their last row.
 *
 * Where it applies (see `unfusable` in `_flash.ts`), attention is instead the
 * fused `attention` primitive (`core/ops/attention.ts`), whose kernels never
 * write the scores: an online softmax forward that keeps each row's
 * log-sum-exp, and FlashAttention-2's backward. `options.fused` picks a path;
 * by default the fused one runs on WebGPU, and on the CPU from 4,096 scores
 * where its BLAS tiles run (from 2^24 where only its JS form does). The rule
 * and its measurements: `fusedByDefault` in `_flash.ts`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { checkOptions } from "./_options.ts";
import { fmtShape } from "./ir/errors.ts";
import { isTensor } from "./_wrap.ts";
import { matmul } from "./linalg.ts";
import { softmax } from "./reduce.ts";
import { where } from "./elementwise.ts";
import { ones } from "./creation.ts";
import { tril } from "./triangular.ts";
import { slice, type SliceSpec } from "./indexing.ts";
import { concat } from "./movement.ts";
import { flashAttention, fusedByDefault, unfusable } from "./_flash.ts";

/** Options of `scaledDotProductAttention`. */
export interface AttentionOptions {
  /**
   * Broadcastable to `[..., L, S]`: a bool mask (true = may attend, torch's
   * `attn_mask` rule for bools) or a float bias added to the scores.
   */
  mask?: Tensor;
  /** Query i attends to keys 0..i only (torch's `is_causal`; top-left aligned when L ≠ S). */
  causal?: boolean;
  /** Multiplies the scores; `1/√E` by default. */
  scale?: number;
  /**
   * `true`: the fused kernels, which never write the `[..., L, S]` scores (an error where they do
   * not apply); `false`: the composed form. By default, the fused kernels on WebGPU, and on the
   * CPU from 4,096 scores where BLAS is open (from 2^24 scores without it: there they are slower).
   */
  fused?: boolean;
}

/**
 * Attention: `softmax(q·kᵀ · scale + mask) · v` over the key axis.
 * Rows where every key is masked give NaN, as in torch.
 * @param q queries `[..., L, E]`
 * @param k keys `[..., S, E]`
 * @param v values `[..., S, Ev]` (leading axes broadcast)
 * @param options `mask`, `causal`, `scale`
 * @returns `[..., L, Ev]`
 * @example Causal attention over 3 positions
 * ```ts
 * import { ones, scaledDotProductAttention, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const v = tensor([[1], [2], [3]]);
 * const out = scaledDotProductAttention(ones([3, 2]), ones([3, 2]), v, { causal: true });
 * assertEquals(out.toArray(), [[1], [1.5], [2]]);
 * ```
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  checkOptions("scaledDotProductAttention", options, ["mask", "causal", "scale", "fused"]);
  const [qs, ks, vs] = [q, k, v].map((t, i) => nodeOf("scaledDotProductAttention", t, i).shape);
  const e = qs[qs.length - 1];
  if (
    qs.length < 2 || ks.length < 2 || vs.length < 2 || ks[ks.length - 1] !== e ||
    ks[ks.length - 2] !== vs[vs.length - 2]
  ) {
    throw new RangeError(
      `scaledDotProductAttention() expected q [..., L, E], k [..., S, E] and v [..., S, Ev]: ` +
        `found q ${fmtShape(qs)}, k ${fmtShape(ks)}, v ${fmtShape(vs)}`,
    );
  }
  const mask = options.mask;
  if (mask !== undefined && !isTensor(mask)) {
    throw new TypeError(
      "scaledDotProductAttention() expected options.mask to be a Tensor (bool: true = attend; float: added)",
    );
  }
  const scale = options.scale ?? 1 / Math.sqrt(e);
  const causal = options.causal ?? false;
  const [l, s] = [qs[qs.length - 2], ks[ks.length - 2]];
  if (options.fused ?? fusedByDefault(q, k)) {
    const why = unfusable(q, k, v, mask);
    if (why === undefined) {
      const composed = (q: Tensor, k: Tensor, v: Tensor, m: Tensor | undefined) =>
        attend(q, k, v, scale, causal, m, 0);
      return flashAttention([q, k, v, mask], scale, causal, composed);
    }
    if (options.fused === true) {
      throw new TypeError(
        `scaledDotProductAttention() with fused: true cannot use the fused kernels: ${why}: ` +
          "pass fused: false (or leave it out) for the composed form",
      );
    }
  }
  const block = rowBlock(l, s, causal, mask, q.device);
  if (block >= l) return attend(q, k, v, scale, causal, mask, 0);
  // query row blocks: each block's scores [..., block, keys] live alone, never [..., L, S]
  const outs: Tensor[] = [];
  for (let i = 0; i < l; i += block) {
    const end = Math.min(l, i + block);
    // causal rows i..end-1 see keys 0..end-1 only: the rest would be masked anyway
    const keys = causal ? Math.min(s, end) : s;
    const m = mask &&
      sliceLast2(mask, mask.ndim >= 2 && mask.shape[mask.ndim - 2] === l ? [i, end] : null, [
        0,
        keys,
      ]);
    outs.push(
      attend(
        sliceLast2(q, [i, end], null),
        sliceLast2(k, [0, keys], null),
        sliceLast2(v, [0, keys], null),
        scale,
        causal,
        m,
        i,
      ),
    );
  }
  return concat(outs, -2);
}

/**
 * Query rows per block, or `l` for no blocks: only on the CPU and only for at
 * least two blocks of 64 keys or more. Causal blocks are smaller (64 rows, at
 * most 16 blocks): each also skips the keys after its last row, which more
 * than pays for the blocks. Without a causal mask, blocks are at least 128
 * rows and at most 4: at [8, 4, 256, 32] 64-row blocks took 1.15x the time
 * of no blocks and 128-row ones 1.03x; at [2, 4, 1024, 64] 8 blocks took
 * 1.44x and 4 blocks 1.01x to 1.24x (same runs, interleaved, noisy), for a
 * peak 0.31x as large.
 */
function rowBlock(
  l: number,
  s: number,
  causal: boolean,
  mask: Tensor | undefined,
  device: string,
): number {
  const block = causal ? Math.max(64, Math.ceil(l / 16)) : Math.max(128, Math.ceil(l / 4));
  if (device !== "cpu" || l < 2 * block || s < 64) return l;
  if (mask !== undefined) {
    // a mask that does not broadcast plainly takes the unblocked path (and its error)
    const ms = mask.shape;
    const last = ms[ms.length - 1];
    const rows = ms.length >= 2 ? ms[ms.length - 2] : 1;
    if ((last !== 1 && last !== s) || (rows !== 1 && rows !== l)) return l;
  }
  return block;
}

/** `t` sliced on its last two axes (`null` keeps an axis whole); a size-1 axis stays whole. */
function sliceLast2(
  t: Tensor,
  rows: [number, number] | null,
  cols: [number, number] | null,
): Tensor {
  const nd = t.ndim;
  const keep = (d: number, r: [number, number] | null): SliceSpec =>
    r === null || d < 0 || t.shape[d] === 1 ? null : r;
  const specs: SliceSpec[] = Array(Math.max(0, nd - 2)).fill(null);
  if (nd >= 2) specs.push(keep(nd - 2, rows));
  specs.push(keep(nd - 1, cols));
  return slice(t, ...specs);
}

/** One block: `softmax(q·kᵀ · scale + mask) · v` for query rows starting at global row `row0`. */
function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  scale: number,
  causal: boolean,
  mask: Tensor | undefined,
  row0: number,
): Tensor {
  let scores = matmul(q, k.transpose(-2, -1)).mul(scale);
  const [l, s] = scores.shape.slice(-2);
  if (causal) {
    scores = where(
      tril(ones([l, s], { dtype: "bool", device: scores.device }), row0),
      scores,
      -Infinity,
    );
  }
  if (mask !== undefined) {
    scores = mask.dtype === "bool" ? where(mask, scores, -Infinity) : scores.add(mask);
  }
  return matmul(softmax(scores, -1), v);
}

/** Options of the `layerNorm` function. */
export interface LayerNormOptions {
  /** Scale, shaped like the normalized axes. */
  weight?: Tensor;
  /** Shift, shaped like the normalized axes. */
  bias?: Tensor;
  /** Added to the variance; 1e-5 by default. */
  eps?: number;
}

/**
 * Layer normalisation over the trailing axes `normalizedShape`
 * (torch.nn.functional.layer_norm): biased variance, then `weight` and `bias`.
 * @param x the input, ending in `normalizedShape`
 * @param normalizedShape the trailing axes' sizes (a number for one axis)
 * @param options `weight`, `bias`, `eps`
 * @returns a tensor shaped like `x`
 * @example Zero mean, unit variance
 * ```ts
 * import { layerNorm, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const y = layerNorm(tensor([[1, 2, 3]]), 3).dataSync();
 * assertAlmostEquals(y[0], -1.2247, 1e-3);
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  options: LayerNormOptions = {},
): Tensor {
  checkOptions("layerNorm", options, ["weight", "bias", "eps"]);
  const shape = nodeOf("layerNorm", x).shape;
  const norm = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const tail = shape.slice(shape.length - norm.length);
  if (norm.length > shape.length || tail.some((d, i) => d !== norm[i])) {
    throw new RangeError(
      `layerNorm() expected an input ending in the normalized shape ${fmtShape(norm)}: found ${
        fmtShape(shape)
      }`,
    );
  }
  for (const key of ["weight", "bias"] as const) {
    const t = options[key];
    if (t !== undefined && (!isTensor(t) || t.shape.join() !== norm.join())) {
      throw new RangeError(
        `layerNorm() expected options.${key} of shape ${fmtShape(norm)}: found ${
          isTensor(t) ? fmtShape(t.shape) : typeof t
        }`,
      );
    }
  }
  const axes = norm.map((_, i) => shape.length - norm.length + i);
  const mean = x.mean({ axis: axes, keepdims: true });
  const variance = x.var({ axis: axes, keepdims: true, correction: 0 });
  let y = x.sub(mean).mul(variance.add(options.eps ?? 1e-5).rsqrt());
  if (options.weight !== undefined) y = y.mul(options.weight);
  if (options.bias !== undefined) y = y.add(options.bias);
  return y;
}
