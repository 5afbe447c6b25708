/**
 * Cumulative scans along an axis, as torch: `cumsum`, `cumprod`,
 * `logCumSumExp`. Each is a reduction over the prefix `j <= i`, masked from
 * a broadcast (no n × n buffer is written: the mask and the reduction fuse
 * into one kernel, and so does the gradient). That costs O(n²) work per row:
 * right for the sequence lengths of sequence models (up to a few thousand);
 * long scans are better done in blocks.
 *
 * `logCumSumExp` is stable: each prefix subtracts its own maximum, so no
 * prefix underflows to -Infinity because a later element is large.
 * Gradients: `cumsum` a reverse cumulative sum, `cumprod` zero-aware like
 * torch (a product's gradient with zeros in the prefix), `logCumSumExp`
 * softmax-weighted.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { singleAxis } from "./_options.ts";
import * as b from "./ops/build.ts";
import type { Node } from "./ir/ir.ts";
import { normalizeAxis } from "./ir/shape.ts";
import { logSumExp } from "./reduce.ts";

/** The axis argument of a scan: a number or `{axis}` (torch's `dim` is required). */
export type ScanAxis = number | { axis: number };

/**
 * `x` along `axis` spread to `[..., i, j, ...rest]`: element j of the prefix
 * of i where `j <= i`, `fill` elsewhere; reduced over j by the caller.
 */
function prefixes(op: string, x: Tensor, axis: ScanAxis, fill: number): { grid: Node; j: number } {
  let node = nodeOf(op, x);
  if (node.dtype === "bool") node = b.cast(node, "int32");
  if (node.shape.length === 0) node = b.reshape(node, [1]);
  const a = normalizeAxis(op, singleAxis(op, axis), node.shape.length);
  const n = node.shape[a];
  const before = node.shape.slice(0, a);
  const after = node.shape.slice(a + 1);
  const grid = [...before, n, n, ...after];
  const ones = (k: number) => Array(k).fill(1);
  const xj = b.expand(b.reshape(node, [...before, 1, n, ...after]), grid);
  const at = (d: number) =>
    b.expand(
      b.reshape(b.iota(n, node.device), [
        ...ones(before.length),
        ...(d === 0 ? [n, 1] : [1, n]),
        ...ones(after.length),
      ]),
      grid,
    );
  // j <= i is j < i + 1
  const inside = b.alu(
    "cmplt",
    at(1),
    b.alu("add", at(0), b.constant(1, "int32", grid, node.device)),
  );
  const masked = b.alu("where", inside, xj, b.constant(fill, node.dtype, grid, node.device));
  return { grid: masked, j: a + 1 };
}

function finish(x: Tensor, n: Node): Tensor {
  return wrap(x.shape.length === 0 ? b.reshape(n, []) : n);
}

/**
 * torch.cumsum: `out[i] = x[0] + … + x[i]` along `axis` (bool counts as int32).
 * @param x the input
 * @param axis the axis to scan (a number or `{axis}`)
 * @returns a tensor shaped like `x`
 * @example
 * ```ts
 * import { cumsum, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(cumsum(tensor([[1, 2, 3], [4, 5, 6]]), 1).toArray(), [[1, 3, 6], [4, 9, 15]]);
 * ```
 */
export function cumsum(x: Tensor, axis: ScanAxis): Tensor {
  const { grid, j } = prefixes("cumsum", x, axis, 0);
  return finish(x, b.reduce("reduceSum", grid, [j]));
}

/**
 * torch.cumprod: `out[i] = x[0] · … · x[i]` along `axis`; the gradient is
 * right with zeros in the prefix (like torch).
 * @param x the input
 * @param axis the axis to scan (a number or `{axis}`)
 * @returns a tensor shaped like `x`
 * @example
 * ```ts
 * import { cumprod, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(cumprod(tensor([1, 2, 3, 4]), 0).toArray(), [1, 2, 6, 24]);
 * ```
 */
export function cumprod(x: Tensor, axis: ScanAxis): Tensor {
  const { grid, j } = prefixes("cumprod", x, axis, 1);
  return finish(x, b.reduce("reduceProd", grid, [j]));
}

/**
 * torch.logcumsumexp: `out[i] = log(exp(x[0]) + … + exp(x[i]))` along `axis`,
 * stable for any range of values (each prefix subtracts its own maximum).
 * @param x the input (ints are converted to float32)
 * @param axis the axis to scan (a number or `{axis}`)
 * @returns a float tensor shaped like `x`
 * @example No underflow where a later value is large
 * ```ts
 * import { logCumSumExp, tensor } from "@lathe/lathe";
 * import { assertAlmostEquals } from "@std/assert";
 * const out = logCumSumExp(tensor([-1000, -1000, 0]), 0).dataSync();
 * assertAlmostEquals(out[1], -1000 + Math.log(2), 1e-3);
 * assertAlmostEquals(out[2], 0, 1e-6);
 * ```
 */
export function logCumSumExp(x: Tensor, axis: ScanAxis): Tensor {
  const node = nodeOf("logCumSumExp", x);
  const float = node.dtype === "float32" || node.dtype === "float64" || node.dtype === "float16"
    ? x
    : x.astype("float32");
  const { grid, j } = prefixes("logCumSumExp", float, axis, -Infinity);
  const out = logSumExp(wrap(grid), j);
  return x.shape.length === 0 ? out.reshape([]) : out;
}
