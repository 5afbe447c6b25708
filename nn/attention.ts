/**
 * `multiHeadAttention`: torch.nn.MultiheadAttention's layer with torch's
 * parameter names and layout (`in_proj_weight [3E, E]`, `in_proj_bias [3E]`,
 * `out_proj.weight [E, E]`, `out_proj.bias [E]`), so weights load from a torch
 * state dict unchanged. Inputs are batch-first (`[B, L, E]`, torch's
 * `batch_first=True`) or unbatched `[L, E]`.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import { type InitRandom, linearDefault, splitRandom, xavierUniform } from "./init.ts";
import type { ApplyOptions, Layer } from "./layers.ts";

/** Parameters of `multiHeadAttention` (torch's names). */
export interface MultiHeadAttentionParams {
  /** The query, key and value projections stacked: `[3E, E]`. */
  readonly in_proj_weight: Tensor;
  /** `[3E]` (absent with `bias: false`). */
  readonly in_proj_bias?: Tensor;
  /** The output projection: `weight [E, E]`, `bias [E]`. */
  readonly out_proj: { readonly weight: Tensor; readonly bias?: Tensor };
}

/** Options of `multiHeadAttention`. */
export interface MultiHeadAttentionOptions {
  /** Biases on the projections (true by default, as torch). */
  bias?: boolean;
  /** Self-attention in `apply` is causal (false by default). */
  causal?: boolean;
}

/** Options of `attend`. */
export interface AttendOptions {
  /** Bool (true = may attend) or float (added), broadcastable to `[B, heads, L, S]`. */
  mask?: Tensor;
  /** Query i attends to keys 0..i only. */
  causal?: boolean;
}

/** The layer, with `attend` for separate query, key and value (cross-attention). */
export interface MultiHeadAttention extends Layer<MultiHeadAttentionParams> {
  /** Attention of `query [B, L, E]` over `key`/`value [B, S, E]`; returns `[B, L, E]`. */
  attend(
    params: MultiHeadAttentionParams,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options?: AttendOptions,
  ): Tensor;
}

/**
 * Multi-head attention (torch.nn.MultiheadAttention with `batch_first=True`);
 * `apply(params, x)` is self-attention. NOTE: a bool mask here means "may
 * attend" (torch.nn.functional.scaled_dot_product_attention's rule), the
 * opposite of nn.MultiheadAttention's `attn_mask`; `causal` needs no mask.
 * @param embedDim E, the model width
 * @param numHeads heads; E must divide evenly
 * @param options `bias`, `causal`
 * @returns the layer
 * @example Self-attention keeps the shape
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { multiHeadAttention } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const mha = multiHeadAttention(8, 2, { causal: true });
 * const params = mha.init(random.key(0));
 * assertEquals(mha.apply(params, random.normal(random.key(1), [3, 5, 8])).shape, [3, 5, 8]);
 * ```
 */
export function multiHeadAttention(
  embedDim: number,
  numHeads: number,
  options: MultiHeadAttentionOptions = {},
): MultiHeadAttention {
  lt.checkOptions("multiHeadAttention", options, ["bias", "causal"]);
  if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
    throw new RangeError(
      `multiHeadAttention() expected numHeads to divide embedDim: found embedDim ${embedDim} and numHeads ${numHeads}`,
    );
  }
  const name = `multiHeadAttention(${embedDim}, ${numHeads})`;
  const bias = options.bias ?? true;
  const e = embedDim;
  const d = e / numHeads;
  const check = (params: MultiHeadAttentionParams) => {
    const w = params?.in_proj_weight;
    const o = params?.out_proj?.weight;
    if (
      !(w instanceof lt.Tensor) || w.shape.join() !== `${3 * e},${e}` || !(o instanceof lt.Tensor)
    ) {
      throw new TypeError(
        `${name}.apply() expected params { in_proj_weight: [${
          3 * e
        }, ${e}], in_proj_bias, out_proj: { weight, bias } }: ` +
          `pass the params this layer's init() returned`,
      );
    }
  };
  const heads = (y: Tensor): Tensor => {
    const lead = y.shape.slice(0, -2);
    const l = y.shape[y.shape.length - 2];
    const split = y.reshape([...lead, l, numHeads, d]);
    return split.transpose(-3, -2); // [..., heads, L, d]
  };
  const attend = (
    params: MultiHeadAttentionParams,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    o: AttendOptions = {},
  ): Tensor => {
    lt.checkOptions("attend", o, ["mask", "causal"]);
    check(params);
    const w = params.in_proj_weight;
    const part = (t: Tensor | undefined, i: number) => t?.slice([i * e, (i + 1) * e]);
    // self-attention projects once with the packed weight, then splits, as torch does: one
    // product [L, 3E] (and one for each gradient) rather than three [L, E]
    // (split on an axis of its own, so the gradients' concatenation is an affine pad)
    const y = query === key && key === value ? lt.linear(query, w, params.in_proj_bias) : undefined;
    const packed = y && lt.split(y.reshape([...y.shape.slice(0, -1), 3, e]), 3, -2)
      .map((t) => t.reshape(y.shape.slice(0, -1).concat(e)));
    const proj = (x: Tensor, i: number) =>
      heads(packed?.[i] ?? lt.linear(x, part(w, i)!, part(params.in_proj_bias, i)));
    const [q, k, v] = [proj(query, 0), proj(key, 1), proj(value, 2)];
    const out = lt.scaledDotProductAttention(q, k, v, { mask: o.mask, causal: o.causal });
    const merged = out.transpose(-3, -2);
    const joined = merged.reshape([...merged.shape.slice(0, -2), e]);
    return lt.linear(joined, params.out_proj.weight, params.out_proj.bias);
  };
  return {
    name,
    init: (rng: InitRandom): MultiHeadAttentionParams => {
      const [inKey, outKey] = splitRandom(rng, 2);
      const in_proj_weight = xavierUniform(inKey, [3 * e, e]);
      const { weight } = linearDefault(outKey, e, e, false);
      return bias
        ? {
          in_proj_weight,
          in_proj_bias: lt.zeros([3 * e]),
          out_proj: { weight, bias: lt.zeros([e]) },
        }
        : { in_proj_weight, out_proj: { weight } };
    },
    apply: (params: MultiHeadAttentionParams, x: Tensor, _options?: ApplyOptions): Tensor =>
      attend(params, x, x, x, { causal: options.causal ?? false }),
    attend,
  };
}
