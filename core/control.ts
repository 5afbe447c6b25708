/**
 * Loops: `scan`, `foriLoop`, `whileLoop` (branches are in `branch.ts`). Outside `jit` they run
 * eagerly (a JavaScript loop). Inside `jit` (on the cpu) a loop's body is traced once and compiled
 * into its own program, which the jitted program replays once per iteration as a host step:
 * compile time and program size do not grow with the trip count.
 * Under `grad` (inside `jit` or not) a `scan` saves its carries and is differentiated by a second
 * scan run backwards (`_scan_vjp.ts`), which is differentiable in turn. Inside `vmap` a loop runs
 * once on the whole batch (`_scan_batch.ts`).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { allocate, type DataArray } from "./ir/dtype.ts";
import { Node } from "./ir/ir.ts";
import { isStaging, wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { flatten, type Tree, type TreeDef, unflatten } from "./tree.ts";
import { stack } from "./movement.ts";
import { arange, zeros } from "./creation.ts";
import { batchFrame, inFrame, isBatching, isDifferentiating } from "./vmap.ts";
import { batchedScan, batchedScanVjp, batchedWhile, loopFrame } from "./_scan_batch.ts";
import { type HostStep, hostStepSink } from "../jit/_hosted.ts";
import { compileBody, sizeOfShape, type Spec } from "./_loop_body.ts";
import {
  capturedBy,
  eagerScanVjp,
  type FlatScan,
  type FlatStep,
  specsOf,
  withScanVjp,
} from "./_scan_vjp.ts";

/** Options of `scan`. */
export interface ScanOptions {
  /** The number of steps (needed when `xs` holds no tensor; else it must match their axis 0). */
  length?: number;
  /** Run from the last step to the first (outputs stay in step order). */
  reverse?: boolean;
}

/** The host-step sink when loops compile (inside `jit` on the cpu), else `undefined` (eager). */
function compiling(): ((step: HostStep) => void) | undefined {
  return isStaging() && !isBatching() ? hostStepSink() : undefined;
}

function checkCarry(op: string, init: Tree, next: Tree): void {
  const a = flatten(init);
  const b = flatten(next);
  const same = JSON.stringify(a.def) === JSON.stringify(b.def);
  const bad = same ? a.leaves.findIndex((t, i) => !sameSpec(t, b.leaves[i])) : -1;
  if (!same || bad >= 0) {
    const what = same
      ? `carry leaf ${bad} is ${b.leaves[bad].dtype}${fmtShape(b.leaves[bad].shape)}, expected ${
        a.leaves[bad].dtype
      }${fmtShape(a.leaves[bad].shape)}`
      : `a carry of another structure (${a.leaves.length} tensors expected, ${b.leaves.length} found)`;
    throw new TypeError(
      `${op}() body returned ${what}: the carry must keep the structure, shapes and dtypes of init`,
    );
  }
}

function sameSpec(a: Spec, b: Spec): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]);
}

function stepsOf(xs: Tensor[], options: ScanOptions): number {
  const lengths = xs.map((t) => {
    if (t.shape.length === 0) {
      throw new RangeError(
        `scan() expected every xs tensor to have a leading step axis: found a scalar`,
      );
    }
    return t.shape[0];
  });
  const n = options.length ?? lengths[0];
  if (n === undefined) {
    throw new TypeError(
      `scan() expected xs with tensors or a length: found neither: pass { length }`,
    );
  }
  const bad = lengths.findIndex((l) => l !== n);
  if (bad >= 0 || !Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `scan() expected ${n} steps (${options.length === undefined ? "xs leaf 0" : "length"}): ` +
        `xs leaf ${bad} has ${
          lengths[bad]
        } along axis 0: give every xs tensor the same leading size`,
    );
  }
  return n;
}

/**
 * Loops `f` over the leading axis of `xs`, threading a carry: `[carry, y_t] = f(carry, x_t)`;
 * returns the final carry and the stacked `y`s (both trees), like `jax.lax.scan`. Inside `jit` the
 * body is compiled once whatever the length.
 * @param f the step: `(carry, x_t) => [carry, y_t]` (the carry keeps its shapes and dtypes)
 * @param init the first carry
 * @param xs the per-step inputs, stacked on axis 0 (`null` with `{ length }` for none)
 * @param options `length`, `reverse`
 * @returns `[final carry, stacked ys]`
 * @example A cumulative sum
 * ```ts
 * import { jit, scan, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const cumsum = (xs: Tensor) => scan((c: Tensor, x: Tensor) => [c.add(x), c.add(x)], tensor(0), xs);
 * const [total, partial] = jit(cumsum)(tensor([1, 2, 3, 4]));
 * assertEquals([total.item(), partial.toArray()], [10, [1, 3, 6, 10]]);
 * ```
 */
export function scan<C extends Tree, X extends Tree, Y extends Tree>(
  f: (carry: C, x: X) => readonly [C, Y],
  init: C,
  xs: X,
  options: ScanOptions = {},
): [C, Y] {
  checkOptions("scan", options, ["length", "reverse"]);
  const c0 = flatten(init);
  const x0 = flatten(xs);
  const n = stepsOf(x0.leaves, options);
  const order = (s: number) => (options.reverse ? n - 1 - s : s);
  let yDef: TreeDef | undefined;
  const call = (carry: C, x: X): Tensor[] => {
    const [next, y] = f(carry, x);
    checkCarry("scan", carry, next);
    const flat = flatten(y);
    yDef = flat.def;
    return [...flatten(next).leaves, ...flat.leaves];
  };
  const nc = c0.leaves.length;
  const eager = (): [C, Y] => {
    if (n === 0) {
      const probe = call(
        init,
        unflatten(x0.def, x0.leaves.map((t) => zeros(t.shape.slice(1)))),
      );
      const empty = probe.slice(nc).map((t) => zeros([0, ...t.shape], { dtype: t.dtype }));
      return [init, unflatten(yDef!, empty)];
    }
    let carry = init;
    const ys: Tensor[][] = new Array(n);
    for (let s = 0; s < n; s++) {
      const t = order(s);
      const out = call(
        carry,
        unflatten(x0.def, x0.leaves.map((l) => l.select(0, t))),
      );
      carry = unflatten(c0.def, out.slice(0, nc));
      ys[t] = out.slice(nc);
    }
    return [
      carry,
      unflatten(yDef!, ys[0].map((_, j) => stack(ys.map((y) => y[j])))),
    ];
  };
  const step: FlatStep = (args) =>
    call(unflatten(c0.def, args.slice(0, nc)), unflatten(x0.def, args.slice(nc)));
  const reverse = options.reverse === true;
  const tree = (out: Tensor[]): [C, Y] => [
    unflatten(c0.def, out.slice(0, nc)) as C,
    unflatten(yDef!, out.slice(nc)) as Y,
  ];
  // under grad: saved carries and a reverse scan (vmap traces loops in the example's terms)
  if (n === 0) return eager();
  // inside vmap: one batched scan (with scan's reverse rule when grad traces inside the vmap)
  const frame = batchFrame();
  const batchedRun = loopFrame() === undefined ? batchedScanVjp : batchedScan;
  const batched = frame && batchedRun(frame, step, c0.leaves, x0.leaves, n, reverse, flatScan);
  if (batched) return tree(batched);
  // nothing batched: the loop is the same for every example
  if (frame) {
    return tree(inFrame(undefined, () => flatScan(step, c0.leaves, x0.leaves, n, reverse)));
  }
  const differentiate = isDifferentiating() && !isBatching();
  const sink = compiling();
  if (sink === undefined) {
    return differentiate
      ? tree(eagerScanVjp(step, c0.leaves, x0.leaves, n, reverse, flatScan))
      : eager();
  }
  const specs = [
    ...c0.leaves,
    ...x0.leaves.map((t) => ({ dtype: t.dtype, shape: t.shape.slice(1) })),
  ];
  const body = compileBody(
    specs,
    (args) =>
      call(
        unflatten(c0.def, args.slice(0, nc)),
        unflatten(x0.def, args.slice(nc)),
      ),
  );
  // a loop holding loops runs eagerly under grad
  if (differentiate && body.inner > 0) {
    return tree(eagerScanVjp(step, c0.leaves, x0.leaves, n, reverse, flatScan));
  }
  const ySpecs = body.outs.slice(nc);
  const carryOut = c0.leaves.map((t) => Node.placeholder(t.dtype, t.shape));
  const ysOut = ySpecs.map((y) => Node.placeholder(y.dtype, [n, ...y.shape]));
  const saved = differentiate
    ? c0.leaves.map((t) => Node.placeholder(t.dtype, [n, ...t.shape]))
    : [];
  const xSizes = x0.leaves.map((t) => t.size / Math.max(n, 1));
  const ySizes = ySpecs.map((y) => sizeOfShape(y.shape));
  const cSizes = c0.leaves.map((t) => t.size);
  const inputs = [
    ...c0.leaves.map((t) => t.node),
    ...x0.leaves.map((t) => t.node),
    ...body.captured,
  ];
  sink({
    inputs,
    outputs: [...carryOut, ...ysOut, ...saved],
    kernels: body.kernels,
    run: (arrays) => {
      let carry = arrays.slice(0, nc);
      const xArrays = arrays.slice(nc, nc + x0.leaves.length);
      const captured = arrays.slice(nc + x0.leaves.length);
      const ys = ySpecs.map((y, j) => allocate(y.dtype, n * ySizes[j]));
      const kept = saved.map((p, j) => allocate(p.dtype, n * cSizes[j]));
      for (let s = 0; s < n; s++) {
        const t = order(s);
        kept.forEach((k, j) => k.set(carry[j] as never, t * cSizes[j]));
        const xt = xArrays.map((a, j) => a.slice(t * xSizes[j], (t + 1) * xSizes[j]) as DataArray);
        const out = body.run([...carry, ...xt, ...captured]);
        carry = out.slice(0, nc);
        out.slice(nc).forEach((y, j) => ys[j].set(y as never, t * ySizes[j]));
      }
      return [...carry, ...ys, ...kept];
    },
  });
  const results = [...carryOut, ...ysOut].map(wrap);
  if (!differentiate) return tree(results);
  // the saved carries are outputs too (each step's ys also hold the carry it started from), so
  // that differentiating the reverse scan again reaches the inputs through them
  const end = nc + ySpecs.length;
  const wrapped: Tensor[] = withScanVjp({
    step: (args) => [...step(args), ...args.slice(0, nc)],
    init: c0.leaves,
    xs: x0.leaves,
    captured: capturedBy(step, specsOf(c0.leaves, x0.leaves)),
    n,
    reverse,
    results: [...results, ...saved.map(wrap)],
    saved: () => wrapped.slice(end),
    scan: flatScan,
  });
  return tree(wrapped.slice(0, end));
}

/** `scan` on flat arrays (the reverse rule's loops). */
const flatScan: FlatScan = (step, init, xs, n, reverse) => {
  const [c, y] = scan(
    (c: Tensor[], x: Tensor[]) => {
      const out = step([...c, ...x]);
      return [out.slice(0, c.length), out.slice(c.length)] as const;
    },
    [...init],
    [...xs],
    { length: n, reverse },
  );
  return [...c, ...y];
};

/**
 * `carry = body(i, carry)` for `i` from `lower` to `upper - 1` (`i` an int32 scalar tensor), like
 * `jax.lax.fori_loop`; compiled once inside `jit`, differentiable (a scan).
 * @param lower the first index
 * @param upper one past the last index
 * @param body the step
 * @param init the first carry
 * @returns the final carry
 * @example x ← x/2 + 1, ten times
 * ```ts
 * import { foriLoop, type Tensor, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const x = foriLoop(0, 10, (_i, x: Tensor) => x.div(2).add(1), tensor(0));
 * assertAlmostEquals(x.item(), 2 - 2 / 1024, 1e-6);
 * ```
 */
export function foriLoop<C extends Tree>(
  lower: number,
  upper: number,
  body: (i: Tensor, carry: C) => C,
  init: C,
): C {
  if (!Number.isInteger(lower) || !Number.isInteger(upper)) {
    throw new TypeError(
      `foriLoop() expected integer bounds: found ${fmtValue(lower)} and ${fmtValue(upper)}`,
    );
  }
  if (upper <= lower) return init;
  const steps = arange(lower, upper, 1, { dtype: "int32" });
  return scan((c: C, i: Tensor) => [body(i, c), null] as const, init, steps)[0];
}

/**
 * `while (cond(carry)) carry = body(carry)`, like `jax.lax.while_loop` (forward only: no
 * gradient through the loop). Inside `jit` (cpu) both functions are compiled once.
 * @param condFn the predicate, a scalar tensor
 * @param body the step
 * @param init the first carry
 * @returns the final carry
 * @example Doubling until past 100
 * ```ts
 * import { jit, type Tensor, tensor, whileLoop } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const f = jit((x: Tensor) => whileLoop((v: Tensor) => v.lt(100), (v: Tensor) => v.mul(2), x));
 * assertEquals(f(tensor(3)).item(), 192);
 * ```
 */
export function whileLoop<C extends Tree>(
  condFn: (carry: C) => Tensor,
  body: (carry: C) => C,
  init: C,
): C {
  const c0 = flatten(init);
  const test = (c: C): Tensor => {
    const p = condFn(c);
    if (p.size !== 1) {
      throw new RangeError(
        `whileLoop() expected a scalar predicate: found shape ${fmtShape(p.shape)}`,
      );
    }
    return p;
  };
  if (isBatching() && loopFrame() !== undefined) {
    const frame = loopFrame()!;
    const asTree = (leaves: readonly Tensor[]) => unflatten<C>(c0.def, [...leaves]);
    const flatTest = (c: readonly Tensor[]) => test(asTree(c));
    const flatBody = (c: readonly Tensor[]) => {
      const next = body(asTree(c));
      checkCarry("whileLoop", asTree(c), next);
      return flatten(next).leaves;
    };
    const out = batchedWhile(
      frame,
      flatTest,
      flatBody,
      c0.leaves,
      (t, f, init) => flatten(whileLoop((c: Tensor[]) => t(c), (c: Tensor[]) => f(c), init)).leaves,
    );
    // nothing batched: the loop is the same for every example
    return out ? asTree(out) : inFrame(undefined, () => whileLoop(condFn, body, init));
  }
  const context = isBatching()
    ? "under grad inside vmap (each example would stop at its own step)"
    : !isStaging()
    ? undefined
    : isDifferentiating()
    ? "under grad inside jit (it is forward only, like jax.lax.while_loop)"
    : hostStepSink() === undefined
    ? "inside jit on webgpu (compiled loops run on the cpu)"
    : undefined;
  if (context !== undefined) {
    throw new TypeError(
      `whileLoop() cannot run ${context}: its trip count depends on values not known there: ` +
        `use scan or foriLoop with a fixed length`,
    );
  }
  const sink = compiling();
  if (sink === undefined) {
    let carry = init;
    while (test(carry).item()) {
      const next = body(carry);
      checkCarry("whileLoop", carry, next);
      carry = next;
    }
    return carry;
  }
  const nc = c0.leaves.length;
  const asCarry = (args: Tensor[]) => unflatten<C>(c0.def, args.slice(0, nc));
  const condBody = compileBody(c0.leaves, (args) => [test(asCarry(args))]);
  const stepBody = compileBody(c0.leaves, (args) => {
    const next = body(asCarry(args));
    checkCarry("whileLoop", asCarry(args), next);
    return flatten(next).leaves;
  });
  const carryOut = c0.leaves.map((t) => Node.placeholder(t.dtype, t.shape));
  const nCond = condBody.captured.length;
  sink({
    inputs: [
      ...c0.leaves.map((t) => t.node),
      ...condBody.captured,
      ...stepBody.captured,
    ],
    outputs: carryOut,
    kernels: [...condBody.kernels, ...stepBody.kernels],
    run: (arrays) => {
      let carry = arrays.slice(0, nc);
      const capCond = arrays.slice(nc, nc + nCond);
      const capStep = arrays.slice(nc + nCond);
      while (condBody.run([...carry, ...capCond])[0][0]) {
        carry = stepBody.run([...carry, ...capStep]);
      }
      return carry;
    },
  });
  return unflatten(c0.def, carryOut.map(wrap));
}
