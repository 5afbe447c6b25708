// Row kernels on the Wasm tier (softmax, logSoftmax, logSumExp): a row
// reduction reached twice through different views runs once per row, and a
// kernel's work counts a reduction hoisted out of the row's loop once per
// row, not once per element (the runtime's threshold and chunk size for
// splitting over threads read it). The heap knows which memory was never
// written (a launch whose output lands there times its page faults, so it
// is no fair probe of splitting against running alone).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { uniformTensor as rand } from "./_random.ts";
import { Heap } from "../jit/runtime/cpu/wasm/_memory.ts";

/** Lines of a kernel listing that are `instruction` (trimmed). */
function count(source: string, instruction: string): number {
  return source.split("\n").filter((l) => l.trim() === instruction).length;
}

/** The one Wasm kernel of `t`'s graph. */
function wasmKernel(t: lt.Tensor): lt.KernelReport {
  const ks = lt.explain(t).kernels;
  assertEquals(ks.length, 1, "one fused kernel");
  assertEquals(ks[0].backend, "wasm");
  return ks[0];
}

describe("Wasm row kernels", () => {
  it("run logSumExp's row max once (it is also added back after the log)", () => {
    lt.setCpuBackend("wasm");
    const x = rand([64, 1000], 1);
    // a max reduction's pmax count, in a kernel that holds one max
    const one = count(wasmKernel(lt.max(x, 1)).source, "f32x4.pmax");
    assert(one > 0, "the max kernel has no f32x4.pmax");
    for (const [name, y] of [["logSumExp", lt.logSumExp(x, 1)], ["softmax", lt.softmax(x, 1)]]) {
      assertEquals(count(wasmKernel(y as lt.Tensor).source, "f32x4.pmax"), one, name as string);
    }
    // the values: logSumExp of rows of equal values c is c + log(n)
    const c = lt.full([3, 1000], 2.5);
    const got = lt.logSumExp(c, 1).dataSync();
    for (const v of got) assert(Math.abs(v - (2.5 + Math.log(1000))) < 1e-6, `${v}`);
  });

  it("count a softmax's row reductions once per row when choosing to split", () => {
    lt.setCpuBackend("wasm");
    lt.setCpuThreads(2);
    if (lt.cpuThreads() < 2) return;
    // 256 x 256: three steps per element (max, exp-sum, scale) are 3.1M multiply-add
    // equivalents, under the 4M threshold (counted per element and reduction step, it was 268M)
    assertEquals(lt.explain(lt.softmax(rand([256, 256], 2), 1)).kernels[0].threads, 1);
    assertEquals(lt.explain(lt.softmax(rand([1024, 1024], 3), 1)).kernels[0].threads, 2);
  });

  it("know the memory never written: blocks above every block allocated so far", () => {
    const h = new Heap();
    assertEquals(h.touched, 0);
    const a = h.alloc(100_000)!;
    const top = h.touched;
    assert(top >= a + 100_000, `touched ${top} below the block's end ${a + 100_000}`);
    h.free(a);
    // a block reused below the mark leaves it; one reaching past it (the memory grows) raises it
    assertEquals(h.alloc(50_000), a);
    assertEquals(h.touched, top);
    const b = h.alloc(4 << 20)!;
    assert(b + (4 << 20) > top && h.touched >= b + (4 << 20), `${b}, ${h.touched}`);
  });

  it("keep a NaN anywhere in a max, as the JS reference (unrolled steps, rest, serial lanes)", () => {
    const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      assertEquals(a.length, b.length);
      for (let i = 0; i < a.length; i++) {
        assert(Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i])), `${what} ${i}`);
      }
    };
    for (const c of [1, 3, 4, 5, 16, 19, 37, 70]) {
      // row r holds a NaN at column r (rows past c have none); one row of -Infinity
      const rows = c + 2;
      const data = Float32Array.from({ length: rows * c }, (_, i) => Math.sin(i) * 10);
      for (let r = 0; r < c; r++) data[r * c + r] = NaN;
      data.fill(-Infinity, (rows - 1) * c);
      const x = lt.tensor(data, { shape: [rows, c] });
      const run = (tier: "js" | "wasm") => {
        lt.setCpuBackend(tier);
        return [x.max({ axis: 1 }).dataSync(), x.max({ axis: 0 }).dataSync()];
      };
      const [js, wasm] = [run("js"), run("wasm")];
      same(wasm[0], js[0], `rows of ${c}, row`);
      same(wasm[1], js[1], `rows of ${c}, column`);
      assert(Number.isNaN(wasm[0][c - 1]) && wasm[0][rows - 1] === -Infinity, `rows of ${c}`);
    }
  });
});
