/**
 * B2 (the elementwise chain on 1,048,576 floats, read with `dataSync()`) on a
 * loaded machine: Lathe with a fresh input tensor per call, Lathe reusing one
 * input, and TensorFlow.js's Wasm backend (one thread, its input reused, as
 * the bench measures it) take turns call by call in one process, so all see
 * the same load and the same garbage collections (which decide when a new
 * output array lands in fresh pages: docs/memory.md). The order rotates every
 * round. With `--base=<path to another Lathe's mod.ts>`, that Lathe takes
 * turns too (fresh and reused), for a before/after comparison.
 *
 * Usage: `deno run --config bench/deno.json -A bench/b2_interleaved.ts [--calls=40] [--base=…]`
 *
 * Prints, per system, the median of the first 10 calls (cold), the median and
 * minimum of the later ones, and each Lathe's median ÷ TensorFlow.js's.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { workloads } from "./inputs.ts";
import { median } from "./reference.ts";

const arg = (name: string) => Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const calls = Number(arg("calls") ?? 40);
const base = arg("base");
if (!Number.isInteger(calls) || calls <= 10) {
  throw new Error(`bench/b2_interleaved.ts expected --calls over 10: found ${arg("calls")}`);
}

type Lathe = typeof import("../mod.ts");
const { x } = workloads.B2();

/** One Lathe's two modes: a fresh input per call (made before timing) and one reused input. */
function latheSystems(lt: Lathe, name: string): [string, () => void][] {
  const chain = (t: ReturnType<Lathe["tensor"]>) =>
    lt.sigmoid(t.mul(2).add(1)).mul(lt.relu(t)).sub(t.mul(0.5)).dataSync();
  const made = Array.from({ length: calls }, () => lt.tensor(x));
  const fixed = lt.tensor(x);
  let i = 0;
  return [[`${name} fresh`, () => chain(made[i++])], [`${name} reused`, () => chain(fixed)]];
}

const systems = latheSystems(await import("../mod.ts"), "Lathe");
if (base !== undefined) systems.push(...latheSystems(await import(base), "base"));

const require = createRequire(import.meta.url);
setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
setThreadsCount(1);
if (!(await tf.setBackend("wasm"))) throw new Error("tfjs backend wasm failed to start");
await tf.ready();
const X = tf.tensor1d(x);
systems.push(["tfjs-wasm", () => {
  const out = tf.tidy(() => tf.sigmoid(X.mul(2).add(1)).mul(tf.relu(X)).sub(X.mul(0.5)));
  out.dataSync();
  out.dispose();
}]);

const times = systems.map(() => [] as number[]);
const load0 = Deno.loadavg()[0];
for (let r = 0; r < calls; r++) {
  for (let k = 0; k < systems.length; k++) {
    const s = (k + r) % systems.length;
    const t0 = performance.now();
    systems[s][1]();
    times[s].push(performance.now() - t0);
  }
}
const tfMedian = median(times.at(-1)!.slice(10));
console.log(
  `B2 interleaved, ${calls} calls each, load ${load0.toFixed(1)} → ${Deno.loadavg()[0].toFixed(1)}`,
);
systems.forEach(([name], s) => {
  const later = times[s].slice(10);
  const m = median(later);
  console.log(
    `${name.padEnd(14)} cold ${median(times[s].slice(0, 10)).toFixed(2)} ms; later: median ${
      m.toFixed(2)
    } ms, min ${Math.min(...later).toFixed(2)} ms; ÷ tfjs-wasm ${(m / tfMedian).toFixed(2)}`,
  );
});
