/**
 * B8 (bench/b8_workload.ts) on a loaded machine: Lathe and PyTorch eager
 * (bench/b8_torch.py --serve, a process kept alive) take turns in short
 * chunks of steps, so both see the same load. Each round times one Lathe
 * chunk between two PyTorch chunks and prints the ratio of steps/s against
 * their mean, by wall time and by CPU time (a process's CPU seconds, all its
 * threads); then every ratio and their medians. Run Lathe single-threaded
 * (`LATHE_THREADS=1 OPENBLAS_NUM_THREADS=1`) to compare with PyTorch's one
 * thread.
 *
 * Usage: `deno run -A bench/b8_interleaved.ts [--rounds=8] [--chunk=10]`
 * @module
 */
import process from "node:process";
import { b8Trainer } from "./_b8_model.ts";

const flag = (name: string, fallback: number) =>
  Number(
    Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ??
      fallback,
  );
const [rounds, chunk] = [flag("rounds", 8), flag("chunk", 10)];

interface Timing {
  s: number;
  cpu: number;
}

const trainer = b8Trainer();
trainer.run(5);
const lathe = (n: number): Timing => {
  const [c0, t0] = [process.cpuUsage(), performance.now()];
  trainer.run(n);
  const c = process.cpuUsage(c0);
  return {
    s: (performance.now() - t0) / 1000,
    cpu: (c.user + c.system) / 1e6,
  };
};

const dir = await Deno.makeTempDir();
await Deno.writeTextFile(`${dir}/b8.json`, trainer.json());
const script = new URL("./b8_torch.py", import.meta.url).pathname;
const py = new Deno.Command("/usr/bin/python3", {
  args: [script, `${dir}/b8.json`, "1", "--serve"],
  stdin: "piped",
  stdout: "piped",
}).spawn();
const writer = py.stdin.getWriter();
const lines = py.stdout.pipeThrough(new TextDecoderStream()).getReader();
let pending = "";
async function readLine(): Promise<string> {
  while (!pending.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("bench/b8_torch.py --serve stopped");
    pending += value;
  }
  const i = pending.indexOf("\n");
  const line = pending.slice(0, i);
  pending = pending.slice(i + 1);
  return line;
}
async function torch(n: number): Promise<Timing & { loss: number }> {
  await writer.write(new TextEncoder().encode(`${n}\n`));
  return JSON.parse(await readLine());
}

await readLine(); // "ready": warmed up
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < rounds; r++) {
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
  const before = await torch(chunk);
  const ours = lathe(chunk);
  const after = await torch(chunk);
  wall.push((before.s + after.s) / 2 / ours.s);
  cpu.push((before.cpu + after.cpu) / 2 / ours.cpu);
  console.log(
    `round ${r + 1} (load ${load}): Lathe ${(chunk / ours.s).toFixed(1)} steps/s, PyTorch ${
      (chunk / before.s).toFixed(1)
    } and ${(chunk / after.s).toFixed(1)}: ${wall.at(-1)!.toFixed(2)}x wall, ${
      cpu.at(-1)!.toFixed(2)
    }x cpu`,
  );
}
await writer.close();
await py.status;
await Deno.remove(dir, { recursive: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(" ");
console.log(
  `Lathe/PyTorch by wall time: ${list(wall)}; median ${median(wall).toFixed(2)}x`,
);
console.log(
  `Lathe/PyTorch by CPU time: ${list(cpu)}; median ${median(cpu).toFixed(2)}x`,
);
