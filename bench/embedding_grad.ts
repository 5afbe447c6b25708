/**
 * Embedding train steps with a 100-row and a 50,000-row vocabulary (issue
 * 15): the gradient of `take` is a scatter-add into the rows used, so a step
 * costs batch × dim whatever the vocabulary (the compare-and-sum it replaced
 * cost vocabulary × batch × dim). Prints the median step time of each under
 * jit and their ratio. The gradient is dense (like torch's default
 * `sparse=False`): it is zeros of vocabulary × dim with the used rows added,
 * and the SGD update reads and writes the whole table, so those two parts
 * grow with the vocabulary; the update alone is timed too, to show the rest.
 *
 * Usage: `deno run -A bench/embedding_grad.ts [--steps=30]`
 * @module
 */
import * as lt from "../mod.ts";

const steps = Number(Deno.args.find((a) => a.startsWith("--steps="))?.slice(8) ?? 30);
const [batch, seq, dim] = [64, 32, 64];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms of a jit step (gradient + SGD update) and of the update alone. */
function time(vocab: number): { step: number; update: number } {
  const key = lt.random.key(0);
  let w = lt.random.normal(key, [vocab, dim]);
  const ids = lt.random.randint(lt.random.key(1), [batch, seq], 0, vocab);
  const target = lt.random.normal(lt.random.key(2), [batch, seq, dim]);
  const loss = (w: lt.Tensor) => w.take(ids, 0).sub(target).square().mean();
  const train = lt.jit((w: lt.Tensor) => w.sub(lt.grad(loss)(w).mul(0.1)));
  const update = lt.jit((w: lt.Tensor) => w.sub(w.mul(1e-3)));
  const stepMs: number[] = [];
  const updateMs: number[] = [];
  for (let i = 0; i < steps + 3; i++) {
    let t = performance.now();
    w = train(w);
    w.dataSync();
    if (i >= 3) stepMs.push(performance.now() - t);
    t = performance.now();
    update(w).dataSync();
    if (i >= 3) updateMs.push(performance.now() - t);
  }
  return { step: median(stepMs), update: median(updateMs) };
}

const small = time(100);
const large = time(50_000);
console.log(`embedding train step, ids [${batch}, ${seq}], dim ${dim}, ${steps} steps, jit:`);
console.log(
  `  vocab    100: ${small.step.toFixed(2)} ms/step (table update alone ${
    small.update.toFixed(2)
  } ms)`,
);
console.log(
  `  vocab 50,000: ${large.step.toFixed(2)} ms/step (table update alone ${
    large.update.toFixed(2)
  } ms)`,
);
console.log(
  `  ratio ${(large.step / small.step).toFixed(2)}x; without the table update ${
    ((large.step - large.update) / Math.max(small.step - small.update, 1e-3)).toFixed(2)
  }x`,
);
