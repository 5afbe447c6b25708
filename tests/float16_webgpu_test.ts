// float16 on WebGPU (adapters with shader-f16; lavapipe has it): f16 buffers, f32
// arithmetic rounded to half after each op, sums and matmuls accumulated in f32, the
// 2-byte layout (odd lengths padded), moves between devices, gradients and jit replay,
// each against the same float16 program on the CPU. Skipped, with a logged note,
// where no adapter exists or it lacks shader-f16 (tests/_gpu.ts); an adapter without
// shader-f16 is also simulated in a worker, to check the error float16 gets there.
import { it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { assertValuesClose } from "./_close.ts";
import { workerResult } from "./_worker.ts";
import { gpuSuite } from "./_gpu.ts";

const suite = gpuSuite("float16_webgpu_test", "f16");
// the refusal on an adapter without shader-f16 is simulated, so it only needs an adapter
const anyAdapter = gpuSuite("float16_webgpu_test", "adapter");

const H = { dtype: "float16" } as const;
/** Basic ops are exact on both (f32 then one rounding); math functions may differ by a half ulp. */
const EXACT = { rtol: 0, atol: 0 };
const HALF = { rtol: 2e-3, atol: 1e-5 };

/** Deterministic float16 values in [lo, hi). */
function values(n: number, lo: number, hi: number, seed = 1): lt.Tensor {
  const xs = Array.from(
    { length: n },
    (_, i) => lo + (hi - lo) * ((Math.sin(seed * 97 + i * 12.9898) + 1) / 2),
  );
  return lt.tensor(xs, H);
}

/** Runs `f` on cpu tensors and on their webgpu copies: same shape, dtype and (within `tol`) values. */
async function matchesCpu(
  where: string,
  f: (...xs: lt.Tensor[]) => lt.Tensor,
  xs: lt.Tensor[],
  tol = EXACT,
): Promise<void> {
  const want = f(...xs);
  const got = f(...xs.map((x) => x.to("webgpu")));
  assertEquals(got.device, "webgpu", `${where}: device`);
  assertEquals([got.shape, got.dtype], [want.shape, want.dtype], `${where}: shape and dtype`);
  const data = await got.data();
  if (want.dtype === "float16") assert(data instanceof Float16Array, `${where}: Float16Array`);
  assertValuesClose(data, want.dataSync(), where, tol);
}

suite("float16 on webgpu", () => {
  it("moves to webgpu and back, odd lengths included", async () => {
    for (const n of [1, 2, 3, 5, 1001]) {
      const x = values(n, -70000, 70000);
      const y = x.to("webgpu");
      assertEquals(y.dtype, "float16");
      const back = await lt.toCpu(y);
      assertEquals([back.dtype, Array.from(back.dataSync())], [
        "float16",
        Array.from(x.dataSync()),
      ]);
      assertValuesClose(await y.add(1).data(), x.add(1).dataSync(), `x + 1 (${n})`, EXACT);
    }
  });

  it("creates float16 on webgpu and rounds like the cpu", async () => {
    const x = lt.tensor([1 / 3, 65519, 65520, 2049, 0.1], { ...H, device: "webgpu" });
    assertEquals(Array.from(await x.data()), [
      0.333251953125,
      65504,
      Infinity,
      2048,
      0.0999755859375,
    ]);
    assertEquals(Array.from(await lt.full([3], 2.5, { ...H, device: "webgpu" }).data()), [
      2.5,
      2.5,
      2.5,
    ]);
  });

  it("rounds every op to half inside a fused kernel, overflowing to inf", async () => {
    const x = lt.tensor([1, 2048, 60000, 300], H);
    await matchesCpu("(x + 1e-4) - x", (a) => a.add(1e-4).sub(a), [x]);
    await matchesCpu("x + 1", (a) => a.add(1), [x]);
    await matchesCpu("x * x", (a) => a.mul(a), [x]);
    await matchesCpu("x * 3 / 3", (a) => a.mul(3).div(3), [values(64, -10, 10)]);
    assertEquals(Array.from(await x.to("webgpu").add(1e-4).sub(x.to("webgpu")).data()), [
      0,
      0,
      0,
      0,
    ]);
  });

  it("matches the cpu on elementwise math", async () => {
    const x = values(300, 0.1, 8);
    const y = values(300, -3, 3, 2);
    await matchesCpu("add, mul, sub, div", (a, b) => a.add(b).mul(a).sub(b).div(a), [x, y]);
    await matchesCpu("maximum, neg, abs", (a, b) => lt.maximum(a, b.neg()).abs(), [x, y]);
    await matchesCpu("sqrt", (a) => a.sqrt(), [x]);
    await matchesCpu("exp", (a) => a.exp(), [y], HALF);
    await matchesCpu("log", (a) => a.log(), [x], HALF);
    await matchesCpu("tanh", (a) => a.tanh(), [y], HALF);
    await matchesCpu("sigmoid", (a) => lt.sigmoid(a), [y], HALF);
    await matchesCpu("relu", (a) => lt.relu(a), [y]);
    await matchesCpu("compare, where", (a, b) => lt.where(a.gt(b), a, b), [x, y]);
  });

  it("casts between float16, float32, int32 and bool", async () => {
    const x = values(50, -100, 100);
    await matchesCpu("to float32", (a) => a.astype("float32").mul(1.001), [x]);
    await matchesCpu("from float32", (a) => a.astype("float32").div(7).astype("float16"), [x]);
    await matchesCpu("to int32", (a) => a.astype("int32"), [x]);
    await matchesCpu("int32 + float16", (a) => a.astype("int32").add(a), [x]);
    await matchesCpu("to bool", (a) => a.gt(0).astype("float16"), [x]);
    await matchesCpu("float16 + float32", (a, b) => a.add(b), [x, lt.tensor([0.1])]);
  });

  it("sums in f32: short, cooperative and split reductions", async () => {
    // a half accumulator would stall at 2048
    await matchesCpu("sum of 4096 ones", (a) => a.sum(), [lt.ones([4096], H)]);
    await matchesCpu("sum of 100000 ones overflows", (a) => a.sum(), [lt.ones([100000], H)]);
    await matchesCpu("sum of 40000 small values", (a) => a.sum(), [values(40000, 0, 0.5)], HALF);
    await matchesCpu(
      "rows",
      (a) => a.sum({ axis: 1 }),
      [values(600, -2, 2).reshape([6, 100])],
      HALF,
    );
    await matchesCpu(
      "mean",
      (a) => a.mean({ axis: 0 }),
      [values(600, -2, 2).reshape([100, 6])],
      HALF,
    );
    await matchesCpu("max", (a) => a.max({ axis: 1 }), [values(600, -2, 2).reshape([6, 100])]);
    await matchesCpu("argmax", (a) => a.argmax({ axis: 1 }), [
      values(600, -2, 2).reshape([6, 100]),
    ]);
    await matchesCpu("softmax", (a) => lt.softmax(a, -1), [
      values(60, -4, 4).reshape([3, 20]),
    ], HALF);
  });

  it("keeps partial sums of a split reduction in f32", async () => {
    // over 256 × 16384 elements: partial sums in scratch, then their sum
    const x = values(4_500_000, 0, 0.01);
    await matchesCpu("sum of 4.5M values", (a) => a.sum(), [x], HALF);
  });

  it("reads more inputs than a shader binds (spilled to f32 scratch)", async () => {
    const xs = Array.from({ length: 9 }, (_, i) => values(100, -1, 1, i + 1));
    await matchesCpu("sum of 9 tensors", (...ts) => ts.reduce((a, b) => a.add(b)), xs);
  });

  it("matmul accumulates in f32, also over K slices", async () => {
    const a = values(40 * 30, -1, 1).reshape([40, 30]);
    const b = values(30 * 20, -1, 1, 3).reshape([30, 20]);
    await matchesCpu("matmul", (x, y) => x.matmul(y), [a, b], HALF);
    await matchesCpu("matmul + bias, relu", (x, y) => lt.relu(x.matmul(y).add(0.5)), [a, b], HALF);
    const ones = lt.ones([2, 20000], H);
    await matchesCpu("K = 20000", (x, y) => x.matmul(y), [ones, lt.ones([20000, 3], H)]);
  });

  it("gives float16 gradients", async () => {
    const f = (x: lt.Tensor) => lt.grad((t: lt.Tensor) => t.mul(t).tanh().sum())(x);
    await matchesCpu("grad", f, [values(100, -2, 2)], HALF);
    const g = f(values(10, -1, 1).to("webgpu"));
    assertEquals([g.device, g.dtype], ["webgpu", "float16"]);
  });

  it("replays a jitted float16 step", async () => {
    const step = lt.jit((w: lt.Tensor, x: lt.Tensor) =>
      w.sub(lt.grad((v: lt.Tensor) => x.matmul(v).square().mean())(w).mul(0.1))
    );
    const w = values(8, -1, 1).reshape([8, 1]);
    const x = values(32, -1, 1, 5).reshape([4, 8]);
    let [wc, wg] = [w, w.to("webgpu")];
    for (let i = 0; i < 3; i++) {
      wc = step(wc, x);
      wg = step(wg, x.to("webgpu"));
    }
    assertEquals(wg.dtype, "float16");
    assertValuesClose(await wg.data(), wc.dataSync(), "jit", HALF);
  });
});

anyAdapter("float16 on an adapter without shader-f16", () => {
  it("refuses float16 on webgpu with a clear error", async () => {
    const result = await workerResult(new URL("./_webgpu_no_f16_worker.ts", import.meta.url));
    const why = "this WebGPU adapter lacks the shader-f16 feature: " +
      "use float32 on webgpu, or keep float16 work on the cpu device";
    assertEquals(result, {
      given: "webgpu",
      created: `TypeError: Cannot make a float16 tensor on webgpu (in buffer()): ${why}`,
      moved: `TypeError: Cannot make a float16 tensor on webgpu (in buffer()): ${why}`,
      cast: `TypeError: Cannot make a float16 tensor on webgpu (in cast()): ${why}`,
      float32: [2, 4],
    });
  });
});
