// The WGSL helpers of the special-function primitives (core/ops/_wgsl_special.ts)
// run on a real adapter (lavapipe in CI) over dense sweeps, against the float64
// JS functions rounded to float32: the error bounds their module doc states.
// Skipped, with a logged note, where no adapter exists.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { openDevice } from "../jit/runtime/webgpu/_open.ts";
import { type Helper, HelperSet } from "../core/ops/_wgsl_helpers.ts";
import { specialHelpers } from "../core/ops/_wgsl_special.ts";
import { digamma, erfc, erfinv, lgamma, trigamma } from "../core/ops/_special_math.ts";
import { sweep as sweepValues, worst } from "./_ulp.ts";

const hasGpu = (await lt.devices()).includes("webgpu");
if (!hasGpu) console.log("wgsl_special_test: no WebGPU adapter here: the tests are skipped");
const suite = hasGpu ? describe : describe.skip;

/** Runs `fn(x[, y])` of the helpers over the inputs on the GPU. */
async function run(
  device: GPUDevice,
  call: string,
  xs: Float32Array,
  ys: Float32Array,
): Promise<Float32Array> {
  // every special helper, with the base helpers they call (in the set's dependency order)
  const h = new HelperSet();
  for (const name of Object.keys(specialHelpers)) h.use(name as Helper);
  const source = `${h.source()}
@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read> ys: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&out)) { return; }
  let x = xs[i];
  let y = ys[i];
  out[i] = ${call};
}`;
  const module = device.createShaderModule({ code: source });
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const buffer = (data: Float32Array, usage: number) => {
    const b = device.createBuffer({ size: data.byteLength, usage });
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const S = GPUBufferUsage.STORAGE;
  const bx = buffer(xs, S | GPUBufferUsage.COPY_DST);
  const by = buffer(ys, S | GPUBufferUsage.COPY_DST);
  const bo = device.createBuffer({ size: xs.byteLength, usage: S | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({
    size: xs.byteLength,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [bx, by, bo].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(xs.length / 64));
  pass.end();
  enc.copyBufferToBuffer(bo, 0, read, 0, xs.byteLength);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  return out;
}

/** The shared float32 sweep (tests/_ulp.ts) as a Float32Array. */
function sweep(lo: number, hi: number, extra: number[] = [], negative = true): Float32Array {
  return Float32Array.from(sweepValues(lo, hi, extra, negative));
}

interface Check {
  call: string;
  ref: (x: number, y: number) => number;
  xs: Float32Array;
  ys?: Float32Array;
  /** Bound in float32 epsilons, relative to max(|f|, floor). */
  bound: number;
  floor?: number;
}

const specials = [0, -0, Infinity, -Infinity, NaN];
/** Every pair of a and b, as two flat arrays. */
function grid(a: number[], b: number[]): [Float32Array, Float32Array] {
  return [
    Float32Array.from(a.flatMap((x) => b.map(() => x))),
    Float32Array.from(a.flatMap(() => b)),
  ];
}
const pairs = [...specials, 1, -1, 0.5, -2.5, 3, 1e-20, -7e-3, 1e20, 123.456, -9.75];
const [ax, ay] = grid(pairs, pairs);
const fm = [...specials, 1, -1, 0.7, -2.5, 3, 1e-30, 1e30, -3e38, 5.5, 16777217, 0.1];
const [fx, fy] = grid(fm, fm);
const checks: Record<string, Check> = {
  // (e^(x/2))² near the overflow: the builtin exp's error doubles
  sinh: {
    call: "lt_sinh(x)",
    ref: Math.sinh,
    xs: sweep(-20, 7, [...specials, 89, -89, 90]),
    bound: 32,
  },
  cosh: {
    call: "lt_cosh(x)",
    ref: Math.cosh,
    xs: sweep(-20, 7, [...specials, 89, -89, 90]),
    bound: 32,
  },
  asinh: { call: "lt_asinh(x)", ref: Math.asinh, xs: sweep(-20, 60, specials), bound: 4 },
  acosh: {
    call: "lt_acosh(x)",
    ref: Math.acosh,
    xs: sweep(0, 60, [1, 1 + 2 ** -20, 0.5, ...specials], false),
    bound: 4,
  },
  atan2: { call: "lt_atan2(x, y)", ref: Math.atan2, xs: ax, ys: ay, bound: 4 },
  log2: {
    call: "lt_log2(x)",
    ref: Math.log2,
    xs: sweep(-30, 60, [1, 8, 1024, ...specials], false),
    bound: 2,
    floor: 1e-6,
  },
  log10: {
    call: "lt_log10(x)",
    ref: Math.log10,
    xs: sweep(-30, 60, [1, 10, 1000, ...specials], false),
    bound: 3,
    floor: 1e-6,
  },
  // relative to the smallest normal float32 (the GPU flushes subnormal results to 0)
  erfc: {
    call: "lt_erfc(x)",
    ref: erfc,
    xs: sweep(-12, 4, [9, 10, 10.2, 11, ...specials]),
    bound: 64,
    floor: 1.2e-38,
  },
  erfinv: {
    call: "lt_erfinv(x)",
    ref: erfinv,
    xs: sweep(-24, 0, [0.999999, 1, -1, 1.5, ...specials]),
    bound: 4,
  },
  // the reflection formula below 0: log(π/|sin πx|) - lgamma(1 - x) cancels near the zeros
  lgamma: {
    call: "lt_lgamma(x)",
    ref: lgamma,
    xs: sweep(-10, 20, [1, 2, -0.5, -2.5, ...specials]),
    bound: 32,
    floor: 1,
  },
  digamma: {
    call: "lt_digamma(x)",
    ref: digamma,
    xs: sweep(-10, 20, [1, 2, -0.5, -2.5, ...specials]),
    bound: 8,
    floor: 1,
  },
  trigamma: {
    call: "lt_trigamma(x)",
    ref: trigamma,
    xs: sweep(-10, 20, [1, 2, -0.5, -2.5, Infinity]),
    bound: 8,
    floor: 1,
  },
  // exact, like JS's %
  fmod: { call: "lt_tfmod(x, y)", ref: (a, b) => a % b, xs: fx, ys: fy, bound: 0 },
};

suite("WGSL special-function helpers on the GPU", () => {
  it("stay within their stated error of the float64 functions", async () => {
    const device = await openDevice({});
    assert(typeof device !== "string", String(device));
    const report: string[] = [];
    for (const [name, c] of Object.entries(checks)) {
      const ys = c.ys ?? new Float32Array(c.xs.length);
      const got = await run(device, c.call, c.xs, ys);
      const want = Array.from(c.xs, (x, i) => c.ref(x, ys[i]));
      const [err, at] = worst(got, want, c.floor ?? 0);
      if (err > c.bound) {
        report.push(
          `${name}: ${err.toFixed(1)} eps (bound ${c.bound}) at x = ${c.xs[at]}, y = ${
            ys[at]
          }: got ${got[at]}, want ${Math.fround(want[at])}`,
        );
      }
    }
    assertEquals(report, []);
  });
});
