/**
 * How each dtype's values sit in WebGPU buffers: float32 and int32 as they
 * are, bool widened to i32, float16 as f16 (2 bytes, needs the adapter's
 * `shader-f16` feature). Buffer writes and copies move multiples of 4 bytes,
 * so an odd number of halves is padded.
 * @module
 */
import { type DataArray, type DType, float16Array } from "../../../core/ir/dtype.ts";

/**
 * Bytes per element in GPU memory.
 * @param dtype the dtype (float64 has no GPU form)
 * @returns 2 for float16, else 4
 */
export function gpuElementBytes(dtype: DType): number {
  if (dtype === "float64") throw new TypeError("float64 data cannot live on webgpu");
  return dtype === "float16" ? 2 : 4;
}

/**
 * The bytes to copy for `n` elements: rounded up to a multiple of 4.
 * @param dtype the dtype
 * @param n the element count
 * @returns the byte count
 */
export function gpuCopyBytes(dtype: DType, n: number): number {
  return Math.ceil((n * gpuElementBytes(dtype)) / 4) * 4;
}

/**
 * Host values as a GPU buffer holds them (bool widened to i32, padded to 4 bytes).
 * @param values the host values
 * @param dtype their dtype
 * @returns the data to write
 */
export function toGpuData(values: DataArray, dtype: DType): ArrayBufferView {
  if (dtype === "bool") return Int32Array.from(values);
  const bytes = gpuCopyBytes(dtype, values.length);
  if (bytes === values.byteLength) return values;
  const padded = new Uint8Array(bytes);
  padded.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return padded;
}

/**
 * Values read back from GPU memory, in the dtype's TypedArray.
 * @param words the bytes read (at least `gpuCopyBytes(dtype, n)`)
 * @param dtype the dtype
 * @param n the element count
 * @returns the values
 */
export function fromGpuData(words: ArrayBuffer, dtype: DType, n: number): DataArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(words, 0, n);
    case "float16":
      return new (float16Array())(words, 0, n);
    case "int32":
      return new Int32Array(words, 0, n);
    case "bool":
      return Uint8Array.from(new Int32Array(words, 0, n));
    case "float64":
      throw new TypeError("float64 data cannot live on webgpu");
    default:
      return dtype satisfies never;
  }
}
