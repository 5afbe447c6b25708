/**
 * Why bench B2 with a reused input looks slower than with fresh inputs
 * (issue 18): times each call of the B2 chain and counts the minor page
 * faults it took (`/proc/self/stat`, Linux only), in one process that either
 * reuses one input tensor or makes a fresh one per call before timing, as
 * bench/cold.ts does. Run the two modes in alternated processes:
 *
 *     deno run -A bench/reuse_faults.ts reuse|reuse-alone|fresh [calls]
 *
 * prints one line per process: the mode, then `ms/faults` for every call
 * (followed by `s` when the call's kernel split over worker threads),
 * then the median time of calls 11 on (the bench's later calls), of those
 * that took page faults for their output and of those that took none. See docs/memory.md, "What costs remain".
 * @module
 */
import * as lt from "../mod.ts";
import { workloads } from "./inputs.ts";
import { median } from "./reference.ts";

/** Minor page faults of this process so far (field 10 of /proc/self/stat). */
function minorFaults(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  // the fields after the command name, which is in parentheses
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

/** Faults that mark a call whose 4 MiB output landed in fresh pages (it has 1,024 pages). */
const FAULTING = 512;

if (import.meta.main) {
  const [mode, count = "30"] = Deno.args;
  const calls = Number(count);
  if (!["reuse", "reuse-alone", "fresh"].includes(mode) || !(calls > 10)) {
    throw new Error(
      `bench/reuse_faults.ts expected reuse, reuse-alone or fresh and a call count over 10: ` +
        `found ${Deno.args.join(" ")}`,
    );
  }
  const { x } = workloads.B2();
  const fixed = lt.tensor(x);
  // inputs made before timing, as bench/cold.ts makes them; the reuse modes
  // make them too, and `reuse` keeps them alive, so that both modes hold the
  // same host memory when timing starts (`reuse-alone` does not make them,
  // as bench/cold.ts's reuse process)
  const made = Array.from(
    { length: mode === "reuse-alone" ? 0 : calls },
    () => lt.tensor(x),
  );
  const inputs = mode === "fresh" ? made : Array.from({ length: calls }, () => fixed);
  const ms: number[] = [];
  const faults: number[] = [];
  const split: boolean[] = [];
  for (const input of inputs) {
    const f0 = minorFaults();
    const s0 = lt.kernelStats().threaded;
    const t0 = performance.now();
    lt.sigmoid(input.mul(2).add(1)).mul(lt.relu(input))
      .sub(input.mul(0.5)).dataSync();
    ms.push(performance.now() - t0);
    faults.push(minorFaults() - f0);
    split.push(lt.kernelStats().threaded > s0);
  }
  // calls 11 on (the bench's "later calls"): those whose output landed in
  // fresh pages (one fault per 4 KiB page) against those in recycled memory
  const later = ms.map((t, i) => ({ t, f: faults[i] })).slice(10);
  const part = (faulting: boolean): string => {
    const ts = later.filter((c) => (c.f >= FAULTING) === faulting);
    if (ts.length === 0) return "0 calls";
    return `${ts.length} calls, median ${median(ts.map((c) => c.t)).toFixed(2)} ms`;
  };
  // a call split over worker threads is marked `s`
  console.log(
    `${mode} ${
      ms.map((t, i) => `${t.toFixed(2)}/${faults[i]}${split[i] ? "s" : ""}`)
        .join(" ")
    }`,
  );
  console.log(
    `${mode} (${made.length} inputs made): calls 11-${calls}: median ${
      median(later.map((c) => c.t)).toFixed(2)
    } ms; ` +
      `faulting (>= ${FAULTING} faults) ${part(true)}; quiet ${part(false)}`,
  );
}
