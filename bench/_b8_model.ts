/**
 * SPEC's B8 model for bench/b8_workload.ts and bench/b8_interleaved.ts:
 * one pre-norm transformer block (tokens [16, 64], vocabulary 96, d 128, 4
 * causal heads, MLP 512, head = embeddingᵀ) trained by AdamW (lr 1e-3, wd
 * 0.01) under jit, from the weights and tokens of inputs.ts.
 * @module
 */
import * as lt from "../mod.ts";
import { crossEntropy, layerNorm, linear, multiHeadAttention } from "../nn/mod.ts";
import { adamw, applyUpdates } from "../nn/optim.ts";
import { workloads } from "./inputs.ts";

const [B, T, V, D, H] = [16, 64, 96, 128, 4];

/** A B8 trainer: `run(n)` takes n steps; `loss()` is the last step's loss. */
export interface B8Trainer {
  /** Takes `n` train steps (each read back: the loss is a number). */
  run(n: number): void;
  /** The loss of the last step. */
  loss(): number;
  /** The initial weights and tokens as JSON, for bench/b8_torch.py. */
  json(): string;
}

/**
 * Builds the block, its optimizer and the compiled step.
 * @param options `donate`: the step donates the params and optimizer state
 *   (`jit`'s `donate`), so their updates are written into their buffers
 * @returns the trainer, before any step
 */
export function b8Trainer(options: { donate?: boolean } = {}): B8Trainer {
  const inputs = workloads.B8();
  const t = (data: Float32Array, shape: number[]) => lt.tensor(data, { shape });
  const ln = () => ({ weight: lt.ones([D]), bias: lt.zeros([D]) });
  let params = {
    embedding: t(inputs.embedding, [V, D]),
    positions: t(inputs.positions, [T, D]),
    ln1: ln(),
    attn: {
      in_proj_weight: t(inputs.inProj, [3 * D, D]),
      in_proj_bias: lt.zeros([3 * D]),
      out_proj: { weight: t(inputs.outProj, [D, D]), bias: lt.zeros([D]) },
    },
    ln2: ln(),
    mlp_in: { weight: t(inputs.mlpIn, [4 * D, D]), bias: lt.zeros([4 * D]) },
    mlp_out: { weight: t(inputs.mlpOut, [D, 4 * D]), bias: lt.zeros([D]) },
    ln_f: ln(),
  };
  type Params = typeof params;
  const tokens = lt.tensor(inputs.tokens, {
    shape: [B, T + 1],
    dtype: "int32",
  });
  const x = tokens.slice(null, [0, T]);
  const y = tokens.slice(null, [1, T + 1]);
  const norm = layerNorm(D);
  const attn = multiHeadAttention(D, H, { causal: true });
  const mlpIn = linear(D, 4 * D);
  const mlpOut = linear(4 * D, D);
  const loss = (p: Params, x: lt.Tensor, y: lt.Tensor): lt.Tensor => {
    let h = p.embedding.take(x, 0).add(p.positions);
    h = h.add(attn.apply(p.attn, norm.apply(p.ln1, h)));
    const mlp = lt.gelu(mlpIn.apply(p.mlp_in, norm.apply(p.ln2, h)));
    h = h.add(mlpOut.apply(p.mlp_out, mlp));
    const logits = lt.matmul(norm.apply(p.ln_f, h), p.embedding.transpose());
    return crossEntropy(logits, y);
  };
  const optimizer = adamw(1e-3, { weightDecay: 0.01 });
  let state = optimizer.init(params);
  const step = lt.jit(
    (p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
      const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
      const [updates, next] = optimizer.update(grads, s, p);
      return [applyUpdates(p, updates), next, value] as const;
    },
    options.donate ? { donate: [0, 1] } : {},
  );
  let last = NaN;
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        const [p, s, value] = step(params, state, x, y);
        params = p;
        state = s;
        last = value.item();
      }
    },
    loss: () => last,
    json: () =>
      JSON.stringify({
        embedding: [...inputs.embedding],
        positions: [...inputs.positions],
        inProj: [...inputs.inProj],
        outProj: [...inputs.outProj],
        mlpIn: [...inputs.mlpIn],
        mlpOut: [...inputs.mlpOut],
        tokens: [...inputs.tokens],
      }),
  };
}
