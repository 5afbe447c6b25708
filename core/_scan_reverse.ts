/**
 * The reverse pass of a compiled `scan` (inside `jit` under `grad`): the forward loop saves the
 * carry before every step; each result becomes a `customVjp` node whose backward rule is a second
 * compiled loop, run from the last step to the first, replaying the derivative of the body (its
 * traced graph differentiated once with `vjpNodes`) on the saved carries. Cotangents of the inputs
 * read from outside the body (weights) are summed over the steps.
 * @module
 */
import { allocate, type DataArray, isFloat } from "./ir/dtype.ts";
import { Node } from "./ir/ir.ts";
import * as b from "./ops/build.ts";
import { vjpNodes } from "./autodiff.ts";
import { type Body, compileGraph, sizeOfShape } from "./_loop_body.ts";
import type { HostStep } from "../jit/_hosted.ts";

/** A forward compiled scan, as its reverse pass needs it. */
export interface ForwardScan {
  /** The compiled step: placeholders (carry, then x), results (carry, then y). */
  readonly body: Body;
  /** Steps, and the order they ran in (`order(s)` is the step index of iteration s). */
  readonly n: number;
  readonly order: (s: number) => number;
  /** The loop's inputs (init carry, xs, captured) and its results (carry, ys). */
  readonly inputs: readonly Node[];
  readonly results: readonly Node[];
  /** The saved carries `[n, ...carry]`, one per carry leaf. */
  readonly saved: readonly Node[];
  /** Counts: carry leaves, xs leaves. */
  readonly nc: number;
  readonly nx: number;
}

const SECOND_ORDER = "scan() inside jit: second derivatives (hessian, jvp, grad of grad) " +
  "through a compiled loop are not supported yet: apply that transform outside jit, where loops run eagerly";

/** The derivative of one step: (carry, x, cotangents of carry' and y) → cotangents of carry, x, captured. */
function reverseBody(fwd: ForwardScan): Body {
  const { body } = fwd;
  const ctPh = body.outs.map((o) => Node.placeholder(o.dtype, o.shape));
  const wrt = [...body.ph, ...body.captured];
  const grads = vjpNodes(body.outs, ctPh, wrt);
  const outs = grads.map((g, i) => g ?? b.constant(0, wrt[i].dtype, wrt[i].shape));
  return compileGraph([...body.ph, ...ctPh], outs);
}

/**
 * Wraps the results of a compiled scan so that `grad` differentiates them with a reverse loop.
 * @param fwd the forward loop
 * @param sink where the reverse loop's host step goes (the same program)
 * @returns the results as `customVjp` nodes
 */
export function differentiable(fwd: ForwardScan, sink: (step: HostStep) => void): Node[] {
  let rev: Body | undefined;
  const { n, nc, nx, body, order } = fwd;
  const sizes = body.outs.map((o) => sizeOfShape(o.shape));
  const xSizes = body.ph.slice(nc).map((p) => sizeOfShape(p.shape));
  const backward = (k: number, ct: Node): (Node | undefined)[] => {
    rev ??= reverseBody(fwd);
    const r = rev;
    const cts = fwd.results.map((
      v,
      j,
    ) => (j === k ? ct : b.constant(0, v.dtype, v.shape, v.device)));
    const grads = [...body.ph, ...body.captured].map((p) => Node.placeholder(p.dtype, p.shape));
    const ctXs = grads.slice(nc, nc + nx).map((p) => Node.placeholder(p.dtype, [n, ...p.shape]));
    const outputs = [...grads.slice(0, nc), ...ctXs, ...grads.slice(nc + nx)];
    const xs = fwd.inputs.slice(nc, nc + nx);
    sink({
      inputs: [...fwd.saved, ...xs, ...cts, ...r.captured],
      outputs,
      kernels: r.kernels,
      run: (arrays) => {
        const saved = arrays.slice(0, nc);
        const xArr = arrays.slice(nc, nc + nx);
        let ctCarry = arrays.slice(nc + nx, 2 * nc + nx);
        const ctYs = arrays.slice(2 * nc + nx, nc + nx + cts.length);
        const captured = arrays.slice(nc + nx + cts.length);
        const stepOf = (a: DataArray, size: number, t: number) =>
          a.slice(t * size, (t + 1) * size) as DataArray;
        const xGrads = outputs.slice(nc, nc + nx).map((o) =>
          allocate(o.dtype, sizeOfShape(o.shape))
        );
        const capGrads = outputs.slice(nc + nx).map((o) => allocate(o.dtype, sizeOfShape(o.shape)));
        for (let s = n - 1; s >= 0; s--) {
          const t = order(s);
          const out = r.run([
            ...saved.map((a, j) => stepOf(a, sizes[j], t)),
            ...xArr.map((a, j) => stepOf(a, xSizes[j], t)),
            ...ctCarry,
            ...ctYs.map((a, j) => stepOf(a, sizes[nc + j], t)),
            ...captured,
          ]);
          ctCarry = out.slice(0, nc);
          out.slice(nc, nc + nx).forEach((g, j) => xGrads[j].set(g as never, t * xSizes[j]));
          out.slice(nc + nx).forEach((g, j) => {
            const acc = capGrads[j] as Float32Array;
            for (let i = 0; i < acc.length; i++) acc[i] += g[i] as number;
          });
        }
        return [...ctCarry, ...xGrads, ...capGrads];
      },
    });
    // the reverse loop's results are not differentiable again (yet): say so if asked
    return outputs.map((o, i) =>
      isFloat(fwd.inputs[i].dtype)
        ? b.customVjp(fwd.inputs.filter((x) => isFloat(x.dtype)), o, () => {
          throw new Error(SECOND_ORDER);
        })
        : undefined
    );
  };
  return fwd.results.map((v, k) => b.customVjp(fwd.inputs, v, (ct) => backward(k, ct)));
}
