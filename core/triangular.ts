/**
 * Triangles and diagonals of matrices (the last two axes, or the two named):
 * `tril`, `triu`, `diagonal`, `trace`. All are views or masks over existing
 * primitives, so they fuse into their consumers and their gradients are the
 * same masks and views.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { normalizeAxis } from "./ir/shape.ts";

function matrixOf(op: string, x: Tensor, diagonal: number): Node {
  const node = nodeOf(op, x);
  if (node.shape.length < 2) {
    throw new RangeError(
      `${op}() expected a tensor with at least 2 axes (a matrix or a batch of them): found shape ${
        fmtShape(node.shape)
      }`,
    );
  }
  if (!Number.isInteger(diagonal)) {
    throw new TypeError(`${op}() expected an integer diagonal offset: found ${fmtValue(diagonal)}`);
  }
  return node;
}

/** Keeps `x` on the `lower` (col <= row + k) or upper (col >= row + k) side, zero elsewhere. */
function triangle(x: Node, diagonal: number, lower: boolean): Node {
  const [n, m] = x.shape.slice(-2);
  const lead = x.shape.slice(0, -2).map(() => 1);
  const grid = [...lead, n, m];
  const rows = b.expand(b.reshape(b.iota(n, x.device), [...lead, n, 1]), grid);
  const cols = b.expand(b.reshape(b.iota(m, x.device), [...lead, 1, m]), grid);
  const shift = (k: number) => b.alu("add", rows, b.constant(k, "int32", grid, x.device));
  // integers: col <= row + k is col < row + k + 1; col >= row + k is row + k - 1 < col
  const inside = lower
    ? b.alu("cmplt", cols, shift(diagonal + 1))
    : b.alu("cmplt", shift(diagonal - 1), cols);
  const zero = b.constant(0, x.dtype, x.shape, x.device);
  return b.alu("where", b.expand(inside, x.shape), x, zero);
}

/**
 * torch.tril: the lower triangle of each matrix (the last two axes): entries
 * with `col - row <= diagonal` kept, the rest zero.
 * @param x a matrix or a batch of matrices
 * @param diagonal 0 keeps the main diagonal, 1 one above it, -1 drops it
 * @returns a tensor shaped like `x`
 * @example A causal mask
 * ```ts
 * import { ones, tril } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(tril(ones([2, 3])).toArray(), [[1, 0, 0], [1, 1, 0]]);
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return wrap(triangle(matrixOf("tril", x, diagonal), diagonal, true));
}

/**
 * torch.triu: the upper triangle of each matrix (the last two axes): entries
 * with `col - row >= diagonal` kept, the rest zero.
 * @param x a matrix or a batch of matrices
 * @param diagonal 0 keeps the main diagonal, 1 drops it, -1 keeps one below too
 * @returns a tensor shaped like `x`
 * @example Strictly above the diagonal
 * ```ts
 * import { ones, triu } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(triu(ones([2, 2]), 1).toArray(), [[0, 1], [0, 0]]);
 * ```
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return wrap(triangle(matrixOf("triu", x, diagonal), diagonal, false));
}

/**
 * torch.diagonal: the entries `x[…, i, …, i + offset, …]` of axes `dim1` and
 * `dim2`, which are removed; the diagonal becomes the last axis. A strided
 * view (no copy until read).
 * @param x a tensor with at least 2 axes
 * @param offset 0 the main diagonal, > 0 above it, < 0 below it
 * @param dim1 the row axis (0 by default)
 * @param dim2 the column axis (1 by default)
 * @returns the diagonals, along a new last axis
 * @example The main diagonal and the one above
 * ```ts
 * import { arange, diagonal } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = arange(9).reshape([3, 3]);
 * assertEquals(diagonal(x).toArray(), [0, 4, 8]);
 * assertEquals(diagonal(x, 1).toArray(), [1, 5]);
 * ```
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const node = matrixOf("diagonal", x, offset);
  const r = node.shape.length;
  const a = normalizeAxis("diagonal", dim1, r);
  const c = normalizeAxis("diagonal", dim2, r);
  if (a === c) {
    throw new RangeError(
      `diagonal() expected two different axes: found dim1 = dim2 = ${a}: pass e.g. diagonal(x, 0, 0, 1)`,
    );
  }
  const rest = [...node.shape.keys()].filter((d) => d !== a && d !== c);
  const moved = b.permute(node, [...rest, a, c]);
  const [n, m] = [node.shape[a], node.shape[c]];
  const lead = rest.map((d) => node.shape[d]);
  const length = Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
  const start = length === 0 ? 0 : offset >= 0 ? offset : -offset * m;
  const flat = b.reshape(moved, [...lead, n * m]);
  return wrap(
    b.slice(flat, [...lead.map(() => 0), start], [...lead.map(() => 1), m + 1], [...lead, length]),
  );
}

/**
 * torch.trace: the sum of a matrix's main diagonal.
 * @param x a 2-d tensor
 * @returns a 0-d tensor
 * @example
 * ```ts
 * import { arange, trace } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(trace(arange(9).reshape([3, 3])).item(), 12);
 * ```
 */
export function trace(x: Tensor): Tensor {
  const node = nodeOf("trace", x);
  if (node.shape.length !== 2) {
    throw new RangeError(`trace() expected a 2-d tensor: found shape ${fmtShape(node.shape)}`);
  }
  return diagonal(x).sum();
}
