// einsum (issue 15) against PyTorch float64 values and gradients on the JS
// reference, the Wasm tier, under jit and on WebGPU where an adapter exists;
// its lowering (one matmul per pair of operands) and its errors.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { checkGrads } from "../testing/mod.ts";
import { checkEveryTier, seqCases } from "./_seq_fixture.ts";

const cases = seqCases.filter((c) => c.op === "einsum");

describe("einsum against PyTorch float64", () => {
  for (const c of cases) {
    it(`${c.eq}: float64 eager and jit, float32 on js, wasm and webgpu`, async () => {
      await checkEveryTier(c);
    });
  }
});

describe("einsum lowering", () => {
  it("is one matmul kernel for a batched product, and fuses a following activation", () => {
    const a = lt.random.normal(lt.random.key(1), [2, 3, 4]);
    const b = lt.random.normal(lt.random.key(2), [2, 4, 5]);
    a.dataSync();
    b.dataSync();
    const ks = lt.explain(lt.einsum("bij,bjk->bik", a, b).relu()).kernels;
    assertEquals(ks.map((k) => k.kind), ["matmul"]);
  });
  it("has second derivatives that match finite differences", () => {
    const a = lt.random.normal(lt.random.key(5), [2, 3]);
    const b = lt.random.normal(lt.random.key(6), [3, 3]);
    checkGrads((a, b) => lt.einsum("ij,jk,kk->i", a, b, b).square(), [a, b], { order: 2 });
  });
});

describe("einsum errors", () => {
  it("say what was expected, what came and how to fix it", () => {
    const a = lt.ones([2, 3]);
    assertThrows(
      () => lt.einsum("ij,jk->ik", a),
      RangeError,
      'einsum() expected one "->" at most and one term per operand: found 2 term(s) in "ij,jk->ik" and 1 operand(s)',
    );
    assertThrows(
      () => lt.einsum("ijk", a),
      RangeError,
      'einsum() term 0 "ijk" names 3 axes but operand 0 has shape [2, 3]: add "..." for the axes it leaves out',
    );
    assertThrows(
      () => lt.einsum("ij,ij", a, lt.ones([3, 3])),
      RangeError,
      "einsum() label i has size 2 in one operand and 3 in operand 1: sizes must match or be 1",
    );
    assertThrows(
      () => lt.einsum("i1", a),
      TypeError,
      "einsum() expected subscripts made of letters",
    );
    assertThrows(
      () => lt.einsum("ij->iz", a),
      RangeError,
      'einsum() output label "z" must be a letter of the inputs, given once',
    );
    assertThrows(
      () => lt.einsum("ii", a),
      RangeError,
      "einsum() label i repeats in operand 0 over axes of sizes 2 and 3",
    );
    assertThrows(
      () => lt.einsum("...j->j", lt.ones([2, 2])),
      RangeError,
      'leaves out the "..." axes: write "...j" to keep them',
    );
  });
});
