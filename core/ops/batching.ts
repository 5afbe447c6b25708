/**
 * vmap on the IR: every primitive's batching rule (the elementwise and reduction rows carry
 * theirs; the structural primitives' rules are here, beside `derivatives.ts`'s reverse rules), and
 * `batchGraph`, which rewrites a program traced on one example into the program for a batch. The
 * table is exhaustive: a primitive without a batching rule does not compile.
 * @module
 */
import { type Node, type Origin, originOf } from "../ir/ir.ts";
import type { OpArgs, OpName } from "./registry.ts";
import * as b from "./build.ts";
import { type AluOp, elementwiseOps } from "./elementwise.ts";
import { reductions } from "./reductions.ts";
import { linalgRoutines } from "./linalg.ts";
import { attentionBatch } from "./attention.ts";
import {
  type Batched,
  type BatchRule,
  batchSize,
  moveAxis,
  type Rebatch,
  toFront,
} from "./_batch_axes.ts";

export type { Batched, BatchRule };

const elementwiseBatches = Object.fromEntries(
  Object.values(elementwiseOps).map((p) => [p.name, p.batch]),
) as { readonly [K in AluOp]: BatchRule };
const reductionBatches = Object.fromEntries(
  Object.entries(reductions).map(([name, r]) => [name, r.batch]),
) as { readonly [K in keyof typeof reductions]: BatchRule };

/** A source-less node is never batched: it is its own result. */
const unbatched: BatchRule = (_src, _dims, _x, out) => [out, undefined];

/** A one-operand op whose result keeps the operand's batch axis where it is. */
function sameAxis(make: (x: Node) => Node): BatchRule {
  return ([x], [d]) => [make(x), d];
}

/** A one-operand op on the batch-first operand, with its per-axis parameters shifted by one. */
function front(make: (x: Node, out: Node, arg: unknown) => Node): BatchRule {
  return ([x], [d], { arg }, out) => [make(moveAxis(x, d, 0, 0), out, arg), 0];
}

/**
 * `[...s, m, k] @ [...s, k, n]` with one side batched: without shared batch axes `s`, the batch
 * folds into the rows (`[B·m, k] @ [k, n]`) or, for a batched right side, into the columns of
 * the transposed product (`([B·n, k] @ aᵀ)ᵀ`), so a vmapped matrix-vector product is one matrix
 * product; otherwise the unbatched side is broadcast (a view) and the product batched.
 */
const matmulBatch: BatchRule = ([x, y], [dx, dy], _o, out) => {
  const size = batchSize([x, y], [dx, dy]);
  const [m, n] = out.shape.slice(-2);
  const k = x.shape[x.shape.length - 1];
  if (out.shape.length === 2 && dy === undefined) {
    const rows = b.reshape(moveAxis(x, dx, 0, size), [size * m, k]);
    return [b.reshape(b.matmul(rows, y), [size, m, n]), 0];
  }
  if (out.shape.length === 2 && dx === undefined) {
    const cols = b.reshape(b.permute(moveAxis(y, dy, 0, size), [0, 2, 1]), [size * n, k]);
    const t = b.reshape(b.matmul(cols, b.permute(x, [1, 0])), [size, n, m]);
    return [n === 1 ? b.reshape(t, [size, m, n]) : b.permute(t, [0, 2, 1]), 0];
  }
  return [b.matmul(moveAxis(x, dx, 0, size), moveAxis(y, dy, 0, size)), 0];
};

/** gather along `axis` with the batch first on both operands (the unbatched one broadcast). */
const gatherBatch: BatchRule = (src, dims, { arg }) => {
  const { src: [x, index] } = toFront(src, dims);
  return [b.gather(x, index, (arg as number) + 1), 0];
};

/** scatterAdd along `axis` with the batch first on updates and indices: each example adds into its own slice. */
const scatterAddBatch: BatchRule = (src, dims, { arg }, out) => {
  const { src: [updates, index] } = toFront(src, dims);
  return [b.scatterAdd(updates, index, (arg as number) + 1, [updates.shape[0], ...out.shape]), 0];
};

/**
 * customVjp: the batched value with a batched reverse rule, which batches the user's backward
 * (traced on one example's cotangent) and sums the cotangents of unbatched inputs over the batch.
 */
const customVjpBatch: BatchRule = (src, dims, { arg }, out, rebatch) => {
  const size = batchSize(src, dims);
  const inputs = src.slice(0, -1).map((
    s,
    i,
  ) => (dims[i] === undefined ? s : moveAxis(s, dims[i], 0, size)));
  const value = moveAxis(src[src.length - 1], dims[dims.length - 1], 0, size);
  const { backward } = arg as OpArgs["customVjp"];
  const batchedBackward = (ct: Node) => {
    const one = b.leaf(b.constant(0, out.dtype, out.shape, out.device));
    const grads = backward(one);
    const roots = grads.filter((g): g is Node => g !== undefined);
    const done = rebatch(roots, new Map([[one, [ct, 0]]]));
    let next = 0;
    return grads.map((g, i) => {
      if (g === undefined) return undefined;
      const [node, axis] = done[next++];
      if (dims[i] !== undefined) return moveAxis(node, axis, 0, size);
      return axis === undefined ? node : b.reduce("reduceSum", node, [axis]);
    });
  };
  return [b.customVjp(inputs, value, batchedBackward), 0];
};

/** Every primitive's batching rule. */
export const batchRules: { readonly [K in OpName]: BatchRule } = {
  buffer: unbatched,
  const: unbatched,
  identity: sameAxis((x) => x),
  stopGradient: sameAxis(b.stopGradient),
  customVjp: customVjpBatch,
  cast: ([x], [d], _x, out) => [b.cast(x, out.dtype), d],
  ...elementwiseBatches,
  ...reductionBatches,
  reshape: front((x, out) => b.reshape(x, [x.shape[0], ...out.shape])),
  permute: front((x, _out, perm) => b.permute(x, [0, ...(perm as number[]).map((p) => p + 1)])),
  expand: front((x, out) => b.expand(x, [x.shape[0], ...out.shape])),
  pad: front((x, _out, arg) => {
    const { before, after, value } = arg as OpArgs["pad"];
    return b.pad(x, [0, ...before], [0, ...after], value);
  }),
  slice: front((x, out, arg) => {
    const { start, step } = arg as OpArgs["slice"];
    return b.slice(x, [0, ...start], [1, ...step], [x.shape[0], ...out.shape]);
  }),
  flip: front((x, _out, axes) => b.flip(x, (axes as number[]).map((a) => a + 1))),
  matmul: matmulBatch,
  gather: gatherBatch,
  scatterAdd: scatterAddBatch,
  // argsort sorts the last axis, which stays last with the batch in front
  argsort: front((x, _out, arg) => b.argsort(x, (arg as OpArgs["argsort"]).descending)),
  // so does a scan's
  cumulative: front((x, _out, arg) => b.cumulative(x, (arg as OpArgs["cumulative"]).op)),
  attention: attentionBatch,
  linalg: (src, dims, x, out, rebatch) => {
    const { routine } = x.arg as OpArgs["linalg"];
    return linalgRoutines[routine].batch(src, dims, x, out, rebatch);
  },
};

/**
 * Rewrites the program below `roots` for a batch: `env` gives the batched value of the traced
 * inputs (and of any node already known); nodes that depend on none of them stay as they are
 * (unbatched). Realized nodes are walked through their origin (`withTrace` keeps it).
 * @param roots the traced program's results
 * @param env the batched values of the traced inputs
 * @returns each root's batched value
 */
export function batchGraph(roots: readonly Node[], env: ReadonlyMap<Node, Batched>): Batched[] {
  const memo = new Map<Node, Batched>(env);
  const rebatch: Rebatch = (more, bind) => {
    for (const [k, v] of bind) memo.set(k, v);
    return batchGraph(more, memo);
  };
  const stack: [Node, number][] = roots.map((r) => [r, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (memo.has(node)) {
      stack.pop();
      continue;
    }
    const origin: Origin = originOf(node);
    if (next < origin.src.length) {
      top[1]++;
      if (!memo.has(origin.src[next])) stack.push([origin.src[next], 0]);
      continue;
    }
    stack.pop();
    const done = origin.src.map((s) => memo.get(s)!);
    if (done.every(([, axis]) => axis === undefined)) {
      memo.set(node, [node, undefined]);
      continue;
    }
    const src = done.map(([n]) => n);
    const dims = done.map(([, axis]) => axis);
    memo.set(node, batchRules[origin.op](src, dims, origin, node, rebatch));
  }
  return roots.map((r) => memo.get(r)!);
}
