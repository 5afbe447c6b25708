/**
 * A node as a strided window on a buffer (views walked down to their base),
 * the way a matmul reads its operands without copying them.
 * @module
 */
import type { Node } from "../core/ir/ir.ts";
import type { OpArgs } from "../core/ops/registry.ts";
import { contiguousStrides } from "../core/ir/shape.ts";

/** A strided window: element (idx) is `base`'s `offset + Σ idx·strides`. */
export interface View {
  base: Node;
  offset: number;
  strides: number[];
}

/**
 * Describes `node` as a strided window on a base node, walking views down.
 * @param node the node a kernel reads
 * @param given nodes whose values are given (read as buffers, not walked)
 * @returns its base, offset and strides
 */
export function stridedView(node: Node, given: ReadonlySet<Node>): View {
  const contiguous = { base: node, offset: 0, strides: contiguousStrides(node.shape) };
  if (node.buffer !== undefined || given.has(node)) return contiguous;
  const src = node.src[0];
  switch (node.op) {
    case "identity":
    case "stopGradient":
      return stridedView(src, given);
    case "customVjp":
      return stridedView(node.src[node.src.length - 1], given);
    case "permute": {
      const v = stridedView(src, given);
      return { ...v, strides: (node.arg as OpArgs["permute"]).map((p) => v.strides[p]) };
    }
    case "expand": {
      const v = stridedView(src, given);
      return { ...v, strides: v.strides.map((s, d) => (src.shape[d] === node.shape[d] ? s : 0)) };
    }
    case "slice": {
      const v = stridedView(src, given);
      const { start, step } = node.arg as OpArgs["slice"];
      const offset = v.offset + start.reduce((acc, s, d) => acc + s * v.strides[d], 0);
      return { ...v, offset, strides: v.strides.map((s, d) => s * step[d]) };
    }
    case "flip": {
      const v = stridedView(src, given);
      const axes = node.arg as OpArgs["flip"];
      const offset = v.offset + axes.reduce((acc, d) => acc + (src.shape[d] - 1) * v.strides[d], 0);
      return { ...v, offset, strides: v.strides.map((s, d) => (axes.includes(d) ? -s : s)) };
    }
    case "reshape": {
      const v = stridedView(src, given);
      const dense = contiguousStrides(src.shape);
      if (v.strides.every((s, d) => s === dense[d] || src.shape[d] === 1)) {
        return { ...v, strides: contiguousStrides(node.shape) };
      }
      // materialise the view below the reshape, in its own shape (its loops keep affine indices)
      return { base: src, offset: 0, strides: contiguousStrides(node.shape) };
    }
    default:
      return contiguous;
  }
}
