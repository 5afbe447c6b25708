/**
 * NumPy's `.npy` format: the magic `\x93NUMPY`, a version, a header length, a
 * Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
 * and the raw data.
 *
 * Loaded dtypes: `f8` → float64, `f4` → float32, `f2` → float16 (float32
 * where the runtime has no `Float16Array`), `b1` → bool, and `i1 i2 i4 i8 u1
 * u2 u4 u8` → int32 (an error names any value outside int32); either byte
 * order; C or Fortran order (reordered into row-major); 0-d arrays. Saved
 * dtypes: `<f4 <f8 <f2 <i4 |b1`, C order, version 1.0 (2.0 for huge headers).
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { allocate, type DataArray, type DType } from "../ir/dtype.ts";
import { Node } from "../ir/ir.ts";
import { wrap } from "../_wrap.ts";
import { decodeElements, type ElementSpec, encodeElements } from "./_codec.ts";
import { checkOptions } from "./_options.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function fail(what: string, fix = "the file is truncated or corrupt: save it again"): RangeError {
  return new RangeError(`decodeNpy(): ${what}: ${fix}`);
}

function parseDescr(descr: string): ElementSpec {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const sizes: Record<string, number[]> = {
    f: [2, 4, 8],
    i: [1, 2, 4, 8],
    u: [1, 2, 4, 8],
    b: [1],
  };
  if (m === null || !sizes[m[2]].includes(Number(m[3]))) {
    throw new TypeError(
      `decodeNpy(): the dtype '${descr}' is not supported: expected a float (f2 f4 f8), int (i1 i2 i4 i8), ` +
        `unsigned (u1 u2 u4 u8) or bool (b1): ` +
        "convert the array with .astype() before saving",
    );
  }
  const kind = m[2] === "f" ? "float" : m[2] === "i" ? "int" : m[2] === "u" ? "uint" : "bool";
  return { kind, bytes: Number(m[3]), little: m[1] !== ">" };
}

interface Header {
  spec: ElementSpec;
  fortran: boolean;
  shape: number[];
  start: number;
}

function parseHeader(bytes: Uint8Array): Header {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw fail(
      `the file does not start with \\x93NUMPY (found ${bytes.length} bytes: ${
        [...bytes.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(" ")
      })`,
      "pass the bytes of a .npy file",
    );
  }
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw fail(`version ${major}.${bytes[7]} is not one of 1.0, 2.0, 3.0`, "save it with numpy");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1
    ? dv.getUint16(8, true)
    : bytes.length >= 12
    ? dv.getUint32(8, true)
    : Infinity;
  const start = 8 + lengthBytes + headerLength;
  if (start > bytes.length) {
    throw fail(
      `the header length ${headerLength} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(8 + lengthBytes, start),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (descr === null || order === null || shapeText === null) {
    throw fail(
      `the header ${JSON.stringify(text.trim())} lacks 'descr', 'fortran_order' or 'shape'` +
        (text.includes("'descr': [") ? " (structured arrays are not supported)" : ""),
    );
  }
  const parts = shapeText[1].split(",").map((s) => s.trim()).filter((s) => s !== "");
  const shape = parts.map((s) => (/^\d+L?$/.test(s) ? parseInt(s, 10) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) {
    throw fail(`the shape (${shapeText[1]}) is not a tuple of sizes`);
  }
  return { spec: parseDescr(descr[1]), fortran: order[1] === "True", shape, start };
}

/** Reorders a column-major buffer into row-major, moving bits (not numbers). */
function fromFortran(data: DataArray, dtype: DType, shape: readonly number[]): DataArray {
  const n = data.length;
  const width = data.BYTES_PER_ELEMENT;
  const Bits = width === 8
    ? BigUint64Array
    : width === 4
    ? Uint32Array
    : width === 2
    ? Uint16Array
    : Uint8Array;
  const src = new Bits(data.buffer as ArrayBuffer, data.byteOffset, n);
  const result = allocate(dtype, n);
  const dst = new Bits(result.buffer as ArrayBuffer, 0, n);
  const index = new Array<number>(shape.length).fill(0);
  const stride: number[] = [];
  shape.reduce((s, d, i) => ((stride[i] = s), s * d), 1); // column-major strides
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let a = 0; a < shape.length; a++) f += index[a] * stride[a];
    (dst as Uint32Array)[i] = (src as Uint32Array)[f];
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++index[a] < shape[a]) break;
      index[a] = 0;
    }
  }
  return result;
}

/**
 * Reads a `.npy` file.
 * @param bytes the whole file
 * @param options `copy` (default false: a view into `bytes` where the layout allows)
 * @returns the array as a tensor (row-major)
 * @example
 * ```ts
 * import { io, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const x = io.decodeNpy(io.encodeNpy(tensor([[1, 2], [3, 4]])));
 * assertEquals(x.toArray(), [[1, 2], [3, 4]]);
 * ```
 */
export function decodeNpy(
  bytes: Uint8Array | ArrayBuffer,
  options: { copy?: boolean } = {},
): Tensor {
  checkOptions("decodeNpy", options, ["copy"]);
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { spec, fortran, shape, start } = parseHeader(all);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * spec.bytes;
  if (all.length - start !== size) {
    throw fail(
      `the data holds ${all.length - start} bytes after the header, but shape (${
        shape.join(", ")
      }) ` +
        `of ${spec.bytes}-byte elements takes ${size}`,
    );
  }
  const raw = all.subarray(start);
  const decoded = decodeElements(raw, spec, count, { where: "decodeNpy()", copy: options.copy });
  const data = fortran && shape.length > 1
    ? fromFortran(decoded.data, decoded.dtype, shape)
    : decoded.data;
  return wrap(Node.fromBuffer(data, decoded.dtype, shape));
}

const DESCR: Record<DType, string> = {
  float32: "<f4",
  float64: "<f8",
  float16: "<f2",
  int32: "<i4",
  bool: "|b1",
};

/** The `.npy` bytes of an array buffer. */
export function npyBytes(
  data: DataArray,
  dtype: DType,
  shape: readonly number[],
): Uint8Array<ArrayBuffer> {
  const descr = DESCR[dtype];
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const v1 = header.length + 11 < 65536;
  const prefix = v1 ? 10 : 12;
  header = header.padEnd(Math.ceil((prefix + header.length + 1) / 64) * 64 - prefix - 1, " ") +
    "\n";
  const body = encodeElements(data, dtype, parseDescr(descr));
  const out = new Uint8Array(prefix + header.length + body.length);
  out.set(MAGIC);
  out[6] = v1 ? 1 : 2;
  const dv = new DataView(out.buffer);
  if (v1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(body, prefix + header.length);
  return out;
}

/**
 * Writes a CPU tensor as a `.npy` file (C order, little-endian).
 * @param x the tensor
 * @returns the file's bytes
 */
export function encodeNpy(x: Tensor): Uint8Array<ArrayBuffer> {
  return npyBytes(x.dataSync(), x.dtype, x.shape);
}
