/**
 * `einsum` for the equations torch accepts: explicit (`ij,jk->ik`) and
 * implicit (`ij,jk`: the labels seen once, sorted, upper case first)
 * outputs, `...` broadcasting, labels repeated within an operand (a
 * diagonal), size-1 broadcasting, any number of operands. It is lowered to
 * the primitives: diagonals are strided views, labels no one else needs are
 * summed out first, and each pair of operands (left to right) becomes one
 * batched `matmul` between permutes and reshapes, so it fuses and
 * differentiates like the rest.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { nodeOf } from "./_convert.ts";
import { fmtShape, fmtValue } from "./ir/errors.ts";
import { diagonal } from "./triangular.ts";
import { matmul } from "./linalg.ts";

/** One operand: its tensor and one label per axis. */
interface Term {
  x: Tensor;
  labels: string[];
}

const LETTER = /^[a-zA-Z]$/;

/** Splits one operand's subscripts into labels, `...` into ellipsis labels aligned from the right. */
function parseTerm(eq: string, text: string, rank: number): string[] {
  const dots = text.indexOf("...");
  const plain = text.replace("...", "");
  for (const ch of plain) {
    if (!LETTER.test(ch)) {
      throw new TypeError(
        `einsum() expected subscripts made of letters and at most one "...": found ${
          fmtValue(ch)
        } in ${fmtValue(eq)}`,
      );
    }
  }
  if (dots < 0) return [...plain];
  const span = rank - plain.length;
  if (span < 0) return [...plain]; // reported by the rank check
  // "." + distance from the right end of the ellipsis: broadcasting aligns on the right
  const dims = Array.from({ length: span }, (_, i) => `.${span - 1 - i}`);
  return [...text.slice(0, dots), ...dims, ...text.slice(dots + 3)];
}

/** Sums `labels` out of a term (axes no other operand and no output needs). */
function sumOut(t: Term, drop: (l: string) => boolean): Term {
  const axes = t.labels.flatMap((l, i) => (drop(l) ? [i] : []));
  if (axes.length === 0) return t;
  return { x: t.x.sum(axes), labels: t.labels.filter((l) => !drop(l)) };
}

/** Takes diagonals until every label appears once in the term. */
function undouble(t: Term): Term {
  for (let i = 0; i < t.labels.length; i++) {
    const j = t.labels.indexOf(t.labels[i], i + 1);
    if (j < 0) continue;
    const labels = t.labels.filter((_, k) => k !== i && k !== j).concat(t.labels[i]);
    return undouble({ x: diagonal(t.x, 0, i, j), labels });
  }
  return t;
}

/** Permutes a term's axes to the order of `labels`. */
function arrange(t: Term, labels: readonly string[]): Tensor {
  const perm = labels.map((l) => t.labels.indexOf(l));
  return perm.every((p, i) => p === i) ? t.x : t.x.permute(perm);
}

/** Contracts two terms over their shared labels that `keep` does not need, with one matmul. */
function contract(
  a: Term,
  b: Term,
  keep: (l: string) => boolean,
  sizes: Map<string, number>,
): Term {
  const batch = a.labels.filter((l) => b.labels.includes(l) && keep(l));
  const inner = a.labels.filter((l) => b.labels.includes(l) && !keep(l));
  const left = a.labels.filter((l) => !b.labels.includes(l));
  const right = b.labels.filter((l) => !a.labels.includes(l));
  const size = (ls: string[]) => ls.reduce((n, l) => n * sizes.get(l)!, 1);
  const full = (t: Term, ls: string[]) => arrange(t, ls).broadcastTo(ls.map((l) => sizes.get(l)!));
  const x = full(a, [...batch, ...left, ...inner]).reshape([size(batch), size(left), size(inner)]);
  const y = full(b, [...batch, ...inner, ...right]).reshape([
    size(batch),
    size(inner),
    size(right),
  ]);
  const out = matmul(x, y).reshape([...batch, ...left, ...right].map((l) => sizes.get(l)!));
  return { x: out, labels: [...batch, ...left, ...right] };
}

/**
 * torch.einsum: sums of products of the operands' entries, named by an equation.
 * @param equation e.g. `"bij,bjk->bik"`, `"ii->i"`, `"...ij,...j"`, `"i,i"`
 * @param operands one tensor per comma-separated term
 * @returns the result, with the output's labels as axes
 * @example A batched matrix product and a trace
 * ```ts
 * import { einsum, tensor } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const a = tensor([[1, 2], [3, 4]]);
 * assertEquals(einsum("ij,jk->ik", a, a).toArray(), [[7, 10], [15, 22]]);
 * assertEquals(einsum("ii", a).item(), 5);
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== "string") {
    throw new TypeError(
      `einsum() expected an equation string first: found ${
        fmtValue(equation)
      }: e.g. einsum("ij,jk->ik", a, b)`,
    );
  }
  const eq = equation.replace(/\s+/g, "");
  const [lhs, rhs, extra] = eq.split("->");
  const texts = lhs.split(",");
  if (extra !== undefined || texts.length !== operands.length) {
    throw new RangeError(
      `einsum() expected one "->" at most and one term per operand: found ${texts.length} term(s) in ${
        fmtValue(equation)
      } and ${operands.length} operand(s)`,
    );
  }
  let terms: Term[] = texts.map((text, k) => {
    const x = operands[k];
    const rank = nodeOf("einsum", x, k + 1).shape.length;
    const labels = parseTerm(equation, text, rank);
    const explicit = text.replace("...", "").length;
    if (text.includes("...") ? explicit > rank : explicit !== rank) {
      throw new RangeError(
        `einsum() term ${k} ${fmtValue(text)} names ${explicit} axes but operand ${k} has shape ${
          fmtShape(x.shape)
        }${text.includes("...") ? "" : `: add "..." for the axes it leaves out`}`,
      );
    }
    return { x, labels };
  });
  // sizes, with size-1 axes broadcasting against the others
  const sizes = new Map<string, number>();
  terms.forEach((t, k) =>
    t.labels.forEach((l, i) => {
      const n = t.x.shape[i];
      const first = t.labels.indexOf(l);
      if (first !== i && t.x.shape[first] !== n) {
        throw new RangeError(
          `einsum() label ${l} repeats in operand ${k} over axes of sizes ${
            t.x.shape[first]
          } and ${n}: a repeated label takes a diagonal and needs equal sizes`,
        );
      }
      const seen = sizes.get(l);
      if (seen !== undefined && seen !== n && seen !== 1 && n !== 1) {
        throw new RangeError(
          `einsum() label ${
            l.startsWith(".") ? "..." : l
          } has size ${seen} in one operand and ${n} in operand ${k}: sizes must match or be 1`,
        );
      }
      sizes.set(l, seen === undefined || seen === 1 ? n : seen);
    })
  );
  const all = terms.flatMap((t) => t.labels);
  const dots = [...new Set(all.filter((l) => l.startsWith(".")))].sort((p, q) =>
    Number(q.slice(1)) - Number(p.slice(1))
  );
  let output: string[];
  if (rhs === undefined) {
    const once = [...new Set(all)].filter((l) =>
      !l.startsWith(".") && all.filter((m) => m === l).length === 1
    );
    output = [...dots, ...once.sort()];
  } else {
    const at = rhs.indexOf("...");
    output = at < 0 ? [...rhs] : [...rhs.slice(0, at), ...dots, ...rhs.slice(at + 3)];
    for (const l of output) {
      if (
        !l.startsWith(".") &&
        (!LETTER.test(l) || !all.includes(l) || output.indexOf(l) !== output.lastIndexOf(l))
      ) {
        throw new RangeError(
          `einsum() output label ${
            fmtValue(l)
          } must be a letter of the inputs, given once: found in ${fmtValue(equation)}`,
        );
      }
    }
    if (!rhs.includes("...") && dots.length > 0) {
      throw new RangeError(
        `einsum() output of ${
          fmtValue(equation)
        } leaves out the "..." axes: write "...${rhs}" to keep them, or sum them first`,
      );
    }
  }
  const needed = (k: number) => (l: string) =>
    output.includes(l) || terms.some((t, j) => j > k && t.labels.includes(l));
  terms = terms.map((t, k) =>
    sumOut(
      undouble(t),
      (l) => !needed(k)(l) && !terms.some((u, j) => j !== k && u.labels.includes(l)),
    )
  );
  let acc = terms[0];
  for (let k = 1; k < terms.length; k++) acc = contract(acc, terms[k], needed(k), sizes);
  acc = sumOut(acc, (l) => !output.includes(l));
  const shaped = arrange(acc, output);
  return shaped.broadcastTo(output.map((l) => sizes.get(l)!));
}
