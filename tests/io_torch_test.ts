// PyTorch state_dicts saved as safetensors (by tests/fixtures/io/gen_io.py
// from torch 1.13) load into Lathe's layers by path names, and the logits
// equal torch's: 1e-6 in float64, 1e-5 in float32.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { embedding, layerNorm, linear, relu, sequential, tanh } from "../nn/mod.ts";
import { assertClose } from "./_close.ts";
import { fixtureBytes } from "./_io_fixture.ts";

const { io } = lt;

function load(name: string): Record<string, lt.Tensor> {
  return io.decodeSafetensors(fixtureBytes(name)).tensors;
}

const mlp = sequential(linear(5, 16), relu, linear(16, 16), tanh, linear(16, 3));
const ref = load("mlp_ref.safetensors");

describe("loading torch state_dicts", () => {
  it("nn.Sequential(Linear, ReLU, Linear, Tanh, Linear) in float32 gives torch's logits", () => {
    const params = io.loadStateDict(mlp.init(lt.random.key(0)), load("mlp_f32.safetensors"));
    assertEquals(io.stateDict(params)["0.weight"].dtype, "float32");
    const logits = mlp.apply(params, ref.x_f32);
    assertClose(logits, ref.logits_f32.toArray(), { atol: 1e-5, rtol: 0 });
  });

  it("the same model in float64 gives torch's logits to 1e-6", () => {
    const template = lt.tree.map((t) => t.double(), mlp.init(lt.random.key(0)));
    const params = io.loadStateDict(template, load("mlp_f64.safetensors"));
    assertEquals(io.stateDict(params)["4.bias"].dtype, "float64");
    const logits = mlp.apply(params, ref.x_f64);
    assertEquals(logits.dtype, "float64");
    assertClose(logits, ref.logits_f64.toArray(), { atol: 1e-6, rtol: 0 });
  });

  it("casts to the template's dtype (float32 file into a float64 model)", () => {
    const template = lt.tree.map((t) => t.double(), mlp.init(lt.random.key(0)));
    const params = io.loadStateDict(template, load("mlp_f32.safetensors"));
    assertEquals(io.stateDict(params)["2.weight"].dtype, "float64");
    assertClose(mlp.apply(params, ref.x_f64), ref.logits_f32.toArray(), { atol: 1e-5, rtol: 0 });
  });

  it("Embedding, LayerNorm and Linear, with int64 ids, give torch's logits", () => {
    const model = sequential(embedding(10, 6), layerNorm(6), linear(6, 4));
    const params = io.loadStateDict(model.init(lt.random.key(0)), load("embed.safetensors"));
    const r = load("embed_ref.safetensors");
    assertEquals(r.ids.dtype, "int32"); // stored as I64 by torch
    assertClose(model.apply(params, r.ids), r.logits.toArray(), { atol: 1e-5, rtol: 0 });
  });

  it("a module with named children (fc1, fc2) loads into an object tree", () => {
    const fc1 = linear(3, 7);
    const fc2 = linear(7, 2);
    const template = { fc1: fc1.init(lt.random.key(0)), fc2: fc2.init(lt.random.key(1)) };
    const p = io.loadStateDict(template, load("named.safetensors"));
    const r = load("named_ref.safetensors");
    const logits = fc2.apply(p.fc2, fc1.apply(p.fc1, r.x).relu());
    assertClose(logits, r.logits.toArray(), { atol: 1e-5, rtol: 0 });
  });

  it("maps other layouts with { prefix } and { rename }", () => {
    const sd = load("named.safetensors");
    const wrapped = Object.fromEntries(Object.entries(sd).map(([k, t]) => [`model.${k}`, t]));
    const template = {
      fc1: linear(3, 7).init(lt.random.key(0)),
      fc2: linear(7, 2).init(lt.random.key(0)),
    };
    const p = io.loadStateDict(template, wrapped, { prefix: "model." });
    assertEquals(p.fc2.bias!.toArray(), sd["fc2.bias"].toArray());
    const seq = sequential(linear(3, 7), relu, linear(7, 2));
    const q = io.loadStateDict(seq.init(lt.random.key(0)), sd, {
      rename: (name) => name.replace(/^0\./, "fc1.").replace(/^2\./, "fc2."),
    });
    assertEquals(io.stateDict(q)["2.weight"].toArray(), sd["fc2.weight"].toArray());
  });

  it("names the first mismatching path and both shapes", () => {
    const wrong = sequential(linear(5, 16), relu, linear(16, 8), tanh, linear(8, 3));
    assertThrows(
      () => io.loadStateDict(wrong.init(lt.random.key(0)), load("mlp_f32.safetensors")),
      RangeError,
      `loadStateDict() expected "2.bias" of shape [8] (the template's): found [16]: ` +
        `build the model with the sizes the file was saved with`,
    );
  });

  it("lists missing and unexpected names", () => {
    const sd = load("named.safetensors");
    assertThrows(
      () => io.loadStateDict({ fc1: linear(3, 7).init(lt.random.key(0)) }, sd),
      TypeError,
      `loadStateDict() got 2 tensor(s) the template does not use: ["fc2.bias", "fc2.weight"]: ` +
        `pass { strict: false } to ignore them, or { prefix } to pick a sub-tree`,
    );
    const partial = io.loadStateDict({ fc1: linear(3, 7).init(lt.random.key(0)) }, sd, {
      strict: false,
    });
    assertEquals(partial.fc1.bias!.toArray(), sd["fc1.bias"].toArray());
    assertThrows(
      () => io.loadStateDict({ fc3: { w: lt.ones([1]) } }, sd),
      TypeError,
      `loadStateDict() found no tensor for 1 name(s) of the template: ["fc3.w"]; the record has ` +
        `["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]: pass { prefix } or { rename } to map the names`,
    );
    assertThrows(
      () => io.loadStateDict({}, sd, { strct: true } as never),
      TypeError,
      `loadStateDict() got an unknown option "strct": expected one of prefix, rename, strict`,
    );
  });
});
