// lt.linalg at n×n (512 by default) beside PyTorch 1.13 (Debian's /usr/bin/python3) on the same
// deterministic float64 matrix (the minstd generator x ← 16807·x mod 2³¹−1, exact in both
// languages, scaled to [-0.5, 0.5)): the time of solve (one
// right-hand side), eigh (of A + Aᵀ) and svd on the LAPACK tier (when FFI is granted) and on the
// JavaScript host routines, and the accuracy: the residual of solve and the
// largest difference of the eigenvalues and singular values from PyTorch's, relative to the largest.
// Times are the best of 5 runs (1 for the slow JS eigh/svd).
//
//   deno run -A bench/linalg.ts [n]
import * as lt from "../mod.ts";

const n = Number(Deno.args[0] ?? 512);
const f64 = { dtype: "float64" } as const;

function matrix(): lt.Tensor {
  const v = new Float64Array(n * n);
  let state = 1;
  for (let i = 0; i < n * n; i++) {
    state = (16807 * state) % 2147483647;
    v[i] = state / 2147483647 - 0.5;
  }
  return lt.tensor(v, f64).reshape(n, n);
}

/** The best of `reps` runs (the machine is shared: the minimum is the least disturbed). */
function time(f: () => lt.Tensor, reps = 1): [number, lt.Tensor] {
  let best = Infinity;
  let out: lt.Tensor | undefined;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = f();
    out.dataSync();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return [best, out!];
}

const A = matrix();
const S = A.add(A.T);
const b = lt.ones([n, 1], f64);
S.dataSync();
/** The three timings and results on one tier (LAPACK: `blas` on). */
function measure(native: boolean) {
  lt.setCpuBackend("wasm", { blas: native });
  time(() => lt.linalg.solve(A, b)); // warm-up: the first call compiles the copy kernels
  const reps = native ? 5 : 1;
  const [tSolve, x] = time(() => lt.linalg.solve(A, b), 5);
  const [tEigh, values] = time(() => lt.linalg.eigh(S)[0], reps);
  const [tSvd, sing] = time(() => lt.linalg.svd(A)[1], reps);
  lt.setCpuBackend("wasm");
  return { tSolve, x, tEigh, values, tSvd, sing };
}
const tiers = [
  ...(lt.blasLibrary() === undefined ? [] : [["LAPACK", measure(true)] as const]),
  ["JS", measure(false)] as const,
];

const script = `
import json, math, time, torch
n = ${n}
v, state = [], 1
for i in range(n * n):
    state = (16807 * state) % 2147483647
    v.append(state / 2147483647 - 0.5)
a = torch.tensor(v, dtype=torch.float64).reshape(n, n)
s = a + a.T
b = torch.ones(n, 1, dtype=torch.float64)
torch.linalg.solve(a, b)
def tm(f):
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return best, out
ts, x = tm(lambda: torch.linalg.solve(a, b))
te, l = tm(lambda: torch.linalg.eigh(s)[0])
tv, sv = tm(lambda: torch.linalg.svd(a)[1])
print(json.dumps({"threads": torch.get_num_threads(), "solve": ts, "eigh": te, "svd": tv,
  "residual": float((a @ x - b).abs().max()), "values": l.tolist(), "sing": sv.tolist()}))
`;
const run = new Deno.Command("/usr/bin/python3", {
  args: ["-c", script],
  stdout: "piped",
});
const torch = JSON.parse(new TextDecoder().decode((await run.output()).stdout));
const relDiff = (mine: lt.Tensor, ref: number[]) => {
  const m = mine.dataSync();
  const scale = Math.max(...ref.map(Math.abs));
  return Math.max(...ref.map((r, i) => Math.abs(m[i] - r))) / scale;
};
const [load] = Deno.loadavg();
console.log(
  `linalg ${n}×${n} float64 (load average ${load.toFixed(1)}; torch threads ${torch.threads})`,
);
console.log("| op    | tier   | Lathe (s) | PyTorch (s) | ratio | accuracy |");
console.log("| ----- | ------ | --------- | ----------- | ----- | -------- |");
const row = (
  op: string,
  tier: string,
  mine: number,
  ref: number,
  acc: string,
) =>
  console.log(
    `| ${op.padEnd(5)} | ${tier.padEnd(6)} | ${mine.toFixed(3)} | ${ref.toFixed(4)} | ${
      (mine / ref).toFixed(1)
    }× | ${acc} |`,
  );
for (const [tier, r] of tiers) {
  const residual = A.matmul(r.x).sub(b).abs().max().item();
  const res = `max residual ${residual.toExponential(1)} (torch ${
    torch.residual.toExponential(1)
  })`;
  row("solve", tier, r.tSolve, torch.solve, res);
  const eig = `eigenvalues within ${relDiff(r.values, torch.values).toExponential(1)} of torch`;
  row("eigh", tier, r.tEigh, torch.eigh, eig);
  const sv = `singular values within ${relDiff(r.sing, torch.sing).toExponential(1)} of torch`;
  row("svd", tier, r.tSvd, torch.svd, sv);
}
