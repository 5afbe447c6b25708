// safetensors: torch-written files decode to the exact bits (every dtype,
// NaN payloads, -0, ±inf, subnormals), round trips are exact, trees and
// optimizer state keep their names, and aligned tensors are views, not copies.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals, assertNotStrictEquals, assertStrictEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { linear, relu, sequential } from "../nn/mod.ts";
import { adam } from "../nn/optim.ts";
import { expected, fixtureBytes, hexOf } from "./_io_fixture.ts";
import { halfToNumber } from "../core/io/_codec.ts";

const { io } = lt;

describe("decodeSafetensors()", () => {
  const file = io.decodeSafetensors(fixtureBytes("dtypes.safetensors"));
  for (const [name, want] of Object.entries(expected["dtypes.safetensors"])) {
    it(`reads ${name} (written by torch) as ${want.dtype} with the exact bits`, () => {
      const t = file.tensors[name];
      assertEquals([t.dtype, t.shape, hexOf(t)], [want.dtype, want.shape, want.hex]);
    });
  }

  it("reads __metadata__", () => {
    assertEquals(file.metadata, { format: "pt", note: "edge values" });
  });

  it("views aligned tensors in the file's bytes and copies with { copy: true }", () => {
    const bytes = fixtureBytes("mlp_f32.safetensors");
    const viewed = io.decodeSafetensors(bytes).tensors["0.weight"].dataSync();
    assertStrictEquals(viewed.buffer, bytes.buffer);
    const copied = io.decodeSafetensors(bytes, { copy: true }).tensors["0.weight"].dataSync();
    assertNotStrictEquals(copied.buffer, bytes.buffer);
    assertEquals(Array.from(copied), Array.from(viewed));
  });

  it("copies a tensor that is not aligned in memory", () => {
    const bytes = io.encodeSafetensors({ w: lt.tensor([1.5, -2]) });
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const w = io.decodeSafetensors(shifted).tensors.w;
    assertEquals(w.toArray(), [1.5, -2]);
    assertEquals(w.dataSync().byteOffset % 4, 0);
  });
});

describe("encodeSafetensors()", () => {
  it("round-trips every dtype bit for bit (BF16 stored back as BF16)", () => {
    const file = io.decodeSafetensors(fixtureBytes("dtypes.safetensors"));
    const { tensors } = file;
    const bytes = io.encodeSafetensors(tensors, {
      metadata: file.metadata,
      dtypes: { bf16: "BF16", i64: "I64" },
    });
    const again = io.decodeSafetensors(bytes);
    for (const name of Object.keys(tensors)) {
      const [a, b] = [tensors[name], again.tensors[name]];
      assertEquals([b.dtype, b.shape, hexOf(b)], [a.dtype, a.shape, hexOf(a)], name);
    }
    assertEquals(again.metadata, file.metadata);
    // the BF16 data bytes are the original file's
    const original = fixtureBytes("dtypes.safetensors");
    const slice = (b: Uint8Array) => {
      const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      const entry = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))).bf16;
      return Array.from(b.subarray(8 + n + entry.data_offsets[0], 8 + n + entry.data_offsets[1]));
    };
    assertEquals(slice(bytes), slice(original));
  });

  it("rounds float32 to BF16 and F16 like torch's .bfloat16() and .half()", () => {
    // 1 + 2^-8 is halfway between the bf16 neighbours 1 and 1 + 2^-7: ties to even gives 1
    const x = lt.tensor([1 + 2 ** -8, 1 + 3 * 2 ** -8, 65519, 1e-8], { dtype: "float32" });
    const file = io.decodeSafetensors(
      io.encodeSafetensors({ b: x, h: x }, { dtypes: { b: "BF16", h: "F16" } }),
    );
    // values printed by torch 1.13: x.bfloat16().float() and x.half().float()
    assertEquals(file.tensors.b.toArray(), [1, 1.015625, 65536, 1.0011717677116394e-8]);
    assertEquals(file.tensors.h.toArray(), [1.00390625, 1.01171875, 65504, 0]);
  });

  it("aligns every tensor to its element size and pads the header to 8 bytes", () => {
    const bytes = io.encodeSafetensors({
      a: lt.tensor([true]),
      b: lt.tensor([1], { dtype: "float64" }),
      c: lt.tensor([1], { dtype: "float16" }),
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assertEquals(n % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assertEquals(header.b.data_offsets, [0, 8]);
    assertEquals(header.c.data_offsets, [8, 10]);
    assertEquals(header.a.data_offsets, [10, 11]);
  });
});

describe("safetensors and parameter trees", () => {
  it("saves params and optimizer state together and resumes training identically", () => {
    const model = sequential(linear(3, 4), relu, linear(4, 2));
    const opt = adam(0.01);
    const x = lt.random.normal(lt.random.key(3), [5, 3]);
    const loss = (p: lt.Tree) => model.apply(p as never, x).square().mean();
    const step = (p: lt.Tree, s: lt.Tree) => {
      const g = lt.grad(loss)(p);
      const [u, next] = opt.update(g as never, s as never, p as never);
      return [lt.tree.map((a, b) => a.add(b), p, u), next] as const;
    };
    let params: lt.Tree = model.init(lt.random.key(0));
    let state: lt.Tree = opt.init(params as never);
    [params, state] = step(params, state);
    const bytes = io.encodeSafetensors({ params, state });
    assert(Object.keys(io.decodeSafetensors(bytes).tensors).includes("state.0.mu.0.weight"));
    const template = {
      params: model.init(lt.random.key(9)),
      state: opt.init(model.init(lt.random.key(9))),
    };
    const loaded = io.loadStateDict(template, io.decodeSafetensors(bytes).tensors);
    const [a] = step(params, state);
    const [b] = step(loaded.params, loaded.state);
    for (const [name, t] of Object.entries(io.stateDict(a))) {
      assertEquals(hexOf(io.stateDict(b)[name]), hexOf(t), name);
    }
  });
});

describe("loadSafetensors() and saveSafetensors()", () => {
  const bytes = fixtureBytes("mlp_f32.safetensors") as Uint8Array<ArrayBuffer>;
  const want = hexOf(io.decodeSafetensors(bytes).tensors["2.weight"]);
  const sources: [string, () => lt.io.ByteSource][] = [
    ["a fetch Response (streamed body)", () => new Response(new Blob([bytes]).stream())],
    ["a Blob", () => new Blob([bytes])],
    ["a ReadableStream", () => new Blob([bytes]).stream()],
    ["an ArrayBuffer", () => bytes.slice().buffer],
    ["a file path", () => new URL("./fixtures/io/mlp_f32.safetensors", import.meta.url).pathname],
    ["a file: URL", () => new URL("./fixtures/io/mlp_f32.safetensors", import.meta.url)],
  ];
  for (const [what, source] of sources) {
    it(`loads from ${what}`, async () => {
      const file = await io.loadSafetensors(source());
      assertEquals(hexOf(file.tensors["2.weight"]), want);
      assertEquals(file.metadata, { format: "pt" });
    });
  }

  it("saves to a file and loads it back", async () => {
    const path = `/tmp/lathe_io_test_${crypto.randomUUID()}.safetensors`;
    const tree = {
      w: lt.tensor([[1, 2]], { dtype: "float64" }),
      n: lt.tensor([3], { dtype: "int32" }),
    };
    await io.saveSafetensors(path, tree, { metadata: { step: "1" } });
    const file = await io.loadSafetensors(path);
    assertEquals(file.tensors.w.dtype, "float64");
    assertEquals(file.tensors.n.toArray(), [3]);
    assertEquals(file.metadata, { step: "1" });
    await io.saveNpy(path, tree.w);
    assertEquals((await io.loadNpy(path)).toArray(), [[1, 2]]);
  });
});

describe("halfToNumber() (float16 without Float16Array)", () => {
  it("matches Float16Array on every bit pattern", () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const halves = new Float16Array(bits.buffer);
    for (let i = 0; i < 65536; i++) {
      const [a, b] = [halfToNumber(i), halves[i]];
      if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) {
        throw new Error(`bits ${i.toString(16)}: ${a} !== ${b}`);
      }
    }
  });
});
