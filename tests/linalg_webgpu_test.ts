// lt.fft and lt.linalg on WebGPU (WGSL on Mesa's lavapipe in CI): the transforms are compositions of matmuls,
// twiddle products and reshapes, with their constants made on the input's device, so the fast
// paths (mixed radix at 100, Bluestein at 37) and their gradients run there too. Checked against
// the CPU in float32. The decompositions are host routines: on a webgpu tensor they raise an
// error that gives the (asynchronous) way round, tested here. Skipped, with a logged note, where
// no adapter exists.
import { it } from "@std/testing/bdd";
import { assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertAllClose } from "../testing/mod.ts";
import { gpuSuite } from "./_gpu.ts";

const suite = gpuSuite("linalg_webgpu_test", "adapter");
const signal = (n: number, f = 0.37) =>
  lt.tensor(Float64Array.from({ length: n }, (_, i) => Math.sin(f * i) + 0.1), {
    dtype: "float32",
  });

suite("lt.fft on webgpu matches the cpu", () => {
  it("fft, ifft, rfft, irfft and fft2 at lengths 100 (four-step) and 37 (Bluestein)", async () => {
    const dev = await lt.device("webgpu");
    const cases: [string, (x: lt.Tensor) => lt.Tensor, lt.Tensor][] = [
      ["fft 100", (x) => lt.fft.fft(x), signal(200).reshape(100, 2)],
      ["ifft 37", (x) => lt.fft.ifft(x, { norm: "ortho" }), signal(74).reshape(37, 2)],
      ["rfft 37", (x) => lt.fft.rfft(x), signal(2 * 37).reshape(2, 37)],
      ["irfft 100", (x) => lt.fft.irfft(x, { n: 100 }), signal(102).reshape(51, 2)],
      ["fft2 3×37", (x) => lt.fft.fft2(x), signal(222).reshape(3, 37, 2)],
    ];
    for (const [name, f, x] of cases) {
      const got = await lt.toCpu(f(x.to(dev)));
      assertAllClose(got, f(x), { rtol: 1e-4, atol: 1e-4, msg: `${name} on webgpu` });
    }
  });
  it("gradients (the adjoint transforms) on webgpu", async () => {
    const dev = await lt.device("webgpu");
    const x = signal(74).reshape(37, 2);
    const w = signal(74, 1.1).reshape(37, 2);
    const g = (wt: lt.Tensor) => lt.grad((t: lt.Tensor) => lt.fft.fft(t).mul(wt).sum());
    const got = await lt.toCpu(g(w.to(dev))(x.to(dev)));
    assertAllClose(got, g(w)(x), { rtol: 1e-4, atol: 1e-4 });
  });
});

suite("lt.linalg on webgpu", () => {
  it("says how to go through the cpu, and that way works", async () => {
    const dev = await lt.device("webgpu");
    const a = lt.tensor([[4, 1], [1, 3]], { device: dev });
    assertThrows(
      () => lt.linalg.solve(a, a),
      TypeError,
      "linalg.solve() runs on the cpu: found a tensor on webgpu: read it with await " +
        "lt.toCpu(x) and move the result back with .to(device)",
    );
    const inv = lt.linalg.inv(await lt.toCpu(a)).to(dev);
    assertAllClose(await lt.toCpu(inv.matmul(a)), lt.eye(2, 2), { atol: 1e-6 });
  });
});
