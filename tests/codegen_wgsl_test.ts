// WGSL code generation (jit/codegen/wgsl/mod.ts) as text, with no GPU: the passes the
// scheduler's kernels become, the loop-iteration bound that software GPUs need, the
// constants buffer, the NaN-safe forms and the errors. tests/webgpu_test.ts runs them.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { schedule } from "../jit/schedule.ts";
import { MAX_ITERATIONS, renderWgsl, type WgslPlan } from "../jit/codegen/wgsl/mod.ts";

/** The plans of the kernels that realize `t` (nothing runs). */
function plans(t: lt.Tensor, maxBuffers?: number): WgslPlan[] {
  return schedule([t.node]).map((k) => renderWgsl(k, { maxBuffers }));
}

function only(t: lt.Tensor): WgslPlan {
  const all = plans(t);
  assertEquals(all.length, 1, "kernels");
  return all[0];
}

function bits(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0];
}

describe("renderWgsl()", () => {
  it("renders a fused elementwise chain as one pass, constants read from a buffer", () => {
    const x = lt.tensor([[1, 2, 3], [4, 5, 6]]);
    const plan = only(x.mul(2).add(1).exp());
    assertEquals(plan.passes.length, 1);
    const [pass] = plan.passes;
    assertEquals(pass.workgroups, [1, 1, 1]);
    assertEquals(pass.reads, [{ kind: "input", index: 0 }]);
    assertEquals(pass.write, { kind: "output" });
    assertEquals(Array.from(pass.constants), [bits(2), bits(1)]);
    for (
      const line of [
        "@group(0) @binding(0) var<storage, read_write> lt_out: array<f32>;",
        "@group(0) @binding(1) var<storage, read> lt_in0: array<f32>;",
        "@group(0) @binding(2) var<storage, read> lt_c: array<u32>;",
        "@compute @workgroup_size(64)",
        "  if (p >= 6) { return; }",
        "  let t1 = bitcast<f32>(lt_c[0]);",
        "  let t5 = exp(t4);",
        "  lt_out[p] = t5;",
      ]
    ) assertStringIncludes(pass.source, line);
  });

  it("gives the same source for other constant values (a pipeline serves every constant)", () => {
    const x = lt.tensor([1, 2, 3]);
    const [a, b] = [only(x.mul(2).add(1)), only(x.mul(-7.5).add(1e30))];
    assertEquals(a.passes[0].source, b.passes[0].source);
    assertEquals(Array.from(b.passes[0].constants), [bits(-7.5), bits(1e30)]);
  });

  it("keeps int32 and bool in i32, and refuses float64", () => {
    const i = lt.arange(0, 6, 1, { dtype: "int32" });
    const source = only(i.mul(3).lt(10)).passes[0].source;
    assertStringIncludes(source, "var<storage, read_write> lt_out: array<i32>;");
    assertStringIncludes(source, "var<storage, read> lt_in0: array<i32>;");
    assertThrows(
      () => plans(lt.tensor([1, 2], { dtype: "float64" }).mul(2)),
      TypeError,
      "WebGPU kernels cannot use float64: WGSL has no 64-bit floats",
    );
  });

  it("writes x - x and x == x out, since GPU compilers fold them even for NaN", () => {
    const source = only(lt.tensor([1, Infinity, NaN]).isFinite()).passes[0].source;
    assertStringIncludes(source, "lt_selfsub(");
    assertStringIncludes(source, "(bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u");
  });

  it("reduces a short axis with a loop in each invocation", () => {
    const plan = only(lt.tensor([[1, 2, 3], [4, 5, 6]]).sum({ axis: 1 }));
    assertEquals(plan.passes.length, 1);
    assertStringIncludes(plan.passes[0].source, "for (var a0f: i32 = 0; a0f < 3; a0f++) {");
    assertEquals(plan.passes[0].iterations, 3);
  });

  it("sums 1,048,576 elements with a workgroup per output: strided loops and a tree", () => {
    const plan = only(lt.tensor(new Float32Array(1 << 20)).sum());
    assertEquals(plan.passes.length, 1);
    const [pass] = plan.passes;
    assertEquals(pass.workgroups, [1, 1, 1]);
    assertStringIncludes(pass.source, "@compute @workgroup_size(256)");
    assertStringIncludes(pass.source, "for (var a0f: i32 = 0 + l; a0f < 1048576; a0f += 256) {");
    assertStringIncludes(pass.source, "var<workgroup> lt_sh_f32: array<f32, 256>;");
    assertStringIncludes(pass.source, "workgroupBarrier();");
    // 4,096 elements per thread and 8 tree steps: far below lavapipe's 65,535
    assertEquals(pass.iterations, 4096 + 8);
  });

  it("splits a 4,194,304-element sum into partial sums and a final pass", () => {
    const plan = only(lt.ones([1 << 22]).sum());
    assertEquals(plan.passes.length, 2);
    assertEquals(plan.scratch, [{ size: 2, type: "f32" }]);
    const [partial, final] = plan.passes;
    assertEquals([partial.write, partial.workgroups], [{ kind: "scratch", index: 0 }, [2, 1, 1]]);
    assertEquals(final.reads, [{ kind: "scratch", index: 0 }]);
    for (const p of plan.passes) assert(p.iterations <= MAX_ITERATIONS, `${p.iterations}`);
  });

  it("keeps every pass under the iteration bound, whatever the reduction", () => {
    const x = lt.ones([64, 4096]);
    const cases = [
      lt.ones([1 << 24]).sum(),
      x.sum({ axis: 1 }),
      x.sum({ axis: 0 }),
      x.softmax(1),
      lt.ones([3, 1 << 21]).max({ axis: 1 }),
      lt.ones([1 << 16, 256]).mean(),
    ];
    for (const t of cases) {
      for (const plan of plans(t)) {
        for (const p of plan.passes) assert(p.iterations <= MAX_ITERATIONS, `${p.iterations}`);
      }
    }
  });

  it("refuses an argmax too long to split, rather than computing it wrong", () => {
    assertThrows(
      () => plans(lt.ones([1 << 23]).argmax()),
      RangeError,
      "WebGPU kernel needs",
    );
  });

  it("tiles a matmul through shared memory and applies the epilogue in place", () => {
    const data = (shape: number[]) =>
      lt.tensor(new Float32Array(shape.reduce((n, d) => n * d)), { shape });
    const [a, b, c] = [data([5, 7]), data([7, 3]), data([3])];
    const plan = only(a.matmul(b).add(c).relu());
    assertEquals(plan.passes.length, 1);
    const [tiled] = plan.passes;
    assertEquals(tiled.workgroups, [1, 1, 1]);
    assertEquals(tiled.reads.length, 3);
    assertStringIncludes(tiled.source, "var<workgroup> lt_ta: array<f32, 256>;");
    assertStringIncludes(tiled.source, "@compute @workgroup_size(16, 16)");
    assertStringIncludes(
      tiled.source,
      "lt_acc = lt_acc + lt_ta[ty * 16 + kk] * lt_tb[kk * 16 + tx];",
    );
    assertEquals(tiled.write, { kind: "output" });
  });

  it("splits a long K into slices summed by a second pass", () => {
    const a = lt.tensor(new Float32Array(2 * 20_000), { shape: [2, 20_000] });
    const b = lt.tensor(new Float32Array(20_000 * 3), { shape: [20_000, 3] });
    const plan = only(a.matmul(b).relu());
    assertEquals(plan.scratch, [{ size: 18, type: "f32" }]);
    const [slices, sum] = plan.passes;
    assertEquals(slices.workgroups, [1, 1, 3]);
    assertEquals(slices.write, { kind: "scratch", index: 0 });
    assertEquals(sum.reads, [{ kind: "scratch", index: 0 }]);
    for (const p of plan.passes) assert(p.iterations <= MAX_ITERATIONS, `${p.iterations}`);
  });

  it("binds the index error buffer for gathers", () => {
    const x = lt.tensor([1, 2, 3]);
    const pass = only(x.take(lt.tensor(new Int32Array([2, 0])))).passes[0];
    assert(pass.checksIndex);
    assertStringIncludes(pass.source, "var<storage, read_write> lt_err: array<atomic<i32>>;");
  });

  it("spills part of a kernel reading more buffers than a shader may bind", () => {
    const xs = Array.from({ length: 12 }, (_, i) => lt.tensor([i, i + 1]));
    const sum = xs.reduce((acc, x) => acc.add(x));
    const plan = only(sum);
    assert(plan.passes.length >= 2, `${plan.passes.length} passes`);
    for (const p of plan.passes) assert(p.reads.length + 3 <= 8, `${p.reads.length} reads`);
    assertEquals(plans(sum, 32)[0].passes.length, 1);
  });

  it("spills part of a reduction's body over the reduced positions", () => {
    const xs = Array.from(
      { length: 10 },
      (_, i) => lt.tensor(new Float32Array(6).fill(i), { shape: [2, 3] }),
    );
    const plan = only(xs.reduce((acc, x) => acc.add(x)).sum({ axis: 1 }));
    assert(plan.passes.length >= 2, `${plan.passes.length} passes`);
    assertEquals(plan.scratch[0], { size: 6, type: "f32" });
    assertStringIncludes(plan.passes[0].source, "let p = q / 3;");
    for (const p of plan.passes) assert(p.reads.length + 3 <= 8, `${p.reads.length} reads`);
  });
});

describe("renderWgsl() on float16", () => {
  it("reads and writes f16 buffers, computes in f32 and rounds each result to half", () => {
    const x = lt.tensor([1, 2, 3], { dtype: "float16" });
    const [pass] = only(x.mul(2).add(x)).passes;
    assert(pass.source.startsWith("enable f16;\n"), pass.source);
    for (
      const line of [
        "@group(0) @binding(0) var<storage, read_write> lt_out: array<f16>;",
        "@group(0) @binding(1) var<storage, read> lt_in0: array<f16>;",
        "let t0 = f32(lt_in0[p]);",
        "let t2 = lt_h((t0 * t1));",
        "let t3 = lt_h((t2 + t0));",
        "lt_out[p] = f16(t3);",
      ]
    ) assertStringIncludes(pass.source, line);
  });

  it("sums and multiplies matrices with f32 accumulators, rounding once", () => {
    const x = lt.tensor(new Float16Array(1200), { shape: [4, 300] });
    const sum = only(x.sum({ axis: 1 })).passes[0].source;
    assertStringIncludes(sum, "var a0: f32 = 0.0;");
    assertStringIncludes(sum, "lt_sh_f32[l] = (lt_sh_f32[l] + lt_sh_f32[l + a0h]);");
    assertStringIncludes(sum, "let t3 = lt_h(t2);");
    assertStringIncludes(sum, "if (l == 0) { lt_out[g] = f16(t3); }");
    const mm = only(x.matmul(x.T)).passes[0].source;
    assertStringIncludes(mm, "var lt_acc: f32 = 0.0;");
    assertStringIncludes(mm, "av = f32(lt_in0[");
    assertStringIncludes(mm, "= lt_h(lt_acc);");
  });
});
