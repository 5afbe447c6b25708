/**
 * Architecture guard: checks relative imports in core/, jit/, nn/, testing/ and
 * mod.ts.
 *
 * Fails (exit 1) on
 * 1. import cycles between files (runtime imports; `import type` /
 *    `export type` statements are erased at run time and are not counted), and
 * 2. imports that point up the layers. Layers, low to high: `ir` (the IR and
 *    the primitive table), `kernels` (scheduling, code generators, backends),
 *    `frontend` (tensors and transforms), `entry` (mod.ts, the public API),
 *    `nn` (nn/ and testing/, built on the public API only, like optax on jax).
 *    A file's layer is that of the longest folder prefix in `LAYER_RULES`
 *    (`core/ir/` and `core/ops/` are `ir`, `jit/api/` is `frontend`). A file
 *    may import from its own layer or a lower one (type-only imports
 *    included). Importing another `.ts` file outside these folders (tests,
 *    tools, ...) from library code is also an error.
 *
 * Recognised forms: `import ... from "x"`, `export ... from "x"`, `import "x"`
 * and `import("x")` with a string literal. Comments are ignored. Only relative
 * specifiers (`./`, `../`) are checked.
 *
 * Usage: `deno run --allow-read _tools/check_layers.ts [--root=DIR]`
 *
 * @module
 */

import { isFile, listTs, rootFromArgs } from "./common.ts";

/** Layer names, low to high. */
export const LAYERS = ["ir", "kernels", "frontend", "entry", "nn"] as const;
/** A layer name. */
export type Layer = typeof LAYERS[number];

/**
 * Folder prefixes and their layers; the longest matching prefix decides (so `jit/api/`, the
 * user-facing `jit` and `explain`, sits above the rest of `jit/`). Folder rules only: a file's
 * layer is where it lives.
 */
export const LAYER_RULES: readonly (readonly [prefix: string, layer: Layer])[] = [
  ["core/ir/", "ir"],
  ["core/ops/", "ir"],
  ["core/", "frontend"],
  ["jit/", "kernels"],
  ["jit/api/", "frontend"],
  ["nn/", "nn"],
  ["testing/", "nn"],
  ["mod.ts", "entry"],
];

/** The layer of a root-relative path, or `undefined` if it is not library code. */
export function layerOf(path: string): Layer | undefined {
  let best: readonly [string, Layer] | undefined;
  for (const rule of LAYER_RULES) {
    if (path.startsWith(rule[0]) && rule[0].length > (best?.[0].length ?? -1)) best = rule;
  }
  return best?.[1];
}

/** One import found in a file. */
export interface ImportRef {
  /** The specifier as written. */
  specifier: string;
  /** 1-based line of the specifier. */
  line: number;
  /** `true` for `import type` / `export type` statements. */
  typeOnly: boolean;
}

/**
 * Blanks out comments and the contents of template literals and regular
 * expression literals (keeping newlines, so line numbers survive). Quoted
 * strings are kept, since import specifiers are quoted strings.
 */
export function stripComments(src: string): string {
  const out: string[] = [];
  const n = src.length;
  const blank = (ch: string) => ch === "\n" ? "\n" : " ";
  // Last significant (non-space, non-comment) character, to tell a regex
  // literal from a division.
  let prevSig = "";
  let i = 0;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === "/" && d === "/") {
      while (i < n && src[i] !== "\n") out.push(" "), i++;
    } else if (c === "/" && d === "*") {
      out.push("  ");
      i += 2;
      while (i < n && !(src[i] === "*" && src[i + 1] === "/")) out.push(blank(src[i++]));
      if (i < n) out.push("  "), i += 2;
    } else if (c === '"' || c === "'") {
      const start = i++;
      while (i < n && src[i] !== c && src[i] !== "\n") i += src[i] === "\\" ? 2 : 1;
      i = Math.min(i + 1, n);
      out.push(src.slice(start, i));
      prevSig = c;
    } else if (c === "`") {
      out.push("`");
      i++;
      while (i < n && src[i] !== "`") {
        if (src[i] === "\\" && i + 1 < n) out.push(" "), i++;
        out.push(blank(src[i++]));
      }
      if (i < n) out.push("`"), i++;
      prevSig = "`";
    } else if (c === "/" && (prevSig === "" || "(,=:[!&|?{};+-*%<>~^".includes(prevSig))) {
      // Regular expression literal.
      out.push("/");
      i++;
      let inClass = false;
      while (i < n && src[i] !== "\n") {
        const ch = src[i];
        if (ch === "\\" && i + 1 < n) {
          out.push("  ");
          i += 2;
          continue;
        }
        if (ch === "[") inClass = true;
        else if (ch === "]") inClass = false;
        else if (ch === "/" && !inClass) break;
        out.push(" ");
        i++;
      }
      if (i < n && src[i] === "/") out.push("/"), i++;
      prevSig = "/";
    } else {
      out.push(c);
      if (!/\s/.test(c)) prevSig = /[\w$]/.test(c) ? "a" : c;
      i++;
    }
  }
  return out.join("");
}

const FROM_RE = /\b(import|export)(\s+type\b)?([^;'"`]*?)\bfrom\s*(["'])([^"'\n]+)\4/g;
const BARE_RE = /\bimport\s*(["'])([^"'\n]+)\1/g;
const DYNAMIC_RE = /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g;

/** Finds the import/export specifiers of a TypeScript source. */
export function parseImports(src: string): ImportRef[] {
  const code = stripComments(src);
  const lineAt = (offset: number) => code.slice(0, offset).split("\n").length;
  const refs: ImportRef[] = [];
  for (const m of code.matchAll(FROM_RE)) {
    const spec = m[5];
    refs.push({
      specifier: spec,
      line: lineAt(m.index! + m[0].length - spec.length - 1),
      typeOnly: m[2] !== undefined,
    });
  }
  for (const re of [BARE_RE, DYNAMIC_RE]) {
    for (const m of code.matchAll(re)) {
      refs.push({ specifier: m[2], line: lineAt(m.index!), typeOnly: false });
    }
  }
  return refs;
}

/** Resolves a relative specifier against a root-relative importer path. */
export function resolveRelative(from: string, spec: string): string | undefined {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return undefined;
  const parts = from.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return `<outside root>/${spec}`;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

/** An edge of the import graph. */
export interface Edge {
  /** Importing file (root-relative). */
  from: string;
  /** Imported file (root-relative). */
  to: string;
  /** Line of the import in `from`. */
  line: number;
  /** Type-only import. */
  typeOnly: boolean;
}

/** Result of {@linkcode checkLayers}. */
export interface LayerReport {
  /** Files checked. */
  files: string[];
  /** Relative imports found. */
  edges: Edge[];
  /** Human-readable error lines. */
  errors: string[];
  /** Human-readable warning lines. */
  warnings: string[];
}

/** Finds the strongly connected components of size > 1 (or self-loops). */
function findCycles(nodes: string[], adj: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (adj.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of nodes) if (!idx.has(v)) strong(v);
  return out;
}

/** A concrete cycle `a -> b -> ... -> a` inside one strongly connected component. */
function cyclePath(comp: string[], adj: Map<string, string[]>): string[] {
  const inComp = new Set(comp);
  const start = comp[0];
  // BFS from start back to start, staying inside the component.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of adj.get(v) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...comp, start];
}

/** Checks the tree at `root`. */
export async function checkLayers(root: string): Promise<LayerReport> {
  const files = [
    ...(await isFile(root, "mod.ts") ? ["mod.ts"] : []),
    ...await listTs(root, "core"),
    ...await listTs(root, "jit"),
    ...await listTs(root, "nn"),
    ...await listTs(root, "testing"),
  ];
  const known = new Set(files);
  const edges: Edge[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];

  for (const file of files) {
    const src = await Deno.readTextFile(`${root}/${file}`);
    for (const ref of parseImports(src)) {
      const to = resolveRelative(file, ref.specifier);
      if (to === undefined) continue; // bare / URL / npm: / node: / @std specifiers
      const where = `${file}:${ref.line}`;
      if (!to.endsWith(".ts")) {
        if (!(await isFile(root, to))) {
          warnings.push(`${where}: import "${ref.specifier}" does not resolve to a file`);
        }
        continue; // e.g. JSON data; not part of the layering
      }
      if (!known.has(to)) {
        if (await isFile(root, to)) {
          errors.push(
            `${where}: library file ${file} imports ${to}, which is outside core/, jit/, nn/, ` +
              `testing/ and mod.ts`,
          );
        } else {
          warnings.push(`${where}: import "${ref.specifier}" (${to}) does not exist`);
        }
        continue;
      }
      edges.push({ from: file, to, line: ref.line, typeOnly: ref.typeOnly });
      const lf = layerOf(file)!, lt = layerOf(to)!;
      if (LAYERS.indexOf(lt) > LAYERS.indexOf(lf)) {
        errors.push(
          `${where}: layer violation: ${file} (layer ${lf}) imports ${to} (layer ${lt}); ` +
            `a file may only import from its own layer or lower (${LAYERS.join(" < ")})`,
        );
      }
    }
  }

  const adj = new Map<string, string[]>();
  for (const e of edges) {
    if (e.typeOnly) continue;
    const list = adj.get(e.from) ?? [];
    if (!list.includes(e.to)) list.push(e.to);
    adj.set(e.from, list);
  }
  for (const comp of findCycles(files, adj)) {
    const path = cyclePath(comp, adj);
    const lines = path.slice(0, -1).map((f, i) => {
      const e = edges.find((x) => x.from === f && x.to === path[i + 1] && !x.typeOnly);
      return `    ${f}:${e?.line ?? "?"} imports ${path[i + 1]}`;
    });
    const group = comp.length > path.length - 1
      ? `\n    (part of a group of ${comp.length} mutually dependent files: ${comp.join(", ")}; ` +
        "fix this cycle and re-run to see the next)"
      : "";
    errors.push(`import cycle: ${path.join(" -> ")}\n${lines.join("\n")}${group}`);
  }
  return { files, edges, errors, warnings };
}

async function main(): Promise<number> {
  const root = rootFromArgs(Deno.args);
  const r = await checkLayers(root);
  for (const w of r.warnings) console.warn(`warning: ${w}`);
  for (const e of r.errors) console.error(`error: ${e}`);
  console.log(
    `check_layers: ${r.files.length} files, ${r.edges.length} relative imports, ` +
      `${r.errors.length} error(s)`,
  );
  console.log(r.errors.length === 0 ? "check_layers: ok" : "check_layers: FAILED");
  return r.errors.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main());
}
