// The blocked JavaScript Cholesky (core/ops/_lapack.ts, panels of 32 columns with a gemmSub
// trailing update) at sizes spanning several panels, with ragged edges: L·Lᵀ reconstructs A to
// 1e-12 relative, L matches the plain (unblocked) algorithm written out below, and the error for
// a matrix that stops being positive-definite inside a later panel names that pivot and the
// batch element. Runs on the JavaScript tier (`blas: false`).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { cholesky } from "../core/ops/_lapack.ts";

/** A deterministic SPD matrix `M·Mᵀ + n·I` (M from the minstd generator in [-0.5, 0.5)). */
function spd(n: number, seed: number): Float64Array {
  const m = new Float64Array(n * n);
  let s = seed;
  for (let i = 0; i < n * n; i++) {
    s = (16807 * s) % 2147483647;
    m[i] = s / 2147483647 - 0.5;
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let t = i === j ? n : 0;
      for (let k = 0; k < n; k++) t += m[i * n + k] * m[j * n + k];
      a[i * n + j] = t;
    }
  }
  return a;
}

/** The textbook (Cholesky–Banachiewicz) algorithm, the reference for the blocked one. */
function plain(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  return m;
}

describe("blocked cholesky (JavaScript tier)", () => {
  for (const n of [1, 31, 32, 33, 100, 161]) {
    it(`n = ${n}: L·Lᵀ = A to 1e-12, L equals the unblocked factor, upper triangle zero`, () => {
      const a = spd(n, 7 + n);
      const l = new Float64Array(n * n).fill(NaN);
      assertEquals(cholesky(a, n, l), -1);
      const ref = plain(a, n);
      let diff = 0, rec = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (j > i) assertEquals(l[i * n + j], 0, `L[${i},${j}] above the diagonal`);
          diff = Math.max(diff, Math.abs(l[i * n + j] - ref[i * n + j]));
          let t = 0;
          for (let k = 0; k <= Math.min(i, j); k++) t += l[i * n + k] * l[j * n + k];
          rec = Math.max(rec, Math.abs(t - a[i * n + j]));
        }
      }
      assert(rec <= 1e-12 * maxAbs(a), `‖L·Lᵀ − A‖∞ = ${rec} (‖A‖∞ = ${maxAbs(a)})`);
      assert(diff <= 1e-12 * maxAbs(ref), `blocked − unblocked = ${diff}`);
    });
  }

  it("lt.linalg.cholesky at 100×100 on the JS tier reconstructs A", () => {
    const n = 100;
    const a = spd(n, 11);
    lt.setCpuBackend("wasm", { blas: false });
    try {
      const A = lt.tensor(a, { dtype: "float64" }).reshape(n, n);
      const Lt = lt.linalg.cholesky(A);
      const r = Lt.matmul(Lt.T).sub(A).abs().max().item() as number;
      assert(r <= 1e-12 * maxAbs(a), `‖L·Lᵀ − A‖∞ = ${r}`);
    } finally {
      lt.setCpuBackend("wasm");
    }
  });

  it("a pivot that fails in a later panel is named with its batch element", () => {
    const n = 80;
    const good = spd(n, 5);
    const bad = spd(n, 5);
    bad[70 * n + 70] = -1; // columns 0…69 stay positive-definite; pivot 70 (third panel) fails
    const l = new Float64Array(n * n);
    assertEquals(cholesky(bad, n, l), 70);
    lt.setCpuBackend("wasm", { blas: false });
    try {
      const S = lt.tensor(new Float64Array([...good, ...bad]), { dtype: "float64" }).reshape(
        2,
        n,
        n,
      );
      const e = assertThrows(() => lt.linalg.cholesky(S).dataSync(), RangeError);
      assert(
        e.message.includes("matrix 1 of the batch [2]") &&
          e.message.includes("leading minor of order 71 is not positive, pivot 70"),
        e.message,
      );
    } finally {
      lt.setCpuBackend("wasm");
    }
  });
});
