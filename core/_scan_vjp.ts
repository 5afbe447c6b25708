/**
 * The reverse-mode rule of `scan`, written with `scan` itself so that it composes: the forward
 * saves the carry before every step, and each result is a `customVjp` node whose backward is a
 * second scan, run from the last step to the first, whose step is the derivative of the body
 * (the body run again on that step's saved carry and differentiated with `vjpNodes`). Cotangents
 * of the values the body reads from outside (weights) are summed in that scan's carry.
 * Eagerly the backward scan runs eagerly; inside `jit` it compiles like any scan. Because it is a
 * scan, `grad` of it is this rule again (second derivatives, `jvp` as the transpose of a vjp).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { isFloat } from "./ir/dtype.ts";
import { Node, pendingNodes } from "./ir/ir.ts";
import * as b from "./ops/build.ts";
import { vjpNodes } from "./autodiff.ts";
import type { Spec } from "./_loop_body.ts";
import { isStaging, whileStaging, wrap } from "./_wrap.ts";
import { realize } from "../jit/realize.ts";
import { collectHostSteps } from "../jit/_hosted.ts";
import { stack } from "./movement.ts";

/** A flat scan step: `[...carry, ...x_t]` → `[...carry', ...y_t]`. */
export type FlatStep = (args: readonly Tensor[]) => Tensor[];

/** A flat scan: `[...final carry, ...stacked ys]` (the public `scan` on arrays). */
export type FlatScan = (
  step: FlatStep,
  init: readonly Tensor[],
  xs: readonly Tensor[],
  n: number,
  reverse: boolean,
) => Tensor[];

/** A value's spec with its device. */
export type DeviceSpec = Spec & { readonly device: Node["device"] };

/**
 * The float values of the enclosing program that `step` reads (closed over): `step` is traced
 * once on placeholders (while staging, so nothing runs); with `floatsOnly` false, values of
 * every dtype (what `vmap` batches). Values it makes itself from outer ones
 * (`w.transpose()` in the body) are made again at every call, so the outer values they come from
 * are the ones reported: every node made by the trace is inside, every older one it reads outside.
 */
export function capturedBy(
  step: FlatStep,
  specs: readonly DeviceSpec[],
  floatsOnly = true,
): Node[] {
  const mark = Node.placeholder("float32", []).id;
  const ph = specs.map((s) => Node.placeholder(s.dtype, s.shape, s.device));
  const [outs, steps] = collectHostSteps(() => whileStaging(() => step(ph.map(wrap))));
  const roots = [...outs.map((t) => t.node), ...steps.flatMap((s) => s.inputs)];
  const captured = new Set<Node>();
  const outer = (n: Node) => {
    const kept = !floatsOnly || isFloat(n.dtype);
    if (n.id < mark && kept && n.buffer === undefined && n.op !== "const") {
      captured.add(n);
    }
  };
  roots.forEach(outer);
  for (const n of pendingNodes(roots)) if (n.id >= mark) n.src.forEach(outer);
  return [...captured];
}

/** The specs of a scan step's arguments: the carry leaves, then one step of each xs leaf. */
export function specsOf(init: readonly Tensor[], xs: readonly Tensor[]): DeviceSpec[] {
  return [
    ...init.map((t) => ({ dtype: t.dtype, shape: t.shape, device: t.device })),
    ...xs.map((t) => ({ dtype: t.dtype, shape: t.shape.slice(1), device: t.device })),
  ];
}

const zerosLike = (t: { dtype: Node["dtype"]; shape: Node["shape"]; device: Node["device"] }) =>
  wrap(b.constant(0, t.dtype, t.shape, t.device));

/** What the reverse rule needs of a forward scan. */
export interface ScanVjp {
  readonly step: FlatStep;
  /** Carry leaves, x leaves (stacked), and the outer values the step reads. */
  readonly init: readonly Tensor[];
  readonly xs: readonly Tensor[];
  readonly captured: readonly Node[];
  readonly n: number;
  readonly reverse: boolean;
  /** The scan's results: final carry, stacked ys. */
  readonly results: readonly Tensor[];
  /** The carry before each step, stacked: `[n, ...carry]` per carry leaf (made when needed). */
  readonly saved: () => readonly Tensor[];
  /** The scan that runs the backward loop (the public one, on arrays). */
  readonly scan: FlatScan;
}

/**
 * Wraps a scan's results so that `grad` differentiates them with a reverse scan.
 * @returns the results, float ones as `customVjp` nodes over the float inputs and captured values
 */
export function withScanVjp(fwd: ScanVjp): Tensor[] {
  const { init, xs, captured, results } = fwd;
  const floatInit = init.filter((t) => isFloat(t.dtype));
  const floatXs = xs.filter((t) => isFloat(t.dtype));
  const wrt = [...floatInit.map((t) => t.node), ...floatXs.map((t) => t.node), ...captured];
  return results.map((v, k) =>
    isFloat(v.dtype) ? wrap(b.customVjp(wrt, v.node, (ct) => backward(fwd, k, ct))) : v
  );
}

/** The cotangents of the float inputs and captured values, given that of result `k`. */
function backward(fwd: ScanVjp, k: number, ct: Node): Node[] {
  const { step, init, xs, captured, results, n, reverse } = fwd;
  const nc = init.length;
  const nx = xs.length;
  const ncap = captured.length;
  const cts = results.map((r, j) => (j === k ? wrap(ct) : zerosLike(r.node)));
  const rev: FlatStep = (args) => {
    const g = args.slice(0, nc);
    const acc = args.slice(nc, nc + ncap);
    const c = args.slice(nc + ncap, 2 * nc + ncap).map((t) => b.leaf(t.node));
    const x = args.slice(2 * nc + ncap, 2 * nc + ncap + nx).map((t) => b.leaf(t.node));
    const cy = args.slice(2 * nc + ncap + nx);
    const outs = step([...c, ...x].map(wrap));
    const grads = vjpNodes(
      outs.map((t) => t.node),
      [...g, ...cy].map((t) => t.node),
      [...c, ...x, ...captured],
    );
    const at = (
      i: number,
      like: Node,
    ) => (grads[i] === undefined ? zerosLike(like) : wrap(grads[i]!));
    return [
      ...c.map((l, i) => at(i, l)),
      ...acc.map((a, j) => a.add(at(nc + nx + j, captured[j]))),
      ...x.map((l, i) => at(nc + i, l)),
    ];
  };
  const out = fwd.scan(
    rev,
    [...cts.slice(0, nc), ...captured.map((c) => zerosLike(c))],
    [...fwd.saved(), ...xs, ...cts.slice(nc)],
    n,
    !reverse,
  );
  const gInit = out.slice(0, nc);
  const gCap = out.slice(nc, nc + ncap);
  const gXs = out.slice(nc + ncap);
  return [
    ...gInit.filter((_, i) => isFloat(init[i].dtype)),
    ...gXs.filter((_, i) => isFloat(xs[i].dtype)),
    ...gCap,
  ].map((t) => t.node);
}

/**
 * A differentiable eager scan: runs the steps (a JavaScript loop), keeping each step's carry for
 * the reverse scan.
 */
export function eagerScanVjp(
  step: FlatStep,
  init: readonly Tensor[],
  xs: readonly Tensor[],
  n: number,
  reverse: boolean,
  scan: FlatScan,
): Tensor[] {
  const nc = init.length;
  const captured = capturedBy(step, specsOf(init, xs));
  let carry: readonly Tensor[] = init;
  const kept: (readonly Tensor[])[] = new Array(n);
  const ys: Tensor[][] = new Array(n);
  for (let s = 0; s < n; s++) {
    const t = reverse ? n - 1 - s : s;
    kept[t] = carry;
    const out = step([...carry, ...xs.map((l) => l.select(0, t))]);
    carry = out.slice(0, nc);
    ys[t] = out.slice(nc);
    // off the cpu each carry is computed as the loop goes: the reverse scan stacks them, and a
    // shader binds at most 32 buffers (pending carries read many each)
    const gpu = carry.filter((c) => c.device !== "cpu");
    if (gpu.length > 0 && !isStaging()) realize(gpu.map((c) => c.node));
  }
  const results = [...carry, ...ys[0].map((_, j) => stack(ys.map((y) => y[j])))];
  let saved: Tensor[] | undefined;
  return withScanVjp({
    step,
    init,
    xs,
    captured,
    n,
    reverse,
    results,
    saved: () => (saved ??= init.map((_, j) => stack(kept.map((c) => c[j])))),
    scan,
  });
}
