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
import { b8Trainer } from "./_b8_model.ts";

/**
 * B8: steps/s over `steps` jitted steps after `warmups`, each reading the
 * loss back; the loss of the last step.
 */
export function b8(steps = 50, warmups = 5): { stepsPerSecond: number; loss: number } {
  const trainer = b8Trainer();
  trainer.run(warmups);
  const t0 = performance.now();
  trainer.run(steps);
  return { stepsPerSecond: steps / ((performance.now() - t0) / 1000), loss: trainer.loss() };
}

if (import.meta.main) {
  const r = b8();
  console.log(
    `B8 jit: ${r.stepsPerSecond.toFixed(1)} steps/s, loss after the 55 steps ${r.loss.toFixed(5)}`,
  );
}
