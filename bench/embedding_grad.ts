/**
 * Embedding train steps with a 100-row and a 50,000-row vocabulary (issue
 * 15), three ways, interleaved step by step so that each ratio is measured
 * under the same load:
 * - dense: `jit(w => w - lr · grad(loss)(w))`, like torch without
 *   `sparse=True`: the gradient is a scatter-add into the rows used, but it
 *   is a zeros-filled vocabulary × dim table and the update reads and writes
 *   the whole table, so the step grows with the vocabulary;
 * - donated: the same dense step jitted with `donate: [0]`: the scatter-add
 *   into the donated table runs as passes over the updates that write only
 *   the rows used (jit/_donate_scatter.ts), so the step follows the batch;
 *   they are written in the table's Wasm copy only, its host array written
 *   back when read (not read here between steps: a read costs a table copy);
 * - sparse SGD: the looked-up rows' gradient under jit, `rowSparseGrad`, and
 *   `sparseSgd`, which writes only the rows used into the donated table;
 * - sparse Adam: the same with `sparseAdam` (torch's `SparseAdam`).
 * Prints the median step time of each and the 50,000 / 100 and
 * 500,000 / 100 ratios. A 500,000-row table runs the donated and sparse
 * steps (not the dense one: 128 MB a step): with 2,048 lookups, 100 rows
 * means ≤ 100 distinct rows a step and 50,000 about 2,000 (printed), so the
 * row update does ~20x more row work there; 500,000 rows touch about as
 * many rows as 50,000, so the step should match.
 * Tables start at zeros (the values do not change the time).
 *
 * Usage: `deno run -A bench/embedding_grad.ts [--steps=30]`
 * @module
 */
import * as lt from "../mod.ts";
import { rowSparseGrad, sparseAdam, sparseSgd } from "../nn/optim.ts";

const steps = Number(
  Deno.args.find((a) => a.startsWith("--steps="))?.slice(8) ?? 30,
);
const [batch, seq, dim] = [64, 32, 64];
const lr = 0.1;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Step = () => void;

/** The train steps for one vocabulary size (ids drawn below `range`). */
function steppers(vocab: number, range = vocab): Record<string, Step> {
  const ids = lt.random.randint(lt.random.key(1), [batch, seq], 0, range);
  const target = lt.random.normal(lt.random.key(2), [batch, seq, dim]);
  const rowsLoss = (rows: lt.Tensor) => rows.sub(target).square().mean();
  const init = () => lt.zeros([vocab, dim]);
  // dense: the whole table's gradient and update
  let wDense = vocab > 50_000 ? lt.zeros([1, dim]) : init();
  const denseStep = (w: lt.Tensor) =>
    w.sub(lt.grad((w: lt.Tensor) => rowsLoss(w.take(ids, 0)))(w).mul(lr));
  const dense = lt.jit(denseStep);
  const donated = lt.jit(denseStep, { donate: [0] });
  let wDonated = init();
  // sparse: the rows' gradient under jit (the lookup reads only those rows)
  const rowsGrad = lt.jit((w: lt.Tensor) => lt.grad(rowsLoss)(w.take(ids, 0)));
  let wSgd = init();
  let wAdam = init();
  const sgd = sparseSgd(lr);
  const adam = sparseAdam(1e-3);
  let state = adam.init(wAdam);
  return {
    dense: () => {
      if (vocab > 50_000) return;
      wDense = dense(wDense);
      wDense.dataSync();
    },
    donated: () => {
      // (computed when the call returns: the CPU runs a jitted call at once)
      wDonated = donated(wDonated);
    },
    sgd: () => {
      const g = rowSparseGrad(ids, rowsGrad(wSgd), vocab);
      [wSgd] = sgd.update(wSgd, g, {});
    },
    adam: () => {
      const g = rowSparseGrad(ids, rowsGrad(wAdam), vocab);
      [wAdam, state] = adam.update(wAdam, g, state);
    },
  };
}

const vocabs = [100, 50_000, 500_000];
const distinct = vocabs.map((v) =>
  new Set(lt.random.randint(lt.random.key(1), [batch, seq], 0, v).dataSync())
    .size
);
const runs = vocabs.map((v) => steppers(v));
// the donated step of a 50,000-row table looked up in its first 100 rows only:
// what the vocabulary's size costs apart from the rows touched
const narrow = steppers(50_000, 100).donated;
const narrowTimes: number[] = [];
const names = ["dense", "donated", "sgd", "adam"];
const times = runs.map(() => new Map(names.map((n) => [n, [] as number[]])));
for (let i = 0; i < steps + 3; i++) {
  runs.forEach((run, v) => {
    for (const n of names) {
      const t = performance.now();
      run[n]();
      if (i >= 3) times[v].get(n)!.push(performance.now() - t);
    }
  });
  const t = performance.now();
  narrow();
  if (i >= 3) narrowTimes.push(performance.now() - t);
}
console.log(
  `embedding train step, ids [${batch}, ${seq}], dim ${dim}, median of ` +
    `${steps} steps (interleaved); distinct rows a step: ` +
    vocabs.map((v, i) => `${distinct[i]} of ${v}`).join(", "),
);
const label: Record<string, string> = {
  dense: "dense jit (w - lr·grad)",
  donated: "the same, donate: [0]",
  sgd: "sparse SGD (sparseSgd)",
  adam: "sparse Adam (sparseAdam)",
};
for (const n of names) {
  const [small, large, huge] = times.map((t) => median(t.get(n)!));
  const ratio = (large / small).toFixed(2);
  const last = n === "dense"
    ? ""
    : `; vocab 500,000: ${huge.toFixed(2)} ms, ratio ${(huge / small).toFixed(2)}x`;
  console.log(
    `  ${label[n].padEnd(25)} vocab 100: ${small.toFixed(2)} ms, ` +
      `vocab 50,000: ${large.toFixed(2)} ms, ratio ${ratio}x${last}`,
  );
}
const narrowMs = median(narrowTimes);
const small = median(times[0].get("donated")!);
console.log(
  `  donated, vocab 50,000 looked up in its first 100 rows: ` +
    `${narrowMs.toFixed(2)} ms, ratio ${(narrowMs / small).toFixed(2)}x to vocab 100`,
);
