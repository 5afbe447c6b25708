// explain(): a computed tensor lists once, and `source` is the code that runs
// (a listing of the Wasm module when Wasm runs; the JS stays in jsSource).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import * as lt from "../mod.ts";
import { readTextFileSync } from "../test_util/runtime.ts";

const x = () => lt.tensor([[1, 2, 3], [4, 5, 6]]);

describe("explain() of a computed tensor", () => {
  it("lists its buffer once and no kernels", () => {
    const y = x().mul(2).add(1);
    assertEquals(lt.explain(y).kernels.length, 1);
    y.dataSync();
    const e = lt.explain(y);
    assertEquals(e.graph, ["%0 = buffer() : float32[2, 3]"]);
    assertEquals(e.toString(), "graph (1 node):\n  %0 = buffer() : float32[2, 3]\nkernels (0):");
  });

  it("lists a computed root beside pending ones once", () => {
    const y = x().mul(2);
    y.dataSync();
    const e = lt.explain(y, y.add(1));
    assertEquals(e.graph.filter((g) => g.startsWith("%0 = buffer()")).length, 1);
    assertEquals(e.graph.length, 3);
  });
});

describe("explain().kernels[i].source", () => {
  it("is a listing of the Wasm module when Wasm runs, the JS when JS runs", () => {
    const y = x().mul(2).add(1).exp().sum(1);
    lt.setCpuBackend("js");
    const js = lt.explain(y).kernels[0];
    assertEquals(js.backend, "js");
    assertEquals(js.source, js.jsSource);
    assertStringIncludes(js.source, "Math.exp");
    lt.setCpuBackend("wasm");
    if (lt.cpuBackend() !== "wasm") return; // an engine without Wasm SIMD
    const k = lt.explain(y).kernels[0];
    assertEquals(k.backend, "wasm");
    assertEquals(k.jsSource, js.jsSource);
    assert(k.source.startsWith(";; imports: e.m\n(func $f0 (param i32 i32 i32) (local "));
    for (const instruction of ["f32x4.mul", "f32x4.add", "v128.load", "loop", "br_if 0"]) {
      assert(k.source.split("\n").some((l) => l.trim().startsWith(instruction)), instruction);
    }
    assert(!k.source.includes("unknown"), k.source);
    assertEquals(k.source.trimEnd().endsWith(")"), true);
  });

  it("lists every instruction of matmul, softmax, cast and bool kernels", () => {
    if (lt.cpuBackend() !== "wasm") return;
    const a = lt.arange(64 * 48).reshape([64, 48]).float().div(1000);
    const b = lt.arange(48 * 32).reshape([48, 32]).float().div(1000);
    lt.setCpuBackend("wasm", { blas: false });
    try {
      const programs = [
        a.matmul(b).add(1).relu(),
        a.softmax(1),
        a.gt(1).logicalAnd(a.lt(2)),
        a.int().add(3).float().sin(),
      ];
      for (const p of programs) {
        for (const k of lt.explain(p).kernels.filter((k) => k.backend === "wasm")) {
          assert(!k.source.includes("unknown"), k.source.slice(0, 400));
          assert(k.source.includes("(func $f0"));
        }
      }
      assertEquals(lt.explain(programs[0]).kernels[0].backend, "wasm");
    } finally {
      lt.setCpuBackend("wasm");
    }
  });
});

describe("the README tour", () => {
  it("explains y before printing it, so the one fused kernel shows", () => {
    const readme = readTextFileSync(new URL("../README.md", import.meta.url));
    const tour = readme.split("## A 30-second tour")[1].split("```")[1];
    const explainAt = tour.indexOf("lt.explain(y)");
    const printAt = tour.indexOf("console.log(y)");
    assert(explainAt >= 0 && printAt > explainAt, tour);
    // the tour's program: one matmul kernel with the bias and relu fused in
    const x = lt.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
    const w = lt.tensor([[0.5, -1], [1, 0.25], [-0.5, 2]]);
    const y = lt.relu(x.matmul(w).add(1));
    assertEquals(lt.explain(y).kernels.length, 1);
    assertEquals(y.toArray(), [[2, 6.5], [5, 10.25]]);
  });
});
