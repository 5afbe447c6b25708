/**
 * Saving and loading tensors and parameter trees: safetensors (the format of
 * Hugging Face and of PyTorch `state_dict`s saved with `safetensors.torch`),
 * NumPy `.npy` and `.npz`, and the path names that map a tree to a flat record
 * and back (`stateDict`, `loadStateDict`).
 *
 * `encode*` / `decode*` work on bytes (any runtime); `save*` / `load*` take a
 * file path in Deno, Node and Bun, and `load*` also a `fetch` response, a
 * Blob or a stream in the browser.
 *
 * @example Save a model and its optimizer state, load them into a fresh tree
 * ```ts
 * import { io, random, tree } from "@lathe/lathe";
 * import { linear, relu, sequential } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 *
 * const model = sequential(linear(4, 8), relu, linear(8, 2));
 * const params = model.init(random.key(0));
 * const bytes = io.encodeSafetensors({ params }, { metadata: { epoch: "3" } });
 *
 * const file = io.decodeSafetensors(bytes);
 * const fresh = { params: model.init(random.key(1)) };
 * const loaded = io.loadStateDict(fresh, file.tensors);
 * const names = io.stateDict(loaded);
 * assertEquals(Object.keys(names), ["params.0.bias", "params.0.weight", "params.2.bias", "params.2.weight"]);
 * assertEquals(names["params.2.bias"].toArray(), io.stateDict(params)["2.bias"].toArray());
 * assertEquals(file.metadata.epoch, "3");
 * assertEquals(tree.structureEquals(loaded, fresh), true);
 * ```
 * @module
 */
export * from "./state_dict.ts";
export {
  decodeSafetensors,
  type DecodeSafetensorsOptions,
  type SafetensorsDType,
  type SafetensorsFile,
} from "./safetensors.ts";
export { encodeSafetensors, type EncodeSafetensorsOptions } from "./safetensors_encode.ts";
export { decodeNpy, encodeNpy } from "./npy.ts";
export * from "./npz.ts";
export * from "./files.ts";
