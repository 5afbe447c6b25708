// The LAPACK tier of the linalg host routines (jit/runtime/cpu/lapack.ts) against the JavaScript
// forms on the same inputs: solve, cholesky, det, slogdet, eigh and svd, batched, in float32
// and float64, with the same errors; explain names the tier. Skipped, with a message, without
// FFI permission or a BLAS library with LAPACK's symbols.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertAllClose } from "../testing/mod.ts";
import { lapackLibrary } from "../jit/runtime/cpu/lapack.ts";

const available = lapackLibrary() !== undefined;
if (!available) {
  console.log("lapack_test: no FFI permission or no LAPACK in the BLAS library: skipped");
}

function on<T>(native: boolean, f: () => T): T {
  lt.setCpuBackend("wasm", { blas: native });
  try {
    return f();
  } finally {
    lt.setCpuBackend("wasm");
  }
}

const L = lt.linalg;
const f64 = { dtype: "float64" } as const;
const X = lt.random.normal(lt.random.key(3), [2, 40, 40], f64);
const spd = X.matmul(X.transpose(-2, -1)).add(lt.eye(40, 40, f64));
const sym = X.add(X.transpose(-2, -1));
const B = lt.random.normal(lt.random.key(4), [2, 40, 3], f64);

describe("linalg on the LAPACK tier", { ignore: !available }, () => {
  const both = (f: () => lt.Tensor | lt.Tensor[]) => {
    const native = [on(true, f)].flat().map((t) => t.dataSync());
    const js = [on(false, f)].flat().map((t) => t.dataSync());
    return { native, js };
  };
  it("explain names the tier of a host kernel", () => {
    const kernel = (native: boolean) =>
      on(native, () => lt.explain(L.solve(X, B)).kernels.find((k) => k.kind === "host")!);
    assertEquals(kernel(true).backend, "blas");
    assertEquals(kernel(false).backend, "js");
  });
  for (const dtype of ["float64", "float32"] as const) {
    const tol = dtype === "float64" ? 1e-9 : 1e-4;
    const c = (t: lt.Tensor) => t.astype(dtype);
    it(`${dtype}: solve, cholesky, det and slogdet agree with the JS forms`, () => {
      for (
        const f of [() => L.solve(c(X), c(B)), () => L.cholesky(c(spd)), () => L.det(c(X).div(3))]
      ) {
        const { native, js } = both(f);
        assertAllClose(native[0], js[0], { rtol: tol, atol: tol });
      }
      const { native, js } = both(() => L.slogdet(c(X)));
      assertEquals(native[0], js[0]);
      assertAllClose(native[1], js[1], { rtol: tol });
    });
    it(`${dtype}: eigh and svd agree up to the vectors' signs`, () => {
      const [l1, v1] = on(true, () => L.eigh(c(sym)));
      const [l2, v2] = on(false, () => L.eigh(c(sym)));
      assertAllClose(l1, l2, { rtol: tol, atol: tol });
      const align = v1.mul(v2).sum(-2).abs();
      assertAllClose(align, lt.ones([2, 40]), { atol: dtype === "float64" ? 1e-8 : 1e-3 });
      const [u, s, vh] = on(true, () => L.svd(c(X).slice(null, [0, 25])));
      assertAllClose(s, on(false, () => L.svdvals(c(X).slice(null, [0, 25]))), {
        rtol: tol,
        atol: tol,
      });
      const back = u.mul(s.unsqueeze(-2)).matmul(vh);
      assertAllClose(back, c(X).slice(null, [0, 25]), { atol: dtype === "float64" ? 1e-12 : 1e-4 });
    });
  }
  it("the same errors: singular solve (batch element), non-positive-definite cholesky (pivot)", () => {
    const bad = lt.stack([lt.eye(3, 3, f64), lt.tensor([[1, 2, 3], [2, 4, 6], [1, 1, 1]], f64)]);
    on(
      true,
      () =>
        assertThrows(
          () => L.inv(bad).dataSync(),
          RangeError,
          "(matrix 1 of the batch [2]) is singular",
        ),
    );
    const npd = lt.tensor([[4, 2, 0], [2, 1, 0], [0, 0, 1]], f64);
    for (const native of [true, false]) {
      on(native, () =>
        assertThrows(
          () => L.cholesky(npd).dataSync(),
          RangeError,
          "leading minor of order 2 is not positive, pivot 1",
        ));
    }
  });
});
