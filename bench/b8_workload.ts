/**
 * SPEC B8 (bench/SPEC.md): one pre-norm transformer block train step
 * (tokens [16, 64], vocabulary 96, d 128, 4 causal heads, MLP 512 with
 * GELU, head = embeddingᵀ, next-token cross-entropy, AdamW lr 1e-3 wd
 * 0.01), under jit, from the shared inputs (inputs.ts, torch's layouts and
 * names: `in_proj_weight`, `out_proj`). Run by `deno task bench --only B8`
 * beside PyTorch (bench/peers/torch_bench.py), jax-js and TensorFlow.js
 * (bench/peers/*_train.ts).
 *
 * Usage alone: `deno run -A bench/b8_workload.ts`
 * @module
 */
import * as lt from "../mod.ts";
import { crossEntropy, layerNorm, linear, multiHeadAttention } from "../nn/mod.ts";
import { adamw, applyUpdates } from "../nn/optim.ts";
import { workloads } from "./inputs.ts";

const [B, T, V, D, H] = [16, 64, 96, 128, 4];

function initParams() {
  const inputs = workloads.B8();
  const t = (data: Float32Array, shape: number[]) => lt.tensor(data, { shape });
  const ln = () => ({ weight: lt.ones([D]), bias: lt.zeros([D]) });
  return {
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
}
type Params = ReturnType<typeof initParams>;

const norm = layerNorm(D);
const attn = multiHeadAttention(D, H, { causal: true });
const mlpIn = linear(D, 4 * D);
const mlpOut = linear(4 * D, D);

function loss(p: Params, x: lt.Tensor, y: lt.Tensor): lt.Tensor {
  let h = p.embedding.take(x, 0).add(p.positions);
  h = h.add(attn.apply(p.attn, norm.apply(p.ln1, h)));
  h = h.add(mlpOut.apply(p.mlp_out, lt.gelu(mlpIn.apply(p.mlp_in, norm.apply(p.ln2, h)))));
  const logits = lt.matmul(norm.apply(p.ln_f, h), p.embedding.transpose());
  return crossEntropy(logits, y);
}

/**
 * B8: steps/s over `steps` jitted steps after `warmups`, each reading the
 * loss back; the loss of the last step.
 */
export function b8(steps = 50, warmups = 5): { stepsPerSecond: number; loss: number } {
  let params = initParams();
  const tokens = lt.tensor(workloads.B8().tokens, { shape: [B, T + 1], dtype: "int32" });
  const x = tokens.slice(null, [0, T]);
  const y = tokens.slice(null, [1, T + 1]);
  const optimizer = adamw(1e-3, { weightDecay: 0.01 });
  let state = optimizer.init(params);
  const step = lt.jit((p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
    const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
    const [updates, next] = optimizer.update(grads, s, p);
    return [applyUpdates(p, updates), next, value] as const;
  });
  let last = NaN;
  let t0 = 0;
  for (let i = 0; i < warmups + steps; i++) {
    if (i === warmups) t0 = performance.now();
    const [p, s, value] = step(params, state, x, y);
    params = p;
    state = s;
    last = value.item();
  }
  return { stepsPerSecond: steps / ((performance.now() - t0) / 1000), loss: last };
}

if (import.meta.main) {
  const r = b8();
  console.log(
    `B8 jit: ${r.stepsPerSecond.toFixed(1)} steps/s, loss after the 55 steps ${r.loss.toFixed(5)}`,
  );
}
