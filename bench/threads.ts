/**
 * Worker threads on and off, interleaved in one process: square matmuls
 * (SPEC B1, plus the sizes around the threshold), each timed run on fresh
 * inputs and realized with `dataSync()`. Prints median ms and GFLOP/s per
 * thread count and the on/off ratio of the medians (the machine is shared,
 * so the ratios say more than the absolute numbers).
 *
 *     deno run --allow-env bench/threads.ts [--sizes 128,256,512,1024] [--runs 15] [--threads 2]
 * @module
 */
import * as lt from "../mod.ts";
import { mulberry32 } from "../tests/_random.ts";
import { median } from "./reference.ts";

function option(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : fallback;
}

const sizes = option("sizes", "128,256,512,1024").split(",").map(Number);
const runs = Number(option("runs", "15"));
const most = Number(option("threads", String(Math.max(2, lt.cpuThreads()))));

function input(n: number, seed: number): lt.Tensor {
  const r = mulberry32(seed);
  return lt.tensor(Float32Array.from({ length: n * n }, () => r() - 0.5), { shape: [n, n] });
}

lt.setCpuBackend("wasm", { blas: false });
console.log(`| N | threads | median ms | GFLOP/s | on/off |`);
console.log(`|---|---|---|---|---|`);
for (const n of sizes) {
  const times = new Map<number, number[]>([[1, []], [most, []]]);
  for (let r = 0; r < runs + 2; r++) {
    for (const t of times.keys()) {
      lt.setCpuThreads(t);
      const [a, b] = [input(n, 2 * r + 1), input(n, 2 * r + 2)];
      const t0 = performance.now();
      a.matmul(b).dataSync();
      if (r >= 2) times.get(t)!.push(performance.now() - t0);
    }
  }
  const off = median(times.get(1)!);
  for (const [t, ts] of times) {
    const ms = median(ts);
    const gflops = (2 * n ** 3 / ms / 1e6).toFixed(1);
    console.log(`| ${n} | ${t} | ${ms.toFixed(3)} | ${gflops} | ${(off / ms).toFixed(2)} |`);
  }
}
console.log(`\nworker jobs: ${lt.kernelStats().workerJobs}`);
