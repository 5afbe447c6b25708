/**
 * Builds the browser bundle in `dist/web`: `lathe.min.js`, one minified ES
 * module with the whole API (`web/lathe.ts`: the root exports plus the `nn`
 * and `optim` namespaces), next to the demo page (`web/index.html`,
 * `web/train.js`). Code loaded with `await import()` (the WebGPU backend) is
 * split into `dist/web/chunks/`, so pages that never use it never download
 * it. Prints the raw and gzip size of each file and writes them to
 * `dist/web/size.json`.
 *
 * Usage: `deno task build:web`, then serve `dist/web` (e.g. `deno task serve:web`).
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- esbuild stays out of the root imports (demo and tests never download it); pinned in _tools/deno.lock
import * as esbuild from "npm:esbuild@0.28.2";
import { gzipSync } from "node:zlib";
import { cleanDir, EXTERNAL, kb, ROOT } from "./_build.ts";

const OUT = "dist/web";
const PAGE_FILES = ["index.html", "train.js"];

/** Size of one output file. */
interface Size {
  file: string;
  bytes: number;
  gzipBytes: number;
}

if (import.meta.main) {
  const out = cleanDir(OUT);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [{ in: "web/lathe.ts", out: "lathe.min" }],
    outdir: out,
    bundle: true,
    minify: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: [...EXTERNAL],
    sourcemap: "linked",
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });
  await esbuild.stop();
  for (const file of PAGE_FILES) Deno.copyFileSync(`${ROOT}web/${file}`, `${out}/${file}`);
  const sizes: Size[] = Object.keys(result.metafile.outputs)
    .filter((file) => file.endsWith(".js"))
    .map((file) => {
      const code = Deno.readFileSync(`${ROOT}${file}`);
      const gzipBytes = gzipSync(code, { level: 9 }).length;
      return { file: file.slice(OUT.length + 1), bytes: code.length, gzipBytes };
    });
  Deno.writeTextFileSync(`${out}/size.json`, JSON.stringify(sizes, null, 2) + "\n");
  for (const { file, bytes, gzipBytes } of sizes) {
    console.log(`${OUT}/${file}: ${kb(bytes)} minified, ${kb(gzipBytes)} gzipped (level 9)`);
  }
  if (sizes.length > 1) {
    const raw = sizes.reduce((sum, s) => sum + s.bytes, 0);
    const gz = sizes.reduce((sum, s) => sum + s.gzipBytes, 0);
    console.log(`all files together: ${kb(raw)} minified, ${kb(gz)} gzipped`);
  }
  console.log(`${OUT}/index.html: the demo page (serve ${OUT} over http: deno task serve:web)`);
}
