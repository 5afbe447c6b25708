// The scalar special functions of core/ops/_special_math.ts against 40-digit
// mpmath (fixtures/special_math.json, see gen_special_math.py), with the
// accuracy its module doc states, and their values at poles and infinities.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import { digamma, erfc, erfinv, lgamma, trigamma } from "../core/ops/_special_math.ts";
import data from "./fixtures/special_math.json" with { type: "json" };

type Fn = (x: number) => number;

/** The worst error over the rows with x in [lo, hi]: relative, or absolute below `floor`. */
function worst(
  f: Fn,
  rows: number[][],
  lo = -Infinity,
  hi = Infinity,
  floor = 0,
): [number, number] {
  let err = 0;
  let at = NaN;
  for (const [x, want] of rows) {
    if (x < lo || x > hi) continue;
    const got = f(x);
    const e = Math.abs(got - want) / Math.max(Math.abs(want), floor);
    if (!(e <= err)) [err, at] = [e, x];
  }
  return [err, at];
}

function within(
  name: string,
  f: Fn,
  rows: number[][],
  bound: number,
  range: number[] = [],
  floor = 0,
) {
  const [err, at] = worst(f, rows, range[0], range[1], floor);
  assert(err <= bound, `${name}: error ${err} at x = ${at} (bound ${bound})`);
}

describe("special functions match mpmath", () => {
  it("erfc() to 1e-15 relative, into its underflow", () => {
    within("erfc", erfc, data.erfc, 1e-15);
    assertEquals([erfc(Infinity), erfc(-Infinity), erfc(0), erfc(28)], [0, 2, 1, 0]);
    assert(Number.isNaN(erfc(NaN)));
  });

  it("erfinv() to 1e-15 relative, 1 - 1e-15 included", () => {
    within("erfinv", erfinv, data.erfinv, 1e-15);
    assertEquals([erfinv(1), erfinv(-1), erfinv(0), erfinv(-0)], [Infinity, -Infinity, 0, -0]);
    assert([1.5, -1.0000001, NaN].every((p) => Number.isNaN(erfinv(p))));
  });

  it("lgamma() to 2e-15 relative for x > 0 (zeros at 1 and 2 included), 1e-14 below 0", () => {
    within("lgamma", lgamma, data.lgamma, 2e-15, [0, Infinity]);
    within("lgamma", lgamma, data.lgamma, 1e-14, [-Infinity, 0]);
    assertEquals([lgamma(1), lgamma(2), lgamma(0), lgamma(-0), lgamma(-3)], [
      0,
      0,
      Infinity,
      Infinity,
      Infinity,
    ]);
    assertEquals([lgamma(Infinity), lgamma(-Infinity)], [Infinity, Infinity]);
  });

  it("digamma() to 1e-15 (relative, absolute below 1) and its poles like PyTorch", () => {
    within("digamma", digamma, data.digamma, 1e-15, [0, Infinity], 1);
    within("digamma", digamma, data.digamma, 1e-14, [-Infinity, 0], 1);
    assertEquals([digamma(0), digamma(-0), digamma(Infinity)], [-Infinity, Infinity, Infinity]);
    assert([-1, -2, NaN, -Infinity].every((x) => Number.isNaN(digamma(x))));
  });

  it("trigamma() to 1e-15 relative for x > 0 and 1e-12 below 0 (sin(πx) as PyTorch)", () => {
    within("trigamma", trigamma, data.trigamma, 1e-15, [0, Infinity]);
    within("trigamma", trigamma, data.trigamma, 1e-12, [-Infinity, 0]);
    assertEquals([trigamma(1), trigamma(Infinity)], [Math.PI ** 2 / 6, 0]);
  });
});
