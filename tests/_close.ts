// Test helper: compares tensors (or arrays) with nested expected values
// elementwise within rtol/atol, NaN equal to NaN, and says where they differ.
import { AssertionError } from "node:assert";
import { assert, assertEquals } from "@std/assert";
import type { Tensor } from "../mod.ts";

type Nested = number | boolean | Nested[];

function flat(x: Nested): number[] {
  if (Array.isArray(x)) return x.flatMap(flat);
  return [typeof x === "boolean" ? (x ? 1 : 0) : x];
}

function shapeOf(x: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** Asserts `actual` (a Tensor) matches nested `expected` in shape and values. */
export function assertClose(
  actual: Tensor,
  expected: Nested,
  options: { rtol?: number; atol?: number } = {},
): void {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const want = shapeOf(expected);
  if (JSON.stringify(actual.shape) !== JSON.stringify(want)) {
    throw new AssertionError({
      message: `shape ${JSON.stringify(actual.shape)} ≠ expected ${JSON.stringify(want)}`,
    });
  }
  const a = Array.from(actual.dataSync());
  const e = flat(expected);
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    const same = (Number.isNaN(x) && Number.isNaN(y)) || x === y ||
      (Number.isFinite(y) && Math.abs(x - y) <= atol + rtol * Math.abs(y));
    if (!same) {
      throw new AssertionError({
        message: `element ${i}: ${x} ≠ expected ${y} (rtol ${rtol}, atol ${atol})\nactual:   ${
          a.slice(0, 12).join(", ")
        }\nexpected: ${e.slice(0, 12).join(", ")}`,
      });
    }
  }
}

/**
 * Compares values elementwise: NaN with NaN, infinities exactly, finite
 * values within `atol + rtol·|want|` (float32 tolerances by default); the
 * message lists the first misses.
 */
export function assertValuesClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  where: string,
  tol: { rtol: number; atol: number } = { rtol: 1e-5, atol: 1e-6 },
): void {
  assertEquals(got.length, want.length, `${where}: length`);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const [x, w] = [got[i], want[i]];
    const ok = Number.isNaN(w)
      ? Number.isNaN(x)
      : !Number.isFinite(w) || !Number.isFinite(x)
      ? x === w
      : Math.abs(x - w) <= tol.atol + tol.rtol * Math.abs(w);
    if (!ok) bad.push(`[${i}] ${x} (expected ${w})`);
  }
  assert(bad.length === 0, `${where}: ${bad.length} values differ: ${bad.slice(0, 6).join(", ")}`);
}
