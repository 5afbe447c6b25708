// The optional native BLAS tier of the CPU backend, tested against the JS
// reference on the same inputs: every operand layout (A·B, A·Bᵀ, Aᵀ·B, Aᵀ·Bᵀ),
// batches (broadcast too), sliced operands, epilogues, float64, jit programs
// whose matmuls read Wasm-resident intermediates, the fallback for strides
// BLAS cannot take, and child processes without --allow-ffi or with
// LATHE_BLAS=off, where nothing changes. Skipped, with a message, without FFI
// permission or a library.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { uniformTensor as rand } from "./_random.ts";

type Tier = "blas" | "wasm" | "js";

/** Runs `f` on one tier (restoring the default after). */
function on<T>(tier: Tier, f: () => T): T {
  lt.setCpuBackend(tier === "js" ? "js" : "wasm", { blas: tier === "blas" });
  try {
    return f();
  } finally {
    lt.setCpuBackend("wasm");
  }
}

/** Asserts |x − y| ≤ atol + rtol·|y| elementwise. */
function assertNear(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const [x, y] = [actual[i], expected[i]];
    assert(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}: [${i}] ${x} vs ${y}`);
  }
}

/** The product's values and its kernels' tiers on the BLAS tier, and the reference. */
function compare(f: () => lt.Tensor): { blas: number[]; js: number[]; tiers: string[] } {
  const blas = on("blas", () => {
    const before = lt.kernelStats().blas;
    const tiers = lt.explain(f()).kernels.map((k) => k.backend);
    const values = Array.from(f().dataSync());
    if (tiers.includes("blas")) assert(lt.kernelStats().blas > before, "kernelStats counts BLAS");
    return { values, tiers };
  });
  const js = on("js", () => Array.from(f().dataSync()));
  return { blas: blas.values, js, tiers: blas.tiers };
}

const ffi = (globalThis as { Deno?: typeof Deno }).Deno?.permissions.querySync({ name: "ffi" })
  .state;
const library = lt.blasLibrary();
if (library === undefined) {
  console.log(
    `blas_test: skipping the BLAS tier tests: ${
      ffi !== "granted"
        ? "no FFI permission (run Deno with --allow-ffi)"
        : "no BLAS library found (apt-get install libopenblas0-pthread)"
    }`,
  );
}
const withBlas = library === undefined ? describe.skip : describe;

withBlas(`BLAS tier (${library ?? "unavailable"})`, () => {
  const layouts: [string, (m: number, k: number, n: number, s: number) => lt.Tensor][] = [
    ["A·B", (m, k, n, s) => rand([m, k], s).matmul(rand([k, n], s + 1))],
    ["A·Bᵀ", (m, k, n, s) => rand([m, k], s).matmul(rand([n, k], s + 1).transpose())],
    ["Aᵀ·B", (m, k, n, s) => rand([k, m], s).transpose().matmul(rand([k, n], s + 1))],
    [
      "Aᵀ·Bᵀ",
      (m, k, n, s) => rand([k, m], s).transpose().matmul(rand([n, k], s + 1).transpose()),
    ],
    [
      "relu(A·B + b)",
      (m, k, n, s) => lt.relu(rand([m, k], s).matmul(rand([k, n], s + 1)).add(rand([n], s + 2))),
    ],
    [
      "sigmoid(Aᵀ·B)·c",
      (m, k, n, s) =>
        lt.sigmoid(rand([k, m], s).transpose().matmul(rand([k, n], s + 1))).mul(
          rand([m, 1], s + 3),
        ),
    ],
  ];

  it("multiplies every operand layout, with epilogues, like the reference", () => {
    for (const [name, f] of layouts) {
      for (const [m, k, n] of [[64, 80, 96], [33, 65, 47], [1, 256, 300], [200, 1, 300]]) {
        const { blas, js, tiers } = compare(() => f(m, k, n, 7));
        assertEquals(tiers.includes("blas"), m * n * k >= 32768, `${name} ${m}x${k}x${n}`);
        assertNear(blas, js, 1e-4, 1e-5 * k, `${name} ${m}x${k}x${n}`);
      }
    }
  });

  it("loops over batches, broadcast ones too, and reads sliced operands", () => {
    const cases: [string, () => lt.Tensor][] = [
      ["batched", () => rand([3, 40, 50], 1).matmul(rand([3, 50, 60], 2))],
      ["broadcast batch", () => rand([2, 3, 40, 50], 3).matmul(rand([50, 60], 4))],
      ["broadcast A", () => rand([40, 50], 5).matmul(rand([4, 60, 50], 6).transpose(1, 2))],
      ["rows sliced", () => rand([160, 64], 7).slice([0, 160, 2]).matmul(rand([64, 70], 8))],
      ["columns sliced", () => rand([90, 100], 9).slice(null, [10, 90]).matmul(rand([80, 70], 10))],
    ];
    for (const [name, f] of cases) {
      const { blas, js, tiers } = compare(f);
      assert(tiers.includes("blas"), `${name}: ${tiers}`);
      assertNear(blas, js, 1e-4, 1e-3, name);
    }
  });

  it("falls back to Wasm for strides BLAS cannot take, and for small products", () => {
    const strided = () => rand([64, 160], 11).slice(null, [0, 160, 2]).matmul(rand([80, 64], 12));
    const { blas, js, tiers } = compare(strided);
    assertEquals(tiers, ["wasm"]);
    assertNear(blas, js, 1e-4, 1e-3, "step-2 columns");
    assertEquals(compare(() => rand([8, 8], 13).matmul(rand([8, 8], 14))).tiers, ["wasm"]);
    on("wasm", () => {
      const x = rand([64, 64], 15);
      assertEquals(lt.explain(x.matmul(x)).kernels.map((k) => k.backend), ["wasm"]);
    });
  });

  it("computes float64 products with dgemm", () => {
    const cases: [string, () => lt.Tensor][] = [
      ["A·B", () => rand([70, 80], 20, "float64").matmul(rand([80, 90], 21, "float64"))],
      [
        "tanh(A·Bᵀ + b)",
        () =>
          lt.tanh(
            rand([70, 80], 22, "float64").matmul(rand([90, 80], 23, "float64").transpose()).add(
              rand([90], 24, "float64"),
            ),
          ),
      ],
      ["batched", () => rand([2, 30, 40], 25, "float64").matmul(rand([2, 40, 50], 26, "float64"))],
    ];
    for (const [name, f] of cases) {
      const { blas, js, tiers } = compare(f);
      assert(tiers.includes("blas"), `${name}: ${tiers}`);
      assertEquals(f().dtype, "float64");
      assertNear(blas, js, 1e-12, 1e-12, name);
    }
  });

  it("runs jit training steps whose matmuls read Wasm-resident intermediates", () => {
    const labels = lt.tensor(Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10), {
      shape: [64, 1],
      dtype: "int32",
    });
    const loss = (w1: lt.Tensor, w2: lt.Tensor, x: lt.Tensor) =>
      lt.logSoftmax(lt.relu(x.matmul(w1)).matmul(w2), 1).gather(1, labels).mean().neg();
    const step = (w1: lt.Tensor, w2: lt.Tensor, x: lt.Tensor) => {
      const [l, [g1, g2]] = lt.valueAndGrad(loss, { argnums: [0, 1] })(w1, w2, x) as [
        lt.Tensor,
        lt.Tensor[],
      ];
      return [w1.sub(g1.mul(0.1)), w2.sub(g2.mul(0.1)), l];
    };
    const run = (tier: Tier) =>
      on(tier, () => {
        const jitted = lt.jit(step);
        let [w1, w2] = [rand([100, 128], 30).mul(0.1), rand([128, 10], 31).mul(0.1)];
        const out: number[] = [];
        for (let i = 0; i < 3; i++) {
          const [a, b, l] = jitted(w1, w2, rand([64, 100], 32 + i)) as lt.Tensor[];
          [w1, w2] = [a, b];
          out.push(l.item(), ...w1.dataSync(), ...w2.dataSync());
        }
        const tiers = lt.explain(jitted, w1, w2, rand([64, 100], 40)).kernels.map((k) => k.backend);
        return { out, tiers };
      });
    const blas = run("blas");
    const js = run("js");
    assert(blas.tiers.filter((t) => t === "blas").length >= 3, `${blas.tiers}`);
    assertNear(blas.out, js.out, 1e-3, 1e-5, "jit steps");
  });

  it("changes nothing without --allow-ffi, or with LATHE_BLAS=off (child processes)", {
    ignore: (globalThis as { Deno?: unknown }).Deno === undefined ||
      Deno.permissions.querySync({ name: "run" }).state !== "granted" ||
      Deno.permissions.querySync({ name: "write", path: "/tmp" }).state !== "granted",
  }, async () => {
    const script = Deno.makeTempFileSync({ dir: "/tmp", suffix: ".ts" });
    try {
      Deno.writeTextFileSync(
        script,
        `import * as lt from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
const x = lt.tensor(Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i)), { shape: [64, 64] });
const y = lt.relu(x.matmul(x.transpose()).add(0.5));
const backend = lt.explain(y).kernels.map((k) => k.backend);
const values = Array.from(y.dataSync());
console.log(JSON.stringify({ library: lt.blasLibrary() ?? null, backend, blas: lt.kernelStats().blas, values }));
`,
      );
      const config = new URL("../deno.json", import.meta.url).pathname;
      const run = async (flags: string[], env: Record<string, string>) => {
        const child = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--no-prompt", "--allow-read", ...flags, "--config", config, script],
          env,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert(child.success, new TextDecoder().decode(child.stderr));
        const got = JSON.parse(new TextDecoder().decode(child.stdout));
        assertEquals([got.library, got.backend, got.blas], [null, ["wasm"], 0], flags.join(" "));
        return got.values;
      };
      const withoutFfi = await run([], {});
      const off = await run(["--allow-ffi", "--allow-env=LATHE_BLAS"], { LATHE_BLAS: "off" });
      const want = on("wasm", () => {
        const x = lt.tensor(Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i)), {
          shape: [64, 64],
        });
        return Array.from(lt.relu(x.matmul(x.transpose()).add(0.5)).dataSync());
      });
      assertEquals(withoutFfi, want);
      assertEquals(off, want);
    } finally {
      Deno.removeSync(script);
    }
  });
});
