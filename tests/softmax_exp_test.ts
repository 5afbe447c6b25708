// The cheaper exp of softmax, logSoftmax, logSumExp and sigmoid on the Wasm
// tier (VMath.expShifted, jit/codegen/wasm/_math.ts, chosen by jit/wasm/_cheap_exp.ts):
// an exp of `x - max` or sigmoid's uses it, a plain exp keeps the ≤ 1 ulp
// routine, and both the exp and the fused ops stay within the bounds
// docs/memory.md states, against float64 references.
import { afterAll, describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { sweep, worst } from "./_ulp.ts";
import { mulberry32 as rng } from "./_random.ts";

/** `v128.andnot` is emitted only by the shifted exp (its flush of subnormal results to 0). */
function usesShiftedExp(y: lt.Tensor): boolean {
  const ks = lt.explain(y).kernels;
  assertEquals(ks.map((k) => k.backend), ["wasm"]);
  return ks[0].source.includes("v128.andnot");
}

/** exp(a - max(zeros)) = exp(a) through the shifted pattern, over a column of values. */
function shiftedExp(xs: number[]): lt.Tensor {
  const a = lt.tensor(xs, { shape: [xs.length, 1] });
  return a.sub(lt.zeros([xs.length, 3]).max({ axis: 1, keepdims: true })).exp();
}

/** Rows of uniform values in [-scale, scale), with a few NaN-free specials. */
function rows(r: number, c: number, seed: number, scale: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: r * c }, () => (next() * 2 - 1) * scale);
}

/**
 * Float64 softmax of each row of float32 values, from the float32 differences x - max (their
 * rounding, up to 2^-24·|x - max| relative in the result, is the input error of every float32
 * softmax, torch's included).
 */
function softmaxRef(x: Float32Array, c: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / c; r++) {
    const row = x.subarray(r * c, r * c + c);
    const m = Math.max(...row);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(Math.fround(row[j] - m));
    for (let j = 0; j < c; j++) out[r * c + j] = Math.exp(Math.fround(row[j] - m)) / s;
  }
  return out;
}

// both forms of the exp: fused multiply-adds (relaxed SIMD, where the engine has it) and products
// and sums (`fma: false`, as on engines without relaxed SIMD)
for (const fma of [true, false]) {
  /** The Wasm tier, with or without relaxed-SIMD fused multiply-add. */
  const wasm = () => lt.setCpuBackend("wasm", { fma });
  const title = fma ? "with fused multiply-add" : "with products and sums";

  describe(`softmax's exp (the shifted exp of the Wasm tier), ${title}`, () => {
    afterAll(() => lt.setCpuBackend("wasm"));

    it("is used for exp(x - max) and not for a plain exp", () => {
      wasm();
      const x = lt.tensor(rows(4, 64, 1, 5), { shape: [4, 64] });
      assert(usesShiftedExp(lt.softmax(x, 1)), "softmax");
      assert(usesShiftedExp(lt.logSoftmax(x, 1)), "logSoftmax");
      assert(usesShiftedExp(lt.logSumExp(x, 1)), "logSumExp");
      assert(usesShiftedExp(x.sub(x.max({ axis: 1, keepdims: true })).exp()), "x - max");
      assert(!usesShiftedExp(x.exp()), "a plain exp keeps the 1 ulp routine");
      assert(!usesShiftedExp(x.sub(x.mean({ axis: 1, keepdims: true })).exp()), "x - mean");
      // without fma, no relaxed SIMD (the form engines without it run)
      const source = lt.explain(lt.softmax(x, 1)).kernels[0].source;
      if (!fma) assert(!source.includes("relaxed_madd"), "a relaxed_madd with fma: false");
    });

    it("stays within 2 float32 eps of Math.exp down to 2^-126 and up to 88.376", () => {
      wasm();
      const dense = Array.from({ length: 100_001 }, (_, i) => Math.fround(-87.3 + 175.6 * i / 1e5));
      // 88.376 is just below 127.5·ln 2, where n rounds to 128
      const xs = sweep(-30, 7, [0, -0, -87.33, 88.37, 88.376, ...dense]).filter((v) =>
        v >= -87.33654 && v <= 88.376
      );
      const y = shiftedExp(xs).dataSync();
      const [err, at] = worst(y, xs.map(Math.exp), 2 ** -126);
      assert(err <= 2, `${err.toFixed(2)} eps at x = ${xs[at]}: ${y[at]} vs ${Math.exp(xs[at])}`);
    });

    it("keeps NaN and the infinities, gives 0 below 2^-126 and Infinity from 88.3763", () => {
      wasm();
      const xs = [NaN, Infinity, -Infinity, -87.34, -88, -104, -1e30, 88.3763, 88.38, 89, 1e30];
      const want = [NaN, Infinity, 0, 0, 0, 0, 0, Infinity, Infinity, Infinity, Infinity];
      assertEquals(Array.from(shiftedExp(xs).dataSync()), want);
    });

    it("keeps softmax within 1e-6 relative (plus 2^-126) of the float64 softmax of x - max", () => {
      wasm();
      for (const [c, scale, seed] of [[1000, 3, 2], [1024, 40, 3], [7, 100, 4], [256, 1e-3, 5]]) {
        const x = rows(16, c, seed, scale);
        const got = lt.softmax(lt.tensor(x, { shape: [16, c] }), 1).dataSync();
        const want = softmaxRef(x, c);
        let bad = -1;
        for (let i = 0; i < want.length && bad < 0; i++) {
          if (!(Math.abs(got[i] - want[i]) <= 1e-6 * want[i] + 2 ** -126)) bad = i;
        }
        assertEquals(bad, -1, `[16, ${c}] scale ${scale}: ${got[bad]} vs ${want[bad]} at ${bad}`);
      }
    });

    it("keeps logSoftmax and logSumExp within 1e-6 of float64 (relative above 1)", () => {
      wasm();
      const c = 1000;
      const x = rows(8, c, 6, 20);
      const ls = lt.logSoftmax(lt.tensor(x, { shape: [8, c] }), 1).dataSync();
      const lse = lt.logSumExp(lt.tensor(x, { shape: [8, c] }), 1).dataSync();
      const p = softmaxRef(x, c);
      for (let r = 0; r < 8; r++) {
        const m = Math.max(...x.subarray(r * c, r * c + c));
        const wantLse = m - Math.log(p[r * c]) + (x[r * c] - m);
        assert(Math.abs(lse[r] - wantLse) <= 1e-6 * Math.max(1, Math.abs(wantLse)), `lse row ${r}`);
        for (let j = 0; j < c; j++) {
          const w = Math.log(p[r * c + j]);
          const g = ls[r * c + j];
          assert(Math.abs(g - w) <= 1e-6 * Math.max(1, Math.abs(w)), `row ${r}: ${g} vs ${w}`);
        }
      }
    });

    it("is used by sigmoid only where every use of its exp is the sigmoid", () => {
      wasm();
      const x = lt.tensor(rows(4, 64, 7, 5), { shape: [4, 64] });
      assert(usesShiftedExp(lt.sigmoid(x)), "sigmoid");
      assert(usesShiftedExp(lt.silu(x)), "silu");
      assert(usesShiftedExp(lt.reciprocal(x.neg().exp().add(1))), "1 / (1 + exp(-x)) by hand");
      const e = x.neg().exp();
      assert(!usesShiftedExp(lt.reciprocal(e.add(1)).add(e)), "exp(-x) also used alone");
      assert(!usesShiftedExp(lt.reciprocal(x.exp().add(1))), "1 / (1 + exp(x))");
    });

    it("keeps sigmoid within 3 float32 eps of float64 for results from 2^-126 up", () => {
      wasm();
      const dense = Array.from({ length: 200_001 }, (_, i) => Math.fround(-100 + i / 1000));
      const xs = sweep(-30, 8, [0, -0, 16, -16, 17, ...dense]);
      const ref = (v: number) => 1 / (1 + Math.exp(-v));
      const y = lt.sigmoid(lt.tensor(xs)).dataSync();
      const normal = xs.map((_, i) => i).filter((i) => ref(xs[i]) >= 2 ** -126);
      const [err, at] = worst(normal.map((i) => y[i]), normal.map((i) => ref(xs[i])), 0);
      const i = normal[at];
      assert(err <= 3, `${err.toFixed(2)} eps at x = ${xs[i]}: ${y[i]} vs ${ref(xs[i])}`);
      // below 2^-126: within 2^-126 (0 where the exp overflows)
      for (let j = 0; j < xs.length; j++) {
        assert(Math.abs(y[j] - ref(xs[j])) <= Math.max(2 ** -126, ref(xs[j])), `x = ${xs[j]}`);
      }
      const specials = lt.sigmoid(lt.tensor([NaN, Infinity, -Infinity, 100, -100])).dataSync();
      assertEquals(Array.from(specials), [NaN, 1, 0, 1, 0]);
    });

    it("keeps the rows of infinities and NaN the JS reference gives", () => {
      const data = [Infinity, 1, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity, NaN, 1, 2, 3];
      const run = (backend: "js" | "wasm") => {
        if (backend === "js") lt.setCpuBackend("js");
        else wasm();
        return Array.from(lt.softmax(lt.tensor(data, { shape: [3, 4] }), 1).dataSync());
      };
      assertEquals(run("wasm"), run("js"));
      wasm();
    });
  });
}
