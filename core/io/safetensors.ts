/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header `{name: {dtype, shape, data_offsets}}` with an
 * optional `__metadata__` of strings, then the raw little-endian data.
 *
 * Loaded dtypes: F64 → float64, F32 → float32, F16 → float16 (float32 where the
 * runtime has no `Float16Array`), BF16 → float32 (exact: bfloat16 is the top
 * half of a float32; save with `{ dtypes: { name: "BF16" } }` to write it back
 * bit for bit), BOOL → bool, and I8, I16, I32, I64, U8, U16, U32, U64 → int32
 * (an error names any value outside int32). F32, F64, F16, I32 and BOOL
 * tensors are views into the file's bytes where aligned (no copy), unless
 * `{ copy: true }`. Malformed files get an error saying where, never garbage.
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Node } from "../ir/ir.ts";
import { wrap } from "../_wrap.ts";
import { fmtShape } from "../ir/errors.ts";
import { decodeElements, type ElementSpec } from "./_codec.ts";
import { checkOptions } from "./_options.ts";

/** The element types of safetensors that Lathe reads. */
export type SafetensorsDType =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U64"
  | "U32"
  | "U16"
  | "U8"
  | "BOOL";

/** How each safetensors dtype stores one element. */
export const SPECS: Record<SafetensorsDType, ElementSpec> = {
  F64: { kind: "float", bytes: 8, little: true },
  F32: { kind: "float", bytes: 4, little: true },
  F16: { kind: "float", bytes: 2, little: true },
  BF16: { kind: "bfloat", bytes: 2, little: true },
  I64: { kind: "int", bytes: 8, little: true },
  I32: { kind: "int", bytes: 4, little: true },
  I16: { kind: "int", bytes: 2, little: true },
  I8: { kind: "int", bytes: 1, little: true },
  U64: { kind: "uint", bytes: 8, little: true },
  U32: { kind: "uint", bytes: 4, little: true },
  U16: { kind: "uint", bytes: 2, little: true },
  U8: { kind: "uint", bytes: 1, little: true },
  BOOL: { kind: "bool", bytes: 1, little: true },
};

/** A decoded safetensors file. */
export interface SafetensorsFile {
  /** The tensors by name (`"0.weight"`), in the header's order. */
  readonly tensors: Record<string, Tensor>;
  /** The header's `__metadata__` (string to string; empty when absent). */
  readonly metadata: Record<string, string>;
}

/** Options of `decodeSafetensors`. */
export interface DecodeSafetensorsOptions {
  /** Copy every tensor out of the bytes instead of viewing them where aligned (default false). */
  copy?: boolean;
}

function fail(what: string, fix = "the file is truncated or corrupt: save it again"): RangeError {
  return new RangeError(`decodeSafetensors(): ${what}: ${fix}`);
}

function dtypeError(name: string, code: unknown): TypeError {
  return new TypeError(
    `decodeSafetensors(): tensor "${name}" has dtype ${JSON.stringify(code)}: expected one of ${
      Object.keys(SPECS).join(", ")
    }: convert it to a supported dtype before saving`,
  );
}

function isIndex(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

interface Entry {
  name: string;
  code: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, info: unknown, dataLength: number): Entry {
  const field = (k: string) => (info as Record<string, unknown>)?.[k];
  if (info === null || typeof info !== "object" || Array.isArray(info)) {
    throw fail(
      `header entry "${name}" is ${JSON.stringify(info)}: expected {dtype, shape, data_offsets}`,
    );
  }
  const code = field("dtype");
  if (typeof code !== "string" || !(code in SPECS)) {
    throw dtypeError(name, code);
  }
  const shape = field("shape");
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw fail(`tensor "${name}" has shape ${JSON.stringify(shape)}: expected an array of sizes`);
  }
  const offsets = field("data_offsets");
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw fail(
      `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}: expected [begin, end]`,
    );
  }
  const [begin, end] = offsets as number[];
  if (begin > end) {
    throw fail(`tensor "${name}" has data_offsets [${begin}, ${end}]: expected begin <= end`);
  }
  if (end > dataLength) {
    throw fail(
      `tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLength} data bytes`,
    );
  }
  const size = shape.reduce((a: number, b: number) => a * b, 1) *
    SPECS[code as SafetensorsDType].bytes;
  if (end - begin !== size) {
    throw fail(
      `tensor "${name}" has data_offsets [${begin}, ${end}] (${end - begin} bytes), ` +
        `but ${code} of shape ${fmtShape(shape)} takes ${size} bytes`,
    );
  }
  return { name, code: code as SafetensorsDType, shape: shape as number[], begin, end };
}

function parseHeader(
  bytes: Uint8Array,
): { entries: Entry[]; metadata: Record<string, string>; start: number } {
  if (bytes.length < 8) {
    throw fail(`the file is ${bytes.length} bytes: expected at least 8 (the header length)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(dv.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    throw fail(
      `the header length (bytes 0-7) is ${headerLength}, past the end of the ${bytes.length}-byte file`,
    );
  }
  const start = 8 + headerLength;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (e) {
    throw fail(
      `the header (bytes 8-${start - 1}) is not valid UTF-8 JSON (${(e as Error).message})`,
    );
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw fail(`the header is ${JSON.stringify(header)}: expected a JSON object`);
  }
  const { __metadata__: meta, ...rest } = header as Record<string, unknown>;
  if (
    meta !== undefined && (meta === null || typeof meta !== "object" || Array.isArray(meta) ||
      Object.values(meta).some((v) => typeof v !== "string"))
  ) {
    throw fail(`__metadata__ is ${JSON.stringify(meta)}: expected an object of strings`);
  }
  const dataLength = bytes.length - start;
  const entries = Object.entries(rest).map(([name, info]) => parseEntry(name, info, dataLength));
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin < covered) {
      const prev = sorted.find((p) => p.end > e.begin && p !== e)!;
      throw fail(
        `tensors "${prev.name}" [${prev.begin}, ${prev.end}] and "${e.name}" [${e.begin}, ${e.end}] overlap`,
      );
    }
    if (e.begin > covered) {
      throw fail(`data bytes ${covered}-${e.begin - 1} belong to no tensor`);
    }
    covered = e.end;
  }
  if (covered !== dataLength) {
    throw fail(`the tensors cover ${covered} data bytes but the file holds ${dataLength}`);
  }
  return { entries, metadata: { ...(meta as Record<string, string> ?? {}) }, start };
}

/**
 * Reads a safetensors file from its bytes.
 * @param bytes the whole file
 * @param options `copy` (default false: views into `bytes` where aligned, so
 *   do not modify `bytes` afterwards)
 * @returns the named tensors and the metadata
 * @example A round trip
 * ```ts
 * import { io, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const bytes = io.encodeSafetensors({ w: tensor([[1, 2]]) }, { metadata: { format: "pt" } });
 * const file = io.decodeSafetensors(bytes);
 * assertEquals(file.tensors.w.toArray(), [[1, 2]]);
 * assertEquals(file.metadata, { format: "pt" });
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: DecodeSafetensorsOptions = {},
): SafetensorsFile {
  checkOptions("decodeSafetensors", options, ["copy"]);
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { entries, metadata, start } = parseHeader(all);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const spec = SPECS[e.code];
    const count = (e.end - e.begin) / spec.bytes;
    const raw = all.subarray(start + e.begin, start + e.end);
    const where = `decodeSafetensors(): tensor "${e.name}"`;
    const { data, dtype } = decodeElements(raw, spec, count, { where, copy: options.copy });
    tensors[e.name] = wrap(Node.fromBuffer(data, dtype, e.shape));
  }
  return { tensors, metadata };
}
