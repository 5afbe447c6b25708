/**
 * `deno bench --allow-read bench/`: SPEC's B2 (elementwise chain) and B6 sum
 * on 1,048,576 floats, with `dataSync()` inside the timed part.
 *
 * Inputs come from a pool of distinct tensors made up front. A used input is
 * never timed again: after each iteration its slot gets a fresh tensor,
 * outside the timed part (`b.start()`/`b.end()`), since Deno may run more
 * iterations than any fixed pool holds and a realized graph may not recompute.
 * Each iteration also checks that a kernel really ran.
 * @module
 */
import * as lt from "../mod.ts";
import { workloads } from "./inputs.ts";

const POOL = 16;

/** Benches `compute` on fresh tensors of `data`. */
function benchFresh(name: string, data: Float32Array, compute: (x: lt.Tensor) => lt.Tensor): void {
  const pool = Array.from({ length: POOL }, () => lt.tensor(data));
  let i = 0;
  Deno.bench({
    name,
    group: "lathe-cpu",
    fn(b) {
      const slot = i++ % POOL;
      const before = lt.kernelStats().launched;
      b.start();
      compute(pool[slot]).dataSync();
      b.end();
      if (lt.kernelStats().launched === before) {
        throw new Error(`${name}: no kernel ran (cached result)`);
      }
      pool[slot] = lt.tensor(data);
    },
  });
}

benchFresh(
  "B2 elementwise chain, 1,048,576 f32",
  workloads.B2().x,
  (x) => lt.sigmoid(x.mul(2).add(1)).mul(lt.relu(x)).sub(x.mul(0.5)),
);
benchFresh("B6 sum, 1,048,576 f32", workloads.B6().x, (x) => x.sum());
