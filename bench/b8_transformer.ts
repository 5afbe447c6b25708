/**
 * SPEC's B8 (bench/SPEC.md): one pre-norm transformer block train
 * step (tokens [16, 64], vocabulary 96, d 128, 4 causal heads, MLP 512,
 * head = embeddingᵀ, AdamW lr 1e-3 wd 0.01), Lathe under jit against
 * PyTorch eager on the same initial weights and tokens (from inputs.ts; the
 * PyTorch side is bench/b8_torch.py). Prints steps/s over 50 steps after 5
 * warm-up, the loss after the 55 steps of each, and the ratio. The JS peers
 * (jax-js, TensorFlow.js) are not run here yet.
 *
 * Usage: `deno run -A bench/b8_transformer.ts [--torch-threads 1]`
 * @module
 */
import * as lt from "../mod.ts";
import { crossEntropy, layerNorm, linear, multiHeadAttention } from "../nn/mod.ts";
import { adamw, applyUpdates } from "../nn/optim.ts";
import { workloads } from "./inputs.ts";

const threads = Deno.args.includes("--torch-threads")
  ? Deno.args[Deno.args.indexOf("--torch-threads") + 1]
  : "1";
const [B, T, V, D, H] = [16, 64, 96, 128, 4];
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
const tokens = lt.tensor(inputs.tokens, { shape: [B, T + 1], dtype: "int32" });
const x = tokens.slice(null, [0, T]);
const y = tokens.slice(null, [1, T + 1]);
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

const optimizer = adamw(1e-3, { weightDecay: 0.01 });
let state = optimizer.init(params);
const step = lt.jit((p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
  const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
  const [updates, next] = optimizer.update(grads, s, p);
  return [applyUpdates(p, updates), next, value] as const;
});
let last = 0;
let start = 0;
for (let i = 0; i < 55; i++) {
  if (i === 5) start = performance.now();
  const [p, s, value] = step(params, state, x, y);
  params = p;
  state = s;
  last = value.item();
}
const latheRate = 50 / ((performance.now() - start) / 1000);

const dir = await Deno.makeTempDir();
const dump = {
  embedding: [...inputs.embedding],
  positions: [...inputs.positions],
  inProj: [...inputs.inProj],
  outProj: [...inputs.outProj],
  mlpIn: [...inputs.mlpIn],
  mlpOut: [...inputs.mlpOut],
  tokens: [...inputs.tokens],
};
await Deno.writeTextFile(`${dir}/b8.json`, JSON.stringify(dump));
const out = await new Deno.Command("/usr/bin/python3", {
  args: [new URL("./b8_torch.py", import.meta.url).pathname, `${dir}/b8.json`, threads],
  stderr: "inherit",
}).output();
await Deno.remove(dir, { recursive: true });
if (!out.success) throw new Error("bench/b8_torch.py failed");
const torch = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
console.log("| B8 transformer block train step | steps/s | loss after 55 steps |");
console.log("| --- | --- | --- |");
console.log(`| Lathe (jit, cpu) | ${latheRate.toFixed(1)} | ${last.toFixed(5)} |`);
console.log(
  `| PyTorch ${torch.torch} eager (${threads} thread${threads === "1" ? "" : "s"}) | ${
    torch.rate.toFixed(1)
  } | ${torch.loss.toFixed(5)} |`,
);
const ratio = latheRate / torch.rate;
const same = Math.abs(last - torch.loss) <= 1e-3 * Math.abs(torch.loss);
console.log(
  `Lathe/PyTorch ${ratio.toFixed(2)}x (target >= 1.0x: ${ratio >= 1 ? "hit" : "missed"}); losses ${
    same ? "equal" : "DIFFER"
  } (rtol 1e-3)`,
);
