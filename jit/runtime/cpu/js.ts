/**
 * The `rt` object JS kernels receive: the primitive table's `jsHelpers` plus the gathers' index check.
 * @module
 */
import { jsHelpers } from "../../../core/ops/primitive.ts";
import { IndexRangeError } from "../../_index_error.ts";

export { erf, remainder } from "../../../core/ops/_scalar.ts";

/** Validates a gathered index (negative counts from the end); `site` names the gather's node. */
export function checkIndex(i: number, extent: number, site = -1): number {
  const j = i < 0 ? i + extent : i;
  if (!(j >= 0 && j < extent) || j !== Math.floor(j)) throw new IndexRangeError(i, extent, site);
  return j;
}

/** The helpers object passed to every kernel. */
export const runtimeJs: Readonly<Record<string, (...args: number[]) => number>> = Object.freeze({
  ...jsHelpers,
  checkIndex,
});
