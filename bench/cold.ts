/**
 * Cold starts: Lathe's eager workloads timed call by call in a fresh
 * process, as a script or notebook meets them. The bench (bench/run.ts)
 * reports the median of the first {@linkcode COLD_CALLS} calls beside its
 * warm median, and the warm medians of a reused input tensor against a
 * fresh one (the same data), each in its own process:
 *
 *     deno run --allow-read --allow-env bench/cold.ts B2 fresh|reuse
 *
 * prints `{"times": [ms, …]}` for {@linkcode CALLS} calls, each realized
 * with `dataSync()`.
 * @module
 */
import * as lt from "../mod.ts";
import { workloads } from "./inputs.ts";
import { median } from "./reference.ts";

/** Calls whose median is the cold time. */
export const COLD_CALLS = 10;
/** Calls per process: the ones after the cold ones give the warm median of each input mode. */
const CALLS = 30;

interface Workload {
  readonly name: string;
  readonly input: () => () => lt.Tensor[];
  readonly compute: (xs: lt.Tensor[]) => lt.Tensor;
}

/** The eager workloads (SPEC's inputs; B1 at 512, the largest with a quick call). */
export const coldWorkloads: Record<string, Workload> = {
  B1: {
    name: "B1 matmul 512",
    input: () => {
      const { a, b } = workloads.B1(512);
      return () => [lt.tensor(a, { shape: [512, 512] }), lt.tensor(b, { shape: [512, 512] })];
    },
    compute: ([a, b]) => a.matmul(b),
  },
  B2: {
    name: "B2 elementwise 1M",
    input: () => {
      const { x } = workloads.B2();
      return () => [lt.tensor(x)];
    },
    compute: ([x]) => lt.sigmoid(x.mul(2).add(1)).mul(lt.relu(x)).sub(x.mul(0.5)),
  },
  B3: {
    name: "B3 dense relu",
    input: () => {
      const { x, w, b } = workloads.B3();
      return () => [
        lt.tensor(x, { shape: [256, 784] }),
        lt.tensor(w, { shape: [784, 256] }),
        lt.tensor(b, { shape: [256] }),
      ];
    },
    compute: ([x, w, b]) => lt.relu(x.matmul(w).add(b)),
  },
  "B6-sum": {
    name: "B6 sum 1M",
    input: () => {
      const { x } = workloads.B6();
      return () => [lt.tensor(x)];
    },
    compute: ([x]) => x.sum(),
  },
  "B6-softmax": {
    name: "B6 softmax 1024²",
    input: () => {
      const { m } = workloads.B6();
      return () => [lt.tensor(m, { shape: [1024, 1024] })];
    },
    compute: ([m]) => lt.softmax(m, 1),
  },
};

/** Times `CALLS` calls of a workload, on a fresh input tensor each call or one reused. */
function timeCalls(w: Workload, reuse: boolean): number[] {
  const make = w.input();
  const fixed = make();
  // inputs made before timing (a new tensor copies its data: not the workload's cost),
  // in both modes: the reuse process makes and holds them too, unused, so that both
  // processes hold the same host memory when timing starts. Otherwise the fresh one's
  // inputs (30 × 4 MiB for B2) bring V8's first collection some 20 calls earlier, and
  // the comparison measured when freed output arrays start being recycled (each call
  // before that pays a page fault per 4 KiB of its output) rather than the reuse
  // (docs/memory.md, "What costs remain"; bench/reuse_faults.ts counts the faults).
  const made = Array.from({ length: CALLS }, make);
  const inputs = reuse ? made.map(() => fixed) : made;
  const times = inputs.map((xs) => {
    const t0 = performance.now();
    w.compute(xs).dataSync();
    return performance.now() - t0;
  });
  // read after timing, so the reuse process's unused inputs stay alive throughout
  if (made.length !== CALLS) throw new Error("bench/cold.ts: lost its inputs");
  return times;
}

/** One workload's cold and warm medians (ms) from fresh processes. */
export interface ColdResult {
  /** Median of the first {@linkcode COLD_CALLS} calls, fresh inputs. */
  readonly cold: number;
  /** Median of the later calls: fresh inputs, and one reused input. */
  readonly fresh: number;
  readonly reuse: number;
  /** Median of the first calls with a reused input. */
  readonly reuseCold: number;
}

async function child(id: string, mode: "fresh" | "reuse"): Promise<number[]> {
  const script = new URL(import.meta.url).pathname;
  const args = ["run", "--allow-read", "--allow-env", script, id, mode];
  // `deno` from PATH: the bench task allows running it by that name
  const out = await new Deno.Command("deno", { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`bench/cold.ts ${id} ${mode} failed (exit ${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout)).times;
}

/**
 * Runs a workload in two fresh processes (fresh inputs, then a reused one).
 * @param id a key of {@linkcode coldWorkloads}
 * @returns its cold and warm medians
 */
export async function coldRun(id: string): Promise<ColdResult> {
  const fresh = await child(id, "fresh");
  const reuse = await child(id, "reuse");
  return {
    cold: median(fresh.slice(0, COLD_CALLS)),
    fresh: median(fresh.slice(COLD_CALLS)),
    reuse: median(reuse.slice(COLD_CALLS)),
    reuseCold: median(reuse.slice(0, COLD_CALLS)),
  };
}

if (import.meta.main) {
  const [id, mode] = Deno.args;
  const w = coldWorkloads[id];
  if (w === undefined || (mode !== "fresh" && mode !== "reuse")) {
    throw new Error(
      `bench/cold.ts expected a workload (${
        Object.keys(coldWorkloads).join(", ")
      }) and fresh or reuse: found ${Deno.args.join(" ")}`,
    );
  }
  console.log(JSON.stringify({ times: timeCalls(w, mode === "reuse") }));
}
