/**
 * `jit`'s donation option, as JAX's `donate_argnums`: which argument
 * tensors a call gives up, and their invalidation after it (any later use
 * throws an error naming the donation).
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";
import { Node } from "../../core/ir/ir.ts";
import { wrap } from "../../core/_wrap.ts";
import { flatten, leafPaths, type Tree, unflatten } from "../../core/tree.ts";

/**
 * Which arguments a jitted call donates: positions (every tensor of those
 * arguments), or a predicate over each argument tensor's key path, such as
 * `args[0].w` (the path names the position, then keys and indices).
 */
export type Donate = readonly number[] | ((path: string, leaf: Tensor) => boolean);

/**
 * For each argument tensor (in the flattened order of the non-static
 * arguments), its key path when it is donated, else `undefined`.
 * @param donate the option
 * @param args the call's arguments
 * @param statics the static positions
 * @returns one entry per tensor (empty without the option)
 */
export function donatedLeaves(
  donate: Donate | undefined,
  args: readonly unknown[],
  statics: ReadonlySet<number>,
): (string | undefined)[] {
  if (donate === undefined) return [];
  if (typeof donate !== "function") {
    for (const i of donate) {
      if (!Number.isInteger(i) || i < 0 || i >= args.length || statics.has(i)) {
        throw new RangeError(
          `jit() option donate expected positions of traced arguments: found ${i}, but the ` +
            `call has ${args.length} argument(s)${
              statics.size > 0 ? ` and ${[...statics]} static` : ""
            }: ` +
            `name only positions the function is called with, and not static ones`,
        );
      }
    }
  }
  return args.flatMap((arg, i) => {
    if (statics.has(i)) return [];
    const paths = leafPaths(arg as Tree, `args[${i}]`);
    if (typeof donate !== "function") return paths.map((p) => donate.includes(i) ? p : undefined);
    const { leaves } = flatten(arg as Tree);
    return paths.map((path, j) => donate(path, leaves[j]) ? path : undefined);
  });
}

/** The error a donated tensor throws when used again. */
function message(path: string): string {
  return `Cannot use this tensor: it was donated to a jitted function (jit option donate, ` +
    `argument ${path}), which may have written its results into the tensor's buffer: ` +
    `use the function's results instead, or do not donate the argument`;
}

/**
 * Invalidates the donated argument tensors after a call: a result that is a
 * donated tensor itself becomes a new tensor holding the same data.
 * @param leaves the call's argument tensors
 * @param donated the key path of each donated one (`donatedLeaves`)
 * @param result the call's result tree
 * @returns the result tree
 */
export function donateLeaves<T>(
  leaves: readonly Tensor[],
  donated: readonly (string | undefined)[],
  result: T,
): T {
  if (donated.every((p) => p === undefined)) return result;
  const given = new Set(leaves.filter((_, i) => donated[i] !== undefined).map((t) => t.node));
  const out = flatten(result as Tree);
  const fresh = out.leaves.map((t) => given.has(t.node) ? wrap(sameData(t.node)) : t);
  leaves.forEach((t, i) => {
    const path = donated[i];
    if (path !== undefined && t.node.donated === undefined) t.node.donate(message(path));
  });
  return fresh.some((t, i) => t !== out.leaves[i]) ? unflatten<T>(out.def, fresh) : result;
}

/** A new realized node holding `node`'s data (host or device). */
function sameData(node: Node): Node {
  if (node.heldBuffer !== undefined) {
    return Node.fromBuffer(node.heldBuffer, node.dtype, node.shape, node.device);
  }
  const copy = Node.placeholder(node.dtype, node.shape, node.device);
  copy.setDeviceData(node.deviceData!);
  return copy;
}
