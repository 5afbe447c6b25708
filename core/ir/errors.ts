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
const libraryRoot = new URL("../../", import.meta.url).href;
const libraryDirs = ["core/", "jit/", "nn/", "testing/", "mod.ts"].map((d) => libraryRoot + d);

/** Runtime internals (Node's and Bun's `node:*`, Deno's `ext:*`, Bun's `native:`) are not the user's. */
const internal = /^(?:node|ext|native):/;

/**
 * An error whose stack reaches past the library's frames to the user's: the
 * stack is captured with at least 64 frames (the engines' default of 10 can
 * hold only library frames under `jit`, `grad` and `vmap` traces).
 * @param message the error's message
 * @returns the error, its stack captured here
 */
export function siteError(message?: string): Error {
  // V8 and JavaScriptCore have `Error.stackTraceLimit`; the standard library types do not
  const engine = Error as unknown as { stackTraceLimit?: number };
  const limit = engine.stackTraceLimit;
  if (typeof limit !== "number" || limit >= 64) return new Error(message);
  engine.stackTraceLimit = 64;
  try {
    return new Error(message);
  } finally {
    engine.stackTraceLimit = limit;
  }
}

/**
 * The first stack frame of `error` outside the library and the runtime's
 * internals: the user's line that called into it, as `file:line:column`.
 * Bun writes local files as bare absolute paths; they come back as `file:`
 * URLs, as Deno and Node write them.
 * @param error an error made where the library was called
 * @returns the location, or `undefined` when no frame is outside the library
 */
export function userFrame(error: Error): string | undefined {
  for (const line of (error.stack ?? "").split("\n").slice(1)) {
    const found = /\(?((?:file|https?|node|ext|native):[^\s()]+:\d+:\d+)\)?\s*$/.exec(line)?.[1] ??
      /\(?(\/[^\s()]+:\d+:\d+)\)?\s*$/.exec(line)?.[1] ??
      /at ([^\s()]+:\d+:\d+)$/.exec(line.trim())?.[1];
    if (found === undefined || internal.test(found)) continue;
    const at = found.startsWith("/") ? new URL(found, "file:///").href : found;
    if (!libraryDirs.some((d) => at.startsWith(d))) return at;
  }
  return undefined;
}
