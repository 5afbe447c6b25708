// The WGSL row scan of jit/_wgsl_scan.ts (sum, logaddexp and the linear
// recurrence of cumprod), run pass by pass on the raw WebGPU device and
// checked against running sums computed here in float64 (exact for integer
// sums), with rows past 65,535 elements, infinities, NaN and zeros. The
// cumulative primitive of the seq branch is its caller; until it is wired,
// this file is what runs the kernel.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import { renderScan, type WgslScanOp } from "../jit/codegen/wgsl/_scan.ts";
import type { WgslPlan } from "../jit/codegen/wgsl/mod.ts";
import { gpu, gpuSuite } from "./_gpu.ts";
import * as lt from "../mod.ts";

/** Deterministic values in [lo, hi). */
function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

/** Runs a plan's passes on `device`; returns the output's `bytes` bytes. */
async function run(
  device: GPUDevice,
  plan: WgslPlan,
  input: Float32Array | Int32Array,
  bytes: number,
): Promise<ArrayBuffer> {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const make = (size: number) => device.createBuffer({ size: Math.max(16, size), usage });
  const inBuffer = make(input.byteLength);
  device.queue.writeBuffer(inBuffer, 0, input);
  const out = make(bytes);
  const scratch = plan.scratch.map((s) => make(s.size * 4));
  const buffer = (r: { kind: string; index?: number }) =>
    r.kind === "output" ? out : r.kind === "input" ? inBuffer : scratch[r.index!];
  const encoder = device.createCommandEncoder();
  const compute = encoder.beginComputePass();
  for (const p of plan.passes) {
    const module = device.createShaderModule({ code: p.source });
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: "main" },
    });
    const constants = make(p.constants.byteLength);
    device.queue.writeBuffer(constants, 0, p.constants);
    const bound = [buffer(p.write), ...p.reads.map(buffer), constants];
    const entries = bound.map((b, binding) => ({ binding, resource: { buffer: b } }));
    compute.setPipeline(pipeline);
    compute.setBindGroup(
      0,
      device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }),
    );
    compute.dispatchWorkgroups(...p.workgroups);
  }
  compute.end();
  const staging = device.createBuffer({
    size: Math.max(16, bytes),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  encoder.copyBufferToBuffer(out, 0, staging, 0, Math.max(16, bytes));
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  return staging.getMappedRange().slice(0, bytes);
}

/** The float64 running scan of each row (pairs for `linear`). */
function reference(x: number[], rows: number, n: number, op: WgslScanOp): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let acc = op === "logaddexp" ? -Infinity : 0;
    for (let i = 0; i < n; i++) {
      const j = r * n + i;
      if (op === "sum") acc += x[j];
      else if (op === "linear") acc = x[2 * j] * acc + x[2 * j + 1];
      else {
        // log(e^acc + e^x); equal values (infinities too) add log 2
        const m = Math.max(acc, x[j]);
        acc = acc === x[j] ? acc + Math.LN2 : m + Math.log1p(Math.exp(-Math.abs(acc - x[j])));
      }
      out.push(acc);
    }
  }
  return out;
}

function close(got: ArrayLike<number>, want: number[], tol: number): void {
  assertEquals(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      assert(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${i}: ${g} vs ${w}`);
    } else assert(Math.abs(g - w) <= tol * (1 + Math.abs(w)), `${i}: ${g} vs ${w}`);
  }
}

describe("renderScan() (text)", () => {
  it("takes ⌈log₂ n⌉ loop-free passes, the last writing the output, one pipeline after the first", () => {
    const plan = renderScan(3, 70_001, "float32", "sum");
    assertEquals(plan.passes.length, 17);
    assertEquals(plan.passes[16].write, { kind: "output" });
    assertEquals(plan.scratch, [{ size: 210_003, type: "f32" }, { size: 210_003, type: "f32" }]);
    plan.passes.forEach((p, s) => {
      assertEquals(p.iterations, 0);
      assertEquals(Array.from(p.constants), [2 ** s]);
      if (s > 1 && s < 16) assertEquals(p.source, plan.passes[1].source);
    });
    assertEquals(renderScan(2, 1, "float32", "sum").passes.length, 1);
  });
});

gpuSuite("wgsl_scan_test.ts", "adapter")("WGSL row scans on WebGPU", () => {
  let device: GPUDevice;
  const setup = async () => {
    device ??= await (await navigator.gpu.requestAdapter())!.requestDevice();
    return device;
  };
  it("sum: rows of 70,001 float32 integers and of int32, exact", async () => {
    const d = await setup();
    const n = 70_001;
    const x = uniform(2 * n, -8, 8, 1).map(Math.floor);
    const f32 = await run(d, renderScan(2, n, "float32", "sum"), Float32Array.from(x), 8 * n);
    assertEquals(Array.from(new Float32Array(f32)), reference(x, 2, n, "sum"));
    const i32 = await run(d, renderScan(2, n, "int32", "sum"), Int32Array.from(x), 8 * n);
    assertEquals(Array.from(new Int32Array(i32)), reference(x, 2, n, "sum"));
    const one = await run(d, renderScan(3, 1, "float32", "sum"), Float32Array.of(4, 5, 6), 12);
    assertEquals(Array.from(new Float32Array(one)), [4, 5, 6]);
  });
  it("logaddexp: wide ranges, -Infinity and NaN, to float32 rounding", async () => {
    const d = await setup();
    const n = 5000;
    const x = uniform(3 * n, -60, 60, 2);
    x[0] = -Infinity; // a row starting at -inf
    x[n + 7] = NaN; // NaN from there on
    x[2 * n + 100] = Infinity; // +inf from there on
    const got = await run(
      d,
      renderScan(3, n, "float32", "logaddexp"),
      Float32Array.from(x),
      12 * n,
    );
    close(new Float32Array(got), reference(x, 3, n, "logaddexp"), 2e-6);
  });
  it("linear: out_i = a_i · out_(i-1) + b_i with zeros among the a_i (cumprod's recurrence)", async () => {
    const d = await setup();
    const [rows, n] = [4, 300];
    const x = uniform(2 * rows * n, 0.5, 1.5, 3);
    for (let i = 0; i < x.length; i += 97 * 2) x[i] = 0;
    const got = await run(
      d,
      renderScan(rows, n, "float32", "linear"),
      Float32Array.from(x),
      4 * rows * n,
    );
    close(new Float32Array(got), reference(x, rows, n, "linear"), 1e-5);
  });
  it("float16: reads halves, sums in f32 and writes halves", { ignore: !gpu.f16 }, async () => {
    const d = await (await navigator.gpu.requestAdapter())!.requestDevice({
      requiredFeatures: ["shader-f16"],
    });
    // prefix sums 2048, 2049, 2050, 2051 in f32, each rounded to half once (ties to even):
    // 2048, 2048, 2050, 2052 (a half accumulator would stay at 2048)
    const halves = Uint16Array.of(0x6800, 0x3c00, 0x3c00, 0x3c00); // 2048, 1, 1, 1
    const plan = renderScan(1, 4, "float16", "sum");
    const out = await run(d, plan, new Int32Array(halves.buffer), 8);
    assertEquals(Array.from(new Uint16Array(out)), [0x6800, 0x6800, 0x6801, 0x6802]);
  });
});

gpuSuite("wgsl_scan_test.ts", "adapter")("cumsum, cumprod and logCumSumExp on WebGPU", () => {
  const ops = {
    cumsum: (t: lt.Tensor) => lt.cumsum(t, 1),
    cumprod: (t: lt.Tensor) => lt.cumprod(t, 1),
    logCumSumExp: (t: lt.Tensor) => lt.logCumSumExp(t, 1),
  };
  for (const [name, f] of Object.entries(ops)) {
    it(`${name}: one scan kernel (no n×n grid), values and gradients equal the CPU's`, async () => {
      const [rows, n] = [3, 2000];
      const x = lt.tensor(uniform(rows * n, 0.9, 1.1, 5), { shape: [rows, n] });
      const onGpu = f(x.to("webgpu"));
      const kernels = lt.explain(onGpu).kernels;
      assertEquals(kernels.filter((k) => k.kind === "scan").length, 1);
      assert(kernels.every((k) => k.shape.reduce((a, b) => a * b, 1) <= 2 * rows * n));
      // float32 partial sums in a different order from the CPU's float64 ones
      close(await onGpu.data(), Array.from(f(x).dataSync()), 1e-5);
      const loss = (t: lt.Tensor) => f(t).mul(t.cos()).sum();
      const want = Array.from(lt.grad(loss)(x).dataSync());
      close(await lt.grad(loss)(x.to("webgpu")).data(), want, 1e-4);
    });
  }
});
