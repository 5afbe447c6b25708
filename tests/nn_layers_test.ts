// nn layers: initialisation bit-exact with PyTorch through a torchGenerator,
// forward passes against PyTorch 1.13 (fixtures/nn_cases.json, written by
// fixtures/gen_nn.py), dropout, flatten, softmax layers, and the errors a
// wrong parameter tree gives.
import { describe, it } from "@std/testing/bdd";
import { assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import { assertClose } from "./_close.ts";
import { type FixtureTensor, fromFixture, nested, nnFixture, num } from "./_nn_fixture.ts";

interface Case {
  kind: string;
  name: string;
  [field: string]: any;
}

const fixture = nnFixture as { torch: string; cases: Case[] };
const casesOf = (kind: string) => fixture.cases.filter((c) => c.kind === kind);

/** Bit-exact equality with a fixture (float32 values round-trip through 9 digits). */
function assertExact(actual: lt.Tensor, want: FixtureTensor): void {
  assertEquals(actual.dtype, want.dtype);
  assertEquals(actual.shape, want.shape);
  const round = want.dtype === "float32" ? Math.fround : (v: number) => v;
  assertEquals(Array.from(actual.dataSync()), want.data.map((v) => round(num(v))));
}

function assertMatches(actual: lt.Tensor, want: FixtureTensor): void {
  assertEquals(actual.dtype, want.dtype);
  const tol = want.dtype === "float64" ? { rtol: 1e-12, atol: 1e-14 } : { rtol: 2e-6, atol: 1e-6 };
  assertClose(actual, nested(want), tol);
}

describe("linear() init and forward match torch.nn.Linear", () => {
  for (const c of casesOf("linear")) {
    it(`${c.name}: weight and bias are bit-exact, the output matches`, () => {
      const layer = nn.linear(c.in, c.out, { bias: c.bias });
      const params = layer.init(lt.random.torchGenerator(c.seed));
      assertExact(params.weight, c.weight);
      if (c.bias) {
        assertExact(params.bias!, c.biasValues);
      } else {
        assertEquals(Object.keys(params), ["weight"]);
      }
      assertMatches(layer.apply(params, fromFixture(c.x)), c.y);
    });
  }

  it("a key-based init is deterministic, within ±1/√in, with variance bound²/3", () => {
    const layer = nn.linear(100, 200);
    const a = layer.init(lt.random.key(0));
    const b = layer.init(lt.random.key(0));
    const other = layer.init(lt.random.key(1));
    assertEquals(a.weight.toArray(), b.weight.toArray());
    assertEquals(a.bias!.toArray(), b.bias!.toArray());
    assertNotEquals(a.weight.toArray(), other.weight.toArray());
    assertEquals(a.weight.shape, [200, 100]);
    assertEquals(a.bias!.shape, [200]);
    const w = Array.from(a.weight.dataSync());
    const bound = 0.1;
    assertEquals(w.every((v) => v >= -bound && v <= bound), true);
    assertEquals(Array.from(a.bias!.dataSync()).every((v) => v >= -bound && v <= bound), true);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    assertAlmostEquals(mean, 0, 0.003);
    assertAlmostEquals(variance, bound ** 2 / 3, 0.0002);
  });

  it("weight and bias come from different keys", () => {
    const p = nn.linear(1, 1).init(lt.random.key(3));
    assertNotEquals(p.weight.reshape([1]).toArray(), p.bias!.toArray());
  });

  it("apply() computes x @ weightᵀ + bias on batches of any rank", () => {
    const layer = nn.linear(2, 3);
    const params = {
      weight: lt.tensor([[1, 2], [3, 4], [5, 6]]),
      bias: lt.tensor([0.5, -1, 2]),
    };
    assertClose(layer.apply(params, lt.tensor([1, -1])), [-0.5, -2, 1]);
    assertClose(layer.apply(params, lt.tensor([[[1, 0]], [[0, 2]]])), [
      [[1.5, 2, 7]],
      [[4.5, 7, 14]],
    ]);
    const noBias = nn.linear(2, 3, { bias: false });
    assertClose(noBias.apply({ weight: params.weight }, lt.tensor([[1, 1]])), [[3, 7, 11]]);
  });
});

describe("sequential() init and forward match torch.nn.Sequential", () => {
  for (const c of casesOf("sequential")) {
    it(`${c.name}: parameters drawn in torch's order, bit-exact`, () => {
      const [a, b, o] = c.sizes;
      const model = nn.sequential(nn.linear(a, b), nn.relu, nn.linear(b, o));
      const params = model.init(lt.random.torchGenerator(c.seed));
      assertEquals(params.length, 3);
      assertExact(params[0].weight, c.params[0]);
      assertExact(params[0].bias!, c.params[1]);
      assertEquals(params[1], {});
      assertExact(params[2].weight, c.params[2]);
      assertExact(params[2].bias!, c.params[3]);
      assertMatches(model.apply(params, fromFixture(c.x)), c.y);
    });
  }

  const [seed001] = casesOf("seed001");
  it(`${seed001.name}: 26 parameters, bit-exact init, same output`, () => {
    const model = nn.sequential(nn.linear(3, 5), nn.linear(5, 1), nn.sigmoid);
    const params = model.init(lt.random.torchGenerator(seed001.seed));
    assertEquals(seed001.count, 26);
    assertEquals(nn.paramCount(params), 26);
    assertEquals(nn.paramCount(model.init(lt.random.key(0))), 26);
    assertExact(params[0].weight, seed001.params[0]);
    assertExact(params[0].bias!, seed001.params[1]);
    assertExact(params[1].weight, seed001.params[2]);
    assertExact(params[1].bias!, seed001.params[3]);
    assertEquals(params[2], {});
    assertMatches(model.apply(params, fromFixture(seed001.x)), seed001.y);
  });

  it("a shared generator keeps drawing: a second model gets torch's next numbers", () => {
    // torch.manual_seed(0); Linear(3, 2); Linear(3, 2) — the second layer is not the first
    const g = lt.random.torchGenerator(0);
    const first = nn.linear(3, 2).init(g);
    const second = nn.linear(3, 2).init(g);
    const [c] = casesOf("linear").filter((k) => k.seed === 0);
    assertExact(first.weight, c.weight);
    assertNotEquals(Array.from(second.weight.dataSync()), Array.from(first.weight.dataSync()));
  });

  it("a key-based init gives each layer its own key", () => {
    const params = nn.sequential(nn.linear(3, 3), nn.linear(3, 3)).init(lt.random.key(0)) as any[];
    assertNotEquals(params[0].weight.toArray(), params[1].weight.toArray());
  });

  it("paramCount() counts every scalar of a tree", () => {
    assertEquals(nn.paramCount([{ weight: lt.ones([4, 3]), bias: lt.ones([4]) }, {}]), 16);
    assertEquals(nn.paramCount({}), 0);
    assertEquals(nn.paramCount(nn.layerNorm(7).init(lt.random.key(0))), 14);
    assertEquals(nn.paramCount(nn.embedding(10, 4).init(lt.random.key(0))), 40);
  });
});

describe("layerNorm() matches torch.nn.LayerNorm", () => {
  it("init is weight = 1, bias = 0", () => {
    const p = nn.layerNorm(4).init(lt.random.key(0));
    assertEquals(p.weight.toArray(), [1, 1, 1, 1]);
    assertEquals(p.bias.toArray(), [0, 0, 0, 0]);
  });

  it("normalises with the biased variance: [1, 2, 3, 4] → (x - 2.5)/√(1.25 + eps)", () => {
    const layer = nn.layerNorm(4, { eps: 0.01 });
    const y = layer.apply(layer.init(lt.random.key(0)), lt.tensor([[1, 2, 3, 4], [5, 5, 5, 5]]));
    const s = Math.sqrt(1.25 + 0.01);
    assertClose(y, [[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], [0, 0, 0, 0]]);
  });

  for (const c of casesOf("layerNorm")) {
    it(`${c.name}: output and gradients`, () => {
      const layer = nn.layerNorm(c.size, { eps: c.eps });
      const x = fromFixture(c.x);
      const weight = fromFixture(c.weight);
      const bias = fromFixture(c.bias);
      const ct = fromFixture(c.ct);
      assertMatches(layer.apply({ weight, bias }, x), c.y);
      const [gx, gw, gb] = lt.grad(
        (x: lt.Tensor, weight: lt.Tensor, bias: lt.Tensor) =>
          layer.apply({ weight, bias }, x).mul(ct).sum(),
        { argnums: [0, 1, 2] },
      )(x, weight, bias);
      const tol = c.x.dtype === "float64"
        ? { rtol: 1e-10, atol: 1e-12 }
        : { rtol: 1e-4, atol: 1e-5 };
      assertClose(gx, nested(c.grads.x), tol);
      assertClose(gw, nested(c.grads.weight), tol);
      assertClose(gb, nested(c.grads.bias), tol);
    });
  }
});

describe("embedding()", () => {
  for (const c of casesOf("embedding")) {
    it(`${c.name}: init is bit-exact with torch, lookup matches`, () => {
      const layer = nn.embedding(c.count, c.dim);
      const params = layer.init(lt.random.torchGenerator(c.seed));
      assertExact(params.weight, c.weight);
      assertExact(layer.apply(params, fromFixture(c.ids)), c.y);
    });
  }

  it("looks rows up by int32 id", () => {
    const weight = lt.tensor([[0, 1], [10, 11], [20, 21]]);
    const layer = nn.embedding(3, 2);
    const ids = lt.tensor([[2, 0], [1, 1]], { dtype: "int32" });
    assertEquals(layer.apply({ weight }, ids).toArray(), [[[20, 21], [0, 1]], [[10, 11], [
      10,
      11,
    ]]]);
  });

  it("a key-based init is N(0, 1)", () => {
    const w = Array.from(nn.embedding(100, 50).init(lt.random.key(0)).weight.dataSync());
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    assertAlmostEquals(mean, 0, 0.05);
    assertAlmostEquals(variance, 1, 0.06);
  });
});

describe("dropout()", () => {
  const x = lt.ones([100, 100]);

  it("is the identity in eval mode, with or without a key", () => {
    const layer = nn.dropout(0.5);
    const y = lt.tensor([[1, -2], [3, 4]]);
    assertEquals(layer.apply({}, y).toArray(), y.toArray());
    assertEquals(
      layer.apply({}, y, { train: false, key: lt.random.key(0) }).toArray(),
      y.toArray(),
    );
    assertEquals(nn.dropout(0).apply({}, y, { train: true }).toArray(), y.toArray());
  });

  it("in training zeroes about `rate` of the elements and scales the rest by 1/(1-rate)", () => {
    for (const rate of [0.1, 0.25, 0.5, 0.8]) {
      const y = Array.from(
        nn.dropout(rate).apply({}, x, { train: true, key: lt.random.key(7) })
          .dataSync(),
      );
      const zeros = y.filter((v) => v === 0).length / y.length;
      // 10,000 Bernoulli draws: the standard deviation of the fraction is below 0.005
      assertAlmostEquals(zeros, rate, 0.025);
      for (const v of y.filter((v) => v !== 0)) assertAlmostEquals(v, 1 / (1 - rate), 1e-6);
      const mean = y.reduce((s, v) => s + v, 0) / y.length;
      assertAlmostEquals(mean, 1, rate < 0.6 ? 0.05 : 0.15);
    }
  });

  it("is deterministic for a key and differs between keys", () => {
    const layer = nn.dropout(0.5);
    const a = layer.apply({}, x, { train: true, key: lt.random.key(1) }).toArray();
    assertEquals(layer.apply({}, x, { train: true, key: lt.random.key(1) }).toArray(), a);
    assertNotEquals(layer.apply({}, x, { train: true, key: lt.random.key(2) }).toArray(), a);
  });

  it("keeps the dtype and passes gradients through the kept elements only", () => {
    const layer = nn.dropout(0.5);
    const key = lt.random.key(3);
    const x64 = lt.ones([4, 4], { dtype: "float64" });
    const y = layer.apply({}, x64, { train: true, key });
    assertEquals(y.dtype, "float64");
    const g = lt.grad((x: lt.Tensor) => layer.apply({}, x, { train: true, key }).sum())(x64);
    assertEquals(g.toArray(), y.toArray());
  });

  it("needs a key in training mode", () => {
    const e = assertThrows(() => nn.dropout(0.5).apply({}, x, { train: true }), Error);
    assertEquals(e instanceof TypeError, true);
    assertEquals(
      e.message,
      "dropout.apply() in training mode needs a key: pass { train: true, key }",
    );
    const model = nn.sequential(nn.linear(100, 3), nn.dropout(0.5));
    const params = model.init(lt.random.key(0));
    assertThrows(() => model.apply(params, x, { train: true }), TypeError, "needs a key");
    assertEquals(model.apply(params, x, { train: true, key: lt.random.key(0) }).shape, [100, 3]);
  });

  it("rejects a rate outside [0, 1)", () => {
    assertThrows(() => nn.dropout(1), RangeError, "dropout() expected a rate in [0, 1): found 1");
    assertThrows(() => nn.dropout(-0.1), RangeError, "found -0.1");
    assertThrows(() => nn.dropout(NaN), RangeError, "found NaN");
  });
});

describe("parameter-free layers", () => {
  it("flatten() keeps the batch axis by default", () => {
    const x = lt.arange(24).reshape([2, 3, 4]);
    const y = nn.flatten().apply({}, x);
    assertEquals(y.shape, [2, 12]);
    assertEquals(y.toArray(), [
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    ]);
    assertEquals(nn.flatten(0).apply({}, x).shape, [24]);
    assertEquals(nn.flatten(1, 2).apply({}, lt.zeros([2, 3, 4, 5])).shape, [2, 12, 5]);
    assertEquals(nn.flatten().init(lt.random.key(0)), {});
  });

  for (const c of casesOf("softmax")) {
    it(`${c.name} matches torch`, () => {
      const layer = c.op === "softmax" ? nn.softmax(c.axis) : nn.logSoftmax(c.axis);
      assertMatches(layer.apply({}, fromFixture(c.x)), c.y);
    });
  }

  it("softmax() and logSoftmax() default to the last axis", () => {
    const x = lt.tensor([[1, 2, 3], [0, 0, 0]]);
    const p = nn.softmax().apply({}, x);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0] + e[1] + e[2];
    assertClose(p, [[e[0] / z, e[1] / z, e[2] / z], [1 / 3, 1 / 3, 1 / 3]]);
    assertClose(nn.logSoftmax().apply({}, x), [
      [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)],
      [-Math.log(3), -Math.log(3), -Math.log(3)],
    ]);
  });

  it("activations as layers", () => {
    const x = lt.tensor([-2, 0, 3]);
    assertEquals(nn.relu.apply({}, x).toArray(), [0, 0, 3]);
    assertClose(nn.leakyRelu(0.1).apply({}, x), [-0.2, 0, 3]);
    assertClose(nn.sigmoid.apply({}, x), [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-3))]);
    assertClose(nn.tanh.apply({}, x), [Math.tanh(-2), 0, Math.tanh(3)]);
    // exact GELU: x·Φ(x); Φ(-2) = 0.0227501319, Φ(3) = 0.9986501020
    assertClose(nn.gelu.apply({}, x), [-2 * 0.0227501319, 0, 3 * 0.998650102]);
  });
});

describe("apply() rejects wrong parameter trees", () => {
  const layer = nn.linear(3, 4);
  const x = lt.ones([2, 3]);
  const hint = ": pass the params this layer's init() returned";

  it("a transposed weight", () => {
    const e = assertThrows(
      () => layer.apply({ weight: lt.ones([3, 4]), bias: lt.zeros([4]) }, x),
      Error,
    );
    assertEquals(e instanceof TypeError, true);
    assertEquals(
      e.message,
      "linear(3 → 4).apply() expected params.weight of shape [4, 3]: found shape [3, 4]" + hint,
    );
  });

  it("a bias of the wrong shape", () => {
    assertThrows(
      () => layer.apply({ weight: lt.ones([4, 3]), bias: lt.zeros([3]) }, x),
      TypeError,
      "linear(3 → 4).apply() expected params.bias of shape [4]: found shape [3]" + hint,
    );
  });

  it("a missing key", () => {
    assertThrows(
      () => layer.apply({ weight: lt.ones([4, 3]) }, x),
      TypeError,
      "linear(3 → 4).apply() expected params.bias of shape [4]: found no such key" + hint,
    );
    assertThrows(
      () => layer.apply({ w: lt.ones([4, 3]), b: lt.zeros([4]) } as any, x),
      TypeError,
      "linear(3 → 4).apply() expected params.weight of shape [4, 3]: found no such key" + hint,
    );
    assertThrows(
      () => layer.apply(undefined as any, x),
      TypeError,
      "expected params.weight of shape [4, 3]: found no such key",
    );
  });

  it("plain arrays instead of tensors", () => {
    assertThrows(
      () => layer.apply({ weight: [[1, 2, 3]], bias: lt.zeros([4]) } as any, x),
      TypeError,
      "linear(3 → 4).apply() expected params.weight of shape [4, 3]: found an array (not a Tensor)" +
        hint,
    );
  });

  it("inputs with the wrong number of features", () => {
    const params = layer.init(lt.random.key(0));
    assertThrows(
      () => layer.apply(params, lt.ones([2, 5])),
      RangeError,
      "linear(3 → 4) expected inputs with 3 features on the last axis: found shape [2, 5]",
    );
  });

  it("a sequential with the wrong number of entries, or not an array", () => {
    const model = nn.sequential(nn.linear(3, 5), nn.relu, nn.linear(5, 1));
    const params = model.init(lt.random.key(0));
    // @ts-expect-error: the types want all 3 entries; plain JavaScript gets the error below
    const e = assertThrows(() => model.apply(params.slice(0, 2), x), Error);
    assertEquals(e instanceof TypeError, true);
    assertEquals(
      e.message,
      "sequential.apply() expected an array of 3 parameter entries (one per layer): found 2: " +
        "pass the params init() returned",
    );
    assertThrows(
      // @ts-expect-error: one entry too many
      () => model.apply([...params, {}], x),
      TypeError,
      "expected an array of 3 parameter entries (one per layer): found 4",
    );
    assertThrows(
      () => model.apply({ 0: params[0] } as any, x),
      TypeError,
      "expected an array of 3 parameter entries (one per layer): found object",
    );
    assertEquals(model.apply(params, x).shape, [2, 1]);
  });

  it("a sequential whose entries are swapped names the failing layer", () => {
    const model = nn.sequential(nn.linear(3, 5), nn.relu, nn.linear(5, 1));
    const params = model.init(lt.random.key(0));
    assertThrows(
      () => model.apply([params[2], params[1], params[0]], x),
      TypeError,
      "linear(3 → 5).apply() expected params.weight of shape [5, 3]: found shape [1, 5]",
    );
  });

  it("layerNorm and embedding parameters of the wrong shape", () => {
    assertThrows(
      () => nn.layerNorm(3).apply({ weight: lt.ones([4]), bias: lt.zeros([3]) }, x),
      TypeError,
      "layerNorm(3).apply() expected params.weight of shape [3]: found shape [4]" + hint,
    );
    assertThrows(
      () =>
        nn.embedding(10, 2).apply(
          { weight: lt.ones([2, 10]) },
          lt.tensor([1], { dtype: "int32" }),
        ),
      TypeError,
      "embedding(10, 2).apply() expected params.weight of shape [10, 2]: found shape [2, 10]" +
        hint,
    );
  });

  it("bad sizes at construction", () => {
    assertThrows(
      () => nn.linear(0, 3),
      RangeError,
      "linear() expected a positive integer inFeatures: found 0",
    );
    assertThrows(
      () => nn.linear(3, 2.5),
      RangeError,
      "linear() expected a positive integer outFeatures: found 2.5",
    );
  });
});
