/**
 * Checks shared by the ops that take int32 index tensors (gather, take,
 * scatter, indexSelect, …): the dtype now, the values now when known, else
 * when the kernel runs (the error then names the op and the user's line).
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { siteError, userFrame } from "./ir/errors.ts";
import { type Node, recordSite } from "./ir/ir.ts";

/** Throws unless `index` is an int32 tensor. */
export function checkIndexTensor(op: string, index: Tensor): void {
  const n = nodeOf(op, index, 1);
  if (n.dtype !== "int32") {
    throw new TypeError(
      `${op}() expected an int32 index tensor: found ${n.dtype}: convert with .astype("int32")`,
    );
  }
}

/**
 * Checks indices into an axis of size `extent` now when their values are
 * known (a constant or realized tensor); otherwise the kernel checks them
 * when it runs, and the error names `op` and this call's line.
 */
export function checkIndices(op: string, index: Node, extent: number, gathered: Node): void {
  // a reshape keeps the flat order: look through it to computed data
  while (index.op === "reshape" && index.src[0].buffer !== undefined) index = index.src[0];
  const values = index.op === "const" ? [index.arg as number] : index.buffer;
  if (values === undefined) {
    recordSite(gathered, op);
    return;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < -extent || v >= extent) {
      const at = userFrame(siteError());
      throw new RangeError(
        `${op}() index ${v} at flat position ${i} is out of range for an axis of size ${extent}: ` +
          `indices must be in [${-extent}, ${extent - 1}]${
            at === undefined ? "" : ` (${op}() called at ${at})`
          }`,
      );
    }
  }
}
