// Worker threads for big Wasm kernels: split matmuls equal the JS reference
// (plain, transposed, batched, with epilogues, odd sizes) and split loop
// kernels the unsplit ones, the pool really runs shares, small kernels stay
// on the calling thread, and a script that used the pool exits by itself
// (with the same result as LATHE_THREADS=1, whose heap is not shared), on
// Deno and on Bun.
import { afterAll, describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { uniformTensor as rand } from "./_random.ts";
import { execFile as execFileCallback } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";

const execFile = promisify(execFileCallback);

lt.setCpuThreads(2);
const ignore = lt.cpuThreads() < 2;

/** The Wasm tier without native BLAS (which would take the big matmuls where FFI is granted). */
function wasm(): void {
  lt.setCpuBackend("wasm", { blas: false });
}

/** Runs big matmuls until the workers have booted and run a share (they start lazily). */
async function warm(): Promise<void> {
  wasm();
  const a = rand([256, 256], 1);
  for (let i = 0; i < 200 && lt.kernelStats().workerJobs === 0; i++) {
    a.matmul(a).dataSync();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert(lt.kernelStats().workerJobs > 0, "the worker pool never ran a share");
}

/** `f()` split over threads (asserting it was) and on the JS reference. */
function both(f: () => lt.Tensor): { split: Float32Array; js: Float32Array } {
  wasm();
  const before = lt.kernelStats().threaded;
  const split = f().dataSync() as Float32Array;
  assert(lt.kernelStats().threaded > before, "the matmul did not split over threads");
  lt.setCpuBackend("js");
  try {
    return { split, js: f().dataSync() as Float32Array };
  } finally {
    wasm();
  }
}

function assertClose(got: Float32Array, want: Float32Array, k: number): void {
  assertEquals(got.length, want.length);
  const tol = 1e-5 * Math.sqrt(k) * 4;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert(err <= tol * Math.max(1, Math.abs(want[i])), `at ${i}: ${got[i]} vs ${want[i]}`);
  }
}

describe("threaded kernels", { ignore }, () => {
  afterAll(() => lt.setCpuBackend("wasm"));

  it("runs shares on the workers once they boot", warm);

  const cases: [string, () => lt.Tensor, number][] = [
    ["square 256", () => rand([256, 256], 2).matmul(rand([256, 256], 3)), 256],
    ["odd sizes 401x203 @ 203x257", () => rand([401, 203], 4).matmul(rand([203, 257], 5)), 203],
    ["A^T @ B", () => rand([300, 311], 6).transpose().matmul(rand([300, 290], 7)), 300],
    ["A @ B^T", () => rand([290, 300], 8).matmul(rand([305, 300], 9).transpose()), 300],
    ["K over several blocks", () => rand([130, 700], 10).matmul(rand([700, 190], 11)), 700],
    ["batched 3x", () => rand([3, 97, 300], 12).matmul(rand([3, 300, 199], 13)), 300],
    // B packed once for both threads: three column blocks, the last ragged, and odd K blocks
    ["wide B over column blocks", () => rand([200, 601], 24).matmul(rand([601, 1100], 25)), 601],
    [
      "bias + relu epilogue",
      () => lt.relu(rand([257, 330], 14).matmul(rand([330, 199], 15)).add(rand([199], 16))),
      330,
    ],
  ];
  for (const [name, f, k] of cases) {
    it(`${name} matches the JS reference`, async () => {
      await warm();
      const { split, js } = both(f);
      assertClose(split, js, k);
    });
  }

  const loops: [string, () => lt.Tensor][] = [
    ["elementwise over 1,100,003 (a partial last vector)", () => {
      const x = rand([1_100_003], 21);
      return lt.sigmoid(x.mul(2).add(1)).mul(lt.relu(x)).sub(x.mul(0.5));
    }],
    ["a transposed broadcast (scalar lanes)", () => {
      return rand([1030, 1024], 22).transpose().add(rand([1030], 23)).exp();
    }],
    ["softmax over rows", () => lt.softmax(rand([1100, 1000], 24), -1)],
    ["a reduction over the outer axis", () => rand([64, 70_001], 25).max({ axis: 0 })],
    // kernels importing scalar functions: the workers must give them the same imports
    ["sin, cos and remainder (imported Math.sin/cos and the reference remainder)", () => {
      const x = rand([1_048_576], 26).mul(1e6);
      return lt.sin(x).add(lt.cos(x.mul(0.5))).add(lt.mod(x, 3));
    }],
    [
      "the special functions (vector forms, and per-lane calls of JS functions rebuilt in workers)",
      () => {
        const x = rand([1_048_576], 27).mul(4);
        const unit = x.mul(0.2);
        return lt.lgamma(x).add(lt.digamma(x)).add(lt.erfc(x)).add(lt.erfinv(unit))
          .add(lt.sinh(x)).add(lt.atan2(x, 2)).add(lt.fmod(x, 0.7)).add(lt.log2(x.abs()));
      },
    ],
  ];
  for (const [name, f] of loops) {
    it(`${name} gives the same values on 1 and 2 threads`, async () => {
      await warm();
      const before = lt.kernelStats().threaded;
      const split = f().dataSync();
      assert(lt.kernelStats().threaded > before, "no kernel split over threads");
      // a worker that failed (e.g. could not instantiate the module) turns threads off
      assertEquals(lt.explain(f()).kernels.at(-1)!.threads, 2, "the workers gave up");
      lt.setCpuThreads(1);
      try {
        assertEquals(f().dataSync(), split);
      } finally {
        lt.setCpuThreads(2);
      }
    });
  }

  // a big loop kernel read on the host copies each chunk out as it finishes (wasm/_pool.ts)
  const copied: [string, (i: number) => lt.Tensor][] = [
    // a broadcast keeps rows of 1,001 values: chunks start at odd element offsets
    ["rows of 1,001 float32 values", (i) => rand([1100 + i, 1001], 41).add(rand([1001], 42))],
    ["bool values", (i) => rand([1_048_579 + i], 43).gt(0.5)],
    ["int32 values", (i) => {
      const x = lt.tensor(
        Int32Array.from({ length: 1_048_579 + i }, (_, j) => (j * 7919) % 1000 - 500),
      );
      return x.mul(3).add(x);
    }],
  ];
  for (const [name, f] of copied) {
    it(`copies out the chunks workers computed, in their places: ${name}`, async () => {
      await warm();
      // a new kernel per try (its first launches split); a busy machine may wake the worker late
      let i = 0;
      let got: lt.DataArray | undefined;
      for (; i < 50 && got === undefined; i++) {
        const jobs = lt.kernelStats().workerJobs;
        const values = f(i).dataSync();
        if (lt.kernelStats().workerJobs > jobs) got = values;
        else await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert(got !== undefined, "no worker ever computed a chunk");
      lt.setCpuBackend("js");
      try {
        assertEquals(got, f(i - 1).dataSync());
      } finally {
        wasm();
      }
    });
  }

  it("a jitted program splits its big kernels and replays the same values", async () => {
    await warm();
    const f = lt.jit((x: lt.Tensor, w: lt.Tensor) => lt.relu(x.matmul(w)).matmul(w.transpose()));
    const [x, w] = [rand([300, 260], 30), rand([260, 270], 31)];
    const eager = lt.relu(x.matmul(w)).matmul(w.transpose()).dataSync();
    const before = lt.kernelStats().threaded;
    // the first launches of a kernel alternate alone and split (the split tuning's probes):
    // in 6 replays, each of the 2 products splits at least 3 times
    for (let i = 0; i < 6; i++) assertEquals(f(x, w).dataSync(), eager);
    assert(lt.kernelStats().threaded >= before + 6, "the replays did not split");
  });

  it("leaves small matmuls on the calling thread", async () => {
    await warm();
    const before = lt.kernelStats().threaded;
    rand([128, 128], 17).matmul(rand([128, 128], 18)).dataSync();
    assertEquals(lt.kernelStats().threaded, before);
  });

  it("explain reports the threads a kernel runs on", () => {
    wasm();
    const big = lt.explain(rand([256, 256], 26).matmul(rand([256, 256], 27)));
    assertEquals(big.kernels.map((k) => k.threads), [2]);
    assert(big.toString().includes("#0 matmul wasm ×2 float32[256, 256]"), big.toString());
    const small = lt.explain(rand([128, 128], 28).matmul(rand([128, 128], 29)));
    assertEquals(small.kernels.map((k) => k.threads), [1]);
  });

  it("setCpuThreads() refuses counts that are not positive integers", () => {
    for (const n of [0, -1, 1.5, NaN]) {
      assertThrows(
        () => lt.setCpuThreads(n),
        RangeError,
        `setCpuThreads() expected a positive integer: found ${n}: use 1 to turn worker threads off`,
      );
    }
    assertEquals(lt.cpuThreads(), 2);
  });

  it("setCpuThreads(1) turns the split off", async () => {
    await warm();
    const before = lt.kernelStats().threaded;
    lt.setCpuThreads(1);
    try {
      rand([256, 256], 19).matmul(rand([256, 256], 20)).dataSync();
    } finally {
      lt.setCpuThreads(2);
    }
    assertEquals(lt.kernelStats().threaded, before);
  });

  it("a script that used the pool exits by itself, with the LATHE_THREADS=1 result", async () => {
    const script = new URL("./_threads_script.ts", import.meta.url).pathname;
    const config = new URL("../deno.json", import.meta.url).pathname;
    // Deno runs the script with only the env permission it reads; Bun runs it as is
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    const command = deno === undefined ? [process.execPath, script] : [
      deno.execPath(),
      ...["run", "--no-prompt", "--allow-env=LATHE_THREADS", "--config", config, script],
    ];
    const run = async (threads: string) => {
      const { stdout } = await execFile(command[0], command.slice(1), {
        env: { ...process.env, LATHE_THREADS: threads },
        timeout: 30_000,
      });
      return JSON.parse(stdout);
    };
    const threaded = await run("2");
    const single = await run("1");
    assert(threaded.workerJobs > 0 && threaded.threaded > 0, JSON.stringify(threaded));
    assertEquals([single.threads, single.threaded, single.workerJobs], [1, 0, 0]);
    assertEquals(threaded.sum, single.sum);
  });
});
