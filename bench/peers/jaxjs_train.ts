/**
 * jax-js (`npm:@jax-js/jax`, wasm device) on SPEC's B7 (the CNN train
 * step, Adam) and B8 (the transformer block train step, AdamW), eager and
 * `jit`, from the same initial weights and data as every other system.
 *
 * The layers are written with jax-js's own API, the way its docs show:
 * `lax.conv` (NCHW input, `[out, in, kh, kw]` kernel: torch's layouts, so the
 * weights map one to one), max pooling as `lax.reduceWindow` with a max,
 * `nn.dotProductAttention` with `isCausal`, `nn.gelu` exact (erf, as torch's
 * default), `numpy.take` for the embedding. jax-js ships no optimizers, so
 * Adam and AdamW are written out as torch 1.13 computes them (bias-corrected
 * moments, eps added after the square root; AdamW decays the weights by
 * `lr * wd` first).
 *
 * jax-js arrays are reference counted: every op consumes its arguments, so an
 * array used twice is passed as `x.ref` first.
 * @module
 */
import { jit, lax, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { workloads } from "../inputs.ts";
import { b8Tokens, type Measure, oneHot } from "./common.ts";

/** A flat parameter tree (name → array). */
type Params = Record<string, np.Array>;
/** One train step: params, the two moment trees, the bias corrections and the batch. */
type Step = (
  p: Params,
  m: Params,
  v: Params,
  bc: np.Array,
  x: np.Array,
  y: np.Array,
) => [Params, Params, Params, np.Array];

const buf = (a: Float32Array) => a as Float32Array<ArrayBuffer>;
const arr = (data: Float32Array, shape: number[]) => np.array(buf(data)).reshape(shape);

/** torch's Linear: x @ wᵀ + b (w is [out, in]). */
const linear = (x: np.Array, w: np.Array, b: np.Array) => np.matmul(x, w.transpose()).add(b);

/** Mean softmax cross-entropy against one-hot targets over the last axis. */
const crossEntropy = (logits: np.Array, target: np.Array) =>
  nn.logSoftmax(logits, -1).mul(target).sum(-1).mean().neg();

/** 2×2 max pooling, stride 2, over the last two axes (jax-js's reduce-window). */
const maxPool2 = (x: np.Array) => lax.reduceWindow(x, (w) => w.max(), [2, 2], [2, 2]);

function cnnLoss(p: Params, x: np.Array, y: np.Array): np.Array {
  const pad: [number, number][] = [[1, 1], [1, 1]];
  const conv = (h: np.Array, w: np.Array, b: np.Array) =>
    lax.conv(h, w, [1, 1], pad).add(b.reshape([-1, 1, 1]));
  let h = maxPool2(nn.relu(conv(x, p.conv1_w, p.conv1_b)));
  h = maxPool2(nn.relu(conv(h, p.conv2_w, p.conv2_b))).reshape([-1, 1568]);
  h = nn.relu(linear(h, p.fc1_w, p.fc1_b));
  return crossEntropy(linear(h, p.fc2_w, p.fc2_b), y);
}

const [B, T, V, D, H] = [16, 64, 96, 128, 4];

/** torch's LayerNorm over the last axis (eps 1e-5, biased variance). */
function layerNorm(x: np.Array, w: np.Array, b: np.Array): np.Array {
  const mu = x.ref.mean(-1, { keepdims: true });
  const c = x.sub(mu);
  const variance = np.square(c.ref).mean(-1, { keepdims: true });
  return c.div(np.sqrt(variance.add(1e-5))).mul(w).add(b);
}

function blockLoss(p: Params, x: np.Array, y: np.Array): np.Array {
  let h = np.take(p.embedding.ref, x, 0).add(p.positions);
  // attention: torch's packed in_proj [3D, D] + bias, heads split as [B, T, H, D/H]
  const qkv = linear(
    layerNorm(h.ref, p.ln1_w, p.ln1_b),
    p.in_proj_w,
    p.in_proj_b,
  );
  const [q, k, v] = np.split(qkv, 3, -1).map((a) => a.reshape([B, T, H, D / H]));
  const att = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([
    B,
    T,
    D,
  ]);
  h = h.add(linear(att, p.out_proj_w, p.out_proj_b));
  const mid = nn.gelu(
    linear(layerNorm(h.ref, p.ln2_w, p.ln2_b), p.mlp_in_w, p.mlp_in_b),
    {
      approximate: false,
    },
  );
  h = h.add(linear(mid, p.mlp_out_w, p.mlp_out_b));
  const logits = np.matmul(
    layerNorm(h, p.lnf_w, p.lnf_b),
    p.embedding.transpose(),
  );
  return crossEntropy(logits, y);
}

/**
 * One Adam(W) step on a loss, as torch 1.13 does it: `bc` holds
 * [1 - β1ᵗ, sqrt(1 - β2ᵗ)], computed on the host.
 */
function adamStep(
  loss: (p: Params, x: np.Array, y: np.Array) => np.Array,
  lr: number,
  weightDecay: number,
): Step {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  return (p, m, v, bc, x, y) => {
    const vg = valueAndGrad(loss) as unknown as (
      p: Params,
      x: np.Array,
      y: np.Array,
    ) => [np.Array, Params];
    const [value, g] = vg(tree.ref(p), x, y);
    const [c1, c2] = np.split(bc, 2);
    const next: Params = {}, nm: Params = {}, nv: Params = {};
    for (const k of Object.keys(p)) {
      // m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²
      nm[k] = m[k].mul(b1).add(g[k].ref.mul(1 - b1));
      nv[k] = v[k].mul(b2).add(np.square(g[k]).mul(1 - b2));
      // p ← p (1 - lr wd) - lr (m / c1) / (sqrt(v) / c2 + eps)
      const denom = np.sqrt(nv[k].ref).div(c2.ref).add(eps);
      const w = weightDecay === 0 ? p[k] : p[k].mul(1 - lr * weightDecay);
      next[k] = w.sub(nm[k].ref.div(c1.ref).div(denom).mul(lr));
    }
    c1.dispose();
    c2.dispose();
    return [next, nm, nv, value];
  };
}

/** The B7 weights and batch, as jax-js arrays (torch layouts). */
function b7Inputs(): { p: Params; x: np.Array; y: np.Array } {
  const w = workloads.B7();
  return {
    p: {
      conv1_w: arr(w.conv1, [16, 1, 3, 3]),
      conv1_b: np.zeros([16]),
      conv2_w: arr(w.conv2, [32, 16, 3, 3]),
      conv2_b: np.zeros([32]),
      fc1_w: arr(w.fc1, [128, 1568]),
      fc1_b: np.zeros([128]),
      fc2_w: arr(w.fc2, [10, 128]),
      fc2_b: np.zeros([10]),
    },
    x: arr(w.x, [64, 1, 28, 28]),
    y: arr(oneHot(w.y, 10), [64, 10]),
  };
}

/** The B8 weights and tokens (targets one-hot), as jax-js arrays. */
function b8Inputs(): { p: Params; x: np.Array; y: np.Array } {
  const w = workloads.B8();
  const { x, y } = b8Tokens(w.tokens);
  const ones = () => np.ones([D]);
  return {
    p: {
      embedding: arr(w.embedding, [V, D]),
      positions: arr(w.positions, [T, D]),
      ln1_w: ones(),
      ln1_b: np.zeros([D]),
      in_proj_w: arr(w.inProj, [3 * D, D]),
      in_proj_b: np.zeros([3 * D]),
      out_proj_w: arr(w.outProj, [D, D]),
      out_proj_b: np.zeros([D]),
      ln2_w: ones(),
      ln2_b: np.zeros([D]),
      mlp_in_w: arr(w.mlpIn, [4 * D, D]),
      mlp_in_b: np.zeros([4 * D]),
      mlp_out_w: arr(w.mlpOut, [D, 4 * D]),
      mlp_out_b: np.zeros([D]),
      lnf_w: ones(),
      lnf_b: np.zeros([D]),
    },
    x: np.array(x as Int32Array<ArrayBuffer>).reshape([B, T]),
    y: arr(oneHot(y, V), [B, T, V]),
  };
}

/**
 * `warmups + steps` train steps, reading the loss back after each (as every
 * system does); steps/s over the timed ones and the last loss.
 */
async function train(
  id: "B7" | "B8",
  compile: "eager" | "jit",
  how: "sync" | "async",
  steps: number,
  warmups: number,
): Promise<Measure> {
  const { p: p0, x, y } = id === "B7" ? b7Inputs() : b8Inputs();
  const raw = id === "B7" ? adamStep(cnnLoss, 1e-3, 0) : adamStep(blockLoss, 1e-3, 0.01);
  const step = compile === "jit" ? jit(raw) as unknown as Step : raw;
  let p = p0;
  let m = tree.map((a: np.Array) => np.zerosLike(a.ref), p) as Params;
  let v = tree.map((a: np.Array) => np.zerosLike(a.ref), p) as Params;
  let loss = NaN;
  let t0 = 0;
  for (let i = 1; i <= warmups + steps; i++) {
    if (i === warmups + 1) t0 = performance.now();
    const bc = np.array(
      new Float32Array([1 - 0.9 ** i, Math.sqrt(1 - 0.999 ** i)]),
    );
    const [np_, nm, nv, value] = step(p, m, v, bc, x.ref, y.ref);
    [p, m, v] = [np_, nm, nv];
    loss = (how === "sync" ? value.dataSync() : await value.data())[0] as number;
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  tree.dispose([p, m, v, x, y]);
  return { value: rate, mode: `${compile}, ${how} read`, loss };
}

/**
 * B7 or B8 on jax-js: `jit` with sync reads; for B8 also with async reads
 * (the worker pool) and eager. B7's other modes are left out because its
 * convolutions make each one take minutes without a better number: over 55
 * steps at load 12-17, jit with async reads ran 0.143 steps/s against 0.148
 * with sync reads, and over 5 steps at load ~2.7 eager ran 0.35 against
 * 0.34.
 */
export async function trainJaxjs(
  id: "B7" | "B8",
  steps = 50,
  warmups = 5,
): Promise<Measure[]> {
  const modes = [["jit", "sync"], ["jit", "async"], ["eager", "sync"]] as const;
  const out: Measure[] = [];
  for (const [compile, how] of id === "B7" ? modes.slice(0, 1) : modes) {
    out.push(await train(id, compile, how, steps, warmups));
  }
  return out;
}
