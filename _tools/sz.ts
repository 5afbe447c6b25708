/**
 * Size guard for the library sources.
 *
 * - fails (exit 1, listing offenders) if any `.ts` file under core/, jit/,
 *   nn/ or testing/ is longer than {@linkcode MAX_FILE_LINES} lines;
 * - warns for files longer than {@linkcode WARN_FILE_LINES} lines;
 * - prints the total line count of core/ + jit/ and fails above
 *   {@linkcode CORE_JIT_BUDGET}.
 *
 * Missing folders count as empty.
 *
 * Usage: `deno run --allow-read _tools/sz.ts [--root=DIR]`
 * (`--root` defaults to the repository root, the parent of this folder).
 *
 * @module
 */

import { listTs, rootFromArgs } from "./common.ts";

/** Hard per-file limit (lines). */
export const MAX_FILE_LINES = 500;
/** Per-file warning threshold (lines). */
export const WARN_FILE_LINES = 300;
/**
 * Line budget of core/ + jit/: raised from 25,000 to 27,500 on 2026-12-07 for that session's
 * features (WGSL sort/scatter/scan/tiled-conv kernels, blocked linalg and the FFT, loops under
 * vmap and grad, O(n) scans, Wasm gathers and scatters, row donation); the folder moves and the
 * dedup of that session took 123 lines out. Raised to 31,500 on 2026-12-07 (second session) for
 * that session's fused (flash) attention primitive with its JS/Wasm/WGSL kernels (~1,500 lines),
 * jit buffer donation with in-place row updates and Wasm-resident tables (~1,100), kernels with
 * several outputs (~400), split tuning from the calling thread's chunks, chunked copy-out, and
 * per-gather index-error sites (~300).
 */
export const CORE_JIT_BUDGET = 31500;
/** Folders whose `.ts` files are size-checked. */
export const CHECKED_DIRS = ["core", "jit", "nn", "testing"] as const;
/** Folders counted against {@linkcode CORE_JIT_BUDGET}. */
export const BUDGET_DIRS = ["core", "jit"] as const;
/**
 * Folders inside the budget folders that are not counted: the file formats
 * of core/io/ are byte codecs at the edge, not the compute core the budget
 * keeps small (their files still obey the per-file limits).
 */
export const BUDGET_EXCLUDED = ["core/io/"] as const;

/** One measured source file. */
export interface FileSize {
  /** Path relative to the root, with `/` separators. */
  path: string;
  /** Number of lines. */
  lines: number;
}

/** Counts lines the way editors do: a trailing newline does not add a line. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  const n = text.split("\n").length;
  return text.endsWith("\n") ? n - 1 : n;
}

/** Measures every `.ts` file under the given folders of `root`. */
export async function measure(root: string, dirs: readonly string[]): Promise<FileSize[]> {
  const out: FileSize[] = [];
  for (const dir of dirs) {
    for (const path of await listTs(root, dir)) {
      out.push({ path, lines: countLines(await Deno.readTextFile(`${root}/${path}`)) });
    }
  }
  return out;
}

/** Result of {@linkcode checkSizes}. */
export interface SizeReport {
  /** Files over {@linkcode MAX_FILE_LINES}. */
  tooLong: FileSize[];
  /** Files over {@linkcode WARN_FILE_LINES} but within the hard limit. */
  long: FileSize[];
  /** Total lines in the budget folders. */
  budgetTotal: number;
  /** Number of files measured. */
  fileCount: number;
  /** `true` when nothing fails. */
  ok: boolean;
}

/** Applies the limits to the tree at `root`. */
export async function checkSizes(root: string): Promise<SizeReport> {
  const files = await measure(root, CHECKED_DIRS);
  const tooLong = files.filter((f) => f.lines > MAX_FILE_LINES);
  const long = files.filter((f) => f.lines > WARN_FILE_LINES && f.lines <= MAX_FILE_LINES);
  const budgetTotal = files
    .filter((f) => BUDGET_DIRS.some((d) => f.path.startsWith(`${d}/`)))
    .filter((f) => !BUDGET_EXCLUDED.some((d) => f.path.startsWith(d)))
    .reduce((s, f) => s + f.lines, 0);
  return {
    tooLong,
    long,
    budgetTotal,
    fileCount: files.length,
    ok: tooLong.length === 0 && budgetTotal <= CORE_JIT_BUDGET,
  };
}

async function main(): Promise<number> {
  const root = rootFromArgs(Deno.args);
  const r = await checkSizes(root);
  for (const f of r.long) {
    console.warn(
      `warning: ${f.path} has ${f.lines} lines (> ${WARN_FILE_LINES}); consider splitting`,
    );
  }
  for (const f of r.tooLong) {
    console.error(`error: ${f.path} has ${f.lines} lines (limit ${MAX_FILE_LINES})`);
  }
  const dirs = BUDGET_DIRS.map((d) => `${d}/`).join(" + ");
  console.log(
    `sz: ${r.fileCount} files in ${CHECKED_DIRS.map((d) => `${d}/`).join(", ")}; ` +
      `${dirs} total ${r.budgetTotal} lines (budget ${CORE_JIT_BUDGET}; ` +
      `${BUDGET_EXCLUDED.join(", ")} not counted)`,
  );
  if (r.budgetTotal > CORE_JIT_BUDGET) {
    console.error(
      `error: ${dirs} has ${r.budgetTotal} lines, over the budget of ${CORE_JIT_BUDGET}`,
    );
  }
  if (r.tooLong.length > 0) {
    console.error(
      `error: ${r.tooLong.length} file(s) over ${MAX_FILE_LINES} lines: ` +
        r.tooLong.map((f) => f.path).join(", "),
    );
  }
  console.log(r.ok ? "sz: ok" : "sz: FAILED");
  return r.ok ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main());
}
