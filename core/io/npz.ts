/**
 * NumPy's `.npz` archives: a zip of `.npy` files, one per named array
 * (`np.savez`, stored) or compressed (`np.savez_compressed`, deflate; read
 * with `DecompressionStream`, present in Deno, Node 18+, Bun and browsers).
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { Tree } from "../tree.ts";
import { decodeNpy, npyBytes } from "./npy.ts";
import { entryBytes, readZip, writeZip } from "./_zip.ts";
import { stateDict } from "./state_dict.ts";
import { checkOptions } from "./_options.ts";

/**
 * Reads a `.npz` archive.
 * @param bytes the whole file
 * @param options `copy` (default false: stored arrays are views into `bytes` where aligned)
 * @returns the arrays by name (without the `.npy` suffix)
 * @example
 * ```ts
 * import { io, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const bytes = io.encodeNpz({ x: tensor([1, 2]), y: tensor([true]) });
 * const arrays = await io.decodeNpz(bytes);
 * assertEquals(arrays.x.toArray(), [1, 2]);
 * ```
 */
export async function decodeNpz(
  bytes: Uint8Array | ArrayBuffer,
  options: { copy?: boolean } = {},
): Promise<Record<string, Tensor>> {
  checkOptions("decodeNpz", options, ["copy"]);
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const out: Record<string, Tensor> = {};
  for (const entry of readZip(all)) {
    const name = entry.name.endsWith(".npy") ? entry.name.slice(0, -4) : entry.name;
    const data = await entryBytes(entry);
    try {
      out[name] = decodeNpy(data, options);
    } catch (e) {
      const message = (e as Error).message.replace(
        /^decodeNpy\(\)/,
        `decodeNpz(): array "${name}"`,
      );
      throw new (e instanceof TypeError ? TypeError : RangeError)(message);
    }
  }
  return out;
}

/**
 * Writes a tree of CPU tensors as a `.npz` archive (stored entries named by
 * path, as `stateDict` names them), readable by `np.load`.
 * @param tree a tree of tensors, or a flat record of named tensors
 * @returns the file's bytes
 */
export function encodeNpz(tree: Tree): Uint8Array<ArrayBuffer> {
  const named = stateDict(tree);
  return writeZip(
    Object.entries(named).map(([name, t]) => ({
      name: `${name}.npy`,
      data: npyBytes(t.dataSync(), t.dtype, t.shape),
    })),
  );
}
