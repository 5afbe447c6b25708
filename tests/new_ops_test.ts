// The issue-13 ops (trig, hyperbolic, special functions, the new activations,
// norms and losses) against PyTorch float64 values and gradients
// (fixtures/new_ops.json), on the CPU tiers: the JavaScript reference in
// float64 and float32, and the Wasm SIMD tier in float32 (whose elementwise
// kernels must really run in Wasm). WebGPU: new_ops_webgpu_test.ts.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import * as nn from "../nn/mod.ts";
import { assertValuesClose } from "./_close.ts";
import { cases, decode, type Expected, label, type NewOpCase, ops, runCase } from "./_new_ops.ts";

type Tol = { rtol: number; atol: number };

/** float64 against PyTorch's float64: a few ulp. */
const F64: Tol = { rtol: 1e-13, atol: 1e-300 };
/** Looser float64 bounds, each with its reason. */
const F64_OPS: Record<string, Tol> = {
  // acosh's gradient: Lathe takes 1/√((x-1)(x+1)), PyTorch 1/√(x² - 1), which cancels near 1
  // (5e-10 off at 1 + 1e-7)
  acosh: { rtol: 1e-9, atol: 1e-300 },
  // gelu's tanh form: 1 + tanh(u) cancels for x < -3 (as in PyTorch): 1e-11 relative at x = -6
  gelu: { rtol: 1e-10, atol: 1e-300 },
  // PyTorch 1.13's hardsigmoid backward multiplies by 1/6 rounded to float32 (3e-8 off)
  hardsigmoid: { rtol: 5e-8, atol: 1e-300 },
  // PyTorch 1.13 computes m + log(e^(a-m) + e^(b-m)): 1e-16 absolute where Lathe's log1p is
  // exact (logAddExp(0, -30) = 9.3576e-14, PyTorch 9.3481e-14)
  logAddExp: { rtol: 1e-13, atol: 2e-16 },
  // x - tanh(x) cancels near 0 (relative error 1e-10 at x = 1e-3, in PyTorch too)
  tanhshrink: { rtol: 1e-13, atol: 1e-18 },
  // selu/celu: PyTorch 1.13 computes exp(x) - 1 (Lathe expm1): 1e-13 relative near 0
  selu: { rtol: 1e-12, atol: 1e-300 },
  celu: { rtol: 1e-12, atol: 1e-300 },
  // PyTorch's sinc gradient (πx cos πx - sin πx)/(πx²) cancels near 0: 4e-12 off at x = 1e-3
  // (Lathe's series is within 3e-16 of mpmath there)
  sinc: { rtol: 1e-11, atol: 1e-300 },
};
/** Looser float64 bounds for gradients only. */
const F64_GRAD_OPS: Record<string, Tol> = {
  // PyTorch 1.13's trigamma (digamma's derivative) stops its asymptotic series at 1/x^7 after
  // shifting x to >= 6.5: up to 1e-8 relative off (Lathe's is within 1e-15 of mpmath:
  // special_math_test.ts), e.g. ψ'(1/2) = π²/2 = 4.934802200544679, PyTorch 4.9348022020736
  digamma: { rtol: 2e-8, atol: 1e-300 },
};
/** float32 computed in float64 and rounded per kernel, against the correctly rounded float32. */
const F32_JS: Tol = { rtol: 1e-6, atol: 1e-7 };
/** Wasm's float32 polynomials (a few ulp each) composed. */
const F32_WASM: Tol = { rtol: 1e-5, atol: 1e-6 };
const F32_OPS: Record<string, Tol> = {
  // PyTorch's formula 0.5·x·(1 + tanh(u)) cancels for x < -3: its float32 kernel has the same
  // error (the value kernel runs in float64 on the JS tier; the gradient reads float32 tanh(u))
  gelu: { rtol: 2e-3, atol: 1e-6 },
  // πx rounds to float32 before sin and cos: near a zero of cos(πx) (x = -2.5) the gradient
  // p cos p - sin p keeps that absolute error, 4e-6 relative
  sinc: { rtol: 2e-5, atol: 1e-6 },
  // x - tanh(x) cancels near 0
  tanhshrink: { rtol: 1e-5, atol: 1e-6 },
};

function expected(values: (number | string)[]): number[] {
  return values.map(decode);
}

/** Compares a case's value and gradients with PyTorch's. */
async function check(
  c: NewOpCase,
  i: number,
  dtype: "float32" | "float64",
  want: Expected,
  tol: Tol,
  tier: string,
  gradTol: Tol = tol,
): Promise<lt.Tensor[]> {
  const got = await runCase(c, dtype);
  const where = `${label(c, i)} on ${tier}`;
  assertEquals(got.shape, want.s, `${where}: shape`);
  assertValuesClose(got.out, expected(want.out), `${where}: value`, tol);
  want.grads?.forEach((g, k) => {
    if (g === null) return;
    assertValuesClose(got.grads![k]!, expected(g), `${where}: gradient of input ${k}`, gradTol);
  });
  return got.tensors;
}

function on<T>(backend: "js" | "wasm", f: () => Promise<T>): Promise<T> {
  lt.setCpuBackend(backend);
  return f().finally(() => lt.setCpuBackend("wasm"));
}

describe("issue-13 ops match PyTorch", () => {
  it("has a Lathe function for every fixture op", () => {
    const missing = [...new Set(cases.map((c) => c.op))].filter((op) => !(op in ops));
    assertEquals(missing, []);
  });

  it("in float64 on the JavaScript tier, values and gradients", async () => {
    await on("js", async () => {
      for (const [i, c] of cases.entries()) {
        if (!(c.op in ops)) continue;
        // int32 inputs give float32, PyTorch's float32 kernels the reference
        const integer = c.in.every((x) => x.d === "int32");
        const tol = integer ? F32_JS : F64_OPS[c.op] ?? F64;
        await check(c, i, "float64", c.f64, tol, "js float64", F64_GRAD_OPS[c.op] ?? tol);
      }
    });
  });

  it("in float32 on the JavaScript tier", async () => {
    await on("js", async () => {
      for (const [i, c] of cases.entries()) {
        if (!(c.op in ops) || c.f32 === undefined) continue;
        await check(c, i, "float32", c.f32, F32_OPS[c.op] ?? F32_JS, "js float32");
      }
    });
  });

  it("in float32 on the Wasm tier, the elementwise kernels in Wasm", async () => {
    await on("wasm", async () => {
      for (const [i, c] of cases.entries()) {
        if (!(c.op in ops) || c.f32 === undefined) continue;
        const tensors = await check(c, i, "float32", c.f32, F32_OPS[c.op] ?? F32_WASM, "wasm");
        // elementwise ops of float inputs: every forward kernel must have a Wasm form
        const elementwise = c.in.every((x) => x.d === "float" && x.s.length === 1);
        // (exp2 is pow(2, x): pow has no Wasm form)
        if (elementwise && c.op !== "exp2") {
          const tiers = lt.explain(tensors[0]).kernels.map((k) => k.backend);
          assertEquals(tiers.filter((t) => t !== "wasm"), [], `${label(c, i)}: kernels ${tiers}`);
        }
      }
    });
  });
});

describe("issue-13 ops: edges PyTorch gets wrong, and bad arguments", () => {
  it("sinc() has the exact gradient near 0 (PyTorch's cancels: 36% off at 1e-8)", () => {
    const x = lt.tensor([1e-8, -1e-5, 1e-3], { dtype: "float64" });
    const g = lt.grad((t: lt.Tensor) => lt.sinc(t).sum())(x) as lt.Tensor;
    // d/dx sin(πx)/(πx) = -π²x/3 + π⁴x³/30 - …
    const want = [1e-8, -1e-5, 1e-3].map((v) =>
      -(Math.PI ** 2) * v / 3 + Math.PI ** 4 * v ** 3 / 30
    );
    assertValuesClose(g.dataSync(), want, "sinc'", { rtol: 1e-12, atol: 0 });
  });

  it("erfinv() near ±1 matches mpmath (PyTorch is 5e-5 off at 1 - 1e-15)", () => {
    const x = lt.tensor([0.999999999, 1 - 1e-15, -(1 - 1e-15)], { dtype: "float64" });
    // mpmath.erfinv at 40 digits
    const want = [4.320005388105362, 5.675915739744713, -5.675915739744713];
    assertValuesClose(lt.erfinv(x).dataSync(), want, "erfinv", { rtol: 1e-15, atol: 0 });
  });

  it("digamma() differentiates twice (trigamma, then a composed tetragamma) like mpmath", () => {
    const xs = [1, 0.5, -0.5, 3.7, 25, -2.3, 0.01];
    const d2 = lt.grad((t: lt.Tensor) => lt.grad((u: lt.Tensor) => lt.digamma(u).sum())(t).sum());
    // mpmath.polygamma(2, x) at 30 digits
    const want = [
      -2.4041138063191885,
      -16.82879664423432,
      -0.82879664423432,
      -0.09539530872855403,
      -0.001665279318422468,
      68.71379252927031,
      -2000002.340398677,
    ]; // deno-fmt-ignore
    const got = d2(lt.tensor(xs, { dtype: "float64" })) as lt.Tensor;
    assertValuesClose(got.dataSync(), want, "ψ''", { rtol: 1e-10, atol: 0 });
  });

  it("rejects bad arguments with a message that says what to do", () => {
    const x = lt.tensor([[1, 2, 3]]);
    assertThrows(
      () => lt.hardtanh(x, { min: 1, max: -1 }),
      RangeError,
      "hardtanh() expected min <= max: found min 1 and max -1: swap them",
    );
    assertThrows(
      () => lt.hardtanh(x, { min: NaN }),
      TypeError,
      "hardtanh() expected a number for min: found NaN",
    );
    assertThrows(
      () => lt.celu(x, { alpha: 0 }),
      RangeError,
      "celu() expected a nonzero number for alpha: found 0",
    );
    assertThrows(
      () => lt.glu(x),
      RangeError,
      "glu() expected an even size along axis -1: found 3 in shape [1, 3]",
    );
    assertThrows(
      () => lt.frac(lt.tensor([1, 2], { dtype: "int32" })),
      TypeError,
      "frac() expected a float tensor: found int32",
    );
    assertThrows(
      () => lt.norm(x, { p: "nuc" as "fro" }),
      TypeError,
      'norm() expected p to be a number or "fro": found "nuc"',
    );
    assertThrows(
      () => lt.normalize(x, { eps: -1 }),
      RangeError,
      "normalize() expected eps to be a number >= 0: found -1",
    );
    assertThrows(() => lt.normalize(x, { axis: 2 }), RangeError, "normalize");
    assertThrows(
      () => nn.klDiv(x, lt.tensor([1, 2, 3])),
      RangeError,
      "klDiv() expected prediction and target of the same shape: found [1, 3] and [3]",
    );
    assertThrows(
      () => lt.lerp(x, 2 as unknown as lt.Tensor, 0.5),
      TypeError,
      "lerp() expected a Tensor at position 1",
    );
    assertThrows(() => lt.hypot(x, lt.tensor([1, 2])), RangeError, "hypot");
    assertThrows(
      () => lt.fmod(lt.tensor([true]), lt.tensor([false])),
      TypeError,
      "fmod() expected numeric operands: found bool and bool",
    );
    assertThrows(
      () => lt.atan2(x, "1" as unknown as number),
      TypeError,
      "atan2() expected a Tensor or a number at position 1",
    );
  });
});
