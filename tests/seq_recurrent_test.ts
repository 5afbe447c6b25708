// Recurrent layers and the sequence loss (issue 15): lstmCell, gruCell,
// lstm, gru against torch's own modules with the same weights (torch's
// parameter names), crossEntropy over [batch, seq, vocab] with ignoreIndex,
// values and gradients in float64 and on every tier; init order; errors.
import { describe, it } from "@std/testing/bdd";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { crossEntropy, gruCell, lstm, lstmCell } from "../nn/mod.ts";
import { checkEveryTier, seqCases } from "./_seq_fixture.ts";

const ops = new Set(["lstmCell", "gruCell", "lstm", "gru", "crossEntropy"]);
const cases = seqCases.filter((c) => ops.has(c.op));

describe("recurrent layers and crossEntropy against PyTorch float64", () => {
  it("covers every op of the fixture", () => {
    assertEquals(new Set(cases.map((c) => c.op)), ops);
  });
  for (const c of cases) {
    it(`${c.name}: float64 eager and jit, float32 on js, wasm and webgpu`, async () => {
      await checkEveryTier(c);
    });
  }
});

describe("recurrent layers", () => {
  it("name and shape their parameters like torch's state dicts", () => {
    const p = lstm(3, 4, { numLayers: 2 }).init(lt.random.key(0));
    assertEquals(Object.keys(p).sort(), [
      "bias_hh_l0",
      "bias_hh_l1",
      "bias_ih_l0",
      "bias_ih_l1",
      "weight_hh_l0",
      "weight_hh_l1",
      "weight_ih_l0",
      "weight_ih_l1",
    ]);
    assertEquals([p.weight_ih_l0.shape, p.weight_ih_l1.shape], [[16, 3], [16, 4]]);
    // uniform in ±1/√H like torch
    assertEquals(p.weight_hh_l1.abs().max().item() <= 0.5, true);
    assertEquals(Object.keys(gruCell(2, 3, { bias: false }).init(lt.random.key(1))).sort(), [
      "weight_hh",
      "weight_ih",
    ]);
  });
  it("say what input and parameters they expect", () => {
    const cell = lstmCell(3, 4);
    const p = cell.init(lt.random.key(0));
    assertThrows(
      () => cell.step(p, lt.ones([2, 5])),
      RangeError,
      "lstmCell(3 → 4).step() expected an input [batch, 3]: found [2, 5]",
    );
    assertThrows(
      () => cell.step({ ...p, weight_hh: lt.ones([4, 4]) }, lt.ones([2, 3])),
      TypeError,
      "lstmCell(3 → 4).step() expected params { weight_ih: [16, 3], weight_hh: [16, 4], bias_ih, bias_hh }",
    );
    assertThrows(
      () => lstm(3, 4).apply(lstm(3, 4).init(lt.random.key(0)), lt.ones([2, 3])),
      RangeError,
      "lstm(3 → 4, 1 layer).apply() expected a batch-first sequence [batch, time, 3]: found [2, 3]",
    );
  });
});

describe("crossEntropy ignoreIndex", () => {
  it("gives NaN when every label is ignored (torch's mean over none) and rejects it with probabilities", () => {
    const logits = lt.zeros([1, 2, 3]);
    const labels = lt.tensor([[-1, -1]], { dtype: "int32" });
    assertEquals(Number.isNaN(crossEntropy(logits, labels, { ignoreIndex: -1 }).item()), true);
    assertAlmostEquals(
      crossEntropy(logits, labels, { ignoreIndex: -1, reduction: "sum" }).item(),
      0,
    );
    assertThrows(
      () => crossEntropy(logits, lt.ones([1, 2, 3]).div(3), { ignoreIndex: 0 }),
      TypeError,
      "crossEntropy() takes ignoreIndex with int32 class labels only",
    );
  });
});
