/**
 * `deno run -A --v8-flags=--expose-gc bench/scan.ts`: a 1,000-step recurrence
 * `h ← tanh(W h + x_t)` under `jit`, written as a JavaScript loop (unrolled into the trace) and as
 * `scan` (the body compiled once), and their gradients: first call (trace + compile + run), a
 * rerun, kernels in the program, and the heap the first call leaves (after a GC) with the compiled
 * program alive.
 * @module
 */
import * as lt from "../mod.ts";

const STEPS = 1000;
const N = 32;
const w = lt.random.normal(lt.random.key(0), [N, N]).div(6);
const xs = lt.random.normal(lt.random.key(1), [STEPS, N]);
const h0 = lt.zeros([N]);
w.dataSync();
xs.dataSync();

const cell = (h: lt.Tensor, x: lt.Tensor) => lt.matmul(w, h).add(x).tanh();
const unrolled = (h: lt.Tensor, xs: lt.Tensor) => {
  for (let t = 0; t < xs.shape[0]; t++) h = cell(h, xs.select(0, t));
  return h;
};
const scanned = (h: lt.Tensor, xs: lt.Tensor) =>
  lt.scan(
    (c: lt.Tensor, x: lt.Tensor) => [cell(c, x), null] as const,
    h,
    xs,
  )[0];

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
for (const steps of [100, 300, STEPS]) {
  const x = xs.slice([0, steps]);
  x.dataSync();
  const outs: lt.Tensor[] = [];
  const gradOf = (f: (h: lt.Tensor, xs: lt.Tensor) => lt.Tensor) =>
    lt.grad((h: lt.Tensor, xs: lt.Tensor) => f(h, xs).sum(), { argnums: 1 });
  const variants = [
    ["unrolled", unrolled],
    ["scan", scanned],
    ["grad unrolled", gradOf(unrolled)],
    ["grad scan", gradOf(scanned)],
  ] as const;
  for (const [name, f] of variants) {
    gc();
    const before = Deno.memoryUsage().heapUsed;
    const jitted = lt.jit(f);
    let t0 = performance.now();
    let out: lt.Tensor;
    try {
      out = jitted(h0, x);
      out.dataSync();
    } catch (e) {
      console.log(`${steps} steps, ${name}: fails: ${(e as Error).message}`);
      continue;
    }
    const first = performance.now() - t0;
    gc();
    const heap = (Deno.memoryUsage().heapUsed - before) / 2 ** 20;
    t0 = performance.now();
    jitted(h0, x.mul(0.5)).dataSync();
    const rerun = performance.now() - t0;
    const kernels = lt.explain(jitted, h0, x).kernels.length;
    outs.push(out);
    console.log(
      `${steps} steps, ${name}: first call ${first.toFixed(0)} ms, rerun ${rerun.toFixed(1)} ms, ` +
        `${kernels} kernels, heap kept ${heap.toFixed(2)} MiB, compiles ${jitted.compileCount}`,
    );
  }
  if (outs.length === 4) {
    for (const [a, c] of [[0, 1], [2, 3]]) {
      const diff = outs[a].sub(outs[c]).abs().max().item();
      if (!(diff < 1e-4)) throw new Error(`unrolled and scan differ by ${diff}`);
    }
  }
}
