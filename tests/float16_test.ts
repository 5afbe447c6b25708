// float16 on the CPU: storage in Float16Array, rounding to half like PyTorch
// (round to nearest even, 65504 the largest finite, overflow to inf), every op's
// result rounded to half even inside a fused kernel, sums and matmuls accumulated
// in wider floats, promotion, printing, random samples and gradients. Expected
// values are what PyTorch 1.13 gives for torch.float16 (worked out by hand from
// the half format: 10 mantissa bits).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import fixture from "./fixtures/float16.json" with { type: "json" };

const H = { dtype: "float16" } as const;

function half(values: number[] | number[][]): lt.Tensor {
  return lt.tensor(values, H);
}

describe("float16 storage and rounding", () => {
  it("tensor() rounds to the nearest half, ties to even", () => {
    const x = half([1 / 3, 65504, 65519, 65520, -70000, 2049, 2051, 0.1, 2 ** -24, 2 ** -25]);
    assertEquals(x.dtype, "float16");
    const values = x.dataSync();
    assert(values instanceof Float16Array, "dataSync() gives a Float16Array");
    assertEquals(Array.from(values), [
      0.333251953125,
      65504,
      65504,
      Infinity,
      -Infinity,
      2048,
      2052,
      0.0999755859375,
      2 ** -24,
      0,
    ]);
  });

  it("data() resolves to a Float16Array", async () => {
    const values = await half([1.5, -2]).data();
    assert(values instanceof Float16Array);
    assertEquals(Array.from(values), [1.5, -2]);
  });

  it("a Float16Array gives a float16 tensor", () => {
    const x = lt.tensor(new Float16Array([0.5, 3]));
    assertEquals([x.dtype, x.toArray()], ["float16", [0.5, 3]]);
  });

  it("zeros(), ones() and full() make float16", () => {
    assertEquals(lt.zeros([2], H).dtype, "float16");
    assertEquals(lt.ones([2], H).toArray(), [1, 1]);
    assertEquals(lt.full([2], 1 / 3, H).toArray(), [0.333251953125, 0.333251953125]);
  });

  it("astype() rounds to half and back", () => {
    const x = lt.tensor([0.1, 1e5, -7.7]);
    assertEquals(x.astype("float16").toArray(), [0.0999755859375, Infinity, -7.69921875]);
    assertEquals(x.astype("float16").astype("float32").toArray(), [
      0.0999755859375,
      Infinity,
      -7.69921875,
    ]);
    assertEquals(half([2.5, -7.7]).astype("int32").toArray(), [2, -7]);
    assertEquals(lt.tensor([3], { dtype: "int32" }).astype("float16").dtype, "float16");
    assertEquals(lt.tensor([0.1]).half().toArray(), [0.0999755859375]);
  });
});

describe("float16 arithmetic", () => {
  it("each op's result is rounded to half, also inside a fused kernel", () => {
    // (1 + 1e-4) is 1 in half, so (x + 1e-4) - x is 0, as in PyTorch
    const x = half([1, 2048]);
    assertEquals(x.add(1e-4).sub(x).toArray(), [0, 0]);
    assertEquals(x.add(1).toArray(), [2, 2048]); // 2049 rounds to 2048
    // 1/3 in half, times 3, is 0.999755859375 before rounding: the tie goes to 1
    assertEquals(half([1 / 3]).mul(3).toArray(), [1]);
  });

  it("overflows to inf past 65504", () => {
    assertEquals(half([60000, 300]).add(half([10000, 0])).toArray(), [Infinity, 300]);
    assertEquals(half([300]).mul(half([300])).toArray(), [Infinity]);
  });

  it("unary math is computed wide and rounded", () => {
    assertEquals(half([1, 2]).exp().toArray(), [2.71875, 7.390625]);
    assertEquals(half([2]).sqrt().toArray(), [1.4140625]);
  });

  it("sum and matmul accumulate wider than half", () => {
    // a half accumulator would stall at 2048 (2048 + 1 rounds to 2048)
    assertEquals(lt.ones([4096], H).sum().toArray(), 4096);
    assertEquals(lt.ones([1, 4096], H).matmul(lt.ones([4096, 1], H)).toArray(), [[4096]]);
    assertEquals(lt.ones([4096], H).sum().dtype, "float16");
    assertEquals(half([1, 2, 4]).mean().toArray(), 2.333984375);
  });

  it("promotes like PyTorch", () => {
    const h = half([1]);
    assertEquals(h.add(lt.tensor([1])).dtype, "float32");
    assertEquals(h.add(lt.tensor([1], { dtype: "float64" })).dtype, "float64");
    assertEquals(h.add(lt.tensor([1], { dtype: "int32" })).dtype, "float16");
    assertEquals(lt.tensor([1], { dtype: "int32" }).mul(h).dtype, "float16");
    assertEquals(h.add(lt.tensor([true])).dtype, "float16");
    assertEquals(h.mul(0.5).dtype, "float16");
    assertEquals(h.gt(0).dtype, "bool");
  });
});

describe("float16 printing", () => {
  it("prints like torch.float16", () => {
    assertEquals(String(half([1 / 3])), "tensor([0.3333], dtype=float16)");
    assertEquals(
      String(half([[1, 2], [3, 4]])),
      "tensor([[1., 2.],\n        [3., 4.]], dtype=float16)",
    );
    assertEquals(String(lt.zeros([0], H)), "tensor([], dtype=float16)");
  });
});

describe("float16 random and gradients", () => {
  it("normal() and uniform() sample float16", () => {
    const n = lt.random.normal(lt.random.key(0), [1000], H);
    const u = lt.random.uniform(lt.random.key(1), [1000], { dtype: "float16", low: 1, high: 2 });
    assertEquals([n.dtype, u.dtype], ["float16", "float16"]);
    const us = Array.from(u.dataSync());
    assert(us.every((v) => v >= 1 && v < 2), "uniform in [1, 2)");
    const t = lt.random.truncatedNormal(lt.random.key(2), [1000], H);
    assertEquals(t.dtype, "float16");
    assert(Array.from(t.dataSync()).every((v) => v >= -2 && v <= 2), "truncated to [-2, 2]");
    const wide = lt.random.normal(lt.random.key(0), [1000]).dataSync();
    // the same draws as float32, rounded to half
    assertEquals(Array.from(n.dataSync()), Array.from(wide, (v) => Math.f16round(v)));
  });

  it("grad of a float16 function gives float16 gradients", () => {
    const x = half([1, 2, 3]);
    const g = lt.grad((t: lt.Tensor) => t.mul(t).sum())(x);
    assertEquals([g.dtype, g.toArray()], ["float16", [2, 4, 6]]);
    const y = lt.tensor([0.5, 1.5]);
    const gy = lt.grad((t: lt.Tensor) => t.astype("float16").exp().sum())(y);
    assertEquals(gy.dtype, "float32");
    assertEquals(gy.toArray(), [Math.f16round(Math.exp(0.5)), Math.f16round(Math.exp(1.5))]);
  });
});

describe("float16 without Float16Array", () => {
  it("says what is needed", () => {
    const g = globalThis as { Float16Array?: unknown };
    const saved = g.Float16Array;
    delete g.Float16Array;
    try {
      assertThrows(
        () => lt.zeros([2], H),
        TypeError,
        "float16 tensors need Float16Array and Math.f16round, which this runtime lacks: " +
          "use a runtime that has them (Deno 2, Node 24+, current browsers), or use float32",
      );
    } finally {
      g.Float16Array = saved;
    }
    assertEquals(lt.zeros([1], H).toArray(), [0]);
  });
});

type Num = number | string;
interface HalfCase {
  name: string;
  inputs: Num[][];
  shapes: number[][];
  expected: Num[];
  shape: number[];
  dtype: string;
  via: string | null;
}

function num(v: Num): number {
  return typeof v === "number" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity;
}

/** Lathe's form of each fixture case (inputs are float16 tensors). */
const ops: Record<string, (...xs: lt.Tensor[]) => lt.Tensor> = {
  add: (a, b) => a.add(b),
  sub: (a, b) => a.sub(b),
  mul: (a, b) => a.mul(b),
  div: (a, b) => a.div(b),
  maximum: (a, b) => lt.maximum(a, b),
  pow: (a, b) => a.pow(b),
  add_overflow: (a, b) => a.add(b),
  mul_scalar: (a) => a.mul(0.1),
  div_scalar: (a) => a.div(3),
  add_tiny_sub: (a) => a.add(1e-4).sub(a),
  exp: (a) => a.exp(),
  log: (a) => a.log(),
  sqrt: (a) => a.sqrt(),
  tanh: (a) => a.tanh(),
  sigmoid: (a) => lt.sigmoid(a),
  relu: (a) => lt.relu(a),
  sum: (a) => a.sum(),
  sum_ones: (a) => a.sum(),
  sum_axis1: (a) => a.sum({ axis: 1 }),
  mean: (a) => a.mean(),
  mean_axis0: (a) => a.mean({ axis: 0 }),
  max_axis1: (a) => a.max({ axis: 1 }),
  argmax_axis1: (a) => a.argmax({ axis: 1 }),
  matmul: (a, b) => a.matmul(b),
  softmax: (a) => lt.softmax(a, -1),
  to_float32: (a) => a.astype("float32"),
  to_int32: (a) => a.astype("int32"),
  round: (a) => a,
};

describe("float16 against PyTorch 1.13 (tests/fixtures/float16.json)", () => {
  for (const c of fixture.cases as HalfCase[]) {
    const via = c.via === null ? "" : ` (via ${c.via}, as CUDA's half kernels)`;
    it(`${c.name}() matches torch.float16${via}`, () => {
      const xs = c.inputs.map((v, i) => lt.tensor(v.map(num), { ...H, shape: c.shapes[i] }));
      const got = ops[c.name](...xs);
      assertEquals([got.shape, got.dtype], [c.shape, c.dtype]);
      // math functions computed in float64 here and float32 there may round to the other neighbour
      const ulps = c.via === null ? 0 : 1;
      const want = c.expected.map(num);
      const values = Array.from(got.dataSync());
      const bad = values.flatMap((v, i) => {
        const w = want[i];
        const ok = Number.isNaN(w) ? Number.isNaN(v) : v === w ||
          Math.abs(v - w) <= ulps * 2 ** (Math.floor(Math.log2(Math.abs(w) || 2 ** -14)) - 10);
        return ok ? [] : [`[${i}] ${v} (expected ${w})`];
      });
      assert(bad.length === 0, `${bad.length} values differ: ${bad.slice(0, 5).join(", ")}`);
    });
  }

  it("prints like torch.float16", () => {
    for (const p of fixture.prints) {
      const x = lt.tensor(p.values.map(num), { ...H, shape: p.shape });
      assertEquals(String(x), p.expected);
    }
  });
});
