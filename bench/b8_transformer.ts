/**
 * SPEC's B8 (bench/SPEC.md): one pre-norm transformer block train
 * step (tokens [16, 64], vocabulary 96, d 128, 4 causal heads, MLP 512,
 * head = embeddingᵀ, AdamW lr 1e-3 wd 0.01), Lathe under jit against
 * PyTorch eager on the same initial weights and tokens (from inputs.ts; the
 * PyTorch side is bench/b8_torch.py). Prints steps/s over 50 steps after 5
 * warm-up, the loss after the 55 steps of each, and the ratio. The JS peers
 * (jax-js, TensorFlow.js) are not run here yet. bench/b8_interleaved.ts
 * alternates the two in short runs, for a loaded machine.
 *
 * Usage: `deno run -A bench/b8_transformer.ts [--torch-threads 1]`
 * @module
 */
import { b8Trainer } from "./_b8_model.ts";

const threads = Deno.args.includes("--torch-threads")
  ? Deno.args[Deno.args.indexOf("--torch-threads") + 1]
  : "1";
const trainer = b8Trainer();
trainer.run(5);
const start = performance.now();
trainer.run(50);
const latheRate = 50 / ((performance.now() - start) / 1000);
const last = trainer.loss();

const dir = await Deno.makeTempDir();
await Deno.writeTextFile(`${dir}/b8.json`, trainer.json());
const out = await new Deno.Command("/usr/bin/python3", {
  args: [
    new URL("./b8_torch.py", import.meta.url).pathname,
    `${dir}/b8.json`,
    threads,
  ],
  stderr: "inherit",
}).output();
await Deno.remove(dir, { recursive: true });
if (!out.success) throw new Error("bench/b8_torch.py failed");
const torch = JSON.parse(
  new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
);
console.log(
  "| B8 transformer block train step | steps/s | loss after 55 steps |",
);
console.log("| --- | --- | --- |");
console.log(
  `| Lathe (jit, cpu) | ${latheRate.toFixed(1)} | ${last.toFixed(5)} |`,
);
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
