/**
 * Reverse-mode autodiff on the IR: `vjp`, `grad`, `valueAndGrad`, and
 * forward mode (`jvp`) by transposing the linear vjp, over parameter trees.
 * Functions are traced by calling them on fresh leaf nodes; the backward
 * pass is built from each primitive's rule as ordinary graph nodes, so it is
 * fused and compiled like the forward pass and can be differentiated again.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { type Node, type Origin, originOf, withTrace } from "./ir/ir.ts";
import { isFloat } from "./ir/dtype.ts";
import { vjpRules } from "./ops/derivatives.ts";
import * as b from "./ops/build.ts";
import { isTensor, wrap } from "./_wrap.ts";
import { checkOptions } from "./_options.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { flatten, type Tree, unflatten } from "./tree.ts";
import type {
  AnyFunction,
  Argnums,
  AuxOf,
  GradientOf,
  GradOptions,
  LossAuxFunction,
  LossFunction,
} from "./transform_types.ts";

export type * from "./transform_types.ts";

/**
 * The part of the graph between `outs` and `leaves`, leaves first. Each
 * node's origin is copied now: realizing a node later (printing the output
 * before calling the vjp's backward function) forgets its sources.
 */
interface Tape {
  order: Node[];
  origins: Map<Node, Origin>;
}

/** Walks the graph from `outs` down to `leaves` once. */
function record(outs: readonly Node[], leaves: ReadonlySet<Node>): Tape {
  const dep = new Map<Node, boolean>();
  const order: Node[] = [];
  const origins = new Map<Node, Origin>();
  const stack: [Node, number][] = outs.map((o) => [o, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next === 0 && dep.has(node)) {
      stack.pop();
      continue;
    }
    const src = leaves.has(node) || !isFloat(node.dtype) ? [] : originOf(node).src;
    if (next < src.length) {
      top[1]++;
      if (!dep.has(src[next])) stack.push([src[next], 0]);
      continue;
    }
    stack.pop();
    const depends = leaves.has(node) ||
      (isFloat(node.dtype) && src.some((s) => dep.get(s) === true));
    dep.set(node, depends);
    if (depends) {
      order.push(node);
      const { op, src: inputs, arg } = originOf(node);
      origins.set(node, { op, src: inputs, arg });
    }
  }
  return { order, origins };
}

/** Cotangents of `leaves`, given cotangents `cts` of `outs`. */
function backward(
  tape: Tape,
  outs: readonly Node[],
  cts: readonly Node[],
  leaves: ReadonlySet<Node>,
): Map<Node, Node> {
  const { order, origins } = tape;
  // contributions are summed when read (b.combine: O(log n) deep for a node read n times)
  const parts = new Map<Node, Node[]>();
  const accumulate = (n: Node, g: Node) => {
    const prev = parts.get(n);
    if (prev === undefined) parts.set(n, [g]);
    else prev.push(g);
  };
  const total = (n: Node): Node | undefined => {
    const p = parts.get(n);
    if (p === undefined) return undefined;
    if (p.length > 1) parts.set(n, [b.combine("add", p)]);
    return parts.get(n)![0];
  };
  outs.forEach((o, i) => {
    if (origins.has(o)) accumulate(o, b.cast(cts[i], o.dtype));
  });
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (leaves.has(node)) continue;
    const g = total(node);
    if (g === undefined) continue;
    const origin = origins.get(node)!;
    const srcGrads = vjpRules[origin.op](g, origin, node);
    origin.src.forEach((s, j) => {
      const sg = srcGrads[j];
      if (sg !== undefined && origins.has(s)) accumulate(s, b.cast(sg, s.dtype));
    });
  }
  const grads = new Map<Node, Node>();
  for (const n of parts.keys()) grads.set(n, total(n)!);
  return grads;
}

/**
 * Node-level reverse mode: the cotangents of `wrt` (`undefined`: no dependence) given cotangents
 * `cts` of `outs` (a compiled loop differentiates its traced body with it).
 */
export function vjpNodes(
  outs: readonly Node[],
  cts: readonly Node[],
  wrt: readonly Node[],
): (Node | undefined)[] {
  const leaves = new Set(wrt);
  const grads = backward(record(outs, leaves), outs, cts, leaves);
  return wrt.map((n) => grads.get(n));
}

interface Traced<Out> {
  out: Out;
  outNodes: Node[];
  leafNodes: (Node | undefined)[];
  inputDefs: ReturnType<typeof flatten>[];
}

/** Calls `f` on fresh leaves for the float tensors of `primals`. */
function trace<Out extends Tree>(
  f: (...args: any[]) => Out,
  primals: readonly Tree[],
): Traced<Out> {
  const inputDefs = primals.map((p) => flatten(p));
  const leafNodes: (Node | undefined)[] = [];
  const args = inputDefs.map(({ leaves, def }) => {
    const traced = leaves.map((t) => {
      const leaf = isFloat(t.dtype) ? b.leaf(t.node) : undefined;
      leafNodes.push(leaf);
      return leaf === undefined ? t : wrap(leaf);
    });
    return unflatten(def, traced);
  });
  const out = f(...args);
  const outLeaves = flatten(out).leaves;
  return { out, outNodes: outLeaves.map((t) => t.node), leafNodes, inputDefs };
}

/** Splits a flat list of per-leaf cotangents back into one tree per primal. */
function regroup(traced: Traced<Tree>, grads: Map<Node, Node>): Tree[] {
  let pos = 0;
  return traced.inputDefs.map(({ leaves, def }) =>
    unflatten(
      def,
      leaves.map((t) => {
        const leaf = traced.leafNodes[pos++];
        const g = leaf === undefined ? undefined : grads.get(leaf);
        return wrap(g ?? b.constant(0, t.dtype, t.node.shape, t.node.device));
      }),
    )
  );
}

/**
 * Evaluates `f(...primals)` and returns its output with a function mapping
 * an output cotangent (same tree structure as the output) to the inputs'
 * cotangents (one tree per primal).
 * @example
 * ```ts
 * import { type Tensor, tensor, vjp } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const [y, back] = vjp((x: Tensor) => x.mul(x), tensor([1, 2, 3], { dtype: "float32" }));
 * const [dx] = back(tensor([1, 1, 1], { dtype: "float32" }));
 * assertEquals(dx.toArray(), [2, 4, 6]);
 * assertEquals(y.toArray(), [1, 4, 9]);
 * ```
 */
export function vjp<P extends Tree[], Out extends Tree>(
  f: (...args: P) => Out,
  ...primals: P
): [Out, (cotangent: Out) => P] {
  return withTrace(() => {
    const traced = trace(f, primals);
    const leaves = new Set(traced.leafNodes.filter((n): n is Node => n !== undefined));
    const tape = record(traced.outNodes, leaves);
    const back = (cotangent: Out): P =>
      withTrace(() => {
        const cts = flatten(cotangent).leaves;
        if (cts.length !== traced.outNodes.length) {
          throw new TypeError(
            `vjp() expected a cotangent with ${traced.outNodes.length} tensor(s) like the output: found ${cts.length}`,
          );
        }
        cts.forEach((ct, i) => {
          const want = traced.outNodes[i].shape;
          if (ct.shape.length !== want.length || ct.shape.some((d, j) => d !== want[j])) {
            throw new RangeError(
              `vjp() cotangent ${i} has shape ${fmtShape(ct.shape)}: expected the output's shape ${
                fmtShape(want)
              }`,
            );
          }
        });
        return regroup(
          traced as Traced<Tree>,
          backward(tape, traced.outNodes, cts.map((t) => t.node), leaves),
        ) as P;
      });
    return [traced.out, back];
  });
}

function checkArgnums(name: string, argnums: number | readonly number[], count: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= count) {
      throw new RangeError(
        `${name}() argnums ${
          fmtValue(a)
        } is out of range: the function was called with ${count} argument(s)`,
      );
    }
  }
  return list;
}

function scalarLoss(name: string, value: unknown): Tensor {
  if (!isTensor(value)) {
    throw new TypeError(
      `${name}() expected the function to return a Tensor: found ${fmtValue(value)}` +
        `: return the loss (use hasAux: true to return [loss, extra])`,
    );
  }
  if (value.size !== 1) {
    throw new RangeError(
      `${name}() expected the function to return a scalar: found shape ${fmtShape(value.shape)}` +
        `: reduce it (e.g. .sum() or .mean()), or use vjp() for non-scalar outputs`,
    );
  }
  if (!isFloat(value.dtype)) {
    throw new TypeError(`${name}() expected a float loss: found ${value.dtype}`);
  }
  return value;
}

function valueAndGradImpl(name: string, f: (...args: any[]) => any, options: GradOptions) {
  checkOptions(name, options, ["argnums", "hasAux"]);
  return (...args: any[]): [any, any] => {
    const argnums = checkArgnums(name, options.argnums ?? 0, args.length);
    for (const a of argnums) {
      for (const t of flatten(args[a]).leaves) {
        if (!isFloat(t.dtype)) {
          throw new TypeError(
            `${name}() cannot differentiate with respect to argument ${a}: it holds ${
              t.dtype === "int32" ? "an" : "a"
            } ${t.dtype} tensor` +
              `: only float16/float32/float64 inputs have gradients (convert with .float(), or move it out of argnums)`,
          );
        }
      }
    }
    return withTrace(() => {
      let aux: unknown;
      const partial = (...diffArgs: Tree[]) => {
        const full = [...args];
        argnums.forEach((a, i) => (full[a] = diffArgs[i]));
        const result = f(...full);
        if (options.hasAux) {
          if (!Array.isArray(result) || result.length !== 2) {
            throw new TypeError(
              `${name}() with hasAux expected the function to return [loss, aux]: found ${
                isTensor(result) ? `a Tensor of shape ${fmtShape(result.shape)}` : fmtValue(result)
              }`,
            );
          }
          aux = result[1];
          return scalarLoss(name, result[0]);
        }
        return scalarLoss(name, result);
      };
      const [loss, back] = vjp(partial, ...argnums.map((a) => args[a]));
      const grads = back(
        wrap(b.constant(1, loss.dtype, loss.node.shape, loss.node.device)) as Tensor,
      );
      const g = typeof (options.argnums ?? 0) === "number" ? grads[0] : grads;
      return [options.hasAux ? [loss, aux] : loss, g];
    });
  };
}

/**
 * The gradient of a scalar function with respect to argument `argnums`
 * (a tensor or a whole parameter tree: the result has the same structure
 * and the same type). With `hasAux: true`, `f` returns `[loss, aux]` and the
 * result is `[gradient, aux]`.
 * @example d/dx sum(x²) = 2x
 * ```ts
 * import { grad, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const df = grad((x: Tensor) => x.square().sum());
 * assertEquals(df(tensor([1, 2, 3], { dtype: "float32" })).toArray(), [2, 4, 6]);
 * ```
 * @example The gradient keeps the parameters' type
 * ```ts
 * import { grad, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * interface Params { w: Tensor; b: Tensor }
 * const loss = (p: Params, x: Tensor) => p.w.mul(x).add(p.b).sum();
 * const g: Params = grad(loss)({ w: tensor([2]), b: tensor([1]) }, tensor([3]));
 * assertEquals([g.w.item(), g.b.item()], [3, 1]);
 * ```
 */
export function grad<F extends LossAuxFunction, const A extends Argnums = 0>(
  f: F,
  options: GradOptions<A> & { hasAux: true },
): (...args: Parameters<F>) => [GradientOf<F, NoInfer<A>>, AuxOf<F>];
/** The gradient of a scalar function (see the overload above). */
export function grad<F extends LossFunction, const A extends Argnums = 0>(
  f: F,
  options?: GradOptions<A> & { hasAux?: false },
): (...args: Parameters<F>) => GradientOf<F, NoInfer<A>>;
export function grad(
  f: AnyFunction,
  options: GradOptions = {},
): (...args: any[]) => unknown {
  const both = valueAndGradImpl("grad", f, options);
  return (...args: any[]) => {
    const [value, g] = both(...args);
    return options.hasAux ? [g, value[1]] : g;
  };
}

/**
 * The value and the gradient of a scalar function in one call: `[loss,
 * gradient]`, or `[[loss, aux], gradient]` with `hasAux: true`. The value
 * keeps `f`'s return type and the gradient its argument's type.
 * @example
 * ```ts
 * import { type Tensor, tensor, valueAndGrad } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const [loss, g] = valueAndGrad((x: Tensor) => x.square().sum())(tensor([1, 2]));
 * assertEquals([loss.item(), g.toArray()], [5, [2, 4]]);
 * ```
 */
export function valueAndGrad<F extends LossAuxFunction, const A extends Argnums = 0>(
  f: F,
  options: GradOptions<A> & { hasAux: true },
): (...args: Parameters<F>) => [ReturnType<F>, GradientOf<F, NoInfer<A>>];
/** The value and the gradient of a scalar function (see the overload above). */
export function valueAndGrad<F extends LossFunction, const A extends Argnums = 0>(
  f: F,
  options?: GradOptions<A> & { hasAux?: false },
): (...args: Parameters<F>) => [ReturnType<F>, GradientOf<F, NoInfer<A>>];
export function valueAndGrad(
  f: AnyFunction,
  options: GradOptions = {},
): (...args: any[]) => [unknown, unknown] {
  return valueAndGradImpl("valueAndGrad", f, options);
}

/**
 * Forward mode: the output and the directional derivative `J·tangent`
 * (one tangent per primal, each shaped like its primal; the result is shaped
 * like the output). Computed by transposing the (linear) vjp, so every
 * primitive's reverse rule serves both modes.
 * @example d/dt (x + t·v)² = 2x·v
 * ```ts
 * import { jvp, type Tensor, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const [y, dy] = jvp((x: Tensor) => x.square(), [tensor([1, 2])], [tensor([1, 0])]);
 * assertEquals([y.toArray(), dy.toArray()], [[1, 4], [2, 0]]);
 * ```
 */
export function jvp<P extends Tree[], Out extends Tree>(
  f: (...args: P) => Out,
  primals: readonly [...P],
  tangents: readonly [...P],
): [Out, Out] {
  if (primals.length !== tangents.length) {
    throw new RangeError(
      `jvp() expected one tangent per primal: found ${primals.length} primals and ${tangents.length} tangents`,
    );
  }
  return withTrace(() => {
    const [out, back] = vjp(f, ...(primals as P));
    const { leaves, def } = flatten(out);
    // back(u) = Jᵀu is linear in u; its vjp with cotangent t is J·t
    const dummy = leaves.map((t) => wrap(b.constant(0, t.dtype, t.node.shape, t.node.device)));
    const [, transpose] = vjp((u: Tree) => back(u as Out), unflatten(def, dummy));
    const [tangentOut] = transpose(tangents as P);
    return [out, tangentOut as Out];
  });
}

/** The same values, treated as a constant by `grad` and friends. */
export function stopGradient(x: Tensor): Tensor {
  return wrap(b.stopGradient(x.node));
}
