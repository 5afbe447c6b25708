/**
 * The matmul workloads of issue #18 (B1 at chosen sizes, B3, B4 jit)
 * for Lathe's Wasm tier, jax-js and TensorFlow.js-wasm, interleaved in one
 * process: each round runs every system once, so load that comes and goes
 * hits all of them alike. Prints per-round values, the median over rounds
 * and the median of the per-round Lathe ÷ peer ratios, with the load
 * average before and after.
 *
 *     deno run --config bench/deno.json --allow-read --allow-env --allow-sys=loadavg \
 *       bench/matmul_peers.ts [--sizes 256,1024] [--rounds 5] [--only B1,B3,B4]
 *
 * Method per round: B1 is the median of 5 calls (fresh input tensors for
 * Lathe, each read back in full) after 2 warm-ups; jax-js runs `jit(matmul)`
 * read with `await data()` (its worker pool, its best mode on 512 and 1024
 * in bench/RESULTS.md) and with `dataSync()` (the calling thread), and the
 * faster counts; TFJS-wasm runs `tf.matMul` in `tf.tidy` on 1 thread (as
 * bench/run.ts). B3 and B4 run the adapters of bench/peers/ (all their
 * modes, best taken) and Lathe's bench/run.ts workloads. The Wasm tier
 * means no native BLAS: the script is run without `--allow-ffi`.
 * @module
 */
import * as lt from "../mod.ts";
import { jit, numpy as np } from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { workloads } from "./inputs.ts";
import { b4 } from "./train_workloads.ts";
import { median, type PeerOptions, type SystemReport } from "./peers/common.ts";
import { runJaxjs } from "./peers/jaxjs.ts";
import { runTfjs } from "./peers/tfjs.ts";

function option(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : fallback;
}

const sizes = option("sizes", "256,1024").split(",").map(Number);
const rounds = Number(option("rounds", "5"));
const only = new Set(option("only", "B1,B3,B4").split(","));
const RUNS = 5;
const WARMUPS = 2;

/** Median ms of `fn` over RUNS calls after WARMUPS; `make` builds each call's inputs untimed. */
async function timed<T>(make: () => T, fn: (x: T) => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUPS + RUNS; i++) {
    const x = make();
    const t0 = performance.now();
    await fn(x);
    if (i >= WARMUPS) times.push(performance.now() - t0);
  }
  return median(times);
}

function latheB1(n: number): Promise<number> {
  const { a, b } = workloads.B1(n);
  return timed(
    () => [lt.tensor(a, { shape: [n, n] }), lt.tensor(b, { shape: [n, n] })],
    ([x, y]) => x.matmul(y).dataSync(),
  );
}

async function jaxB1(n: number): Promise<number> {
  const { a, b } = workloads.B1(n);
  const A = np.array(a as Float32Array<ArrayBuffer>).reshape([n, n]);
  const B = np.array(b as Float32Array<ArrayBuffer>).reshape([n, n]);
  const mm = jit(np.matmul) as unknown as (
    x: np.Array,
    y: np.Array,
  ) => np.Array;
  const async = await timed(() => 0, () => mm(A.ref, B.ref).data());
  const sync = await timed(() => 0, () => mm(A.ref, B.ref).dataSync());
  A.dispose(), B.dispose();
  return Math.min(async, sync);
}

async function tfB1(n: number): Promise<number> {
  const { a, b } = workloads.B1(n);
  const A = tf.tensor2d(a, [n, n]), B = tf.tensor2d(b, [n, n]);
  const ms = await timed(() => 0, () => {
    const out = tf.tidy(() => tf.matMul(A, B));
    out.dataSync();
    out.dispose();
  });
  tf.dispose([A, B]);
  return ms;
}

function latheB3(): Promise<number> {
  const { x, w, b } = workloads.B3();
  return timed(
    () => [
      lt.tensor(x, { shape: [256, 784] }),
      lt.tensor(w, { shape: [784, 256] }),
      lt.tensor(b),
    ],
    ([x, w, b]) => lt.relu(x.matmul(w).add(b)).dataSync(),
  );
}

/** The best mode's value of one workload in a peer's report (lower or higher is better). */
function best(r: SystemReport, key: string, higher: boolean): number {
  const values = (r.results[key as keyof typeof r.results] ?? []).flatMap((m) =>
    "value" in m ? [m.value] : []
  );
  return higher ? Math.max(...values) : Math.min(...values);
}

type Row = {
  what: string;
  unit: string;
  higher: boolean;
  values: Map<string, number[]>;
};
const rows = new Map<string, Row>();
function put(
  what: string,
  unit: string,
  higher: boolean,
  system: string,
  value: number,
): void {
  let row = rows.get(what);
  if (row === undefined) {
    rows.set(what, row = { what, unit, higher, values: new Map() });
  }
  let list = row.values.get(system);
  if (list === undefined) row.values.set(system, list = []);
  list.push(value);
}

const gflops = (n: number, ms: number) => 2 * n ** 3 / ms / 1e6;
const peerOpts = (id: string): PeerOptions => ({
  only: new Set([id]),
  runs: RUNS,
  warmups: 1,
});
// as bench/peers/tfjs.ts: Deno reads the .wasm file from the npm package's dist folder
setWasmPaths(
  dirname(
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"),
  ) + "/",
);
setThreadsCount(1);
const loadBefore = Deno.loadavg();
lt.setCpuBackend("wasm", { blas: false });
for (let round = 0; round < rounds; round++) {
  for (const n of only.has("B1") ? sizes : []) {
    put(`B1 ${n}`, "GFLOP/s", true, "Lathe", gflops(n, await latheB1(n)));
    put(`B1 ${n}`, "GFLOP/s", true, "jax-js", gflops(n, await jaxB1(n)));
    if (!(await tf.setBackend("wasm"))) {
      throw new Error("tfjs-wasm did not start");
    }
    put(`B1 ${n}`, "GFLOP/s", true, "tfjs-wasm", gflops(n, await tfB1(n)));
  }
  if (only.has("B3")) {
    put("B3", "ms", false, "Lathe", await latheB3());
    put(
      "B3",
      "ms",
      false,
      "jax-js",
      best(await runJaxjs(peerOpts("B3")), "B3", false),
    );
    put(
      "B3",
      "ms",
      false,
      "tfjs-wasm",
      best(await runTfjs("wasm", peerOpts("B3")), "B3", false),
    );
  }
  if (only.has("B4")) {
    put("B4 jit", "steps/s", true, "Lathe", b4("jit", 100, 10).stepsPerSecond);
    const jax = await runJaxjs(peerOpts("B4"));
    put("B4 jit", "steps/s", true, "jax-js", best(jax, "B4", true));
    put(
      "B4 jit",
      "steps/s",
      true,
      "tfjs-wasm",
      best(await runTfjs("wasm", peerOpts("B4")), "B4", true),
    );
  }
  console.log(
    `round ${round + 1}/${rounds}, load ${Deno.loadavg().map((l) => l.toFixed(2))}`,
  );
}
const loadAfter = Deno.loadavg();

const f = (x: number) => x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
console.log(
  `\n| workload | unit | Lathe | jax-js | tfjs-wasm | Lathe ÷ jax-js (per round) |`,
);
console.log(`|---|---|---|---|---|---|`);
for (const row of rows.values()) {
  const l = row.values.get("Lathe")!, j = row.values.get("jax-js")!;
  const ratio = l.map((v, i) => v / j[i]);
  const cells = ["Lathe", "jax-js", "tfjs-wasm"].map((s) => f(median(row.values.get(s)!)));
  const spread = `${f(median(ratio))} (${f(Math.min(...ratio))}–${f(Math.max(...ratio))})`;
  console.log(
    `| ${row.what} | ${row.unit} | ${cells.join(" | ")} | ${spread} |`,
  );
}
console.log(
  `\nper round: ${
    JSON.stringify(
      [...rows.values()].map((
        r,
      ) => [
        r.what,
        Object.fromEntries([...r.values].map(([k, v]) => [k, v.map(f)])),
      ]),
    )
  }`,
);
console.log(
  `load average before ${loadBefore.map((l) => l.toFixed(2))}, after ${
    loadAfter.map((l) => l.toFixed(2))
  }; Lathe threads ${lt.cpuThreads()}`,
);
