// Elementwise ops (core/elementwise.ts, kernels in the primitive table core/ops/ and
// jit/runtime/cpu/js.ts): every op against PyTorch 1.13 references in float32,
// float64, int32 and bool, as a free function and as a method, then dtype
// promotion, broadcasting, special values and error messages by hand.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import {
  caseLabel,
  checkCase,
  hasMethod,
  refCases,
  runFree,
  runMethod,
  torchVersion,
} from "./_reference.ts";

const UNARY = [
  "neg",
  "exp",
  "log",
  "log1p",
  "expm1",
  "sqrt",
  "rsqrt",
  "abs",
  "sign",
  "sin",
  "cos",
  "tanh",
  "erf",
  "square",
  "reciprocal",
  "round",
  "floor",
  "ceil",
  "isNaN",
  "isFinite",
  "logicalNot",
] as const;

const BINARY = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "mod",
  "gt",
  "lt",
  "ge",
  "le",
  "eq",
  "ne",
  "logicalAnd",
  "logicalOr",
  "logicalXor",
] as const;

type Op = (a: unknown, b?: unknown) => lt.Tensor;
const ops = lt as unknown as Record<string, Op>;

function f32(values: number[]): lt.Tensor {
  return lt.tensor(values, { dtype: "float32" });
}
function i32(values: number[]): lt.Tensor {
  return lt.tensor(values, { dtype: "int32" });
}

/** Asserts values exactly, telling 0 from -0 and NaN from anything else. */
function assertValues(t: lt.Tensor, expected: number[]): void {
  const got = Array.from(t.dataSync());
  const same = got.length === expected.length &&
    got.every((x, i) => Object.is(x, expected[i]));
  assert(
    same,
    `got [${got.map(String)}] (with -0 ${
      got.map((x) => Object.is(x, -0))
    }), expected [${expected}]`,
  );
}

/** The message of what `fn` throws, checked to be a `cls`. */
function thrown(fn: () => unknown, cls: typeof TypeError | typeof RangeError): string {
  return (assertThrows(fn, cls) as Error).message;
}

describe(`elementwise ops match PyTorch ${torchVersion}`, () => {
  const cases = refCases.filter((c) => [...UNARY, ...BINARY, "where"].includes(c.op));

  it("the references cover every op in float32 and float64", () => {
    for (const op of [...UNARY, ...BINARY]) {
      for (const dtype of ["float32", "float64"]) {
        const found = cases.some((c) =>
          c.op === op && c.in.every((x) => typeof x !== "string" || x.startsWith(dtype))
        );
        assert(found, `no ${dtype} reference for ${op}`);
      }
    }
    assert(cases.some((c) => c.op === "where"), "no reference for where");
  });

  for (const c of cases) {
    // NOTE: PyTorch's maximum(0, -0) is 0 in float32 but -0 in float64 (its
    // kernels differ), so the sign of a zero is not compared for these two
    const signedZero = c.op !== "maximum" && c.op !== "minimum";
    it(`${caseLabel(c)} as lt.${c.op}()`, () => {
      checkCase(runFree(c), c, undefined, signedZero);
    });
    if (hasMethod(c)) {
      it(`${caseLabel(c)} as Tensor.${c.op}()`, () => {
        checkCase(runMethod(c), c, undefined, signedZero);
      });
    }
  }
});

describe("dtype promotion", () => {
  const t = {
    bool: lt.tensor([true, false]),
    int32: i32([3, -2]),
    float32: f32([0.5, -1.5]),
    float64: lt.tensor([0.5, -1.5], { dtype: "float64" }),
  };
  const table: [string, lt.Tensor, lt.Tensor | number | boolean, lt.DType][] = [
    ["int32 + float32 is float32", t.int32, t.float32, "float32"],
    ["float32 + int32 is float32", t.float32, t.int32, "float32"],
    ["float32 + float64 is float64", t.float32, t.float64, "float64"],
    ["int32 + float64 is float64", t.int32, t.float64, "float64"],
    ["bool + int32 is int32", t.bool, t.int32, "int32"],
    ["bool + float32 is float32", t.bool, t.float32, "float32"],
    ["bool + bool is bool", t.bool, t.bool, "bool"],
    ["int32 + 2 stays int32", t.int32, 2, "int32"],
    ["int32 + 2.5 is float32", t.int32, 2.5, "float32"],
    ["int32 + true stays int32", t.int32, true, "int32"],
    ["float32 + 2 stays float32", t.float32, 2, "float32"],
    ["float64 + 2.5 stays float64", t.float64, 2.5, "float64"],
    ["bool + 2 is int32", t.bool, 2, "int32"],
    ["bool + 2.5 is float32", t.bool, 2.5, "float32"],
    ["bool + true stays bool", t.bool, true, "bool"],
  ];
  for (const [name, a, b, dtype] of table) {
    it(name, () => {
      assertEquals(lt.add(a, b).dtype, dtype);
      assertEquals(a.add(b).dtype, dtype);
      assertEquals(lt.add(b, a).dtype, dtype);
      assertEquals(lt.mul(a, b).dtype, dtype);
    });
  }

  it("int32 + 2 keeps integer values and wraps around on overflow like int32 PyTorch", () => {
    assertValues(i32([1, -5, 2147483647]).add(2), [3, -3, -2147483647]);
    assertValues(i32([2147483647]).add(1), [-2147483648]);
    assertValues(i32([-2147483648]).sub(1), [2147483647]);
    assertValues(i32([65536, 46341]).mul(i32([65536, 46341])), [0, -2147479015]);
  });

  it("int32 + 2.5 is float32 with the fraction kept", () => {
    const y = i32([1, -5]).add(2.5);
    assertEquals(y.dtype, "float32");
    assertValues(y, [3.5, -2.5]);
  });

  it("int / int is true division in float32", () => {
    for (
      const y of [
        lt.div(i32([7, -7, 1, -1, 0]), i32([2, 2, 0, 0, 0])),
        i32([7, -7, 1, -1, 0]).div(i32([2, 2, 0, 0, 0])),
      ]
    ) {
      assertEquals(y.dtype, "float32");
      assertValues(y, [3.5, -3.5, Infinity, -Infinity, NaN]);
    }
    assertEquals(lt.div(i32([1]), 2).dtype, "float32");
    assertEquals(lt.div(lt.tensor([true]), lt.tensor([true])).dtype, "float32");
    assertEquals(lt.div(i32([1]), lt.tensor([2], { dtype: "float64" })).dtype, "float64");
  });

  it("comparisons and logical ops give bool for every dtype", () => {
    for (
      const name of ["gt", "lt", "ge", "le", "eq", "ne", "logicalAnd", "logicalOr", "logicalXor"]
    ) {
      for (const a of Object.values(t)) {
        for (const b of [...Object.values(t), 1, 1.5, true]) {
          assertEquals(ops[name](a, b).dtype, "bool", `${name}(${a.dtype}, ${b})`);
        }
      }
    }
    assertEquals(lt.logicalNot(t.float64).dtype, "bool");
    assertEquals(lt.isNaN(t.int32).dtype, "bool");
    assertEquals(lt.isFinite(t.float32).dtype, "bool");
  });

  it("bool + bool is logical or, stored as 0 and 1 like torch.bool", () => {
    const y = lt.add(lt.tensor([true, true, false]), lt.tensor([true, false, false]));
    assertEquals(y.dtype, "bool");
    assertValues(y, [1, 1, 0]);
    assertEquals(y.eq(lt.tensor([true, true, true])).toArray(), [true, true, false]);
    assertValues(lt.tensor([true, false]).add(true), [1, 1]);
    assertValues(lt.mul(lt.tensor([true, true, false]), lt.tensor([true, false, false])), [
      1,
      0,
      0,
    ]);
  });

  it("float math on int and bool tensors gives float32; sign-like ops keep int32", () => {
    const x = i32([-4, 0, 9]);
    for (
      const name of [
        "exp",
        "log",
        "log1p",
        "expm1",
        "sqrt",
        "rsqrt",
        "sin",
        "cos",
        "tanh",
        "erf",
        "reciprocal",
      ]
    ) {
      assertEquals(ops[name](x).dtype, "float32", name);
      assertEquals(ops[name](lt.tensor([true])).dtype, "float32", name);
    }
    assertValues(lt.sqrt(x), [NaN, 0, 3]);
    assertValues(lt.reciprocal(x), [-0.25, Infinity, Math.fround(1 / 9)]);
    for (const name of ["neg", "abs", "sign", "square", "floor", "ceil", "round"]) {
      assertEquals(ops[name](x).dtype, "int32", name);
    }
    assertValues(lt.round(x), [-4, 0, 9]);
    assertValues(lt.square(x), [16, 0, 81]);
  });

  it("float64 keeps full precision where float32 rounds", () => {
    const third = lt.div(lt.tensor([1], { dtype: "float64" }), 3);
    assertValues(third, [1 / 3]);
    assertValues(lt.div(f32([1]), 3), [Math.fround(1 / 3)]);
    assertValues(lt.tensor([0.1], { dtype: "float64" }).add(0.2), [0.1 + 0.2]);
  });
});

describe("weak scalars are rounded to the tensor's dtype first, like PyTorch", () => {
  // NOTE: 0.1 is not a float32; PyTorch compares and subtracts float32(0.1)
  it("a float32 tensor equals the number it was made from", () => {
    const x = f32([0.1, 0.3]);
    assertEquals(x.eq(0.1).toArray(), [true, false]);
    assertEquals(lt.eq(0.3, x).toArray(), [false, true]);
    assertEquals(x.ne(0.1).toArray(), [false, true]);
    assertEquals(x.gt(0.1).toArray(), [false, true]);
    assertEquals(x.le(0.1).toArray(), [true, false]);
    assertEquals(lt.lt(0.1, x).toArray(), [false, true]);
    assertValues(x.sub(0.1), [0, Math.fround(Math.fround(0.3) - Math.fround(0.1))]);
    assertValues(lt.sub(0.1, x), [0, Math.fround(Math.fround(0.1) - Math.fround(0.3))]);
  });

  it("logical ops read a nonzero scalar as true", () => {
    const x = lt.tensor([1.5, 0, NaN]);
    assertValues(lt.logicalAnd(x, 2), [1, 0, 1]);
    assertValues(x.logicalAnd(0.25), [1, 0, 1]);
    assertValues(lt.logicalAnd(i32([3, 0]), 2), [1, 0]);
    assertValues(lt.logicalOr(i32([3, 0]), 0.5), [1, 1]);
    assertValues(lt.logicalXor(i32([3, 0]), 7), [0, 1]);
    assertEquals(lt.logicalAnd(x, 2).eq(true).toArray(), [true, false, true]);
  });
});

describe("broadcasting", () => {
  it("[2, 1] + [3] is [2, 3] in both orders and call styles", () => {
    const a = f32([10, 20]).reshape([2, 1]);
    const b = f32([1, 2, 3]);
    const want = [[11, 12, 13], [21, 22, 23]];
    for (const y of [lt.add(a, b), a.add(b), lt.add(b, a), b.add(a)]) {
      assertEquals(y.shape, [2, 3]);
      assertEquals(y.toArray(), want);
    }
    assertEquals(lt.sub(b, a).toArray(), [[-9, -8, -7], [-19, -18, -17]]);
    assertEquals(a.gt(lt.tensor([5, 15, 25])).toArray(), [[true, false, false], [
      true,
      true,
      false,
    ]]);
  });

  it("axes of size 1 broadcast anywhere, missing axes count as 1", () => {
    assertEquals(lt.mul(lt.ones([2, 1, 4]), lt.ones([3, 1])).shape, [2, 3, 4]);
    assertEquals(lt.maximum(lt.ones([1]), lt.ones([2, 3])).shape, [2, 3]);
    assertEquals(lt.pow(lt.ones([5, 1, 1]), lt.ones([1, 1])).shape, [5, 1, 1]);
  });

  it("numbers broadcast on either side", () => {
    const x = f32([1, 2, 4]).reshape([3, 1]);
    assertEquals(lt.sub(10, x).toArray(), [[9], [8], [6]]);
    assertEquals(x.sub(10).toArray(), [[-9], [-8], [-6]]);
    assertEquals(lt.div(1, x).toArray(), [[1], [0.5], [0.25]]);
    assertEquals(lt.mod(10, i32([3, -3])).toArray(), [1, -2]);
    assertEquals(lt.pow(2, x).toArray(), [[2], [4], [16]]);
  });

  it("0-d tensors broadcast like numbers and 0-d op 0-d is 0-d", () => {
    const s = lt.tensor(2, { dtype: "int32" });
    assertEquals(s.shape, []);
    const y = lt.add(s, lt.tensor(3, { dtype: "int32" }));
    assertEquals(y.shape, []);
    assertEquals(y.dtype, "int32");
    assertEquals(y.item(), 5);
    assertEquals(lt.mul(s, f32([1, 2, 3]).reshape([3, 1])).toArray(), [[2], [4], [6]]);
    assertEquals(f32([1, 2]).mul(s).toArray(), [2, 4]);
    assertEquals(lt.exp(lt.tensor(0)).shape, []);
    assertEquals(lt.exp(lt.tensor(0)).item(), 1);
    assertEquals(lt.lt(lt.tensor(1.5), 2).toArray(), true);
  });

  it("size-0 axes broadcast to size-0 results", () => {
    const empty = lt.zeros([0, 3]);
    const cases: [lt.Tensor, number[]][] = [
      [lt.add(empty, f32([1, 2, 3])), [0, 3]],
      [f32([1, 2, 3]).mul(empty), [0, 3]],
      [lt.add(lt.zeros([2, 0]), lt.ones([2, 1])), [2, 0]],
      [lt.add(lt.zeros([0]), lt.ones([1])), [0]],
      [lt.add(lt.zeros([0]), lt.tensor(7)), [0]],
      [lt.sub(5, lt.zeros([0, 2])), [0, 2]],
      [lt.eq(empty, 0), [0, 3]],
      [lt.where(lt.zeros([0, 1]).eq(0), 1, f32([1, 2, 3])), [0, 3]],
      [lt.exp(empty), [0, 3]],
    ];
    for (const [y, shape] of cases) {
      assertEquals(y.shape, shape);
      assertEquals(y.dataSync().length, 0);
      assertEquals(y.toArray(), shape[0] === 0 ? [] : [[], []]);
    }
  });

  it("[4, 1] + [2, 4] throws a RangeError naming the op, both shapes and the axis", () => {
    const a = lt.zeros([4, 1]);
    const b = lt.zeros([2, 4]);
    const msg =
      "add() cannot broadcast shapes [4, 1] and [2, 4]: sizes differ at axis -2 (4 vs 2): " +
      "sizes must be equal or 1 on each axis, counted from the right; reshape or transpose one operand";
    assertEquals(thrown(() => lt.add(a, b), RangeError), msg);
    assertEquals(thrown(() => a.add(b), RangeError), msg);
  });

  it("a size 0 does not broadcast against a size 3", () => {
    assertEquals(
      thrown(() => lt.mul(lt.zeros([3]), lt.zeros([0])), RangeError),
      "mul() cannot broadcast shapes [3] and [0]: sizes differ at axis -1 (3 vs 0): " +
        "sizes must be equal or 1 on each axis, counted from the right; reshape or transpose one operand",
    );
  });

  it("every binary op names itself and lists every clashing axis", () => {
    const a = lt.zeros([5, 2, 3]);
    const b = lt.zeros([3, 2]);
    for (const name of BINARY) {
      assertEquals(
        thrown(() => ops[name](a, b), RangeError),
        `${name}() cannot broadcast shapes [5, 2, 3] and [3, 2]: sizes differ at axis -2 (2 vs 3), axis -1 (3 vs 2): ` +
          "sizes must be equal or 1 on each axis, counted from the right; reshape or transpose one operand",
      );
    }
  });
});

describe("errors", () => {
  it("a string operand is a TypeError naming the op and position", () => {
    const x = f32([1, 2]);
    for (const name of BINARY) {
      const method = (x as unknown as Record<string, (b: unknown) => lt.Tensor>)[name];
      const right = `${name}() expected a Tensor or a number at position 1: found "a"`;
      assertEquals(thrown(() => ops[name](x, "a"), TypeError), right);
      assertEquals(thrown(() => method.call(x, "a"), TypeError), right);
      assertEquals(
        thrown(() => ops[name]("a", x), TypeError),
        `${name}() expected a Tensor or a number at position 0: found "a"`,
      );
    }
  });

  it("other non-numbers are TypeErrors too", () => {
    const x = f32([1, 2]);
    assertEquals(
      thrown(() => ops.mul(x, [1, 2]), TypeError),
      "mul() expected a Tensor or a number at position 1: found an array of length 2: " +
        "make a tensor of it first: tensor([1,2])",
    );
    assertEquals(
      thrown(() => ops.sub(x, null), TypeError),
      "sub() expected a Tensor or a number at position 1: found null",
    );
    assertEquals(
      thrown(() => ops.div(undefined, x), TypeError),
      "div() expected a Tensor or a number at position 0: found undefined",
    );
  });

  it("unary ops want a Tensor and say how to make one", () => {
    for (const name of UNARY.filter((n) => n !== "logicalNot")) {
      assertEquals(
        thrown(() => ops[name]("a"), TypeError),
        `${name}() expected a Tensor at position 0: found "a": create one with tensor(...)`,
      );
      assertEquals(
        thrown(() => ops[name](3), TypeError),
        `${name}() expected a Tensor at position 0: found 3: create one with tensor(...)`,
      );
    }
    assertEquals(
      thrown(() => ops.logicalNot("a"), TypeError),
      'logicalNot() expected a Tensor or a number at position 0: found "a"',
    );
  });

  it("where checks all three operands", () => {
    const c = lt.tensor([true, false]);
    assertEquals(
      thrown(() => ops.where("a", 1), TypeError),
      'where() expected a Tensor or a number at position 0: found "a"',
    );
    assertEquals(
      thrown(() => lt.where(c, 1, "b" as unknown as number), TypeError),
      'where() expected a Tensor or a number at position 2: found "b"',
    );
    assertEquals(
      thrown(() => lt.where(c, null as unknown as number, 1), TypeError),
      "where() expected a Tensor or a number at position 1: found null",
    );
    assertEquals(
      thrown(() => lt.where(c, lt.zeros([3]), 0), RangeError),
      "where() cannot broadcast shapes [2] and [3]: sizes differ at axis -1 (2 vs 3): " +
        "sizes must be equal or 1 on each axis, counted from the right; reshape or transpose one operand",
    );
  });

  it("neg and sub reject bool tensors like PyTorch", () => {
    const b = lt.tensor([true, false]);
    const neg = "neg() expected a numeric tensor: found bool: use logicalNot() to invert a mask";
    assertEquals(thrown(() => lt.neg(b), TypeError), neg);
    assertEquals(thrown(() => b.neg(), TypeError), neg);
    const sub =
      "sub() expected numeric operands: found bool and bool: use logicalXor() for booleans";
    assertEquals(thrown(() => lt.sub(b, b), TypeError), sub);
    assertEquals(thrown(() => b.sub(true), TypeError), sub);
    assertValues(b.sub(1), [0, -1]);
    assertValues(lt.sub(b, i32([5, 5])), [-4, -5]);
  });
});

describe("special values", () => {
  it("round() rounds half to even like torch.round", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = lt.tensor([-2.5, -1.5, -0.5, -0.4, 0.5, 1.5, 2.5, 3.5, 0.49999997, -4194305.5], {
        dtype,
      });
      assertValues(lt.round(x), [-2, -2, -0, -0, 0, 2, 2, 4, 0, -4194306]);
      assertValues(x.round(), [-2, -2, -0, -0, 0, 2, 2, 4, 0, -4194306]);
    }
  });

  it("floor() and ceil() keep the sign of zero", () => {
    const x = f32([-0.5, 0.5, -0, 2.5, -2.5]);
    assertValues(x.floor(), [-1, 0, -0, 2, -3]);
    assertValues(x.ceil(), [-0, 1, -0, 3, -2]);
  });

  it("mod() takes the divisor's sign (torch.remainder)", () => {
    const a = [-7, 7, -7, 7, 6, -6];
    const b = [3, 3, -3, -3, 3, -3];
    assertValues(lt.mod(i32(a), i32(b)), [2, 1, -1, -2, 0, 0]);
    assertValues(f32(a).mod(f32(b)), [2, 1, -1, -2, 0, -0]);
    assertValues(f32([5.5, -5.5, 1, -1, 1]).mod(f32([2, 2, Infinity, Infinity, 0])), [
      1.5,
      0.5,
      1,
      Infinity,
      NaN,
    ]);
  });

  it("pow() follows C pow for 1, -1 and NaN, unlike Math.pow", () => {
    const base = [1, 1, 1, -1, -1, NaN, NaN, 0, -0, -8, 2];
    const exp = [NaN, Infinity, -Infinity, Infinity, -Infinity, 0, -0, -1, -1, 1 / 3, 0.5];
    const want = [1, 1, 1, 1, 1, 1, 1, Infinity, -Infinity, NaN, Math.SQRT2];
    assertValues(
      lt.pow(lt.tensor(base, { dtype: "float64" }), lt.tensor(exp, { dtype: "float64" })),
      want,
    );
    assertValues(f32(base).pow(f32(exp)), want.map(Math.fround));
    assertValues(lt.pow(1, f32([NaN])), [1]);
    assertValues(f32([NaN]).pow(0), [1]);
  });

  it("pow(x, 2) of a float tensor is x * x (exact, like PyTorch), with the gradient 2x", () => {
    const v = [1.5, -3, 0.1, 3e19, -0, NaN, -Infinity];
    // the float64 product of two float32 values is exact, so fround gives the float32 square
    assertValues(f32(v).pow(2), v.map((t) => Math.fround(Math.fround(t) * Math.fround(t))));
    assertEquals(lt.explain(f32(v).pow(2)).kernels[0].ops, ["mul"]);
    assertValues(lt.grad((t: lt.Tensor) => t.pow(2).sum())(f32([1.5, -3])), [3, -6]);
    // other exponents, and int tensors, keep pow
    assertEquals(lt.explain(f32(v).pow(3)).kernels[0].ops, ["pow"]);
    assertEquals(lt.tensor([3], { dtype: "int32" }).pow(2).dtype, "int32");
  });

  it("maximum() and minimum() propagate NaN from either side", () => {
    const a = f32([NaN, 1, NaN, -Infinity]);
    const b = f32([1, NaN, NaN, Infinity]);
    assertValues(lt.maximum(a, b), [NaN, NaN, NaN, Infinity]);
    assertValues(a.minimum(b), [NaN, NaN, NaN, -Infinity]);
  });

  it("comparisons with NaN are false except ne()", () => {
    const a = f32([NaN, NaN, 1]);
    const b = f32([NaN, 1, NaN]);
    for (const name of ["lt", "gt", "le", "ge", "eq"]) {
      assertEquals(ops[name](a, b).toArray(), [false, false, false], name);
    }
    assertEquals(a.ne(b).toArray(), [true, true, true]);
    assertEquals(f32([-0]).eq(0).toArray(), [true]);
  });

  it("NaN is true and -0 is false in logical ops", () => {
    const x = f32([NaN, -0, 0, 2]);
    assertEquals(x.logicalNot().toArray(), [false, true, true, false]);
    assertEquals(lt.logicalAnd(x, f32([1, 1, 1, 1])).toArray(), [true, false, false, true]);
    assertEquals(lt.logicalOr(x, f32([0, 0, 0, 0])).toArray(), [true, false, false, true]);
    assertEquals(lt.logicalXor(x, f32([1, 1, 1, 1])).toArray(), [false, true, true, false]);
    assertValues(lt.logicalNot(x), [0, 1, 1, 0]);
  });

  it("isNaN() and isFinite() of ints and bools", () => {
    assertEquals(lt.isNaN(i32([0, -2147483648])).toArray(), [false, false]);
    assertEquals(i32([0, 2147483647]).isFinite().toArray(), [true, true]);
    assertEquals(lt.isFinite(lt.tensor([true, false])).toArray(), [true, true]);
    assertEquals(lt.isFinite(f32([1e38, Infinity, -Infinity, NaN, -0])).toArray(), [
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it("neg() and abs() flip and clear the sign of zero", () => {
    assertValues(f32([0, -0]).neg(), [-0, 0]);
    assertValues(lt.abs(f32([-0, -Infinity])), [0, Infinity]);
    assertValues(lt.sign(f32([-0, 0, NaN, -3, Infinity])), [0, 0, 0, -1, 1]);
    assertValues(lt.sqrt(f32([-0])), [-0]);
    assertValues(lt.rsqrt(f32([-0, 0, -1])), [-Infinity, Infinity, NaN]);
  });
});

describe("where", () => {
  it("selects a where cond is true and b elsewhere, ignoring NaN in the other branch", () => {
    const y = lt.where(lt.tensor([true, false, true]), f32([1, NaN, NaN]), f32([NaN, 2, 3]));
    assertValues(y, [1, 2, NaN]);
  });

  it("casts a numeric cond to bool (nonzero and NaN are true)", () => {
    const y = lt.where(f32([0, -0, NaN, 0.5]), 1, -1);
    assertEquals(y.toArray(), [-1, -1, 1, 1]);
    assertEquals(lt.where(i32([0, 7]), i32([1, 2]), i32([3, 4])).toArray(), [3, 2]);
  });

  it("broadcasts all three operands", () => {
    const c = lt.tensor([[true], [false]]);
    const y = lt.where(c, f32([1, 2, 3]), 0);
    assertEquals(y.shape, [2, 3]);
    assertEquals(y.toArray(), [[1, 2, 3], [0, 0, 0]]);
    const z = lt.where(
      lt.tensor([true, false, true]),
      lt.tensor([[1], [2]]),
      lt.tensor([[7], [8]]),
    );
    assertEquals(z.toArray(), [[1, 7, 1], [2, 8, 2]]);
    assertEquals(lt.where(lt.tensor(true), f32([1, 2]), 5).toArray(), [1, 2]);
  });

  it("promotes a and b like a binary op (numbers are weak)", () => {
    const c = lt.tensor([true, false]);
    assertEquals(lt.where(c, i32([1, 2]), 2.5).dtype, "float32");
    assertEquals(lt.where(c, i32([1, 2]), 9).dtype, "int32");
    assertEquals(
      lt.where(c, f32([1, 2]), lt.tensor([0, 0], { dtype: "float64" })).dtype,
      "float64",
    );
    assertEquals(lt.where(c, lt.tensor([1, 2], { dtype: "float64" }), 0.5).dtype, "float64");
    assertEquals(lt.where(c, lt.tensor([true, true]), false).toArray(), [true, false]);
  });
});

describe("fusion", () => {
  it("a chain of elementwise ops is one kernel, bit-identical to running op by op", () => {
    const x = f32([-3, -0.5, 0, 0.25, 2, 7]);
    const y = x.abs().add(1).log().mul(x).tanh().sub(x.square().div(3)).maximum(-1);
    assertEquals(lt.explain(y).kernels.length, 1);
    let s = x.abs();
    for (
      const step of [
        (t: lt.Tensor) => t.add(1),
        (t: lt.Tensor) => t.log(),
        (t: lt.Tensor) => t.mul(x),
        (t: lt.Tensor) => t.tanh(),
      ]
    ) {
      s.dataSync();
      s = step(s);
    }
    s.dataSync();
    const q = x.square();
    q.dataSync();
    const q3 = q.div(3);
    q3.dataSync();
    const d = s.sub(q3);
    d.dataSync();
    assertEquals(Array.from(y.dataSync()), Array.from(d.maximum(-1).dataSync()));
  });
});
