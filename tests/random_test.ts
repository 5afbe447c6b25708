// Tests of lt.random: the PyTorch-compatible generator against real PyTorch
// streams (tests/fixtures/gen_random.py), and the Threefry key API's
// determinism, independence and distributions.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { readTextFileSync } from "../test_util/runtime.ts";
import { threefry2x32 } from "../core/_threefry.ts";

const { random } = lt;

interface Call {
  op: "randn" | "rand" | "uniform" | "normal" | "randint" | "randperm";
  args: unknown[];
  d: "float32" | "float64" | "int32";
  out?: number[];
  digest?: [number, number];
}
interface Case {
  name: string;
  seed: number;
  calls: Call[];
}
const fixture: { torch: string; capability: string; cases: Case[] } = JSON.parse(
  readTextFileSync(new URL("./fixtures/torch_random.json", import.meta.url)),
);

function run(g: lt.random.TorchGenerator, call: Call): lt.Tensor {
  const a = call.args as never[];
  const options = { dtype: call.d as "float32" | "float64" };
  switch (call.op) {
    case "randn":
      return g.randn(a[0], options);
    case "rand":
      return g.rand(a[0], options);
    case "uniform":
      return g.uniform(a[0], a[1], a[2], options);
    case "normal":
      return g.normal(a[0], a[1], a[2], options);
    case "randint":
      return g.randint(a[0], a[1], a[2]);
    case "randperm":
      return g.randperm(a[0]);
    default:
      return call.op satisfies never;
  }
}

/** [sum x, sum (i + 1) x] in index order, as the fixture script computes it. */
function digest(values: ArrayLike<number>): [number, number] {
  let s = 0;
  let w = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    w += (i + 1) * values[i];
  }
  return [s, w];
}

/** Asserts every float64 value within a few ulps (PyTorch uses glibc's log/sin/cos there). */
function assertUlpClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const tol = 4 * Number.EPSILON * Math.max(1, Math.abs(expected[i]));
    assert(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

function assertThrowsText(
  fn: () => unknown,
  ErrorClass: typeof TypeError | typeof RangeError,
  text: string,
): void {
  const error = assertThrows(fn, ErrorClass);
  assertEquals(error.message, text);
}

function stats(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / values.length) };
}

describe("random.torchGenerator", () => {
  it("reproduces the seed-003 tutorial numbers", () => {
    const g = random.torchGenerator(7);
    const round4 = (t: lt.Tensor) => [...t.dataSync()].map((v) => Number(v.toFixed(4)));
    const features = g.randn([1, 5]);
    assertEquals(features.shape, [1, 5]);
    assertEquals(round4(features), [-0.1468, 0.7861, 0.9468, -1.1143, 1.6908]);
    assertEquals(round4(g.randnLike(features)), [-0.8948, -0.3556, 1.2324, 0.1382, -1.6822]);
    assertEquals(round4(g.randn([1, 1])), [0.3177]);
  });

  for (const c of fixture.cases) {
    it(`matches PyTorch ${fixture.torch} (${fixture.capability}): ${c.name}`, () => {
      const g = random.torchGenerator(c.seed);
      c.calls.forEach((call, k) => {
        const t = run(g, call);
        const what = `${c.name}, call ${k} (${call.op})`;
        assertEquals(t.dtype, call.d, what);
        const values = t.dataSync();
        if (call.digest !== undefined) {
          if (call.d === "float64") assertUlpClose(digest(values), call.digest, what);
          else assertEquals(digest(values), call.digest, what);
        } else if (call.d === "float64") {
          assertUlpClose(values, call.out!, what);
        } else {
          const expected = call.out!.map((v) => (call.d === "float32" ? Math.fround(v) : v));
          assertEquals([...values], expected, what);
        }
      });
    });
  }

  it("manualSeed() restarts the stream and drops the cached normal", () => {
    const g = random.torchGenerator(3);
    const first = g.randn([3]).toArray();
    g.randn([16]);
    assertEquals(g.manualSeed(3).randn([3]).toArray(), first);
    // 2^32 + 3 and -(2^64) + 3 share the low 32 bits with 3, as in PyTorch
    assertEquals(random.torchGenerator(2 ** 32 + 3).randn([3]).toArray(), first);
    assertEquals(random.torchGenerator(-(2n ** 64n) + 3n).randn([3]).toArray(), first);
  });

  it("rejects bad arguments with clear messages", () => {
    const g = random.torchGenerator(0);
    assertThrowsText(
      () => random.torchGenerator(0.5),
      TypeError,
      "torchGenerator() expected an integer seed: found 0.5: pass a whole number such as 0 (use a bigint beyond 2^53)",
    );
    assertThrowsText(
      () => g.uniform([2], 1, 0),
      RangeError,
      "uniform() expected low <= high: found low=1 and high=0: swap them",
    );
    assertThrowsText(
      () => g.randint(3, 3, [2]),
      RangeError,
      "randint() expected low < high: found low=3 and high=3: high is exclusive, so the values run from low to high - 1",
    );
    assertThrowsText(
      () => g.randnLike(lt.tensor([1, 2], { dtype: "int32" })),
      TypeError,
      'randnLike() expected dtype float32 or float64: found "int32": integers come from randint()',
    );
    assertThrowsText(
      () => g.randn([2, 1.5]),
      RangeError,
      "randn() expected non-negative integer sizes: found 1.5 in shape [2, 1.5]: sizes must be whole numbers >= 0",
    );
  });
});

describe("random keys", () => {
  it("threefry2x32() matches the Random123 known-answer vectors", () => {
    const out = new Uint32Array(2);
    threefry2x32(0, 0, 0, 0, out);
    assertEquals([...out], [0x6b200159, 0x99ba4efe]);
    threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    assertEquals([...out], [0x1cb996fc, 0xbb002be7]);
    threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, out);
    assertEquals([...out], [0xc4923a9c, 0x483df7a0]);
  });

  it("key() holds the seed's two words and is immutable", () => {
    assertEquals(random.key(42).data, new Uint32Array([0, 42]));
    assertEquals(random.key(2 ** 32 + 7).data, new Uint32Array([1, 7]));
    assertEquals(random.key(-1).data, new Uint32Array([0xffffffff, 0xffffffff]));
    const k = random.key(5);
    k.data[0] = 99;
    assertEquals(k.data, new Uint32Array([0, 5]));
    assertEquals(String(k), "Key(0, 5)");
  });

  it("split() and uniform() give JAX's numbers for key(0)", () => {
    // The values published for jax.random.split / uniform under
    // jax_threefry_partitionable (JAX's default since 0.5); not re-run here
    const [a, b] = random.split(random.key(0));
    assertEquals(a.data, new Uint32Array([1797259609, 2579123966]));
    assertEquals(b.data, new Uint32Array([928981903, 3453687069]));
    assertEquals(random.split(random.key(0), 0), []);
    const u = [...random.uniform(random.key(0), [4]).dataSync()];
    assertEquals(u, [0.9476670027, 0.9785798788, 0.3322914839, 0.4686684608].map(Math.fround));
  });

  it("the same key gives the same numbers", () => {
    const k = random.key(123);
    assertEquals(random.normal(k, [50]).toArray(), random.normal(random.key(123), [50]).toArray());
    assertEquals(random.uniform(k, [3, 4]).toArray(), random.uniform(k, [3, 4]).toArray());
    assertEquals(random.randint(k, [9], -5, 5).toArray(), random.randint(k, [9], -5, 5).toArray());
    assertEquals(random.permutation(k, 30).toArray(), random.permutation(k, 30).toArray());
    assertEquals(random.split(k, 3).map(String), random.split(random.key(123), 3).map(String));
  });

  it("element i depends only on the key and i (prefix property)", () => {
    const k = random.key(9);
    const long = random.normal(k, [10]).dataSync();
    assertEquals([...random.normal(k, [2, 3]).dataSync()], [...long.slice(0, 6)]);
  });

  it("split keys give independent streams with no shared values", () => {
    const parent = random.key(0);
    const keys = [parent, ...random.split(parent, 8), random.foldIn(parent, 1000)];
    assertEquals(new Set(keys.map(String)).size, keys.length);
    const streams = keys.map((k) => random.normal(k, [200]).dataSync());
    for (let a = 0; a < streams.length; a++) {
      for (let b = a + 1; b < streams.length; b++) {
        const shared = streams[a].filter((v, i) => v === streams[b][i]).length;
        assertEquals(shared, 0, `streams ${a} and ${b}`);
        // and no shifted copies: the first value of one never appears in the other
        assert(!streams[b].includes(streams[a][0]), `stream ${a} appears inside ${b}`);
      }
    }
    // the two halves of one split are uncorrelated
    const [x, y] = random.split(random.key(1)).map((k) => random.normal(k, [100000]).dataSync());
    let corr = 0;
    for (let i = 0; i < x.length; i++) corr += x[i] * y[i];
    assert(Math.abs(corr / x.length) < 0.01, `correlation ${corr / x.length}`);
  });

  it("foldIn() is deterministic and distinct per value", () => {
    const k = random.key(7);
    assertEquals(String(random.foldIn(k, 3)), String(random.foldIn(random.key(7), 3)));
    const folded = Array.from({ length: 100 }, (_, i) => String(random.foldIn(k, i)));
    assertEquals(new Set(folded).size, 100);
  });
});

describe("random samplers", () => {
  it("normal() has mean 0 and std 1 over 100k samples", () => {
    const x = random.normal(random.key(0), [100000]);
    assertEquals(x.dtype, "float32");
    const { mean, std } = stats(x.dataSync());
    assert(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert(Math.abs(std - 1) < 0.01, `std ${std}`);
    const y = random.normal(random.key(1), [100000], { mean: 3, std: 0.5, dtype: "float64" });
    assertEquals(y.dtype, "float64");
    const s = stats(y.dataSync());
    assert(Math.abs(s.mean - 3) < 0.005 && Math.abs(s.std - 0.5) < 0.005, JSON.stringify(s));
  });

  it("normal() tails follow the normal distribution", () => {
    const x = random.normal(random.key(2), [200000]).dataSync();
    const beyond2 = x.filter((v) => Math.abs(v) > 2).length / x.length;
    assert(Math.abs(beyond2 - 0.0455) < 0.002, `P(|x| > 2) = ${beyond2}`);
  });

  it("uniform() stays in [low, high) with the right mean", () => {
    const u = random.uniform(random.key(0), [100000], { low: -2, high: 3 }).dataSync();
    assert(u.every((v) => v >= -2 && v < 3));
    assert(Math.abs(stats(u).mean - 0.5) < 0.02, `mean ${stats(u).mean}`);
    // a range one float32 step wide never rounds up to high
    const narrow = random.uniform(random.key(1), [1000], { low: 1 - 2 ** -24, high: 1 }).dataSync();
    assert(narrow.every((v) => v >= 1 - 2 ** -24 && v < 1));
    const d = random.uniform(random.key(2), [1000], { dtype: "float64" });
    assertEquals(d.dtype, "float64");
    assert(d.dataSync().every((v) => v >= 0 && v < 1));
  });

  it("randint() covers [low, high) evenly", () => {
    const r = random.randint(random.key(0), [100000], -3, 7);
    assertEquals(r.dtype, "int32");
    const counts = new Array(10).fill(0);
    for (const v of r.dataSync()) counts[v + 3]++;
    assert(counts.every((c) => Math.abs(c - 10000) < 500), `counts ${counts}`);
    const wide = random.randint(random.key(1), [1000], -(2 ** 31), 2 ** 31).dataSync();
    assert(wide.some((v) => v < -(2 ** 30)) && wide.some((v) => v > 2 ** 30));
  });

  it("bernoulli() is true at rate p", () => {
    const b = random.bernoulli(random.key(0), 0.3, [100000]);
    assertEquals(b.dtype, "bool");
    const rate = stats(b.dataSync()).mean;
    assert(Math.abs(rate - 0.3) < 0.01, `rate ${rate}`);
    assert(random.bernoulli(random.key(1), 0, [100]).dataSync().every((v) => v === 0));
    assert(random.bernoulli(random.key(1), 1, [100]).dataSync().every((v) => v === 1));
    assertEquals(random.bernoulli(random.key(1), 0.5).shape, []);
  });

  it("permutation() is a permutation", () => {
    const p = random.permutation(random.key(0), 1000);
    assertEquals(p.dtype, "int32");
    assertEquals(
      [...p.dataSync()].sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assertNotEquals([...p.dataSync()], Array.from({ length: 1000 }, (_, i) => i));
    assertEquals(random.permutation(random.key(0), 0).shape, [0]);
  });

  it("truncatedNormal() stays within its bounds", () => {
    const t = random.truncatedNormal(random.key(0), [100000]).dataSync();
    assert(t.every((v) => v >= -2 && v <= 2));
    const s = stats(t);
    // the standard normal truncated to [-2, 2] has std 0.8796
    assert(Math.abs(s.mean) < 0.01 && Math.abs(s.std - 0.8796) < 0.01, JSON.stringify(s));
    for (const [lower, upper] of [[0.7, 3], [5, 6], [-8, -7.5], [-Infinity, -1], [1, Infinity]]) {
      for (const dtype of ["float32", "float64"] as const) {
        const x = random.truncatedNormal(random.key(1), [2000], { lower, upper, dtype }).dataSync();
        assert(x.every((v) => v >= lower && v <= upper), `[${lower}, ${upper}] ${dtype}`);
      }
    }
  });

  it("generator() is stateful: new numbers each call, fixed by the seed", () => {
    const rng = random.generator(0);
    const a = rng.normal([4]).toArray();
    const b = rng.normal([4]).toArray();
    assertNotEquals(a, b);
    const again = random.generator(0);
    assertEquals(again.normal([4]).toArray(), a);
    assertEquals(again.normal([4]).toArray(), b);
    assertEquals(rng.randint([3], 0, 2).dtype, "int32");
    assertEquals(rng.permutation(4).shape, [4]);
    assertEquals(rng.uniform([2, 2], { low: 1, high: 2 }).shape, [2, 2]);
    assertEquals(rng.nextKey() instanceof random.Key, true);
  });

  it("rejects bad arguments with clear messages", () => {
    const k = random.key(0);
    assertThrowsText(
      () => random.normal(0 as never, [2]),
      TypeError,
      "normal() expected a random key as its first argument: found 0: make one with random.key(0) and split it for each use",
    );
    assertThrowsText(
      () => random.split([0, 0] as never),
      TypeError,
      "split() expected a random key as its first argument: found an array of length 2: make one with random.key(0) and split it for each use",
    );
    assertThrowsText(
      () => random.normal(k, [2, -1]),
      RangeError,
      "normal() expected non-negative integer sizes: found -1 in shape [2, -1]: sizes must be whole numbers >= 0",
    );
    assertThrowsText(
      () => random.uniform(k, 3 as never),
      TypeError,
      "uniform() expected a shape (an array of sizes): found 3: pass e.g. [2, 3]",
    );
    assertThrowsText(
      () => random.bernoulli(k, 1.5, [2]),
      RangeError,
      "bernoulli() expected a probability p in [0, 1]: found 1.5",
    );
    assertThrowsText(
      () => random.uniform(k, [2], { low: 1, high: 1 }),
      RangeError,
      "uniform() expected low < high: found low=1 and high=1",
    );
    assertThrowsText(
      () => random.randint(k, [2], 5, 2),
      RangeError,
      "randint() expected low < high: found low=5 and high=2: high is exclusive, so the values run from low to high - 1",
    );
    assertThrowsText(
      () => random.normal(k, [2], { dtype: "int32" }),
      TypeError,
      "normal() expected a float dtype (float16, float32 or float64): found int32: use randint() or bernoulli() for integers and booleans",
    );
    assertThrowsText(
      () => random.truncatedNormal(k, [2], { lower: 1, upper: -1 }),
      RangeError,
      "truncatedNormal() expected lower < upper: found lower=1 and upper=-1",
    );
    assertThrowsText(
      () => random.key(1.5),
      TypeError,
      "key() expected an integer seed: found 1.5: pass a whole number such as 0 (use a bigint beyond 2^53)",
    );
    assertThrowsText(
      () => random.foldIn(k, -1),
      RangeError,
      "foldIn() expected an integer in [0, 2^32): found -1",
    );
    assertThrowsText(
      () => random.permutation(k, 2.5),
      RangeError,
      "permutation() expected a length n in [0, 2^31): found 2.5",
    );
  });
});
