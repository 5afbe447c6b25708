// lstm and gru run each layer's time loop through scan (issue 16): under jit
// the program does not grow with the sequence length, the values equal the
// cells stepped one by one in a JavaScript loop, and gradients through the
// compiled loop equal eager gradients, which finite differences check.
import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { gru, gruCell, lstm, lstmCell } from "../nn/mod.ts";
import { assertAllClose, checkGrads } from "../testing/mod.ts";

type T = lt.Tensor;
type Params = Record<string, T>;
const f64 = { dtype: "float64" } as const;

/** The layer's recurrence stepped eagerly, one cell call per step and layer, realized each step. */
function unrolled(kind: "lstm" | "gru", layers: number, params: Params, x: T): [T, T] {
  const [batch, time, input] = x.shape;
  const hidden = params.weight_hh_l0.shape[1];
  let seq = Array.from({ length: time }, (_, t) => x.select(1, t));
  let last: T = x;
  for (let k = 0; k < layers; k++) {
    const make = kind === "lstm" ? lstmCell : gruCell;
    const cell = make(k === 0 ? input : hidden, hidden);
    const p = Object.fromEntries(
      ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((n) => [n, params[`${n}_l${k}`]]),
    ) as unknown as Parameters<typeof cell.step>[0];
    let s: { h: T; c?: T } | undefined;
    seq = seq.map((xt) => {
      const next = cell.step(p, xt, s as never) as { h: T; c?: T };
      s = { h: lt.tensor(next.h.toArray(), { dtype: x.dtype }) };
      if (next.c) s.c = lt.tensor(next.c.toArray(), { dtype: x.dtype });
      return s.h;
    });
    last = s!.h;
  }
  assertEquals(last.shape, [batch, hidden]);
  return [lt.stack(seq, 1), last];
}

describe("lstm and gru through scan", () => {
  for (const kind of ["lstm", "gru"] as const) {
    const layer = (kind === "lstm" ? lstm : gru)(3, 5, { numLayers: 2 });
    const params = layer.init(lt.random.key(0));

    it(`${kind}: the jitted layer has as many kernels over 10 steps as over 1,000 and compiles once per shape`, () => {
      const apply = (p: Params, x: T) => layer.apply(p, x);
      const kernels = (n: number) =>
        lt.explain(lt.jit(apply), params, lt.zeros([2, n, 3])).kernels.length;
      assertEquals(kernels(1000), kernels(10));
      const f = lt.jit(apply);
      const x = lt.random.normal(lt.random.key(1), [2, 1000, 3]);
      f(params, x);
      f(params, x.mul(0.5));
      assertEquals(f.compileCount, 1);
    });

    it(`${kind}: jitted values over 300 steps equal the cells stepped one by one`, () => {
      const x = lt.random.normal(lt.random.key(2), [2, 300, 3]);
      const [out, final] = lt.jit((p: Params, x: T) => layer.run(p, x))(params, x);
      const [ref, last] = unrolled(kind, 2, params, x);
      assertAllClose(out, ref, { rtol: 1e-5, atol: 1e-6 });
      assertAllClose(final.h.select(0, 1), last, { rtol: 1e-5, atol: 1e-6 });
      assertEquals(final.h.shape, [2, 2, 5]);
    });

    it(`${kind}: gradients under jit (a compiled reverse loop) equal eager gradients and finite differences`, () => {
      const p64 = Object.fromEntries(
        Object.entries(params).map(([n, t]) => [n, t.astype("float64")]),
      );
      const x = lt.random.normal(lt.random.key(3), [2, 6, 3]).astype("float64");
      const loss = (p: Params, x: T) => {
        const [out, final] = layer.run(p, x);
        return out.tanh().sum().add(final.h.square().sum());
      };
      const g = lt.grad(loss, { argnums: [0, 1] });
      const jg = lt.jit(g);
      const [ep, ex] = g(p64, x);
      const [jp, jx] = jg(p64, x);
      for (const n of Object.keys(p64)) {
        assertAllClose(jp[n], ep[n], { rtol: 1e-10, atol: 1e-12 });
      }
      assertAllClose(jx, ex, { rtol: 1e-10, atol: 1e-12 });
      const kernels = (n: number) => lt.explain(jg, p64, lt.zeros([2, n, 3], f64)).kernels.length;
      assertEquals(kernels(200), kernels(6));
      const w = p64.weight_hh_l1;
      checkGrads((w: T, x: T) => loss({ ...p64, weight_hh_l1: w }, x), [w, x.slice(null, [0, 3])]);
    });
  }
});
