/**
 * TensorFlow.js (`npm:@tensorflow/tfjs`) on the SPEC workloads (B7 and B8
 * in bench/peers/tfjs_train.ts, wasm only), on its `cpu`
 * backend (plain JS) and on `npm:@tensorflow/tfjs-backend-wasm` (Wasm SIMD).
 * Each call runs inside `tf.tidy` and is read back with `dataSync()` (on these
 * backends `data()` does the same work). In Deno the wasm backend reads its
 * .wasm file from disk, so the wasm paths point at the npm package's dist
 * folder.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { workloads } from "../inputs.ts";
import { trainTfjs } from "./tfjs_train.ts";
import {
  b5LossOk,
  checkB2,
  keysOf,
  type Measure,
  metricOf,
  type PeerOptions,
  record,
  type SystemReport,
  timeMs,
} from "./common.ts";

const VERSION = "4.22.0";

/** The backends this adapter knows. */
export type TfBackend = "cpu" | "wasm";

let wasmReady = false;

async function useBackend(name: TfBackend): Promise<void> {
  if (name === "wasm" && !wasmReady) {
    const require = createRequire(import.meta.url);
    setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
    setThreadsCount(1);
    wasmReady = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to start`);
  await tf.ready();
}

/** Median ms of `f` (tidied, read with dataSync). */
function timeTidy(f: () => tf.Tensor, runs: number, warmups: number): Promise<number> {
  return timeMs(
    () => {
      const out = tf.tidy(f);
      out.dataSync();
      out.dispose();
    },
    runs,
    warmups,
  );
}

type Params = Record<string, tf.Tensor>;

/** `steps` SGD steps (lr 0.1) after `warm`, reading w2 each step; returns ms and the last step's loss. */
function train(
  loss: (p: Params) => tf.Scalar,
  p0: Params,
  warm: number,
  steps: number,
): { ms: number; loss: number } {
  let p = p0;
  let last: tf.Scalar | undefined;
  let t0 = 0;
  const names = Object.keys(p);
  for (let i = 0; i < warm + steps; i++) {
    if (i === warm) t0 = performance.now();
    const next = tf.tidy(() => {
      const ws = names.map((n) => p[n]);
      const { value, grads } = tf.valueAndGrads((...a: tf.Tensor[]) =>
        loss(Object.fromEntries(names.map((n, j) => [n, a[j]])))
      )(ws);
      return { value, ws: ws.map((w, j) => w.sub(grads[j].mul(0.1))) };
    });
    tf.dispose([...Object.values(p), ...(last ? [last] : [])]);
    p = Object.fromEntries(names.map((n, j) => [n, next.ws[j]]));
    last = next.value as tf.Scalar;
    p.w2.dataSync();
  }
  const ms = performance.now() - t0;
  const l = last!.dataSync()[0];
  tf.dispose([...Object.values(p), last!]);
  return { ms, loss: l };
}

async function runOn(backend: TfBackend, opts: PeerOptions, r: SystemReport): Promise<void> {
  await useBackend(backend);
  const want = (id: string) => opts.only.has(id);
  const put = (key: Parameters<typeof record>[1], m: Measure) => record(r, key, m);
  const mode = `${backend} backend`;
  if (want("B1")) {
    for (const [i, n] of [128, 512, 1024].entries()) {
      const { a, b } = workloads.B1(n);
      const A = tf.tensor2d(a, [n, n]), B = tf.tensor2d(b, [n, n]);
      // the cpu backend takes seconds per 1024 matmul: the SPEC minimum of 5 runs there
      const runs = n === 1024 ? (backend === "cpu" ? 5 : 7) : opts.runs;
      const ms = await timeTidy(() => tf.matMul(A, B), runs, opts.warmups);
      const key = keysOf("B1")[i];
      put(key, { value: metricOf(key, ms), mode });
      tf.dispose([A, B]);
    }
  }
  if (want("B2")) {
    const { x } = workloads.B2();
    const X = tf.tensor1d(x);
    const f = () => tf.sigmoid(X.mul(2).add(1)).mul(tf.relu(X)).sub(X.mul(0.5));
    const out = tf.tidy(f);
    checkB2(x, out.dataSync(), `tfjs ${backend}`);
    out.dispose();
    put("B2", { value: await timeTidy(f, opts.runs, opts.warmups), mode });
    X.dispose();
  }
  if (want("B3")) {
    const { x, w, b } = workloads.B3();
    const X = tf.tensor2d(x, [256, 784]), W = tf.tensor2d(w, [784, 256]), Bv = tf.tensor1d(b);
    const f = () => tf.relu(tf.matMul(X, W).add(Bv));
    put("B3", { value: await timeTidy(f, opts.runs, opts.warmups), mode });
    tf.dispose([X, W, Bv]);
  }
  if (want("B4")) {
    const { w1, w2, x, y } = workloads.B4();
    const X = tf.tensor2d(x, [128, 784]);
    const Y = tf.oneHot(tf.tensor1d(y, "int32"), 10).toFloat();
    const loss = (p: Params) =>
      tf.logSoftmax(tf.relu(tf.matMul(X, p.w1).add(p.b1)).matMul(p.w2).add(p.b2))
        .mul(Y).sum(-1).mean().neg() as tf.Scalar;
    const p = {
      w1: tf.tensor2d(w1, [784, 256]),
      b1: tf.zeros([256]),
      w2: tf.tensor2d(w2, [256, 10]),
      b2: tf.zeros([10]),
    };
    const t = train(loss, p, 20, 200);
    put("B4", { value: 200 / (t.ms / 1000), mode });
    tf.dispose([X, Y]);
  }
  if (want("B5")) {
    const { x, w1, w2 } = workloads.B5();
    const X = tf.tensor2d(x, [1, 784]);
    const T = tf.oneHot(tf.tensor1d([1], "int32"), 10).toFloat();
    const loss = (p: Params) => {
      const prob = tf.sigmoid(tf.relu(tf.matMul(X, p.w1)).matMul(p.w2));
      const logP = tf.maximum(tf.log(prob), -100);
      const log1mP = tf.maximum(tf.log(tf.sub(1, prob)), -100);
      return T.mul(logP).add(tf.sub(1, T).mul(log1mP)).mean().neg() as tf.Scalar;
    };
    const t = train(
      loss,
      { w1: tf.tensor2d(w1, [784, 20]), w2: tf.tensor2d(w2, [20, 10]) },
      0,
      1000,
    );
    const m: Measure = { value: t.ms, mode, loss: t.loss };
    if (!b5LossOk(t.loss)) m.mode += ` (final loss ${t.loss.toExponential(4)}: WRONG)`;
    put("B5", m);
    tf.dispose([X, T]);
  }
  if (want("B6")) {
    const { x, m } = workloads.B6();
    const X = tf.tensor1d(x), M = tf.tensor2d(m, [1024, 1024]);
    put("B6-sum", { value: await timeTidy(() => X.sum(), opts.runs, opts.warmups), mode });
    put("B6-softmax", {
      value: await timeTidy(() => tf.softmax(M, -1), opts.runs, opts.warmups),
      mode,
    });
    tf.dispose([X, M]);
  }
  for (const id of ["B7", "B8"] as const) {
    if (!want(id)) continue;
    // NOTE: issues #14/#15 compare TFJS's wasm backend; the plain-JS cpu backend would add
    // minutes of run time to each of these train loops
    record(
      r,
      id,
      backend === "wasm"
        ? trainTfjs(id, mode)
        : { na: "not run: B7/B8 measure TensorFlow.js on its wasm backend (see tfjs-wasm)" },
    );
  }
}

/** Runs the selected workloads on the given backend; one report per backend. */
export async function runTfjs(backend: TfBackend, opts: PeerOptions): Promise<SystemReport> {
  const r: SystemReport = {
    name: `tfjs-${backend}`,
    version: `${VERSION} (npm:@tensorflow/tfjs${
      backend === "wasm" ? ", npm:@tensorflow/tfjs-backend-wasm" : ""
    }, ${backend} backend)`,
    threads: backend === "wasm" ? "1 (setThreadsCount(1))" : "1 (plain JS)",
    info: [],
    results: {},
  };
  await runOn(backend, opts, r);
  if (backend === "wasm") {
    r.info.push(`tfjs wasm: SIMD ${await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")}`);
  }
  return r;
}
