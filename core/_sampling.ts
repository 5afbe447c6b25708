/**
 * Helpers of the key-based samplers: argument checks, uniforms from random
 * words, float neighbours and exact 64-bit modular reduction.
 * @module
 */
import { checkDType, f16round, float16Array } from "./ir/dtype.ts";
import { fmtValue } from "./ir/errors.ts";

/** The dtypes samplers make. */
export type SampleDType = "float16" | "float32" | "float64";

/** Checks a float dtype option (float32 by default). */
export function floatDType(op: string, dtype: unknown): SampleDType {
  const d = dtype === undefined ? "float32" : checkDType(dtype, op);
  if (d !== "float32" && d !== "float64" && d !== "float16") {
    throw new TypeError(
      `${op}() expected a float dtype (float16, float32 or float64): found ${d}: ` +
        `use randint() or bernoulli() for integers and booleans`,
    );
  }
  return d;
}

/** Checks a finite number argument. */
export function finite(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${op}() expected a finite number for ${name}: found ${fmtValue(value)}`);
  }
  return value;
}

/** A uniform in the open interval (0, 1) from 32 (float16/32) or 52 random bits. */
export function openUniform(dtype: SampleDType, hi: number, lo: number): number {
  if (dtype !== "float64") return (((hi ^ lo) >>> 0) + 0.5) * 2 ** -32;
  return (2 * ((hi >>> 12) * 4294967296 + lo) + 1) * 2 ** -53;
}

/** The next float of `dtype` after `x` (a value of that dtype) towards `to`. */
function nextToward(x: number, to: number, dtype: SampleDType): number {
  if (x === to || !Number.isFinite(x)) return x;
  const tiny = { float16: 2 ** -24, float32: 2 ** -149, float64: 5e-324 }[dtype];
  if (x === 0) return (to > 0 ? 1 : -1) * tiny;
  const step = (to > x) === (x > 0) ? 1 : -1; // away from or towards zero, in bits
  if (dtype === "float16") {
    const bits = new Int16Array(new (float16Array())([x]).buffer);
    bits[0] += step;
    return new (float16Array())(bits.buffer)[0];
  }
  if (dtype === "float32") {
    const bits = new Int32Array(new Float32Array([x]).buffer);
    bits[0] += step;
    return new Float32Array(bits.buffer)[0];
  }
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] += BigInt(step);
  return new Float64Array(bits.buffer)[0];
}

/** The smallest and largest values of `dtype` in [lo, hi] (or [lo, hi) when `open`). */
export function dtypeRange(
  lo: number,
  hi: number,
  dtype: SampleDType,
  open: boolean,
): { first: number; last: number; round: (x: number) => number } {
  const r = { float16: f16round, float32: Math.fround, float64: (v: number) => v }[dtype];
  const first = r(lo) < lo ? nextToward(r(lo), Infinity, dtype) : r(lo);
  const last = r(hi) > hi || (open && r(hi) === hi) ? nextToward(r(hi), -Infinity, dtype) : r(hi);
  return { first, last, round: r };
}

/** `(hi * 2^32 + lo) mod n` for a 64-bit number given as two words, exactly. */
export function mod64(hi: number, lo: number, n: number): number {
  const m = 4294967296 % n;
  const h = hi % n;
  // h * m mod n without overflow: split m into 16-bit halves
  const hm = ((((h * Math.floor(m / 65536)) % n) * 65536) % n + h * (m % 65536)) % n;
  return (hm + (lo % n)) % n;
}
