/**
 * TensorFlow.js (`npm:@tensorflow/tfjs-backend-wasm`) on SPEC's B7 (the
 * CNN train step, Adam) and B8 (the transformer block train step, AdamW),
 * from the same initial weights and data as every other system.
 *
 * TFJS is NHWC with `[kh, kw, in, out]` filters and `x @ W` dense layers, so
 * the torch-layout weights are permuted on the host (the same numbers in
 * TFJS's order; fc1's 1568 inputs reordered from torch's (c, h, w) flatten
 * to TFJS's (h, w, c)). Adam's update is elementwise, so the training
 * trajectory is the same.
 *
 * Two kernels the wasm backend of 4.22.0 does not register, and what is
 * used instead (both exact):
 * - `Conv2DBackpropFilter` (conv2d's weight gradient): registered here
 *   (`tf.registerKernel`, TFJS's API for custom kernels) as the backend's own
 *   `Conv3DBackpropFilterV2` kernel over a depth of 1 (NHWC data is NDHWC
 *   data with D = 1, so no copy), so the forward `tf.conv2d` stays on the
 *   backend's XNNPACK kernel. (Running the whole convolution as `tf.conv3d`
 *   works too, but its forward kernel took 786 ms of a step against 21 ms for
 *   `tf.conv2d`: `tf.profile` of one B7 step.)
 * - `UnsortedSegmentSum` (`tf.gather`'s gradient): the embedding lookup is
 *   `oneHot(tokens) @ embedding`.
 *
 * Where the time goes (`tf.profile` of one step, wasm, 1 thread): in B8,
 * `BatchMatMul` with a transposed operand, which every matmul gradient
 * needs, is TFJS's slow path: 1.85 s of the ~2.0 s of kernel time a step
 * ([1024, 512]ᵀ @ [1024, 128] took 421 ms; the untransposed [1024, 512] @
 * [512, 128] 11.5 ms). In B7, the registered filter gradient (447 ms) and
 * `Conv2DBackpropInput` (136 ms) against 21 ms for the forward convolutions.
 *
 * B7 uses `tf.train.adam(1e-3, 0.9, 0.999, 1e-8)` (the same update as
 * torch's). TFJS has no AdamW: B8 takes the gradients with `tf.variableGrads`,
 * decays the weights by `lr * wd` as torch's AdamW does, then applies the
 * gradients with the Adam optimizer.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { workloads } from "../inputs.ts";
import { b8Tokens, type Measure } from "./common.ts";

const [B, T, V, D, H] = [16, 64, 96, 128, 4];

type Vars = Record<string, tf.Variable>;

/** Makes variables inside `tf.tidy`, so the tensors they were made from are freed. */
function tidyVars(make: () => Vars): Vars {
  let vars: Vars = {};
  tf.tidy(() => {
    vars = make();
  });
  return vars;
}

/** torch [out, in, kh, kw] → TFJS [kh, kw, in, out]. */
function convFilter(w: Float32Array, out: number, inC: number): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(w, [out, inC, 3, 3]).transpose([2, 3, 1, 0])) as tf.Tensor4D;
}

/** `shape` with a depth axis of 1 after the first. */
const depth1 = (shape: readonly number[]) => [shape[0], 1, ...shape.slice(1)];

/**
 * Registers conv2d's weight gradient for the wasm backend, which 4.22.0
 * lacks, as its `Conv3DBackpropFilterV2` kernel over a depth of 1 (same
 * memory layout: the tensors are re-described, not copied).
 */
function registerConvFilterGrad(): void {
  if (
    tf.getKernelsForBackend("wasm").some((k) => k.kernelName === "Conv2DBackpropFilter")
  ) return;
  const conv3d = tf.getKernel("Conv3DBackpropFilterV2", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as {
        strides: number | number[];
        pad: "valid" | "same" | number;
        filterShape: number[];
      };
      const strides = typeof a.strides === "number" ? [a.strides, a.strides] : a.strides;
      if (
        a.filterShape.length !== 4 ||
        (attrs as { dataFormat?: string }).dataFormat === "NCHW"
      ) {
        throw new Error(
          `Conv2DBackpropFilter shim: expected NHWC, got ${JSON.stringify(attrs)}`,
        );
      }
      const dw = conv3d.kernelFunc({
        inputs: {
          x: { ...x, shape: depth1(x.shape) },
          dy: { ...dy, shape: depth1(dy.shape) },
        },
        backend,
        attrs: {
          strides: [1, ...strides],
          pad: a.pad,
          filterShape: [1, ...a.filterShape],
        },
      }) as tf.TensorInfo;
      return { ...dw, shape: a.filterShape };
    },
  });
}

/** torch Linear weight [out, in] → TFJS [in, out]. */
const dense = (w: Float32Array, out: number, inF: number) =>
  tf.tidy(() => tf.tensor2d(w, [out, inF]).transpose());

/** fc1's torch columns are (c, h, w) over [32, 7, 7]; TFJS flattens NHWC as (h, w, c). */
function fc1Weights(w: Float32Array): tf.Tensor {
  return tf.tidy(() =>
    tf.tensor4d(w, [128, 32, 7, 7]).transpose([2, 3, 1, 0]).reshape([1568, 128])
  );
}

function b7Setup(): { vars: Vars; loss: () => tf.Scalar; dispose: () => void } {
  const w = workloads.B7();
  const vars: Vars = tidyVars(() => ({
    conv1_w: tf.variable(convFilter(w.conv1, 16, 1)),
    conv1_b: tf.variable(tf.zeros([16])),
    conv2_w: tf.variable(convFilter(w.conv2, 32, 16)),
    conv2_b: tf.variable(tf.zeros([32])),
    fc1_w: tf.variable(fc1Weights(w.fc1)),
    fc1_b: tf.variable(tf.zeros([128])),
    fc2_w: tf.variable(dense(w.fc2, 10, 128)),
    fc2_b: tf.variable(tf.zeros([10])),
  }));
  // NCHW with one channel is NHWC with one channel
  const x = tf.tensor4d(w.x, [64, 28, 28, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(w.y, "int32"), 10).toFloat());
  // 3x3, stride 1, "same" is torch's padding 1
  const conv = (h: tf.Tensor4D, k: tf.Variable, b: tf.Variable) =>
    tf.relu(tf.conv2d(h, k as tf.Tensor4D, 1, "same").add(b)) as tf.Tensor4D;
  const pool = (h: tf.Tensor4D) => tf.maxPool(h, 2, 2, "valid");
  const loss = () => {
    let h = pool(conv(x, vars.conv1_w, vars.conv1_b));
    h = pool(conv(h, vars.conv2_w, vars.conv2_b));
    const f = tf.relu(h.reshape([64, 1568]).matMul(vars.fc1_w).add(vars.fc1_b));
    const logits = f.matMul(vars.fc2_w).add(vars.fc2_b);
    return tf.logSoftmax(logits).mul(y).sum(-1).mean().neg() as tf.Scalar;
  };
  return { vars, loss, dispose: () => tf.dispose([x, y]) };
}

/** torch's LayerNorm over the last axis (eps 1e-5, biased variance). */
function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(w).add(b);
}

/** Exact GELU (torch's default): x Φ(x) = x (1 + erf(x / √2)) / 2. */
const gelu = (x: tf.Tensor) => x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);

function b8Setup(): { vars: Vars; loss: () => tf.Scalar; dispose: () => void } {
  const w = workloads.B8();
  const { x, y } = b8Tokens(w.tokens);
  const ones = () => tf.variable(tf.ones([D]));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const vars: Vars = tidyVars(() => ({
    embedding: tf.variable(tf.tensor2d(w.embedding, [V, D])),
    positions: tf.variable(tf.tensor2d(w.positions, [T, D])),
    ln1_w: ones(),
    ln1_b: zeros(D),
    in_proj_w: tf.variable(dense(w.inProj, 3 * D, D)),
    in_proj_b: zeros(3 * D),
    out_proj_w: tf.variable(dense(w.outProj, D, D)),
    out_proj_b: zeros(D),
    ln2_w: ones(),
    ln2_b: zeros(D),
    mlp_in_w: tf.variable(dense(w.mlpIn, 4 * D, D)),
    mlp_in_b: zeros(4 * D),
    mlp_out_w: tf.variable(dense(w.mlpOut, D, 4 * D)),
    mlp_out_b: zeros(D),
    lnf_w: ones(),
    lnf_b: zeros(D),
  }));
  const hot = (a: Int32Array) => tf.tidy(() => tf.oneHot(tf.tensor1d(a, "int32"), V).toFloat());
  const xHot = hot(x); // [B·T, V]
  const yHot = hot(y);
  // causal: -1e9 above the diagonal (exp underflows to exactly 0, as torch's -inf)
  const mask = tf.tidy(() => tf.linalg.bandPart(tf.ones([T, T]), 0, -1).sub(tf.eye(T)).mul(-1e9));
  const heads = (a: tf.Tensor) => a.reshape([B, T, H, D / H]).transpose([0, 2, 1, 3]);
  const loss = () => {
    const v = vars;
    let h = xHot.matMul(v.embedding).reshape([B, T, D]).add(v.positions);
    const a = layerNorm(h, v.ln1_w, v.ln1_b).reshape([B * T, D]);
    const [q, k, val] = tf.split(a.matMul(v.in_proj_w).add(v.in_proj_b), 3, -1)
      .map(heads);
    const scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(D / H)).add(
      mask,
    );
    const att = tf.matMul(tf.softmax(scores), val).transpose([0, 2, 1, 3])
      .reshape([B * T, D]);
    h = h.add(att.matMul(v.out_proj_w).add(v.out_proj_b).reshape([B, T, D]));
    const n2 = layerNorm(h, v.ln2_w, v.ln2_b).reshape([B * T, D]);
    const mid = gelu(n2.matMul(v.mlp_in_w).add(v.mlp_in_b));
    h = h.add(mid.matMul(v.mlp_out_w).add(v.mlp_out_b).reshape([B, T, D]));
    const f = layerNorm(h, v.lnf_w, v.lnf_b).reshape([B * T, D]);
    const logits = f.matMul(v.embedding, false, true);
    return tf.logSoftmax(logits).mul(yHot).sum(-1).mean().neg() as tf.Scalar;
  };
  return { vars, loss, dispose: () => tf.dispose([xHot, yHot, mask]) };
}

/**
 * B7 or B8 on the current TFJS backend: `warmups + steps` train steps,
 * reading the loss back after each; steps/s over the timed ones and the
 * last loss.
 */
export function trainTfjs(
  id: "B7" | "B8",
  mode: string,
  steps = 50,
  warmups = 5,
): Measure {
  if (tf.getBackend() === "wasm") registerConvFilterGrad();
  const { vars, loss, dispose } = id === "B7" ? b7Setup() : b8Setup();
  const lr = 1e-3;
  const weightDecay = id === "B8" ? 0.01 : 0;
  const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const list = Object.values(vars);
  let last = NaN;
  let t0 = 0;
  for (let i = 0; i < warmups + steps; i++) {
    if (i === warmups) t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, list);
    if (weightDecay > 0) {
      // AdamW: p ← p (1 - lr wd), then the Adam step with the gradient taken before the decay
      for (const p of list) {
        tf.tidy(() => p.assign(p.mul(1 - lr * weightDecay)));
      }
    }
    opt.applyGradients(
      Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
    );
    last = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  opt.dispose();
  tf.dispose(list);
  dispose();
  return { value: rate, mode, loss: last };
}
