/**
 * Train steps under `jit` with and without donating the params and
 * optimizer state (`jit(f, { donate })`, issue 15/18), interleaved step by
 * step in one process so that each ratio is measured under the same load:
 * - B4's MLP (784-256-10, batch 128) with SGD and with Adam;
 * - B8's transformer block with AdamW (bench/_b8_model.ts);
 * - an embedding's SGD step (`w - lr·grad`, the gradient a scatter-add into
 *   the rows used) with a 100- and a 50,000-row vocabulary.
 * Prints the median step time and the median minor page faults per step
 * (`/proc/self/stat`, Linux only) of each, donated and not.
 *
 * Usage: `deno run -A bench/donate.ts [--steps=40]`
 * @module
 */
import * as lt from "../mod.ts";
import { adam, applyUpdates, type OptimizerState } from "../nn/optim.ts";
import { workloads } from "./inputs.ts";
import { b8Trainer } from "./_b8_model.ts";

const steps = Number(
  Deno.args.find((a) => a.startsWith("--steps="))?.slice(8) ?? 40,
);

/** Minor page faults of this process so far (field 10 of /proc/self/stat). */
function faults(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type P = { w1: lt.Tensor; b1: lt.Tensor; w2: lt.Tensor; b2: lt.Tensor };

/** B4's MLP step (SGD lr 0.1, or Adam lr 1e-3), jitted with or without donation. */
function b4(optimizer: "sgd" | "adam", donate: boolean): () => void {
  const { w1, w2, x, y } = workloads.B4();
  const input = lt.tensor(x, { shape: [128, 784] });
  const labels = lt.tensor(y, { shape: [128, 1] });
  const loss = (p: P) => {
    const h = lt.relu(input.matmul(p.w1).add(p.b1));
    const logits = h.matmul(p.w2).add(p.b2);
    return lt.logSoftmax(logits).gather(1, labels).mean().neg();
  };
  let p: P = {
    w1: lt.tensor(w1, { shape: [784, 256] }),
    b1: lt.zeros([256]),
    w2: lt.tensor(w2, { shape: [256, 10] }),
    b2: lt.zeros([10]),
  };
  const opt = adam(1e-3);
  let s = opt.init(p);
  const sgd = lt.jit((p: P) => {
    const g = lt.grad(loss)(p);
    return lt.tree.map((w, d) => w.sub(d.mul(0.1)), p, g);
  }, donate ? { donate: [0] } : {});
  const withAdam = lt.jit((p: P, s: OptimizerState) => {
    const [updates, next] = opt.update(lt.grad(loss)(p), s, p);
    return [applyUpdates(p, updates), next] as const;
  }, donate ? { donate: [0, 1] } : {});
  return () => {
    if (optimizer === "sgd") p = sgd(p);
    else [p, s] = withAdam(p, s);
    p.w2.dataSync();
  };
}

/** An embedding's SGD step over `vocab` rows, jitted with or without donation. */
function embedding(vocab: number, donate: boolean): () => void {
  const [batch, seq, dim] = [64, 32, 64];
  const ids = lt.random.randint(lt.random.key(1), [batch, seq], 0, vocab);
  const target = lt.random.normal(lt.random.key(2), [batch, seq, dim]);
  const rowsLoss = (rows: lt.Tensor) => rows.sub(target).square().mean();
  const grad = lt.grad((w: lt.Tensor) => rowsLoss(w.take(ids, 0)));
  const step = lt.jit(
    (w: lt.Tensor) => w.sub(grad(w).mul(0.1)),
    donate ? { donate: [0] } : {},
  );
  let w = lt.zeros([vocab, dim]);
  // not read between steps: the CPU runs a jitted call at once, and reading a
  // donated table updated in Wasm memory writes it back (a table copy)
  return () => {
    w = step(w);
  };
}

/** A B8 train step (AdamW), with or without donation. */
function b8(donate: boolean): () => void {
  const trainer = b8Trainer({ donate });
  return () => trainer.run(1);
}

const cases: [string, (donate: boolean) => () => void][] = [
  ["B4 MLP, SGD", (d) => b4("sgd", d)],
  ["B4 MLP, Adam", (d) => b4("adam", d)],
  ["B8 block, AdamW", b8],
  ["embedding SGD, vocab 100", (d) => embedding(100, d)],
  ["embedding SGD, vocab 50,000", (d) => embedding(50_000, d)],
];
const runs = cases.map(([, make]) => [make(false), make(true)]);
const times = runs.map(() => [[], []] as number[][]);
const faulted = runs.map(() => [[], []] as number[][]);
for (let i = 0; i < steps + 5; i++) {
  runs.forEach((pair, c) => {
    pair.forEach((run, d) => {
      const [f, t] = [faults(), performance.now()];
      run();
      const ms = performance.now() - t;
      if (i < 5) return;
      times[c][d].push(ms);
      faulted[c][d].push(faults() - f);
    });
  });
}
console.log(
  `jit train steps without / with donated params and state, median of ` +
    `${steps} steps (interleaved), ms and minor page faults per step:`,
);
cases.forEach(([name], c) => {
  const [plain, given] = times[c].map(median);
  const [fPlain, fGiven] = faulted[c].map(median);
  console.log(
    `  ${name.padEnd(28)} ${plain.toFixed(2)} / ${given.toFixed(2)} ms ` +
      `(${(given / plain).toFixed(2)}x), faults ${fPlain} / ${fGiven}`,
  );
});
