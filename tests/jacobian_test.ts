import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { assertClose } from "./_close.ts";

describe("jacobians", () => {
  const x = () => lt.tensor([0.5, -1, 2], { dtype: "float64" });

  it("jacrev and jacfwd agree with the closed form of sin(x)·x₀", () => {
    const f = (v: lt.Tensor) => v.sin().mul(v.select(0, 0));
    const [a, b, c] = [0.5, -1, 2];
    const ref = [
      [Math.cos(a) * a + Math.sin(a), 0, 0],
      [Math.sin(b), Math.cos(b) * a, 0],
      [Math.sin(c), 0, Math.cos(c) * a],
    ];
    assertClose(lt.jacrev(f)(x()), ref, { rtol: 1e-12 });
    assertClose(lt.jacfwd(f)(x()), ref, { rtol: 1e-12 });
  });

  it("hessian of sum(x³) + x₀x₁ is diag(6x) plus the cross term", () => {
    const f = (v: lt.Tensor) => v.pow(3).sum().add(v.select(0, 0).mul(v.select(0, 1)));
    assertClose(lt.hessian(f)(x()), [[3, 1, 0], [1, -6, 0], [0, 0, 12]], { rtol: 1e-12 });
  });

  it("hessian of a softmax-weighted sum matches finite differences", () => {
    const w = lt.tensor([1, -2, 0.5], { dtype: "float64" });
    const f = (v: lt.Tensor) => lt.softmax(v).mul(w).sum();
    const h = lt.hessian(f)(x()).dataSync();
    const g = (v: number[]) => lt.grad(f)(lt.tensor(v, { dtype: "float64" })).dataSync();
    const eps = 1e-6;
    const base = [0.5, -1, 2];
    for (let j = 0; j < 3; j++) {
      const up = base.map((v, k) => (k === j ? v + eps : v));
      const down = base.map((v, k) => (k === j ? v - eps : v));
      const [gu, gd] = [g(up), g(down)];
      for (let i = 0; i < 3; i++) {
        const fd = (gu[i] - gd[i]) / (2 * eps);
        assertEquals(
          Math.abs(h[i * 3 + j] - fd) < 1e-6,
          true,
          `H[${i},${j}] ${h[i * 3 + j]} vs ${fd}`,
        );
      }
    }
  });
});

describe("customVjp", () => {
  const softplus = lt.customVjp(
    (v: lt.Tensor) => [lt.softplus(v), v] as [lt.Tensor, lt.Tensor],
    (v: lt.Tensor, ct: lt.Tensor) => [ct.mul(lt.sigmoid(v))],
  );

  it("uses the given rule, differentiable again", () => {
    const v = lt.tensor([0, 1, -3], { dtype: "float64" });
    assertClose(softplus(v), [Math.log(2), Math.log1p(Math.E), Math.log1p(Math.exp(-3))], {
      rtol: 1e-12,
    });
    const s = (t: number) => 1 / (1 + Math.exp(-t));
    assertClose(lt.grad((t: lt.Tensor) => softplus(t).sum())(v), [0.5, s(1), s(-3)], {
      rtol: 1e-12,
    });
    const second = lt.grad((t: lt.Tensor) => lt.grad((u: lt.Tensor) => softplus(u).sum())(t).sum())(
      v,
    );
    assertClose(second, [0.25, s(1) * (1 - s(1)), s(-3) * (1 - s(-3))], { rtol: 1e-12 });
  });

  it("never differentiates the forward function", () => {
    // the forward pretends to be x², the rule says the slope is 1
    const fake = lt.customVjp(
      (v: lt.Tensor) => [v.square(), null],
      (_r: null, ct: lt.Tensor) => [ct],
    );
    assertEquals(
      lt.grad((t: lt.Tensor) => fake(t).sum())(lt.tensor([3], { dtype: "float32" })).toArray(),
      [1],
    );
  });

  it("checks the rule's output", () => {
    const bad = lt.customVjp(
      (v: lt.Tensor) => [v.mul(2), null],
      (_r: null, ct: lt.Tensor) => [ct.sum()],
    );
    assertThrows(
      () =>
        lt.grad((t: lt.Tensor) => bad(t).sum())(lt.tensor([1, 2], { dtype: "float32" })).dataSync(),
      RangeError,
      "customVjp() backward returned shape [] for input 0: expected [2]",
    );
  });
});
