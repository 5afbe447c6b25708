/**
 * Lathe's CPU benchmark (the workloads of bench/SPEC.md), side by
 * side with its peers (jax-js, TensorFlow.js cpu and wasm, PyTorch) on the
 * same inputs with the same method, in one command:
 *
 *     deno task bench [--only B1,B2] [--peers lathe,jaxjs,tfjs,torch] [--runs N] [--warmups N]
 *                     [--torch-threads N]
 *     deno task bench --device webgpu [--only B1,B2] [--b1-sizes 128,512] [--b4-steps N]
 *                     [--b5-steps N] [--runs N] [--warmups N]
 *
 * `--device webgpu` runs Lathe alone (peers skipped) on WebGPU and writes
 * bench/RESULTS_WEBGPU.md: see bench/webgpu.ts.
 *
 * (`tfjs` means both tfjs-cpu and tfjs-wasm; each can be named alone.) The
 * peer adapters live in bench/peers/; PyTorch runs as a Python subprocess
 * and is n/a when `/usr/bin/python3 -c "import torch"` fails.
 *
 * Method (SPEC): median of >= 5 timed runs after >= 2 warm-ups; each timed
 * run builds the lazy graph and realizes it with `dataSync()`, so it includes
 * scheduling, kernel launch and the full result. Every run (warm-ups too) gets
 * its own freshly created input tensors, made before the timed loop, because a
 * realized node keeps its buffer: re-running an expression on an already
 * realized graph can return without computing. As a guard, the script checks
 * that `kernelStats().launched` grew by (kernels per call) x (runs) over the
 * timed loop. Each result is checked once against a plain-JS float64
 * reference. Prints a markdown table and writes it to bench/RESULTS.md.
 * @module
 */
import * as lt from "../mod.ts";
import { workloads } from "./inputs.ts";
import { b4, b5 } from "./train_workloads.ts";
import { b7, convSpeed } from "./cnn_workload.ts";
import { b8 } from "./b8_workload.ts";
import { B5_LOSS, type Key, keysOf, type SystemReport } from "./peers/common.ts";
import { runJaxjs } from "./peers/jaxjs.ts";
import { runTfjs } from "./peers/tfjs.ts";
import { runTorch } from "./peers/torch.ts";
import { runWebgpu } from "./webgpu.ts";
import { COLD_CALLS, coldRun, coldWorkloads } from "./cold.ts";
import { allModes, fmt, mdTable, sideBySide } from "./report.ts";
import {
  checkPeerLosses,
  LOSS_RTOL,
  sameLoss,
  targetsTable,
  torchLoss,
  TRAIN_KEYS,
} from "./targets.ts";
import {
  checkB1,
  compare,
  median,
  refB2,
  refB3,
  refB6Softmax,
  refB6Sum,
  wrap,
} from "./reference.ts";

// ---------------------------------------------------------------- arguments

const ALL_PEERS = ["lathe", "jaxjs", "tfjs-cpu", "tfjs-wasm", "torch"] as const;
type System = typeof ALL_PEERS[number];

interface Options {
  only: Set<string> | undefined;
  peers: Set<System>;
  /** torch.set_num_threads (SPEC machine: 2). */
  torchThreads: number;
  runs: number;
  warmups: number;
  /** `--device webgpu`: Lathe alone on WebGPU (bench/webgpu.ts). */
  device: "cpu" | "webgpu";
  /** WebGPU mode only: B1 sizes and the B4/B5 step counts. */
  b1Sizes: number[];
  b4Steps: number;
  b5Steps: number;
}

function parseArgs(args: readonly string[]): Options {
  let only: Set<string> | undefined;
  let runs: number | undefined;
  let warmups = 2;
  let device: "cpu" | "webgpu" = "cpu";
  let b1Sizes = [128, 512];
  let b4Steps = 10;
  let b5Steps = 1000;
  let peers = new Set<System>(ALL_PEERS);
  let torchThreads = 2;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--only") only = new Set(value().toUpperCase().split(",").map((s) => s.trim()));
    else if (flag === "--peers") {
      peers = new Set();
      for (const name of value().toLowerCase().split(",").map((s) => s.trim())) {
        if (name === "tfjs") peers.add("tfjs-cpu").add("tfjs-wasm");
        else if (name === "jax-js" || name === "jax") peers.add("jaxjs");
        else if (name === "pytorch") peers.add("torch");
        else if ((ALL_PEERS as readonly string[]).includes(name)) peers.add(name as System);
        else throw new Error(`unknown peer ${name} (use ${ALL_PEERS.join(",")} or tfjs)`);
      }
    } else if (flag === "--torch-threads") torchThreads = Number(value());
    else if (flag === "--runs") runs = Number(value());
    else if (flag === "--warmups") warmups = Number(value());
    else if (flag === "--device") {
      const d = value().toLowerCase();
      if (d !== "cpu" && d !== "webgpu") throw new Error(`unknown device ${d} (use cpu or webgpu)`);
      device = d;
    } else if (flag === "--b1-sizes") b1Sizes = value().split(",").map((s) => Number(s.trim()));
    else if (flag === "--b4-steps") b4Steps = Number(value());
    else if (flag === "--b5-steps") b5Steps = Number(value());
    else {throw new Error(
        `unknown argument ${
          args[i]
        } (use --only B1,B2 --peers lathe,jaxjs,tfjs,torch --torch-threads N --runs N --warmups N ` +
          `--device cpu|webgpu --b1-sizes 128,512 --b4-steps N --b5-steps N)`,
      );}
  }
  // the WebGPU mode defaults to SPEC's minimum (a software adapter is slow)
  runs ??= device === "webgpu" ? 5 : 11;
  if (!Number.isInteger(runs) || runs < 5) throw new Error("--runs must be an integer >= 5 (SPEC)");
  if (!Number.isInteger(warmups) || warmups < 2) throw new Error("--warmups must be >= 2 (SPEC)");
  if (!Number.isInteger(torchThreads) || torchThreads < 1) {
    throw new Error("--torch-threads must be a positive integer");
  }
  const counts: [string, number][] = [
    ["--b4-steps", b4Steps],
    ["--b5-steps", b5Steps],
    ...b1Sizes.map((n): [string, number] => ["--b1-sizes", n]),
  ];
  for (const [name, v] of counts) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs positive integers`);
  }
  return { only, peers, torchThreads, runs, warmups, device, b1Sizes, b4Steps, b5Steps };
}

// ---------------------------------------------------------------- timing

interface Timing {
  /** Median ms per call over the timed runs. */
  median: number;
  /** Every timed run, ms. */
  times: number[];
  /** Kernels one call runs (from `explain`, before realizing). */
  kernels: number;
  /** Kernels compiled (kernel-cache misses) per timed call. */
  compiledPerCall: number;
  /** The first timed run's result (for the correctness check). */
  result: Float32Array;
  runs: number;
  warmups: number;
}

/**
 * Times `compute` over fresh inputs: `makeInputs` is called once per run
 * (warm-ups included) before any timing, so no run sees a realized graph.
 */
function timeIt<I>(
  makeInputs: () => I,
  compute: (inputs: I) => lt.Tensor,
  runs: number,
  warmups: number,
): Timing {
  const kernels = lt.explain(compute(makeInputs())).kernels.length;
  const pool = Array.from({ length: warmups + runs }, makeInputs);
  for (let i = 0; i < warmups; i++) compute(pool[i]).dataSync();
  const before = lt.kernelStats();
  const times: number[] = [];
  let result: Float32Array | undefined;
  for (let i = warmups; i < pool.length; i++) {
    const t0 = performance.now();
    const out = compute(pool[i]).dataSync();
    times.push(performance.now() - t0);
    result ??= out as Float32Array;
  }
  const after = lt.kernelStats();
  const launched = after.launched - before.launched;
  if (launched !== kernels * runs) {
    throw new Error(
      `timing is not real: expected ${
        kernels * runs
      } kernel launches over ${runs} runs, saw ${launched}`,
    );
  }
  const compiledPerCall = (after.compiled - before.compiled) / runs;
  return { median: median(times), times, kernels, compiledPerCall, result: result!, runs, warmups };
}

// ---------------------------------------------------------------- workloads

/** One table row. */
interface Row {
  id: string;
  /** The side-by-side metric this row measures, its number, and the B5 loss. */
  key: Key;
  num: number;
  /** Median ms per call (where the row's number is a rate). */
  ms?: number;
  loss?: number;
  workload: string;
  value: string;
  unit: string;
  kernels: string;
  check: string;
  notes: string;
}

const spread = (t: Timing) =>
  `${t.runs} runs after ${t.warmups} warm-ups, min ${fmt(Math.min(...t.times))} / max ${
    fmt(Math.max(...t.times))
  } ms${t.compiledPerCall > 0 ? `; ${fmt(t.compiledPerCall)} kernel(s) recompiled per call` : ""}`;

/** Median ms of a hand-written plain-JS loop (2 warm-ups), for context in the notes. */
function plainMs(fn: () => void, runs = 7): number {
  fn();
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const B1_1024_RUNS = 7;

function b1(opts: Options): Row[] {
  const rows: Row[] = [];
  for (const n of [128, 512, 1024]) {
    const { a, b } = workloads.B1(n);
    // Plain-JS kernels make a 1024^3 matmul cost ~0.6 s: fewer runs (SPEC's minimum is 5).
    const runs = n === 1024
      ? Math.min(opts.runs, B1_1024_RUNS)
      : Math.max(opts.runs, n === 128 ? 21 : 0);
    const t = timeIt(
      () => ({ a: lt.tensor(a, { shape: [n, n] }), b: lt.tensor(b, { shape: [n, n] }) }),
      ({ a, b }) => a.matmul(b),
      runs,
      opts.warmups,
    );
    const gflops = 2 * n ** 3 / (t.median * 1e-3) / 1e9;
    rows.push({
      id: "B1",
      key: keysOf("B1")[[128, 512, 1024].indexOf(n)],
      num: gflops,
      ms: t.median,
      workload: `B1 matmul ${n}x${n}`,
      value: fmt(gflops),
      unit: "GFLOP/s",
      kernels: String(t.kernels),
      check: checkB1(t.result, a, b, n),
      notes: `${fmt(t.median)} ms/call; ${spread(t)}${
        n === 1024 && runs < opts.runs ? ` (runs capped at ${B1_1024_RUNS}: ~0.6 s per call)` : ""
      }`,
    });
  }
  return rows;
}

function b2(opts: Options): Row[] {
  const { x } = workloads.B2();
  const t = timeIt(
    () => lt.tensor(x),
    (x) => lt.sigmoid(x.mul(2).add(1)).mul(lt.relu(x)).sub(x.mul(0.5)),
    opts.runs,
    opts.warmups,
  );
  const want = refB2(x);
  const plain = plainMs(() => {
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = (1 / (1 + Math.exp(-(v * 2 + 1)))) * (v > 0 ? v : 0) - 0.5 * v;
    }
  });
  const gbs = 8 * x.length / (t.median * 1e-3) / 1e9;
  return [{
    id: "B2",
    key: "B2",
    num: t.median,
    workload: "B2 elementwise chain (1,048,576)",
    value: fmt(t.median),
    unit: "ms",
    kernels: String(t.kernels),
    check: compare(t.result, want, 1e-6, 1e-5),
    notes: `${fmt(gbs)} GB/s at 8 B/elem; hand-written JS loop: ${fmt(plain)} ms; ${spread(t)}`,
  }];
}

function b3(opts: Options): Row[] {
  const { x, w, b } = workloads.B3();
  const t = timeIt(
    () => ({
      x: lt.tensor(x, { shape: [256, 784] }),
      w: lt.tensor(w, { shape: [784, 256] }),
      b: lt.tensor(b, { shape: [256] }),
    }),
    ({ x, w, b }) => lt.relu(x.matmul(w).add(b)),
    Math.max(opts.runs, 11),
    opts.warmups,
  );
  const want = refB3(x, w, b);
  return [{
    id: "B3",
    key: "B3",
    num: t.median,
    workload: "B3 dense relu(X@W+b) 256x784x256",
    value: fmt(t.median),
    unit: "ms",
    kernels: String(t.kernels),
    check: compare(t.result, want, 1e-4, 1e-4),
    notes: `${fmt(2 * 256 * 784 * 256 / (t.median * 1e-3) / 1e9)} GFLOP/s; ${spread(t)}`,
  }];
}

function b6(opts: Options): Row[] {
  const { x, m } = workloads.B6();
  const ts = timeIt(() => lt.tensor(x), (x) => x.sum(), Math.max(opts.runs, 11), opts.warmups);
  const { sum: want, abs } = refB6Sum(x);
  const sumRow: Row = {
    id: "B6",
    key: "B6-sum",
    num: ts.median,
    workload: "B6 sum (1,048,576)",
    value: fmt(ts.median),
    unit: "ms",
    kernels: String(ts.kernels),
    check: compare(ts.result, [want], 1e-6 * abs, 0),
    notes: `${fmt(4 * x.length / (ts.median * 1e-3) / 1e9)} GB/s read; hand-written JS loop: ${
      fmt(plainMs(() => {
        let s = 0;
        for (let i = 0; i < x.length; i++) s += x[i];
        if (s === Infinity) console.log(s);
      }, 21))
    } ms; ${spread(ts)}`,
  };

  const tm = timeIt(
    () => lt.tensor(m, { shape: [1024, 1024] }),
    (m) => lt.softmax(m, 1),
    opts.runs,
    opts.warmups,
  );
  const ref = refB6Softmax(m);
  const softRow: Row = {
    id: "B6",
    key: "B6-softmax",
    num: tm.median,
    workload: "B6 softmax rows 1024x1024",
    value: fmt(tm.median),
    unit: "ms",
    kernels: String(tm.kernels),
    check: compare(tm.result, ref, 1e-7, 1e-4),
    notes: `hand-written JS loop: ${
      fmt(plainMs(() => {
        const y = new Float32Array(m.length);
        for (let r = 0; r < m.length; r += 1024) {
          let mx = -Infinity, s = 0;
          for (let c = 0; c < 1024; c++) if (m[r + c] > mx) mx = m[r + c];
          for (let c = 0; c < 1024; c++) s += y[r + c] = Math.exp(m[r + c] - mx);
          for (let c = 0; c < 1024; c++) y[r + c] /= s;
        }
      }))
    } ms; ${spread(tm)}`,
  };
  return [sumRow, softRow];
}

function trainRows(id: "B4" | "B5"): Row[] {
  return (["eager", "jit"] as const).map((mode) => {
    if (id === "B5") {
      const r = b5(mode);
      const ok = Math.abs(r.loss - B5_LOSS) < 1e-3 * B5_LOSS;
      return {
        id,
        key: "B5",
        num: r.ms,
        loss: r.loss,
        workload: `B5 seed-004 loop, 1000 SGD steps (${mode})`,
        value: r.ms.toFixed(1),
        unit: "ms / 1000 steps",
        kernels: "—",
        check: ok ? "ok" : `MISMATCH (final loss ${r.loss.toExponential(4)} vs 6.3404e-05)`,
        notes: `final loss ${r.loss.toExponential(4)}`,
      };
    }
    const r = b4(mode);
    return {
      id,
      key: "B4",
      num: r.stepsPerSecond,
      workload: `B4 MLP train step 784-256-10, batch 128 (${mode})`,
      value: r.stepsPerSecond.toFixed(1),
      unit: "steps/s",
      kernels: "—",
      check: Number.isFinite(r.loss) ? "ok" : "MISMATCH (loss not finite)",
      notes: `loss after 220 steps ${r.loss.toFixed(4)}`,
    };
  });
}

// ---------------------------------------------------------------- cold starts

/**
 * The cold table: per eager workload, the warm median of this run beside
 * the median of the first calls in a fresh process, and a reused input's
 * warm median beside a fresh one's, taking turns in one process (bench/cold.ts).
 */
async function coldTable(rows: readonly Row[], want: (id: string) => boolean): Promise<string> {
  const body: string[][] = [];
  for (const [key, w] of Object.entries(coldWorkloads)) {
    const row = rows.find((r) => r.key === (key === "B1" ? "B1-512" : key));
    if (!want(key.slice(0, 2)) || row === undefined) continue;
    const c = await coldRun(key);
    const warm = row.ms ?? row.num;
    body.push([
      w.name,
      fmt(warm),
      fmt(c.cold),
      fmt(c.cold / c.later),
      `${fmt(c.reuse)} (cold ${fmt(c.reuseCold)})`,
      fmt(c.fresh),
      fmt(c.reuse / c.fresh),
    ]);
  }
  const head = [
    "workload",
    "warm median ms",
    `cold ms (first ${COLD_CALLS} calls, fresh process)`,
    "cold ÷ later calls",
    "reused input ms (later calls, taking turns)",
    "fresh inputs ms (same process)",
    "reused ÷ fresh",
  ];
  return body.length === 0 ? "" : mdTable(head, body);
}

/** A train-step row (B7, B8, jit): steps/s and the loss of the last step. */
function trainStepRow(
  key: "B7" | "B8",
  workload: string,
  r: { stepsPerSecond: number; loss: number },
  notes: string,
): Row {
  return {
    id: key,
    key,
    num: r.stepsPerSecond,
    loss: r.loss,
    workload,
    value: r.stepsPerSecond.toFixed(1),
    unit: "steps/s",
    kernels: "—",
    check: Number.isFinite(r.loss) ? "ok" : "MISMATCH (loss not finite)",
    notes: `loss after the 55 steps (5 warm-up + 50 timed) ${r.loss.toFixed(6)}${notes}`,
  };
}

/** B7 (jit), plus conv GFLOP/s forward and backward. */
function b7Rows(): Row[] {
  const r = b7();
  const c = convSpeed();
  const conv = `; conv 16→32 3×3 on 64×14×14: forward ${c.forward.toFixed(1)} GFLOP/s, backward ` +
    `(input + weight gradients) ${c.backward.toFixed(1)} GFLOP/s`;
  return [trainStepRow("B7", "B7 CNN train step, batch 64, Adam (jit)", r, conv)];
}

/** B8 (jit). */
function b8Rows(): Row[] {
  const workload = "B8 transformer block train step, tokens [16,64], AdamW (jit)";
  return [trainStepRow("B8", workload, b8(), "")];
}

// ---------------------------------------------------------------- main

/** Lathe's detail table (one row per workload and mode). */
function latheTable(rows: readonly Row[]): string {
  const head = ["workload", "Lathe median", "unit", "kernels/call", "check", "notes"];
  return mdTable(head, rows.map((r) => [r.workload, r.value, r.unit, r.kernels, r.check, r.notes]));
}

/** Lathe's rows as a system report for the side-by-side table. */
function latheReport(rows: readonly Row[]): SystemReport {
  const r: SystemReport = {
    name: "Lathe",
    version: "0.1.0 (this checkout)",
    threads: lt.cpuBackend() === "wasm"
      ? `${lt.cpuThreads()} thread(s) (Wasm SIMD kernels where a kernel has a Wasm form, JS ` +
        `elsewhere; big kernels split over worker threads: ${lt.kernelStats().threaded} ` +
        `launches split so far, LATHE_THREADS=1 turns it off)`
      : "1 thread (plain JS kernels)",
    info: [],
    results: {},
  };
  for (const row of rows) {
    const mode = row.workload.match(/\((eager|jit)\)$/)?.[1] ?? "lazy graph";
    const m = { value: row.num, mode, loss: row.loss };
    if (row.check.startsWith("MISMATCH")) m.mode += ` (${row.check}: WRONG)`;
    (r.results[row.key] ??= []).push(m);
  }
  return r;
}

/** /proc/cpuinfo (Deno wants --allow-all for /proc; Python reads it), or "" when that fails. */
async function cpuinfo(): Promise<string> {
  try {
    const args = ["-c", "print(open('/proc/cpuinfo').read())"];
    const p = await new Deno.Command("/usr/bin/python3", { args, stdout: "piped", stderr: "null" })
      .output();
    return new TextDecoder().decode(p.stdout);
  } catch {
    return "";
  }
}

function sys<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Machine facts for the report. */
async function machine(): Promise<string[]> {
  const release = sys(() => Deno.osRelease()) ?? "kernel release n/a";
  const info = await cpuinfo();
  const cpu = info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "n/a";
  const flags = info.match(/^flags\s*:\s*(.*)$/m)?.[1].split(" ");
  const mem = sys(() => Deno.systemMemoryInfo().total);
  return [
    `machine: ${Deno.build.os} ${release} (${Deno.build.arch}); CPU ${cpu}; ` +
    `${navigator.hardwareConcurrency} logical CPUs; AVX-512F ${
      flags ? (flags.includes("avx512f") ? "yes" : "no") : "n/a"
    }; memory ${mem ? (mem / 2 ** 30).toFixed(1) + " GiB" : "n/a"}`,
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
  ];
}

const loadavg = () => sys(() => Deno.loadavg().map((x) => x.toFixed(2)).join(" ")) ?? "n/a";

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  const want = (id: string) => opts.only === undefined || opts.only.has(id);
  const suites: [string, () => Row[]][] = [
    ["B1", () => b1(opts)],
    ["B2", () => b2(opts)],
    ["B3", () => b3(opts)],
    ["B4", () => trainRows("B4")],
    ["B5", () => trainRows("B5")],
    ["B6", () => b6(opts)],
    ["B7", () => b7Rows()],
    ["B8", () => b8Rows()],
  ];
  const unknown = [...opts.only ?? []].filter((id) => !suites.some(([s]) => s === id));
  if (unknown.length > 0) throw new Error(`unknown workload(s) ${unknown.join(", ")} (B1..B8)`);
  const ids = suites.map(([id]) => id).filter(want);
  if (opts.device === "webgpu") {
    const code = await runWebgpu({
      only: opts.only,
      runs: opts.runs,
      warmups: opts.warmups,
      b1Sizes: opts.b1Sizes,
      b4Steps: opts.b4Steps,
      b4Warmups: 2,
      b5Steps: opts.b5Steps,
      skippedPeers: [...opts.peers].filter((p) => p !== "lathe"),
      args: Deno.args,
    });
    Deno.exit(code);
  }
  const loadBefore = loadavg();
  const start = performance.now();
  const rows: Row[] = [];
  const elapsed = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  if (opts.peers.has("lathe")) {
    for (const [id, run] of suites) {
      if (!want(id)) continue;
      const t0 = performance.now();
      rows.push(...run());
      console.error(`Lathe ${id} done in ${elapsed(t0)}`);
    }
  }
  const cold = opts.peers.has("lathe") ? await coldTable(rows, want) : "";
  if (cold) console.error("Lathe cold starts done");
  const peerOpts = { only: new Set(ids), runs: opts.runs, warmups: opts.warmups };
  const peers: SystemReport[] = [];
  const adapters: [System, () => Promise<SystemReport>][] = [
    ["jaxjs", () => runJaxjs(peerOpts)],
    ["tfjs-cpu", () => runTfjs("cpu", peerOpts)],
    ["tfjs-wasm", () => runTfjs("wasm", peerOpts)],
    ["torch", () => runTorch(peerOpts, opts.torchThreads)],
  ];
  for (const [name, run] of adapters) {
    if (!opts.peers.has(name)) continue;
    const t0 = performance.now();
    peers.push(await run());
    console.error(`${name} done in ${elapsed(t0)}`);
  }
  // B7/B8: every system's loss after the 55 steps must equal PyTorch's (same inputs, same
  // optimizer), to LOSS_RTOL (bench/targets.ts says why 2%)
  for (const key of TRAIN_KEYS) {
    const row = rows.find((r) => r.key === key);
    const ref = torchLoss(peers, key);
    if (row?.loss === undefined || ref === undefined || row.check.startsWith("MISMATCH")) continue;
    row.check = sameLoss(row.loss, ref)
      ? `ok (PyTorch's loss ${ref.toFixed(6)})`
      : `MISMATCH (loss ${row.loss} vs PyTorch's ${ref})`;
  }
  checkPeerLosses(peers);
  const lathe = opts.peers.has("lathe") ? latheReport(rows) : undefined;
  const side = sideBySide(lathe, peers);
  const targets = targetsTable(lathe, peers);
  const details = rows.length > 0 ? latheTable(rows) : "";
  const total = elapsed(start);
  console.log(side);
  if (targets) console.log(`\n${targets}`);
  if (cold) console.log(`\n${cold}`);
  const bad = rows.filter((r) => r.check.startsWith("MISMATCH"));
  console.log(
    `\nLathe correctness vs plain-JS float64 reference: ${
      bad.length === 0 ? "ok" : `MISMATCH in ${bad.map((r) => r.workload).join(", ")}`
    }; total ${total}`,
  );

  const item = (text: string) => wrap(text, "- ", "  ");
  const args = Deno.args.length > 0 ? " " + Deno.args.join(" ") : "";
  const systems = [...(lathe ? [lathe] : []), ...peers];
  const md = [
    "# Lathe benchmark results, side by side with its peers",
    "",
    wrap(
      "Workloads: bench/SPEC.md; every system gets the same inputs " +
        "(bench/inputs.ts; PyTorch regenerates them in Python and its arrays' SHA-256 " +
        "hashes are checked against the TS generator's). Generated by:",
    ),
    "",
    "```sh",
    `deno task bench${args}`,
    "```",
    "",
    item(`date: ${new Date().toISOString()}; whole run ${total}`),
    ...(await machine()).map(item),
    item(
      `load average (1/5/15 min) before: ${loadBefore}; after: ${loadavg()} (other jobs share ` +
        `this machine; a load above ~1 means the 2-thread PyTorch and jax-js worker runs compete ` +
        `for the 2 cores)`,
    ),
    ...systems.map((s) => item(`${s.name}: ${s.version}; threads: ${s.threads}`)),
    ...systems.flatMap((s) => s.info.map(item)),
    item(
      `method: median of >= 5 timed runs after ${opts.warmups} warm-ups (${opts.runs} runs ` +
        `by default; B1 1024 uses 7, 5 on tfjs-cpu), each run reading the whole result back to ` +
        `host memory (dataSync / await data() / .numpy()). B4: steps/s over 200 steps after 20 ` +
        `warm-up steps; B5: total ms of 1000 steps from the initial weights, final loss checked ` +
        `against ${B5_LOSS.toExponential(4)} (0.1%); both read w2 back after every step. B7/B8: ` +
        `steps/s over 50 steps after 5 warm-up steps, each reading its loss back; the loss of ` +
        `the 55th step checked against PyTorch's on 1 thread (${LOSS_RTOL * 100}%).`,
    ),
    "",
    "## Side by side (best mode of each system)",
    "",
    side,
    "",
    wrap(
      "A cell is the median and the mode that gave the best value; ✗ marks a result that failed " +
        "its check (excluded from the ratio). Ratio: Lathe's value ÷ the best peer's; for " +
        "'higher' rows a ratio > 1 means Lathe is ahead, for 'lower' rows a ratio < 1 means Lathe " +
        "is ahead.",
    ),
    "",
    ...(targets
      ? [
        "## Targets of the train steps (issues #14, #15)",
        "",
        targets,
        "",
        wrap(
          `Same run, same machine load (above). A loss that differs from PyTorch's (1 thread) ` +
            `by more than ${LOSS_RTOL * 100}% after the 55 steps is marked ✗ and left out of the ` +
            `ratios. ` +
            `jax-js and TensorFlow.js write the same layers with their own APIs ` +
            `(bench/peers/jaxjs_train.ts, bench/peers/tfjs_train.ts; their module docs list the ` +
            `workarounds for kernels TFJS's wasm backend lacks).`,
        ),
        "",
      ]
      : []),
    ...(cold
      ? [
        "## Cold starts (Lathe, eager)",
        "",
        cold,
        "",
        wrap(
          `cold: the median of the first ${COLD_CALLS} calls in a fresh process (fresh input ` +
            `tensors, made before timing), beside this run's warm median; the ratio divides it ` +
            `by the median of the later calls in the same process (fresh inputs), which the load ` +
            `of a shared machine sways less. Reused input: the later calls of another process ` +
            `in which a reused input tensor and fresh ones take turns call by call, so both see ` +
            `the same load and the same garbage collections (bench/cold.ts).`,
        ),
        "",
      ]
      : []),
    ...(allModes(systems).length > 0
      ? ["## Every mode measured", "", ...allModes(systems).map(item), ""]
      : []),
    ...(details
      ? [
        "## Lathe details",
        "",
        details,
        "",
        wrap("check: this run's result against a plain-JS float64 reference."),
        "",
      ]
      : []),
  ].join("\n");
  await Deno.writeTextFile(new URL("./RESULTS.md", import.meta.url), md);
  // jax-js keeps its worker pool alive; exit explicitly.
  Deno.exit(0);
}
