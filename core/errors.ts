/**
 * Error helpers: every message says which op, what was expected, what came
 * and how to fix it (capital letter, no trailing period).
 * @module
 */

/** Formats a shape as `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Formats any user value compactly for an error message. */
export function fmtValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/** The library's folder (frames inside it are not the user's). */
const libraryRoot = new URL("../", import.meta.url).href;
const libraryDirs = ["core/", "jit/", "nn/", "testing/", "mod.ts"].map((d) => libraryRoot + d);

/**
 * The first stack frame of `error` outside the library: the user's line that
 * called into it, as `file:line:column`.
 * @param error an error made where the library was called
 * @returns the location, or `undefined` when no frame is outside the library
 */
export function userFrame(error: Error): string | undefined {
  for (const line of (error.stack ?? "").split("\n").slice(1)) {
    const at = /\(?((?:file|https?|node|ext):[^\s()]+:\d+:\d+)\)?\s*$/.exec(line)?.[1] ??
      /at ([^\s()]+:\d+:\d+)$/.exec(line.trim())?.[1];
    if (at !== undefined && !libraryDirs.some((d) => at.startsWith(d))) return at;
  }
  return undefined;
}
