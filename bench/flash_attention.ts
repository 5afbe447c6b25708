/**
 * Fused (flash) attention against the composed query-row-block form
 * (issue 15): `scaledDotProductAttention` on `[B, H, L, E]` float32 under
 * `jit`, causal and not, forward alone and value plus gradient, with
 * `fused: true` and `fused: false` alternated in one process (round-robin,
 * so load swings hit both alike). Prints the median ms of each and the
 * program's peak bytes (`kernelStats().programPeakBytes`).
 *
 * Usage: `deno run -A bench/flash_attention.ts [--runs=5] [--shape=2,4,1024,64]
 * [--blas=off]`
 * @module
 */
import * as lt from "../mod.ts";

const flag = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const runs = Number(flag("runs", "5"));
const shape = flag("shape", "2,4,1024,64").split(",").map(Number);
// --blas=off: both forms without BLAS (the fused tiles' products then run in Wasm)
if (flag("blas", "on") === "off") lt.setCpuBackend("wasm", { blas: false });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const [q, k, v] = [1, 2, 3].map((s) => lt.random.normal(lt.random.key(s), shape));
for (const t of [q, k, v]) t.dataSync();

type F = (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) => lt.Tensor;
function program(causal: boolean, fused: boolean, grad: boolean): F {
  const f: F = (q, k, v) => lt.scaledDotProductAttention(q, k, v, { causal, fused });
  if (!grad) return lt.jit(f);
  const g = lt.grad(
    (q: lt.Tensor, k: lt.Tensor, v: lt.Tensor) => f(q, k, v).square().sum(),
    {
      argnums: [0, 1, 2],
    },
  );
  return lt.jit((q, k, v) => lt.stack(g(q, k, v) as lt.Tensor[]));
}

console.log(
  `shape [${shape}], float32, ${runs} runs, alternated, BLAS ${flag("blas", "on")}`,
);
console.log(
  "| case | fused ms | blocks ms | ratio | fused peak | blocks peak |",
);
console.log("|---|---:|---:|---:|---:|---:|");
for (const causal of [true, false]) {
  for (const grad of [false, true]) {
    const fs = [true, false].map((fused) => program(causal, fused, grad));
    const peaks = fs.map((f) => {
      f(q, k, v).dataSync(); // compile and warm up
      return lt.kernelStats().programPeakBytes;
    });
    const ms: number[][] = [[], []];
    for (let r = 0; r < runs; r++) {
      fs.forEach((f, i) => {
        const t = performance.now();
        f(q, k, v).dataSync();
        ms[i].push(performance.now() - t);
      });
    }
    const [a, b] = ms.map(median);
    const name = `${causal ? "causal" : "full"} ${grad ? "grad" : "forward"}`;
    const mb = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `| ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)} | ${mb(peaks[0])} | ${
        mb(peaks[1])
      } |`,
    );
  }
}
