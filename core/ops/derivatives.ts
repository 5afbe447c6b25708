/**
 * Reverse-mode rules: for every primitive, the cotangents of its inputs
 * (the elementwise ones' rules are in their rows, `elementwise.ts`)
 * given the cotangent of its output, written with other primitives (so
 * gradients fuse like any program and can be differentiated again). The
 * table is exhaustive: a primitive without a rule does not compile.
 * Derivatives at kinks follow PyTorch (relu'(0) = 0, |x|'(0) = 0, ties of
 * max/maximum share the gradient).
 * @module
 */
import type { Node } from "../ir/ir.ts";
import { isFloat } from "../ir/dtype.ts";
import type { OpArgs, OpName } from "./registry.ts";
import * as b from "./build.ts";
import { type AluOp, elementwiseOps } from "./elementwise.ts";
import { reductions } from "./reductions.ts";
import type { VjpRule } from "./primitive.ts";
import { scatterInto } from "./scatter.ts";
import { cumulativeVjp } from "./scan.ts";

/** The elementwise and reduction primitives' rules, read from their rows. */
const rowVjps = Object.fromEntries(
  Object.entries({ ...elementwiseOps, ...reductions }).map(([name, row]) => [name, row.vjp]),
) as { readonly [K in AluOp | keyof typeof reductions]: VjpRule };

function zero(): undefined {
  return undefined;
}
function none(): readonly undefined[] {
  return [];
}

/** Sums `ct` over the axes that `expand` grew, back to `shape`. */
function unbroadcast(ct: Node, shape: readonly number[]): Node {
  const axes = shape.flatMap((d, i) => (d === 1 && ct.shape[i] !== 1 ? [i] : []));
  return b.reshape(b.reduce("reduceSum", ct, axes), shape);
}

/** Scatters a slice's cotangent back into a zero tensor of the source's shape. */
function unslice(ct: Node, src: Node, start: readonly number[], step: readonly number[]): Node {
  let g = ct;
  for (let d = 0; d < src.shape.length; d++) {
    const n = src.shape[d];
    const size = g.shape[d];
    let s = step[d];
    let first = start[d];
    if (s < 0) {
      g = b.flip(g, [d]);
      first = first + (size - 1) * s;
      s = -s;
    }
    if (size === 0) {
      g = b.constant(0, g.dtype, g.shape.map((e, i) => (i === d ? n : e)), g.device);
      continue;
    }
    if (s > 1) {
      const spread = [...g.shape.slice(0, d + 1), 1, ...g.shape.slice(d + 1)];
      const padded = b.pad(
        b.reshape(g, spread),
        spread.map(() => 0),
        spread.map((_, i) => (i === d + 1 ? s - 1 : 0)),
        0,
      );
      g = b.reshape(padded, g.shape.map((e, i) => (i === d ? size * s : e)));
    }
    const len = g.shape[d];
    const fit = Math.min(len, n - first);
    if (fit < len) {
      g = b.slice(
        g,
        g.shape.map(() => 0),
        g.shape.map(() => 1),
        g.shape.map((e, i) => (i === d ? fit : e)),
      );
    }
    const before = g.shape.map((_, i) => (i === d ? first : 0));
    const after = g.shape.map((_, i) => (i === d ? n - first - fit : 0));
    g = b.pad(g, before, after, 0);
  }
  return g;
}

/** Scatter-add of gather's cotangent into zeros of the source's shape. */
function ungather(ct: Node, src: Node, index: Node, axis: number): Node {
  const summed = scatterInto(ct, index, axis, src.shape[axis]);
  return b.pad(summed, summed.shape.map(() => 0), summed.shape.map((d, i) => src.shape[i] - d), 0);
}

function swapLast(x: Node): Node {
  const perm = [...x.shape.keys()];
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return b.permute(x, perm);
}

/** Every primitive's reverse-mode rule. */
export const vjpRules: { readonly [K in OpName]: VjpRule } = {
  buffer: none,
  const: none,
  identity: (ct) => [ct],
  customVjp: (ct, { arg }) => [...(arg as OpArgs["customVjp"]).backward(ct), zero()],
  stopGradient: () => [zero()],
  cast: (
    ct,
    { src },
  ) => [
    isFloat(src[0].dtype) ? b.cast(ct, src[0].dtype) : zero(),
  ],
  ...rowVjps,
  reshape: (ct, { src: [x] }) => [b.reshape(ct, x.shape)],
  permute: (ct, { arg }) => {
    const perm = arg as OpArgs["permute"];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [b.permute(ct, inverse)];
  },
  expand: (ct, { src: [x] }) => [unbroadcast(ct, x.shape)],
  pad: (ct, { src: [x], arg }) => {
    const { before } = arg as OpArgs["pad"];
    return [b.slice(ct, before, before.map(() => 1), x.shape)];
  },
  slice: (ct, { src: [x], arg }) => {
    const { start, step } = arg as OpArgs["slice"];
    return [unslice(ct, x, start, step)];
  },
  flip: (ct, { arg }) => [b.flip(ct, arg as OpArgs["flip"])],
  // d(A·B) = dC·Bᵀ, Aᵀ·dC
  matmul: (ct, { src: [x, y] }) => [b.matmul(ct, swapLast(y)), b.matmul(swapLast(x), ct)],
  gather: (ct, { src: [x, index], arg }) => [ungather(ct, x, index, arg as number), zero()],
  linalg: (_, { arg }) => {
    // the frontend wraps every linalg node in customVjp, whose backward is the gradient
    throw new Error(
      `${(arg as OpArgs["linalg"]).caller}(): a linalg node was differentiated outside its ` +
        "customVjp wrapper (internal error)",
    );
  },
  attention: () => {
    // like linalg: the frontend wraps every attention node in customVjp (core/attention.ts)
    throw new Error(
      "scaledDotProductAttention(): a fused attention node was differentiated outside its " +
        "customVjp wrapper (internal error)",
    );
  },
  // d scatterAdd(u, i) = gather(ct, i): each update reads the cell it was added to
  // an integer permutation: sort's gradient flows through the gather that applies it
  argsort: () => [zero()],
  scatterAdd: (ct, { src: [, index], arg }) => [b.gather(ct, index, arg as number), zero()],
  cumulative: (ct, { src: [x], arg }, out) => [
    cumulativeVjp(ct, x, out, (arg as OpArgs["cumulative"]).op),
  ],
};
