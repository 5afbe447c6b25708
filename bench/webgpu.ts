/**
 * `deno task bench --device webgpu`: SPEC B1–B6 for Lathe on WebGPU (peers are
 * skipped in this mode). Same inputs as the CPU mode; every tensor is created
 * on the device and each timed run ends with `await t.data()` (the full
 * readback). Results are checked against the plain-JS float64 references (B1,
 * B2, B3, B6) or against Lathe's CPU run of the same number of steps (B4, B5).
 * Writes bench/RESULTS_WEBGPU.md. Without a WebGPU adapter it says so and
 * exits 0.
 *
 * Defaults keep a software adapter (Mesa lavapipe/llvmpipe) affordable: B1 at
 * 128 and 512 (`--b1-sizes 128,512,1024,4096` for more), 2 warm-ups + 5 runs,
 * B4 10 steps after 2 warm-up steps (`--b4-steps`; SPEC: 200 after 20), B5
 * SPEC's 1000 steps (`--b5-steps`).
 * @module
 */
import * as lt from "../mod.ts";
import { webgpuStats } from "../jit/runtime/webgpu/device.ts";
import { workloads } from "./inputs.ts";
import { b4, b4Device, b5, b5Device } from "./train_workloads.ts";
import { fmt, mdTable } from "./report.ts";
import { B5_LOSS } from "./peers/common.ts";
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

/** Options of the WebGPU mode. */
export interface WebGpuBenchOptions {
  only: Set<string> | undefined;
  runs: number;
  warmups: number;
  b1Sizes: number[];
  b4Steps: number;
  b4Warmups: number;
  b5Steps: number;
  /** Peers the user asked for (other than lathe): skipped, with a note. */
  skippedPeers: string[];
  /** The command line, for the report. */
  args: readonly string[];
}

interface Row {
  workload: string;
  value: string;
  unit: string;
  kernels: string;
  check: string;
  notes: string;
}

interface Timing {
  median: number;
  times: number[];
  kernels: number;
  dispatchesPerCall: number;
  result: ArrayLike<number>;
  runs: number;
  warmups: number;
}

/**
 * Times `compute` over fresh device inputs (one set per run, warm-ups
 * included, made before timing); each timed run ends with `await data()`.
 * Guard: the WebGPU dispatch counter must grow by at least one per timed run.
 */
async function timeIt<I>(
  makeInputs: () => I,
  compute: (inputs: I) => lt.Tensor,
  runs: number,
  warmups: number,
): Promise<Timing> {
  const kernels = lt.explain(compute(makeInputs())).kernels.length;
  const pool = Array.from({ length: warmups + runs }, makeInputs);
  for (let i = 0; i < warmups; i++) await compute(pool[i]).data();
  const before = webgpuStats().dispatches;
  const times: number[] = [];
  let result: ArrayLike<number> | undefined;
  for (let i = warmups; i < pool.length; i++) {
    const t0 = performance.now();
    const out = await compute(pool[i]).data();
    times.push(performance.now() - t0);
    result ??= out as ArrayLike<number>;
  }
  const dispatched = webgpuStats().dispatches - before;
  if (dispatched < runs) {
    throw new Error(
      `timing is not real: expected >= ${runs} WebGPU dispatches over ${runs} runs, saw ${dispatched}`,
    );
  }
  return {
    median: median(times),
    times,
    kernels,
    dispatchesPerCall: dispatched / runs,
    result: result!,
    runs,
    warmups,
  };
}

const spread = (t: Timing) =>
  `${t.runs} runs after ${t.warmups} warm-ups, min ${fmt(Math.min(...t.times))} / max ${
    fmt(Math.max(...t.times))
  } ms; ${fmt(t.dispatchesPerCall)} dispatch(es)/call`;

async function b1(dev: lt.Device, o: WebGpuBenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of o.b1Sizes) {
    const { a, b } = workloads.B1(n);
    const t = await timeIt(
      () => ({
        a: lt.tensor(a, { shape: [n, n], device: dev }),
        b: lt.tensor(b, { shape: [n, n], device: dev }),
      }),
      ({ a, b }) => a.matmul(b),
      o.runs,
      o.warmups,
    );
    const gflops = 2 * n ** 3 / (t.median * 1e-3) / 1e9;
    rows.push({
      workload: `B1 matmul ${n}x${n}`,
      value: fmt(gflops),
      unit: "GFLOP/s",
      kernels: String(t.kernels),
      check: checkB1(t.result, a, b, n),
      notes: `${fmt(t.median)} ms/call (${fmt(gflops / 1000)} TFLOP/s); ${spread(t)}`,
    });
  }
  return rows;
}

async function b2(dev: lt.Device, o: WebGpuBenchOptions): Promise<Row[]> {
  const { x } = workloads.B2();
  const t = await timeIt(
    () => lt.tensor(x, { device: dev }),
    (x) => lt.sigmoid(x.mul(2).add(1)).mul(lt.relu(x)).sub(x.mul(0.5)),
    o.runs,
    o.warmups,
  );
  return [{
    workload: "B2 elementwise chain (1,048,576)",
    value: fmt(t.median),
    unit: "ms",
    kernels: String(t.kernels),
    check: compare(t.result, refB2(x), 1e-6, 1e-5),
    notes: `${fmt(8 * x.length / (t.median * 1e-3) / 1e9)} GB/s at 8 B/elem; ${spread(t)}`,
  }];
}

async function b3(dev: lt.Device, o: WebGpuBenchOptions): Promise<Row[]> {
  const { x, w, b } = workloads.B3();
  const t = await timeIt(
    () => ({
      x: lt.tensor(x, { shape: [256, 784], device: dev }),
      w: lt.tensor(w, { shape: [784, 256], device: dev }),
      b: lt.tensor(b, { shape: [256], device: dev }),
    }),
    ({ x, w, b }) => lt.relu(x.matmul(w).add(b)),
    o.runs,
    o.warmups,
  );
  return [{
    workload: "B3 dense relu(X@W+b) 256x784x256",
    value: fmt(t.median),
    unit: "ms",
    kernels: String(t.kernels),
    check: compare(t.result, refB3(x, w, b), 1e-4, 1e-4),
    notes: `${fmt(2 * 256 * 784 * 256 / (t.median * 1e-3) / 1e9)} GFLOP/s; ${spread(t)}`,
  }];
}

async function b6(dev: lt.Device, o: WebGpuBenchOptions): Promise<Row[]> {
  const { x, m } = workloads.B6();
  const ts = await timeIt(
    () => lt.tensor(x, { device: dev }),
    (x) => x.sum(),
    o.runs,
    o.warmups,
  );
  const { sum, abs } = refB6Sum(x);
  const tm = await timeIt(
    () => lt.tensor(m, { shape: [1024, 1024], device: dev }),
    (m) => lt.softmax(m, 1),
    o.runs,
    o.warmups,
  );
  return [{
    workload: "B6 sum (1,048,576)",
    value: fmt(ts.median),
    unit: "ms",
    kernels: String(ts.kernels),
    check: compare(ts.result, [sum], 1e-6 * abs, 0),
    notes: `${fmt(4 * x.length / (ts.median * 1e-3) / 1e9)} GB/s read; ${spread(ts)}`,
  }, {
    workload: "B6 softmax rows 1024x1024",
    value: fmt(tm.median),
    unit: "ms",
    kernels: String(tm.kernels),
    check: compare(tm.result, refB6Softmax(m), 1e-7, 1e-4),
    notes: spread(tm),
  }];
}

const JIT_NOTE = "jit with GPU arguments currently runs eagerly (no compiled replay)";

async function train(id: "B4" | "B5", dev: lt.Device, o: WebGpuBenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const mode of ["eager", "jit"] as const) {
    if (id === "B4") {
      const r = await b4Device(mode, dev, o.b4Steps, o.b4Warmups);
      const cpu = b4(mode, o.b4Steps, o.b4Warmups);
      rows.push({
        workload: `B4 MLP train step 784-256-10, batch 128 (${mode})`,
        value: r.stepsPerSecond.toFixed(2),
        unit: "steps/s",
        kernels: "—",
        check: compare([r.loss], [cpu.loss], 1e-5, 1e-3) === "ok"
          ? "ok"
          : `MISMATCH (loss ${r.loss} vs cpu ${cpu.loss})`,
        notes: `${o.b4Steps} steps after ${o.b4Warmups} warm-up steps (SPEC: 200 after 20); ` +
          `loss ${r.loss.toFixed(4)} (Lathe cpu, same steps: ${cpu.loss.toFixed(4)})` +
          (mode === "jit" ? `; ${JIT_NOTE}` : ""),
      });
    } else {
      const r = await b5Device(mode, dev, o.b5Steps);
      const cpu = b5(mode, o.b5Steps);
      // at SPEC's 1000 steps, also SPEC's final loss (0.1%)
      const spec = o.b5Steps !== 1000 || Math.abs(r.loss - B5_LOSS) < 1e-3 * B5_LOSS;
      rows.push({
        workload: `B5 seed-004 loop, ${o.b5Steps} SGD steps (${mode})`,
        value: r.ms.toFixed(1),
        unit: `ms / ${o.b5Steps} steps`,
        kernels: "—",
        check: compare([r.loss], [cpu.loss], 1e-7, 1e-3) === "ok" && spec
          ? "ok"
          : `MISMATCH (loss ${r.loss} vs cpu ${cpu.loss})`,
        notes: (o.b5Steps === 1000
          ? `SPEC's 1000 steps (final loss checked against ${B5_LOSS.toExponential(4)}); `
          : `SPEC: 1000 steps (its final loss ${B5_LOSS.toExponential(4)} needs all 1000); `) +
          `loss after ${o.b5Steps} steps ${r.loss.toExponential(4)} ` +
          `(Lathe cpu, same steps: ${cpu.loss.toExponential(4)}); ` +
          `~${(r.ms / o.b5Steps).toFixed(1)} ms/step` + (mode === "jit" ? `; ${JIT_NOTE}` : ""),
      });
    }
  }
  return rows;
}

/** The adapter's description, from a separate `requestAdapter()`. */
async function adapterInfo(): Promise<string> {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return "n/a";
    const i = adapter.info;
    return `vendor ${i.vendor || "n/a"}, architecture ${i.architecture || "n/a"}, ` +
      `device ${i.device || "n/a"}, description ${i.description || "n/a"}`;
  } catch (e) {
    return `n/a (${(e as Error).message})`;
  }
}

/** A software adapter (Mesa lavapipe / llvmpipe, SwiftShader, WARP) by its description. */
const isSoftware = (info: string) => /llvmpipe|lavapipe|swiftshader|warp|software/i.test(info);

/** Runs the WebGPU mode; returns the process exit code. */
export async function runWebgpu(o: WebGpuBenchOptions): Promise<number> {
  const dev = await lt.device("webgpu");
  if (dev !== "webgpu") {
    console.log(
      "WebGPU benchmark: no WebGPU adapter is available on this machine; nothing was measured " +
        "(bench/RESULTS_WEBGPU.md left unchanged).",
    );
    return 0;
  }
  const info = await adapterInfo();
  const software = isSoftware(info);
  const disclaimer = software
    ? "This adapter is a software rasterizer (Mesa lavapipe/llvmpipe: the GPU is emulated on the " +
      "CPU). These numbers only show that every workload ran and matched the reference: they are " +
      "NOT speed claims for Lathe on a GPU."
    : "Hardware adapter: numbers are this machine's Lathe WebGPU timings.";
  console.error(`WebGPU adapter: ${info}`);
  console.error(disclaimer);
  if (o.skippedPeers.length > 0) {
    console.error(`peers skipped in --device webgpu mode: ${o.skippedPeers.join(", ")}`);
  }
  const suites: [string, () => Promise<Row[]>][] = [
    ["B1", () => b1(dev, o)],
    ["B2", () => b2(dev, o)],
    ["B3", () => b3(dev, o)],
    ["B4", () => train("B4", dev, o)],
    ["B5", () => train("B5", dev, o)],
    ["B6", () => b6(dev, o)],
  ];
  const start = performance.now();
  const elapsed = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const rows: Row[] = [];
  for (const [id, run] of suites) {
    if (o.only !== undefined && !o.only.has(id)) continue;
    const t0 = performance.now();
    rows.push(...await run());
    console.error(`Lathe webgpu ${id} done in ${elapsed(t0)}`);
  }
  const total = elapsed(start);
  const table = mdTable(
    ["workload", "Lathe webgpu median", "unit", "kernels/call", "check", "notes"],
    rows.map((r) => [r.workload, r.value, r.unit, r.kernels, r.check, r.notes]),
  );
  const bad = rows.filter((r) => r.check.startsWith("MISMATCH"));
  const verdict = bad.length === 0 ? "ok" : `MISMATCH in ${bad.map((r) => r.workload).join(", ")}`;
  console.log(`WebGPU adapter: ${info}\n${disclaimer}\n`);
  console.log(table);
  console.log(`\nLathe webgpu correctness vs reference: ${verdict}; total ${total}`);

  const item = (text: string) => wrap(text, "- ", "  ");
  const args = o.args.length > 0 ? " " + o.args.join(" ") : "";
  const md = [
    "# Lathe WebGPU benchmark results",
    "",
    ...(software ? ["**" + disclaimer + "**", ""].map((l) => wrap(l)) : [wrap(disclaimer), ""]),
    wrap(
      "Workloads: bench/SPEC.md B1–B6, Lathe only (peers are skipped in this mode), " +
        "same inputs as the CPU mode (bench/inputs.ts), every tensor created on the " +
        "device. Generated by:",
    ),
    "",
    "```sh",
    `deno task bench${args}`,
    "```",
    "",
    item(`date: ${new Date().toISOString()}; whole run ${total}`),
    item(`WebGPU adapter: ${info}`),
    item(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`),
    item(
      `method: median of ${o.runs} timed runs after ${o.warmups} warm-ups, fresh device inputs ` +
        `per run, each run ending with \`await t.data()\` (the full readback); B1 sizes ` +
        `${o.b1Sizes.join(", ")}. B4: steps/s over ${o.b4Steps} steps after ${o.b4Warmups} ` +
        `warm-up steps (SPEC: 200 after 20); B5: ${o.b5Steps} steps (SPEC: 1000); both read w2 ` +
        `back with \`await data()\` after every step. Fewer B4 steps keep a software adapter ` +
        `affordable; B4/B5 losses are checked against Lathe's CPU run of the same steps (0.1%), ` +
        `and B5's against SPEC's final loss at 1000 steps.`,
    ),
    item(`${JIT_NOTE}: the jit rows measure the same eager GPU work.`),
    item(`correctness: ${verdict}`),
    "",
    table,
    "",
    wrap(
      "check: B1/B2/B3/B6 against a plain-JS float64 reference (tolerances as in the CPU mode); " +
        "B4/B5 against Lathe's CPU loss after the same steps.",
    ),
    "",
  ].join("\n");
  await Deno.writeTextFile(new URL("./RESULTS_WEBGPU.md", import.meta.url), md);
  return bad.length === 0 ? 0 : 1;
}
