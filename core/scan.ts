/**
 * Cumulative scans along an axis, as torch: `cumsum`, `cumprod`,
 * `logCumSumExp`. Each is the `cumulative` primitive over the last axis (the
 * axis is moved there and back as views): on the CPU one pass per row, O(n),
 * and so is each gradient; off the CPU a masked reduction over each prefix,
 * O(n²) per row, fused into one kernel (`ops/scan.ts`).
 *
 * `logCumSumExp` is stable: terms are added as max(a, b) + log1p(e^-|a - b|),
 * so no prefix underflows to -Infinity because a later element is large.
 * Gradients: `cumsum` a reverse cumulative sum, `cumprod` zero-aware like
 * torch (the first zero of a row gets the product of the others),
 * `logCumSumExp` softmax-weighted, summed in log space.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { wrap } from "./_wrap.ts";
import { singleAxis } from "./_options.ts";
import * as b from "./ops/build.ts";
import { cumulativeLast, type ScanKind } from "./ops/scan.ts";
import { normalizeAxis } from "./ir/shape.ts";

/** The axis argument of a scan: a number or `{axis}` (torch's `dim` is required). */
export type ScanAxis = number | { axis: number };

/** The running `op` of `x` along `axis`, moved to the last axis and back. */
function scanAlong(name: string, x: Tensor, axis: ScanAxis, op: ScanKind): Tensor {
  let node = nodeOf(name, x);
  if (node.dtype === "bool") node = b.cast(node, "int32");
  if (op === "logaddexp" && node.dtype !== "float64" && node.dtype !== "float16") {
    node = b.cast(node, "float32");
  }
  const scalar = node.shape.length === 0;
  if (scalar) node = b.reshape(node, [1]);
  const a = normalizeAxis(name, singleAxis(name, axis), node.shape.length);
  const perm = [...node.shape.keys()].filter((d) => d !== a);
  perm.push(a);
  const inverse = perm.map((_, d) => perm.indexOf(d));
  const out = b.permute(cumulativeLast(b.permute(node, perm), op), inverse);
  return wrap(scalar ? b.reshape(out, []) : out);
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
  return scanAlong("cumsum", x, axis, "sum");
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
  return scanAlong("cumprod", x, axis, "prod");
}

/**
 * torch.logcumsumexp: `out[i] = log(exp(x[0]) + … + exp(x[i]))` along `axis`,
 * stable for any range of values (terms add as max(a, b) + log1p(e^-|a - b|)).
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
  return scanAlong("logCumSumExp", x, axis, "logaddexp");
}
