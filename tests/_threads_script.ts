// Run by threads_test.ts in a subprocess: a big matmul (with a bias+relu
// epilogue) until the worker pool has run a share of one, then prints its
// checksum and the thread counters. The process must then exit by itself:
// the idle pool ends its workers.
import * as lt from "../mod.ts";

// the Wasm tier (under Bun, bun:ffi would hand big matmuls to a system BLAS)
lt.setCpuBackend("wasm", { blas: false });

const n = 384;
const a = lt.tensor(Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), { shape: [n, n] });
const b = lt.tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
let values: ArrayLike<number> = [];
for (let i = 0; i < 100; i++) {
  values = lt.relu(a.matmul(a.transpose()).add(b)).dataSync();
  if (lt.kernelStats().workerJobs > 0 || lt.cpuThreads() === 1) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const sum = Array.from(values).reduce((s, v) => s + v, 0);
const { threaded, workerJobs } = lt.kernelStats();
console.log(JSON.stringify({ sum, threads: lt.cpuThreads(), threaded, workerJobs }));
