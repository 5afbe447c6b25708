/**
 * The `rt` object JS kernels receive: the primitive table's `jsHelpers` plus the gathers' index check.
 * @module
 */
import { jsHelpers } from "../../../core/ops/primitive.ts";

export { erf, remainder } from "../../../core/ops/_scalar.ts";

/** Validates a gathered index (negative counts from the end). */
export function checkIndex(i: number, extent: number): number {
  const j = i < 0 ? i + extent : i;
  if (!(j >= 0 && j < extent) || j !== Math.floor(j)) {
    throw new RangeError(
      `Index ${i} is out of range for an axis of size ${extent}: indices must be in [${-extent}, ${
        extent - 1
      }]`,
    );
  }
  return j;
}

/** The helpers object passed to every kernel. */
export const runtimeJs: Readonly<Record<string, (...args: number[]) => number>> = Object.freeze({
  ...jsHelpers,
  checkIndex,
});
