// pow on the Wasm tier (jit/codegen/wasm/_pow.ts): float32 kernels with pow run in Wasm, within
// 1 ulp of the JS reference (Math.pow in float64, rounded to float32) and of PyTorch's float64
// pow rounded to float32, with C's special cases (0^0 = 1, 1^NaN = 1, (-1)^±inf = 1, a negative
// base with an integer exponent, signed zeros and infinities) bit for bit.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { pow } from "../core/ops/_scalar.ts";
import { decode } from "./_reference.ts";
import data from "./fixtures/elementwise.json" with { type: "json" };

/** The error of `got` in float32 ulps of `want` (0 when both are the same special or NaN). */
function ulps(got: number, want: number): number {
  if (Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want))) return 0;
  if (!Number.isFinite(want) || !Number.isFinite(got) || want === 0) return Infinity;
  const ulp = Math.abs(want) < 2 ** -126
    ? 2 ** -149
    : 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
  return Math.abs(got - want) / ulp;
}

/** pow of every pair on the Wasm tier, checking that it runs there. */
function wasmPow(a: number[], b: number[]): Float32Array {
  lt.setCpuBackend("wasm");
  const y = lt.tensor(a).pow(lt.tensor(b));
  assertEquals(lt.explain(y).kernels.map((k) => k.backend), ["wasm"]);
  return y.dataSync() as Float32Array;
}

/** The worst error over the pairs, and a message naming where it is. */
function worstOf(got: Float32Array, want: number[], a: number[], b: number[]): [number, string] {
  let worst = 0;
  let where = "";
  for (let i = 0; i < want.length; i++) {
    const e = ulps(got[i], Math.fround(want[i]));
    if (!(e <= worst)) {
      worst = e;
      where = `pow(${a[i]}, ${b[i]}): got ${got[i]}, want ${Math.fround(want[i])}`;
    }
  }
  return [worst, where];
}

describe("pow on the Wasm tier", () => {
  it("matches PyTorch's float64 pow on its grid of specials within 1 ulp, specials exact", () => {
    const c = data.cases.find((c) =>
      c.op === "pow" && c.d === "float64" && c.in[0] === "float64_7"
    )!;
    const inputs = data.inputs as Record<string, { v: (number | string)[] }>;
    const xs = inputs[c.in[0] as string].v.map(decode);
    const ys = inputs[c.in[1] as string].v.map(decode);
    // the grid's values are all float32 numbers, so float32 inputs are the same inputs
    for (const v of [...xs, ...ys]) assert(Object.is(Math.fround(v), v) || Number.isNaN(v), `${v}`);
    const a = xs.flatMap((x) => ys.map(() => x));
    const b = xs.flatMap(() => ys);
    const want = c.out.map(decode);
    const [worst, where] = worstOf(wasmPow(a, b), want, a, b);
    assert(worst <= 1, `${worst} ulp at ${where}`);
  });

  it("gives C's special cases bit for bit, as the JS reference does", () => {
    const sp = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 2.5, -2.5, 1e-40, -1e-40, 1e30, -1e30];
    const vs = [...sp, Infinity, -Infinity, NaN, 0.75, 150, -150, 127.5, -149.5];
    const a = vs.flatMap((x) => vs.map(() => Math.fround(x)));
    const b = vs.flatMap(() => vs.map(Math.fround));
    const want = a.map((x, i) => pow(x, b[i]));
    const got = wasmPow(a, b);
    for (let i = 0; i < a.length; i++) {
      const w = Math.fround(want[i]);
      if (!Number.isFinite(w) || w === 0 || Math.abs(w) === 1) {
        assert(
          Object.is(got[i], w) || (Number.isNaN(w) && Number.isNaN(got[i])),
          `pow(${a[i]}, ${b[i]}): got ${got[i]}, want ${w}`,
        );
      }
    }
    assert(worstOf(got, want, a, b)[0] <= 1);
  });

  it("stays within 1 ulp of the JS reference over a sweep of bases and exponents", () => {
    const a: number[] = [];
    const b: number[] = [];
    const exps = [-20, -7, -3, -2, -1, -0.5, 0.5, 1, 2, 3, 7, 20, 0.1, -0.37, 1.7, 2.0001, 33.3];
    for (let k = -149; k < 128; k += 3) {
      for (const j of [0, 0.3, 0.7]) {
        const x = Math.fround(2 ** k * (1 + j + 0.0123));
        for (const e of exps) {
          for (const s of [1, -1]) a.push(s * x), b.push(Math.fround(e));
        }
      }
    }
    // near 1, where log2|a| is small and the exponent large
    for (let i = -24; i <= 24; i++) {
      for (const e of [1e3, -1e3, 1e6, 12345.5, -4e4]) {
        a.push(Math.fround(1 + i * 2 ** -24)), b.push(e);
      }
    }
    const want = a.map((x, i) => pow(x, b[i]));
    const [worst, where] = worstOf(wasmPow(a, b), want, a, b);
    assert(worst <= 1, `${worst} ulp at ${where}`);
  });

  it("leaves int32 pow to the JavaScript tier, with the reference's values", () => {
    lt.setCpuBackend("wasm");
    const y = lt.tensor([2, -3, 5, 0], { dtype: "int32" }).pow(
      lt.tensor([3, 3, 0, 0], { dtype: "int32" }),
    );
    assertEquals(lt.explain(y).kernels.map((k) => k.backend), ["js"]);
    assertEquals(Array.from(y.dataSync()), [8, -27, 1, 1]);
  });
});
