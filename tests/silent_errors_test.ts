// Wrong answers that used to pass silently: out-of-range gathers, bce()
// outside [0, 1], and NaNs found by debugNans.
import { afterEach, describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import { readTextFileSync } from "../test_util/runtime.ts";
import { execFile } from "node:child_process";
import process from "node:process";

const i32 = (v: number[] | number[][]) => lt.tensor(v, { dtype: "int32" });
const here = new URL(import.meta.url).href;
const source = readTextFileSync(new URL(import.meta.url));
/** The 1-based line of this file holding `marker` (a comment beside the call). */
const lineOf = (marker: string) => source.split("\n").findIndex((l) => l.endsWith(marker)) + 1;

describe("take() and gather() index checks", () => {
  it("check known indices into a constant tensor when called", () => {
    assertThrows(
      // a block, not `() => lt.take(...)`: JavaScriptCore (Bun) has proper tail
      // calls, so an arrow that returns the call leaves no frame of this file
      () => {
        lt.take(lt.ones([3, 2]), i32([5]), 0);
      },
      RangeError,
      `take() index 5 at flat position 0 is out of range for an axis of size 3: ` +
        `indices must be in [-3, 2] (take() called at ${here}:`,
    );
    assertThrows(
      () => lt.take(lt.arange(4), i32([1, 2, 4, 0]).reshape([2, 2])),
      RangeError,
      "take() index 4 at flat position 2 is out of range for an axis of size 4",
    );
    assertThrows(
      () => lt.gather(lt.ones([2, 2]), 0, i32([[0, -3]])),
      RangeError,
      "gather() index -3 at flat position 1 is out of range for an axis of size 2",
    );
  });

  it("check computed indices when read, naming the op and the caller", () => {
    const x = lt.arange(6).reshape([3, 2]);
    const pending = i32([1, 2]).add(2);
    const y = lt.take(x, pending, 0); // take-site
    assertThrows(
      () => y.toArray(),
      RangeError,
      `take() index 3 is out of range for an axis of size 3: indices must be in [-3, 2] ` +
        `(take() called at ${here}:${lineOf("// take-site")}:`,
    );
    const g = x.gather(1, i32([[0], [1], [1]]).mul(3));
    assertThrows(
      () => g.toArray(),
      RangeError,
      `gather() index 3 is out of range for an axis of size 2: indices must be in [-2, 1] ` +
        `(gather() called at ${here}:`,
    );
    assertEquals(lt.take(x, i32([1, 0]).add(1), 0).toArray(), [[4, 5], [2, 3]]);
  });

  it("name the failing one of two gathers over axes of one size in eager code, also when replayed", () => {
    const a = lt.tensor([[0, 1], [2, 3], [4, 5]]);
    const b = lt.tensor([[0, 10], [20, 30], [40, 50]]);
    // the second run replays the eager program cached for this graph's structure
    for (const j of [[1, 2], [2, 1]]) {
      const first = lt.take(a, i32([0, 1]).add(1), 0); // eager-first-site
      const second = lt.take(b, i32(j).add(1), 0); // eager-second-site
      assertThrows(
        () => first.add(second).toArray(),
        RangeError,
        "take() index 3 is out of range for an axis of size 3: indices must be in [-3, 2] " +
          `(take() called at ${here}:${lineOf("// eager-second-site")}:`,
      );
    }
    const first = lt.take(a, i32([2, 1]).add(1), 0); // eager-first-failing-site
    assertThrows(
      () => first.add(lt.take(b, i32([0, 1]).add(1), 0)).toArray(),
      RangeError,
      `(take() called at ${here}:${lineOf("// eager-first-failing-site")}:`,
    );
  });

  it("check indices computed inside jit when the program runs, naming the op and the caller, on each tier", () => {
    for (const tier of ["wasm", "js"] as const) {
      lt.setCpuBackend(tier);
      try {
        const x = lt.arange(6).reshape([3, 2]);
        const f = lt.jit((a: lt.Tensor, i: lt.Tensor) => {
          return lt.take(a, i.add(2), 0).mul(2); // jit-take-site
        });
        assertThrows(
          () => f(x, i32([1, 0])),
          RangeError,
          `take() index 3 is out of range for an axis of size 3: indices must be in [-3, 2] ` +
            `(take() called at ${here}:${lineOf("// jit-take-site")}:`,
        );
        const g = lt.jit((a: lt.Tensor, i: lt.Tensor) => {
          return lt.gather(a, 1, i.mul(3)).sum(); // jit-gather-site
        });
        assertThrows(
          () => g(x, i32([[0], [1], [0]])),
          RangeError,
          `gather() index 3 is out of range for an axis of size 2: indices must be in [-2, 1] ` +
            `(gather() called at ${here}:${lineOf("// jit-gather-site")}:`,
        );
        // negative indices too, and the same compiled program still runs in range
        assertThrows(
          () => f(x, i32([-6, 0])),
          RangeError,
          "take() index -4 is out of range for an axis of size 3: indices must be in [-3, 2] " +
            "(take() called at",
        );
        assertEquals(f(x, i32([-1, -2])).toArray(), [[4, 6], [0, 2]]);
        assertEquals(g(x, i32([[0], [0], [0]])).item(), 6);
        assertEquals([f.compileCount, g.compileCount], [1, 1]);
      } finally {
        lt.setCpuBackend("wasm");
      }
    }
  });

  it("name the gather that failed among gathers over axes of one size in one kernel, on each tier", () => {
    for (const tier of ["wasm", "js"] as const) {
      lt.setCpuBackend(tier);
      try {
        const a = lt.arange(6).reshape([3, 2]);
        const b = lt.arange(6).reshape([3, 2]).mul(10);
        const f = lt.jit((a: lt.Tensor, b: lt.Tensor, i: lt.Tensor, j: lt.Tensor) => {
          const first = lt.take(a, i.add(1), 0); // first-of-two-site
          const second = lt.gather(b, 0, j.add(1)); // second-of-two-site
          return first.add(second).mul(1);
        });
        // both read in one fused kernel
        assertEquals(lt.explain(f, a, b, i32([0, 1]), i32([[0, 1], [1, 0]])).kernels.length, 1);
        assertThrows(
          () => f(a, b, i32([0, 1]), i32([[0, 1], [2, 0]])),
          RangeError,
          "gather() index 3 is out of range for an axis of size 3: indices must be in [-3, 2] " +
            `(gather() called at ${here}:${lineOf("// second-of-two-site")}:`,
        );
        assertThrows(
          () => f(a, b, i32([2, 1]), i32([[0, 1], [1, 0]])),
          RangeError,
          "take() index 3 is out of range for an axis of size 3: indices must be in [-3, 2] " +
            `(take() called at ${here}:${lineOf("// first-of-two-site")}:`,
        );
        // the same structure traced at other lines shares the compiled code, not the names
        const g = lt.jit((a: lt.Tensor, b: lt.Tensor, i: lt.Tensor, j: lt.Tensor) => {
          const first = lt.take(a, i.add(1), 0);
          const second = lt.gather(b, 0, j.add(1)); // second-of-g-site
          return first.add(second).mul(1);
        });
        assertThrows(
          () => g(a, b, i32([0, 1]), i32([[0, 1], [2, 0]])),
          RangeError,
          `(gather() called at ${here}:${lineOf("// second-of-g-site")}:`,
        );
        assertEquals(f(a, b, i32([0, 1]), i32([[0, 1], [1, 0]])).toArray(), [[22, 53], [44, 35]]);
        assertEquals(f.compileCount, 1);
      } finally {
        lt.setCpuBackend("wasm");
      }
    }
  });

  it("name the gather inside a compiled scan body under jit, not one after the loop", () => {
    const x = lt.arange(3);
    const f = lt.jit((a: lt.Tensor, ids: lt.Tensor) => {
      const [total] = lt.scan(
        (c: lt.Tensor, i: lt.Tensor) => {
          return [c.add(lt.take(a, i.add(1).reshape([1]), 0).sum()), c] as const; // scan-body-site
        },
        lt.zeros([]),
        ids,
      );
      return lt.take(a, ids, 0).add(total); // after-scan-site
    });
    assertThrows(
      () => f(x, i32([0, 2])),
      RangeError,
      "take() index 3 is out of range for an axis of size 3: indices must be in [-3, 2] " +
        `(take() called at ${here}:${lineOf("// scan-body-site")}:`,
    );
    assertThrows(
      () => f(x, i32([0, -4])),
      RangeError,
      "take() index -4 is out of range for an axis of size 3: indices must be in [-3, 2] " +
        `(take() called at ${here}:${lineOf("// after-scan-site")}:`,
    );
    assertEquals(f(x, i32([0, 1])).toArray(), [3, 4]); // 1 + 2 added to x[0], x[1]
  });

  it("name the line that applied an embedding layer under jit", () => {
    const layer = nn.embedding(4, 2);
    const table = { weight: lt.arange(8).reshape([4, 2]) };
    const f = lt.jit((p: typeof table, ids: lt.Tensor) => {
      // not a tail call (`.add(0)` after it): JavaScriptCore (Bun) drops a tail caller's frame
      // from the stack, and with it the line the message names; Bun's transpiler also folds
      // `const rows = …; return rows;` back into a tail call
      return layer.apply(p, ids.add(3)).add(0); // jit-embedding-site
    });
    assertThrows(
      () => f(table, i32([0, 1])),
      RangeError,
      "take() index 4 is out of range for an axis of size 4: indices must be in [-4, 3] " +
        `(take() called at ${here}:${lineOf("// jit-embedding-site")}:`,
    );
    assertEquals(f(table, i32([0, -3])).toArray(), [[6, 7], [0, 1]]);
  });
});

describe("bce() checks its values", () => {
  it("rejects probabilities and targets outside [0, 1] like PyTorch", () => {
    assertThrows(
      () => nn.bce(lt.tensor([0.5, 1.5]), lt.tensor([0, 1])),
      RangeError,
      "bce() expected probabilities in [0, 1]: found 1.5 at position 1: " +
        "pass sigmoid(logits), or use bceWithLogits() on logits",
    );
    assertThrows(
      () => nn.bce(lt.tensor([0.5, 0.5]), lt.tensor([0, 2])),
      RangeError,
      "bce() expected targets in [0, 1]: found 2 at position 1: " +
        "targets are probabilities (0 or 1 for hard labels)",
    );
    assertThrows(
      () => nn.bce(lt.tensor([-0.5, 1]).add(0), lt.tensor([0, 1])),
      RangeError,
      "bce() expected probabilities in [0, 1]: found -0.5 at position 0",
    );
    assertThrows(
      () => nn.bce(lt.tensor([NaN, 1]), lt.tensor([0, 1])),
      RangeError,
      "bce() expected probabilities in [0, 1]: found NaN at position 0",
    );
  });

  it("still computes in range, eagerly, under grad and under jit", () => {
    const p = lt.tensor([0.25, 0.75]);
    const y = lt.tensor([0, 1]);
    const expected = -Math.log(0.75); // both terms are -log(0.75)
    assertEquals(Math.abs(nn.bce(p, y).item() - expected) < 1e-6, true);
    const g = lt.grad((q: lt.Tensor) => nn.bce(q, y))(p);
    assertEquals(g.shape, [2]);
    // under jit the values are not known while tracing: nothing is checked
    const f = lt.jit((q: lt.Tensor, t: lt.Tensor) => nn.bce(q, t));
    assertEquals(Math.abs(f(p, y).item() - expected) < 1e-6, true);
  });
});

describe("debugNans()", () => {
  afterEach(() => {
    lt.debugNans(false);
  });

  it("names the op that first made a NaN and the line that built it, on each tier", () => {
    for (const tier of ["wasm", "js"] as const) {
      lt.setCpuBackend(tier);
      try {
        lt.debugNans(true);
        const x = lt.tensor([1, -1, 2, 4]);
        const y = x.mul(2).log().add(1).sum(); // log-site
        if (tier === "wasm" && lt.cpuBackend() === "wasm") {
          assertEquals(lt.explain(y).kernels[0].backend, "wasm");
        }
        assertThrows(
          () => y.item(),
          RangeError,
          `log() produced NaN at flat index 1 of its float32[4] output (debugNans): ` +
            `built at ${here}:${lineOf("// log-site")}:`,
        );
      } finally {
        lt.setCpuBackend("wasm");
      }
    }
  });

  it("reports Infinity, NaN from the data, and works under jit", () => {
    lt.debugNans(true);
    const x = lt.tensor([1, 2]);
    assertThrows(
      () => x.div(x.sub(x)).dataSync(),
      RangeError,
      "div() produced Infinity at flat index 0 of its float32[2] output (debugNans)",
    );
    assertThrows(
      () => lt.tensor([NaN, 1]).mul(2).dataSync(),
      RangeError,
      "mul() produced NaN at flat index 0 of its float32[2] output (debugNans): built at " +
        `${here}:`,
    );
    const f = lt.jit((a: lt.Tensor) => a.sub(3).sqrt().mul(3));
    assertThrows(
      () => f(x).dataSync(),
      RangeError,
      "sqrt() produced NaN at flat index 0 of its float32[2] output (debugNans)",
    );
  });

  it("turns on with LATHE_DEBUG_NANS=1", async () => {
    const mod = new URL("../mod.ts", import.meta.url).href;
    const script = `import * as lt from "${mod}";\nlt.tensor([1, -1]).log().dataSync();`;
    // `deno eval` on Deno, `bun --eval` on Bun: both take the script as an argument
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    const [exe, flag] = deno === undefined
      ? [process.execPath, "--eval"]
      : [deno.execPath(), "eval"];
    const run = (env: Record<string, string>) =>
      new Promise<{ success: boolean; stderr: string }>((resolve) => {
        const options = { env: { ...process.env, ...env }, timeout: 60_000 };
        execFile(exe, [flag, script], options, (error, _stdout, stderr) => {
          resolve({ success: error === null, stderr: String(stderr) });
        });
      });
    const on = await run({ LATHE_DEBUG_NANS: "1" });
    assertEquals(on.success, false, on.stderr);
    assertEquals(
      on.stderr.includes("log() produced NaN at flat index 1 of its float32[2] output"),
      true,
      on.stderr,
    );
    const off = await run({});
    assertEquals(off.success, true, off.stderr);
  });

  it("is off by default and returns the previous state", () => {
    assertEquals(lt.tensor([-1]).log().dataSync()[0], NaN);
    assertEquals(lt.debugNans(true), false);
    assertEquals(lt.debugNans(false), true);
    assertEquals(lt.tensor([-1]).log().dataSync()[0], NaN);
  });
});
