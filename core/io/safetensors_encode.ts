/**
 * Writing safetensors files: tensors named by path, each stored in its own
 * dtype (or a chosen one: floats as F16, BF16, F32 or F64, int32 as I32 or
 * I64), widest first so every tensor is aligned, the header padded to 8 bytes.
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { Tree } from "../tree.ts";
import type { DataArray, DType } from "../ir/dtype.ts";
import { encodeElements } from "./_codec.ts";
import { stateDict } from "./state_dict.ts";
import { checkOptions } from "./_options.ts";
import { type SafetensorsDType, SPECS } from "./safetensors.ts";

/** The stored types each Lathe dtype may be saved as (the first is the default). */
const SAVE_AS: Record<DType, readonly SafetensorsDType[]> = {
  float32: ["F32", "F64", "F16", "BF16"],
  float64: ["F64", "F32", "F16", "BF16"],
  float16: ["F16", "F32", "F64", "BF16"],
  int32: ["I32", "I64"],
  bool: ["BOOL"],
};

/** Options of `encodeSafetensors`. */
export interface EncodeSafetensorsOptions {
  /** Strings stored as `__metadata__` (torch files carry `{ format: "pt" }`). */
  metadata?: Record<string, string>;
  /**
   * The stored type of some tensors, by name (default: the tensor's own:
   * F32, F64, F16, I32, BOOL). Floats may be stored as F16, BF16, F32 or F64
   * (rounded to nearest), int32 as I32 or I64.
   */
  dtypes?: Record<string, SafetensorsDType>;
}

/**
 * Writes a tree of tensors (named by path, see `stateDict`) as a safetensors
 * file. CPU tensors only: for others use `saveSafetensors`, which awaits them.
 * @param tree a tree of tensors, or a flat record of named tensors
 * @param options `metadata` and per-tensor stored `dtypes`
 * @returns the file's bytes
 * @example Store a float32 tensor as bfloat16
 * ```ts
 * import { io, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const bytes = io.encodeSafetensors({ w: tensor([1, 1.00390625]) }, { dtypes: { w: "BF16" } });
 * assertEquals(io.decodeSafetensors(bytes).tensors.w.toArray(), [1, 1]); // rounded to bfloat16
 * ```
 */
export function encodeSafetensors(
  tree: Tree,
  options: EncodeSafetensorsOptions = {},
): Uint8Array<ArrayBuffer> {
  return encodeWith(tree, options, (t) => t.dataSync());
}

/** `encodeSafetensors` with the data read by `read` (sync or already awaited). */
export function encodeWith(
  tree: Tree,
  options: EncodeSafetensorsOptions,
  read: (t: Tensor) => DataArray,
): Uint8Array<ArrayBuffer> {
  checkOptions("encodeSafetensors", options, ["metadata", "dtypes"]);
  const named = stateDict(tree);
  const metadata = options.metadata ?? {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") {
      throw new TypeError(
        `encodeSafetensors() expected string metadata values: found ${typeof v} at "${k}": use String(value)`,
      );
    }
  }
  const dtypes = options.dtypes ?? {};
  for (const k of Object.keys(dtypes)) {
    if (!(k in named)) {
      throw new TypeError(
        `encodeSafetensors() got dtypes for "${k}", which is not a tensor of the tree: ` +
          `use one of ${Object.keys(named).slice(0, 8).map((n) => `"${n}"`).join(", ")}`,
      );
    }
  }
  const parts = Object.entries(named).map(([name, t]) => {
    const code = dtypes[name] ?? SAVE_AS[t.dtype][0];
    if (!SAVE_AS[t.dtype].includes(code)) {
      throw new TypeError(
        `encodeSafetensors() cannot store ${t.dtype} tensor "${name}" as ${
          JSON.stringify(code)
        }: ` +
          `expected one of ${SAVE_AS[t.dtype].join(", ")}`,
      );
    }
    return { name, code, shape: t.shape, bytes: encodeElements(read(t), t.dtype, SPECS[code]) };
  });
  // widest elements first, so every tensor starts at a multiple of its element size
  parts.sort((a, b) => SPECS[b.code].bytes - SPECS[a.code].bytes || (a.name < b.name ? -1 : 1));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const p of parts) {
    header[p.name] = {
      dtype: p.code,
      shape: p.shape,
      data_offsets: [offset, offset + p.bytes.length],
    };
    offset += p.bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  return out;
}
