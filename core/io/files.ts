/**
 * Getting bytes in and out on every runtime: files in Deno, Node and Bun,
 * `fetch` responses, blobs and streams in browsers. Each load reads the file
 * into memory once; tensors are then views into those bytes where aligned,
 * so a large file is not copied twice.
 * @module
 */
import type { Tree } from "../tree.ts";
import type { Tensor } from "../tensor.ts";
import type { DataArray } from "../ir/dtype.ts";
import {
  decodeSafetensors,
  type DecodeSafetensorsOptions,
  type SafetensorsFile,
} from "./safetensors.ts";
import { type EncodeSafetensorsOptions, encodeWith } from "./safetensors_encode.ts";
import { decodeNpy, npyBytes } from "./npy.ts";
import { decodeNpz } from "./npz.ts";
import { stateDict } from "./state_dict.ts";

/**
 * Where bytes can come from: bytes themselves, a `Blob`/`File`, a `fetch`
 * `Response`, a byte stream, a file path (Deno, Node, Bun) or a URL (`file:`
 * read from disk, `http(s):` fetched).
 */
export type ByteSource =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | Response
  | ReadableStream<Uint8Array>
  | string
  | URL;

interface DenoFiles {
  readFile(path: string | URL): Promise<Uint8Array>;
  writeFile(path: string | URL, data: Uint8Array): Promise<void>;
}

interface NodeFiles {
  readFile(path: string | URL): Promise<Uint8Array>;
  writeFile(path: string | URL, data: Uint8Array): Promise<void>;
}

async function files(op: string): Promise<DenoFiles | NodeFiles> {
  const deno = (globalThis as { Deno?: DenoFiles }).Deno;
  if (deno !== undefined) return deno;
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (process?.versions?.node === undefined) {
    throw new TypeError(
      `${op}() got a file path, but this runtime has no file system: ` +
        `pass await fetch(url), a Blob or the bytes instead`,
    );
  }
  // NOTE: a computed specifier, so bundlers for the browser leave it alone
  const specifier = "node:fs/promises";
  return (await import(specifier)) as NodeFiles;
}

/**
 * Reads all bytes of a source.
 * @param source bytes, a `Blob`, a `Response`, a stream, a path or a URL
 * @param op the calling function, for errors
 * @returns the bytes
 */
export async function readBytes(source: ByteSource, op = "readBytes"): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === "string" || source instanceof URL) {
    const url = typeof source === "string" && /^https?:\/\//.test(source)
      ? new URL(source)
      : source;
    if (url instanceof URL && url.protocol !== "file:") return readBytes(await fetch(url), op);
    return new Uint8Array(await (await files(op)).readFile(url));
  }
  if (typeof Response !== "undefined" && source instanceof Response) {
    if (!source.ok) {
      throw new TypeError(
        `${op}() got an HTTP ${source.status} response${source.url ? ` for ${source.url}` : ""}: ` +
          `expected 200: check the URL`,
      );
    }
    return new Uint8Array(await source.arrayBuffer());
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return new Uint8Array(await source.arrayBuffer());
  }
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    return new Uint8Array(await new Response(source).arrayBuffer());
  }
  throw new TypeError(
    `${op}() expected bytes, a Blob, a Response, a ReadableStream, a path or a URL: found ${
      (source as object)?.constructor?.name ?? typeof source
    }`,
  );
}

/**
 * Writes bytes to a file (Deno, Node, Bun).
 * @param path the file
 * @param bytes the contents
 */
export async function writeBytes(path: string | URL, bytes: Uint8Array): Promise<void> {
  await (await files("writeBytes")).writeFile(path, bytes);
}

/**
 * Loads a safetensors file from any source (see `ByteSource`).
 * @param source the file: a path, a URL, a `fetch` response, a Blob or bytes
 * @param options `copy`
 * @returns the named tensors and the metadata
 * @example From a `fetch` response (here made from bytes)
 * ```ts
 * import { io, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const bytes = io.encodeSafetensors({ layer: { bias: tensor([0.5, -1]) } });
 * const file = await io.loadSafetensors(new Response(bytes)); // or await fetch(url)
 * assertEquals(file.tensors["layer.bias"].toArray(), [0.5, -1]);
 * ```
 */
export async function loadSafetensors(
  source: ByteSource,
  options: DecodeSafetensorsOptions = {},
): Promise<SafetensorsFile> {
  return decodeSafetensors(await readBytes(source, "loadSafetensors"), options);
}

async function cpuData(tree: Tree): Promise<Map<Tensor, DataArray>> {
  const tensors = Object.values(stateDict(tree));
  const arrays = await Promise.all(tensors.map((t) => t.data()));
  return new Map(tensors.map((t, i) => [t, arrays[i]]));
}

/**
 * Saves a tree of tensors (on any device) as a safetensors file.
 * @param path the file
 * @param tree a tree of tensors, e.g. `{ params, optimizer: state }`
 * @param options `metadata` and per-tensor stored `dtypes`
 */
export async function saveSafetensors(
  path: string | URL,
  tree: Tree,
  options: EncodeSafetensorsOptions = {},
): Promise<void> {
  const data = await cpuData(tree);
  await writeBytes(path, encodeWith(tree, options, (t) => data.get(t)!));
}

/**
 * Loads a `.npy` file from any source.
 * @param source the file
 * @returns the array
 */
export async function loadNpy(source: ByteSource): Promise<Tensor> {
  return decodeNpy(await readBytes(source, "loadNpy"));
}

/**
 * Saves one tensor (on any device) as a `.npy` file.
 * @param path the file
 * @param x the tensor
 */
export async function saveNpy(path: string | URL, x: Tensor): Promise<void> {
  await writeBytes(path, npyBytes(await x.data(), x.dtype, x.shape));
}

/**
 * Loads a `.npz` archive from any source.
 * @param source the file
 * @returns the arrays by name
 * @example From a Blob (e.g. a file input in the browser)
 * ```ts
 * import { io, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const blob = new Blob([io.encodeNpz({ ids: tensor([1, 2], { dtype: "int32" }) })]);
 * assertEquals((await io.loadNpz(blob)).ids.toArray(), [1, 2]);
 * ```
 */
export async function loadNpz(source: ByteSource): Promise<Record<string, Tensor>> {
  return decodeNpz(await readBytes(source, "loadNpz"));
}
