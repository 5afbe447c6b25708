// lt.linalg at n×n (512 by default) beside PyTorch 1.13 (Debian's /usr/bin/python3) on the same
// deterministic float64 matrix (the minstd generator x ← 16807·x mod 2³¹−1, exact in both
// languages, scaled to [-0.5, 0.5)): the time of solve (one
// right-hand side), eigh (of A + Aᵀ) and svd, and the accuracy: the residual of solve and the
// largest difference of the eigenvalues and singular values from PyTorch's, relative to the largest.
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

function time(f: () => lt.Tensor): [number, lt.Tensor] {
  const t0 = performance.now();
  const out = f();
  out.dataSync();
  return [(performance.now() - t0) / 1000, out];
}

const A = matrix();
const S = A.add(A.T);
const b = lt.ones([n, 1], f64);
S.dataSync();
time(() => lt.linalg.solve(A, b)); // warm-up: the first call compiles the copy kernels
const [tSolve, x] = time(() => lt.linalg.solve(A, b));
const [tEigh, values] = time(() => lt.linalg.eigh(S)[0]);
const [tSvd, sing] = time(() => lt.linalg.svd(A)[1]);
const residual = A.matmul(x).sub(b).abs().max().item();

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
    t0 = time.perf_counter(); out = f(); return time.perf_counter() - t0, out
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
console.log("| op    | Lathe (s) | PyTorch (s) | ratio | accuracy |");
console.log("| ----- | --------- | ----------- | ----- | -------- |");
const row = (op: string, mine: number, ref: number, acc: string) =>
  console.log(
    `| ${op.padEnd(5)} | ${mine.toFixed(3)} | ${ref.toFixed(4)} | ${
      (mine / ref).toFixed(0)
    }× | ${acc} |`,
  );
row(
  "solve",
  tSolve,
  torch.solve,
  `max residual ${residual.toExponential(1)} (torch ${torch.residual.toExponential(1)})`,
);
row(
  "eigh",
  tEigh,
  torch.eigh,
  `eigenvalues within ${relDiff(values, torch.values).toExponential(1)} of torch`,
);
row(
  "svd",
  tSvd,
  torch.svd,
  `singular values within ${relDiff(sing, torch.sing).toExponential(1)} of torch`,
);
