// End to end on WebGPU: each seed tutorial run with `--device webgpu` prints the
// same text as on the cpu, with the same numbers up to float32 training drift.
// Slow on a software GPU (lavapipe: ~10 s quiet, over a minute on a loaded
// machine), so it is not in `deno task test`: `deno task test:gpu` runs it (CI
// has a stage for it). Skipped, with a logged note, without an adapter.
import { it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../../mod.ts";
import { main as seed000 } from "../../examples/seed_000_tensors.ts";
import { main as seed001 } from "../../examples/seed_001_layers.ts";
import { main as seed002 } from "../../examples/seed_002_model.ts";
import { main as seed003 } from "../../examples/seed_003_random.ts";
import { main as seed004 } from "../../examples/seed_004_digit.ts";
import { gpuSuite } from "../_gpu.ts";

const suite = gpuSuite("seeds_webgpu", "adapter");

type Seed = (log: (...args: unknown[]) => void, dev: lt.Device) => Promise<unknown>;

/** What a seed prints on `dev`, one line per log call, as console.log would show it. */
async function printed(seed: Seed, dev: lt.Device): Promise<string[]> {
  const lines: string[] = [];
  const text = (x: unknown) =>
    typeof x === "string" ? x : x instanceof lt.Tensor ? x.toString() : JSON.stringify(x);
  await seed((...args) => lines.push(args.map(text).join(" ")), dev);
  return lines;
}

const NUMBER = /-?\d+(?:\.\d*)?(?:e[+-]?\d+)?/g;

/** The same text, with every number within float32 training drift of the cpu's. */
function assertSameOutput(got: string[], want: string[]): void {
  assertEquals(got.length, want.length, "number of printed lines");
  const words = (line: string) => line.replace(NUMBER, "#").replace(/\s+/g, " ");
  want.forEach((line, i) => {
    assertEquals(words(got[i]), words(line), `line ${i + 1}`);
    const [g, w] = [got[i].match(NUMBER) ?? [], line.match(NUMBER) ?? []];
    g.forEach((x, k) => {
      const close = Math.abs(Number(x) - Number(w[k])) <= 1e-3 + 1e-3 * Math.abs(Number(w[k]));
      assert(close, `line ${i + 1}, number ${k + 1}: ${x} on webgpu, ${w[k]} on the cpu`);
    });
  });
}

suite(
  "seed tutorials on WebGPU print what they print on the cpu",
  () => {
    const seeds: [string, Seed][] = [
      ["000", seed000],
      ["001", seed001],
      ["002", seed002],
      ["003", seed003],
      ["004", seed004],
    ];
    for (const [name, seed] of seeds) {
      it(`${name} --device webgpu`, async () => {
        const dev = await lt.device("webgpu", { fallback: false });
        assertSameOutput(await printed(seed, dev), await printed(seed, "cpu"));
      });
    }
  },
);
