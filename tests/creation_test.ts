// Tests of core/creation.ts: tensor() from nested arrays, TypedArrays and
// scalars (dtype inference, copies, errors) and the factories. Expected
// values are written by hand or taken from PyTorch 1.13 (noted inline).
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertClose } from "./_close.ts";

describe("tensor()", () => {
  it("infers float32 from any numbers (whole or not), bool from booleans", () => {
    // JS cannot tell 3.0 from 3, so whole numbers are float32 too (like jax-js / TF.js)
    const whole = lt.tensor([1, 2]);
    assertEquals(whole.dtype, "float32");
    assertEquals(whole.dataSync() instanceof Float32Array, true);
    assertEquals(whole.toArray(), [1, 2]);
    assertEquals(lt.tensor([[1, 2], [3, 4]]).dtype, "float32");
    assertEquals(lt.tensor([1.5]).dtype, "float32");
    assertEquals(lt.tensor([1, 2.5]).dtype, "float32");
    assertEquals(lt.tensor([[1, 2], [3, 4.25]]).dtype, "float32");
    assertEquals(lt.tensor([true]).dtype, "bool");
    assertEquals(lt.tensor([true, false, true]).toArray(), [true, false, true]);
    // a mix of booleans and numbers is a number tensor, so float32
    assertEquals(lt.tensor([true, 2]).dtype, "float32");
    assertEquals(lt.tensor([true, 2]).toArray(), [1, 2]);
    assertEquals(lt.tensor([false, 0.5]).dtype, "float32");
    // TypedArrays keep their type; an explicit dtype still wins
    assertEquals(lt.tensor(new Int32Array([1, 2])).dtype, "int32");
    assertEquals(lt.tensor(new Float64Array([1, 2])).dtype, "float64");
    assertEquals(lt.tensor([1, 2], { dtype: "int32" }).dtype, "int32");
  });

  it("makes 0-d tensors from numbers and booleans", () => {
    const a = lt.tensor(3);
    assertEquals([a.shape, a.dtype, a.ndim, a.size, a.item()], [[], "float32", 0, 1, 3]);
    const b = lt.tensor(2.5);
    assertEquals([b.shape, b.dtype, b.toArray()], [[], "float32", 2.5]);
    const c = lt.tensor(true);
    assertEquals([c.shape, c.dtype, c.toArray()], [[], "bool", true]);
  });

  it("empty arrays are float32 with a zero-size axis", () => {
    const a = lt.tensor([]);
    assertEquals([a.shape, a.dtype, a.size], [[0], "float32", 0]);
    assertEquals(a.toArray(), []);
    const b = lt.tensor([[], []]);
    assertEquals([b.shape, b.dtype], [[2, 0], "float32"]);
    assertEquals(b.toArray(), [[], []]);
  });

  it("infers the shape of nested arrays", () => {
    const x = lt.tensor([[[1, 2, 3], [4, 5, 6]]]);
    assertEquals(x.shape, [1, 2, 3]);
    assertEquals(Array.from(x.dataSync()), [1, 2, 3, 4, 5, 6]);
    assertEquals(x.toArray(), [[[1, 2, 3], [4, 5, 6]]]);
  });

  it("keeps the dtype of TypedArrays and copies them", () => {
    const f64 = new Float64Array([0.1, 0.2]);
    const a = lt.tensor(f64);
    assertEquals([a.dtype, a.shape], ["float64", [2]]);
    f64[0] = 99;
    assertEquals(a.toArray(), [0.1, 0.2]);
    assertEquals(lt.tensor(new Float32Array([1, 2])).dtype, "float32");
    assertEquals(lt.tensor(new Int32Array([1, 2])).dtype, "int32");
    const i = new Int32Array([5, -6]);
    const t = lt.tensor(i);
    i[1] = 0;
    assertEquals(t.toArray(), [5, -6]);
    const data = t.dataSync();
    assertEquals(data instanceof Int32Array, true);
  });

  it("stores float32 rounded and float64 exactly", () => {
    assertEquals(lt.tensor([0.1]).dataSync()[0], Math.fround(0.1));
    assertEquals(lt.tensor([0.1], { dtype: "float64" }).dataSync()[0], 0.1);
    assertEquals(lt.tensor([16777217], { dtype: "float32" }).item(), 16777216);
    assertEquals(lt.tensor([16777217], { dtype: "float64" }).item(), 16777217);
  });

  it("converts to a requested dtype like torch.tensor(..., dtype=)", () => {
    const f = lt.tensor([1, 2], { dtype: "float64" });
    assertEquals([f.dtype, f.toArray()], ["float64", [1, 2]]);
    // torch.tensor([1.7, -1.7, 2.5], dtype=torch.int32) -> [1, -1, 2]
    const i = lt.tensor([1.7, -1.7, 2.5], { dtype: "int32" });
    assertEquals([i.dtype, i.toArray()], ["int32", [1, -1, 2]]);
    const b = lt.tensor([0, 2, -1, 0.5], { dtype: "bool" });
    assertEquals([b.dtype, b.toArray()], ["bool", [false, true, true, true]]);
    const t = lt.tensor([true, false], { dtype: "float32" });
    assertEquals([t.dtype, t.toArray()], ["float32", [1, 0]]);
    const typed = lt.tensor(new Float64Array([1.5, -2.5]), { dtype: "int32" });
    assertEquals(typed.toArray(), [1, -2]);
  });

  it("reshapes flat data with the shape option", () => {
    const a = lt.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    assertEquals(a.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const b = lt.tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 1, 2] });
    assertEquals(b.toArray(), [[[1, 2]], [[3, 4]]]);
    assertEquals(lt.tensor([7], { shape: [] }).shape, []);
    assertEquals(lt.tensor([], { shape: [0, 4] }).shape, [0, 4]);
  });

  it("accepts NaN and +-Infinity as data", () => {
    const x = lt.tensor([NaN, Infinity, -Infinity, 1]);
    assertEquals(x.dtype, "float32");
    const v = x.toArray() as number[];
    assertEquals(Number.isNaN(v[0]), true);
    assertEquals(v.slice(1), [Infinity, -Infinity, 1]);
    const y = lt.tensor([[Infinity], [2]], { dtype: "float64" });
    assertEquals(y.toArray(), [[Infinity], [2]]);
    // -0 is float32 like any number, so its sign survives
    const z = lt.tensor([-0]);
    assertEquals(z.dtype, "float32");
    assertEquals(Object.is((z.toArray() as number[])[0], -0), true);
  });

  it("names the path of a ragged nested array", () => {
    assertThrows(
      () => lt.tensor([[1, 2], [3]]),
      RangeError,
      "tensor() got a ragged nested array: expected length 2 at [1] but found length 1: " +
        "every row must have the same length (inferred shape [2, 2])",
    );
    assertThrows(
      () => lt.tensor([[[1, 2], [3, 4]], [[5, 6], [7]]]),
      RangeError,
      "expected length 2 at [1][1] but found length 1",
    );
    assertThrows(
      () => lt.tensor([[1, 2], 3] as never),
      RangeError,
      "tensor() got a ragged nested array: expected length 2 at [1] but found 3",
    );
    assertThrows(
      () => lt.tensor([[1, 2], [3, 4, 5]]),
      RangeError,
      "expected length 2 at [1] but found length 3",
    );
    assertThrows(
      () => lt.tensor([[1, 2], [[3], 4]] as never),
      TypeError,
      "tensor() expected numbers or booleans: found a nested array (too deep) at [1][0]",
    );
  });

  it("rejects strings, undefined, null and objects in data, naming where", () => {
    const hint = ": convert the data to numbers first (NaN and Infinity are allowed)";
    assertThrows(
      () => lt.tensor([1, "2"] as never),
      TypeError,
      `tensor() expected numbers or booleans: found "2" at [1]${hint}`,
    );
    assertThrows(
      () => lt.tensor([[1, 2], [3, undefined]] as never),
      TypeError,
      `tensor() expected numbers or booleans: found undefined at [1][1]${hint}`,
    );
    assertThrows(
      () => lt.tensor([[1, null]] as never),
      TypeError,
      `found null at [0][1]${hint}`,
    );
    assertThrows(
      () => lt.tensor([{ a: 1 }] as never),
      TypeError,
      `found an object (Object) at [0]${hint}`,
    );
    assertThrows(
      () => lt.tensor([1n] as never),
      TypeError,
      "tensor() expected numbers or booleans",
    );
  });

  it("rejects an unknown dtype", () => {
    assertThrows(
      () => lt.tensor([1], { dtype: "int64" as never }),
      TypeError,
      'tensor() expected a dtype: found "int64": use one of bool, int32, float16, float32, float64',
    );
  });

  it("rejects a shape option that does not hold the data", () => {
    assertThrows(
      () => lt.tensor([1, 2, 3, 4, 5, 6], { shape: [4, 2] }),
      RangeError,
      "tensor() cannot shape 6 values as [4, 2] (8 elements): the shape must hold exactly the data",
    );
    assertThrows(
      () => lt.tensor([1, 2], { shape: [-1, 2] }),
      RangeError,
      "tensor() expected non-negative integer sizes: found -1 in shape [-1, 2]",
    );
  });
});

describe("zeros, ones, full", () => {
  it("zeros() and ones() are float32 by default", () => {
    const z = lt.zeros([2, 3]);
    assertEquals([z.shape, z.dtype], [[2, 3], "float32"]);
    assertEquals(z.toArray(), [[0, 0, 0], [0, 0, 0]]);
    const o = lt.ones([3]);
    assertEquals([o.dtype, o.toArray()], ["float32", [1, 1, 1]]);
    assertEquals(lt.zeros([2], { dtype: "int32" }).dataSync() instanceof Int32Array, true);
    assertEquals(lt.ones([2], { dtype: "bool" }).toArray(), [true, true]);
    assertEquals(lt.ones([1], { dtype: "float64" }).dtype, "float64");
  });

  it("makes 0-d and zero-size tensors", () => {
    const s = lt.ones([]);
    assertEquals([s.shape, s.item(), s.toArray()], [[], 1, 1]);
    const e = lt.zeros([0, 3]);
    assertEquals([e.shape, e.size, e.toArray()], [[0, 3], 0, []]);
    assertEquals(lt.zeros([3, 0]).toArray(), [[], [], []]);
  });

  it("full() is float32 for any number and bool for a boolean unless dtype says otherwise", () => {
    const f = lt.full([2, 2], 2.5);
    assertEquals([f.dtype, f.toArray()], ["float32", [[2.5, 2.5], [2.5, 2.5]]]);
    // a whole number is float32 too: JS cannot tell 3.0 from 3
    const w = lt.full([2], 3);
    assertEquals([w.dtype, w.toArray()], ["float32", [3, 3]]);
    assertEquals(w.dataSync() instanceof Float32Array, true);
    const i = lt.full([2], 3, { dtype: "int32" });
    assertEquals([i.dtype, i.toArray()], ["int32", [3, 3]]);
    assertEquals(i.dataSync() instanceof Int32Array, true);
    const b = lt.full([2], true);
    assertEquals([b.dtype, b.toArray()], ["bool", [true, true]]);
    const d = lt.full([1], 7, { dtype: "float64" });
    assertEquals([d.dtype, d.toArray()], ["float64", [7]]);
    const n = lt.full([2], NaN);
    assertEquals([n.dtype, Number.isNaN(n.dataSync()[1])], ["float32", true]);
    assertEquals(lt.full([1], -Infinity).toArray(), [-Infinity]);
    assertEquals(lt.full([], 3).shape, []);
  });

  it("reject negative and fractional sizes", () => {
    assertThrows(
      () => lt.zeros([2, -1]),
      RangeError,
      "zeros() expected non-negative integer sizes: found -1 in shape [2, -1]: sizes must be whole numbers >= 0",
    );
    assertThrows(
      () => lt.ones([2.5]),
      RangeError,
      "ones() expected non-negative integer sizes: found 2.5 in shape [2.5]",
    );
    assertThrows(
      () => lt.full([-2], 1),
      RangeError,
      "full() expected non-negative integer sizes: found -2 in shape [-2]",
    );
    assertThrows(() => lt.full([1.5, 2], 0), RangeError, "found 1.5 in shape [1.5, 2]");
    assertThrows(
      () => lt.zeros([NaN]),
      RangeError,
      "zeros() expected non-negative integer sizes: found NaN",
    );
    assertThrows(
      () => lt.zeros(3 as never),
      TypeError,
      "zeros() expected a shape (an array of sizes): found 3: pass e.g. [2, 3]",
    );
  });

  it("reject an unknown dtype and a bad fill value", () => {
    assertThrows(
      () => lt.zeros([2], { dtype: "bfloat16" as never }),
      TypeError,
      'zeros() expected a dtype: found "bfloat16": use one of bool, int32, float16, float32, float64',
    );
    assertThrows(
      () => lt.ones([2], { dtype: "uint8" as never }),
      TypeError,
      'ones() expected a dtype: found "uint8"',
    );
    assertThrows(
      () => lt.full([2], 1, { dtype: "half" as never }),
      TypeError,
      'full() expected a dtype: found "half"',
    );
    assertThrows(
      () => lt.full([2], "1" as never),
      TypeError,
      'full() expected a number or boolean fill value: found "1"',
    );
  });
});

describe("zerosLike, onesLike, fullLike", () => {
  it("keep the shape and dtype of their argument", () => {
    const x = lt.tensor([[1, 2, 3]], { dtype: "float64" });
    const z = lt.zerosLike(x);
    assertEquals([z.shape, z.dtype, z.toArray()], [[1, 3], "float64", [[0, 0, 0]]]);
    const o = lt.onesLike(lt.tensor([1, 2], { dtype: "int32" }));
    assertEquals([o.dtype, o.toArray()], ["int32", [1, 1]]);
    const f = lt.fullLike(lt.tensor([true, false]), true);
    assertEquals([f.dtype, f.toArray()], ["bool", [true, true]]);
  });

  it("fullLike converts the value to the dtype like torch.full_like", () => {
    // torch.full_like(torch.tensor([1, 2]), 2.5) -> tensor([2, 2])
    const f = lt.fullLike(lt.tensor([1, 2], { dtype: "int32" }), 2.5);
    assertEquals([f.dtype, f.toArray()], ["int32", [2, 2]]);
  });

  it("take a dtype override and work on views and 0-d tensors", () => {
    const x = lt.tensor([[1, 2], [3, 4]]).T.slice([0, 1]);
    const o = lt.onesLike(x, { dtype: "float32" });
    assertEquals([o.shape, o.dtype, o.toArray()], [[1, 2], "float32", [[1, 1]]]);
    assertEquals(lt.fullLike(lt.tensor(1.5), 4, { dtype: "float64" }).toArray(), 4);
    assertEquals(lt.zerosLike(lt.tensor(2)).shape, []);
  });

  it("reject non-tensors", () => {
    assertThrows(
      () => lt.zerosLike([1, 2] as never),
      TypeError,
      "zerosLike() expected a Tensor at position 0: found an array of length 2: create one with tensor(...)",
    );
    assertThrows(
      () => lt.onesLike(3 as never),
      TypeError,
      "onesLike() expected a Tensor at position 0: found 3",
    );
    assertThrows(
      () => lt.fullLike(lt.tensor([1]), 1, { dtype: "x" as never }),
      TypeError,
      'found "x"',
    );
  });
});

describe("arange()", () => {
  it("counts from 0 with one argument (int32)", () => {
    const a = lt.arange(5);
    assertEquals([a.dtype, a.toArray()], ["int32", [0, 1, 2, 3, 4]]);
    assertEquals(lt.arange(0).toArray(), []);
  });

  it("takes start, stop and step, including negative steps", () => {
    assertEquals(lt.arange(2, 8, 3).toArray(), [2, 5]);
    assertEquals(lt.arange(-3, 3, 2).toArray(), [-3, -1, 1]);
    assertEquals(lt.arange(5, 0, -2).toArray(), [5, 3, 1]);
    assertEquals(lt.arange(1, 1).toArray(), []);
    assertEquals(lt.arange(0, 5, -1).toArray(), []);
  });

  it("gives float32 for fractional arguments with torch's length", () => {
    const a = lt.arange(0, 1, 0.25);
    assertEquals([a.dtype, a.toArray()], ["float32", [0, 0.25, 0.5, 0.75]]);
    // torch.arange(0, 1, 0.1) has 10 elements, torch.arange(1, 2.5) has 2
    assertEquals(lt.arange(0, 1, 0.1).shape, [10]);
    assertClose(lt.arange(0, 1, 0.1), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    assertEquals(lt.arange(1, 2.5).toArray(), [1, 2]);
    assertEquals(lt.arange(1, 2.5).dtype, "float32");
  });

  it("takes a dtype", () => {
    const a = lt.arange(3, undefined, 1, { dtype: "float64" });
    assertEquals([a.dtype, a.toArray()], ["float64", [0, 1, 2]]);
  });

  it("rejects a zero step and non-finite bounds", () => {
    assertThrows(() => lt.arange(0, 5, 0), RangeError, "arange() step must not be 0");
    assertThrows(
      () => lt.arange(Infinity),
      TypeError,
      "arange() expected finite numbers: found Infinity",
    );
    assertThrows(() => lt.arange(0, NaN), TypeError, "arange() expected finite numbers: found NaN");
  });
});

describe("linspace()", () => {
  it("includes both ends (float32 by default)", () => {
    const a = lt.linspace(0, 1, 5);
    assertEquals([a.dtype, a.toArray()], ["float32", [0, 0.25, 0.5, 0.75, 1]]);
    assertClose(lt.linspace(-1, 1, 4), [-1, -1 / 3, 1 / 3, 1]);
    assertEquals(lt.linspace(0, 10, 11).toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assertEquals(lt.linspace(3, -3, 3).toArray(), [3, 0, -3]);
  });

  it("matches torch.linspace at the edges: one point is start, zero points is empty", () => {
    // torch.linspace(2, 3, 1) -> tensor([2.])
    assertEquals(lt.linspace(2, 3, 1).toArray(), [2]);
    assertEquals(lt.linspace(0, 1, 0).toArray(), []);
    assertEquals(lt.linspace(0, 1, 2).toArray(), [0, 1]);
  });

  it("matches torch.linspace float64 values exactly (counting down from stop in the second half)", () => {
    // torch.linspace(0, 0.3, 7, dtype=torch.float64).tolist()
    const torch = [0, 0.049999999999999996, 0.09999999999999999, 0.15, 0.2, 0.25, 0.3];
    assertEquals(lt.linspace(0, 0.3, 7, { dtype: "float64" }).toArray(), torch);
  });

  it("truncates to int32 like torch.linspace(..., dtype=torch.int32)", () => {
    // torch.linspace(0, 10, 5, dtype=torch.int32) -> [0, 2, 5, 7, 10]
    assertEquals(lt.linspace(0, 10, 5, { dtype: "int32" }).toArray(), [0, 2, 5, 7, 10]);
  });

  it("rejects a negative or fractional count", () => {
    assertThrows(
      () => lt.linspace(0, 1, -1),
      RangeError,
      "linspace() expected non-negative integer sizes: found -1",
    );
    assertThrows(
      () => lt.linspace(0, 1, 2.5),
      RangeError,
      "linspace() expected non-negative integer sizes: found 2.5",
    );
  });
});

describe("eye()", () => {
  it("makes square and rectangular identities", () => {
    const a = lt.eye(3);
    assertEquals([a.dtype, a.toArray()], ["float32", [[1, 0, 0], [0, 1, 0], [0, 0, 1]]]);
    assertEquals(lt.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    assertEquals(lt.eye(3, 2).toArray(), [[1, 0], [0, 1], [0, 0]]);
    assertEquals(lt.eye(0).shape, [0, 0]);
    assertEquals(lt.eye(1).toArray(), [[1]]);
  });

  it("takes a dtype", () => {
    const i = lt.eye(2, 2, { dtype: "int32" });
    assertEquals([i.dtype, i.toArray()], ["int32", [[1, 0], [0, 1]]]);
    assertEquals(lt.eye(2, 2, { dtype: "bool" }).toArray(), [[true, false], [false, true]]);
  });

  it("rejects negative and fractional sizes", () => {
    assertThrows(
      () => lt.eye(-1),
      RangeError,
      "eye() expected non-negative integer sizes: found -1 in shape [-1, -1]",
    );
    assertThrows(
      () => lt.eye(2, 1.5),
      RangeError,
      "eye() expected non-negative integer sizes: found 1.5 in shape [2, 1.5]",
    );
  });
});

describe("reading values", () => {
  it("dataSync returns the TypedArray of the dtype", () => {
    assertEquals(lt.tensor([1.5]).dataSync() instanceof Float32Array, true);
    assertEquals(lt.tensor([1.5], { dtype: "float64" }).dataSync() instanceof Float64Array, true);
    assertEquals(lt.tensor([1]).dataSync() instanceof Float32Array, true);
    assertEquals(lt.tensor([1], { dtype: "int32" }).dataSync() instanceof Int32Array, true);
    assertEquals(lt.tensor([true]).dataSync() instanceof Uint8Array, true);
  });

  it("item() reads one-element tensors of any rank and rejects others", () => {
    assertEquals(lt.tensor([[4.5]]).item(), 4.5);
    assertThrows(
      () => lt.tensor([1, 2]).item(),
      RangeError,
      "item() expected a tensor with one element: found shape [2] (2 elements)",
    );
  });

  it("data() resolves to the same values", async () => {
    assertEquals(Array.from(await lt.tensor([1, 2]).data()), [1, 2]);
  });
});
