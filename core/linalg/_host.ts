/**
 * Shared helpers of the `linalg` namespace: input checks (float, matrix, square, one device),
 * batch broadcasting, triangle masks, and `hostOp`, which makes a `linalg` node and wraps it in
 * `customVjp` with the routine's reverse rule (written in differentiable ops, so gradients can
 * be differentiated again).
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { floatNode, nodeOf } from "../_convert.ts";
import { isStaging, wrap } from "../_wrap.ts";
import * as b from "../ops/build.ts";
import { linalgNode, type LinalgRoutine } from "../ops/linalg.ts";
import type { Node } from "../ir/ir.ts";
import { fmtShape } from "../ir/errors.ts";
import { broadcastShapes } from "../ir/shape.ts";
import { tensor } from "../creation.ts";
import { broadcastTo } from "../movement.ts";

/** A float input with at least `min` axes (ints and bools become float32). */
export function floatInput(op: string, x: Tensor, position = 0, min = 2): Tensor {
  const node = floatNode(nodeOf(op, x, position));
  if (node.shape.length < min) {
    throw new RangeError(
      `${op}() expected ${
        min === 2 ? "a matrix (at least 2 axes, [..., m, n])" : `at least ${min} axes`
      }` +
        `: found shape ${fmtShape(node.shape)}${min === 2 ? ": use reshape(1, -1) for a row" : ""}`,
    );
  }
  if (node.device !== "cpu" && isStaging()) {
    throw new TypeError(
      `${op}() on ${node.device} runs on the host when the value is read asynchronously, ` +
        `which a jit program on ${node.device} cannot do: call it outside jit`,
    );
  }
  return wrap(node);
}

/** A float input of square matrices `[..., n, n]`. */
export function squareInput(op: string, x: Tensor, position = 0): Tensor {
  const t = floatInput(op, x, position);
  const [m, n] = t.shape.slice(-2);
  if (m !== n) {
    throw new RangeError(
      `${op}() expected square matrices [..., n, n]: found shape ${fmtShape(t.shape)} ` +
        `(${m} ≠ ${n})${op.endsWith("solve") ? ": use linalg.lstsq for non-square systems" : ""}`,
    );
  }
  return t;
}

/** The two operands broadcast to common batch axes and one dtype. */
export function batchPair(op: string, a: Tensor, c: Tensor): [Tensor, Tensor] {
  const dtype = a.dtype === "float64" || c.dtype === "float64" ? "float64" : "float32";
  const batch = broadcastShapes(op, a.shape.slice(0, -2), c.shape.slice(0, -2));
  return [
    broadcastTo(a.astype(dtype), [...batch, ...a.shape.slice(-2)]),
    broadcastTo(c.astype(dtype), [...batch, ...c.shape.slice(-2)]),
  ];
}

/** Swaps the last two axes. */
export function mT(x: Tensor): Tensor {
  return x.transpose(-2, -1);
}

/** A 0/1 mask of the lower (`lower`) or upper triangle of an `m × n` matrix, offset `k` from the diagonal. */
export function triangle(m: number, n: number, lower: boolean, k: number, like: Tensor): Tensor {
  const values = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) values[i * n + j] = (lower ? j - i <= k : j - i >= k) ? 1 : 0;
  }
  return tensor(values, { dtype: like.dtype, device: like.device }).reshape(m, n);
}

/** The lower triangle (torch.tril) of the last two axes, from diagonal offset `k`. */
export function tril(x: Tensor, k = 0): Tensor {
  const [m, n] = x.shape.slice(-2);
  return x.mul(triangle(m, n, true, k, x));
}

/** The upper triangle (torch.triu) of the last two axes, from diagonal offset `k`. */
export function triu(x: Tensor, k = 0): Tensor {
  const [m, n] = x.shape.slice(-2);
  return x.mul(triangle(m, n, false, k, x));
}

/** `v` on the diagonal of the last two axes: `[..., n]` to `[..., n, n]`. */
export function diagEmbed(v: Tensor): Tensor {
  const n = v.shape[v.shape.length - 1];
  return v.unsqueeze(-1).mul(triangle(n, n, true, 0, v).mul(triangle(n, n, false, 0, v)));
}

/**
 * A `linalg` routine on `inputs` (one float dtype, equal batch axes) whose gradient is
 * `backward(result, cotangent)`: one cotangent per input, built from differentiable ops (the
 * result passed in is the differentiable one, so the rule can be differentiated again).
 */
export function hostOp(
  routine: LinalgRoutine,
  inputs: readonly Tensor[],
  options: { caller: string; upper?: boolean; unit?: boolean },
  backward: (result: Tensor, ct: Tensor) => readonly (Tensor | undefined)[],
): Tensor {
  const nodes = inputs.map((t) => t.node);
  const value = linalgNode(routine, nodes, options);
  let result: Node | undefined = undefined;
  result = b.customVjp(nodes, value, (ct) => backward(wrap(result!), wrap(ct)).map((g) => g?.node));
  return wrap(result);
}

/**
 * `value` (computed from `inputs` by any ops, which gradients never look inside) whose gradient
 * is `backward(cotangent)`: one cotangent per input, in differentiable ops.
 */
export function withGradient(
  inputs: readonly Tensor[],
  value: Tensor,
  backward: (ct: Tensor) => readonly (Tensor | undefined)[],
): Tensor {
  const nodes = inputs.map((t) => t.node);
  return wrap(b.customVjp(nodes, value.node, (ct) => backward(wrap(ct)).map((g) => g?.node)));
}
