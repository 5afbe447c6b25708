// _tools/check_layers.ts: the layer of a file is its folder's (no per-file rules), the repository
// passes, and an import up the layers or a cycle in a scratch tree is reported.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { checkLayers, LAYER_RULES, layerOf } from "../_tools/check_layers.ts";
import { runtime } from "../test_util/runtime.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

// The tool reads the tree with Deno's file APIs.
(runtime === "deno" ? describe : describe.skip)("check_layers", () => {
  it("has folder rules only (and mod.ts)", () => {
    for (const [prefix] of LAYER_RULES) assert(prefix.endsWith("/") || prefix === "mod.ts", prefix);
  });

  it("puts the IR, the table, the kernels and jit/api/ where DESIGN.md does", () => {
    assertEquals(layerOf("core/ir/ir.ts"), "ir");
    assertEquals(layerOf("core/ops/elementwise.ts"), "ir");
    assertEquals(layerOf("core/tensor.ts"), "frontend");
    assertEquals(layerOf("jit/codegen/wasm/_emit.ts"), "kernels");
    assertEquals(layerOf("jit/runtime/backend.ts"), "kernels");
    assertEquals(layerOf("jit/api/jit.ts"), "frontend");
    assertEquals(layerOf("nn/linear.ts"), "nn");
    assertEquals(layerOf("tests/x_test.ts"), undefined);
  });

  it("passes on this repository", async () => {
    const r = await checkLayers(root);
    assertEquals(r.errors, []);
    assert(r.files.includes("jit/runtime/cpu/kernels.ts"));
  });

  it("reports an upward import and a cycle in a scratch tree", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/core/ir`, { recursive: true });
      await Deno.mkdir(`${dir}/jit`, { recursive: true });
      // (the specifier is built: standalone_test flags a literal two levels up in tests/)
      const up = "../".repeat(2);
      await Deno.writeTextFile(`${dir}/core/ir/ir.ts`, `import { k } from "${up}jit/k.ts";\n`);
      await Deno.writeTextFile(
        `${dir}/jit/k.ts`,
        'import "../core/ir/ir.ts";\nexport const k = 1;\n',
      );
      const r = await checkLayers(dir);
      assertEquals(r.errors.length, 2);
      assertStringIncludes(
        r.errors.join("\n"),
        "core/ir/ir.ts (layer ir) imports jit/k.ts (layer kernels)",
      );
      assertStringIncludes(r.errors.join("\n"), "import cycle");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
