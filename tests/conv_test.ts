// The CNN ops (core/conv.ts, core/pool.ts, core/normalization.ts) against
// PyTorch 1.13 float64 fixtures (tests/fixtures/gen_conv.py): values and the
// gradients of sum(out · r) for every option; finite differences (checkGrads,
// second order for the convolutions); float32 on the Wasm tier against the JS
// reference and against torch; WebGPU (lavapipe) against the CPU where an
// adapter exists; the kernels convolution becomes; and every error message.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { assertValuesClose } from "./_close.ts";
import fixture from "./fixtures/conv.json" with { type: "json" };

interface Encoded {
  s: number[];
  v: number[];
}
interface ConvCase {
  name: string;
  op: string;
  inputs: Record<string, Encoded>;
  options: Record<string, any>;
  out: Encoded;
  r: Encoded;
  grads: Record<string, Encoded>;
  runningMean?: Encoded;
  runningVar?: Encoded;
}
const cases = fixture.cases as unknown as ConvCase[];

function decode(e: Encoded, dtype: lt.DType = "float64"): lt.Tensor {
  return lt.tensor(e.v, { dtype, shape: e.s });
}

/** The Lathe call of a fixture case, as a function of its inputs in the fixture's order. */
function runner(
  c: ConvCase,
  dtype: lt.DType,
  device: lt.Device = "cpu",
): { names: string[]; f: (...xs: lt.Tensor[]) => lt.Tensor } {
  const names = Object.keys(c.inputs);
  const o = c.options;
  const f = (...xs: lt.Tensor[]): lt.Tensor => {
    const a = Object.fromEntries(names.map((n, i) => [n, xs[i]]));
    switch (c.op) {
      case "conv2d":
      case "conv1d":
      case "convTranspose2d":
      case "convTranspose1d":
        return lt[c.op](a.x, a.w, { ...o, bias: a.b });
      case "maxPool2d":
      case "maxPool1d":
      case "avgPool2d":
      case "avgPool1d": {
        const { kernel, ...rest } = o;
        return lt[c.op](a.x, kernel, rest);
      }
      case "adaptiveAvgPool2d":
      case "adaptiveAvgPool1d":
        return lt[c.op](a.x, o.outputSize);
      case "batchNorm":
        return lt.batchNorm(a.x, {
          weight: a.w,
          bias: a.b,
          training: o.training,
          momentum: o.momentum,
          eps: o.eps,
          runningMean: o.runningMean && decode(o.runningMean, dtype).to(device),
          runningVar: o.runningVar && decode(o.runningVar, dtype).to(device),
        }).output;
      case "groupNorm":
        return lt.groupNorm(a.x, o.groups, { weight: a.w, bias: a.b });
      case "rmsNorm":
        return lt.rmsNorm(a.x, o.shape, { weight: a.w, eps: o.eps });
    }
    throw new Error(`no runner for ${c.op}`);
  };
  return { names, f };
}

const F64 = { rtol: 1e-9, atol: 1e-10 };
const F32 = { rtol: 2e-4, atol: 2e-4 };

/** Values and input gradients of one case in `dtype` on the current CPU tier. */
function evaluate(c: ConvCase, dtype: lt.DType): { out: lt.Tensor; grads: lt.Tensor[] } {
  const { names, f } = runner(c, dtype);
  const xs = names.map((n) => decode(c.inputs[n], dtype));
  const r = decode(c.r, dtype);
  const argnums = names.map((_, i) => i).filter((i) => names[i] in c.grads);
  const [_out, grads] = lt.valueAndGrad((...ys: lt.Tensor[]) => f(...ys).mul(r).sum(), {
    argnums,
  })(...xs) as [lt.Tensor, lt.Tensor[]];
  return { out: f(...xs), grads: grads instanceof lt.Tensor ? [grads] : grads };
}

function checkAgainstTorch(c: ConvCase, dtype: lt.DType, tol: { rtol: number; atol: number }) {
  const { out, grads } = evaluate(c, dtype);
  assertEquals(out.shape, c.out.s, `${c.name}: shape`);
  assertValuesClose(out.dataSync(), c.out.v, `${c.name}: value`, tol);
  const names = Object.keys(c.inputs).filter((n) => n in c.grads);
  names.forEach((n, i) =>
    assertValuesClose(grads[i].dataSync(), c.grads[n].v, `${c.name}: d${n}`, tol)
  );
}

describe("CNN ops match PyTorch 1.13 in float64 (values and gradients)", () => {
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, () => checkAgainstTorch(c, "float64", F64));
  }
  it("batchNorm returns torch's updated running statistics", () => {
    for (const c of cases.filter((c) => c.runningMean !== undefined)) {
      const o = c.options;
      const result = lt.batchNorm(decode(c.inputs.x), {
        weight: decode(c.inputs.w),
        bias: decode(c.inputs.b),
        training: o.training,
        momentum: o.momentum,
        eps: o.eps,
        runningMean: decode(o.runningMean),
        runningVar: decode(o.runningVar),
      });
      assertValuesClose(result.runningMean!.dataSync(), c.runningMean!.v, c.name, F64);
      assertValuesClose(result.runningVar!.dataSync(), c.runningVar!.v, c.name, F64);
    }
  });
});

describe("CNN ops on every CPU tier in float32", () => {
  for (const c of cases) {
    it(`${c.op}: ${c.name}: Wasm and JS match torch`, () => {
      for (const tier of ["js", "wasm"] as const) {
        lt.setCpuBackend(tier);
        try {
          checkAgainstTorch(c, "float32", F32);
        } finally {
          lt.setCpuBackend("wasm");
        }
      }
    });
  }
});

describe("CNN ops against finite differences (checkGrads)", () => {
  for (const c of cases) {
    const conv = c.op.startsWith("conv");
    it(`${c.op}: ${c.name}${conv ? " (second order)" : ""}`, () => {
      const { names, f } = runner(c, "float64");
      const xs = names.map((n) => decode(c.inputs[n]));
      // the max pools have kinks at ties: their fixture has the one-sided rule instead
      if (c.name.includes("ties")) return;
      checkGrads(f, xs, { order: conv && c.name !== "dilation 2" ? 2 : 1, maxElements: 24 });
    });
  }
});

const hasGpu = (await lt.devices()).includes("webgpu");
(hasGpu ? describe : describe.skip)(
  "CNN ops on WebGPU match the CPU (values and gradients)",
  () => {
    for (const c of cases) {
      it(`${c.op}: ${c.name}`, async () => {
        await lt.device("webgpu");
        const { names, f } = runner(c, "float32");
        const xs = names.map((n) => decode(c.inputs[n], "float32"));
        const want = f(...xs);
        const onGpu = runner(c, "float32", "webgpu").f;
        const got = onGpu(...xs.map((x) => x.to("webgpu")));
        assertEquals(got.shape, want.shape);
        assertValuesClose(await got.data(), want.dataSync(), c.name, F32);
        // gradients of sum(out · r) on the GPU against the CPU's
        const r = decode(c.r, "float32");
        const argnums = names.map((_, i) => i).filter((i) => names[i] in c.grads);
        const grads = (g: typeof f, ys: lt.Tensor[], rr: lt.Tensor) => {
          const out = lt.grad((...zs: lt.Tensor[]) => g(...zs).mul(rr).sum(), { argnums })(...ys);
          return out instanceof lt.Tensor ? [out] : out as lt.Tensor[];
        };
        const cpuGrads = grads(f, xs, r);
        const gpuGrads = grads(onGpu, xs.map((x) => x.to("webgpu")), r.to("webgpu"));
        for (let i = 0; i < cpuGrads.length; i++) {
          assertValuesClose(
            await gpuGrads[i].data(),
            cpuGrads[i].dataSync(),
            `${c.name}: grad`,
            F32,
          );
        }
      });
    }
  },
);

describe("convolution kernels", () => {
  it("conv2d with bias is an im2col copy and one matmul with the bias in its epilogue", () => {
    const x = lt.random.normal(lt.random.key(0), [2, 3, 8, 8]);
    const w = lt.random.normal(lt.random.key(1), [4, 3, 3, 3]);
    const b = lt.random.normal(lt.random.key(2), [4]);
    x.dataSync();
    w.dataSync();
    b.dataSync();
    const kinds = lt.explain(lt.conv2d(x, w, { bias: b, padding: 1 })).kernels.map((k) => k.kind);
    assertEquals(kinds.filter((k) => k === "matmul").length, 1);
    assert(kinds.length <= 3, `kernels: ${kinds}`);
  });

  it("gradients of strided, dilated and grouped convolutions run on the Wasm tier (col2im included)", () => {
    for (const c of cases.filter((c) => c.op.startsWith("conv"))) {
      const { names, f } = runner(c, "float32");
      const xs = names.map((n) => decode(c.inputs[n], "float32"));
      const argnums = names.map((_, i) => i);
      const g = (...ys: lt.Tensor[]) =>
        lt.grad((...zs: lt.Tensor[]) => f(...zs).sum(), { argnums })(...ys);
      const tiers = lt.explain(g, ...xs).kernels.map((k) =>
        `${k.backend} [${k.shape}] ${k.ops.join(",")}`
      );
      assertEquals(tiers.filter((t) => t.startsWith("js")), [], `${c.op}: ${c.name}`);
    }
  });

  it("a relu before max pooling fuses into the one pooling kernel, a max reduction", () => {
    const x = lt.random.normal(lt.random.key(0), [2, 3, 8, 8]);
    x.dataSync();
    const e = lt.explain(lt.maxPool2d(lt.relu(x), 2));
    // the first maximum's position (argmax) is only computed for a gradient
    assertEquals(e.kernels.map((k) => [k.kind, k.ops.at(-1)]), [["loop", "reduceMax"]]);
    assert(e.toString().includes("maximum"), e.toString());
  });
});

describe("CNN op errors", () => {
  const x = lt.ones([2, 3, 5, 5]);
  it("channel mismatches name both shapes", () => {
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 2, 3, 3])),
      RangeError,
      "conv2d() channel mismatch: input [2, 3, 5, 5] has 3 channels but weight [4, 2, 3, 3] with groups=1 expects 2",
    );
  });
  it("a kernel larger than the padded input says by how much", () => {
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 3, 8, 3])),
      RangeError,
      "conv2d() kernel [8, 3] (dilated size 8) is larger than the padded input (5) on spatial axis 0 by 3",
    );
    assertThrows(
      () => lt.maxPool2d(x, 7),
      RangeError,
      "maxPool2d() window [7, 7] (dilated size 7) is larger than the padded input (5) on spatial axis 0 by 2",
    );
    assertThrows(
      () => lt.maxPool2d(x, 3, { padding: 2 }),
      RangeError,
      "maxPool2d() expected padding at most half the kernel size: found padding 2 with kernel 3",
    );
    assertThrows(
      // @ts-expect-error: ceilMode is a boolean
      () => lt.avgPool2d(x, 2, { ceilMode: 1 }),
      TypeError,
      "avgPool2d() expected ceilMode to be a boolean: found 1",
    );
  });
  it("groups must divide the channels", () => {
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 1, 3, 3]), { groups: 2 }),
      RangeError,
      "conv2d() expected groups=2 to divide the input channels (3) and the output channels (4)",
    );
  });
  it("bad ranks, options and arguments", () => {
    assertThrows(
      () => lt.conv2d(lt.ones([3, 5]), lt.ones([4, 3, 3, 3])),
      RangeError,
      "conv2d() expected a 4-d input [N, C, H, W] (or 3-d unbatched): found shape [3, 5]",
    );
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 3, 3, 3]), { stride: 0 }),
      RangeError,
      "conv2d() expected stride to be an integer ≥ 1 or 2 of them: found 0",
    );
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 3, 3, 3]), { stride: 2, padding: "same" }),
      RangeError,
      'conv2d() padding "same" needs stride 1',
    );
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 3, 3, 3]), { strides: 2 } as lt.ConvOptions),
      TypeError,
      'conv2d() got an unknown option "strides"',
    );
    assertThrows(
      () => lt.conv2d(x, lt.ones([4, 3, 3, 3]), { bias: lt.ones([3]) }),
      RangeError,
      "conv2d() expected a bias of shape [4] (one per output channel): found [3]",
    );
    assertThrows(
      () => lt.convTranspose2d(x, lt.ones([3, 2, 3, 3]), { stride: 2, outputPadding: 2 }),
      RangeError,
      "convTranspose2d() expected outputPadding below the stride or the dilation",
    );
    assertThrows(
      () => lt.batchNorm(x),
      TypeError,
      "batchNorm() in eval mode needs runningMean and runningVar",
    );
    assertThrows(
      () => lt.groupNorm(x, 2),
      RangeError,
      "groupNorm() expected groups to divide the 3 channels of input [2, 3, 5, 5]: found 2",
    );
    assertThrows(() => lt.dropout2d(x), TypeError, "dropout2d() needs a key when training");
  });
});

describe("dropout2d", () => {
  it("zeroes whole channels and scales the rest by 1/(1-p)", () => {
    const y = lt.dropout2d(lt.ones([4, 16, 3, 3]), { key: lt.random.key(3), p: 0.25 })
      .toArray() as number[][][][];
    let dropped = 0;
    for (const sample of y) {
      for (const channel of sample) {
        const values = new Set(channel.flat());
        assertEquals(values.size, 1);
        const [v] = values;
        assert(v === 0 || Math.abs(v - 4 / 3) < 1e-6, `value ${v}`);
        if (v === 0) dropped++;
      }
    }
    assert(dropped > 4 && dropped < 32, `dropped ${dropped} of 64 channels`);
    assertEquals(lt.dropout2d(lt.ones([1, 2, 2]), { training: false }).toArray(), [[[1, 1], [
      1,
      1,
    ]]]);
  });
});
