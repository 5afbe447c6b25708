// The Wasm SIMD tier of the CPU backend, tested against the JS reference on
// the same inputs: every vectorised op, broadcasts, reductions, matmuls in
// every operand layout (with and without relaxed-SIMD FMA), jit programs, and
// the error bounds of the vector polynomials.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import { mulberry32 as rng } from "./_random.ts";
import { erf as erf64 } from "../jit/runtime/cpu/js.ts";

type Backend = "wasm" | "js";

function randomData(n: number, seed: number, scale = 3): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

function rand(shape: number[], seed: number, scale = 3): lt.Tensor {
  return lt.tensor(randomData(shape.reduce((a, b) => a * b, 1), seed, scale), { shape });
}

/** Runs `f` on one tier (restoring the default after); the native BLAS tier is tested in blas_test.ts. */
function on<T>(backend: Backend, f: () => T, fma = true): T {
  lt.setCpuBackend(backend, { fma, blas: false });
  try {
    return f();
  } finally {
    lt.setCpuBackend("wasm");
  }
}

/** The values of `f()` on the Wasm tier and on the JS reference, and the tiers the Wasm run used. */
function both(
  f: () => lt.Tensor,
  fma = true,
): { wasm: Float32Array; js: Float32Array; tiers: string[] } {
  const [wasm, tiers] = on("wasm", () => {
    const t = f();
    const tiers = lt.explain(t).kernels.map((k) => k.backend);
    return [t.dataSync() as Float32Array, tiers] as const;
  }, fma);
  const js = on("js", () => f().dataSync() as Float32Array);
  return { wasm, js, tiers };
}

const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);

/** Distance in float32 ulps (0 for equal NaNs; ±0 count as different). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (Object.is(a, b)) return 0;
  const ord = (v: number) => {
    bits[0] = v;
    return ints[0] < 0 ? -(ints[0] & 0x7fffffff) : ints[0];
  };
  return Math.max(1, Math.abs(ord(a) - ord(b)));
}

/** Within `bound` ulps, or both below `floor` in magnitude (softmax's exp gives 0 below 2^-126). */
function assertUlps(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  bound: number,
  what: string,
  floor = 0,
) {
  assertEquals(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]) < floor && Math.abs(want[i]) < floor) continue;
    const u = ulps(got[i], want[i]);
    assert(u <= bound, `${what}: element ${i}: ${got[i]} vs ${want[i]} (${u} ulp > ${bound})`);
  }
}

function assertNear(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
) {
  assertEquals(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]);
    assert(ok, `${what}: element ${i}: ${got[i]} vs ${want[i]}`);
  }
}

/** Specials and a spread of magnitudes, subnormals included. */
const specials = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  1e-45,
  -1e-45,
  1e-40,
  3e-39,
  1e-30,
  1e-7,
  0.1,
  0.625,
  0.7,
  9,
  17,
  20,
  30,
  88.5,
  88.72,
  89,
  100,
  -87,
  -100,
  -103.9,
  -104,
  1e30,
  -1e30,
  3.4e38,
  -3.4e38,
]; // deno-fmt-ignore

describe("wasm tier", () => {
  // LATHE_CPU=js (e.g. to run the whole suite on the reference) changes the default on purpose
  const referenceChosen = (globalThis as { Deno?: typeof Deno }).Deno?.env.get("LATHE_CPU") === "js";
  it("is the default, says so in explain and counts its launches", { ignore: referenceChosen }, () => {
    const x = rand([5, 7], 1);
    const report = lt.explain(x.exp());
    assertEquals(report.kernels.map((k) => k.backend), ["wasm"]);
    const before = lt.kernelStats();
    x.exp().dataSync();
    assertEquals(lt.kernelStats().wasm, before.wasm + 1);
    on("js", () => {
      assertEquals(lt.explain(x.exp()).kernels[0].backend, "js");
      const js = lt.kernelStats().js;
      x.exp().dataSync();
      assertEquals(lt.kernelStats().js, js + 1);
    });
    assertEquals(lt.cpuBackend(), "wasm");
  });

  it("leaves kernels without a Wasm form to the JS reference", () => {
    const x = rand([4, 6], 2);
    const cases: [string, lt.Tensor][] = [
      ["int32 pow", x.mul(10).astype("int32").pow(3)],
      ["bool pad (concat)", lt.concat([x.lt(0), x.gt(1)], 0)],
      ["float64", x.astype("float64").exp()],
      ["prod", x.prod({ axis: 1 })],
    ];
    for (const [name, t] of cases) {
      assertEquals(lt.explain(t).kernels.map((k) => k.backend).at(-1), "js", name);
    }
    // a packed matmul's module has several functions, so its epilogue cannot import Math.sin
    const product = () => rand([128, 130], 3).matmul(rand([130, 70], 4)).sin();
    assertEquals(on("wasm", () => lt.explain(product()).kernels[0].backend), "js");
  });

  it("runs IEEE ops bit for bit like the reference, on every shape and tail", () => {
    const ops: [string, (x: lt.Tensor, y: lt.Tensor) => lt.Tensor][] = [
      ["add/sub/mul/div", (x, y) => x.add(y).sub(x.mul(y)).div(y)],
      ["neg/recip/sqrt/abs", (x) => x.neg().reciprocal().abs().sqrt()],
      ["floor/ceil/round", (x) => x.floor().add(x.ceil()).add(x.mul(3.7).round())],
      ["sign", (x) => x.sign()],
      ["maximum/minimum", (x, y) => lt.maximum(x, y).add(lt.minimum(y, x))],
      ["relu/leakyRelu/clamp", (x) => lt.relu(x).add(lt.leakyRelu(x)).add(lt.clamp(x, -1, 0.5))],
      ["where/compare", (x, y) => lt.where(x.lt(y), x, y.mul(2)).add(lt.where(x.eq(y), 1, 0))],
      ["isnan", (x) => lt.where(x.isNaN(), 1, x)],
      ["logical", (x, y) => lt.where(x.gt(0).logicalOr(y.lt(0)), x, y)],
    ];
    const shapes = [[1], [3], [4], [7], [2, 5], [3, 4, 9], [1023]];
    for (const [name, op] of ops) {
      for (const shape of shapes) {
        const { wasm, js, tiers } = both(() => op(rand(shape, 3), rand(shape, 4)));
        assertEquals(tiers, tiers.map(() => "wasm"), `${name} ${shape}`);
        assertUlps(wasm, js, 0, `${name} ${shape}`);
      }
    }
    const s = lt.tensor(specials);
    for (const [name, op] of ops) {
      const { wasm, js } = both(() => op(s, s.flip(0)));
      assertUlps(wasm, js, 0, `${name} on specials`);
    }
  });

  it("keeps exp, log, tanh, expm1, log1p, erf, sin and cos within their documented ulp bounds", () => {
    // every 997th float32 bit pattern of both signs, plus specials and floats next to k·π/2
    const xs: number[] = [...specials, 3.14159274, 1e5, 524287, 524288, 524289, 1e6];
    for (let b = 0; b < 0x7f800000; b += 997 * 8) {
      ints[0] = b;
      xs.push(bits[0], -bits[0]);
    }
    for (let k = 1; k < 1e6; k = Math.ceil(k * 1.3)) {
      bits[0] = k * Math.PI / 2;
      for (const d of [-2, -1, 0, 1, 2]) {
        ints[0] += d;
        xs.push(bits[0], -bits[0]);
        ints[0] -= d;
      }
    }
    const x = Float32Array.from(xs);
    const fns: [string, (t: lt.Tensor) => lt.Tensor, (v: number) => number, number][] = [
      ["exp", (t) => t.exp(), Math.exp, 1],
      ["log", (t) => t.log(), Math.log, 1],
      ["tanh", (t) => t.tanh(), Math.tanh, 1],
      ["expm1", (t) => lt.expm1(t), Math.expm1, 2],
      ["log1p", (t) => lt.log1p(t), Math.log1p, 1],
      // erf against the float64 series / continued fraction of the JS tier
      ["erf", (t) => t.erf(), erf64, 2],
      ["sin", (t) => t.sin(), Math.sin, 1],
      ["cos", (t) => t.cos(), Math.cos, 1],
    ];
    for (const [name, f, ref, bound] of fns) {
      const t = f(lt.tensor(x));
      assertEquals(lt.explain(t).kernels[0].backend, "wasm");
      const want = x.map((v) => Math.fround(ref(v)));
      assertUlps(t.dataSync(), want, bound, name);
    }
  });

  it("keeps erf within 2 ulp on 1 ≤ |x| < 4 (its polynomial in (|x| - 2.5)·2/3), and gelu' right", () => {
    // every 13th float32 of [1, 4.5), both signs (all of them measured: 5 at 2 ulp, the rest ≤ 1)
    const lo = new Int32Array(Float32Array.of(1).buffer)[0];
    const hi = new Int32Array(Float32Array.of(4.5).buffer)[0];
    const patterns = Int32Array.from({ length: Math.ceil((hi - lo) / 13) }, (_, k) => lo + 13 * k);
    const wide = new Float32Array(patterns.buffer);
    const both = new Float32Array(2 * wide.length);
    both.set(wide);
    both.set(wide.map((v) => -v), wide.length);
    const want = both.map((v) => Math.fround(erf64(v)));
    assertUlps(lt.erf(lt.tensor(both)).dataSync(), want, 2, "erf on [1, 4.5)");
    // no exponential and no division: a polynomial and selects
    const listing = lt.explain(lt.erf(lt.tensor(both))).kernels[0].source;
    assert(!listing.includes("f32x4.div") && !listing.includes("i32x4.shl"), listing);
    // every branch of erf: |u| < 1, 1 ≤ |u| < 4, |u| ≥ 4, both signs, and the specials
    const x = lt.tensor(Float32Array.from([...specials, ...Array.from({ length: 4001 }, (_, i) => (i - 2000) / 400)]));
    // gelu'(x) = Φ(x) + x·φ(x), in float64
    const xs = x.dataSync();
    const g = lt.grad((t: lt.Tensor) => lt.gelu(t).sum())(x).dataSync();
    xs.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const want = 0.5 * (1 + erf64(v * Math.SQRT1_2)) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
      assert(Math.abs(g[i] - want) <= 2e-7 + 2e-6 * Math.abs(want), `gelu'(${v}) = ${g[i]}, want ${want}`);
    });
  });

  it("computes remainder bit for bit like the reference, specials and huge quotients included", () => {
    const a: number[] = [];
    const b: number[] = [];
    const edge = [...specials, 3, -3, 6, -6, 7.25, 0.1, 0.3, 2 ** 28, 2 ** 29, 16777217];
    for (const x of edge) for (const y of edge) a.push(x), b.push(y);
    const r = rng(11);
    for (let i = 0; i < 20000; i++) {
      a.push((r() - 0.5) * 2 ** (r() * 60 - 20));
      b.push((r() - 0.5) * 2 ** (r() * 40 - 20));
    }
    const { wasm, js, tiers } = both(() => lt.tensor(a).mod(lt.tensor(b)));
    assertEquals(tiers, ["wasm"]);
    assertUlps(wasm, js, 0, "remainder");
  });

  it("pads like the reference: in range only, lanes along unpadded axes, concat and slice gradients", () => {
    const ints = () => lt.tensor(Int32Array.from({ length: 12 }, (_, i) => i * 7 - 30), { shape: [3, 4], dtype: "int32" });
    const cases: [string, () => lt.Tensor][] = [
      ["pad both axes", () => rand([4, 6], 1).pad([[1, 1], [0, 2]])],
      ["pad the lane axis", () => rand([5, 7], 2).pad([[0, 0], [3, 2]], 1.5)],
      ["exp of an outer pad", () => rand([5, 7], 3).pad([[2, 3], [0, 0]]).exp()],
      ["far out of range", () => rand([20, 30], 9).pad([[50, 50], [70, 70]]).mul(2)],
      ["concat rows, columns", () => lt.concat([rand([3, 8], 4), rand([2, 8], 5)], 0).add(lt.concat([rand([5, 3], 6), rand([5, 5], 7)], 1))],
      ["row and column sums", () => rand([6, 9], 7).pad([[1, 4], [2, 3]]).sum({ axis: 1 }).add(rand([6, 9], 8).pad([[0, 0], [2, 3]]).sum({ axis: 0 }).sum())],
      ["slice gradient", () => lt.grad((x: lt.Tensor) => x.slice([1, 5], [2, 7]).exp().sum())(rand([6, 9], 8))],
      ["int32", () => ints().pad([[1, 1], [2, 0]], 5)],
    ]; // deno-fmt-ignore
    for (const [name, f] of cases) {
      const { wasm, js, tiers } = both(f);
      assertEquals(tiers.at(-1), "wasm", name);
      assertUlps(wasm, js, 1, name); // exp within 1 ulp; moved values exactly
    }
  });

  it("masks the lanes of a pad whose condition varies along them (im2col, reductions, nests)", () => {
    const ints = () => lt.tensor(Int32Array.from({ length: 30 }, (_, i) => i * 5 - 60), { shape: [5, 6], dtype: "int32" });
    // an im2col copy: 3×3 windows of a padded [2, 3, 7, 9] image, laid out [C, kh, kw, N, oh, ow]
    const im2col = (x: lt.Tensor) => {
      const taps: lt.Tensor[] = [];
      const xp = x.pad([[0, 0], [0, 0], [1, 1], [1, 1]]);
      for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) taps.push(xp.slice(null, null, [kh, kh + 7], [kw, kw + 9]));
      return lt.stack(taps, 0).permute(2, 0, 1, 3, 4).mul(1);
    };
    const cases: [string, () => lt.Tensor][] = [
      ["conv2d's im2col", () => lt.conv2d(rand([2, 3, 7, 9], 11), rand([4, 3, 3, 3], 12), { padding: 1 })],
      ["strided, dilated, uneven", () => lt.conv2d(rand([1, 2, 9, 10], 13), rand([3, 2, 3, 2], 14), { padding: [2, 1], stride: [1, 1], dilation: 2 })],
      ["stacked windows", () => im2col(rand([2, 3, 7, 9], 15))],
      ["pad both lane sides, odd widths", () => rand([3, 5], 16).pad([[0, 0], [3, 6]], -2).exp()],
      ["sum along a padded lane axis (unrolled lanes)", () => rand([3, 41], 17).pad([[0, 0], [5, 7]], 0.5).sum({ axis: 1 })],
      ["max along a padded lane axis", () => rand([4, 13], 18).pad([[0, 0], [2, 1]], -Infinity).max({ axis: 1 })],
      ["a pad in a pad", () => rand([4, 6], 19).pad([[0, 0], [1, 2]], 3).mul(2).pad([[1, 0], [2, 3]], -1)],
      ["int32", () => ints().pad([[0, 0], [2, 3]], 7)],
    ]; // deno-fmt-ignore
    for (const [name, f] of cases) {
      const { wasm, js, tiers } = both(f);
      assert(tiers.every((t) => t === "wasm"), `${name}: ${tiers}`);
      assertUlps(wasm, js, 1, name);
    }
    // the padded copy runs in four lanes: the listing tests lanes for any in-range one
    const copy = on("wasm", () => lt.explain(im2col(rand([2, 3, 7, 9], 15))).kernels[0].source);
    assert(copy.includes("any_true"), "expected a lane mask (v128.any_true) in the im2col copy");
  });

  it("runs lanes over loads in steps of 2: pools, strided convolutions and slices", () => {
    const cases: [string, () => lt.Tensor][] = [
      ["maxPool2d 2 after relu", () => lt.maxPool2d(rand([2, 3, 14, 14], 21).relu(), 2)],
      ["maxPool2d 2, odd width", () => lt.maxPool2d(rand([1, 2, 9, 11], 22), 2)],
      ["avgPool2d 2", () => lt.avgPool2d(rand([2, 2, 8, 10], 23), 2)],
      ["conv2d stride 2", () => lt.conv2d(rand([2, 3, 11, 13], 24), rand([4, 3, 3, 3], 25), { stride: 2, padding: 1 })],
      ["even elements", () => rand([5, 19], 26).slice(null, [0, 19, 2]).exp()],
      ["odd elements, offset", () => rand([5, 18], 27).slice(null, [1, 18, 2]).add(1)],
      ["strided sum", () => rand([4, 30], 28).slice(null, [0, 30, 2]).sum({ axis: 1 })],
    ]; // deno-fmt-ignore
    for (const [name, f] of cases) {
      const { wasm, js, tiers } = both(f);
      assert(tiers.every((t) => t === "wasm"), `${name}: ${tiers}`);
      assertUlps(wasm, js, 1, name);
    }
    const pool = on("wasm", () => lt.explain(lt.maxPool2d(rand([2, 3, 14, 14], 21), 2)).kernels[0].source);
    assert(pool.includes("shuffle"), "expected the even lanes of two vectors (i8x16.shuffle)");
  });

  it("gathers strided loads into lanes: transposed, flipped and concatenated operands", () => {
    const ints = (shape: number[]) => lt.tensor(Int32Array.from({ length: shape[0] * shape[1] }, (_, i) => i * 3 - 50), { shape, dtype: "int32" });
    const gathered: [string, () => lt.Tensor][] = [
      ["transposed", () => rand([16, 12], 31).transpose().add(rand([12, 16], 32)).tanh()],
      ["transposed, flipped (a negative step)", () => rand([16, 12], 33).transpose().flip(1).mul(rand([12, 16], 34))],
      ["a concatenation of a transposed part (attention's key gradient)", () => lt.concat([rand([8, 16], 35), rand([16, 8], 36).transpose(), rand([8, 16], 37)], 0).mul(2)],
      ["int32", () => ints([8, 12]).transpose().add(ints([12, 8]))],
    ]; // deno-fmt-ignore
    const scalar: [string, () => lt.Tensor][] = [
      ["a width that is not whole vectors", () => rand([7, 5], 38).transpose().add(rand([5, 7], 39))],
      ["under a pad varying along the lanes", () => rand([16, 8], 40).transpose().pad([[0, 0], [2, 2]], 1.5).mul(3)],
    ]; // deno-fmt-ignore
    for (const [name, f] of [...gathered, ...scalar]) {
      const { wasm, js, tiers } = both(f);
      assert(tiers.every((t) => t === "wasm"), `${name}: ${tiers}`);
      assertUlps(wasm, js, 2, name); // tanh within 2 ulp; moved and multiplied values exactly
      const source = on("wasm", () => lt.explain(f()).kernels.at(-1)!.source);
      assertEquals(source.includes("v128.load32_lane"), gathered.some(([n]) => n === name), name);
    }
  });

  it("broadcasts along and across the lanes, and reads strided views", () => {
    const cases: [string, () => lt.Tensor][] = [
      ["row bias", () => rand([9, 13], 5).add(rand([13], 6))],
      ["column scale", () => rand([9, 13], 5).mul(rand([9, 1], 7))],
      ["outer", () => rand([6, 1], 8).sub(rand([1, 11], 9)).exp()],
      ["scalar", () => rand([3, 5], 10).add(lt.tensor(2.5)).log()],
      ["transposed", () => rand([7, 5], 11).transpose().add(rand([5, 7], 12)).tanh()],
      ["slice", () => rand([8, 10], 13).slice([1, 7, 2], [0, 10, 3]).mul(2)],
      ["flip", () => rand([6, 9], 14).flip(1).neg()],
      ["3-d broadcast", () => rand([2, 1, 5], 15).add(rand([3, 1], 16)).sigmoid()],
    ];
    for (const [name, f] of cases) {
      const { wasm, js } = both(f);
      // one transcendental per element, maybe divided: within 2 ulps
      assertUlps(wasm, js, 2, name);
    }
  });

  it("reduces like the reference: float64 sums, NaN-propagating max, every axis", () => {
    const shapes = [[5], [37, 11], [5, 6, 7], [3, 1, 4], [2, 300], [300, 2]];
    for (const shape of shapes) {
      for (let axis = -1; axis < shape.length; axis++) {
        const opts = axis < 0 ? {} : { axis };
        for (const [name, f] of [["sum", "max"], ["max", "max"]] as const) {
          void f;
          const { wasm, js } = both(() => {
            const x = rand(shape, 17 + axis);
            return name === "sum" ? x.sum(opts) : x.max(opts);
          });
          assertUlps(wasm, js, 0, `${name} ${shape} axis ${axis}`);
        }
      }
    }
    const s = () => lt.tensor([1, NaN, 3, -Infinity, 5, 6, 7, Infinity, 0, -0, 2, 1, 4]);
    for (const f of [(t: lt.Tensor) => t.max(), (t: lt.Tensor) => t.sum(), (t: lt.Tensor) => t.mean()]) {
      const { wasm, js } = both(() => f(s()));
      assertUlps(wasm, js, 0, "specials");
    }
    const inf = both(() => lt.tensor([1, Infinity, 2, -1, 5]).max());
    assertEquals(Array.from(inf.wasm), [Infinity]);
  });

  it("sums and maxes columns four output vectors per pass over the rows, with the reference's bits", () => {
    const x = () => rand([96, 48], 19);
    const nan = () => rand([40, 32], 20).div(rand([40, 32], 21).gt(2.9)); // a few ±Infinity, NaN
    const cases: [string, () => lt.Tensor][] = [
      ["column sums", () => x().sum({ axis: 0 })],
      ["column maxes with NaN and Infinity", () => nan().max({ axis: 0 })],
      ["column sums with NaN and Infinity", () => nan().sum({ axis: 0 })],
      ["a prologue (a bias gradient's product)", () => x().mul(rand([96, 1], 22)).add(0.5).sum({ axis: 0 })],
      ["the middle axis of three", () => rand([3, 20, 32], 23).sum({ axis: 1 })],
      ["two outer axes", () => rand([4, 5, 64], 24).max({ axis: [0, 1] })],
    ]; // deno-fmt-ignore
    for (const [name, f] of cases) {
      const { wasm, js, tiers } = both(f);
      assertEquals(tiers, ["wasm"], name);
      assertUlps(wasm, js, 0, name);
      // the output loop steps 16 outputs: four vectors per pass
      const listing = on("wasm", () => lt.explain(f()).kernels[0].source);
      assert(/i32\.const 16\n\s*i32\.add/.test(listing), `${name}: ${listing}`);
    }
    // closed form: Σ_r (r + c) over 64 rows is 2016 + 64c
    const grid = lt.arange(64).reshape([64, 1]).add(lt.arange(32).reshape([1, 32]));
    assertEquals(Array.from(grid.sum({ axis: 0 }).dataSync()), Array.from({ length: 32 }, (_, c) => 2016 + 64 * c));
  });

  it("sums 1,048,576 floats to the float64 sum rounded once", () => {
    const data = randomData(1 << 20, 21, 1e4);
    let exact = 0;
    for (const v of data) exact += v;
    const got = lt.tensor(data).sum().item();
    assert(ulps(got, Math.fround(exact)) <= 1, `${got} vs ${exact}`);
    // softmax rows (max, sum of exp, divide) stay within a few ulps of the reference (Math.exp;
    // the Wasm tier's softmax exp is within 2 ulp, docs/memory.md)
    const { wasm, js } = both(() => lt.softmax(rand([64, 1000], 22), 1));
    assertUlps(wasm, js, 6, "softmax");
  });

  it("computes row reductions once per row and reuses a value their pass stored", () => {
    // softmax's exp(x - max) is stored by the sum's pass and read back by the division
    const rows = (shape: number[], seed: number) => {
      const data = randomData(shape[0] * shape[1], seed, 30);
      specials.forEach((v, i) => (data[(i * 7) % data.length] = v));
      return lt.tensor(data, { shape });
    };
    for (const shape of [[4, 1], [3, 3], [5, 6], [2, 8], [7, 13], [16, 1000]]) {
      const fs: [string, (x: lt.Tensor) => lt.Tensor][] = [
        ["softmax", (x) => lt.softmax(x, 1)],
        ["logSoftmax", (x) => lt.logSoftmax(x, 1)],
        ["exp·sum(exp·x)", (x) => x.exp().mul(x.exp().mul(x).sum({ axis: 1, keepdims: true }))],
      ];
      for (const [name, f] of fs) {
        const { wasm, js, tiers } = both(() => f(rows(shape, shape[1])));
        assertEquals(tiers, ["wasm"], `${name} ${shape}`);
        // softmax's exp: within 2 ulp, 0 below 2^-126 (docs/memory.md)
        assertUlps(wasm, js, 6, `${name} ${shape}`, 2 ** -126);
      }
    }
    // a layer norm's input gradient: constants of the stored value come before the reduction's
    const ln = nn.layerNorm(6);
    const params = { weight: rand([6], 3), bias: rand([6], 4) };
    const loss = (x: lt.Tensor) => ln.apply(params, x).mul(rand([4, 6], 2)).sum();
    const g = both(() => lt.grad(loss)(rand([4, 6], 1)));
    assertNear(g.wasm, g.js, 1e-5, 1e-5, "layer norm gradient");
  });

  it("runs int32 and bool data in i32x4 lanes: wrapping arithmetic, comparisons, casts", () => {
    const edge = [0, 1, -1, 7, -7, 2 ** 31 - 1, -(2 ** 31), 16777217, -16777217, 123456789, 65536, 3];
    const ints = (seed: number) => {
      const r = rng(seed);
      const data = Int32Array.from({ length: 37 }, () => Math.floor((r() - 0.5) * 2 ** 32));
      data.set(edge, seed % 5);
      return lt.tensor(data, { dtype: "int32" });
    };
    const stored = (t: lt.Tensor) => (t.dataSync(), t);
    const small = () => lt.tensor(Int32Array.from({ length: 37 }, (_, i) => (i % 9) - 4), { dtype: "int32" });
    const fs: [string, () => lt.Tensor][] = [
      ["a + b", () => ints(1).add(ints(2)).float()],
      ["a · b", () => ints(1).mul(ints(3)).float()],
      ["-a, |a|", () => ints(4).neg().float().add(ints(4).abs().float())],
      ["max, min", () => lt.maximum(ints(1), ints(2)).float().sub(lt.minimum(ints(1), small()).float())],
      ["a < b, a == b", () => lt.where(ints(1).lt(ints(2)), 1.5, ints(2).eq(small()).float())],
      ["cast via bool", () => ints(5).eq(small()).int().mul(7).float()],
      ["one-hot loss", () => lt.oneHot(small().add(4), 9).float().mul(rand([37, 9], 6)).sum({ axis: 1 })],
    ];
    for (const [name, f] of fs) {
      const { wasm, js, tiers } = both(f);
      assertEquals(tiers.at(-1), "wasm", name);
      assertUlps(wasm, js, 0, name);
    }
    // int32 and bool (byte) outputs and inputs, also from a jit program that gathers with them
    const intOut: [string, () => lt.Tensor][] = [
      ["a + b", () => ints(1).add(ints(2))],
      ["-a · b", () => ints(3).neg().mul(ints(4))],
      ["max(a, b) of a mask", () => lt.maximum(ints(1).lt(ints(2)).int(), small())],
      ["a mod b, b = 0 included", () => ints(1).mod(small()).add(ints(2).mod(ints(3)))],
      ["bool a < b", () => ints(1).lt(ints(2))],
      ["stored bool in and out", () => lt.maximum(stored(rand([37], 8).lt(0)), small().eq(1))],
      ["where on a stored bool", () => lt.where(stored(ints(2).lt(0)).T, rand([37], 9), 2.5)],
    ];
    for (const [name, f] of intOut) {
      const { wasm, js, tiers } = both(f);
      assertEquals(tiers, ["wasm"], name);
      assertEquals(Array.from(wasm), Array.from(js), name);
    }
    const pick = (x: lt.Tensor, i: lt.Tensor) => {
      const j = i.abs().add(1).neg().add(9);
      return [lt.gather(x, 0, j), j];
    };
    const args = () => [rand([40], 7), small().mul(2)] as const;
    const values = (ts: lt.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
    const program = lt.jit(pick);
    // the gather runs one element at a time in Wasm (codegen/wasm/_scalar.ts)
    assertEquals(lt.explain(pick, ...args()).kernels.map((k) => k.backend), ["wasm", "wasm"]);
    for (let run = 0; run < 2; run++) {
      assertEquals(values(program(...args())), on("js", () => values(pick(...args()))));
    }
  });

  it("finds argmax like the reference: first of ties, first NaN, along and across the lanes", () => {
    const r = rng(5);
    for (const [rows, cols] of [[1, 1], [3, 1], [1, 5], [4, 3], [5, 8], [7, 13], [16, 1000]]) {
      // few distinct values (ties), NaN, ±Infinity, a row of -Infinity and a row of NaN
      const data = Float32Array.from({ length: rows * cols }, () => {
        const q = r();
        return q < 0.05 ? NaN : q < 0.1 ? -Infinity : q < 0.12 ? Infinity : Math.floor(q * 5);
      });
      if (rows > 2) data.fill(-Infinity, 0, cols);
      if (rows > 3) data.fill(NaN, cols, 2 * cols);
      const x = () => lt.tensor(data, { shape: [rows, cols] });
      const labels = () => lt.tensor(Int32Array.from({ length: rows }, (_, i) => i % cols), { dtype: "int32" });
      const fs: [string, () => lt.Tensor][] = [
        ["rows", () => x().argmax({ axis: 1 })],
        ["columns", () => x().argmax({ axis: 0 })],
        ["1-d", () => lt.tensor(data).argmax()],
        ["accuracy", () => x().argmax({ axis: 1 }).eq(labels()).float().mean()],
      ];
      for (const [name, f] of fs) {
        const { wasm, js, tiers } = both(f);
        assertEquals(tiers, ["wasm"], `${name} ${rows}x${cols}`);
        assertEquals(Array.from(wasm), Array.from(js), `${name} ${rows}x${cols}`);
      }
    }
  });

  it("multiplies A·B, A·Bᵀ, Aᵀ·B and Aᵀ·Bᵀ, batched, with epilogues, with and without FMA", () => {
    const sizes = [[1, 784, 20], [5, 7, 9], [6, 1, 13], [37, 300, 61], [128, 130, 70], [70, 513, 9]];
    const layouts: [string, (m: number, k: number, n: number, s: number) => lt.Tensor][] = [
      ["A·B", (m, k, n, s) => rand([m, k], s).matmul(rand([k, n], s + 1))],
      ["A·Bᵀ", (m, k, n, s) => rand([m, k], s).matmul(rand([n, k], s + 1).transpose())],
      ["Aᵀ·B", (m, k, n, s) => rand([k, m], s).transpose().matmul(rand([k, n], s + 1))],
      ["Aᵀ·Bᵀ", (m, k, n, s) => rand([k, m], s).transpose().matmul(rand([n, k], s + 1).transpose())],
      ["relu(A·B + b)", (m, k, n, s) => lt.relu(rand([m, k], s).matmul(rand([k, n], s + 1)).add(rand([n], s + 2)))],
      ["sigmoid(A·B)·c", (m, k, n, s) => lt.sigmoid(rand([m, k], s).matmul(rand([k, n], s + 1))).mul(rand([m, 1], s + 3))],
    ]; // deno-fmt-ignore
    for (const fma of [true, false]) {
      for (const [m, k, n] of sizes) {
        for (const [name, f] of layouts) {
          const { wasm, js, tiers } = both(() => f(m, k, n, m + k + n), fma);
          assertEquals(tiers.at(-1), "wasm", name);
          // float32 accumulation: |error| <= k·2^-24·Σ|a||b| (inputs are in [-3, 3])
          const tol = k * 2 ** -24 * 9 * k * 2;
          for (let i = 0; i < js.length; i++) {
            assert(Math.abs(wasm[i] - js[i]) <= tol, `${name} ${m}x${k}x${n} fma ${fma}: ${i}`);
          }
        }
      }
    }
    const batched = both(() => rand([2, 3, 5, 70], 30).matmul(rand([70, 9], 31)));
    assertUlps(batched.wasm, batched.js, 0, "batched, broadcast batch dims");
    const strided = both(() => rand([9, 80], 32).slice([1, 9, 2]).matmul(rand([80, 40], 33)));
    assertNear(strided.wasm, strided.js, 0, 1e-4, "sliced operand");
  });

  it("keeps every kernel of a schedule right when outputs feed later kernels", () => {
    // a matmul whose output another matmul reads (resident copies, scratch, arena)
    const f = () => {
      const h = lt.relu(rand([128, 784], 40, 1).matmul(rand([784, 256], 41, 0.05)).add(rand([256], 42)));
      const logits = h.matmul(rand([256, 10], 43, 0.1)).add(rand([10], 44));
      return lt.logSoftmax(logits, 1).sum({ axis: 0 }).add(h.sum({ axis: 0 }).sum());
    };
    const { wasm, js } = both(f);
    assertNear(wasm, js, 1e-4, 1e-3, "schedule");
  });

  it("replays jit programs with Wasm and JS kernels mixed, twice with new arguments", () => {
    const labels = lt.tensor([[1], [0], [3], [2], [1]], { dtype: "int32" });
    // a product has no Wasm form yet: its reduction stays a JS kernel between Wasm ones
    const loss = (w: lt.Tensor, x: lt.Tensor) =>
      lt.logSoftmax(lt.tanh(x.matmul(w)), 1).gather(1, labels).mean().neg()
        .add(lt.tanh(x.matmul(w)).mul(0.1).add(1).prod().mul(0.01));
    const step = (w: lt.Tensor, x: lt.Tensor) => {
      const [l, g] = lt.valueAndGrad(loss)(w, x);
      return [w.sub(g.mul(0.5)), l];
    };
    const run = (backend: Backend) =>
      on(backend, () => {
        const jitted = lt.jit(step);
        let w = rand([6, 4], 50, 0.5);
        const out: number[] = [];
        for (let i = 0; i < 3; i++) {
          const [next, l] = jitted(w, rand([5, 6], 51 + i)) as lt.Tensor[];
          w = next;
          out.push(l.item(), ...w.dataSync());
        }
        const tiers = lt.explain(jitted, w, rand([5, 6], 60)).kernels.map((k) => k.backend);
        return { out, tiers };
      });
    const wasm = run("wasm");
    const js = run("js");
    assert(wasm.tiers.includes("wasm") && wasm.tiers.includes("js"), wasm.tiers.join());
    assertNear(wasm.out, js.out, 1e-5, 1e-6, "jit program");
  });

  it("stays right when memory grows and cached copies are evicted", () => {
    // 48 × 4 MiB inputs: more than the resident cache holds, so early copies are evicted
    const inputs = Array.from({ length: 48 }, (_, i) => rand([1 << 20], 70 + i));
    const sums = inputs.map((t) => t.mul(2).sum().item());
    const again = inputs.map((t) => t.mul(2).sum().item());
    assertEquals(again, sums);
    const ref = on("js", () => inputs.slice(0, 4).map((t) => t.mul(2).sum().item()));
    assertEquals(sums.slice(0, 4), ref);
  });
});
