/**
 * Matrix products with PyTorch's semantics: `matmul` (1-D vectors, batched
 * and broadcast batch dims), strict `mm`, `dot`, `outer` and `linear`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { broadcastNode, nodeOf, operands } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { fmtShape } from "./ir/errors.ts";
import { broadcastShapes, sizeOf } from "./ir/shape.ts";
import { promoteTypes } from "./ir/dtype.ts";

function innerMismatch(op: string, a: Node, b2: Node, k1: number, k2: number): RangeError {
  const hint = a.shape.length === 2 && b2.shape.length === 2 && a.shape[1] === b2.shape[1]
    ? `: did you mean to transpose the second operand (${op}(a, b.T))?`
    : ": the last axis of the first operand must match the first matrix axis of the second";
  return new RangeError(
    `${op}() inner dimensions differ: ${fmtShape(a.shape)} @ ${
      fmtShape(b2.shape)
    } (${k1} ≠ ${k2})${hint}`,
  );
}

function promoted(op: string, a: Tensor, c: Tensor): [Node, Node] {
  const x = nodeOf(op, a, 0);
  const y = nodeOf(op, c, 1);
  const common = promoteTypes(x.dtype, y.dtype);
  const dtype = common === "bool" ? "int32" : common;
  return [b.cast(x, dtype), b.cast(y, dtype)];
}

/**
 * Matrix product with torch.matmul semantics: 1-D operands are vectors,
 * leading axes are batch axes and broadcast.
 * @example
 * ```ts
 * import { matmul, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(matmul(tensor([[1, 2]]), tensor([[3], [4]])).toArray(), [[11]]);
 * ```
 */
export function matmul(a: Tensor, c: Tensor): Tensor {
  const [x, y] = promoted("matmul", a, c);
  if (x.shape.length === 0 || y.shape.length === 0) {
    throw new RangeError(
      `matmul() expected tensors with at least 1 axis: found shapes ${fmtShape(x.shape)} and ${
        fmtShape(y.shape)
      }: use mul() for scalars`,
    );
  }
  const x2 = x.shape.length === 1 ? b.reshape(x, [1, x.shape[0]]) : x;
  const y2 = y.shape.length === 1 ? b.reshape(y, [y.shape[0], 1]) : y;
  const k1 = x2.shape[x2.shape.length - 1];
  const k2 = y2.shape[y2.shape.length - 2];
  if (k1 !== k2) throw innerMismatch("matmul", x, y, k1, k2);
  const batch = broadcastShapes("matmul", x2.shape.slice(0, -2), y2.shape.slice(0, -2));
  const m = x2.shape[x2.shape.length - 2];
  const n = y2.shape[y2.shape.length - 1];
  // [...batch, m, k] @ [k, n] -> one [batch·m, k] @ [k, n] product (as torch folds it): one large
  // GEMM instead of a batch of small ones, and the weight's gradient is one product over all
  // rows instead of a batched product and a sum over the batch
  const out = y2.shape.length === 2 && batch.length > 0
    ? b.matmul(b.reshape(x2, [sizeOf(batch) * m, k1]), y2)
    : b.matmul(broadcastNode(x2, [...batch, m, k1]), broadcastNode(y2, [...batch, k1, n]));
  const shape = [
    ...batch,
    ...(x.shape.length === 1 ? [] : [m]),
    ...(y.shape.length === 1 ? [] : [n]),
  ];
  return wrap(b.reshape(out, shape));
}

/** Strict 2-D matrix product (torch.mm). */
export function mm(a: Tensor, c: Tensor): Tensor {
  const [x, y] = [nodeOf("mm", a, 0), nodeOf("mm", c, 1)];
  if (x.shape.length !== 2 || y.shape.length !== 2) {
    throw new RangeError(
      `mm() expected two 2-D matrices: found shapes ${fmtShape(x.shape)} and ${
        fmtShape(y.shape)
      }: use matmul() for vectors or batches`,
    );
  }
  if (x.shape[1] !== y.shape[0]) throw innerMismatch("mm", x, y, x.shape[1], y.shape[0]);
  return matmul(a, c);
}

/** Dot product of two 1-D tensors of equal length. */
export function dot(a: Tensor, c: Tensor): Tensor {
  const [x, y] = [nodeOf("dot", a, 0), nodeOf("dot", c, 1)];
  if (x.shape.length !== 1 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(
      `dot() expected two 1-D tensors of equal length: found shapes ${fmtShape(x.shape)} and ${
        fmtShape(y.shape)
      }`,
    );
  }
  return matmul(a, c);
}

/** Outer product of two 1-D tensors: `out[i, j] = a[i] * b[j]`. */
export function outer(a: Tensor, c: Tensor): Tensor {
  const [x, y] = [nodeOf("outer", a, 0), nodeOf("outer", c, 1)];
  if (x.shape.length !== 1 || y.shape.length !== 1) {
    throw new RangeError(
      `outer() expected two 1-D tensors: found shapes ${fmtShape(x.shape)} and ${
        fmtShape(y.shape)
      }`,
    );
  }
  const [p, q] = operands("outer", [
    wrap(b.reshape(x, [x.shape[0], 1])),
    wrap(b.reshape(y, [1, y.shape[0]])),
  ]);
  return wrap(b.alu("mul", p, q));
}

/**
 * `x @ weightᵀ + bias` with PyTorch's weight layout `[out, in]` (torch.nn.functional.linear).
 * One fused kernel: the bias add runs in the matmul's epilogue.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const w = nodeOf("linear", weight, 1);
  const xs = nodeOf("linear", x, 0).shape;
  if (w.shape.length !== 2) {
    throw new RangeError(
      `linear() expected a 2-D weight [out, in]: found shape ${fmtShape(w.shape)}`,
    );
  }
  if (xs[xs.length - 1] !== w.shape[1]) {
    throw new RangeError(
      `linear() input features differ: input ${fmtShape(xs)} has ${
        xs[xs.length - 1]
      } features but weight ${fmtShape(w.shape)} expects ${
        w.shape[1]
      }: the weight is [out, in] like torch.nn.Linear`,
    );
  }
  const y = matmul(x, wrap(b.permute(w, [1, 0])));
  if (bias === undefined) return y;
  const [p, q] = operands("linear", [y, bias]);
  return wrap(b.alu("add", p, q));
}
