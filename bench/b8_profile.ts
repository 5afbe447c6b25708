/**
 * B8 kernel by kernel: runs the jitted train step of bench/_b8_model.ts and
 * times each kernel of its program (the gap between consecutive kernels'
 * output checks, `setOutputCheck`), summed over `--steps` steps, in wall
 * time or, with `--cpu`, in the process's CPU time (steadier on a loaded
 * machine; all threads: run with `LATHE_THREADS=1`); prints the
 * kernels by total time with their tier, fused ops, shape and bytes read and
 * written. A profile, not a benchmark: the hook costs a little per kernel,
 * and it turns off the merging of sibling kernels (jit/_siblings.ts), so the
 * kernels are timed separately.
 *
 * Usage: `deno run -A bench/b8_profile.ts [--steps=20] [--top=40] [--cpu]`
 * @module
 */
import process from "node:process";
import { b8Trainer } from "./_b8_model.ts";
import { setOutputCheck } from "../jit/runtime/cpu/kernels.ts";
import { kernelBackend } from "../jit/runtime/cpu/kernels.ts";
import type { Kernel } from "../jit/kernel.ts";

const flag = (name: string, fallback: number) =>
  Number(
    Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ??
      fallback,
  );
const [steps, top] = [flag("steps", 20), flag("top", 40)];

const trainer = b8Trainer();
trainer.run(3);
interface Row {
  kernel: Kernel;
  ms: number;
  calls: number;
}
const rows = new Map<Kernel, Row>();
const cpu = Deno.args.includes("--cpu");
const now = (): number => {
  if (!cpu) return performance.now();
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let last = 0;
setOutputCheck((kernel) => {
  const t = now();
  const row = rows.get(kernel) ?? { kernel, ms: 0, calls: 0 };
  row.ms += t - last;
  row.calls++;
  rows.set(kernel, row);
  last = now();
});
let total = 0;
for (let i = 0; i < steps; i++) {
  last = now();
  const t0 = last;
  trainer.run(1);
  total += now() - t0;
}
setOutputCheck(undefined);
const bytes = (k: Kernel) =>
  k.inputs.reduce((s, n) => s + n.shape.reduce((a, b) => a * b, 1) * 4, 0) +
  k.shape.reduce((a, b) => a * b, 1) * 4;
const sorted = [...rows.values()].sort((a, b) => b.ms - a.ms);
const kernelMs = sorted.reduce((s, r) => s + r.ms, 0);
console.log(
  `${rows.size} kernels; ${(total / steps).toFixed(2)} ms/step, ${
    (kernelMs / steps).toFixed(2)
  } in kernels`,
);
const byTier = new Map<string, number>();
for (const r of sorted) {
  const tier = `${r.kernel.kind}/${kernelBackend(r.kernel)}`;
  byTier.set(tier, (byTier.get(tier) ?? 0) + r.ms / steps);
}
console.log(
  [...byTier].map(([t, ms]) => `${t} ${ms.toFixed(2)}`).join(", "),
);
for (const r of sorted.slice(0, top)) {
  const k = r.kernel;
  const ops = k.fused.map((n) => n.op).join(",");
  console.log(
    `${(r.ms / steps).toFixed(3).padStart(7)} ms ${kernelBackend(k).padEnd(4)} ${
      k.kind.padEnd(6)
    } [${k.shape}] ${(bytes(k) / 1024).toFixed(0)} KiB in=${k.inputs.length} ${ops.slice(0, 110)}`,
  );
}
