// Sampling (issue 15): random.categorical with temperature, topK and topP,
// and random.multinomial with and without replacement. Frequencies are
// checked against the distributions (tolerances of about 5 standard
// deviations over 20,000 draws), the filters against the classes they allow.
import { describe, it } from "@std/testing/bdd";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";

const DRAWS = 20_000;

function frequencies(samples: ArrayLike<number>, classes: number): number[] {
  const counts = new Array(classes).fill(0);
  for (let i = 0; i < samples.length; i++) counts[samples[i]]++;
  return counts.map((c) => c / samples.length);
}

describe("random.categorical", () => {
  const probs = [0.5, 0.25, 0.15, 0.1];
  const logits = lt.tensor(probs).log().reshape([1, 4]).broadcastTo([DRAWS, 4]);

  it("samples the softmax of the logits", () => {
    const f = frequencies(lt.random.categorical(lt.random.key(0), logits).dataSync(), 4);
    f.forEach((p, i) => assertAlmostEquals(p, probs[i], 0.02));
  });
  it("is the same for the same key and differs for another", () => {
    const a = lt.random.categorical(lt.random.key(3), logits).dataSync();
    const b = lt.random.categorical(lt.random.key(3), logits).dataSync();
    const c = lt.random.categorical(lt.random.key(4), logits).dataSync();
    assertEquals(a, b);
    assertEquals(a.some((v, i) => v !== c[i]), true);
  });
  it("sharpens with a low temperature and flattens with a high one", () => {
    const cold = frequencies(
      lt.random.categorical(lt.random.key(1), logits, { temperature: 0.5 }).dataSync(),
      4,
    );
    // p^(1/T) normalised: 0.25, 0.0625, 0.0225, 0.01 over 0.345
    assertAlmostEquals(cold[0], 0.25 / 0.345, 0.02);
    const hot = frequencies(
      lt.random.categorical(lt.random.key(2), logits, { temperature: 100 }).dataSync(),
      4,
    );
    hot.forEach((p) => assertAlmostEquals(p, 0.25, 0.02));
  });
  it("keeps only the topK classes, renormalised", () => {
    const f = frequencies(
      lt.random.categorical(lt.random.key(5), logits, { topK: 2 }).dataSync(),
      4,
    );
    assertEquals([f[2], f[3]], [0, 0]);
    assertAlmostEquals(f[0], 2 / 3, 0.02);
  });
  it("keeps the nucleus whose mass first reaches topP", () => {
    // 0.5 < 0.7, 0.5 + 0.25 >= 0.7: classes 0 and 1
    const f = frequencies(
      lt.random.categorical(lt.random.key(6), logits, { topP: 0.7 }).dataSync(),
      4,
    );
    assertEquals([f[2], f[3]], [0, 0]);
    assertAlmostEquals(f[1], 1 / 3, 0.02);
    const one = lt.random.categorical(lt.random.key(7), logits, { topP: 0.1 }).dataSync();
    assertEquals(one.every((v) => v === 0), true);
  });
  it("rejects bad options with the allowed range", () => {
    const x = lt.zeros([2, 3]);
    const k = lt.random.key(0);
    assertThrows(
      () => lt.random.categorical(k, x, { temperature: 0 }),
      RangeError,
      "categorical() expected a temperature > 0: found 0: use topK: 1 for greedy decoding",
    );
    assertThrows(
      () => lt.random.categorical(k, x, { topK: 0 }),
      RangeError,
      "topK to be an integer >= 1",
    );
    assertThrows(
      () => lt.random.categorical(k, x, { topP: 1.5 }),
      RangeError,
      "topP in (0, 1]: found 1.5",
    );
    assertThrows(
      () => lt.random.categorical(k, lt.zeros([2, 0])),
      RangeError,
      "at least one class",
    );
  });
});

describe("random.multinomial", () => {
  it("draws in proportion to the weights with replacement", () => {
    const draw = lt.random.multinomial(lt.random.key(8), lt.tensor([1, 3, 0, 4]), DRAWS, {
      replacement: true,
    });
    assertEquals(draw.shape, [DRAWS]);
    const f = frequencies(draw.dataSync(), 4);
    [0.125, 0.375, 0, 0.5].forEach((p, i) => assertAlmostEquals(f[i], p, 0.02));
  });
  it("never repeats a class without replacement, and takes the heavy ones first", () => {
    const rows = lt.tensor([1, 1, 100, 0.01]).reshape([1, 4]).broadcastTo([2000, 4]);
    const draw = lt.random.multinomial(lt.random.key(9), rows, 2).toArray() as number[][];
    assertEquals(draw.every(([a, b]) => a !== b), true);
    const firstIsHeavy = draw.filter(([a]) => a === 2).length / draw.length;
    assertAlmostEquals(firstIsHeavy, 100 / 102.01, 0.01);
  });
  it("says how many samples it can draw and rejects negative weights", () => {
    const w = lt.tensor([1, 2]);
    assertThrows(
      () => lt.random.multinomial(lt.random.key(0), w, 3),
      RangeError,
      "multinomial() expected numSamples to be an integer from 1 to the class count 2: found 3: pass { replacement: true } to draw more",
    );
    assertThrows(
      () => lt.random.multinomial(lt.random.key(0), lt.tensor([1, -1]), 1),
      RangeError,
      "multinomial() expected non-negative finite weights: found -1 at flat position 1",
    );
  });
});
