// Types that survive transforms: grad, valueAndGrad, vjp, jvp, jit, customVjp
// and sequential keep their functions' and layers' types. Each
// `@ts-expect-error` line is a type-level test: `deno test` and `deno task
// check` type-check this file, and if a result regressed to `any` the
// directive would be unused, which is an error. The runtime assertions check
// that the values have the shapes the types promise.
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import type { Tensor } from "../mod.ts";
import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";

interface Params {
  w: Tensor;
  b: Tensor;
}
const params: Params = { w: lt.tensor([2, 3]), b: lt.tensor([1]) };
const x = lt.tensor([1, 2]);
const loss = (p: Params, x: Tensor) => p.w.mul(x).sum().add(p.b.sum());

describe("grad() and valueAndGrad() keep their function's types", () => {
  it("the gradient has the type of the differentiated argument", () => {
    const g = lt.grad(loss)(params, x);
    const typed: Params = g;
    assertEquals(typed.w.toArray(), [1, 2]);
    // @ts-expect-error: a Params has no such key
    g.nonsense;
    const gx = lt.grad(loss, { argnums: 1 })(params, x);
    assertEquals(gx.toArray(), [2, 3]);
    // @ts-expect-error: a Tensor has no such property
    gx.nonsense;
  });

  it("argnums lists give a tuple of the arguments' types", () => {
    const [gp, gx] = lt.grad(loss, { argnums: [0, 1] })(params, x);
    assertEquals([gp.b.toArray(), gx.toArray()], [[1], [2, 3]]);
    // @ts-expect-error: the first entry is a Params, not a Tensor
    gp.shape;
  });

  it("the returned function takes f's parameters", () => {
    const g = lt.grad(loss);
    // @ts-expect-error: the second argument must be a Tensor
    assertEquals(typeof g.bind(null, params, "x"), "function");
    // @ts-expect-error: f returns a number, not a Tensor loss
    lt.grad((x: Tensor) => x.size);
  });

  it("hasAux gives [gradient, aux] with aux's type", () => {
    const [g, aux] = lt.grad((x: Tensor) => [x.square().sum(), { note: "kept" }], {
      hasAux: true,
    })(x);
    assertEquals([g.toArray(), aux.note], [[2, 4], "kept"]);
    // @ts-expect-error: aux has no such key
    aux.nonsense;
  });

  it("a gradient passed on to another transform keeps its type", () => {
    // the expected type of jacrev's argument must not widen argnums' default
    const h = lt.jacrev(lt.grad((x: Tensor) => x.square().sum()));
    assertEquals(h(x).toArray(), [[2, 0], [0, 2]]);
  });

  it("valueAndGrad() keeps the value's type", () => {
    const [value, g] = lt.valueAndGrad(loss)(params, x);
    assertEquals(value.item(), 9);
    assertEquals(g.b.toArray(), [1]);
    // @ts-expect-error: a Tensor has no such property
    value.nonsense;
    const [[l, pred], g2] = lt.valueAndGrad((x: Tensor) => [x.sum(), x.mul(2)], {
      hasAux: true,
    })(x);
    assertEquals([l.item(), pred.toArray(), g2.toArray()], [3, [2, 4], [1, 1]]);
  });
});

describe("vjp(), jvp(), customVjp() and jit() keep their function's types", () => {
  it("vjp() returns the output's type and one cotangent per primal", () => {
    const [y, back] = lt.vjp((p: Params, x: Tensor) => p.w.mul(x), params, x);
    const [dp, dx] = back(lt.ones([2]));
    assertEquals([y.toArray(), dp.w.toArray(), dx.toArray()], [[2, 6], [1, 2], [2, 3]]);
    // @ts-expect-error: the cotangent of a Tensor output is a Tensor
    back({ w: lt.ones([2]) });
  });

  it("jvp() takes one tangent per primal, typed like it", () => {
    const [y, dy] = lt.jvp((x: Tensor) => x.square(), [x], [lt.ones([2])]);
    assertEquals([y.toArray(), dy.toArray()], [[1, 4], [2, 4]]);
    // @ts-expect-error: two primals for a function of one argument
    assertEquals(typeof (() => lt.jvp((x: Tensor) => x, [x, x], [x, x])), "function");
  });

  it("customVjp() takes forward's parameters", () => {
    const scale = lt.customVjp(
      (x: Tensor, s: Tensor) => [x.mul(s), s] as [Tensor, Tensor],
      (s, ct) => [ct.mul(s), undefined],
    );
    assertEquals(scale(x, lt.tensor(3)).toArray(), [3, 6]);
    // @ts-expect-error: forward takes two tensors
    assertEquals(typeof (() => scale(x)), "function");
  });

  it("jit() keeps the parameters and the result, also of a grad", () => {
    const f = lt.jit((x: Tensor, n: number) => x.mul(n));
    assertEquals(f(x, 2).toArray(), [2, 4]);
    // @ts-expect-error: n is a number
    assertEquals(typeof (() => f(x, "2")), "function");
    const g = lt.jit(lt.grad(loss));
    assertEquals(g(params, x).w.toArray(), [1, 2]);
    // @ts-expect-error: a Params has no such key
    g(params, x).nonsense;
  });
});

describe("sequential() types its parameters per layer", () => {
  it("init() returns a tuple of each layer's parameters", () => {
    const model = nn.sequential(nn.linear(2, 3), nn.relu, nn.linear(3, 1));
    const p = model.init(lt.random.key(0));
    assertEquals([p[0].weight.shape, p[2].weight.shape], [[3, 2], [1, 3]]);
    assertEquals(p[1], {});
    // @ts-expect-error: LinearParams has no such key
    p[0].nonsense;
    // @ts-expect-error: the model has three layers
    p[3];
    assertEquals(model.apply(p, lt.ones([4, 2])).shape, [4, 1]);
    // @ts-expect-error: apply wants the tuple of all three layers' parameters
    assertEquals(typeof (() => model.apply([p[0]], x)), "function");
  });

  it("grad() of a model's loss has the parameters' tuple type", () => {
    const model = nn.sequential(nn.linear(2, 1));
    const p = model.init(lt.random.key(1));
    const g = lt.grad((q: typeof p, x: Tensor) => model.apply(q, x).sum())(p, lt.ones([1, 2]));
    assertEquals(g[0].weight.toArray(), [[1, 1]]);
    // @ts-expect-error: one layer only
    g[1];
  });
});
