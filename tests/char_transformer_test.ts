// examples/char_transformer.ts on a tiny configuration: it trains (the loss
// falls below the uniform guess's), samples lower-case words, and its
// parameters flatten to the PyTorch twin's state-dict names.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { main } from "../examples/char_transformer.ts";
import { encode, loadWords, makeModel, stateDict } from "../examples/_char_model.ts";

const config = { vocab: 27, context: 16, dim: 32, heads: 4, layers: 1 };

describe("char transformer example", () => {
  it("trains, evaluates and samples words", async () => {
    const r = await main({
      steps: 40,
      batch: 16,
      words: 2000,
      lr: 1e-2,
      config,
      device: "cpu",
      log: () => {},
    });
    assertEquals(r.losses.length, 40);
    assert(r.valLoss < Math.log(27) - 0.4, `validation loss ${r.valLoss}`);
    assert(r.samples.every((w) => /^[a-z]*$/.test(w)), r.samples.join(" "));
  });
  it("names its parameters like the PyTorch module's state dict", () => {
    const names = Object.keys(stateDict(makeModel(config).init(lt.random.key(0)))).sort();
    assertEquals(names, [
      "blocks.0.attn.in_proj_bias",
      "blocks.0.attn.in_proj_weight",
      "blocks.0.attn.out_proj.bias",
      "blocks.0.attn.out_proj.weight",
      "blocks.0.fc1.bias",
      "blocks.0.fc1.weight",
      "blocks.0.fc2.bias",
      "blocks.0.fc2.weight",
      "blocks.0.ln1.bias",
      "blocks.0.ln1.weight",
      "blocks.0.ln2.bias",
      "blocks.0.ln2.weight",
      "head.bias",
      "head.weight",
      "ln_f.bias",
      "ln_f.weight",
      "pos_emb.weight",
      "tok_emb.weight",
    ]);
  });
  it("encodes words makemore style: '.' first, targets shifted, padding ignored", () => {
    const { x, y } = encode(["ab"], 5);
    assertEquals([...x], [0, 1, 2, 0, 0]);
    assertEquals([...y], [1, 2, 0, -1, -1]);
    const { train, val } = loadWords(100, 16, 1);
    assertEquals([train.length, val.length], [90, 10]);
  });
});
