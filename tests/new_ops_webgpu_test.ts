// The issue-13 ops on WebGPU (WGSL on Mesa's lavapipe in CI) against the PyTorch
// fixture's float32 expectations, values and gradients (fixtures/new_ops.json;
// the CPU tiers are in new_ops_test.ts). Skipped, with a logged note, where no
// adapter exists.
import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { assertValuesClose } from "./_close.ts";
import { cases, decode, label, ops, runCase } from "./_new_ops.ts";

const hasGpu = (await lt.devices()).includes("webgpu");
if (!hasGpu) console.log("new_ops_webgpu_test: no WebGPU adapter here: the tests are skipped");
const suite = hasGpu ? describe : describe.skip;

type Tol = { rtol: number; atol: number };
/** GPU builtins (exp, log, sqrt…) are within a few float32 ulp; compositions add them up. */
const F32_GPU: Tol = { rtol: 1e-4, atol: 1e-5 };
/** Looser bounds, each with its reason. */
const GPU_OPS: Record<string, Tol> = {
  // the float32 cancellation of 1 + tanh(u) for x < -3 (PyTorch's float32 kernel has it too)
  gelu: { rtol: 2e-3, atol: 1e-5 },
};

suite("issue-13 ops on webgpu match PyTorch", () => {
  it("in float32, values and gradients", async () => {
    for (const [i, c] of cases.entries()) {
      if (!(c.op in ops) || c.f32 === undefined) continue;
      const tol = GPU_OPS[c.op] ?? F32_GPU;
      const got = await runCase(c, "float32", "webgpu");
      const where = `${label(c, i)} on webgpu`;
      assertEquals(got.tensors[0].device, "webgpu", `${where}: device`);
      assertEquals(got.shape, c.f32.s, `${where}: shape`);
      assertValuesClose(got.out, c.f32.out.map(decode), `${where}: value`, tol);
      c.f32.grads?.forEach((g, k) => {
        if (g === null) return;
        assertValuesClose(got.grads![k]!, g.map(decode), `${where}: gradient of input ${k}`, tol);
      });
    }
  });
});
