/**
 * `deno run -A bench/lstm_scan.ts`: a jitted `nn.lstm` (input 8, hidden 16, batch 4) over 10,
 * 50 and 1,000 steps, as the layer runs now (each layer's time loop is one `scan`) and as it ran
 * before (the cell stepped in a JavaScript loop, unrolled into the trace, outputs stacked): first
 * call (trace + compile + run), a rerun, and the kernels in the program. Each length uses a fresh
 * `jit`; kernels compiled for one length may be reused by the next, so the first call of the first
 * length is the coldest.
 * @module
 */
import * as lt from "../mod.ts";
import { lstm, lstmCell } from "../nn/mod.ts";

const layer = lstm(8, 16);
const params = layer.init(lt.random.key(0));
const cell = lstmCell(8, 16);
const cellParams = {
  weight_ih: params.weight_ih_l0,
  weight_hh: params.weight_hh_l0,
  bias_ih: params.bias_ih_l0,
  bias_hh: params.bias_hh_l0,
};
type Params = Record<string, lt.Tensor>;

const scanned = (p: Params, x: lt.Tensor) => layer.apply(p, x);
/** The layer's loop before it used scan: one traced cell step per time step. */
const unrolled = (_p: Params, x: lt.Tensor) => {
  let s: { h: lt.Tensor; c: lt.Tensor } | undefined;
  const hs = Array.from({ length: x.shape[1] }, (_, t) => {
    s = cell.step(cellParams, x.select(1, t), s);
    return s.h;
  });
  return lt.stack(hs, 1);
};

const variant = Deno.args[0];
for (const [name, f] of [["scan", scanned], ["unrolled", unrolled]] as const) {
  if (variant !== undefined && variant !== name) continue;
  for (const steps of name === "scan" ? [10, 50, 1000] : [10, 50, 100]) {
    const x = lt.random.normal(lt.random.key(1), [4, steps, 8]);
    x.dataSync();
    const jitted = lt.jit(f);
    try {
      const t0 = performance.now();
      jitted(params, x).dataSync();
      const first = performance.now() - t0;
      const t1 = performance.now();
      jitted(params, x).dataSync();
      const rerun = performance.now() - t1;
      const kernels = lt.explain(lt.jit(f), params, x).kernels.length;
      console.log(
        `${name.padEnd(8)} ${String(steps).padStart(5)} steps: first call ${
          first.toFixed(0)
        } ms, rerun ${
          rerun.toFixed(1)
        } ms, ${kernels} kernels, compileCount ${jitted.compileCount}`,
      );
    } catch (e) {
      console.log(
        `${name.padEnd(8)} ${String(steps).padStart(5)} steps: failed: ${e}`,
      );
    }
  }
}
