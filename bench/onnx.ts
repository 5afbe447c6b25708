/**
 * ONNX inference latency, side by side with the runtime JS users already
 * pick: Lathe's `importOnnx` (under jit) against onnxruntime-node (native)
 * and onnxruntime-web (wasm), on one MLP (784 → 256 → 256 → 10 by default)
 * and the MNIST CNN demo's network (`_onnx_cnn.ts`), at batch 1 and 64. Each
 * timed run makes its input from a Float32Array and reads the whole output,
 * for every runtime; the outputs are checked to agree.
 *
 *     deno run -A bench/onnx.ts [--models mlp,cnn] [--sizes 784,256,256,10] [--runs 200] [--warmups 20]
 *
 * The onnxruntime packages (npm, ~440 MB together with their native
 * binaries) are imported on first run only, so type-checking the project
 * never fetches them; a runtime that fails to load is reported as n/a.
 * @module
 */
import * as lt from "../mod.ts";
import { importOnnx } from "../nn/mod.ts";
import { median } from "./reference.ts";
import { mlpOnnx } from "./_onnx_mlp.ts";
import { cnnOnnx } from "./_onnx_cnn.ts";

function arg(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Deno.args[at + 1] : fallback;
}

const sizes = arg("sizes", "784,256,256,10").split(",").map(Number);
const runs = Number(arg("runs", "200"));
const warmups = Number(arg("warmups", "20"));

/** A benchmarked model: its bytes and its input's shape at a batch size. */
interface Bench {
  label: string;
  bytes: Uint8Array;
  shape(batch: number): number[];
}

const allModels: Record<string, () => Bench> = {
  mlp: () => ({
    label: `MLP ${sizes.join(" → ")}`,
    bytes: mlpOnnx(sizes),
    shape: (batch) => [batch, sizes[0]],
  }),
  cnn: () => ({
    label: "CNN (the MNIST demo's: conv 16, pool, conv 32, pool, 1568 → 64 → 10) on 1×28×28",
    bytes: cnnOnnx(),
    shape: (batch) => [batch, 1, 28, 28],
  }),
};

/** One runtime: a name and `run(x, batch)` returning the output values. */
interface Runner {
  name: string;
  run(x: Float32Array, batch: number): Promise<ArrayLike<number>>;
}

interface OrtModule {
  env: { wasm: { numThreads: number } };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => unknown;
  InferenceSession: {
    create(bytes: Uint8Array, options?: { intraOpNumThreads?: number }): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number> }>>;
    }>;
  };
}

async function ort(
  bench: Bench,
  name: string,
  specifier: string,
  threads: number,
): Promise<Runner | string> {
  try {
    const mod = (await import(specifier)) as OrtModule & { default?: OrtModule };
    const o = mod.InferenceSession === undefined ? mod.default! : mod;
    if (specifier.includes("web")) o.env.wasm.numThreads = threads;
    const session = await o.InferenceSession.create(bench.bytes, { intraOpNumThreads: threads });
    return {
      name,
      run: async (x, batch) => {
        const out = await session.run({ x: new o.Tensor("float32", x, bench.shape(batch)) });
        return out.y.data;
      },
    };
  } catch (e) {
    return `${name}: n/a (${(e as Error).message.split("\n")[0]})`;
  }
}

async function measure(bench: Bench): Promise<void> {
  const model = importOnnx(bench.bytes);
  const threads = lt.cpuThreads();
  const runners: Runner[] = [{
    name: `Lathe importOnnx (jit, ${threads} threads${lt.blasLibrary() ? ", BLAS" : ""})`,
    run: (x, batch) =>
      Promise.resolve(model.run({ x: lt.tensor(x, { shape: bench.shape(batch) }) }).y.dataSync()),
  }];
  // NOTE: computed specifiers, so `deno check` never downloads the packages
  const specifiers = { node: "npm:onnxruntime-node@1.31.1", web: "npm:onnxruntime-web@1.31.1" };
  const missing: string[] = [];
  for (
    const r of [
      await ort(bench, `onnxruntime-node (${threads} threads)`, specifiers.node, threads),
      await ort(bench, "onnxruntime-web (wasm, 1 thread)", specifiers.web, 1),
    ]
  ) {
    if (typeof r === "string") missing.push(r);
    else runners.push(r);
  }

  const rows: string[] = [];
  for (const batch of [1, 64]) {
    const n = bench.shape(batch).reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const reference = Array.from(await runners[0].run(x, batch));
    const cells: string[] = [];
    for (const r of runners) {
      const got = await r.run(x, batch);
      const worst = reference.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
      if (!(worst <= 1e-4)) {
        throw new Error(
          `${r.name} disagrees with Lathe on ${bench.label} (batch ${batch}): ${worst}`,
        );
      }
      for (let i = 0; i < warmups; i++) await r.run(x, batch);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        await r.run(x, batch);
        times.push(performance.now() - start);
      }
      cells.push(median(times).toFixed(3));
    }
    rows.push(`| ${batch} | ${cells.join(" | ")} |`);
  }
  console.log(`\n${bench.label}, median of ${runs} runs after ${warmups} warm-ups (ms):\n`);
  console.log(`| batch | ${runners.map((r) => r.name).join(" | ")} |`);
  console.log(`| ---: | ${runners.map(() => "---:").join(" | ")} |`);
  for (const row of rows) console.log(row);
  for (const m of missing) console.log(m);
}

for (const name of arg("models", "mlp,cnn").split(",")) {
  const make = allModels[name];
  if (make === undefined) {
    throw new Error(
      `bench/onnx.ts: unknown model "${name}": expected mlp or cnn, e.g. --models cnn`,
    );
  }
  await measure(make());
}
