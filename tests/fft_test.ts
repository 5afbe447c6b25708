// lt.fft at lengths above the direct product (core/_fft_plan.ts: mixed radix, Bluestein for
// primes) against PyTorch 1.13 (fixtures/fft_large.json, from fixtures/gen_fft.py): values in
// float64 and float32, gradients of a weighted sum, the same under jit, and a directional
// finite difference at a length of 4096.
import * as lt from "../mod.ts";
import { assertAllClose } from "../testing/mod.ts";
import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import { readTextFileSync } from "../test_util/runtime.ts";

type Encoded = { shape: number[]; data: number[] };
type Case = { fn: string; input: Encoded; out: Encoded; grad?: Encoded };
const fixture = JSON.parse(
  readTextFileSync(new URL("./fixtures/fft_large.json", import.meta.url)),
) as { cases: Case[] };

const F = lt.fft;
const FNS: Record<string, (x: lt.Tensor) => lt.Tensor> = {
  fft: (x) => F.fft(x),
  ifft: (x) => F.ifft(x),
  fft_ortho: (x) => F.fft(x, { norm: "ortho" }),
  fft2: (x) => F.fft2(x),
  rfft: (x) => F.rfft(x),
  irfft_1000: (x) => F.irfft(x, { n: 1000 }),
  irfft_997: (x) => F.irfft(x, { n: 997 }),
};
const f64 = { dtype: "float64" } as const;
const load = (e: Encoded, dtype: lt.DType = "float64") =>
  lt.tensor(e.data, { dtype }).reshape(e.shape);
const weights = (shape: readonly number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return lt.tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1)), f64)
    .reshape(...shape);
};

describe("lt.fft fast paths match PyTorch (fixtures)", () => {
  fixture.cases.forEach((c, k) => {
    const name = `${c.fn}#${k} ${JSON.stringify(c.input.shape)}`;
    const f = FNS[c.fn];
    it(`${name}: float64 and float32 values, eager and jit`, () => {
      const x = load(c.input);
      const want = load(c.out);
      const got = f(x);
      assertEquals(got.shape, c.out.shape);
      assertAllClose(got, want, { rtol: 1e-9, atol: 1e-9 });
      assertAllClose(lt.jit(f)(x), want, { rtol: 1e-9, atol: 1e-9 });
      const got32 = f(load(c.input, "float32"));
      assertEquals(got32.dtype, "float32");
      // float32 rounding grows like log n; the sums are O(√n) in size
      assertAllClose(got32.double(), want, { rtol: 1e-4, atol: 1e-4 });
    });
    const g = c.grad;
    if (g !== undefined) {
      it(`${name}: gradient`, () => {
        const x = load(c.input);
        const w = weights(c.out.shape);
        const got = lt.grad((t: lt.Tensor) => f(t).mul(w).sum())(x);
        assertAllClose(got, load(g), { rtol: 1e-9, atol: 1e-9 });
      });
    }
  });
});

describe("lt.fft at n = 4096", () => {
  it("the gradient equals a directional central difference (a linear map: exact to rounding)", () => {
    const n = 4096;
    const x = lt.tensor(Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(0.37 * i)), f64)
      .reshape(n, 2);
    const v = lt.tensor(Float64Array.from({ length: 2 * n }, (_, i) => Math.cos(1.1 * i)), f64)
      .reshape(n, 2);
    const w = weights([n, 2]);
    const loss = (t: lt.Tensor) => F.fft(t).mul(w).sum();
    const g = lt.grad(loss)(x);
    const h = 1e-3;
    const fd = (loss(x.add(v.mul(h))).item() - loss(x.sub(v.mul(h))).item()) / (2 * h);
    assertAllClose(g.mul(v).sum().item(), fd, { rtol: 1e-9 });
  });
  it("ifft(fft(x)) = x and Parseval (ortho)", () => {
    const n = 4096;
    const x = lt.tensor(Float64Array.from({ length: 2 * n }, (_, i) => Math.cos(0.11 * i * i)), f64)
      .reshape(2, n / 2, 2);
    assertAllClose(F.ifft(F.fft(x)), x, { atol: 1e-12 });
    const y = F.fft(x, { norm: "ortho" });
    assertAllClose(y.square().sum(), x.square().sum(), { rtol: 1e-12 });
  });
});
