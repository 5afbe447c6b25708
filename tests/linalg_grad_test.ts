// lt.linalg (core/linalg/): gradients against float64 central differences (first and second order), forward
// mode, jit, batching, the host kernels in explain, reconstruction identities on larger inputs,
// and the errors for bad input. Values against PyTorch are in linalg_fixtures_test.ts.
import * as lt from "../mod.ts";
import { assertAllClose, checkGrads } from "../testing/mod.ts";
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";

const L = lt.linalg;
const f64 = { dtype: "float64" } as const;
const A = lt.tensor([[4, 1, 2], [1, 5, 3], [2, 3, 6]], f64);
const B = lt.tensor([[1, 2], [3, 4], [5, 6]], f64);
const T = lt.tensor([[4, 1, 2], [1, 5, 3], [2, 3, 6], [1, -1, 0.5]], f64);
const I3 = lt.eye(3, 3, f64);
const spd = (x: lt.Tensor) => x.matmul(x.T).add(I3);

describe("linalg gradients (checkGrads, order 2)", () => {
  const cases: [string, (...xs: lt.Tensor[]) => lt.Tensor, lt.Tensor[]][] = [
    ["solve", (a, b) => L.solve(a, b), [A, B]],
    ["inv", (a) => L.inv(a), [A]],
    ["det", (a) => L.det(a), [A]],
    ["slogdet", (a) => L.slogdet(a)[1], [A]],
    ["cholesky", (a) => L.cholesky(spd(a)), [A]],
    ["qr tall", (a) => L.qr(a)[0].sum().add(L.qr(a)[1].square().sum()), [T]],
    ["qr wide", (a) => L.qr(a)[0].sum().add(L.qr(a)[1].square().sum()), [T.T]],
    ["eigh values", (a) => L.eigh(a.add(a.T))[0].mul(lt.tensor([1, 2, 3], f64)).sum(), [A]],
    ["svdvals", (a) => L.svdvals(a).mul(lt.tensor([1, 2, 3], f64)).sum(), [T]],
    ["lstsq", (a, b) => L.lstsq(a, b).solution, [T, B.pad([[0, 1], [0, 0]])]],
    ["matrixNorm nuc", (a) => L.matrixNorm(a, { ord: "nuc" }), [T]],
  ];
  for (const [name, f, args] of cases) {
    it(name, () => checkGrads(f, args, { order: 2 }));
  }
  for (const upper of [true, false]) {
    for (const left of [true, false]) {
      for (const unitriangular of [true, false]) {
        it(`solveTriangular upper=${upper} left=${left} unit=${unitriangular}`, () =>
          checkGrads(
            (a, b) => L.solveTriangular(a, b, { upper, left, unitriangular }),
            [A, left ? B : B.T],
            { order: 2 },
          ));
      }
    }
  }
  it("svd: a sign-free loss of the vectors (first order)", () => {
    const W = lt.arange(0, 12, 1, f64).reshape(4, 3).sin();
    checkGrads((a) => {
      const [u, s, vh] = L.svd(a);
      return u.slice(null, [0, 1]).matmul(vh.slice([0, 1])).mul(W).sum().add(s.sum());
    }, [T]);
  });
  it("forward mode equals reverse mode (jvp of solve)", () => {
    const dA = lt.ones([3, 3], f64);
    const [, tangent] = lt.jvp((a: lt.Tensor) => L.solve(a, B).sum(), [A], [dA]);
    const g = lt.grad((a: lt.Tensor) => L.solve(a, B).sum())(A);
    assertAllClose(tangent, g.sum().item(), { rtol: 1e-10 });
  });
});

describe("linalg batching, jit and explain", () => {
  it("batched inputs equal the matrices one by one, with broadcast batch axes", () => {
    const As = lt.stack([A, A.add(I3), A.mul(2)]);
    const x = L.solve(As, B);
    for (let i = 0; i < 3; i++) assertAllClose(x.select(0, i), L.solve(As.select(0, i), B));
    const [l, v] = L.eigh(As.reshape(3, 1, 3, 3));
    assertEquals(l.shape, [3, 1, 3]);
    assertAllClose(v.mul(l.unsqueeze(-2)).matmul(v.transpose(-2, -1)), As.reshape(3, 1, 3, 3), {
      atol: 1e-12,
    });
  });
  it("runs under jit (one trace, new values) and grad of jit", () => {
    const f = lt.jit((a: lt.Tensor) => L.det(a).add(L.cholesky(spd(a)).sum()));
    const want = (a: lt.Tensor) => L.det(a).add(L.cholesky(spd(a)).sum());
    assertAllClose(f(A), want(A));
    assertAllClose(f(A.mul(2)), want(A.mul(2)));
    assertEquals(f.compileCount, 1);
    const g = lt.jit(lt.grad((a: lt.Tensor) => L.slogdet(a)[1]));
    assertAllClose(g(A), L.inv(A).T, { rtol: 1e-12 });
  });
  it("a decomposition is a host kernel of its own in explain", () => {
    const kinds = lt.explain(L.solve(A.add(1), B).mul(2)).kernels.map((k) => k.kind);
    assertEquals(kinds.filter((k) => k === "host").length, 1);
  });
  it("float32 in, float32 out (computed in float64); ints become float32", () => {
    const x = L.inv(lt.tensor([[2, 0], [0, 4]]));
    assertEquals(x.dtype, "float32");
    assertEquals(x.toArray(), [[0.5, 0], [0, 0.25]]);
  });
});

/** Runs `f` on the LAPACK tier (where FFI is granted) and on the JS tier (the blocked routines). */
function bothTiers(f: () => void): void {
  for (const blas of [true, false]) {
    lt.setCpuBackend("wasm", { blas });
    try {
      f();
    } finally {
      lt.setCpuBackend("wasm");
    }
  }
}

describe("linalg accuracy on larger inputs (several blocks of the JS routines)", () => {
  const key = lt.random.key(7);
  const X = lt.random.normal(key, [60, 60], f64);
  it("solve: A·x = b to 1e-11; inv: A·A⁻¹ = I", () =>
    bothTiers(() => {
      const b = lt.random.normal(lt.random.key(8), [60, 3], f64);
      assertAllClose(X.matmul(L.solve(X, b)), b, { atol: 1e-11 });
      assertAllClose(X.matmul(L.inv(X)), lt.eye(60, 60, f64), { atol: 1e-11 });
      const U = lt.triu(X).add(lt.eye(60, 60, f64).mul(8));
      assertAllClose(U.matmul(L.solveTriangular(U, b, { upper: true })), b, { atol: 1e-12 });
    }));
  it("eigh: V·diag(L)·Vᵀ = A and VᵀV = I, ascending", () =>
    bothTiers(() => {
      const S = X.add(X.T);
      const [l, v] = L.eigh(S);
      assertAllClose(v.mul(l.unsqueeze(0)).matmul(v.T), S, { atol: 1e-11 });
      assertAllClose(v.T.matmul(v), lt.eye(60, 60, f64), { atol: 1e-12 });
      const vals = l.toArray() as number[];
      assertEquals(vals.every((x, i) => i === 0 || vals[i - 1] <= x), true);
    }));
  it("qr of tall and wide matrices: Q·R = A, QᵀQ = I, R upper triangular", () => {
    for (const a of [X.slice([0, 60], [0, 45]), X.slice([0, 45]), X.slice([0, 35], [0, 2])]) {
      const [q, r] = L.qr(a);
      const k = Math.min(...a.shape);
      assertAllClose(q.matmul(r), a, { atol: 1e-12 });
      assertAllClose(q.T.matmul(q), lt.eye(k, k, f64), { atol: 1e-13 });
      assertEquals(r.sub(lt.triu(r)).abs().max().item(), 0);
    }
  });
  it("svd of a rank-deficient matrix: orthonormal factors and zero singular values", () => {
    const R = X.slice(null, [0, 5]).matmul(X.slice([0, 5]));
    // on the JS tier the singular values below rounding level are not exact zeros: their left
    // vectors must still complete an orthonormal basis
    for (const blas of [true, false]) {
      lt.setCpuBackend("wasm", { blas });
      try {
        const [u, s, vh] = L.svd(R.slice([0, 40]));
        assertAllClose(u.T.matmul(u), lt.eye(40, 40, f64), { atol: 1e-10 });
        assertAllClose(vh.matmul(vh.T), lt.eye(40, 40, f64), { atol: 1e-10 });
        assertAllClose(u.mul(s.unsqueeze(0)).matmul(vh), R.slice([0, 40]), { atol: 1e-10 });
        const sv = s.toArray() as number[];
        assertEquals(sv.slice(5).every((x) => x < 1e-10 * sv[0]), true);
        const [u3] = L.svd(lt.tensor([[4, 1, 2], [2, 3, 1], [2, 3, 1]], f64));
        assertAllClose(u3.T.matmul(u3), lt.eye(3, 3, f64), { atol: 1e-14 });
      } finally {
        lt.setCpuBackend("wasm");
      }
    }
  });
});

describe("linalg errors", () => {
  it("non-square input", () => {
    assertThrows(
      () => L.inv(T),
      RangeError,
      "expected square matrices [..., n, n]: found shape [4, 3]",
    );
    assertThrows(() => L.solve(T, B), RangeError, "use linalg.lstsq");
  });
  it("singular solve/inv names the batch element", () => {
    const S = lt.stack([A, lt.tensor([[1, 2, 3], [2, 4, 6], [0, 1, 1]], f64)]);
    assertThrows(() => L.inv(S).dataSync(), RangeError, "matrix 1 of the batch [2]) is singular");
    assertThrows(() => L.solve(S.select(0, 1), B).dataSync(), RangeError, "is singular");
  });
  it("cholesky of a matrix that is not positive-definite names the pivot", () => {
    assertThrows(
      () => L.cholesky(lt.tensor([[1, 2], [2, 1]])).dataSync(),
      RangeError,
      "leading minor of order 2 is not positive, pivot 1",
    );
  });
  it("shape mismatches and bad options", () => {
    assertThrows(() => L.solve(A, lt.ones([4, 1])), RangeError, "expected B with 3 rows");
    assertThrows(() => L.qr(lt.ones([3])), RangeError, "expected a matrix");
    assertThrows(
      () => L.solveTriangular(A, B, {} as { upper: boolean }),
      TypeError,
      "options.upper to be a boolean",
    );
    assertThrows(() => L.matrixNorm(A, { ord: 3 }), RangeError, 'expected ord "fro"');
    assertThrows(
      () => L.lstsq(T, B.pad([[0, 1], [0, 0]]), { driver: "gelsy" as "gels" }),
      RangeError,
      'expected driver "gelsd" or "gels": found "gelsy"',
    );
    assertThrows(
      () => L.lstsq(T, B.pad([[0, 1], [0, 0]]), { driver: "gels", rcond: 1e-3 }),
      RangeError,
      'takes rcond with driver "gelsd" only',
    );
    assertThrows(() => L.pinv(A, { rtol: -1 }), RangeError, "non-negative relative cutoff");
  });
  it("NaN input propagates (as in PyTorch) on both tiers, not reported as singular", () => {
    for (const blas of [true, false]) {
      lt.setCpuBackend("wasm", { blas });
      try {
        const x = L.solve(lt.tensor([[1, NaN], [0, 1]], f64), lt.tensor([1, 1], f64));
        assertEquals((x.toArray() as number[]).some(Number.isNaN), true);
      } finally {
        lt.setCpuBackend("wasm");
      }
    }
  });
  it("singular det: value 0, slogdet sign 0 and -Infinity", () => {
    const S = lt.tensor([[1, 2], [2, 4]], f64);
    assertEquals(L.det(S).item(), 0);
    assertEquals(L.slogdet(S).map((t) => t.item()), [0, -Infinity]);
  });
});

/** The cofactor matrix by 2×2 minors (3×3 only): an independent reference for det's gradient. */
function cofactors3(m: number[][]): number[][] {
  const minor = (i: number, j: number) => {
    const r = [0, 1, 2].filter((k) => k !== i);
    const c = [0, 1, 2].filter((k) => k !== j);
    return m[r[0]][c[0]] * m[r[1]][c[1]] - m[r[0]][c[1]] * m[r[1]][c[0]];
  };
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => ((i + j) % 2 === 0 ? 1 : -1) * minor(i, j)));
}

describe("det at singular matrices", () => {
  const dDet = lt.grad((a: lt.Tensor) => L.det(a));
  // rows 1 and 2 equal: LU meets an exact zero pivot (the SVD form); [[1..9]]: a rounded one
  const cases = [[[4, 1, 2], [2, 3, 1], [2, 3, 1]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]];
  for (const m of cases) {
    it(`rank n - 1 ${JSON.stringify(m)}: the cofactor matrix, nonzero`, () => {
      const a = lt.tensor(m, f64);
      const want = lt.tensor(cofactors3(m), f64);
      assertEquals(want.abs().sum().item() > 0, true);
      for (const blas of [true, false]) {
        lt.setCpuBackend("wasm", { blas });
        try {
          assertAllClose(dDet(a), want, { rtol: 1e-12, atol: 1e-12 });
          checkGrads((x) => L.det(x), [a]);
        } finally {
          lt.setCpuBackend("wasm");
        }
      }
    });
  }
  it("rank n - 2: the gradient is zero (PyTorch fixture det#3 too)", () => {
    const a = lt.tensor([[1, 2, 3], [2, 4, 6], [3, 6, 9]], f64);
    assertAllClose(dDet(a), lt.zeros([3, 3], f64), { atol: 1e-13 });
    checkGrads((x) => L.det(x), [a]);
  });
  it("batched: a singular and an invertible matrix", () => {
    const a = lt.tensor([cases[0], [[2, 1, 0], [1, 3, 1], [0, 1, 4]]], f64);
    const g = lt.grad((x: lt.Tensor) => L.det(x).sum())(a);
    assertAllClose(g.select(0, 0), lt.tensor(cofactors3(cases[0]), f64), { atol: 1e-12 });
    assertAllClose(g.select(0, 1), lt.tensor(cofactors3([[2, 1, 0], [1, 3, 1], [0, 1, 4]]), f64), {
      atol: 1e-12,
    });
  });
  it("second derivative: through the cofactor's rule where invertible, an error where singular", () => {
    checkGrads((x) => L.det(x), [A], { order: 2 });
    const hess = lt.grad((a: lt.Tensor) => dDet(a).sum());
    assertThrows(
      () => hess(lt.tensor(cases[0], f64)).dataSync(),
      RangeError,
      "expected an invertible matrix",
    );
  });
});

describe("fft", () => {
  const z = lt.tensor([[1, 2], [3, -1], [0, 5], [2, 2], [-1, 0.5]], f64);
  it("gradients and second derivatives (checkGrads)", () => {
    checkGrads((x) => lt.fft.fft(x).square().sum(), [z], { order: 2 });
    checkGrads((x) => lt.fft.rfft(x), [lt.tensor([1, 2, -3, 4, 0.5, 2], f64)], { order: 2 });
    checkGrads((x) => lt.fft.irfft(x, { n: 7 }), [z.slice([0, 4])], { order: 2 });
    checkGrads((x) => lt.fft.fft2(x, { norm: "ortho" }), [z.reshape(1, 5, 2).expand(3, 5, 2)]);
  });
  it("round trips: ifft(fft(x)) = x, irfft(rfft(x), n) = x, Parseval with ortho", () => {
    assertAllClose(lt.fft.ifft(lt.fft.fft(z)), z, { atol: 1e-12 });
    const r = lt.tensor([1, 2, -3, 4, 0.5], f64);
    assertAllClose(lt.fft.irfft(lt.fft.rfft(r), { n: 5 }), r, { atol: 1e-12 });
    const energy = lt.fft.fft(z, { norm: "ortho" }).square().sum().item();
    assertAllClose(lt.tensor(energy, f64), z.square().sum(), { rtol: 1e-12 });
  });
  it("runs under jit", () => {
    const f = lt.jit((x: lt.Tensor) => lt.fft.rfft(x).square().sum());
    const x = lt.tensor([1, 2, 3, 4]);
    assertAllClose(f(x), lt.fft.rfft(x).square().sum());
  });
  it("errors", () => {
    assertThrows(
      () => lt.fft.fft(lt.ones([4])),
      RangeError,
      "expected a complex tensor [..., n, 2]",
    );
    assertThrows(() => lt.fft.irfft(lt.ones([1, 2])), RangeError, "pass options.n");
    assertThrows(
      () => lt.fft.fft(z, { norm: "half" as "ortho" }),
      RangeError,
      'expected norm "backward", "ortho" or "forward"',
    );
  });
});

describe("vmap of linalg along an axis that is not the first", () => {
  const Ab = lt.stack([A, A.add(I3), A.mul(2)], 1); // mapped along axis 1
  it("solve: a mapped matrix and an unmapped right-hand side", () => {
    const solve = (a: lt.Tensor, b: lt.Tensor) => L.solve(a, b);
    const out = lt.vmap(solve, { inAxes: [1, null] })(Ab, B);
    for (let i = 0; i < 3; i++) assertAllClose(out.select(0, i), L.solve(Ab.select(1, i), B));
  });
  it("eigh and det: one result per matrix, batch first", () => {
    const sym = Ab.add(Ab.transpose(0, 2));
    const det = lt.vmap((a: lt.Tensor) => L.det(a), { inAxes: [1] })(sym);
    const values = lt.vmap((a: lt.Tensor) => L.eigh(a)[0], { inAxes: [1] })(sym);
    for (let i = 0; i < 3; i++) {
      assertAllClose(det.select(0, i), L.det(sym.select(1, i)), { rtol: 1e-12 });
      assertAllClose(values.select(0, i), L.eigh(sym.select(1, i))[0], { rtol: 1e-12 });
    }
  });
});
