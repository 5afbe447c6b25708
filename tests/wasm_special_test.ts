// The Wasm tier's vector forms of the special-function primitives
// (jit/codegen/wasm/_special.ts, fmod in jit/codegen/wasm/_remainder.ts) over dense float32
// sweeps, against the float64 functions rounded to float32: the error bounds
// their module doc implies, and the kernels really run in Wasm.
import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { digamma, erfc, erfinv, lgamma, trigamma } from "../core/ops/_special_math.ts";
import { sweep, worst } from "./_ulp.ts";

const specials = [0, -0, Infinity, -Infinity, NaN];
const cases: [
  string,
  (x: lt.Tensor) => lt.Tensor,
  (x: number) => number,
  number[],
  number,
  number?,
][] = [
  ["sinh", lt.sinh, Math.sinh, sweep(-20, 7, [...specials, 89, -89, 90]), 8],
  ["cosh", lt.cosh, Math.cosh, sweep(-20, 7, [...specials, 89, -89, 90]), 8],
  ["asinh", lt.asinh, Math.asinh, sweep(-20, 60, specials), 4],
  ["acosh", lt.acosh, Math.acosh, sweep(0, 60, [1, 1 + 2 ** -20, 0.5, ...specials], false), 4],
  ["log2", lt.log2, Math.log2, sweep(-30, 60, [1, 8, 1024, ...specials], false), 4, 1e-6],
  ["log10", lt.log10, Math.log10, sweep(-30, 60, [1, 10, 1000, ...specials], false), 4, 1e-6],
  // relative to the smallest normal float32 (the tail's subnormals flush)
  ["erfc", lt.erfc, erfc, sweep(-12, 4, [9, 10, 10.2, 11, ...specials]), 64, 1.2e-38],
  ["erfinv", lt.erfinv, erfinv, sweep(-24, 0, [0.999999, 1, -1, 1.5, ...specials]), 4],
  // relative to max(|f|, 1): the reflection formulas cancel near the zeros below 0
  ["lgamma", lt.lgamma, lgamma, sweep(-10, 20, [1, 2, -0.5, -2.5, -3, ...specials]), 32, 1],
  // 24, not 16: below -3000, ψ(1 - x) and π/tan(πx) (about log|x|, both rounded to float32)
  // cancel to a result below 1 (19.2 measured by bench/ulp_audit.ts, at x = -80667.914)
  [
    "digamma",
    lt.digamma,
    digamma,
    sweep(-10, 20, [1, 2, -0.5, -2.5, -3, -80667.9140625, ...specials]),
    24,
    1,
  ],
  // trigamma (internal) is digamma's gradient: its kernel is ct · trigamma(x)
  [
    "trigamma",
    (x) => lt.grad((t: lt.Tensor) => lt.digamma(t).sum())(x) as lt.Tensor,
    trigamma,
    sweep(-10, 20, [1, 2, -0.5, -2.5, Infinity]),
    16,
    1,
  ],
];

describe("Wasm vector forms of the special functions", () => {
  for (const [name, op, ref, xs, bound, floor] of cases) {
    it(`${name}() stays within ${bound} float32 eps of the float64 function`, () => {
      lt.setCpuBackend("wasm");
      const x = lt.tensor(xs);
      const y = op(x);
      assertEquals(lt.explain(y).kernels.map((k) => k.backend), ["wasm"]);
      const [err, at] = worst(y.dataSync(), xs.map(ref), floor ?? 0);
      const where = `x = ${xs[at]}: got ${y.dataSync()[at]}, want ${Math.fround(ref(xs[at]))}`;
      assertEquals(err <= bound, true, `${name}: ${err.toFixed(1)} eps (${where})`);
    });
  }

  it("atan2() stays within 4 float32 eps of Math.atan2, signed zeros and infinities included", () => {
    const vs = [...specials, 1, -1, 0.5, -2.5, 3, 1e-20, -7e-3, 1e20, 123.456, -9.75, 0.41421356];
    const y = vs.flatMap((v) => vs.map(() => Math.fround(v)));
    const x = vs.flatMap(() => vs.map(Math.fround));
    const got = lt.atan2(lt.tensor(y), lt.tensor(x));
    assertEquals(lt.explain(got).kernels.map((k) => k.backend), ["wasm"]);
    const want = y.map((v, i) => Math.atan2(v, x[i]));
    const [err, at] = worst(got.dataSync(), want, 0);
    assertEquals(
      err <= 4,
      true,
      `atan2(${y[at]}, ${x[at]}): ${got.dataSync()[at]}, want ${want[at]}`,
    );
    // the signs of zero results (worst() takes -0 = 0)
    const signs = (a: ArrayLike<number>) => Array.from(a, (v) => Object.is(v, -0));
    assertEquals(signs(got.dataSync()), signs(want.map(Math.fround)));
  });

  it("fmod() is exact, like the reference's a % b", () => {
    const vs = [...specials, 1, -1, 0.7, -2.5, 3, 1e-30, 1e30, -3e38, 5.5, 16777217, 0.1];
    const a = vs.flatMap((x) => vs.map(() => x));
    const b = vs.flatMap(() => vs);
    const y = lt.fmod(lt.tensor(a), lt.tensor(b));
    assertEquals(lt.explain(y).kernels.map((k) => k.backend), ["wasm"]);
    const want = a.map((x, i) => Math.fround(Math.fround(x) % Math.fround(b[i])));
    assertEquals(Array.from(y.dataSync()), want);
  });
});
