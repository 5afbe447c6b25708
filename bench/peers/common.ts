/**
 * Shared pieces of the side-by-side benchmark: result types, the timing
 * method of SPEC.md (median of >= 5 timed runs after >= 2 warm-ups, each run
 * including a full read of the result) and the metric keys.
 * @module
 */

/** One table row: a SPEC workload and its metric. */
export const METRICS = [
  { key: "B1-128", label: "B1 matmul 128", unit: "GFLOP/s", higher: true },
  { key: "B1-512", label: "B1 matmul 512", unit: "GFLOP/s", higher: true },
  { key: "B1-1024", label: "B1 matmul 1024", unit: "GFLOP/s", higher: true },
  { key: "B2", label: "B2 elementwise 1M", unit: "ms", higher: false },
  { key: "B3", label: "B3 dense relu", unit: "ms", higher: false },
  { key: "B4", label: "B4 MLP train step", unit: "steps/s", higher: true },
  { key: "B5", label: "B5 1000 steps", unit: "ms", higher: false },
  { key: "B6-sum", label: "B6 sum 1M", unit: "ms", higher: false },
  { key: "B6-softmax", label: "B6 softmax 1024²", unit: "ms", higher: false },
  { key: "B7", label: "B7 CNN train step", unit: "steps/s", higher: true },
  { key: "B8", label: "B8 transformer block train step", unit: "steps/s", higher: true },
] as const;

/** A metric key ("B1-1024", "B6-sum", ...). */
export type Key = typeof METRICS[number]["key"];

/** One measured number: `mode` says how (e.g. "jit, sync read"). */
export interface Measure {
  value: number;
  mode: string;
  /** B5, B7 and B8: the loss the last step computed. */
  loss?: number;
}

/** Why a system has no number for a workload. */
export interface NotAvailable {
  na: string;
}

/** Every measurement of one system (several modes per key allowed; the best one is reported). */
export interface SystemReport {
  name: string;
  version: string;
  threads: string;
  info: string[];
  results: Partial<Record<Key, (Measure | NotAvailable)[]>>;
}

/** Options every adapter gets. */
export interface PeerOptions {
  /** Workload ids to run (B1..B8). */
  only: ReadonlySet<string>;
  runs: number;
  warmups: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms of `fn` (which must return only after the result is on the host). */
export async function timeMs(
  fn: () => unknown | Promise<unknown>,
  runs: number,
  warmups: number,
): Promise<number> {
  for (let i = 0; i < warmups; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The metric for a workload from its median ms per call. */
export function metricOf(key: Key, ms: number): number {
  if (key === "B1-128" || key === "B1-512" || key === "B1-1024") {
    const n = Number(key.slice(3));
    return 2 * n ** 3 / (ms * 1e-3) / 1e9;
  }
  return ms;
}

/** The float64 values B2 should give (for checks). */
export function b2Reference(x: Float32Array, i: number): number {
  const v = x[i];
  return (1 / (1 + Math.exp(-(v * 2 + 1)))) * (v > 0 ? v : 0) - 0.5 * v;
}

/** Throws unless `got` matches the B2 reference at a few probes (a cheap guard that the peer computed the right thing). */
export function checkB2(x: Float32Array, got: ArrayLike<number>, who: string): void {
  for (const i of [0, 1, 12345, 500000, x.length - 1]) {
    const want = b2Reference(x, i);
    if (!(Math.abs(got[i] - want) <= 1e-4 + 1e-3 * Math.abs(want))) {
      throw new Error(`${who}: B2 result wrong at ${i}: ${got[i]} vs ${want}`);
    }
  }
}

/** SPEC's B5 final loss. */
export const B5_LOSS = 6.3404e-5;

/** Whether a B5 final loss matches SPEC (0.1% relative). */
export function b5LossOk(loss: number): boolean {
  return Math.abs(loss - B5_LOSS) <= 1e-3 * B5_LOSS;
}

/** One-hot rows (float32, `[labels.length, classes]` row-major) of integer labels. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

/**
 * B8's tokens ([16, 65], inputs.ts) split into the inputs `x` = [:, :64] and
 * the next-token targets `y` = [:, 1:], each [16, 64] row-major.
 */
export function b8Tokens(tokens: Int32Array): { x: Int32Array; y: Int32Array } {
  const [B, T] = [16, 64];
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      x[b * T + t] = tokens[b * (T + 1) + t];
      y[b * T + t] = tokens[b * (T + 1) + t + 1];
    }
  }
  return { x, y };
}

/** Push a measure (or n/a) for `key`. */
export function record(r: SystemReport, key: Key, m: Measure | NotAvailable): void {
  (r.results[key] ??= []).push(m);
}

/** Which metric keys a workload id (B1..B8) covers. */
export function keysOf(id: string): Key[] {
  return METRICS.filter((m) => m.key.split("-")[0] === id).map((m) => m.key);
}
