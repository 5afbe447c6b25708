/**
 * Scans (issue 15): `cumsum`, `cumprod` and `logCumSumExp` of one row of
 * n = 4,096 and 65,536 float32 values under `jit`, forward alone and value
 * plus gradient, median ms over a few runs after one warm-up. Run it on two
 * checkouts to compare (the O(n) `cumulative` scan against the O(n²) masked
 * prefix reductions it replaced).
 *
 * Usage: `deno run -A bench/cumulative.ts [--runs=5] [--sizes=4096,65536]`
 * @module
 */
import * as lt from "../mod.ts";

const flag = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const runs = Number(flag("runs", "5"));
const sizes = flag("sizes", "4096,65536").split(",").map(Number);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: (x: lt.Tensor) => lt.Tensor, x: lt.Tensor): number {
  const g = lt.jit(f);
  g(x).dataSync();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    g(x).dataSync();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const scans = {
  cumsum: lt.cumsum,
  cumprod: lt.cumprod,
  logCumSumExp: lt.logCumSumExp,
};
console.log("| scan | n | forward ms | gradient ms |");
console.log("| --- | ---: | ---: | ---: |");
for (const n of sizes) {
  // values near 1 keep the running product finite
  const x = lt.random.uniform(lt.random.key(0), [n], {
    low: 0.999,
    high: 1.001,
  });
  for (const [name, f] of Object.entries(scans)) {
    const forward = time((x) => f(x, 0), x);
    const loss = (x: lt.Tensor) => f(x, 0).mul(x).sum();
    const both = time((x) => lt.grad(loss)(x), x);
    console.log(
      `| ${name} | ${n} | ${forward.toFixed(3)} | ${both.toFixed(3)} |`,
    );
  }
}
