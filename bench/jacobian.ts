/**
 * `deno run -A bench/jacobian.ts`: the Jacobian of a 100-input function, `jacrev`/`jacfwd`
 * (one batched pass with `vmap`) against the loop they replaced (one pass per basis vector,
 * written out here), and `hessian`; also under `jit`. Prints medians of the same run (ratios only
 * count within one run) and checks that both ways give the same matrix.
 * @module
 */
import * as lt from "../mod.ts";

const N = 100;
const w = lt.random.normal(lt.random.key(0), [N, N]).div(10);
const f = (x: lt.Tensor) => lt.matmul(w, x).tanh().mul(x);
const x = lt.random.normal(lt.random.key(1), [N]);
w.dataSync();
x.dataSync();

function oneHot(i: number, like: lt.Tensor): lt.Tensor {
  const data = new Float32Array(like.size);
  data[i] = 1;
  return lt.tensor(data, { shape: like.shape });
}
/** The previous jacrev: one reverse pass per output element. */
function loopJacrev(x: lt.Tensor): lt.Tensor {
  const [y, back] = lt.vjp(f, x);
  return lt.stack(
    Array.from({ length: y.size }, (_, i) => back(oneHot(i, y))[0]),
  );
}
/** The previous jacfwd: one forward pass per input element. */
function loopJacfwd(x: lt.Tensor): lt.Tensor {
  const cols = Array.from(
    { length: x.size },
    (_, i) => lt.jvp(f, [x], [oneHot(i, x)])[1],
  );
  return lt.stack(cols, -1);
}

function median(run: () => lt.Tensor, reps = 7): [number, lt.Tensor] {
  let out = run();
  out.dataSync(); // warm-up (kernel compilation)
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = run();
    out.dataSync();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(reps / 2)], out];
}

const jitBatched = lt.jit(lt.jacrev(f));
const jitLoop = lt.jit(loopJacrev);
const rows: [string, () => lt.Tensor, () => lt.Tensor][] = [
  ["jacrev", () => lt.jacrev(f)(x), () => loopJacrev(x)],
  ["jacfwd", () => lt.jacfwd(f)(x), () => loopJacfwd(x)],
  ["jit(jacrev)", () => jitBatched(x), () => jitLoop(x)],
];
for (const [name, batched, loop] of rows) {
  const [tb, jb] = median(batched);
  const [tl, jl] = median(loop);
  const diff = jb.sub(jl).abs().max().item();
  if (!(diff < 1e-4)) {
    throw new Error(`${name}: the two Jacobians differ by ${diff}`);
  }
  console.log(
    `${name} of a ${N}-input function: vmap ${tb.toFixed(1)} ms, loop ${tl.toFixed(1)} ms, ` +
      `speed-up ${(tl / tb).toFixed(1)}x`,
  );
}
const [th] = median(() => lt.hessian((v: lt.Tensor) => f(v).sum())(x), 3);
console.log(`hessian of a ${N}-input function (vmap): ${th.toFixed(1)} ms`);
