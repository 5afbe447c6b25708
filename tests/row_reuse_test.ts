// Row reuse: softmax's exp(x - max) is computed once per element on both CPU
// tiers (the sum's pass stores it in the output row, the division reads it
// back), counted in the emitted code, and the JS tier's values stay those of
// the textbook float32 formula, bit for bit.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { mulberry32 as rng } from "./_random.ts";

/** The float32 bits of log2(e) as an i32: the Wasm exp (jit/codegen/wasm/_math.ts) reads it once per call. */
const LOG2E_BITS = new Int32Array(Float32Array.of(Math.LOG2E).buffer)[0];

/** How many exp evaluations a Wasm listing holds (reads of the splatted log2(e) local). */
function wasmExps(source: string): number {
  const lines = source.split("\n").map((l) => l.trim());
  const at = lines.indexOf(`i32.const ${LOG2E_BITS}`);
  if (at < 0) return 0;
  assertEquals(lines[at + 1], "i32x4.splat", "log2(e) is splatted into a local");
  const set = /^local\.set (\d+)$/.exec(lines[at + 2]);
  assert(set !== null, `expected local.set after log2(e)'s splat, found ${lines[at + 2]}`);
  return lines.filter((l) => l === `local.get ${set[1]}`).length;
}

/** How many Math.exp calls a JS kernel holds. */
function jsExps(source: string): number {
  return source.split("Math.exp(").length - 1;
}

const rows = (r: number, c: number, seed: number): Float32Array => {
  const next = rng(seed);
  return Float32Array.from({ length: r * c }, () => (next() - 0.5) * 30);
};

/** Each tier's single kernel for `f(x)` over a [16, 1000] x (1000 = 250 vectors of 4: no rest). */
function kernels(f: (x: lt.Tensor) => lt.Tensor): { wasm?: string; js: string } {
  const y = f(lt.tensor(rows(16, 1000, 1), { shape: [16, 1000] }));
  const ks = lt.explain(y).kernels;
  assertEquals(ks.length, 1, "one fused kernel");
  return { wasm: ks[0].backend === "wasm" ? ks[0].source : undefined, js: ks[0].jsSource };
}

describe("row reuse: a costly value of a row reduction is computed once per element", () => {
  it("softmax and logSoftmax evaluate exp once per element on the Wasm and JS tiers", () => {
    // the Wasm sum of softmax's exp unrolls its loop (four sites, two for the rest of a row of
    // 250 vectors): as many as logSumExp's, which has no work after its sum
    const sum = kernels((x) => lt.logSumExp(x, 1)).wasm;
    for (const [name, f] of [["softmax", lt.softmax], ["logSoftmax", lt.logSoftmax]] as const) {
      const { wasm, js } = kernels((x) => f(x, 1));
      assertEquals(jsExps(js), 1, `${name}: Math.exp calls in\n${js}`);
      if (wasm !== undefined) {
        assertEquals(wasmExps(wasm), wasmExps(sum!), `${name}: exp sites in the Wasm`);
        assertEquals(wasmExps(wasm), 6, `${name}: exp sites in the Wasm`);
      }
    }
    // the counters see two exps where two different ones are needed (nothing to reuse)
    const two = kernels((x) => x.exp().add(x.mul(2).exp().sum({ axis: 1, keepdims: true })));
    assertEquals(jsExps(two.js), 2, two.js);
    if (two.wasm !== undefined) assertEquals(wasmExps(two.wasm), 2);
  });

  it("keeps the JS tier's softmax equal to the float32 formula, bit for bit", () => {
    const [r, c] = [9, 37];
    const data = rows(r, c, 7);
    data.fill(-Infinity, 0, c); // a row of -Infinity: every exp is NaN
    data[c + 3] = Infinity;
    data[2 * c + 5] = NaN;
    data.fill(-120, 3 * c, 4 * c); // exps that underflow to subnormals
    const f = Math.fround;
    const want = new Float32Array(r * c);
    for (let i = 0; i < r; i++) {
      const row = data.subarray(i * c, (i + 1) * c);
      let m = -Infinity;
      for (const v of row) if (v > m || Number.isNaN(v)) m = v;
      const shift = m + -m === 0 ? m : 0; // a non-finite max shifts by 0
      const e = row.map((v) => f(Math.exp(f(v - shift))));
      let s = 0;
      for (const v of e) s += v;
      e.forEach((v, j) => (want[i * c + j] = f(v / f(s))));
    }
    lt.setCpuBackend("js");
    try {
      const x = lt.tensor(data, { shape: [r, c] });
      const got = lt.softmax(x, 1).dataSync() as Float32Array;
      assertEquals(jsExps(lt.explain(lt.softmax(x, 1)).kernels[0].jsSource), 1);
      const bits = (a: Float32Array) => Array.from(new Int32Array(a.slice().buffer));
      // NaNs compared by bits too: both come from the same operations
      assertEquals(bits(got).map((b, i) => [i, b]), bits(want).map((b, i) => [i, b]));
    } finally {
      lt.setCpuBackend("wasm");
    }
  });

  it("stores once per row when the reduction is also used inside a pad's branch", () => {
    // concat pads: the sum is computed again inside the branch, per element; that copy must not
    // write the output row that earlier elements already finished
    const data = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
    const f = Math.fround;
    const want: number[] = [];
    for (let r = 0; r < 4; r++) {
      const e = Array.from(data.subarray(r * 6, r * 6 + 6), (v) => f(Math.exp(v)));
      const s = f(e.reduce((a, b) => a + b, 0));
      e.forEach((v, c) => want.push(f((c < 3 ? s : 0) + f(v / s))));
    }
    for (const tier of ["js", "wasm"] as const) {
      lt.setCpuBackend(tier);
      try {
        const x = lt.tensor(data, { shape: [4, 6] });
        const s = x.exp().sum({ axis: 1, keepdims: true });
        const y = lt.concat([s.expand([4, 3]), lt.zeros([4, 3])], 1).add(x.exp().div(s));
        const k = lt.explain(y).kernels;
        assertEquals(k.length, 1, "one fused kernel");
        if (k[0].backend === "js") assertEquals(k[0].jsSource.split("out[p + ").length, 2);
        const got = Array.from(y.dataSync());
        // the Wasm exp is within an ulp of Math.exp; the JS tier is the formula itself
        const tol = k[0].backend === "js" ? 0 : 4e-7;
        got.forEach((v, i) =>
          assert(
            Math.abs(v - want[i]) <= tol * Math.abs(want[i]),
            `${tier} [${i}]: ${v} vs ${want[i]}`,
          )
        );
      } finally {
        lt.setCpuBackend("wasm");
      }
    }
  });
});
