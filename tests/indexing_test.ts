// Tests of core/indexing.ts: NumPy-style slice() specs (negative indices and
// steps, clamping, integer indexing), select, take, gather and oneHot. The
// gather/take cases come from PyTorch 1.13 (fixtures/tensor_ops.json); the
// rest are hand-computed in plain JS.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertClose } from "./_close.ts";
import { build, inputTensor, iota, loadFixture, nest, num } from "./_ref.ts";

const fixture = loadFixture();
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Python's a[start:stop:step] for a plain list, as the reference. */
function pySlice<T>(a: T[], start: number | null, stop: number | null, step = 1): T[] {
  const n = a.length;
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const out: T[] = [];
  if (step > 0) {
    const s = start === null ? 0 : norm(start, 0, n);
    const e = stop === null ? n : norm(stop, 0, n);
    for (let i = s; i < e; i += step) out.push(a[i]);
  } else {
    const s = start === null ? n - 1 : norm(start, -1, n - 1);
    const e = stop === null ? -1 : norm(stop, -1, n - 1);
    for (let i = s; i > e; i += step) out.push(a[i]);
  }
  return out;
}

/** A fixture value as the dtype stores it (float32 fixtures keep 9 digits, enough to round-trip). */
function exact(v: number, dtype: string): number {
  return dtype === "float32" ? Math.fround(v) : v;
}

/** An int32 tensor (plain numbers give float32; indices and labels must be int32). */
const i32 = (data: lt.NestedArray) => lt.tensor(data, { dtype: "int32" });
// m[i, j] = 4 i + j, shape [3, 4], int32
const m = () => i32([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);

describe("slice()", () => {
  it("matches Python slicing for every start, stop and step on a 1-D tensor", () => {
    const a = lt.arange(7);
    const values = range(7);
    const bounds = [null, -9, -7, -3, -1, 0, 1, 3, 6, 7, 9];
    let checked = 0;
    for (const step of [1, 2, 3, -1, -2, -4]) {
      for (const start of bounds) {
        for (const stop of bounds) {
          const got = a.slice([start, stop, step]).toArray();
          assertEquals(got, pySlice(values, start, stop, step), `[${start}:${stop}:${step}]`);
          checked++;
        }
      }
    }
    assertEquals(checked, 726);
  });

  it("takes short specs: [start], [start, stop], null, and missing trailing axes", () => {
    assertEquals(m().slice([1]).toArray(), [[4, 5, 6, 7], [8, 9, 10, 11]]);
    assertEquals(lt.slice(m(), [null, 2]).toArray(), [[0, 1, 2, 3], [4, 5, 6, 7]]);
    assertEquals(m().slice(null, [1, null, 2]).toArray(), [[1, 3], [5, 7], [9, 11]]);
    assertEquals(m().slice().toArray(), m().toArray());
    assertEquals(m().slice([]).shape, [3, 4]);
    assertEquals(m().slice([undefined, undefined, -1]).toArray(), [[8, 9, 10, 11], [4, 5, 6, 7], [
      0,
      1,
      2,
      3,
    ]]);
  });

  it("negative steps on several axes at once", () => {
    assertEquals(m().slice([null, null, -1], [0, null, 2]).toArray(), [[8, 10], [4, 6], [0, 2]]);
    assertEquals(m().slice([-1, 0, -2], [-1, null, -3]).toArray(), [[11, 8]]);
    assertEquals(lt.slice(m(), [2, -4, -1], [3, 0, -1]).toArray(), [[11, 10, 9], [7, 6, 5], [
      3,
      2,
      1,
    ]]);
  });

  it("empty results keep a zero-size axis", () => {
    const e = m().slice([2, 1]);
    assertEquals([e.shape, e.toArray()], [[0, 4], []]);
    assertEquals(m().slice(null, [3, 3]).shape, [3, 0]);
    assertEquals(m().slice([0, 3, -1]).shape, [0, 4]);
  });

  it("an integer selects and drops the axis; negative integers count from the end", () => {
    assertEquals(m().slice(1).toArray(), [4, 5, 6, 7]);
    assertEquals(m().slice(-1, [null, null, -1]).toArray(), [11, 10, 9, 8]);
    assertEquals(m().slice(null, -2).toArray(), [2, 6, 10]);
    const s = m().slice(1, 2);
    assertEquals([s.shape, s.item()], [[], 6]);
    assertEquals(lt.slice(m(), -3, -4).item(), 0);
  });

  it("slices of slices, of transposes and of pending arithmetic", () => {
    const x = iota([4, 5, 6]); // x[i, j, k] = 30 i + 6 j + k
    const y = x.slice([1, null, 2], [null, null, -2], [-1, 0, -2]); // i in {1, 3}, j in {4, 2, 0}, k in {5, 3, 1}
    assertEquals(
      y.toArray(),
      build([2, 3, 3], ([a, b, c]) => 30 * (1 + 2 * a) + 6 * (4 - 2 * b) + (5 - 2 * c)),
    );
    const z = y.slice([null, null, -1], 1, [1]); // a reversed, b = 1 (j = 2), c from 1
    assertEquals(z.toArray(), build([2, 2], ([a, c]) => 30 * (3 - 2 * a) + 12 + (3 - 2 * c)));
    const t = x.permute([2, 0, 1]).slice([null, null, 3], -1, [1, 4]); // [k in {0, 3}, i = 3, j in 1..3]
    assertEquals(t.toArray(), build([2, 3], ([a, b]) => 3 * a + 90 + 6 * (1 + b)));
    const p = x.mul(2).slice(2, [4, 1, -1], 5);
    assertEquals(p.toArray(), [4, 3, 2].map((j) => 2 * (60 + 6 * j + 5)));
  });

  it("slice, reshape and reduce compose", () => {
    const x = iota([4, 6]); // x[i, j] = 6 i + j
    const y = x.T.slice([1, null, 2], [null, null, -1]).reshape([2, 6]).sum({ axis: 1 });
    // rows j in {1, 3, 5}, columns i reversed -> 12 values, 6 per output row
    const flat = [1, 3, 5].flatMap((j) => [3, 2, 1, 0].map((i) => 6 * i + j));
    assertClose(y, [0, 1].map((r) => flat.slice(6 * r, 6 * r + 6).reduce((s, v) => s + v, 0)));
  });

  it("rejects an out-of-range integer index, naming the axis and the valid range", () => {
    assertThrows(
      () => m().slice(3),
      RangeError,
      "slice() index 3 is out of range for axis 0 of size 3: use -3 to 2",
    );
    assertThrows(
      () => m().slice(null, -5),
      RangeError,
      "slice() index -5 is out of range for axis 1 of size 4: use -4 to 3",
    );
    assertThrows(
      () => lt.zeros([0]).slice(0),
      RangeError,
      "slice() index 0 is out of range for axis 0 of size 0",
    );
  });

  it("rejects too many specs, zero steps and non-integers", () => {
    assertThrows(
      () => lt.arange(6).slice(1, 2),
      RangeError,
      "slice() got 2 specs for a 1-d tensor of shape [6]: give at most one per axis",
    );
    assertThrows(
      () => m().slice([0, 3, 0]),
      RangeError,
      "slice() step must be a non-zero integer on axis 0: found 0",
    );
    assertThrows(
      () => m().slice(null, [0, 3, 1.5]),
      RangeError,
      "slice() step must be a non-zero integer on axis 1: found 1.5",
    );
    assertThrows(
      () => m().slice(0.5),
      TypeError,
      "slice() expected an integer index on axis 0: found 0.5: indices must be whole numbers",
    );
    assertThrows(
      () => m().slice([0.5]),
      TypeError,
      "slice() slice bounds must be integers: found 0.5 on axis 0",
    );
    assertThrows(
      () => m().slice("1" as never),
      TypeError,
      'slice() expected an integer, null or [start, stop, step] for axis 0: found "1"',
    );
    assertThrows(
      () => lt.tensor(3).slice(0),
      RangeError,
      "slice() got 1 specs for a 0-d tensor of shape []",
    );
  });
});

describe("select()", () => {
  it("takes torch's (axis, index) order and drops the axis", () => {
    assertEquals(m().select(0, 1).toArray(), [4, 5, 6, 7]);
    assertEquals(lt.select(m(), 1, 2).toArray(), [2, 6, 10]);
    assertEquals(m().select(-1, -1).toArray(), [3, 7, 11]);
    assertEquals(m().select(0, 0).select(0, 3).item(), 3);
    assertEquals(
      iota([2, 3, 4]).select(2, 1).toArray(),
      build([2, 3], ([i, j]) => 12 * i + 4 * j + 1),
    );
    // torch.arange(12).reshape(3, 4).select(0, 1) is row 1, not column 0
    assertEquals(lt.arange(12).reshape([3, 4]).select(0, 1).toArray(), [4, 5, 6, 7]);
  });

  it("works on views", () => {
    assertEquals(m().T.select(0, 1).toArray(), [1, 5, 9]);
    assertEquals(m().flip(1).select(1, 0).toArray(), [3, 7, 11]);
  });

  it("errors name select()", () => {
    assertThrows(
      () => m().select(0, 5),
      RangeError,
      "select() index 5 is out of range for axis 0 of size 3: use -3 to 2",
    );
    assertThrows(
      () => m().select(1, -5),
      RangeError,
      "select() index -5 is out of range for axis 1 of size 4: use -4 to 3",
    );
    assertThrows(
      () => m().select(2, 0),
      RangeError,
      "select() axis 2 is out of range for a 2-d tensor: valid axes are -2 to 1",
    );
    assertThrows(
      () => m().select(0, 1.5),
      TypeError,
      "select() expected an integer index on axis 0: found 1.5",
    );
    assertThrows(
      () => (m() as any).select(1),
      TypeError,
      "select() expected an axis and an index, torch's order: found only 1: " +
        "write select(x, 0, i) or x.select(0, i) for entry i along axis 0",
    );
  });
});

describe("gather() and take() match PyTorch (fixtures)", () => {
  for (const dtype of ["float32", "float64"]) {
    it(`gather() on ${dtype}`, () => {
      const cases = fixture.gather.filter((c) =>
        c.op === "gather" && fixture.inputs[c.x!].dtype === dtype
      );
      assertEquals(cases.length, 7);
      for (const c of cases) {
        const x = inputTensor(fixture, c.x!);
        const index = lt.tensor(new Int32Array(c.index!), { shape: c.indexShape });
        const expected = nest(c.out.map((v) => exact(num(v), dtype)), c.shape);
        const axis = c.axis as number;
        assertEquals(lt.gather(x, axis, index).toArray(), expected, `gather(${c.x}, ${axis})`);
        assertEquals(x.gather(axis, index).toArray(), expected, `${c.x}.gather(${axis})`);
      }
    });

    it(`take() on ${dtype}, negative indices included`, () => {
      const cases = fixture.gather.filter((c) =>
        c.op === "take" && fixture.inputs[c.x!].dtype === dtype
      );
      assertEquals(cases.length, 8);
      for (const c of cases) {
        const x = inputTensor(fixture, c.x!);
        const index = lt.tensor(new Int32Array(c.index!), { shape: c.indexShape });
        const expected = nest(c.out.map((v) => exact(num(v), dtype)), c.shape);
        const axis = c.axis === null ? undefined : c.axis as number;
        assertEquals(lt.take(x, index, axis).toArray(), expected, `take(${c.x}, axis ${axis})`);
        assertEquals(x.take(index, axis).toArray(), expected, `${c.x}.take(axis ${axis})`);
        assertEquals(lt.take(x, index, axis).dtype, dtype);
      }
    });
  }
});

describe("take()", () => {
  it("indexes the flattened tensor without an axis; the result has the index's shape", () => {
    assertEquals(lt.take(m(), i32([[5, 0], [1, -1]])).toArray(), [[5, 0], [1, 11]]);
    assertEquals(m().take(i32(5)).toArray(), 5);
    assertEquals(lt.take(i32(5), i32([0, 0])).toArray(), [5, 5]);
  });

  it("along an axis inserts the index's shape in place of the axis (NumPy take)", () => {
    assertEquals(lt.take(m(), i32([2, 0]), 1).toArray(), [[2, 0], [6, 4], [10, 8]]);
    assertEquals(m().take(i32([1, 1, 0]), 0).toArray(), [[4, 5, 6, 7], [4, 5, 6, 7], [
      0,
      1,
      2,
      3,
    ]]);
    assertEquals(m().take(i32([[0], [3]]), -1).shape, [3, 2, 1]);
    assertEquals(m().take(i32(1), 1).toArray(), [1, 5, 9]);
    const x = iota([2, 3, 4]);
    assertEquals(
      x.take(i32([[2, 0]]), 1).toArray(),
      build([2, 1, 2, 4], ([i, , b, k]) => 12 * i + 4 * [2, 0][b] + k),
    );
  });

  it("of views, with a pending index and an empty index", () => {
    assertEquals(lt.take(m().T, i32([1, 4])).toArray(), [4, 5]);
    assertEquals(m().take(lt.arange(3).mul(2)).toArray(), [0, 2, 4]);
    assertEquals(m().flip(0).take(i32([0, 2]), 0).toArray(), [[8, 9, 10, 11], [0, 1, 2, 3]]);
    assertEquals(m().take(lt.tensor([], { dtype: "int32" })).shape, [0]);
    assertEquals(m().take(lt.tensor([], { dtype: "int32" }), 1).shape, [3, 0]);
  });

  it("keeps the dtype of the source", () => {
    assertEquals(lt.take(lt.tensor([true, false]), i32([1, 0])).toArray(), [false, true]);
    assertEquals(
      lt.take(lt.tensor([1.5, 2.5], { dtype: "float64" }), i32([1])).dtype,
      "float64",
    );
    assertEquals(lt.take(i32([7, 8]), i32([1])).dtype, "int32");
  });

  it("rejects float and bool index tensors", () => {
    assertThrows(
      () => lt.take(m(), lt.tensor([1.5])),
      TypeError,
      'take() expected an int32 index tensor: found float32: convert with .astype("int32")',
    );
    assertThrows(
      () => m().take(lt.tensor([1], { dtype: "float64" })),
      TypeError,
      "take() expected an int32 index tensor: found float64",
    );
    assertThrows(
      () => lt.take(m(), lt.tensor([true])),
      TypeError,
      "take() expected an int32 index tensor: found bool",
    );
    assertThrows(
      () => lt.take(m(), [0] as never),
      TypeError,
      "take() expected a Tensor at position 1: found an array of length 1: create one with tensor(...)",
    );
    assertThrows(
      () => lt.take(m(), i32([0]), 2),
      RangeError,
      "take() axis 2 is out of range for a 2-d tensor",
    );
  });

  it("rejects out-of-range known indices when called, naming take() and the caller", () => {
    assertThrows(
      () => lt.take(m(), i32([12])),
      RangeError,
      "take() index 12 at flat position 0 is out of range for an axis of size 12: " +
        "indices must be in [-12, 11] (take() called at file://",
    );
    assertThrows(
      () => lt.take(m(), i32([0, -13])),
      RangeError,
      "take() index -13 at flat position 1 is out of range for an axis of size 12",
    );
    assertThrows(
      () => m().take(i32([4]), 1),
      RangeError,
      "take() index 4 at flat position 0 is out of range for an axis of size 4",
    );
  });
});

describe("gather()", () => {
  it("follows torch.gather along each axis", () => {
    const x = i32([[1, 2], [3, 4]]);
    assertEquals(lt.gather(x, 1, i32([[0, 0], [1, 0]])).toArray(), [[1, 1], [4, 3]]);
    assertEquals(x.gather(0, i32([[1, 0]])).toArray(), [[3, 2]]);
    assertEquals(x.gather(-1, i32([[1], [0]])).toArray(), [[2], [3]]);
    // the index may be longer than the source along the gather axis
    assertEquals(x.gather(1, i32([[0, 1, 1, 0]])).toArray(), [[1, 2, 2, 1]]);
  });

  it("of views and pending values, with a pending index", () => {
    assertEquals(lt.gather(m().T, 0, i32([[2, 0, 1]])).toArray(), [[2, 4, 9]]);
    const idx = m().slice(null, [0, 2]).mod(4); // [[0, 1], [0, 1], [0, 1]]
    assertEquals(lt.gather(m().mul(2), 1, idx).toArray(), [[0, 2], [8, 10], [16, 18]]);
  });

  it("picks the log-probability of each label (the cross-entropy pattern)", () => {
    const logits = lt.tensor([[1, 2, 3], [1, 5, 1]], { dtype: "float64" });
    const labels = i32([[2], [1]]);
    const picked = logits.logSoftmax(-1).gather(1, labels).squeeze(1);
    const lse = [
      Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)),
      Math.log(2 * Math.exp(1) + Math.exp(5)),
    ];
    assertClose(picked, [3 - lse[0], 5 - lse[1]], { rtol: 1e-14 });
  });

  it("rejects float indices, a wrong rank and an out-of-range axis", () => {
    const x = i32([[1, 2], [3, 4]]);
    assertThrows(
      () => lt.gather(x, 0, lt.tensor([[1.0, 0.5]])),
      TypeError,
      'gather() expected an int32 index tensor: found float32: convert with .astype("int32")',
    );
    assertThrows(
      () => x.gather(0, lt.tensor([[true]])),
      TypeError,
      "gather() expected an int32 index tensor: found bool",
    );
    assertThrows(
      () => x.gather(0, i32([1, 0])),
      RangeError,
      "gather() expected an index of rank 2 no larger than [2, 2] off axis 0: found [2]",
    );
    assertThrows(
      () => x.gather(0, i32([[0, 0, 0]])),
      RangeError,
      "gather() expected an index of rank 2 no larger than [2, 2] off axis 0: found [1, 3]",
    );
    assertThrows(
      () => x.gather(2, i32([[0]])),
      RangeError,
      "gather() axis 2 is out of range for a 2-d tensor",
    );
    assertThrows(
      () => x.gather(1, i32([[2]])),
      RangeError,
      "gather() index 2 at flat position 0 is out of range for an axis of size 2: " +
        "indices must be in [-2, 1] (gather() called at file://",
    );
  });
});

describe("oneHot()", () => {
  it("adds a last axis of numClasses, int32 by default", () => {
    const h = lt.oneHot(i32([0, 2, 1]), 3);
    assertEquals([h.dtype, h.toArray()], ["int32", [[1, 0, 0], [0, 0, 1], [0, 1, 0]]]);
    assertEquals(
      lt.oneHot(i32([[0, 2], [1, 1]]), 3).toArray(),
      [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]],
    );
    assertEquals(lt.oneHot(i32(1), 3).toArray(), [0, 1, 0]);
    assertEquals(lt.oneHot(lt.tensor([], { dtype: "int32" }), 4).shape, [0, 4]);
  });

  it("takes a dtype", () => {
    const h = lt.oneHot(i32([1]), 2, { dtype: "float32" });
    assertEquals([h.dtype, h.toArray()], ["float32", [[0, 1]]]);
    assertEquals(lt.oneHot(i32([1]), 2, { dtype: "bool" }).toArray(), [[false, true]]);
  });

  it("accepts labels from views and pending computations", () => {
    assertEquals(lt.oneHot(i32([0, 1, 2]).flip(), 3).toArray(), [[0, 0, 1], [0, 1, 0], [
      1,
      0,
      0,
    ]]);
    assertEquals(lt.oneHot(lt.arange(3).add(1), 4).toArray(), [[0, 1, 0, 0], [0, 0, 1, 0], [
      0,
      0,
      0,
      1,
    ]]);
    assertEquals(lt.oneHot(i32([[3, 1], [0, 2]]).T, 4).sum({ axis: 1 }).toArray(), [[
      1,
      0,
      0,
      1,
    ], [0, 1, 1, 0]]);
  });

  it("rejects labels out of range, naming the first bad one", () => {
    assertThrows(
      () => lt.oneHot(i32([0, 3, 5]), 3),
      RangeError,
      "oneHot() label 3 at flat position 1 is out of range for 3 classes: labels must be in [0, 2]",
    );
    assertThrows(
      () => lt.oneHot(i32([[0], [-1]]), 3),
      RangeError,
      "oneHot() label -1 at flat position 1 is out of range for 3 classes",
    );
    assertThrows(
      () => lt.oneHot(i32([1, 0]).flip().add(4), 5),
      RangeError,
      "oneHot() label 5 at flat position 1 is out of range for 5 classes: labels must be in [0, 4]",
    );
  });

  it("rejects float and bool labels and a bad class count", () => {
    assertThrows(
      () => lt.oneHot(lt.tensor([0.0, 1.5]), 3),
      TypeError,
      'oneHot() expected int32 labels: found float32: convert with .astype("int32")',
    );
    assertThrows(
      () => lt.oneHot(lt.tensor([true]), 2),
      TypeError,
      "oneHot() expected int32 labels: found bool",
    );
    assertThrows(
      () => lt.oneHot(i32([0]), 0),
      RangeError,
      "oneHot() expected a positive integer numClasses: found 0",
    );
    assertThrows(() => lt.oneHot(i32([0]), 1.5), RangeError, "found 1.5");
  });
});
