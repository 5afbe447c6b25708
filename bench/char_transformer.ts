/**
 * The char transformer in Lathe (jit, CPU) and in PyTorch (eager, CPU) on
 * the same data split, initial weights and batches: runs
 * examples/char_transformer.ts with `--dump`, then
 * bench/char_transformer_torch.py on the dump, and prints both validation
 * losses (the target: Lathe's within 2% of PyTorch's), the training-loop wall
 * times and their ratio. PyTorch runs on 1 thread by default: on this
 * shared 2-core machine its 2-thread runs were 20x slower (`--torch-threads 2`).
 *
 * Usage: `deno run -A bench/char_transformer.ts [--steps 2000] [--torch-threads 1]`
 * @module
 */
const arg = (name: string, fallback: string) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : fallback;
};
const steps = arg("steps", "2000");
const threads = arg("torch-threads", "1");
const dir = await Deno.makeTempDir();

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

console.log(`training both for ${steps} steps…`);
await run(Deno.execPath(), [
  "run",
  "-A",
  new URL("../examples/char_transformer.ts", import.meta.url).pathname,
  "--steps",
  steps,
  "--dump",
  `${dir}/dump.json`,
  "--result",
  `${dir}/lathe.json`,
]);
const torchOut = await run("/usr/bin/python3", [
  new URL("./char_transformer_torch.py", import.meta.url).pathname,
  `${dir}/dump.json`,
  threads,
]);
const lathe = JSON.parse(await Deno.readTextFile(`${dir}/lathe.json`));
const torch = JSON.parse(torchOut.trim().split("\n").at(-1)!);
await Deno.remove(dir, { recursive: true });
const gap = (lathe.valLoss - torch.valLoss) / torch.valLoss;
console.log(`| | validation loss | training loop | steps/s |`);
console.log(`| --- | --- | --- | --- |`);
console.log(
  `| Lathe (jit, cpu) | ${lathe.valLoss.toFixed(4)} | ${lathe.seconds.toFixed(1)} s | ${
    (Number(steps) / lathe.seconds).toFixed(1)
  } |`,
);
console.log(
  `| PyTorch ${torch.torch} (eager, ${threads} thread${threads === "1" ? "" : "s"}) | ${
    torch.valLoss.toFixed(4)
  } | ${torch.seconds.toFixed(1)} s | ${(Number(steps) / torch.seconds).toFixed(1)} |`,
);
console.log(
  `loss gap ${(gap * 100).toFixed(3)}% (target within 2%: ${
    Math.abs(gap) <= 0.02 ? "met" : "missed"
  }); Lathe/PyTorch time ${(lathe.seconds / torch.seconds).toFixed(2)}x`,
);
