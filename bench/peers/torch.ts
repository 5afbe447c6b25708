/**
 * PyTorch through bench/peers/torch_bench.py, run with /usr/bin/python3 when
 * `import torch` works there (Debian's python3-torch); otherwise every
 * workload is n/a with the reason. The script generates the inputs itself
 * (a port of bench/inputs.ts) and reports SHA-256 hashes of them, which
 * are checked here against the TS generator's arrays.
 * @module
 */
import { workloads } from "../inputs.ts";
import { b5LossOk, keysOf, type Measure, type PeerOptions, type SystemReport } from "./common.ts";

const PYTHON = "/usr/bin/python3";

interface TorchOut {
  torch: string;
  numpy: string;
  python: string;
  threads: number;
  interop_threads: number;
  config: string[];
  blas: {
    libraries: string[];
    openblas_core?: string;
    openblas_config?: string;
    openblas_threads?: number;
  };
  env: Record<string, string>;
  hashes: Record<string, string>;
  results: Record<string, Measure[]>;
}

async function sha256(a: Float32Array | Int32Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", a as Float32Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The TS generator's arrays under the names torch_bench.py hashes. */
function tsInputs(name: string): Float32Array | Int32Array | undefined {
  const [id, a, b] = name.split("-");
  if (id === "B1") return (workloads.B1(Number(a)) as Record<string, Float32Array>)[b];
  const w =
    (workloads as unknown as Record<string, () => Record<string, Float32Array | Int32Array>>)[
      id
    ];
  return w?.()[a];
}

async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const p = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: p.code, out: dec.decode(p.stdout), err: dec.decode(p.stderr) };
}

/** Runs torch_bench.py with 2 threads (or reports why PyTorch is not available). */
export async function runTorch(opts: PeerOptions, threads = 2): Promise<SystemReport> {
  const r: SystemReport = {
    name: "PyTorch",
    version: "n/a",
    threads: "n/a",
    info: [],
    results: {},
  };
  const na = (reason: string) => {
    for (const id of opts.only) for (const k of keysOf(id)) r.results[k] = [{ na: reason }];
    return r;
  };
  let probe;
  try {
    probe = await run(PYTHON, ["-c", "import torch"]);
  } catch (e) {
    return na(`${PYTHON} cannot run (${(e as Error).message.split("\n")[0]})`);
  }
  if (probe.code !== 0) {
    return na(`\`${PYTHON} -c "import torch"\` fails (apt-get install python3-torch)`);
  }
  const out = await torchBench([...opts.only], opts, threads);
  const bad: string[] = [];
  for (const [name, hash] of Object.entries(out.hashes)) {
    const a = tsInputs(name);
    if (a === undefined || (await sha256(a)) !== hash) bad.push(name);
  }
  r.info.push(
    bad.length === 0
      ? `PyTorch inputs: SHA-256 of all ${
        Object.keys(out.hashes).length
      } input arrays equal the TS generator's (bit-identical)`
      : `PyTorch inputs DIFFER from the TS generator's: ${bad.join(", ")}`,
  );
  r.version = `${out.torch} (Debian python3-torch, Python ${out.python}, NumPy ${out.numpy})`;
  r.threads = `torch.get_num_threads() = ${out.threads} (interop ${out.interop_threads}); ` +
    `OpenBLAS threads ${out.blas.openblas_threads ?? "n/a"}`;
  r.info.push(
    `PyTorch BLAS: ${out.blas.openblas_config ?? out.blas.libraries.join(", ")}; ` +
      `core used: ${out.blas.openblas_core ?? "n/a"}; libraries: ${out.blas.libraries.join(", ")}`,
    `PyTorch build: ${
      out.config.map((l) => l.replace(/^- /, "").replace(/CXX_FLAGS=[^,]*, /, ""))
        .join("; ")
    }`,
    `PyTorch environment: ${Object.entries(out.env).map(([k, v]) => `${k}=${v}`).join(", ")}`,
  );
  for (const [key, ms] of Object.entries(out.results)) {
    r.results[key as keyof typeof r.results] = ms.map((m) =>
      key === "B5" && m.loss !== undefined && !b5LossOk(m.loss)
        ? { ...m, mode: `${m.mode} (final loss ${m.loss.toExponential(4)}: WRONG)` }
        : m
    );
  }
  // B7/B8 are the targets' reference: PyTorch's best of `threads` and 1 thread. NOTE: on this
  // shared 2-core machine, 2 OpenMP threads under load can be many times slower than 1
  const train = [...opts.only].filter((id) => id === "B7" || id === "B8");
  if (threads !== 1 && train.length > 0) {
    const one = await torchBench(train, opts, 1);
    r.threads += `; ${train.join("/")} also run on 1 thread (the better counts)`;
    for (const id of train) {
      const key = id as "B7" | "B8";
      const label = (ms: Measure[] | undefined, n: number) =>
        (ms ?? []).map((m) => ({ ...m, mode: `${m.mode}, ${n} thread${n === 1 ? "" : "s"}` }));
      r.results[key] = [...label(out.results[key], threads), ...label(one.results[key], 1)];
    }
  }
  return r;
}

/** One run of torch_bench.py on the workloads `only` with `threads` threads. */
async function torchBench(
  only: readonly string[],
  opts: PeerOptions,
  threads: number,
): Promise<TorchOut> {
  const script = new URL("./torch_bench.py", import.meta.url).pathname;
  const p = await run(PYTHON, [
    script,
    `--only=${only.join(",")}`,
    `--runs=${opts.runs}`,
    `--warmups=${opts.warmups}`,
    `--threads=${threads}`,
  ]);
  if (p.code !== 0) throw new Error(`torch_bench.py failed:\n${p.err}`);
  return JSON.parse(p.out) as TorchOut;
}
