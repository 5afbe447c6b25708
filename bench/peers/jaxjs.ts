/**
 * jax-js (`npm:@jax-js/jax`, wasm device) on the SPEC workloads (B7 and B8
 * in bench/peers/jaxjs_train.ts), eager and
 * `jit`, with sync reads (`dataSync()`: kernels run on the calling thread)
 * and async reads (`await data()`: kernels go to the worker pool over
 * SharedArrayBuffer, one worker per logical CPU).
 *
 * jax-js arrays are reference counted: every call consumes its arguments, so
 * inputs that are reused are passed as `x.ref`, and every result is disposed
 * after it is read.
 * @module
 */
import { jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { workloads } from "../inputs.ts";
import { trainJaxjs } from "./jaxjs_train.ts";
import {
  b5LossOk,
  checkB2,
  keysOf,
  type Measure,
  metricOf,
  oneHot,
  type PeerOptions,
  record,
  type SystemReport,
  timeMs,
} from "./common.ts";

type Read = "sync" | "async";
type Fn = (...xs: np.Array[]) => np.Array;

async function read(a: np.Array, how: Read): Promise<ArrayLike<number>> {
  // data() and dataSync() consume the array (they take ownership, like every op)
  return (how === "sync" ? a.dataSync() : await a.data()) as ArrayLike<number>;
}

/** Times one array function over fixed inputs in the four modes. */
async function timeModes(
  f: Fn,
  inputs: np.Array[],
  opts: PeerOptions,
  runs = opts.runs,
  check?: (out: ArrayLike<number>) => void,
): Promise<Measure[]> {
  const out: Measure[] = [];
  for (const compile of ["eager", "jit"] as const) {
    const g: Fn = compile === "jit" ? jit(f) as unknown as Fn : f;
    for (const how of ["sync", "async"] as const) {
      if (check) check(await read(g(...inputs.map((x) => x.ref)), how));
      const ms = await timeMs(
        () => read(g(...inputs.map((x) => x.ref)), how),
        runs,
        opts.warmups,
      );
      out.push({ value: ms, mode: `${compile}, ${how} read` });
    }
  }
  return out;
}

const b2 = (x: np.Array) => nn.sigmoid(x.ref.mul(2).add(1)).mul(nn.relu(x.ref)).sub(x.mul(0.5));

const b3 = (x: np.Array, w: np.Array, b: np.Array) => nn.relu(np.matmul(x, w).add(b));

type P4 = { w1: np.Array; b1: np.Array; w2: np.Array; b2: np.Array };
type P5 = { w1: np.Array; w2: np.Array };

function loss4(p: P4, x: np.Array, y1h: np.Array): np.Array {
  const logits = np.matmul(nn.relu(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2);
  return nn.logSoftmax(logits, -1).mul(y1h).sum(-1).mean().neg();
}

function loss5(p: P5, x: np.Array, t: np.Array): np.Array {
  const prob = nn.sigmoid(np.matmul(nn.relu(np.matmul(x, p.w1)), p.w2));
  const logP = np.clip(np.log(prob.ref), -100);
  const log1mP = np.clip(np.log(prob.neg().add(1)), -100);
  return t.ref.mul(logP).add(t.neg().add(1).mul(log1mP)).mean().neg();
}

function sgd<P extends P4 | P5>(
  loss: (p: P, x: np.Array, y: np.Array) => np.Array,
): (p: P, x: np.Array, y: np.Array) => [P, np.Array] {
  return (p, x, y) => {
    const vg = valueAndGrad(loss) as unknown as (p: P, x: np.Array, y: np.Array) => [np.Array, P];
    const [l, g] = vg(tree.ref(p), x, y);
    const next = tree.map((w: np.Array, d: np.Array) => w.sub(d.mul(0.1)), p, g) as P;
    return [next, l];
  };
}

/** Runs `steps` training steps, reading w2 after each (as Lathe's loop does); returns ms and last loss. */
async function train<P extends P4 | P5>(
  step: (p: P, x: np.Array, y: np.Array) => [P, np.Array],
  p0: P,
  x: np.Array,
  y: np.Array,
  warm: number,
  steps: number,
  how: Read,
): Promise<{ ms: number; loss: number }> {
  let p = p0;
  let last: np.Array | undefined;
  let t0 = 0;
  for (let i = 0; i < warm + steps; i++) {
    if (i === warm) t0 = performance.now();
    last?.dispose();
    [p, last] = step(p, x.ref, y.ref);
    if (how === "sync") p.w2.ref.dataSync();
    else await p.w2.ref.data();
  }
  const ms = performance.now() - t0;
  const loss = (await read(last!, how))[0];
  tree.dispose(p);
  return { ms, loss };
}

/** The inputs as jax-js wants them (inputs.ts types them over ArrayBufferLike). */
const buf = (a: Float32Array) => a as Float32Array<ArrayBuffer>;
const arr = (data: Float32Array, shape: number[]) => np.array(buf(data)).reshape(shape);

/** Runs the selected workloads. */
export async function runJaxjs(opts: PeerOptions): Promise<SystemReport> {
  const r: SystemReport = {
    name: "jax-js",
    version: "0.1.25 (npm:@jax-js/jax, wasm device)",
    threads:
      `sync reads: 1 (calling thread); async reads: worker pool of ${navigator.hardwareConcurrency} (navigator.hardwareConcurrency)`,
    info: [],
    results: {},
  };
  const want = (id: string) => opts.only.has(id);
  if (want("B1")) {
    for (const n of [128, 512, 1024]) {
      const { a, b } = workloads.B1(n);
      const A = arr(a, [n, n]), B = arr(b, [n, n]);
      const key = keysOf("B1")[[128, 512, 1024].indexOf(n)];
      for (const m of await timeModes(np.matmul, [A, B], opts, n === 1024 ? 7 : opts.runs)) {
        record(r, key, { ...m, value: metricOf(key, m.value) });
      }
      A.dispose(), B.dispose();
    }
  }
  if (want("B2")) {
    const { x } = workloads.B2();
    const X = np.array(buf(x));
    const check = (out: ArrayLike<number>) => checkB2(x, out, "jax-js");
    for (const m of await timeModes(b2, [X], opts, opts.runs, check)) record(r, "B2", m);
    X.dispose();
  }
  if (want("B3")) {
    const { x, w, b } = workloads.B3();
    const ins = [arr(x, [256, 784]), arr(w, [784, 256]), np.array(buf(b))];
    for (const m of await timeModes(b3, ins, opts)) record(r, "B3", m);
    tree.dispose(ins);
  }
  if (want("B4")) {
    const { w1, w2, x, y } = workloads.B4();
    for (const compile of ["eager", "jit"] as const) {
      for (const how of ["sync", "async"] as const) {
        const step = compile === "jit" ? jit(sgd(loss4)) as never : sgd(loss4);
        const p: P4 = {
          w1: arr(w1, [784, 256]),
          b1: np.zeros([256]),
          w2: arr(w2, [256, 10]),
          b2: np.zeros([10]),
        };
        const X = arr(x, [128, 784]), Y = arr(oneHot(y, 10), [128, 10]);
        const t = await train(step, p, X, Y, 20, 200, how);
        X.dispose(), Y.dispose();
        record(r, "B4", { value: 200 / (t.ms / 1000), mode: `${compile}, ${how} read` });
      }
    }
  }
  if (want("B5")) {
    const { x, w1, w2 } = workloads.B5();
    const t1 = new Float32Array(10);
    t1[1] = 1;
    for (const compile of ["eager", "jit"] as const) {
      for (const how of ["sync", "async"] as const) {
        const step = compile === "jit" ? jit(sgd(loss5)) as never : sgd(loss5);
        const p: P5 = { w1: arr(w1, [784, 20]), w2: arr(w2, [20, 10]) };
        const X = arr(x, [1, 784]), T = arr(t1, [1, 10]);
        const t = await train(step, p, X, T, 0, 1000, how);
        X.dispose(), T.dispose();
        const m: Measure = { value: t.ms, mode: `${compile}, ${how} read`, loss: t.loss };
        if (!b5LossOk(t.loss)) m.mode += ` (final loss ${t.loss.toExponential(4)}: WRONG)`;
        record(r, "B5", m);
      }
    }
  }
  if (want("B6")) {
    const { x, m } = workloads.B6();
    const X = np.array(buf(x));
    const sum = (a: np.Array) => a.sum();
    for (const v of await timeModes(sum, [X], opts)) record(r, "B6-sum", v);
    X.dispose();
    const M = arr(m, [1024, 1024]);
    const softmax = (a: np.Array) => nn.softmax(a, -1);
    for (const v of await timeModes(softmax, [M], opts)) record(r, "B6-softmax", v);
    M.dispose();
  }
  for (const id of ["B7", "B8"] as const) {
    if (want(id)) { for (const m of await trainJaxjs(id)) record(r, id, m); }
  }
  return r;
}
