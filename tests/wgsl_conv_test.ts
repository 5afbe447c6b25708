// The tiled WGSL convolution (jit/_wgsl_matmul.ts): on WebGPU a conv2d with
// its bias and activation is one tiled matmul kernel that reads the padded
// input's windows straight into its shared-memory tiles (an implicit im2col,
// no column buffer) and writes [N, O, H, W] directly. Checked against the CPU
// in float64 for strides, dilation, groups, a K split into slices, under jit
// and in the backward pass; the PyTorch fixtures run on WebGPU in conv_test.
import { it } from "@std/testing/bdd";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import * as lt from "../mod.ts";
import { gpuSuite } from "./_gpu.ts";
import { schedule } from "../jit/schedule.ts";
import { renderWgsl } from "../jit/codegen/wgsl/mod.ts";

/** Deterministic values in [-1, 1). */
function values(shape: number[], seed: number): lt.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  let s = seed >>> 0;
  const data = Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
  return lt.tensor(data, { shape });
}

/** Max |a - b| / (1 + |b|) over the elements. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  }
  return worst;
}

interface Case {
  name: string;
  x: number[];
  w: number[];
  options: lt.ConvOptions;
}

const cases: Case[] = [
  { name: "3×3, padding 1", x: [2, 3, 9, 9], w: [4, 3, 3, 3], options: { padding: 1 } },
  { name: "stride 2, 5×5", x: [1, 4, 17, 13], w: [6, 4, 5, 5], options: { stride: 2, padding: 2 } },
  { name: "dilation 2", x: [2, 2, 11, 11], w: [3, 2, 3, 3], options: { dilation: 2 } },
  { name: "groups 2", x: [2, 4, 8, 8], w: [6, 2, 3, 3], options: { groups: 2, padding: "same" } },
  { name: "depthwise", x: [1, 5, 7, 7], w: [5, 1, 3, 3], options: { groups: 5, padding: 1 } },
  // 70,000+ outputs: one invocation each, 4,096 workgroups
  { name: "wide image", x: [1, 3, 130, 130], w: [8, 3, 3, 3], options: { padding: 1 } },
];

gpuSuite("wgsl_conv_test.ts", "adapter")("tiled WGSL convolution", () => {
  for (const c of cases) {
    it(`${c.name}: conv2d + bias + relu is one tiled kernel equal to the CPU's`, async () => {
      await lt.device("webgpu");
      const x = values(c.x, 1);
      const w = values(c.w, 2);
      const bias = values([c.w[0]], 3);
      const f = (x: lt.Tensor, w: lt.Tensor, b: lt.Tensor) =>
        lt.conv2d(x, w, { ...c.options, bias: b }).relu();
      const y = f(x.to("webgpu"), w.to("webgpu"), bias.to("webgpu"));
      const kernels = lt.explain(y).kernels;
      assertEquals(kernels.map((k) => k.kind), ["matmul"]);
      for (const op of ["matmul", "add", "where"]) assert(kernels[0].ops.includes(op), op);
      assertEquals(kernels[0].inputs, 3, "reads x, w and the bias: no column buffer");
      const want = f(x.astype("float64"), w.astype("float64"), bias.astype("float64"));
      assertEquals(y.shape, want.shape);
      assert(relErr(await y.data(), want.dataSync()) < 1e-5);
    });
  }
  it("splits a K of 9,360 into slices and still stores through the output's layout", async () => {
    const x = values([2, 1040, 5, 4], 4);
    const w = values([3, 1040, 3, 3], 5);
    const f = (x: lt.Tensor, w: lt.Tensor) => lt.conv2d(x, w, { padding: 1 }).tanh();
    const y = f(x.to("webgpu"), w.to("webgpu"));
    const want = f(x.astype("float64"), w.astype("float64"));
    assert(relErr(await y.data(), want.dataSync()) < 1e-4);
  });
  it("runs under jit and in the backward pass (the weight gradient reads the windows too)", async () => {
    const x = values([2, 3, 10, 10], 6);
    const w = values([4, 3, 3, 3], 7);
    const r = values([2, 4, 5, 5], 8);
    const loss = (x: lt.Tensor, w: lt.Tensor, r: lt.Tensor) =>
      lt.conv2d(x, w, { stride: 2, padding: 1 }).relu().mul(r).sum();
    const step = lt.jit(lt.valueAndGrad(loss, { argnums: [0, 1] }));
    const [value, [dx, dw]] = step(x.to("webgpu"), w.to("webgpu"), r.to("webgpu"));
    const [want, [wantDx, wantDw]] = lt.valueAndGrad(loss, { argnums: [0, 1] })(
      x.astype("float64"),
      w.astype("float64"),
      r.astype("float64"),
    );
    assert(relErr(await value.data(), want.dataSync()) < 1e-5);
    assert(relErr(await dx.data(), wantDx.dataSync()) < 1e-5);
    assert(relErr(await dw.data(), wantDw.dataSync()) < 1e-5);
  });
  it("reads the windows in the tiles: one pass, no column buffer, pads in the tile loads", () => {
    const x = values([1, 2, 6, 6], 9).to("webgpu");
    const y = lt.conv2d(x, values([2, 2, 3, 3], 10).to("webgpu"), { padding: 1 });
    const kernels = schedule([y.node]);
    assertEquals(kernels.length, 1);
    const plan = renderWgsl(kernels[0]);
    assertEquals(plan.passes.length, 1);
    assertEquals(plan.scratch, []);
    const source = plan.passes[0].source;
    assertStringIncludes(source, "var<workgroup> lt_tb: array<f32, 256>;");
    assertStringIncludes(source, "let ib1 = kt + ty;");
    // the output position of each product element: [N, O, H, W] from [G, O/G, N·H·W]
    assertStringIncludes(source, "let p = ");
  });
});
