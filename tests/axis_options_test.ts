// Axis arguments in torch's forms and options bags that reject unknown keys.
// Calls go through `any` on purpose: plain JavaScript callers have no type
// checker, and these are the runtime checks they rely on.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import * as optim from "../nn/optim.ts";
import { assertAllClose } from "../testing/mod.ts";

const a = () => lt.arange(12).reshape([3, 4]);
const js = (x: unknown): any => x;

describe("reductions take torch's axis forms", () => {
  it("a number, an array or options, as methods and free functions", () => {
    assertEquals(js(a()).sum(1).toArray(), [6, 22, 38]);
    assertEquals(js(a()).max(1).toArray(), [3, 7, 11]);
    assertEquals(js(a()).min(0).toArray(), [0, 1, 2, 3]);
    assertEquals(js(lt).mean(a(), 1).toArray(), [1.5, 5.5, 9.5]);
    assertEquals(js(a()).sum([0, 1]).item(), 66);
    assertEquals(js(a()).prod(1).toArray(), [0, 840, 7920]);
    assertEquals(js(a()).argmax(1).toArray(), [3, 3, 3]);
    assertEquals(js(lt).argmin(a(), 0).toArray(), [0, 0, 0, 0]);
    assertEquals(js(a()).any(1).toArray(), [true, true, true]);
    assertEquals(js(a()).all(1).toArray(), [false, true, true]);
    assertEquals(js(a()).sum({ axis: 1 }).toArray(), [6, 22, 38]);
    assertAllClose(js(a()).var(1), [5 / 3, 5 / 3, 5 / 3]);
    assertAllClose(js(a()).std({ axis: 1, correction: 0 }), [1.118034, 1.118034, 1.118034]);
    assertAllClose(js(a()).logSumExp(1), [3.4401897, 7.4401897, 11.4401897]);
  });

  it("keepdims follows the axis (torch's sum(1, True)) or comes as keepdim", () => {
    assertEquals(js(a()).sum(1, true).shape, [3, 1]);
    assertEquals(js(a()).argmax(0, true).shape, [1, 4]);
    assertEquals(js(a()).mean({ axis: 0, keepdim: true }).shape, [1, 4]);
    assertEquals(js(a()).max({ axis: [0, 1], keepdim: true }).shape, [1, 1]);
  });

  it("softmax and logSoftmax take a number or {axis}", () => {
    const x = lt.tensor([[1, 2], [3, 5]]);
    assertAllClose(js(x).softmax(0), [[0.1192029, 0.0474259], [0.8807971, 0.9525741]]);
    assertAllClose(js(lt).logSoftmax(x, { axis: 0 }), x.logSoftmax(0));
  });

  it("an unknown option names the closest known one", () => {
    assertThrows(
      () => js(a()).sum({ dim: 1 }),
      TypeError,
      'sum(): unknown option "dim": did you mean "axis"?',
    );
    assertThrows(
      () => js(lt).mean(a(), { axis: 1, keepDims: true }),
      TypeError,
      'mean(): unknown option "keepDims": did you mean "keepdims"?',
    );
    assertThrows(
      () => js(a()).var({ axis: 1, unbiased: false }),
      TypeError,
      'variance(): unknown option "unbiased": did you mean "correction"?',
    );
    assertThrows(
      () => js(a()).softmax({ dim: 0 }),
      TypeError,
      'softmax(): unknown option "dim": did you mean "axis"?',
    );
    assertThrows(
      () => js(a()).argmax({ axis: 1, foo: 2 }),
      TypeError,
      'argmax(): unknown option "foo": known options: "axis", "keepdims", "keepdim"',
    );
  });

  it("bad forms say what is expected", () => {
    assertThrows(
      () => js(a()).sum("1"),
      TypeError,
      'sum() expected an axis (a number or an array of numbers) or options {axis, keepdims}: found "1": ' +
        "e.g. sum(1) or sum({ axis: 1, keepdims: true })",
    );
    assertThrows(
      () => js(a()).sum({ axis: 1 }, true),
      TypeError,
      "sum() expected keepdims (true or false) after an axis: found true: " +
        "pass sum(axis, true) or sum({ axis, keepdims: true })",
    );
    assertThrows(
      () => js(a()).sum({ keepdims: true, keepdim: false }),
      TypeError,
      "sum() got keepdims true and its alias keepdim false: give one",
    );
    assertThrows(
      () => js(a()).var(1, false),
      TypeError,
      "variance() takes the correction and keepdims as options: found a second argument false: " +
        "write variance(x, { axis: 1, correction: 0 }) for torch's var(1, unbiased=False)",
    );
    assertThrows(
      () => js(a()).argmax([0, 1]),
      TypeError,
      "argmax() takes one axis: found [0, 1]: reshape to merge the axes first",
    );
    assertThrows(
      () => js(a()).softmax([0]),
      TypeError,
      "softmax() expected one axis (a number, or options {axis}): found an array of length 1: " +
        "e.g. softmax(x, 1)",
    );
  });

  it("axis ops take {axis} too, and reject unknown keys", () => {
    assertEquals(js(lt).concat([a(), a()], { axis: 1 }).shape, [3, 8]);
    assertEquals(js(lt).stack([a(), a()], { axis: 2 }).shape, [3, 4, 2]);
    assertEquals(js(a()).unsqueeze({ axis: 0 }).shape, [1, 3, 4]);
    assertEquals(js(a()).split(2, { axis: 1 }).length, 2);
    assertEquals(js(a()).flip({ axis: 1 }).toArray()[0], [3, 2, 1, 0]);
    assertEquals(js(a().reshape([3, 1, 4])).squeeze({ axis: 1 }).shape, [3, 4]);
    assertThrows(
      () => js(lt).concat([a(), a()], { dim: 1 }),
      TypeError,
      'concat(): unknown option "dim": did you mean "axis"?',
    );
  });
});

describe("options bags reject unknown keys", () => {
  const cases: [string, () => unknown, string][] = [
    ["tensor", () => js(lt).tensor([1], { dtpye: "int32" }), '"dtpye": did you mean "dtype"?'],
    ["zeros", () => js(lt).zeros([2], { type: "int32" }), '"type": did you mean "dtype"?'],
    ["arange", () => js(lt).arange(3, 5, 1, { dype: "int32" }), '"dype": did you mean "dtype"?'],
    ["gelu", () => js(lt).gelu(a(), { approx: "tanh" }), '"approx": did you mean "approximate"?'],
    [
      "normal",
      () => js(lt.random).normal(lt.random.key(0), [2], { sd: 2 }),
      '"sd": did you mean "std"?',
    ],
    [
      "grad",
      () => js(lt).grad((x: lt.Tensor) => x.sum(), { argnum: 0 }),
      '"argnum": did you mean "argnums"?',
    ],
    [
      "jit",
      () => js(lt).jit((x: lt.Tensor) => x, { static: [0] }),
      '"static": did you mean "staticArgnums"?',
    ],
    ["toString", () => js(a()).toString({ precison: 2 }), '"precison": did you mean "precision"?'],
    ["linear", () => js(nn).linear(2, 3, { bais: false }), '"bais": did you mean "bias"?'],
    ["mse", () => js(nn).mse(a(), a(), { reduce: "sum" }), '"reduce": did you mean "reduction"?'],
    [
      "sgd",
      () => js(optim).sgd(0.1, { weight_decay: 0.1 }),
      '"weight_decay": did you mean "weightDecay"?',
    ],
    ["adam", () => js(optim).adam(0.1, { beta: [0.9, 0.99] }), '"beta": did you mean "betas"?'],
    ["setCpuBackend", () => js(lt).setCpuBackend("wasm", { BLAS: false }), '"BLAS": known options'],
    ["assertAllClose", () => assertAllClose(1, 1, js({ rtl: 1 })), '"rtl": did you mean "rtol"?'],
  ];
  for (const [op, f, tail] of cases) {
    it(`${op}()`, () => {
      assertThrows(f, TypeError, `${op}(): unknown option ${tail}`);
    });
  }
});

describe("torch's variadic shapes", () => {
  it("permute(1, 0), reshape(2, 6), view, expand and repeat", () => {
    assertEquals(js(a()).permute(1, 0).shape, [4, 3]);
    assertEquals(js(a()).reshape(2, 6).shape, [2, 6]);
    assertEquals(js(a()).reshape(-1).shape, [12]);
    assertEquals(js(a()).view(6, 2).shape, [6, 2]);
    assertEquals(js(lt.ones([3, 1])).expand(3, 2).shape, [3, 2]);
    assertEquals(js(lt.ones([1, 2])).repeat(2, 1).shape, [2, 2]);
    assertThrows(
      () => js(a()).reshape([2, 6], 1),
      TypeError,
      "reshape() expected sizes as one array or as numbers: found an array of length 2, 1: " +
        "e.g. reshape([2, 3]) or reshape(2, 3)",
    );
  });
});

describe("messages that show the right form", () => {
  it("nn layers take nested arrays", () => {
    const model = nn.sequential(nn.linear(4, 2), nn.relu);
    const p = model.init(lt.random.key(0));
    const x = [[1, 2, 3, 4]];
    assertAllClose(js(model).apply(p, x), model.apply(p, lt.tensor(x)));
    assertEquals(js(nn.relu).apply({}, [-1, 2]).toArray(), [0, 2]);
    const emb = nn.embedding(5, 2);
    const w = emb.init(lt.random.key(1));
    assertEquals(js(emb).apply(w, [[1, 4]]).shape, [1, 2, 2]);
    assertThrows(
      () => js(nn.linear(4, 2)).apply(p[0], "x"),
      TypeError,
      "linear(4 → 2).apply() expected a Tensor or nested arrays of numbers: found string: " +
        "pass e.g. tensor([[1, 2, 3]])",
    );
  });

  it("slice() with a nested-array spec and add() with an array", () => {
    assertThrows(
      () => js(a()).slice([[1, null], [null, null, 2]]),
      TypeError,
      "slice() expected one spec per axis as separate arguments: found nested arrays on axis 0: " +
        "write x.slice([1, null], [null, null, 2]) for x[1:, ::2] (or spread a list: x.slice(...specs))",
    );
    assertEquals(a().slice([1, null], [null, null, 2]).toArray(), [[4, 6], [8, 10]]);
    assertThrows(
      () => js(lt.ones([3])).add([1, 2, 3]),
      TypeError,
      "add() expected a Tensor or a number at position 1: found an array of length 3: " +
        "make a tensor of it first: tensor([1,2,3])",
    );
  });
});
