// What the MNIST demos (mnist.ts, the MLP; mnist_cnn.ts, the CNN) share: the
// training loop over shuffled batches with a progress line, the accuracy and
// confusion matrix of the held-out predictions, and the per-digit report with
// a few digits drawn.
import * as lt from "../mod.ts";
import { batches } from "../nn/mod.ts";
import { drawDigit, Progress } from "./_terminal.ts";

/** One jitted training step: new parameters, new optimizer state and the loss. */
export type TrainStep<P, S> = (
  p: P,
  s: S,
  x: lt.Tensor,
  y: lt.Tensor,
) => readonly [P, S, lt.Tensor];

/** What `trainEpochs` ends with. */
export interface Trained<P, S> {
  params: P;
  state: S;
  /** The loss of every step. */
  losses: number[];
  /** Training steps taken. */
  steps: number;
  /** Training seconds. */
  seconds: number;
}

/**
 * Runs `epochs` passes over `images`/`labels` in shuffled batches of
 * `batchSize` (the last partial batch dropped; epoch e shuffles with
 * foldIn(key(7), e)), each batch moved to `device`, showing the mean loss of
 * the last 20 steps on a progress line.
 */
export async function trainEpochs<P, S>(
  step: TrainStep<P, S>,
  start: { params: P; state: S },
  data: { images: lt.Tensor; labels: lt.Tensor },
  o: { epochs: number; batchSize: number; device: lt.Device },
): Promise<Trained<P, S>> {
  let { params, state } = start;
  const stepsPerEpoch = Math.floor(data.images.shape[0] / o.batchSize);
  const progress = new Progress(o.epochs * stepsPerEpoch, 100);
  const losses: number[] = [];
  let done = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const key = lt.random.foldIn(lt.random.key(7), epoch);
    const shuffled = batches(data.images, data.labels, {
      batchSize: o.batchSize,
      key,
      dropLast: true,
    });
    for (const [x, y] of shuffled) {
      const [p, s, value] = step(params, state, x.to(o.device), y.to(o.device));
      params = p;
      state = s;
      losses.push((await value.data())[0]); // on a GPU, this waits for the step
      done++;
      const recent = losses.slice(-20);
      progress.update(done, {
        epoch: `${epoch + 1}/${o.epochs}`,
        loss: (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4),
      });
    }
  }
  const seconds = progress.finish();
  return { params, state, losses, steps: done, seconds };
}

/** Held-out scores: correct count, accuracy and confusion[truth][predicted]. */
export interface Scores {
  correct: number;
  accuracy: number;
  confusion: number[][];
}

/** Scores predicted digits against the true ones. */
export function score(truth: ArrayLike<number>, predicted: ArrayLike<number>): Scores {
  let correct = 0;
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  return { correct, accuracy: correct / truth.length, confusion };
}

/**
 * Logs each digit's recall with its most common confusion, then the first six
 * held-out digits drawn with their predicted and true labels.
 */
export function reportDigits(
  log: (...args: unknown[]) => void,
  confusion: number[][],
  images: lt.Tensor,
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
): void {
  log("per digit: recall and the most common confusion");
  for (let d = 0; d < 10; d++) {
    const row = confusion[d];
    const total = row.reduce((a, b) => a + b, 0);
    const worst = row.map((n, j) => [n, j]).filter(([, j]) =>
      j !== d
    ).sort((a, b) => b[0] - a[0])[0];
    const mix = worst[0] > 0 ? `  often read as ${worst[1]} (${worst[0]}×)` : "";
    log(`  ${d}: ${((row[d] / total) * 100).toFixed(1).padStart(5)}% of ${total}${mix}`);
  }

  log("\na few held-out digits:");
  const pixels = images.dataSync();
  const shown = [0, 1, 2, 3, 4, 5];
  const drawings = shown.map((i) => drawDigit(pixels.subarray(i * 784, (i + 1) * 784)));
  for (let line = 0; line < 14; line++) log(drawings.map((d) => d[line]).join("  "));
  log(shown.map((i) => `predicted ${predicted[i]}, true ${truth[i]}`.padEnd(28)).join("  "));
}
