// lt.linalg and lt.fft against PyTorch 1.13 (fixtures/linalg.json, from fixtures/gen_linalg.py): values of
// every function in float64 (and float32 for the well-conditioned cases), and the gradients of
// a weighted sum of the outputs. Eigen- and singular vectors are compared through sign-free
// projectors, as in the generator.
import * as lt from "../mod.ts";
import { assertAllClose } from "../testing/mod.ts";
import { describe, it, it as itBdd } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import { readTextFileSync } from "../test_util/runtime.ts";

type Encoded = { shape: number[]; data: number[] };
type Case = {
  fn: string;
  inputs: Encoded[];
  outs: (Encoded & { weight: number[] })[];
  grads?: (Encoded | null)[];
};
const fixture = JSON.parse(
  readTextFileSync(new URL("./fixtures/linalg.json", import.meta.url)),
) as { cases: Case[] };

type Fn = (...xs: lt.Tensor[]) => lt.Tensor[];
const proj = (u: lt.Tensor): lt.Tensor => {
  const lead = u.shape.slice(0, -2).map(() => null);
  const first = u.slice(...lead, null, [0, 1]);
  return first.matmul(first.transpose(-2, -1));
};
const L = lt.linalg;
const FNS: Record<string, Fn> = {
  solve: (a, b) => [L.solve(a, b)],
  solve_upper: (a, b) => [L.solveTriangular(a, b, { upper: true })],
  solve_lower: (a, b) => [L.solveTriangular(a, b, { upper: false })],
  solve_upper_unit: (a, b) => [L.solveTriangular(a, b, { upper: true, unitriangular: true })],
  solve_lower_right: (a, b) => [L.solveTriangular(a, b, { upper: false, left: false })],
  inv: (a) => [L.inv(a)],
  det: (a) => [L.det(a)],
  slogdet: (a) => L.slogdet(a),
  cholesky: (a) => [L.cholesky(a)],
  qr: (a) => L.qr(a),
  eigh: (a) => {
    const [l, v] = L.eigh(a);
    return [l, proj(v)];
  },
  svd: (a) => {
    const [u, s, vh] = L.svd(a);
    const lead = u.shape.slice(0, -2).map(() => null);
    return [s, u.slice(...lead, null, [0, 1]).matmul(vh.slice(...lead, [0, 1]))];
  },
  svdvals: (a) => [L.svdvals(a)],
  lstsq: (a, b) => [L.lstsq(a, b, { driver: "gels" }).solution],
  lstsq_gelsd: (a, b) => [L.lstsq(a, b).solution],
  pinv: (a) => [L.pinv(a)],
  norm_fro: (a) => [L.matrixNorm(a)],
  norm_nuc: (a) => [L.matrixNorm(a, { ord: "nuc" })],
  norm_2: (a) => [L.matrixNorm(a, { ord: 2 })],
  norm_m2: (a) => [L.matrixNorm(a, { ord: -2 })],
  norm_1: (a) => [L.matrixNorm(a, { ord: 1 })],
  norm_inf: (a) => [L.matrixNorm(a, { ord: Infinity })],
  vnorm_2: (a) => [L.vectorNorm(a)],
  vnorm_3_axis: (a) => [L.vectorNorm(a, { ord: 3, axis: -1 })],
  vnorm_1: (a) => [L.vectorNorm(a, { ord: 1 })],
  trace: (a) => [L.trace(a)],
  diagonal: (a) => [L.diagonal(a), L.diagonal(a, { offset: 1 })],
  diag: (v) => [L.diag(v), L.diag(v, -1)],
  kron: (a, b) => [L.kron(a, b)],
  fft: (x) => [lt.fft.fft(x)],
  fft_ortho: (x) => [lt.fft.fft(x, { norm: "ortho" })],
  ifft: (x) => [lt.fft.ifft(x)],
  fft2: (x) => [lt.fft.fft2(x)],
  rfft: (x) => [lt.fft.rfft(x)],
  irfft: (x) => [lt.fft.irfft(x)],
  irfft_n: (x) => [lt.fft.irfft(x, { n: 7 })],
};

const input = (e: Encoded, dtype: lt.DType) => lt.tensor(e.data, { dtype }).reshape(e.shape);
const ILL = new Set(["inv#2", "solve#3", "cholesky#2", "svdvals#1"]);
const named = (() => {
  const seen = new Map<string, number>();
  return fixture.cases.map((c) => {
    const i = seen.get(c.fn) ?? 0;
    seen.set(c.fn, i + 1);
    return `${c.fn}#${i}`;
  });
})();

// the decompositions run in LAPACK where the BLAS tier is on (--allow-ffi) and in JS otherwise
const TIERS = [{ name: "native", blas: true }, { name: "js", blas: false }];

describe("lt.linalg matches PyTorch (fixtures)", () => {
  it("covers every function of the generator", () => {
    assertEquals(new Set(fixture.cases.map((c) => c.fn)), new Set(Object.keys(FNS)));
  });
  for (const tier of TIERS) describe(`${tier.name} tier`, () => cases(tier.blas));
});

function cases(blas: boolean): void {
  const it = (name: string, f: () => void) =>
    itBdd(name, () => {
      lt.setCpuBackend("wasm", { blas });
      try {
        f();
      } finally {
        lt.setCpuBackend("wasm");
      }
    });
  fixture.cases.forEach((c, k) => {
    const name = named[k];
    // ill-conditioned inputs (Hilbert 6×6, cond ≈ 1e7) lose digits in any algorithm
    const rtol = ILL.has(name) ? 1e-6 : 1e-9;
    it(`${name}: float64 values`, () => {
      const outs = FNS[c.fn](...c.inputs.map((e) => input(e, "float64")));
      outs.forEach((o, i) => {
        assertEquals(o.shape, c.outs[i].shape);
        assertAllClose(o, input(c.outs[i], "float64"), {
          rtol,
          atol: rtol,
          msg: `${name} output ${i}`,
        });
      });
    });
    if (!ILL.has(name)) {
      it(`${name}: float32 values`, () => {
        const outs = FNS[c.fn](...c.inputs.map((e) => input(e, "float32")));
        outs.forEach((o, i) => {
          assertEquals(o.dtype, "float32");
          assertAllClose(o.double(), input(c.outs[i], "float64"), {
            rtol: 2e-4,
            atol: 2e-4,
            msg: `${name} ${i}`,
          });
        });
      });
    }
    const grads = c.grads;
    if (grads !== undefined) {
      it(`${name}: gradients`, () => {
        const xs = c.inputs.map((e) => input(e, "float64"));
        const loss = (...args: lt.Tensor[]) =>
          FNS[c.fn](...args)
            .map((o, i) =>
              o.mul(lt.tensor(c.outs[i].weight, { dtype: "float64" }).reshape(o.shape))
            )
            .map((t) => t.sum())
            .reduce((a, b) => a.add(b));
        const got = lt.grad(loss, { argnums: xs.map((_, i) => i) })(...xs) as lt.Tensor[];
        grads.forEach((g, i) => {
          if (g === null) return;
          assertAllClose(got[i], input(g, "float64"), {
            rtol: 1e-7,
            atol: 1e-8,
            msg: `${name} grad ${i}`,
          });
        });
      });
    }
  });
}
