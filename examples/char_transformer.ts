// A small decoder-only transformer that learns to write English words,
// character by character (makemore style), trained under jit: the npm word
// list `an-array-of-english-words`, 90/10 train/validation split, AdamW,
// progress bar and loss plot; prints the validation loss and sampled words.
//
//   deno run -A examples/char_transformer.ts [--steps 2000] [--device webgpu]
//   bench/char_transformer.ts runs the same model, data and steps in PyTorch.
import * as lt from "../mod.ts";
import { adamw, applyUpdates } from "../nn/optim.ts";
import { type Config, encode, loadWords, makeModel, stateDict } from "./_char_model.ts";
import { plotSvg, plotText, Progress } from "./_terminal.ts";
import { deviceFromArgs, onDevice } from "./_device.ts";

/** What a run is given. */
export interface Options {
  steps: number;
  batch: number;
  words: number;
  lr: number;
  config: Config;
  device: lt.Device;
  /** Writes the split, initial weights and batches here, for the PyTorch twin. */
  dump?: string;
  log: (...args: unknown[]) => void;
}

/** What a run gives back. */
export interface Result {
  losses: number[];
  valLoss: number;
  samples: string[];
  seconds: number;
}

/** Trains, evaluates and samples. */
export async function main(o: Options): Promise<Result> {
  const c = o.config;
  const { train, val } = loadWords(o.words, c.context, 1);
  o.log(
    `${train.length} training words, ${val.length} validation words, e.g. ${
      train.slice(0, 4).join(", ")
    }`,
  );
  const data = encode(train, c.context);
  const model = makeModel(c);
  type Params = ReturnType<typeof model.init>;
  let params: Params = onDevice(model.init(lt.random.key(0)), o.device);
  const optimizer = adamw(o.lr, { weightDecay: 0.01 });
  let state = optimizer.init(params);
  const trainStep = lt.jit((p: Params, s: typeof state, x: lt.Tensor, y: lt.Tensor) => {
    const [value, grads] = lt.valueAndGrad(model.loss)(p, x, y);
    const [updates, next] = optimizer.update(grads, s, p);
    return [applyUpdates(p, updates), next, value] as const;
  });
  const rows = (source: Int32Array, idx: ArrayLike<number>) => {
    const out = new Int32Array(idx.length * c.context);
    for (let r = 0; r < idx.length; r++) {
      out.set(source.subarray(idx[r] * c.context, (idx[r] + 1) * c.context), r * c.context);
    }
    return lt.tensor(out, { shape: [idx.length, c.context] }).to(o.device);
  };
  const batches: number[][] = [];
  for (let i = 0; i < o.steps; i++) {
    batches.push([
      ...lt.random.randint(lt.random.foldIn(lt.random.key(2), i), [o.batch], 0, train.length)
        .dataSync(),
    ]);
  }
  if (o.dump !== undefined) {
    const weights = Object.fromEntries(
      await Promise.all(
        Object.entries(stateDict(params)).map(async (
          [k, t],
        ) => [k, { shape: t.shape, data: Array.from(await t.data()) }]),
      ),
    );
    const dump = { config: c, lr: o.lr, weightDecay: 0.01, train, val, batches, params: weights };
    await Deno.writeTextFile(o.dump, JSON.stringify(dump));
  }
  const progress = new Progress(o.steps, 100);
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const [p, s, value] = trainStep(
      params,
      state,
      rows(data.x, batches[i]),
      rows(data.y, batches[i]),
    );
    params = p;
    state = s;
    losses.push((await value.data())[0]);
    const recent = losses.slice(-50);
    progress.update(i + 1, {
      loss: (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4),
    });
  }
  const seconds = progress.finish();
  const valLoss = await evaluate(model, params, encode(val, c.context), c, o.device);
  const samples = await sample(model, params, c, o.device, 12);
  o.log(
    `\ntrained ${o.steps} steps in ${seconds.toFixed(1)} s (${
      (o.steps / seconds).toFixed(1)
    } steps/s)`,
  );
  o.log(
    `validation loss ${valLoss.toFixed(4)} nats/char (uniform guess: ${
      Math.log(c.vocab).toFixed(4)
    })`,
  );
  o.log("training loss:\n" + plotText(losses));
  o.log(`samples: ${samples.join(" ")}`);
  return { losses, valLoss, samples, seconds };
}

type Model = ReturnType<typeof makeModel>;

/** The mean loss per predicted character over the whole validation set. */
async function evaluate(
  model: Model,
  params: ReturnType<Model["init"]>,
  data: { x: Int32Array; y: Int32Array },
  c: Config,
  device: lt.Device,
): Promise<number> {
  const chunk = 512;
  const n = data.x.length / c.context;
  const sumLoss = lt.jit((p: typeof params, x: lt.Tensor, y: lt.Tensor) => {
    const logits = model.apply(p, x);
    return lt.logSoftmax(logits, -1).gather(-1, lt.maximum(y, 0).reshape([...y.shape, 1])).reshape(
      y.shape,
    )
      .mul(y.ge(0)).sum().neg();
  });
  let total = 0;
  let count = 0;
  for (let r = 0; r < n; r += chunk) {
    const m = Math.min(chunk, n - r);
    const slice = (a: Int32Array) =>
      lt.tensor(a.subarray(r * c.context, (r + m) * c.context), { shape: [m, c.context] }).to(
        device,
      );
    total += (await sumLoss(params, slice(data.x), slice(data.y)).data())[0];
    count += data.y.subarray(r * c.context, (r + m) * c.context).filter((v) => v >= 0).length;
  }
  return total / count;
}

/** Words sampled one character at a time (temperature 1, top-k 10). */
async function sample(
  model: Model,
  params: ReturnType<Model["init"]>,
  c: Config,
  device: lt.Device,
  count: number,
): Promise<string[]> {
  const ids = new Int32Array(count * c.context);
  const done = new Array(count).fill(false);
  const logitsAt = lt.jit((p: typeof params, x: lt.Tensor) => model.apply(p, x));
  for (let t = 0; t < c.context - 1 && done.includes(false); t++) {
    const logits = logitsAt(params, lt.tensor(ids, { shape: [count, c.context] }).to(device));
    const last = await lt.toCpu(logits.select(1, t));
    const next = lt.random.categorical(lt.random.foldIn(lt.random.key(3), t), last, { topK: 10 })
      .dataSync();
    for (let r = 0; r < count; r++) {
      if (done[r]) continue;
      if (next[r] === 0) done[r] = true;
      else ids[r * c.context + t + 1] = next[r];
    }
  }
  return Array.from({ length: count }, (_, r) => {
    const row = ids.subarray(r * c.context + 1, (r + 1) * c.context);
    const end = row.indexOf(0);
    return [...row.subarray(0, end < 0 ? row.length : end)].map((i) =>
      ".abcdefghijklmnopqrstuvwxyz"[i]
    ).join("");
  });
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const dumpAt = Deno.args.indexOf("--dump");
  const config: Config = {
    vocab: 27,
    context: 16,
    dim: arg("dim", 64),
    heads: 4,
    layers: arg("layers", 2),
  };
  const result = await main({
    steps: arg("steps", 2000),
    batch: arg("batch", 32),
    words: arg("words", 32000),
    lr: arg("lr", 3e-3),
    config,
    device: await deviceFromArgs(),
    dump: dumpAt >= 0 ? Deno.args[dumpAt + 1] : undefined,
    log: console.log,
  });
  const svg = "char_transformer_loss.svg";
  await Deno.writeTextFile(svg, plotSvg(result.losses, "Lathe char transformer: training loss"));
  console.log(`(loss plot written to ${svg})`);
  const out = Deno.args.indexOf("--result");
  if (out >= 0) await Deno.writeTextFile(Deno.args[out + 1], JSON.stringify(result));
}
