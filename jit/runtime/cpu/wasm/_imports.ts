/**
 * The scalar functions Wasm kernels import (`e.<name>`, float64 in and out):
 * the fallbacks of sin, cos, remainder and fmod for lanes outside their
 * vector forms' range. The calling
 * thread passes `scalarImports`; worker threads, which cannot import
 * modules, build the same object from `scalarImportsSource()`.
 * @module
 */
import type { imported } from "../../../codegen/wasm/_emit.ts";
import { remainder } from "../../../../core/ops/_scalar.ts";

/** C's fmod: the remainder of truncated division, with the dividend's sign. */
function fmod(a: number, b: number): number {
  return a % b;
}

/** Every importable function, by its import name (a name without a function does not compile). */
export const scalarImports: { readonly [K in keyof typeof imported]: (...x: number[]) => number } =
  { sin: Math.sin, cos: Math.cos, rem: remainder, fmod };

/**
 * JavaScript that declares `scalarImports` with the same functions, for a
 * worker thread's source.
 * @returns the source text
 */
export function scalarImportsSource(): string {
  return `const rem = ${remainder.toString()};
const fmod = ${fmod.toString()};
const scalarImports = { sin: Math.sin, cos: Math.cos, rem, fmod };`;
}
