// Benchmark inputs shared by every system in SPEC.md, so results (and B5's final
// loss, 6.3404e-05) can be compared across libraries. Host-side, float32.

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` normal samples (Box-Muller over mulberry32), times `scale`. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(r(), 1e-12), u2 = r();
    const m = Math.sqrt(-2 * Math.log(u1));
    out[i] = m * Math.cos(2 * Math.PI * u2) * scale;
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * u2) * scale;
  }
  return out;
}

/** `n` integers uniform in [0, hi). */
export function randint(n: number, hi: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * hi);
  return out;
}

/** The seeds and shapes each workload uses (row-major). */
export const workloads = {
  B1: (n: number) => ({ a: randn(n * n, 1), b: randn(n * n, 2) }),
  B2: () => ({ x: randn(1_048_576, 3) }),
  B3: () => ({
    x: randn(256 * 784, 4),
    w: randn(784 * 256, 5, 1 / Math.sqrt(784)),
    b: randn(256, 6),
  }),
  // B4: w1 [784,256], b1 zeros, w2 [256,10], b2 zeros; batch x [128,784], labels [128]
  B4: () => ({
    w1: randn(784 * 256, 11, Math.sqrt(2 / 784)),
    w2: randn(256 * 10, 12, Math.sqrt(1 / 256)),
    x: randn(128 * 784, 13),
    y: randint(128, 10, 14),
  }),
  // B5: x [1,784] = |randn|, w1 [784,20], w2 [20,10], label one-hot at class 1
  B5: () => ({
    x: randn(784, 21).map(Math.abs),
    w1: randn(784 * 20, 22, 1 / Math.sqrt(784)),
    w2: randn(20 * 10, 23, 1 / Math.sqrt(20)),
  }),
  B6: () => ({ x: randn(1_048_576, 31), m: randn(1024 * 1024, 32) }),
  // B7 (torch layouts, NCHW): conv1 [16,1,3,3] + b [16]; conv2 [32,16,3,3] + b [32];
  // fc1 [128,1568] + b [128]; fc2 [10,128] + b [10]; batch x [64,1,28,28], labels [64]
  B7: () => ({
    conv1: randn(16 * 1 * 9, 41, Math.sqrt(2 / 9)),
    conv2: randn(32 * 16 * 9, 42, Math.sqrt(2 / 144)),
    fc1: randn(128 * 1568, 43, Math.sqrt(2 / 1568)),
    fc2: randn(10 * 128, 44, Math.sqrt(1 / 128)),
    x: randn(64 * 784, 45),
    y: randint(64, 10, 46),
  }),
  // B8: one pre-norm transformer block, d 128, 4 heads, MLP 512, causal; tokens [16,64] over a
  // vocabulary of 96; embedding [96,128], positions [64,128]; attention in_proj [384,128] + b,
  // out_proj [128,128] + b; mlp [512,128] + b, [128,512] + b; layer norms weight 1, bias 0; head = embedding^T
  B8: () => ({
    embedding: randn(96 * 128, 51, 0.02),
    positions: randn(64 * 128, 52, 0.02),
    inProj: randn(384 * 128, 53, Math.sqrt(1 / 128)),
    outProj: randn(128 * 128, 54, Math.sqrt(1 / 128)),
    mlpIn: randn(512 * 128, 55, Math.sqrt(2 / 128)),
    mlpOut: randn(128 * 512, 56, Math.sqrt(1 / 512)),
    tokens: randint(16 * 65, 96, 57), // [16, 65]: inputs are [:, :64], targets [:, 1:]
  }),
};
