/**
 * Cold starts: Lathe's eager workloads timed call by call in a fresh
 * process, as a script or notebook meets them. The bench (bench/run.ts)
 * reports the median of the first {@linkcode COLD_CALLS} calls beside its
 * warm median, and the warm medians of a reused input tensor against a
 * fresh one (the same data), taking turns call by call in one other process
 * (so that both see the same load and the same garbage collections, which
 * decide when a new output array lands in fresh pages: docs/memory.md):
 *
 *     deno run --allow-read --allow-env bench/cold.ts B2 fresh|both
 *
 * prints `{"times": [ms, …]}` for {@linkcode CALLS} calls on fresh inputs,
 * or `{"fresh": [ms, …], "reuse": [ms, …]}` for as many of each, taking
 * turns; each call is realized with `dataSync()`.
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

/**
 * Times `CALLS` calls of a workload on fresh input tensors, or, with `both`,
 * as many on fresh inputs and on one reused input, taking turns (which goes
 * first alternates).
 */
function timeCalls(w: Workload, both: boolean): { fresh: number[]; reuse: number[] } {
  const make = w.input();
  const fixed = make();
  // inputs made before timing (a new tensor copies its data: not the workload's cost)
  const made = Array.from({ length: CALLS }, make);
  const fresh: number[] = [];
  const reuse: number[] = [];
  const time = (xs: lt.Tensor[], into: number[]) => {
    const t0 = performance.now();
    w.compute(xs).dataSync();
    into.push(performance.now() - t0);
  };
  for (let i = 0; i < CALLS; i++) {
    if (both && i % 2 === 1) time(fixed, reuse);
    time(made[i], fresh);
    if (both && i % 2 === 0) time(fixed, reuse);
  }
  return { fresh, reuse };
}

/** One workload's cold and warm medians (ms) from fresh processes. */
export interface ColdResult {
  /** Median of the first {@linkcode COLD_CALLS} calls, fresh inputs. */
  readonly cold: number;
  /** Median of the later calls of that process. */
  readonly later: number;
  /** Median of the later calls in the process taking turns: fresh inputs, and one reused input. */
  readonly fresh: number;
  readonly reuse: number;
  /** Median of the first calls with a reused input. */
  readonly reuseCold: number;
}

async function child(
  id: string,
  mode: "fresh" | "both",
): Promise<{ times?: number[]; fresh?: number[]; reuse?: number[] }> {
  const script = new URL(import.meta.url).pathname;
  const args = ["run", "--allow-read", "--allow-env", script, id, mode];
  // `deno` from PATH: the bench task allows running it by that name
  const out = await new Deno.Command("deno", { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`bench/cold.ts ${id} ${mode} failed (exit ${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * Runs a workload in two fresh processes (fresh inputs; then fresh inputs
 * and a reused one taking turns).
 * @param id a key of {@linkcode coldWorkloads}
 * @returns its cold and warm medians
 */
export async function coldRun(id: string): Promise<ColdResult> {
  const { times } = await child(id, "fresh");
  const { fresh, reuse } = await child(id, "both");
  return {
    cold: median(times!.slice(0, COLD_CALLS)),
    later: median(times!.slice(COLD_CALLS)),
    fresh: median(fresh!.slice(COLD_CALLS)),
    reuse: median(reuse!.slice(COLD_CALLS)),
    reuseCold: median(reuse!.slice(0, COLD_CALLS)),
  };
}

if (import.meta.main) {
  const [id, mode] = Deno.args;
  const w = coldWorkloads[id];
  if (w === undefined || (mode !== "fresh" && mode !== "both")) {
    throw new Error(
      `bench/cold.ts expected a workload (${
        Object.keys(coldWorkloads).join(", ")
      }) and fresh or both: found ${Deno.args.join(" ")}`,
    );
  }
  const { fresh, reuse } = timeCalls(w, mode === "both");
  console.log(JSON.stringify(mode === "both" ? { fresh, reuse } : { times: fresh }));
}
