// The elementwise primitive table (core/ops/elementwise.ts): every row is
// complete and consistent with the layers that read it. The per-op numerics
// are in elementwise_test.ts (values), grad_ops_test.ts (gradients),
// wasm_test.ts and webgpu_test.ts (the other tiers against the JS reference).
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import { Node } from "../core/ir/ir.ts";
import { alu, type AluOp, elementwiseOps } from "../core/ops/elementwise.ts";
import {
  definePrimitive,
  elementwiseBatch,
  isMissing,
  jsHelpers,
  missing,
  sameAsInput,
} from "../core/ops/primitive.ts";
import { runtimeJs } from "../jit/runtime/cpu/js.ts";
import { reductionOf, reductions } from "../core/ops/reductions.ts";
import { wasmRoutines } from "../jit/codegen/wasm/_alu.ts";
import type { DType } from "../core/ir/dtype.ts";

const ops = Object.keys(elementwiseOps) as AluOp[];

function operands(op: AluOp): Node[] {
  const x = () => Node.fromBuffer(new Float32Array([0.5, -1.5, 2]), "float32", [3]);
  const p = elementwiseOps[op];
  if (op === "where") return [Node.fromBuffer(new Uint8Array([1, 0, 1]), "bool", [3]), x(), x()];
  return Array.from({ length: p.arity }, x);
}

describe("the elementwise primitive table", () => {
  it("names every row by its key", () => {
    for (const op of ops) assertEquals(elementwiseOps[op].name, op);
  });

  it("gives each op's node the dtype and shape of its result rule", () => {
    const predicates = ops.filter((op) => alu(op, ...operands(op)).dtype === "bool");
    assertEquals(predicates.sort(), ["cmpeq", "cmplt", "isnan"]);
    for (const op of ops) assertEquals(alu(op, ...operands(op)).shape, [3], op);
  });

  it("has a reverse-mode rule returning one cotangent per operand", () => {
    for (const op of ops) {
      const node = alu(op, ...operands(op));
      const ct = Node.fromBuffer(new Float32Array([1, 1, 1]), node.dtype, [3]);
      const cts = elementwiseOps[op].vjp(ct, node, node);
      assertEquals(cts.length, elementwiseOps[op].arity, `${op}() vjp`);
      for (const g of cts) if (g !== undefined) assertEquals(g.shape, [3], `${op}() cotangent`);
    }
  });

  it("JS forms call only helpers that the runtime passes as rt", () => {
    const called = new Set<string>();
    for (const op of ops) {
      const args = ["a", "b", "c"].slice(0, elementwiseOps[op].arity);
      for (const dtype of ["float32", "float64", "int32", "bool"] as DType[]) {
        const js = elementwiseOps[op].kernel.js(args, dtype);
        for (const [, name] of js.matchAll(/\brt\.(\w+)/g)) called.add(name);
      }
    }
    for (const name of called) assert(typeof runtimeJs[name] === "function", `rt.${name}`);
    assertEquals([...called].sort(), Object.keys(jsHelpers).sort());
  });

  it("Wasm forms name routines the Wasm generator emits, or say why there is none", () => {
    for (const op of ops) {
      const form = elementwiseOps[op].kernel.wasm;
      if (isMissing(form)) {
        assert(form.missing.length > 0, `${op}() gives a reason for its missing Wasm form`);
        continue;
      }
      for (const routine of [form.f32, form.i32, form.mask]) {
        if (routine !== undefined) assert(routine in wasmRoutines, `${op}(): ${routine}`);
      }
    }
  });

  it("rejects a row without a form for every backend at compile time", () => {
    const row = {
      arity: 1,
      shape: sameAsInput,
      vjp: () => [undefined],
      batch: elementwiseBatch,
      cost: "cheap",
    } as const;
    const jsAndWgsl = { js: ([x]: readonly string[]) => x, wgsl: ([x]: readonly string[]) => x };
    // @ts-expect-error: the Wasm form (or `missing("why")`) is required
    const noWasm = definePrimitive("noWasm", { ...row, kernel: jsAndWgsl });
    const kernel = { ...jsAndWgsl, wasm: missing("a test row") };
    // @ts-expect-error: the batching rule is required
    const noBatch = definePrimitive("noBatch", { ...row, batch: undefined, kernel });
    // @ts-expect-error: and cannot be left out on purpose (vmap needs every primitive)
    const gapBatch = definePrimitive("gapBatch", { ...row, batch: missing("later"), kernel });
    assertEquals([noWasm.name, noBatch.name, gapBatch.name], ["noWasm", "noBatch", "gapBatch"]);
  });
});

describe("the reduction table", () => {
  it("declares an identity that its combine leaves every value unchanged by, per dtype", () => {
    const samples: Record<string, number[]> = {
      float32: [-3.5, 0, 2, Infinity, -Infinity],
      int32: [-2147483648, -7, 0, 9, 2147483647],
      bool: [0, 1],
    };
    for (const [name, r] of Object.entries(reductions)) {
      const js = elementwiseOps[r.combine].kernel.js(["v", "acc"], "float64");
      const combine = new Function("rt", "v", "acc", `return ${js};`);
      for (const [dtype, values] of Object.entries(samples)) {
        const identity = r.identity(dtype as DType);
        for (const v of values) {
          assertEquals(combine(runtimeJs, v, identity), v, `${name} on ${dtype}: ${v}`);
        }
      }
    }
  });

  it("keeps each kind's declaration under that kind", () => {
    for (const r of Object.values(reductions)) assertEquals(reductionOf[r.kind], r);
    assertEquals(Object.keys(reductionOf).sort(), ["argmax", "max", "prod", "sum"]);
  });
});
