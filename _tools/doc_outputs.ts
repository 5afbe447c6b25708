/**
 * Keeps the printed output quoted in Markdown docs true: every ```` ```ts ````
 * block that is followed by a ```` ```text ```` block is run, and what it
 * prints with `console.log` must equal the text block. The code blocks are
 * also type-checked and run by `deno test --doc` (the test task); this tool
 * checks their output, which `deno test --doc` does not.
 *
 * Usage:
 *   deno run --allow-read _tools/doc_outputs.ts docs/fusion.md          (check)
 *   deno run --allow-read --allow-write=docs _tools/doc_outputs.ts --write docs/fusion.md
 *
 * A block imports the library by a path relative to its Markdown file
 * (`import * as lt from "../mod.ts"`), as `deno test --doc` resolves it.
 * @module
 */
/** One code block with the output quoted under it. */
export interface DocOutput {
  /** 1-based line of the code block's opening fence. */
  readonly line: number;
  /** The quoted output (the text block's body). */
  readonly expected: string;
  /** What the code printed when run now. */
  readonly actual: string;
  /** Offsets of the text block's body in the file, for rewriting it. */
  readonly bodyStart: number;
  /** End offset (exclusive) of the text block's body. */
  readonly bodyEnd: number;
}

const BLOCK = /^```(\w*)[^\n]*\n([\s\S]*?)^```\s*$/gm;

/** Runs `code` as a module and returns what it printed with console.log. */
async function printed(code: string, file: URL): Promise<string> {
  // relative imports ("../mod.ts") resolve against the Markdown file
  const resolved = code.replace(
    /from "(\.{1,2}\/[^"]+)"/g,
    (_, rel: string) => `from "${new URL(rel, file).href}"`,
  );
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : Deno.inspect(a))).join(" "));
  };
  try {
    const bytes = new TextEncoder().encode(resolved);
    const url = `data:application/typescript;base64,${btoa(String.fromCharCode(...bytes))}`;
    await import(url);
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

/**
 * Runs each code block of `markdown` that has an output block under it.
 * @param markdown the file's text
 * @param file the file's URL (relative imports resolve against it)
 * @returns one entry per code block with quoted output, in file order
 */
export async function docOutputs(markdown: string, file: URL): Promise<DocOutput[]> {
  const blocks = [...markdown.matchAll(BLOCK)];
  const found: DocOutput[] = [];
  for (let i = 0; i + 1 < blocks.length; i++) {
    const [, lang, code] = blocks[i];
    const next = blocks[i + 1];
    const end = blocks[i].index! + blocks[i][0].length;
    const between = markdown.slice(end, next.index);
    if (lang !== "ts" || next[1] !== "text" || between.trim() !== "") continue;
    const bodyStart = next.index! + next[0].indexOf("\n") + 1;
    const expected = next[2].replace(/\n$/, "");
    found.push({
      line: markdown.slice(0, blocks[i].index).split("\n").length,
      expected,
      actual: await printed(code, file),
      bodyStart,
      bodyEnd: bodyStart + next[2].length,
    });
  }
  return found;
}

/** `markdown` with every quoted output replaced by the actual one. */
export function rewrite(markdown: string, outputs: readonly DocOutput[]): string {
  let text = markdown;
  for (const o of [...outputs].reverse()) {
    text = text.slice(0, o.bodyStart) + o.actual + "\n" + text.slice(o.bodyEnd);
  }
  return text;
}

if (import.meta.main) {
  const write = Deno.args.includes("--write");
  const files = Deno.args.filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    console.error("Usage: deno run --allow-read _tools/doc_outputs.ts [--write] FILE.md...");
    Deno.exit(2);
  }
  let stale = 0;
  for (const file of files) {
    const markdown = Deno.readTextFileSync(file);
    const outputs = await docOutputs(markdown, new URL(file, `file://${Deno.cwd()}/`));
    const drifted = outputs.filter((o) => o.actual !== o.expected);
    if (write && drifted.length > 0) {
      Deno.writeTextFileSync(file, rewrite(markdown, outputs));
      console.log(`${file}: rewrote ${drifted.length} of ${outputs.length} output block(s)`);
    } else {
      for (const o of drifted) console.error(`${file}:${o.line}: the printed output differs`);
      stale += drifted.length;
      console.log(`${file}: ${outputs.length - drifted.length} of ${outputs.length} outputs match`);
    }
  }
  if (stale > 0) {
    console.error(
      "Run `deno run --allow-read --allow-write=docs _tools/doc_outputs.ts --write FILE.md` to update",
    );
    Deno.exit(1);
  }
}
