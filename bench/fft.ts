// lt.fft at n = 4096 (8 signals, float32 and float64) beside PyTorch 1.13 (Debian's
// /usr/bin/python3) on the same deterministic input: complex fft, rfft and irfft, eager (a
// fresh graph each call) and under jit, best of 7 after a warm-up call. To compare with an
// older Lathe, pass the path of its mod.ts: the same workloads run on both, interleaved.
//
//   deno run -A bench/fft.ts [n] [path/to/other/mod.ts]
import * as lt from "../mod.ts";

const n = Number(Deno.args[0] ?? 4096);
const batch = 8;
type Lib = typeof lt;
const other: Lib | undefined = Deno.args[1] === undefined
  ? undefined
  : await import(new URL(Deno.args[1], `file://${Deno.cwd()}/`).href);

function inputs(L: Lib, dtype: "float32" | "float64") {
  const v = Float64Array.from(
    { length: batch * n * 2 },
    (_, i) => Math.sin(0.37 * i) + 0.1,
  );
  const z = L.tensor(v, { dtype }).reshape(batch, n, 2);
  const r = L.tensor(v.subarray(0, batch * n), { dtype }).reshape(batch, n);
  const h = L.tensor(v.subarray(0, batch * (n / 2 + 1) * 2), { dtype }).reshape(
    batch,
    n / 2 + 1,
    2,
  );
  return { z, r, h };
}

function best(f: () => { dataSync(): unknown }, reps = 7): number {
  f().dataSync();
  let t = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f().dataSync();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

function measure(L: Lib, dtype: "float32" | "float64") {
  const { z, r, h } = inputs(L, dtype);
  const jf = L.jit((x: lt.Tensor) => L.fft.fft(x));
  return {
    fft: best(() => L.fft.fft(z)),
    rfft: best(() => L.fft.rfft(r)),
    irfft: best(() => L.fft.irfft(h)),
    "fft (jit)": best(() => jf(z)),
  };
}

const script = `
import json, math, time, torch
n, batch = ${n}, ${batch}
v = torch.sin(0.37 * torch.arange(batch * n * 2, dtype=torch.float64)) + 0.1
out = {"threads": torch.get_num_threads()}
for name, dt in (("float32", torch.float32), ("float64", torch.float64)):
    z = torch.view_as_complex(v.to(dt).reshape(batch, n, 2))
    r = v[: batch * n].to(dt).reshape(batch, n)
    h = torch.view_as_complex(v[: batch * (n // 2 + 1) * 2].to(dt).reshape(batch, n // 2 + 1, 2))
    def best(f):
        f(); t = math.inf
        for _ in range(7):
            t0 = time.perf_counter(); f(); t = min(t, time.perf_counter() - t0)
        return t * 1000
    out[name] = {"fft": best(lambda: torch.fft.fft(z)), "rfft": best(lambda: torch.fft.rfft(r)),
                 "irfft": best(lambda: torch.fft.irfft(h))}
print(json.dumps(out))
`;
const py = new Deno.Command("/usr/bin/python3", {
  args: ["-c", script],
  stdout: "piped",
});
const torch = JSON.parse(new TextDecoder().decode((await py.output()).stdout));

console.log(
  `fft: ${batch} signals of n = ${n}, best of 7, ms (load average ${
    Deno.loadavg()[0].toFixed(1)
  }; torch threads ${torch.threads})`,
);
console.log(`| dtype | op | Lathe |${other ? " other Lathe |" : ""} PyTorch |`);
console.log(`| --- | --- | --- |${other ? " --- |" : ""} --- |`);
for (const dtype of ["float32", "float64"] as const) {
  const mine = measure(lt, dtype);
  const old = other === undefined ? undefined : measure(other, dtype);
  for (const [op, t] of Object.entries(mine)) {
    const ref = torch[dtype][op];
    console.log(
      `| ${dtype} | ${op} | ${t.toFixed(2)} |${
        old ? ` ${old[op as keyof typeof old].toFixed(2)} |` : ""
      } ${ref === undefined ? "–" : ref.toFixed(3)} |`,
    );
  }
}
