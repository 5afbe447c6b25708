// Documentation that cannot drift from the code: the reports quoted in
// docs/fusion.md are what their code prints today, and the API reference
// (`deno doc`) shows a type for every parameter and no internal module
// aliases (`See {@link e.add}`). The Markdown code blocks themselves are
// type-checked and run by `deno test --doc README.md docs/*.md` (the test task).
import { assert, assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { docOutputs } from "../_tools/doc_outputs.ts";

const root = new URL("../", import.meta.url);
// runs Markdown blocks and `deno doc`: Deno only (bun test skips these suites)
const suite = (globalThis as { Deno?: unknown }).Deno !== undefined ? describe : describe.skip;

// the reports show the default CPU tier (Wasm); LATHE_CPU=js or threads change the kernel lines
const defaultTier = (globalThis as { Deno?: typeof Deno }).Deno?.env.get("LATHE_CPU") === undefined;

suite("docs/fusion.md", () => {
  it("every quoted report is what its code prints", { ignore: !defaultTier }, async () => {
    const file = new URL("docs/fusion.md", root);
    const outputs = await docOutputs(Deno.readTextFileSync(file), file);
    assert(
      outputs.length >= 8,
      `expected the 8 reports of docs/fusion.md: found ${outputs.length}`,
    );
    for (const o of outputs) {
      assertEquals(
        o.actual,
        o.expected,
        `docs/fusion.md:${o.line}: the report differs from the output; update it with ` +
          "`deno run --allow-read --allow-write=docs _tools/doc_outputs.ts --write docs/fusion.md`",
      );
    }
  });
});

interface DocParam {
  kind: string;
  name?: string;
  tsType?: unknown;
  left?: { name?: string; tsType?: unknown };
}

interface DocDecl {
  kind: string;
  location?: { filename: string; line: number };
  jsDoc?: { doc?: string };
  def?: {
    params?: DocParam[];
    methods?: { name: string; jsDoc?: { doc?: string }; functionDef?: { params?: DocParam[] } }[];
  };
}

/** `deno doc --json` of the four public entry points. */
async function publicDocs(): Promise<{ name: string; decl: DocDecl }[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts", "nn/mod.ts", "nn/optim.ts", "testing/mod.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  const found: { name: string; decl: DocDecl }[] = [];
  for (const mod of Object.values(json.nodes) as { symbols?: unknown[] }[]) {
    for (const sym of (mod.symbols ?? []) as { name: string; declarations: DocDecl[] }[]) {
      for (const decl of sym.declarations) found.push({ name: sym.name, decl });
    }
  }
  return found;
}

function untyped(params: readonly DocParam[]): string[] {
  return params.filter((p) =>
    (p.kind === "identifier" && p.tsType === undefined) ||
    (p.kind === "assign" && p.tsType === undefined && p.left?.tsType === undefined)
  ).map((p) => p.name ?? p.left?.name ?? "?");
}

suite("the API reference (deno doc)", () => {
  it("every parameter of a public function or method has a type, and no doc links an internal alias", async () => {
    const problems: string[] = [];
    for (const { name, decl } of await publicDocs()) {
      const at = `${name} (${
        decl.location?.filename.replace(root.href, "")
      }:${decl.location?.line})`;
      const entries = [
        { what: at, params: decl.def?.params ?? [], doc: decl.jsDoc?.doc ?? "" },
        ...(decl.def?.methods ?? []).map((m) => ({
          what: `${at}.${m.name}`,
          params: m.functionDef?.params ?? [],
          doc: m.jsDoc?.doc ?? "",
        })),
      ];
      for (const e of entries) {
        for (const p of untyped(e.params)) problems.push(`${e.what}: parameter ${p} has no type`);
        // a link to a module namespace import (`{@link e.add}`) shows the alias to users
        const alias = e.doc.match(/\{@link [a-z]{1,2}\.\w+\}/);
        if (alias) problems.push(`${e.what}: doc links an internal alias ${alias[0]}`);
      }
    }
    assertEquals(problems, []);
  });
});
