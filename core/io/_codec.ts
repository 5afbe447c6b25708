/**
 * Raw element codecs shared by the file formats: bytes of a stored element
 * type (float, bfloat, signed or unsigned int, bool; 1–8 bytes; either byte
 * order) to a tensor buffer and back.
 *
 * Decoding makes a view into the caller's bytes when the stored type is the
 * tensor's own type, in the host's byte order, at an aligned offset (no copy);
 * otherwise it converts into a new buffer. Bit patterns survive both ways
 * (NaN payloads, -0, subnormals): floats are moved as bits, never as numbers.
 * @module
 */
import type { DataArray, DType } from "../ir/dtype.ts";
import { allocate, float16Array } from "../ir/dtype.ts";

/** How one element is stored in a file. */
export interface ElementSpec {
  /** `bfloat` is bfloat16: the top half of a float32. */
  readonly kind: "float" | "bfloat" | "int" | "uint" | "bool";
  /** Bytes per element. */
  readonly bytes: number;
  /** Little-endian (every format here writes little-endian). */
  readonly little: boolean;
}

/** Whether this machine stores numbers little-endian (every JS engine in practice). */
export const hostLittle: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function hasFloat16(): boolean {
  return (globalThis as { Float16Array?: unknown }).Float16Array !== undefined &&
    (Math as { f16round?: unknown }).f16round !== undefined;
}

/**
 * The Lathe dtype a stored element type loads as: floats keep their width
 * (float16 becomes float32 where the runtime has no `Float16Array`), bfloat16
 * becomes float32 (exactly), every integer type becomes int32 (range-checked)
 * and bool stays bool.
 */
export function loadedDType(spec: ElementSpec): DType {
  switch (spec.kind) {
    case "float":
      return spec.bytes === 8
        ? "float64"
        : spec.bytes === 2 && hasFloat16()
        ? "float16"
        : "float32";
    case "bfloat":
      return "float32";
    case "int":
    case "uint":
      return "int32";
    case "bool":
      return "bool";
    default:
      return spec.kind satisfies never;
  }
}

const viewBytes: Record<DType, number> = { float64: 8, float32: 4, float16: 2, int32: 4, bool: 1 };

function sameLayout(spec: ElementSpec, dtype: DType): boolean {
  if (spec.bytes !== viewBytes[dtype] || (spec.bytes > 1 && spec.little !== hostLittle)) {
    return false;
  }
  return spec.kind === "float"
    ? dtype.startsWith("float")
    : spec.kind === "int"
    ? dtype === "int32"
    : spec.kind === "bool" && dtype === "bool";
}

function view(dtype: DType, bytes: Uint8Array, count: number): DataArray {
  const { buffer, byteOffset } = bytes;
  switch (dtype) {
    case "float64":
      return new Float64Array(buffer, byteOffset, count);
    case "float32":
      return new Float32Array(buffer, byteOffset, count);
    case "float16":
      return new (float16Array())(buffer, byteOffset, count);
    case "int32":
      return new Int32Array(buffer, byteOffset, count);
    case "bool":
      return new Uint8Array(buffer, byteOffset, count);
    default:
      return dtype satisfies never;
  }
}

/** float16 bits to a number (for runtimes without `Float16Array`). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function checkBools(data: Uint8Array, where: string): void {
  const bad = data.findIndex((b) => b > 1);
  if (bad >= 0) {
    throw new RangeError(
      `${where}: bool element ${bad} is stored as byte ${data[bad]}: expected 0 or 1: ` +
        `the file is corrupt or its dtype is wrong`,
    );
  }
}

/**
 * Decodes `count` elements stored as `spec` in `bytes` (exactly
 * `count * spec.bytes` long).
 * @param bytes the stored elements
 * @param spec how they are stored
 * @param count the number of elements
 * @param options `where` names the array in errors; `copy` forces a new buffer
 * @returns the tensor buffer and its dtype
 */
export function decodeElements(
  bytes: Uint8Array,
  spec: ElementSpec,
  count: number,
  options: { where: string; copy?: boolean },
): { data: DataArray; dtype: DType } {
  const dtype = loadedDType(spec);
  if (sameLayout(spec, dtype)) {
    const aligned = bytes.byteOffset % spec.bytes === 0;
    const data = options.copy || !aligned
      ? view(dtype, new Uint8Array(bytes), count)
      : view(dtype, bytes, count);
    if (dtype === "bool") checkBools(data as Uint8Array, options.where);
    return { data, dtype };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { little } = spec;
  const out = allocate(dtype, count);
  if (spec.kind === "bfloat") {
    // bfloat16 is the top 16 bits of a float32: move the bits, keep NaN payloads
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = dv.getUint16(2 * i, little) << 16;
  } else if (spec.kind === "float" && spec.bytes === 2) {
    if (dtype === "float16") {
      const bits = new Uint16Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = dv.getUint16(2 * i, little);
    } else {
      for (let i = 0; i < count; i++) out[i] = halfToNumber(dv.getUint16(2 * i, little));
    }
  } else if (spec.kind === "float") {
    const bits = new Uint8Array(out.buffer);
    const n = spec.bytes;
    for (let i = 0; i < count * n; i += n) {
      for (let b = 0; b < n; b++) bits[i + b] = bytes[i + (little === hostLittle ? b : n - 1 - b)];
    }
  } else {
    decodeInts(dv, spec, count, out as Int32Array, options.where);
  }
  return { data: out, dtype };
}

function decodeInts(
  dv: DataView,
  spec: ElementSpec,
  count: number,
  out: Int32Array,
  where: string,
): void {
  const { bytes, little, kind } = spec;
  const signed = kind === "int";
  for (let i = 0; i < count; i++) {
    const at = i * bytes;
    let value: number;
    if (bytes === 1) value = signed ? dv.getInt8(at) : dv.getUint8(at);
    else if (bytes === 2) value = signed ? dv.getInt16(at, little) : dv.getUint16(at, little);
    else if (bytes === 4) value = signed ? dv.getInt32(at, little) : dv.getUint32(at, little);
    else {
      const low = dv.getInt32(little ? at : at + 4, little);
      const high = dv.getInt32(little ? at + 4 : at, little);
      // an int64 fits int32 when the high word is the low word's sign extension
      value = high === low >> 31 && !(kind === "uint" && high < 0) ? low : NaN;
      if (Number.isNaN(value)) {
        const big = signed ? dv.getBigInt64(at, little) : dv.getBigUint64(at, little);
        throw rangeError(where, i, `${big}`);
      }
    }
    if (value > 0x7fffffff) throw rangeError(where, i, `${value}`);
    out[i] = value;
  }
}

function rangeError(where: string, index: number, value: string): RangeError {
  return new RangeError(
    `${where}: integer element ${index} is ${value}, outside int32 (Lathe's integer dtype): ` +
      `store the values as int32 or a float type instead`,
  );
}

/**
 * Encodes a tensor buffer as elements of `spec` (little-endian), rounding
 * floats to narrower float types (to nearest, ties to even).
 * @param data the tensor buffer
 * @param dtype its dtype
 * @param spec the stored type
 * @returns the bytes
 */
export function encodeElements(data: DataArray, dtype: DType, spec: ElementSpec): Uint8Array {
  const count = data.length;
  if (sameLayout(spec, dtype) && spec.little === hostLittle) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  const out = new Uint8Array(count * spec.bytes);
  const dv = new DataView(out.buffer);
  const { little } = spec;
  if (spec.kind === "bfloat") {
    const f32 = dtype === "float32" ? data as Float32Array : Float32Array.from(data);
    const bits = new Uint32Array(f32.buffer, f32.byteOffset, count);
    for (let i = 0; i < count; i++) dv.setUint16(2 * i, bfloatBits(bits[i]), little);
  } else if (spec.kind === "float" && spec.bytes === 2) {
    const f16 = dtype === "float16" ? data : new (float16Array())(data as ArrayLike<number>);
    const bits = new Uint16Array(f16.buffer, f16.byteOffset, count);
    for (let i = 0; i < count; i++) dv.setUint16(2 * i, bits[i], little);
  } else if (spec.kind === "float") {
    const wide = spec.bytes === 8;
    for (let i = 0; i < count; i++) {
      if (wide) dv.setFloat64(8 * i, data[i], little);
      else dv.setFloat32(4 * i, data[i], little);
    }
  } else if (spec.kind === "int" && spec.bytes === 8) {
    for (let i = 0; i < count; i++) dv.setBigInt64(8 * i, BigInt(data[i]), little);
  } else {
    for (let i = 0; i < count; i++) dv.setInt32(4 * i, data[i], little);
  }
  return out;
}

/**
 * Rounds float32 bits to bfloat16 bits (to nearest, ties to even). A NaN keeps
 * its top bits (exactly, for values read from bfloat16), made quiet only when
 * the kept bits alone would read as infinity.
 */
export function bfloatBits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    const top = bits >>> 16;
    return (top & 0x7f) !== 0 ? top : top | 0x40;
  }
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
