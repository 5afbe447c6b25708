// lt.fft and lt.linalg on WebGPU (WGSL on Mesa's lavapipe in CI): the transforms are compositions of matmuls,
// twiddle products and reshapes, with their constants made on the input's device, so the fast
// paths (mixed radix at 100, Bluestein at 37) and their gradients run there too. Checked against
// the CPU in float32. The decompositions are host routines: on a webgpu tensor they run on the
// host when the value is read asynchronously (the host fallback), tested here for values,
// gradients and the error inside jit. Skipped, with a logged note, where no adapter exists.
import { it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
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

suite("lt.linalg on webgpu (host fallback)", () => {
  const a = lt.tensor([[4, 1, 2], [1, 3, 0], [2, 0, 5]]);
  const b = lt.tensor([[1, 0], [2, 1], [3, -1]]);
  const L = lt.linalg;
  const fns: [string, (x: lt.Tensor, y: lt.Tensor) => lt.Tensor][] = [
    ["solve", (x, y) => L.solve(x, y)],
    ["inv", (x) => L.inv(x)],
    ["det", (x) => L.det(x)],
    ["slogdet", (x) => L.slogdet(x)[1]],
    ["cholesky", (x) => L.cholesky(x)],
    ["qr", (x) => L.qr(x)[1].abs()],
    ["eigh", (x) => L.eigh(x)[0]],
    ["svdvals", (x) => L.svdvals(x)],
    ["lstsq", (x, y) => L.lstsq(x, y).solution],
  ];
  it("values and gradients equal the cpu's, and the results stay on webgpu", async () => {
    const dev = await lt.device("webgpu");
    for (const [name, f] of fns) {
      const got = f(a.to(dev), b.to(dev));
      assertEquals(got.device, "webgpu", name);
      assertAllClose(await lt.toCpu(got), f(a, b), { rtol: 1e-5, atol: 1e-5, msg: name });
      const g = lt.grad((x: lt.Tensor, y: lt.Tensor) => f(x, y).square().sum());
      const gpu = await g(a.to(dev), b.to(dev)).data();
      assertAllClose(lt.tensor(gpu).reshape(3, 3), g(a, b), { rtol: 1e-4, atol: 1e-4, msg: name });
    }
  });
  it("inside jit on webgpu: a clear error (a jit program cannot wait for the host)", async () => {
    const dev = await lt.device("webgpu");
    assertThrows(
      () => lt.jit((x: lt.Tensor) => L.inv(x))(a.to(dev)),
      TypeError,
      "linalg.inv() on webgpu runs on the host when the value is read asynchronously, which a " +
        "jit program on webgpu cannot do: call it outside jit",
    );
    // a pending result passed to a jit program must be read first
    const pending = L.inv(a.to(dev));
    assertThrows(
      () => lt.jit((x: lt.Tensor) => x.add(1))(pending),
      Error,
      "linalg.inv() on webgpu runs on the host when the value is read asynchronously: read its " +
        "result first (await x.data() or await lt.toCpu(x))",
    );
    await pending.data();
    assertAllClose(await lt.toCpu(lt.jit((x: lt.Tensor) => x.add(1))(pending)), L.inv(a).add(1), {
      rtol: 1e-5,
    });
  });
});
