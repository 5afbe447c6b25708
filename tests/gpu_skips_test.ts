// The GPU tests pass or skip with a note on every machine: run in a child
// `deno test` whose navigator.gpu is made to report (a) no adapter or (b) an
// adapter without shader-f16 (tests/_gpu_hide.ts, a --preload), they pass and
// say what they skipped. (c) lavapipe is the adapter CI and this machine have,
// where the GPU files run in full in `deno task test`. Also: opening WebGPU on
// Mesa prints nothing about XDG_RUNTIME_DIR (jit/runtime/_env.ts sets a private one).
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { gpu } from "./_gpu.ts";

const root = new URL("../", import.meta.url);
// child `deno test` runs: Deno only (bun test skips this file's suites)
const inDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;

/** The environment without `drop`, plus `add`. */
function envWith(add: Record<string, string>, drop: string[] = []): Record<string, string> {
  const env = Deno.env.toObject();
  for (const k of drop) delete env[k];
  return { ...env, ...add };
}

async function run(args: string[], env: Record<string, string>): Promise<[boolean, string]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  // deno colors its report when it thinks a terminal is there
  // deno-lint-ignore no-control-regex -- strips ANSI colour codes
  return [out.success, text.replace(/\x1b\[[0-9;]*m/g, "")];
}

function testFiles(files: string[], gpuMode: string): Promise<[boolean, string]> {
  return run([
    "test",
    "--no-check", // the parent run type-checks these files
    "--allow-read",
    "--allow-env",
    "--allow-write=/tmp",
    "--v8-flags=--expose-gc",
    "--preload=tests/_gpu_hide.ts",
    ...files,
  ], envWith({ LATHE_TEST_GPU: gpuMode, NO_COLOR: "1" }));
}

(inDeno ? describe : describe.skip)("GPU tests on machines without what they need", () => {
  it("(a) no adapter: every GPU test file passes, saying the WebGPU tests are skipped", async () => {
    const files = [
      "tests/webgpu_test.ts",
      "tests/float16_webgpu_test.ts",
      "tests/e2e/seeds_webgpu.ts",
    ];
    const [ok, text] = await testFiles(files, "none");
    assert(ok, text);
    for (const name of ["webgpu_test", "float16_webgpu_test", "seeds_webgpu"]) {
      assertStringIncludes(text, `${name}: no WebGPU adapter here: the WebGPU tests are skipped`);
    }
  });

  (gpu.adapter ? it : it.skip)(
    "(b) an adapter without shader-f16: the float16 tests skip with a note, the rest pass",
    async () => {
      const [ok, text] = await testFiles(["tests/float16_webgpu_test.ts"], "no-f16");
      assert(ok, text);
      assertStringIncludes(text, "lacks shader-f16: the float16-on-webgpu tests are skipped");
      assertStringIncludes(text, "refuses float16 on webgpu with a clear error ... ok");
    },
  );
});

describe("WebGPU on Mesa", () => {
  (inDeno && gpu.adapter && Deno.build.os === "linux" ? it : it.skip)(
    "opening a device without XDG_RUNTIME_DIR prints nothing about it",
    async () => {
      const script = 'import * as lt from "./mod.ts";\n' +
        'console.log(await lt.device("webgpu"), (await lt.tensor([1, 2]).to("webgpu").data())[1]);';
      // with write access to the temp folder (a private runtime folder) and without it
      for (const write of [["--allow-write=/tmp"], []]) {
        const flags = ["--no-check", "--allow-read", "--allow-env", ...write];
        const [ok, text] = await run(
          ["eval", "--ext=ts", ...flags, script],
          envWith({ NO_COLOR: "1" }, ["XDG_RUNTIME_DIR"]),
        );
        assert(ok, text);
        assertEquals(text.trim(), "webgpu 2", `with ${write.join(" ") || "no write access"}`);
      }
    },
  );
});
